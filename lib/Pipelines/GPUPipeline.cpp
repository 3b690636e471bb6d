//===- GPUPipeline.cpp - attn dialect to NVVM and a GPU binary -------------===//
//
// attn-to-nvvm-pipeline: raises attention written in upstream ops, fuses
// repeat_kv, builds the FlashAttention-2 kernel in a gpu.launch, bufferizes,
// outlines the kernel, lowers it through NVVM and embeds PTX, a cubin or a
// fatbin for the chosen chip in a gpu.binary.
//
// The NVVM stages follow upstream's gpu-lower-to-nvvm-pipeline, with one
// difference that is the reason this file spells them out: the kernels call
// libdevice (exp), so the NVVM target links libdevice from the CUDA toolkit
// explicitly instead of relying on the CUDA_HOME of whoever runs the tool.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace mlir;

/// libdevice of the CUDA toolkit at `cudaPath`, or of $CUDA_HOME, or of
/// /usr/local/cuda; empty if there is none (kernels that need no libdevice
/// still compile).
static std::string findLibdevice(StringRef cudaPath) {
  SmallVector<std::string, 3> roots;
  if (!cudaPath.empty())
    roots.push_back(cudaPath.str());
  if (const char *home = std::getenv("CUDA_HOME"))
    roots.push_back(home);
  roots.push_back("/usr/local/cuda");
  for (const std::string &root : roots) {
    SmallString<128> path(root);
    llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::exists(path))
      return std::string(path);
  }
  return "";
}

void mlir::attn::buildAttnToNVVMPipeline(OpPassManager &pm,
                                         const GPUPipelineOptions &options) {
  pm.addPass(createRaiseAttentionPass());
  pm.addPass(createFuseRepeatKVPass());
  ConvertAttnToGPUPassOptions gpu;
  gpu.schedule = options.schedule;
  gpu.chip = options.chip;
  gpu.qTile = options.qTile;
  gpu.kvTile = options.kvTile;
  gpu.threads = options.threads;
  gpu.kvSplits = options.kvSplits;
  gpu.smCount = options.smCount;
  pm.addPass(createConvertAttnToGPUPass(gpu));
  pm.addPass(createCanonicalizerPass());
  addBufferizationPasses(pm);

  // Host and kernel in one module, down to the point where they part.
  pm.addPass(createConvertNVGPUToNVVMPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  if (std::string libdevice = findLibdevice(options.cudaPath);
      !libdevice.empty())
    target.linkLibs.push_back(libdevice);
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // The kernels.
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());

  // The host, and the kernels compiled into it.
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}
