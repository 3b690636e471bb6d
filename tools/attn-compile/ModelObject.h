//===- ModelObject.h - a model graph as a linkable host object --*- C++ -*-===//
//
// attn-compile --emit=object: lowers a model graph's @prefill_step and
// @decode_step for the CPU or the GPU and writes a host object file that a
// program links with the runtime library and drives through attn-c/Model.h.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TOOLS_ATTN_COMPILE_MODELOBJECT_H
#define ATTN_TOOLS_ATTN_COMPILE_MODELOBJECT_H

#include "attn/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::attn {

struct ModelObjectOptions {
  /// The GPU pipeline (kernels embedded in the object) rather than the CPU
  /// one.
  bool gpu = false;
  GPUPipelineOptions *gpuPipeline = nullptr;
  /// The figures the object reports to its program.
  int64_t batch = 1, prompt = 1, capacity = 1, vocab = 1;
  /// Host code for this machine's CPU and its features (vector units),
  /// rather than for any CPU of its architecture.
  bool nativeCPU = false;
};

/// Compiles `module`, a graph from buildLlamaPrefill with decode steps, to a
/// host object. The module is lowered in place.
llvm::Error emitModelObject(ModuleOp module, const ModelObjectOptions &options,
                            llvm::raw_pwrite_stream &os);

} // namespace mlir::attn

#endif // ATTN_TOOLS_ATTN_COMPILE_MODELOBJECT_H
