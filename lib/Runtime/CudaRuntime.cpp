//===- CudaRuntime.cpp - mgpu* functions over the CUDA driver -------------===//
//
// The contracts (names, argument types) are those of the calls that MLIR's
// gpu-to-llvm lowering and gpu.binary translation emit; see CudaRuntime.h for
// the error model. The functions are registered with the ExecutionEngine by
// name and need no external linkage.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/CudaRuntime.h"

#include "CudaDriver.h"

#include "llvm/ADT/Twine.h"
#include "llvm/ExecutionEngine/Orc/Core.h"

#include <map>

using namespace mlir::attn;
using namespace mlir::attn::cuda;

namespace {
struct State {
  const Driver *driver = nullptr;
  DeviceInfo info;
  /// The first failure of a driver call made by compiled code.
  std::string failure;
  bool poison = false;
  bool timing = false;
  /// Start and stop events of each timed launch.
  std::vector<std::pair<CUevent, CUevent>> launches;
  /// Live allocations made by compiled code: address -> bytes.
  std::map<CUdeviceptr, size_t> allocations;
};
} // namespace

static State &state() {
  static State s;
  return s;
}

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Records the first failure of a driver call made on behalf of compiled
/// code; returns true when the call succeeded.
static bool record(CUresult result, const char *call) {
  State &s = state();
  if (result == CUDA_SUCCESS)
    return true;
  llvm::Error err = checkResult(*s.driver, result, call);
  if (s.failure.empty())
    s.failure = llvm::toString(std::move(err));
  else
    llvm::consumeError(std::move(err));
  return false;
}

static void fail(const llvm::Twine &why) {
  if (state().failure.empty())
    state().failure = why.str();
}

/// Compiled code may call the runtime only after `initialize` and only while
/// nothing has failed: after a failure its pointers may be null.
static const Driver *usable() {
  State &s = state();
  if (!s.driver) {
    fail("compiled GPU code ran before the CUDA runtime was initialised");
    return nullptr;
  }
  return s.failure.empty() ? s.driver : nullptr;
}

//===----------------------------------------------------------------------===//
// The mgpu* functions
//===----------------------------------------------------------------------===//

static void *mgpuModuleLoad(void *data, size_t /*bytes*/) {
  const Driver *d = usable();
  CUmodule module = nullptr;
  if (d)
    record(d->cuModuleLoadData(&module, data), "cuModuleLoadData");
  return module;
}

