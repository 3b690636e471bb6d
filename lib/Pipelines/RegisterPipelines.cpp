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
  // Registered with a builder that can fail, unlike PassPipelineRegistration
  // gives: an option out of range stops the tool with a non-zero exit before
  // any pass runs, instead of reaching a pass that only prints a warning.
  registerPassPipeline(
      "attn-to-nvvm-pipeline",
      "Lower the attn dialect to FlashAttention-2 GPU kernels through NVVM, "
      "embedded as a gpu.binary, with host code in the LLVM dialect",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        GPUPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        if (std::optional<std::string> why = options.validate()) {
          (void)errorHandler("attn-to-nvvm-pipeline: " + *why);
          return failure();
        }
        buildAttnToNVVMPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> printOptions) {
        printOptions(GPUPipelineOptions());
      });
}
