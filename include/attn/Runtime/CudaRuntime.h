//===- CudaRuntime.h - the GPU runtime behind compiled modules --*- C++ -*-===//
//
// attn-runner's view of the runtime library (lib/Runtime/GpuRuntime.h, plain
// C++ that compiled models link): the `mgpu*` functions that MLIR's
// gpu-to-llvm lowering calls (module load, kernel launch, streams, events,
// device memory), as symbols for the JIT, plus what the runner needs around
// them with LLVM's error types: loading the driver, device memory for inputs
// and outputs, poisoned allocations and per-launch timing.
//
// The driver (libcuda.so.1) is opened with dlopen when first needed, so
// tools that link this library still start on machines without a GPU and can
// say why CUDA is unavailable instead of failing to load.
//
// Errors are sticky: the first failing driver call is recorded with the
// driver's error name, and every later `mgpu*` call does nothing, so that
// compiled code running on after a failure cannot crash or write through a
// null pointer. The caller collects the error with `takeError()`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDARUNTIME_H
#define ATTN_RUNTIME_CUDARUNTIME_H

#include "attn/Runtime/DeviceInfo.h"

#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn::cuda {

/// Loads the driver and makes the primary context of device `ordinal`
/// current on the calling thread. Fails, with the reason, when there is no
/// driver, no device, or the driver refuses to initialise. Calling it again
/// after a success does nothing.
llvm::Error initialize(int ordinal = 0);

/// True when `initialize` would succeed; used to choose the default target.
bool isAvailable();

/// The device `initialize` selected.
const DeviceInfo &device();

/// The first driver failure since the last call, or success.
llvm::Error takeError();

/// The `mgpu*` entry points, for ExecutionEngine::registerSymbols.
llvm::orc::SymbolMap runtimeSymbols(llvm::orc::MangleAndInterner interner);

//===----------------------------------------------------------------------===//
// Device memory for the caller's inputs and results
//===----------------------------------------------------------------------===//

llvm::Expected<void *> allocate(size_t bytes);
llvm::Error free(void *ptr);
llvm::Error copyToDevice(void *dst, const void *src, size_t bytes);
llvm::Error copyToHost(void *dst, const void *src, size_t bytes);

/// The size of the live allocation starting at `ptr` that compiled code made
/// through mgpuMemAlloc, or 0 if there is none. Lets the caller check a
/// returned buffer before it reads from it.
size_t allocationSize(const void *ptr);

/// The live allocations compiled code has made, by start address.
std::vector<const void *> liveAllocations();

/// Frees the allocations compiled code made that are live now, were not in
/// `before` (what was live before a call) and are not in `keep` (the
/// buffers the call returns). The GPU pipeline frees its kernels' scratch
/// buffers but not what bufferization allocates, such as a call's KV
/// caches; the caller releases those after each call this way.
llvm::Error freeAllocationsSince(llvm::ArrayRef<const void *> before,
                                 llvm::ArrayRef<const void *> keep);

/// Frees the TMA tensor maps the runtime keeps on the device for compiled
/// code (once the device is idle); later calls make them again.
llvm::Error releaseTensorMaps();

/// When on, every allocation compiled code makes is filled with 0xff bytes,
/// a NaN in f16, bf16, f32 and f64, so elements a kernel fails to write show
/// up in the result.
void setPoisonAllocations(bool on);

//===----------------------------------------------------------------------===//
// Kernel timing
//===----------------------------------------------------------------------===//

/// When on, every kernel launch is bracketed by CUDA events on its stream.
void setKernelTiming(bool on);

/// While timing, each stream compiled code makes starts with a kernel that
/// keeps the device busy for `cycles` SM clock cycles (0: none), so that
/// the host has queued the call's kernels before the first of them may
/// start: their timed spans then hold GPU time only, not the host's launch
/// calls, which an idle device would otherwise wait out inside them.
void setLaunchHold(uint64_t cycles);

/// Whether kernels the compiler names as dependents (a split decode's
/// combine; attn/Runtime/DependentLaunch.h) are launched as programmatic
/// dependents of the kernel before them, free to start as it ends (the
/// default), or in plain stream order. Without cuLaunchKernelEx in the
/// driver they are launched in stream order either way.
void setDependentLaunch(bool on);
/// How many kernels have been launched as programmatic dependents so far.
uint64_t dependentLaunchCount();
/// Milliseconds of GPU time of the kernels launched since timing was turned
/// on or last collected, waiting for them to finish; clears the record.
/// With `span`, from the first one's start to the last one's end, the gaps
/// between them included; else the sum of the kernels' own times (a
/// kernel and its programmatic dependent count as one span).
llvm::Expected<double> collectKernelMilliseconds(bool span = false);

} // namespace mlir::attn::cuda

#endif // ATTN_RUNTIME_CUDARUNTIME_H
