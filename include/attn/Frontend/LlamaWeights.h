//===- LlamaWeights.h - tensors a Llama checkpoint must hold ----*- C++ -*-===//
//
// The standard Hugging Face Llama tensor names and the shapes a config
// implies for them, and the check that a checkpoint holds exactly those
// (with the config's dtype). Under cross-layer KV sharing only the producer
// layer of each group has k_proj and v_proj.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_FRONTEND_LLAMAWEIGHTS_H
#define ATTN_FRONTEND_LLAMAWEIGHTS_H

#include "attn/Frontend/Checkpoint.h"
#include "attn/Frontend/LlamaConfig.h"

#include <string>
#include <vector>

namespace mlir::attn::frontend {

struct ExpectedTensor {
  std::string name;
  llvm::SmallVector<int64_t, 2> shape;
  /// Whether the checkpoint must hold it (true) or must not (false: the
  /// k_proj/v_proj of a CLA consumer layer).
  bool required = true;
  /// The decoder layer the tensor belongs to, or -1.
  int64_t layer = -1;
};

/// Every tensor name the checkpoint of `config` is checked for, in model
/// order.
std::vector<ExpectedTensor> getLlamaTensors(const LlamaConfig &config);

/// Checks `checkpoint` against `config`; returns the parameter count (the
/// elements of the required tensors). `configName` is the config file, for
/// messages about the dtype. Tensors outside the standard names are ignored.
llvm::Expected<uint64_t> checkLlamaWeights(const LlamaConfig &config,
                                           const Checkpoint &checkpoint,
                                           llvm::StringRef configName);

} // namespace mlir::attn::frontend

#endif // ATTN_FRONTEND_LLAMAWEIGHTS_H