/// PTX is compiled by the driver when it is loaded; its log goes into the
/// error, since it is the only explanation a failing JIT gives.
static void *mgpuModuleLoadJIT(void *data, int optLevel) {
  const Driver *d = usable();
  CUmodule module = nullptr;
  if (!d)
    return nullptr;
  char log[4096] = {0};
  int options[] = {CU_JIT_OPTIMIZATION_LEVEL, CU_JIT_ERROR_LOG_BUFFER,
                   CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {reinterpret_cast<void *>(intptr_t(optLevel)), log,
                    reinterpret_cast<void *>(sizeof(log))};
  if (!record(d->cuModuleLoadDataEx(&module, data, 3, options, values),
              "cuModuleLoadDataEx (PTX JIT)") &&
      log[0])
    state().failure += std::string("; JIT log: ") + log;
  return module;
}

static void mgpuModuleUnload(void *module) {
  // Unloading runs at teardown, also after a failure, to release what
  // loaded fine.
  if (State &s = state(); s.driver && module)
    record(s.driver->cuModuleUnload(static_cast<CUmodule>(module)),
           "cuModuleUnload");
}

static void *mgpuModuleGetFunction(void *module, const char *name) {
  const Driver *d = usable();
  CUfunction function = nullptr;
  if (d && !record(d->cuModuleGetFunction(&function,
                                          static_cast<CUmodule>(module), name),
                   "cuModuleGetFunction"))
    state().failure += std::string(" for kernel '") + name + "'";
  return function;
}

static void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                             intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                             intptr_t blockZ, int32_t smem, void *stream,
                             void **params, void **extra,
                             size_t /*paramsCount*/) {
  const Driver *d = usable();
  if (!d)
    return;
  for (intptr_t dim : {gridX, gridY, gridZ, blockX, blockY, blockZ})
    if (dim < 1 || dim > INT32_MAX)
      return fail("kernel launch with grid (" + llvm::Twine(gridX) + ", " +
                  llvm::Twine(gridY) + ", " + llvm::Twine(gridZ) +
                  ") and block (" + llvm::Twine(blockX) + ", " +
                  llvm::Twine(blockY) + ", " + llvm::Twine(blockZ) +
                  "): every extent must lie in [1, 2^31)");
  auto fn = static_cast<CUfunction>(function);
  // Above 48 KiB, dynamic shared memory must be opted into per kernel.
  if (smem > 48 * 1024 &&
      !record(d->cuFuncSetAttribute(
                  fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
              "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"))
    return;
  auto s = static_cast<CUstream>(stream);
  CUevent start = nullptr, stop = nullptr;
  if (state().timing) {
    bool ok =
        record(d->cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate") &&
        record(d->cuEventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate");
    // Registered even when incomplete, so that collecting them destroys them.
    state().launches.emplace_back(start, stop);
    if (!ok || !record(d->cuEventRecord(start, s), "cuEventRecord"))
      return;
  }
  if (!record(d->cuLaunchKernel(fn, gridX, gridY, gridZ, blockX, blockY, blockZ,
                                smem, s, params, extra),
              "cuLaunchKernel"))
    return;
  if (stop)
    record(d->cuEventRecord(stop, s), "cuEventRecord");
}

static void *mgpuStreamCreate() {
  const Driver *d = usable();
  CUstream stream = nullptr;
  if (d)
    record(d->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
           "cuStreamCreate");
  return stream;
}

static void mgpuStreamDestroy(void *stream) {
  if (State &s = state(); s.driver && stream)
    record(s.driver->cuStreamDestroy(static_cast<CUstream>(stream)),
           "cuStreamDestroy");
}

static void mgpuStreamSynchronize(void *stream) {
  // Kernel faults surface here; synchronize even after an earlier failure
  // would only repeat it.
  if (const Driver *d = usable())
    record(d->cuStreamSynchronize(static_cast<CUstream>(stream)),
           "cuStreamSynchronize");
}

static void mgpuStreamWaitEvent(void *stream, void *event) {
  if (const Driver *d = usable())
    record(d->cuStreamWaitEvent(static_cast<CUstream>(stream),
                                static_cast<CUevent>(event), 0),
           "cuStreamWaitEvent");
}

static void *mgpuEventCreate() {
  const Driver *d = usable();
  CUevent event = nullptr;
  if (d)
    record(d->cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return event;
}

static void mgpuEventDestroy(void *event) {
  if (State &s = state(); s.driver && event)
    record(s.driver->cuEventDestroy(static_cast<CUevent>(event)),
           "cuEventDestroy");
}

static void mgpuEventSynchronize(void *event) {
  if (const Driver *d = usable())
    record(d->cuEventSynchronize(static_cast<CUevent>(event)),
           "cuEventSynchronize");
}

static void mgpuEventRecord(void *event, void *stream) {
  if (const Driver *d = usable())
    record(d->cuEventRecord(static_cast<CUevent>(event),
                            static_cast<CUstream>(stream)),
           "cuEventRecord");
}

static void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  const Driver *d = usable();
  if (!d || bytes == 0)
    return nullptr;
  if (hostShared) {
    fail("gpu.alloc host_shared is not supported: this runtime allocates "
         "device memory only");
    return nullptr;
  }
  CUdeviceptr ptr = 0;
  if (!record(d->cuMemAlloc(&ptr, bytes), "cuMemAlloc")) {
    state().failure += " allocating " + std::to_string(bytes) + " bytes";
    return nullptr;
  }
  if (state().poison) {
    auto s = static_cast<CUstream>(stream);
    // Synchronous, so the poison lands before any later work on any stream.
    if (!record(d->cuMemsetD8Async(ptr, 0xff, bytes, s), "cuMemsetD8Async") ||
        !record(d->cuStreamSynchronize(s), "cuStreamSynchronize")) {
      d->cuMemFree(ptr);
      return nullptr;
    }
  }
  state().allocations[ptr] = bytes;
  return reinterpret_cast<void *>(ptr);
}

static void mgpuMemFree(void *ptr, void * /*stream*/) {
  State &s = state();
  if (!s.driver || !ptr)
    return;
  auto p = reinterpret_cast<CUdeviceptr>(ptr);
  s.allocations.erase(p);
  record(s.driver->cuMemFree(p), "cuMemFree");
}

static void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (const Driver *d = usable())
    record(d->cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                            reinterpret_cast<CUdeviceptr>(src), bytes,
                            static_cast<CUstream>(stream)),
           "cuMemcpyAsync");
}

static void mgpuMemset32(void *dst, unsigned value, size_t count,
                         void *stream) {
  if (const Driver *d = usable())
    record(d->cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                               static_cast<CUstream>(stream)),
           "cuMemsetD32Async");
}

