//===- BufferizeEntry.cpp - bufferization shared by the pipelines ----------===//
//
// The CPU and GPU pipelines bufferize the same way once attention is
// lowered; this is that one place.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

void mlir::attn::addBufferizationPasses(OpPassManager &pm, bool forGPU,
                                        std::optional<int64_t> cublasFromRows) {
  // An attn op still here has no lowering in this pipeline: say why, rather
  // than leave bufferization to report it as not bufferized.
  pm.addPass(createCheckLoweredPass());
  // Chains of elementwise ops (RMSNorm's square, scale and weight, RoPE's
  // rotation, SwiGLU, the residual adds) become one linalg.generic each,
  // so one loop nest, and on the GPU one kernel, instead of one per op.
  // Named ops (the projections' matmuls) stay named for the GPU's matmul
  // kernels.
  pm.addPass(createFuseElementwisePass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A decode loop yields each step's attention output, a new tensor rather
  // than an update of its iter_arg in place.
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // On the GPU, a model graph's projections become warp-per-column kernels
  // (attn-matmul-to-gpu), and every other linalg op left on the host
  // (elementwise ops, norms) parallel loops, which attn-buffers-to-gpu
  // makes kernels with a thread per iteration: correct, not fast.
  if (forGPU) {
    MatmulToGPUPassOptions matmul;
    matmul.cublas = cublasFromRows.has_value();
    matmul.cublasMinRows = cublasFromRows.value_or(0);
    pm.addPass(createMatmulToGPUPass(matmul));
    pm.addPass(createReductionsToGPUPass());
    pm.addPass(createConvertLinalgToParallelLoopsPass());
    pm.addPass(createBuffersToGPUPass());
  }
  else
    pm.addPass(createCopiesToLinalgPass());
  if (!forGPU)
    pm.addPass(createConvertLinalgToLoopsPass());
}
