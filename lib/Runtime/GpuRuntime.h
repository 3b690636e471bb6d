//===- GpuRuntime.h - the mgpu* functions and device memory -----*- C++ -*-===//
//
// The runtime behind compiled GPU code, in plain C++ with no LLVM or MLIR,
// so that a compiled model links it without either:
//
//  - the `mgpu*` functions that MLIR's gpu-to-llvm lowering and gpu.binary
//    translation call (module load, kernel launch, streams, events, device
//    memory), as extern "C" functions over the CUDA driver API;
//  - what a host program needs around them: loading the driver, device
//    memory for inputs and outputs, poisoned allocations, kernel timing.
//
// The driver (libcuda.so.1) is opened with dlopen when first needed, so a
// program that links this library still starts on a machine without a GPU
// and can say why CUDA is unavailable.
//
// Errors are sticky: the first failing driver call made for compiled code is
// recorded with the driver's error name, and every later `mgpu*` call does
// nothing, so that compiled code running on after a failure cannot crash or
// write through a null pointer. The caller collects it with takeError().
// Functions that return std::string return "" on success and the reason
// otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_RUNTIME_GPURUNTIME_H
#define ATTN_LIB_RUNTIME_GPURUNTIME_H

#include "attn/Runtime/DeviceInfo.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" {
void *mgpuModuleLoad(void *data, size_t bytes);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
void *mgpuEventCreate();
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream);
void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream);
void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  void *stream);
void mgpuSetDefaultDevice(int32_t device);

/// C[m, n] += A[m, k] * B[n, k] on device buffers (row-major, C of f32, A
/// and B both of `inputType`: 0 f32, 1 f16, 2 bf16) through cuBLAS, which
/// is opened at the first call; waits for the product. What
/// attn-matmul-to-gpu emits with `cublas` (GpuBlas.cpp).
void attnGpuMatmulTransposedB(int64_t m, int64_t n, int64_t k, int64_t a,
                              int64_t b, int64_t c, int64_t inputType);

/// The device address of a TMA tensor map (CUtensorMap) of the 4-D tensor
/// at device address `address`, of `elementBytes`-byte elements (1, 2 or
/// 4): extents dim0..dim3 innermost first, byte strides stride1..stride3 of
/// the outer three, read in boxes of box0 x ... x box3 elements with the
/// 128-byte swizzle (box0 x elementBytes must be at most 128). Elements
/// outside the extents read as zeros. Maps are kept on the device and
/// reused for the same arguments; the map is written before this returns,
/// and stays valid until 4096 more have been made. An empty tensor (an
/// extent of 0) gets a stand-in map, which no copy of the kernel reads.
/// What the sm90 schedule's `tma` emits before its launch (TensorMap.cpp).
/// Returns 0 and records the failure where the driver rejects the map.
int64_t attnGpuTensorMap4d(int64_t address, int64_t elementBytes, int64_t dim0,
                           int64_t dim1, int64_t dim2, int64_t dim3,
                           int64_t stride1, int64_t stride2, int64_t stride3,
                           int64_t box0, int64_t box1, int64_t box2,
                           int64_t box3);
}

namespace mlir::attn::cuda {
/// The driver's entry points (CudaDriver.h).
struct Driver;
} // namespace mlir::attn::cuda

namespace mlir::attn::cuda::rt {

/// Loads the driver and makes the primary context of device `ordinal`
/// current on the calling thread. Called again after a success, it makes
/// that context current on the calling thread, and fails for another
/// ordinal. Compiled code that runs first (a gpu.binary's module load runs
/// as a global constructor) initialises device 0 itself.
std::string initialize(int ordinal = 0);
/// Makes the initialised device's context current on the calling thread,
/// which a driver call from a thread other than the one that initialised
/// the runtime needs.
std::string bindThread();
bool isAvailable();
const DeviceInfo &device();
/// The first driver failure of compiled code since the last call, or "".
std::string takeError();

/// For the runtime's other calls made on behalf of compiled code (GpuBlas):
/// the driver when compiled code may still use it (initialised, nothing
/// failed), else null; and the record of a failure, kept if it is the
/// first.
const Driver *usableDriver();
void recordFailure(const std::string &why);
/// With kernel timing on, brackets work the runtime issues itself on
/// `stream` (cuBLAS's products) with events, as mgpuLaunchKernel does a
/// launch: timedEnd takes what timedBegin returned (null when timing is
/// off), and collectKernelMilliseconds counts the span.
void *timedBegin(void *stream);
void timedEnd(void *start, void *stream);

std::string allocate(size_t bytes, void **ptr);
std::string free(void *ptr);
/// Synchronous copies; copyToDevice waits until the data has landed.
std::string copyToDevice(void *dst, const void *src, size_t bytes);
std::string copyToHost(void *dst, const void *src, size_t bytes);
/// Fills `bytes` bytes at `dst` with zeros and waits.
std::string zero(void *dst, size_t bytes);

/// The size of the live allocation starting at `ptr` that compiled code made
/// through mgpuMemAlloc, or 0 if there is none.
size_t allocationSize(const void *ptr);
/// The live allocations compiled code has made, by start address.
std::vector<const void *> liveAllocations();
/// Frees the allocations compiled code made that are live now, were not in
/// `before` and are not in `keep`.
std::string freeAllocationsSince(const std::vector<const void *> &before,
                                 const std::vector<const void *> &keep);

/// Frees the device memory of the TMA tensor maps that attnGpuTensorMap4d
/// keeps, once the device is idle; later calls make them again. For the
/// end of a program's use of compiled code, so that nothing is left
/// allocated.
std::string releaseTensorMaps();

/// How often compiled code has called into the runtime since the process
/// began: a profile of the host side of its GPU work.
struct CallCounts {
  uint64_t launches = 0;          // kernels
  uint64_t dependentLaunches = 0; // of them, programmatic dependents
  uint64_t libraryCalls = 0;     // cuBLAS products
  uint64_t allocations = 0;      // mgpuMemAlloc
  uint64_t frees = 0;            // mgpuMemFree
  uint64_t synchronizations = 0; // the host waiting for a stream or event
  uint64_t copies = 0;           // mgpuMemcpy
  uint64_t fills = 0;            // mgpuMemset16/32

  CallCounts &operator+=(const CallCounts &other);
};
const CallCounts &callCounts();
/// Counts a library call made for compiled code, which waits for the
/// device after it (GpuBlas), and a wait of the runtime's own for compiled
/// code (a tensor map written to the device, TensorMap.cpp).
void countLibraryCall();
void countSynchronization();
/// What compiled code did between two snapshots of callCounts().
CallCounts operator-(const CallCounts &later, const CallCounts &earlier);

void setPoisonAllocations(bool on);
void setKernelTiming(bool on);
/// Whether kernels named as dependents (attn/Runtime/DependentLaunch.h) are
/// launched as programmatic dependents of the kernel before them on their
/// stream (the default), or in plain stream order.
void setDependentLaunch(bool on);
void setLaunchHold(uint64_t cycles);
/// Milliseconds of GPU time of the kernels launched since timing was turned
/// on or last collected, waiting for them to finish; clears the record.
/// With `span`, the time from the first one's start to the last one's end,
/// gaps between them included (what events around a whole call measure);
/// else the sum of the kernels' own times, a primary kernel and the
/// dependent launched after it counting as one (from the primary's start
/// to the dependent's end: no event may lie between them).
std::string collectKernelMilliseconds(double &milliseconds, bool span = false);

} // namespace mlir::attn::cuda::rt

#endif // ATTN_LIB_RUNTIME_GPURUNTIME_H