static void mgpuMemset16(void *dst, unsigned short value, size_t count,
                         void *stream) {
  if (const Driver *d = usable())
    record(d->cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                               static_cast<CUstream>(stream)),
           "cuMemsetD16Async");
}

static void mgpuSetDefaultDevice(int32_t device) {
  // The device is chosen once, by initialize(); a module asking for another
  // one would silently run elsewhere than the runner's buffers live.
  if (device != 0)
    fail("mgpuSetDefaultDevice(" + llvm::Twine(device) +
         "): this runtime runs on the device it was initialised with");
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
  return symbols;
}

//===----------------------------------------------------------------------===//
// Initialisation and the runner's side
//===----------------------------------------------------------------------===//

llvm::Error mlir::attn::cuda::initialize(int ordinal) {
  State &s = state();
  if (s.driver)
    return llvm::Error::success();
  llvm::Expected<const Driver &> loaded = loadDriver();
  if (!loaded)
    return loaded.takeError();
  const Driver &d = *loaded;
  if (llvm::Error err = checkResult(d, d.cuInit(0), "cuInit"))
    return err;
  int count = 0;
  if (llvm::Error err =
          checkResult(d, d.cuDeviceGetCount(&count), "cuDeviceGetCount"))
    return err;
  if (ordinal < 0 || ordinal >= count)
    return error("no CUDA device " + llvm::Twine(ordinal) +
                 ": the driver "
                 "sees " +
                 llvm::Twine(count));
  CUdevice device;
  if (llvm::Error err =
          checkResult(d, d.cuDeviceGet(&device, ordinal), "cuDeviceGet"))
    return err;
  DeviceInfo &info = s.info;
  char name[256] = {0};
  int l2 = 0;
  size_t total = 0;
  struct {
    CUresult result;
    const char *call;
  } queries[] = {
      {d.cuDeviceGetName(name, sizeof(name) - 1, device), "cuDeviceGetName"},
      {d.cuDriverGetVersion(&info.driverVersion), "cuDriverGetVersion"},
      {d.cuDeviceGetAttribute(&info.computeMajor,
                              CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                              device),
       "cuDeviceGetAttribute"},
      {d.cuDeviceGetAttribute(&info.computeMinor,
                              CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                              device),
       "cuDeviceGetAttribute"},
      {d.cuDeviceGetAttribute(&info.multiprocessors,
                              CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
       "cuDeviceGetAttribute"},
      {d.cuDeviceGetAttribute(&l2, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, device),
       "cuDeviceGetAttribute"},
      {d.cuDeviceGetAttribute(&info.clockKHz, CU_DEVICE_ATTRIBUTE_CLOCK_RATE,
                              device),
       "cuDeviceGetAttribute"},
      {d.cuDeviceGetAttribute(&info.memoryClockKHz,
                              CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, device),
       "cuDeviceGetAttribute"},
      {d.cuDeviceGetAttribute(&info.memoryBusBits,
                              CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH,
                              device),
       "cuDeviceGetAttribute"},
      {d.cuDeviceTotalMem(&total, device), "cuDeviceTotalMem"},
  };
  for (auto &q : queries)
    if (llvm::Error err = checkResult(d, q.result, q.call))
      return err;
  info.name = name;
  info.l2Bytes = l2;
  info.totalMemoryBytes = total;
  // The primary context is the one the CUDA runtime API and other libraries
  // share; making it current here covers every later call on this thread,
  // the module loads that run as global constructors included.
  CUcontext context;
  if (llvm::Error err =
          checkResult(d, d.cuDevicePrimaryCtxRetain(&context, device),
                      "cuDevicePrimaryCtxRetain"))
    return err;
  if (llvm::Error err =
          checkResult(d, d.cuCtxPushCurrent(context), "cuCtxPushCurrent"))
    return err;
  s.driver = &d;
  return llvm::Error::success();
}

bool mlir::attn::cuda::isAvailable() {
  static const bool available = [] {
    llvm::Expected<const Driver &> d = loadDriver();
    if (!d) {
      llvm::consumeError(d.takeError());
      return false;
    }
    int count = 0;
    return d->cuInit(0) == CUDA_SUCCESS &&
           d->cuDeviceGetCount(&count) == CUDA_SUCCESS && count > 0;
  }();
  return available;
}

const DeviceInfo &mlir::attn::cuda::device() { return state().info; }

llvm::Error mlir::attn::cuda::takeError() {
  std::string failure = std::move(state().failure);
  state().failure.clear();
  if (failure.empty())
    return llvm::Error::success();
  return error(failure);
}

/// The runner's own calls report their errors directly, not through the
/// sticky record that compiled code uses.
static llvm::Expected<const Driver &> initialized() {
  if (!state().driver)
    return error("the CUDA runtime is not initialised");
  return *state().driver;
}

llvm::Expected<void *> mlir::attn::cuda::allocate(size_t bytes) {
  auto d = initialized();
  if (!d)
    return d.takeError();
  CUdeviceptr ptr = 0;
  if (llvm::Error err =
          checkResult(*d, d->cuMemAlloc(&ptr, bytes ? bytes : 1), "cuMemAlloc"))
    return error(llvm::toString(std::move(err)) + " allocating " +
                 llvm::Twine(bytes) + " bytes");
  return reinterpret_cast<void *>(ptr);
}

llvm::Error mlir::attn::cuda::free(void *ptr) {
  auto d = initialized();
  if (!d)
    return d.takeError();
  auto p = reinterpret_cast<CUdeviceptr>(ptr);
  state().allocations.erase(p);
  return checkResult(*d, d->cuMemFree(p), "cuMemFree");
}

llvm::Error mlir::attn::cuda::copyToDevice(void *dst, const void *src,
                                           size_t bytes) {
  auto d = initialized();
  if (!d)
    return d.takeError();
  if (llvm::Error err = checkResult(
          *d, d->cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(dst), src, bytes),
          "cuMemcpyHtoD"))
    return err;
  // From pageable memory the copy may return before its DMA has landed,
  // and the kernels run on non-blocking streams that do not wait for it.
  return checkResult(*d, d->cuCtxSynchronize(), "cuCtxSynchronize");
}

