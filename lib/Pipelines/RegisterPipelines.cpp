//===- RegisterPipelines.cpp - register attn-mlir pipelines ----------------===//
//
// Makes the named pipelines available to attn-opt and attn-runner by name.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

void mlir::attn::registerAttnPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "attn-to-llvm-pipeline",
      "Lower the attn dialect to LLVM for the CPU through the FlashAttention-2 "
      "loop form",
      buildAttnToLLVMPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "attn-to-nvvm-pipeline",
      "Lower the attn dialect to FlashAttention-2 GPU kernels through NVVM, "
      "embedded as a gpu.binary, with host code in the LLVM dialect",
      buildAttnToNVVMPipeline);
}
