//===- CudaRuntime.cpp - the GPU runtime for attn-runner's JIT ------------===//
//
// LLVM-facing wrappers of GpuRuntime.h: the `mgpu*` functions as JIT
// symbols, and the host-side calls with their messages as llvm::Error.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/CudaRuntime.h"

#include "GpuRuntime.h"

#include "llvm/ExecutionEngine/Orc/Core.h"

using namespace mlir::attn;

static llvm::Error toError(std::string message) {
  if (message.empty())
    return llvm::Error::success();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::orc::SymbolMap
mlir::attn::cuda::runtimeSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char *name, auto *function) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                               llvm::JITSymbolFlags::Exported};
  };
  add("mgpuModuleLoad", &mgpuModuleLoad);
  add("mgpuModuleLoadJIT", &mgpuModuleLoadJIT);
  add("mgpuModuleUnload", &mgpuModuleUnload);
  add("mgpuModuleGetFunction", &mgpuModuleGetFunction);
  add("mgpuLaunchKernel", &mgpuLaunchKernel);
  add("mgpuStreamCreate", &mgpuStreamCreate);
  add("mgpuStreamDestroy", &mgpuStreamDestroy);
  add("mgpuStreamSynchronize", &mgpuStreamSynchronize);
  add("mgpuStreamWaitEvent", &mgpuStreamWaitEvent);
  add("mgpuEventCreate", &mgpuEventCreate);
  add("mgpuEventDestroy", &mgpuEventDestroy);
  add("mgpuEventSynchronize", &mgpuEventSynchronize);
  add("mgpuEventRecord", &mgpuEventRecord);
  add("mgpuMemAlloc", &mgpuMemAlloc);
  add("mgpuMemFree", &mgpuMemFree);
  add("mgpuMemcpy", &mgpuMemcpy);
  add("mgpuMemset32", &mgpuMemset32);
  add("mgpuMemset16", &mgpuMemset16);
  add("mgpuSetDefaultDevice", &mgpuSetDefaultDevice);
  add("attnGpuMatmulTransposedB", &attnGpuMatmulTransposedB);
  add("attnGpuTensorMap4d", &attnGpuTensorMap4d);
  return symbols;
}

llvm::Error mlir::attn::cuda::initialize(int ordinal) {
  return toError(cuda::rt::initialize(ordinal));
}

bool mlir::attn::cuda::isAvailable() { return cuda::rt::isAvailable(); }

const mlir::attn::cuda::DeviceInfo &mlir::attn::cuda::device() {
  return cuda::rt::device();
}

llvm::Error mlir::attn::cuda::takeError() {
  return toError(cuda::rt::takeError());
}

llvm::Expected<void *> mlir::attn::cuda::allocate(size_t bytes) {
  void *ptr = nullptr;
  if (llvm::Error err = toError(cuda::rt::allocate(bytes, &ptr)))
    return std::move(err);
  return ptr;
}

llvm::Error mlir::attn::cuda::free(void *ptr) {
  return toError(cuda::rt::free(ptr));
}

llvm::Error mlir::attn::cuda::copyToDevice(void *dst, const void *src,
                                           size_t bytes) {
  return toError(cuda::rt::copyToDevice(dst, src, bytes));
}

llvm::Error mlir::attn::cuda::copyToHost(void *dst, const void *src,
                                         size_t bytes) {
  return toError(cuda::rt::copyToHost(dst, src, bytes));
}

size_t mlir::attn::cuda::allocationSize(const void *ptr) {
  return cuda::rt::allocationSize(ptr);
}

std::vector<const void *> mlir::attn::cuda::liveAllocations() {
  return cuda::rt::liveAllocations();
}

llvm::Error
mlir::attn::cuda::freeAllocationsSince(llvm::ArrayRef<const void *> before,
                                       llvm::ArrayRef<const void *> keep) {
  return toError(cuda::rt::freeAllocationsSince(before.vec(), keep.vec()));
}

llvm::Error mlir::attn::cuda::releaseTensorMaps() {
  return toError(cuda::rt::releaseTensorMaps());
}

void mlir::attn::cuda::setPoisonAllocations(bool on) {
  cuda::rt::setPoisonAllocations(on);
}

void mlir::attn::cuda::setKernelTiming(bool on) {
  cuda::rt::setKernelTiming(on);
}

void mlir::attn::cuda::setLaunchHold(uint64_t cycles) {
  cuda::rt::setLaunchHold(cycles);
}

void mlir::attn::cuda::setDependentLaunch(bool on) {
  cuda::rt::setDependentLaunch(on);
}

uint64_t mlir::attn::cuda::dependentLaunchCount() {
  return cuda::rt::callCounts().dependentLaunches;
}

llvm::Expected<double> mlir::attn::cuda::collectKernelMilliseconds(bool span) {
  double ms = 0;
  if (llvm::Error err = toError(cuda::rt::collectKernelMilliseconds(ms, span)))
    return std::move(err);
  return ms;
}