llvm::Error mlir::attn::cuda::copyToHost(void *dst, const void *src,
                                         size_t bytes) {
  auto d = initialized();
  if (!d)
    return d.takeError();
  return checkResult(
      *d, d->cuMemcpyDtoH(dst, reinterpret_cast<CUdeviceptr>(src), bytes),
      "cuMemcpyDtoH");
}

size_t mlir::attn::cuda::allocationSize(const void *ptr) {
  auto &allocations = state().allocations;
  auto it = allocations.find(reinterpret_cast<CUdeviceptr>(ptr));
  return it == allocations.end() ? 0 : it->second;
}

std::vector<const void *> mlir::attn::cuda::liveAllocations() {
  std::vector<const void *> live;
  for (auto [ptr, bytes] : state().allocations)
    live.push_back(reinterpret_cast<const void *>(ptr));
  return live;
}

llvm::Error
mlir::attn::cuda::freeAllocationsSince(llvm::ArrayRef<const void *> before,
                                       llvm::ArrayRef<const void *> keep) {
  auto d = initialized();
  if (!d)
    return d.takeError();
  std::vector<CUdeviceptr> made;
  for (auto [ptr, bytes] : state().allocations) {
    auto *p = reinterpret_cast<const void *>(ptr);
    if (!llvm::is_contained(before, p) && !llvm::is_contained(keep, p))
      made.push_back(ptr);
  }
  llvm::Error first = llvm::Error::success();
  for (CUdeviceptr ptr : made) {
    state().allocations.erase(ptr);
    llvm::Error err = checkResult(*d, d->cuMemFree(ptr), "cuMemFree");
    if (!first)
      first = std::move(err);
    else
      llvm::consumeError(std::move(err));
  }
  return first;
}

void mlir::attn::cuda::setPoisonAllocations(bool on) { state().poison = on; }

void mlir::attn::cuda::setKernelTiming(bool on) { state().timing = on; }

llvm::Expected<double> mlir::attn::cuda::collectKernelMilliseconds() {
  auto d = initialized();
  if (!d)
    return d.takeError();
  double total = 0;
  llvm::Error err = llvm::Error::success();
  for (auto [start, stop] : state().launches) {
    float ms = 0;
    if (!start || !stop) {
      if (start)
        llvm::consumeError(
            checkResult(*d, d->cuEventDestroy(start), "cuEventDestroy"));
      continue;
    }
    if (!err)
      err = checkResult(*d, d->cuEventSynchronize(stop), "cuEventSynchronize");
    if (!err)
      err = checkResult(*d, d->cuEventElapsedTime(&ms, start, stop),
                        "cuEventElapsedTime");
    total += ms;
    // Destroy every event, also after a failure, so none leaks.
    llvm::consumeError(
        checkResult(*d, d->cuEventDestroy(start), "cuEventDestroy"));
    llvm::consumeError(
        checkResult(*d, d->cuEventDestroy(stop), "cuEventDestroy"));
  }
  state().launches.clear();
  if (err)
    return std::move(err);
  return total;
}
