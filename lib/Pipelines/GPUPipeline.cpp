//===- GPUPipeline.cpp - attn dialect to NVVM and a GPU binary -------------===//
//
// attn-to-nvvm-pipeline: fuses repeat_kv, builds the FlashAttention-2 kernel
// in a gpu.launch, bufferizes, and hands over to upstream's NVVM pipeline,
// which outlines the kernel, lowers it through NVVM and embeds PTX, a cubin
// or a fatbin for the chosen chip in a gpu.binary.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::buildAttnToNVVMPipeline(OpPassManager &pm,
                                         const GPUPipelineOptions &options) {
  pm.addPass(createFuseRepeatKVPass());
  ConvertAttnToGPUPassOptions gpu;
  gpu.qTile = options.qTile;
  gpu.kvTile = options.kvTile;
  gpu.threads = options.threads;
  pm.addPass(createConvertAttnToGPUPass(gpu));
  pm.addPass(createCanonicalizerPass());
  addBufferizationPasses(pm);

  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  nvvm.cubinFormat = options.format;
  nvvm.optLevel = options.optLevel;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}
