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
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace mlir;

/// Rows of a projection from which matmul=auto calls cuBLAS: two chunks of
/// the warp kernel's 8 rows, each of which reads the weight again. A decode
/// step has one row per sequence, a prefill one per prompt token.
static constexpr int64_t kCublasMinRows = 16;

/// Where a CUDA toolkit keeps libdevice.
static std::string libdeviceIn(StringRef root) {
  SmallString<128> path(root);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  return std::string(path);
}

/// libdevice of the CUDA toolkit at `cudaPath` when one is given (validate()
/// has checked that it is there), otherwise of $CUDA_HOME or
/// /usr/local/cuda; empty if there is none (kernels that need no libdevice
/// still compile).
static std::string findLibdevice(StringRef cudaPath) {
  if (!cudaPath.empty())
    return libdeviceIn(cudaPath);
  SmallVector<std::string, 2> roots;
  if (const char *home = std::getenv("CUDA_HOME"))
    roots.push_back(home);
  roots.push_back("/usr/local/cuda");
  for (const std::string &root : roots)
    if (std::string path = libdeviceIn(root); llvm::sys::fs::exists(path))
      return path;
  return "";
}

/// `features` with every +ptxNN below +ptx`least` raised to it, and
/// +ptx`least` added where it names no PTX version.
static std::string withPtxAtLeast(StringRef features, int least) {
  SmallVector<StringRef> items;
  if (!features.empty())
    features.split(items, ',');
  std::string out;
  bool named = false;
  for (StringRef item : items) {
    int version = 0;
    std::string kept = item.str();
    if (item.starts_with("+ptx") &&
        !item.drop_front(4).getAsInteger(10, version)) {
      named = true;
      if (version < least)
        kept = "+ptx" + std::to_string(least);
    }
    out += (out.empty() ? "" : ",") + kept;
  }
  if (!named)
    out += (out.empty() ? "" : ",") + ("+ptx" + std::to_string(least));
  return out;
}

/// Whether `features` is a comma-separated list of +name and -name items,
/// the form the NVPTX backend reads (e.g. "+ptx80"); empty is none.
static bool isFeatureList(StringRef features) {
  if (features.empty())
    return true;
  SmallVector<StringRef> items;
  features.split(items, ',');
  return llvm::all_of(items, [](StringRef item) {
    return item.size() > 1 && (item[0] == '+' || item[0] == '-') &&
           llvm::all_of(item.drop_front(), [](char c) {
             return llvm::isAlnum(c) || c == '_' || c == '.';
           });
  });
}

std::optional<std::string> mlir::attn::GPUPipelineOptions::validate() const {
  // Checked before anything is built, and narrower than what the
  // serialization takes (offload, and the long spellings).
  if (!llvm::is_contained({"isa", "bin", "fatbin"}, format.getValue()))
    return "format '" + format.getValue() +
           "' is not one of isa, bin, fatbin";
  if (std::optional<std::string> why =
          validateScheduleOptions(scheduleOptions()))
    return *why;
  if (!llvm::is_contained({"warp", "cublas", "auto"}, matmul.getValue()))
    return "matmul '" + matmul.getValue() +
           "' is not one of warp, cublas, auto";
  if (!isFeatureList(features))
    return "features '" + features.getValue() +
           "' must be a comma-separated list of +feature or -feature items "
           "(e.g. +ptx80)";
  if (optLevel < 0 || optLevel > 3)
    return "opt-level (" + std::to_string(optLevel) + ") must lie in [0, 3]";
  // A toolkit that was asked for and is not there is an error: falling back
  // to another one would build against a libdevice nobody chose.
  if (!cudaPath.empty()) {
    if (!llvm::sys::fs::is_directory(cudaPath.getValue()))
      return "cuda-path '" + cudaPath.getValue() + "' is not a directory";
    if (std::string libdevice = libdeviceIn(cudaPath);
        !llvm::sys::fs::exists(libdevice))
      return "cuda-path '" + cudaPath.getValue() + "' has no " + libdevice +
             ": not a CUDA toolkit";
  }
  return std::nullopt;
}

void mlir::attn::buildAttnToNVVMPipeline(OpPassManager &pm,
                                         const GPUPipelineOptions &options) {
  // KV caches become tensors first; convert-attn-to-gpu then reads an
  // attended prefix in place, and attn-buffers-to-gpu (in the
  // bufferization) puts the caches in device memory and their appends in
  // copy kernels.
  addAttentionFrontPasses(pm);
  ConvertAttnToGPUPassOptions gpu;
  copySchedulingOptions(options, gpu);
  gpu.chip = options.chip;
  gpu.qTile = options.qTile;
  gpu.kvTile = options.kvTile;
  gpu.threads = options.threads;
  pm.addPass(createConvertAttnToGPUPass(gpu));
  pm.addPass(createCanonicalizerPass());
  // auto: cuBLAS where its tensor cores pay (a prefill's projections), the
  // warp kernels where reading the weights once is all (a decode step's).
  std::optional<int64_t> cublasFromRows;
  if (options.matmul == "cublas")
    cublasFromRows = 0;
  else if (options.matmul == "auto")
    cublasFromRows = kCublasMinRows;
  addBufferizationPasses(pm, /*forGPU=*/true, cublasFromRows);
  // An fp8 KV cache's quantizing append converts to f8E4M3FN in a kernel,
  // which convert-gpu-to-nvvm has no lowering for.
  pm.addPass(createExpandF8E4M3FNPass());

  // Host and kernel in one module, down to the point where they part.
  pm.addPass(createConvertNVGPUToNVVMPass());
  // The canonicalizer hoists every constant of a launch body to the host
  // function; outlining would pass each as a kernel argument, which ptxas
  // must then keep in a register instead of an immediate. Sink them back.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  // Outlining copies the constant globals a kernel reads (the sm90 planned
  // order's table) into the kernel's module; the host's copy, in a device
  // address space that host lowering has no number for, is then unused.
  pm.addPass(createSymbolDCEPass());
  // A function's kernels, allocations, frees and copies run in order on one
  // stream, and the host waits only where it reads device memory, calls
  // out (cuBLAS, the runtime's checks) or returns: a decode step would
  // otherwise wait for each of its hundreds of kernels in turn. The KV
  // cache checks move ahead of the GPU work first, so they cost no wait.
  pm.addNestedPass<func::FuncOp>(createHoistCacheChecksPass());
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  // TMA's tensor-map fence (fence.proxy.tensormap) is PTX 8.3; only the
  // sm90 schedules (on sm_90a, named or picked by auto) copy with TMA.
  bool mayUseTma = options.tma && options.chip == "sm_90a" &&
                   (StringRef(options.schedule).starts_with("sm90") ||
                    options.schedule == "auto");
  target.features = mayUseTma ? withPtxAtLeast(options.features, 83)
                              : options.features.getValue();
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
  GPUModulesToBinariesPassOptions binary;
  binary.format = options.format;
  // ptxas (for bin and fatbin) comes from the same toolkit as libdevice.
  binary.toolkitPath = options.cudaPath;
  pm.addPass(createGPUModulesToBinariesPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}
