//===- CudaDriver.cpp - load the CUDA driver with dlopen ------------------===//
//
// Fills the Driver table once per process and turns failing results into
// errors that carry the driver's own error name and description.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <dlfcn.h>
#include <optional>

using namespace mlir::attn::cuda;

template <typename Fn>
static bool resolve(void *library, Fn &fn, const char *symbol,
                    std::string &missing) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!fn)
    missing += missing.empty() ? symbol : (std::string(", ") + symbol);
  return fn;
}

static std::optional<Driver> openDriver(std::string &why) {
  // The versioned name is what the NVIDIA driver package installs; the bare
  // libcuda.so is only a development link (or the toolkit's stub, which
  // fails every call).
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    why = std::string("no CUDA driver: cannot load libcuda.so.1 (") +
          dlerror() + ")";
    return std::nullopt;
  }
  Driver d;
  std::string missing;
  resolve(library, d.cuGetErrorName, "cuGetErrorName", missing);
  resolve(library, d.cuGetErrorString, "cuGetErrorString", missing);
  resolve(library, d.cuInit, "cuInit", missing);
  resolve(library, d.cuDriverGetVersion, "cuDriverGetVersion", missing);
  resolve(library, d.cuDeviceGetCount, "cuDeviceGetCount", missing);
  resolve(library, d.cuDeviceGet, "cuDeviceGet", missing);
  resolve(library, d.cuDeviceGetName, "cuDeviceGetName", missing);
  resolve(library, d.cuDeviceGetAttribute, "cuDeviceGetAttribute", missing);
  resolve(library, d.cuDeviceTotalMem, "cuDeviceTotalMem_v2", missing);
  resolve(library, d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain",
          missing);
  resolve(library, d.cuCtxPushCurrent, "cuCtxPushCurrent_v2", missing);
  resolve(library, d.cuCtxSetCurrent, "cuCtxSetCurrent", missing);
  resolve(library, d.cuCtxSynchronize, "cuCtxSynchronize", missing);
  resolve(library, d.cuModuleLoadData, "cuModuleLoadData", missing);
  resolve(library, d.cuModuleLoadDataEx, "cuModuleLoadDataEx", missing);
  resolve(library, d.cuModuleUnload, "cuModuleUnload", missing);
  resolve(library, d.cuModuleGetFunction, "cuModuleGetFunction", missing);
  resolve(library, d.cuFuncSetAttribute, "cuFuncSetAttribute", missing);
  resolve(library, d.cuLaunchKernel, "cuLaunchKernel", missing);
  resolve(library, d.cuStreamCreate, "cuStreamCreate", missing);
  resolve(library, d.cuStreamDestroy, "cuStreamDestroy_v2", missing);
  resolve(library, d.cuStreamSynchronize, "cuStreamSynchronize", missing);
  resolve(library, d.cuStreamWaitEvent, "cuStreamWaitEvent", missing);
  resolve(library, d.cuEventCreate, "cuEventCreate", missing);
  resolve(library, d.cuEventDestroy, "cuEventDestroy_v2", missing);
  resolve(library, d.cuEventRecord, "cuEventRecord", missing);
  resolve(library, d.cuEventSynchronize, "cuEventSynchronize", missing);
  resolve(library, d.cuEventElapsedTime, "cuEventElapsedTime", missing);
  resolve(library, d.cuMemAlloc, "cuMemAlloc_v2", missing);
  resolve(library, d.cuMemFree, "cuMemFree_v2", missing);
  // The stream-ordered allocator (CUDA 11.2): without it the runtime
  // allocates with cuMemAlloc.
  std::string optional;
  resolve(library, d.cuMemAllocAsync, "cuMemAllocAsync", optional);
  resolve(library, d.cuMemFreeAsync, "cuMemFreeAsync", optional);
  resolve(library, d.cuDeviceGetDefaultMemPool, "cuDeviceGetDefaultMemPool",
          optional);
  resolve(library, d.cuMemPoolSetAttribute, "cuMemPoolSetAttribute", optional);
  // TMA (CUDA 12.0): only kernels built with tma need it.
  resolve(library, d.cuTensorMapEncodeTiled, "cuTensorMapEncodeTiled",
          optional);
  // Launch attributes (CUDA 11.8): programmatic dependent launch.
  resolve(library, d.cuLaunchKernelEx, "cuLaunchKernelEx", optional);
  resolve(library, d.cuMemcpyHtoD, "cuMemcpyHtoD_v2", missing);
  resolve(library, d.cuMemcpyDtoH, "cuMemcpyDtoH_v2", missing);
  resolve(library, d.cuMemcpyAsync, "cuMemcpyAsync", missing);
  resolve(library, d.cuMemsetD8Async, "cuMemsetD8Async", missing);
  resolve(library, d.cuMemsetD16Async, "cuMemsetD16Async", missing);
  resolve(library, d.cuMemsetD32Async, "cuMemsetD32Async", missing);
  if (!missing.empty()) {
    dlclose(library);
    why =
        "the CUDA driver libcuda.so.1 lacks " + missing + " (driver too old?)";
    return std::nullopt;
  }
  return d;
}

const Driver *mlir::attn::cuda::loadDriver(std::string &why) {
  // Loaded once; a failure is remembered so that every caller gets the same
  // reason.
  struct Loaded {
    std::optional<Driver> driver;
    std::string failure;
  };
  static const Loaded loaded = [] {
    Loaded l;
    l.driver = openDriver(l.failure);
    return l;
  }();
  if (!loaded.driver) {
    why = loaded.failure;
    return nullptr;
  }
  return &*loaded.driver;
}

std::string mlir::attn::cuda::checkResult(const Driver &driver, CUresult result,
                                          const char *call) {
  if (result == CUDA_SUCCESS)
    return "";
  const char *name = nullptr, *text = nullptr;
  if (driver.cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "unknown CUDA error";
  if (driver.cuGetErrorString(result, &text) != CUDA_SUCCESS || !text)
    text = "no description";
  return std::string(call) + " failed: " + name + " (" + text + ", code " +
         std::to_string(result) + ")";
}
