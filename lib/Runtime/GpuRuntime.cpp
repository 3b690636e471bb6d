//===- GpuRuntime.cpp - mgpu* functions over the CUDA driver --------------===//
//
// The contracts (names, argument types) are those of the calls that MLIR's
// gpu-to-llvm lowering and gpu.binary translation emit; see GpuRuntime.h for
// the error model. Plain C++, so that compiled models link it without LLVM;
// attn-runner registers the same functions with its JIT.
//
//===----------------------------------------------------------------------===//

#include "GpuRuntime.h"

#include "CudaDriver.h"
#include "attn/Runtime/DependentLaunch.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

using namespace mlir::attn;
using namespace mlir::attn::cuda;

namespace {
struct State {
  const Driver *driver = nullptr;
  /// The device initialize() chose and its primary context.
  int ordinal = -1;
  CUcontext context = nullptr;
  DeviceInfo info;
  /// The first failure of a driver call made by compiled code.
  std::string failure;
  bool poison = false;
  bool timing = false;
  /// SM cycles each new stream spins first while timing (setLaunchHold),
  /// and the kernel that spins, loaded on first use.
  uint64_t holdCycles = 0;
  CUfunction spin = nullptr;
  /// Start and stop events of each timed launch.
  std::vector<std::pair<CUevent, CUevent>> launches;
  /// The kernels named for programmatic dependent launch
  /// (DependentLaunch.h), and whether dependents are launched that way.
  std::set<CUfunction> primaries, dependents;
  bool dependentLaunch = true;
  /// While timing, the launch of a primary kernel whose stop event waits
  /// for its dependent, by stream: its index in `launches`.
  std::map<CUstream, size_t> openSpans;
  rt::CallCounts counts;
  /// Live allocations made by compiled code: address -> bytes.
  std::map<CUdeviceptr, size_t> allocations;
  /// Compiled code allocates from the device's stream-ordered pool, which
  /// keeps what is freed for the next allocation, unless the device has
  /// none.
  bool pooled = false;
  /// Streams that compiled code has destroyed, kept for its next ones: a
  /// decode step makes and destroys one wherever the host waits.
  std::mutex streamsLock;
  std::vector<CUstream> idleStreams;
};
} // namespace

static State &state() {
  // Never destroyed: a compiled model's module-unload destructor runs after
  // the destructors of function-local statics made later than it was.
  static State &s = *new State;
  return s;
}

/// Records the first failure of a driver call made on behalf of compiled
/// code; returns true when the call succeeded.
static bool record(CUresult result, const char *call) {
  State &s = state();
  if (result == CUDA_SUCCESS)
    return true;
  if (s.failure.empty())
    s.failure = checkResult(*s.driver, result, call);
  return false;
}

static void fail(const std::string &why) {
  if (state().failure.empty())
    state().failure = why;
}

/// Compiled code may call the driver only while nothing has failed: after a
/// failure its pointers may be null. A program that links a compiled model
/// loads the model's kernels in a global constructor, before its own code
/// could initialise anything, so the first call initialises device 0.
static const Driver *usable() {
  State &s = state();
  if (!s.driver)
    if (std::string why = rt::initialize(0); !why.empty()) {
      fail(why);
      return nullptr;
    }
  return s.failure.empty() ? s.driver : nullptr;
}

const Driver *rt::usableDriver() { return usable(); }

void rt::recordFailure(const std::string &why) { fail(why); }

/// A timing event recorded on `stream` now, or null after a failure.
static CUevent recordStop(CUstream stream) {
  const Driver *d = usable();
  CUevent stop = nullptr;
  if (d && record(d->cuEventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate"))
    record(d->cuEventRecord(stop, stream), "cuEventRecord");
  return stop;
}

/// Ends the span of the primary kernel launched last on `stream` if it is
/// still open: called before anything else is queued there, so that the
/// span holds the primary (and its dependent) only.
static void closeSpan(CUstream stream) {
  State &s = state();
  auto it = s.openSpans.find(stream);
  if (it == s.openSpans.end())
    return;
  size_t index = it->second;
  s.openSpans.erase(it);
  s.launches[index].second = recordStop(stream);
}

void *rt::timedBegin(void *stream) {
  const Driver *d = usable();
  if (!d || !state().timing)
    return nullptr;
  closeSpan(static_cast<CUstream>(stream));
  CUevent start = nullptr;
  if (!record(d->cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate"))
    return nullptr;
  if (!record(d->cuEventRecord(start, static_cast<CUstream>(stream)),
              "cuEventRecord")) {
    d->cuEventDestroy(start);
    return nullptr;
  }
  return start;
}

void rt::timedEnd(void *start, void *stream) {
  if (!start)
    return;
  // Registered even when incomplete, so that collecting them destroys them.
  state().launches.emplace_back(static_cast<CUevent>(start),
                                recordStop(static_cast<CUstream>(stream)));
}

//===----------------------------------------------------------------------===//
// The mgpu* functions
//===----------------------------------------------------------------------===//

void *mgpuModuleLoad(void *data, size_t /*bytes*/) {
  const Driver *d = usable();
  CUmodule module = nullptr;
  if (d)
    record(d->cuModuleLoadData(&module, data), "cuModuleLoadData");
  return module;
}

/// PTX is compiled by the driver when it is loaded; its log goes into the
/// error, since it is the only explanation a failing JIT gives.
void *mgpuModuleLoadJIT(void *data, int optLevel) {
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

void mgpuModuleUnload(void *module) {
  // Unloading runs at teardown, also after a failure, to release what
  // loaded fine.
  if (State &s = state(); s.driver && module)
    record(s.driver->cuModuleUnload(static_cast<CUmodule>(module)),
           "cuModuleUnload");
}

static bool endsWith(const char *name, const char *suffix) {
  size_t n = std::strlen(name), m = std::strlen(suffix);
  return n >= m && std::strcmp(name + n - m, suffix) == 0;
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  const Driver *d = usable();
  CUfunction function = nullptr;
  if (d && !record(d->cuModuleGetFunction(&function,
                                          static_cast<CUmodule>(module), name),
                   "cuModuleGetFunction"))
    state().failure += std::string(" for kernel '") + name + "'";
  // Set from the name at every lookup, so that a handle the driver reuses
  // after a module's unload never keeps another kernel's role.
  if (function) {
    State &s = state();
    s.primaries.erase(function);
    s.dependents.erase(function);
    if (endsWith(name, kPrimarySuffix))
      s.primaries.insert(function);
    if (endsWith(name, kDependentSuffix))
      s.dependents.insert(function);
  }
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  const Driver *d = usable();
  if (!d)
    return;
  for (intptr_t dim : {gridX, gridY, gridZ, blockX, blockY, blockZ})
    if (dim < 1 || dim > INT32_MAX)
      return fail("kernel launch with grid (" + std::to_string(gridX) + ", " +
                  std::to_string(gridY) + ", " + std::to_string(gridZ) +
                  ") and block (" + std::to_string(blockX) + ", " +
                  std::to_string(blockY) + ", " + std::to_string(blockZ) +
                  "): every extent must lie in [1, 2^31)");
  State &s = state();
  ++s.counts.launches;
  auto fn = static_cast<CUfunction>(function);
  auto st = static_cast<CUstream>(stream);
  // Above 48 KiB, dynamic shared memory must be opted into per kernel.
  if (smem > 48 * 1024 &&
      !record(d->cuFuncSetAttribute(
                  fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
              "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"))
    return;
  bool dependent =
      s.dependentLaunch && d->cuLaunchKernelEx && s.dependents.count(fn);
  // A dependent launched right after its primary joins the primary's span:
  // an event between the two would keep it from starting early.
  bool joins = dependent && s.openSpans.count(st);
  // A failed launch is recorded as a failure, which the run reports; its
  // span is still closed, so that collecting the spans destroys its events.
  void *span = joins ? nullptr : rt::timedBegin(stream);
  if (dependent) {
    ++s.counts.dependentLaunches;
    CUlaunchAttribute attribute{};
    attribute.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attribute.value.programmaticStreamSerializationAllowed = 1;
    CUlaunchConfig config{unsigned(gridX),  unsigned(gridY),
                          unsigned(gridZ),  unsigned(blockX),
                          unsigned(blockY), unsigned(blockZ),
                          unsigned(smem),   st,
                          &attribute,       1};
    record(d->cuLaunchKernelEx(&config, fn, params, extra),
           "cuLaunchKernelEx (a programmatic dependent launch)");
  } else {
    record(d->cuLaunchKernel(fn, gridX, gridY, gridZ, blockX, blockY, blockZ,
                             smem, st, params, extra),
           "cuLaunchKernel");
  }
  if (joins) {
    closeSpan(st);
  } else if (span && s.primaries.count(fn)) {
    // The stop waits: for the dependent, or for whatever comes next.
    s.launches.emplace_back(static_cast<CUevent>(span), nullptr);
    s.openSpans[st] = s.launches.size() - 1;
  } else {
    rt::timedEnd(span, stream);
  }
}

/// One thread that spins until `cycles` SM clock cycles have passed. PTX
/// of an old target, so that the driver compiles it for any device.
static const char kSpinPtx[] = R"(.version 7.0
.target sm_70
.address_size 64
.visible .entry attn_spin(.param .u64 cycles) {
  .reg .pred %p;
  .reg .u64 %limit, %start, %now;
  ld.param.u64 %limit, [cycles];
  mov.u64 %start, %clock64;
WAIT:
  mov.u64 %now, %clock64;
  sub.u64 %now, %now, %start;
  setp.lt.u64 %p, %now, %limit;
  @%p bra WAIT;
  ret;
}
)";

/// Queues the launch hold on `stream` (see setLaunchHold). Not timed: it is
/// the time before the call's first kernel may start.
static void hold(const Driver &d, CUstream stream) {
  State &s = state();
  static std::once_flag loaded;
  std::call_once(loaded, [&] {
    CUmodule module = nullptr;
    if (record(d.cuModuleLoadData(&module, kSpinPtx),
               "cuModuleLoadData (the launch hold)"))
      record(d.cuModuleGetFunction(&s.spin, module, "attn_spin"),
             "cuModuleGetFunction (the launch hold)");
  });
  if (!s.spin)
    return;
  uint64_t cycles = s.holdCycles;
  void *params[] = {&cycles};
  record(d.cuLaunchKernel(s.spin, 1, 1, 1, 1, 1, 1, 0, stream, params,
                          nullptr),
         "cuLaunchKernel (the launch hold)");
}

void *mgpuStreamCreate() {
  const Driver *d = usable();
  if (!d)
    return nullptr;
  State &s = state();
  CUstream stream = nullptr;
  {
    std::lock_guard<std::mutex> lock(s.streamsLock);
    if (!s.idleStreams.empty()) {
      stream = s.idleStreams.back();
      s.idleStreams.pop_back();
    }
  }
  if (!stream)
    record(d->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
           "cuStreamCreate");
  if (stream && s.timing && s.holdCycles)
    hold(*d, stream);
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  // Kept for reuse: work still queued on it runs before whatever the next
  // user queues, which orders more than needed, never less.
  State &s = state();
  if (!s.driver || !stream)
    return;
  closeSpan(static_cast<CUstream>(stream));
  std::lock_guard<std::mutex> lock(s.streamsLock);
  s.idleStreams.push_back(static_cast<CUstream>(stream));
}

void mgpuStreamSynchronize(void *stream) {
  // Kernel faults surface here; synchronize even after an earlier failure
  // would only repeat it.
  ++state().counts.synchronizations;
  closeSpan(static_cast<CUstream>(stream));
  if (const Driver *d = usable())
    record(d->cuStreamSynchronize(static_cast<CUstream>(stream)),
           "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  closeSpan(static_cast<CUstream>(stream));
  if (const Driver *d = usable())
    record(d->cuStreamWaitEvent(static_cast<CUstream>(stream),
                                static_cast<CUevent>(event), 0),
           "cuStreamWaitEvent");
}

void *mgpuEventCreate() {
  const Driver *d = usable();
  CUevent event = nullptr;
  if (d)
    record(d->cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(void *event) {
  if (State &s = state(); s.driver && event)
    record(s.driver->cuEventDestroy(static_cast<CUevent>(event)),
           "cuEventDestroy");
}

void mgpuEventSynchronize(void *event) {
  ++state().counts.synchronizations;
  if (const Driver *d = usable())
    record(d->cuEventSynchronize(static_cast<CUevent>(event)),
           "cuEventSynchronize");
}

void mgpuEventRecord(void *event, void *stream) {
  closeSpan(static_cast<CUstream>(stream));
  if (const Driver *d = usable())
    record(d->cuEventRecord(static_cast<CUevent>(event),
                            static_cast<CUstream>(stream)),
           "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  ++state().counts.allocations;
  const Driver *d = usable();
  if (!d || bytes == 0)
    return nullptr;
  if (hostShared) {
    fail("gpu.alloc host_shared is not supported: this runtime allocates "
         "device memory only");
    return nullptr;
  }
  CUdeviceptr ptr = 0;
  auto s = static_cast<CUstream>(stream);
  closeSpan(s);
  bool allocated = state().pooled
                       ? record(d->cuMemAllocAsync(&ptr, bytes, s),
                                "cuMemAllocAsync")
                       : record(d->cuMemAlloc(&ptr, bytes), "cuMemAlloc");
  if (!allocated) {
    state().failure += " allocating " + std::to_string(bytes) + " bytes";
    return nullptr;
  }
  // The poison is ordered on the stream before the work that follows the
  // allocation there; a pool-less allocation is not on any stream, so it
  // waits for its poison.
  if (state().poison &&
      (!record(d->cuMemsetD8Async(ptr, 0xff, bytes, s), "cuMemsetD8Async") ||
       (!state().pooled &&
        !record(d->cuStreamSynchronize(s), "cuStreamSynchronize")))) {
    mgpuMemFree(reinterpret_cast<void *>(ptr), stream);
    return nullptr;
  }
  state().allocations[ptr] = bytes;
  return reinterpret_cast<void *>(ptr);
}

void mgpuMemFree(void *ptr, void *stream) {
  State &s = state();
  ++s.counts.frees;
  if (!s.driver || !ptr)
    return;
  auto p = reinterpret_cast<CUdeviceptr>(ptr);
  s.allocations.erase(p);
  auto st = static_cast<CUstream>(stream);
  closeSpan(st);
  // After a failure the stream may be null and the kernels queued before it
  // still running: let them finish before the memory can be reused. A free
  // without the pool is not ordered on the stream, so it waits for it.
  if (!s.failure.empty())
    s.driver->cuCtxSynchronize();
  else if (!s.pooled && st)
    record(s.driver->cuStreamSynchronize(st), "cuStreamSynchronize");
  if (s.pooled)
    record(s.driver->cuMemFreeAsync(p, st), "cuMemFreeAsync");
  else
    record(s.driver->cuMemFree(p), "cuMemFree");
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  ++state().counts.copies;
  closeSpan(static_cast<CUstream>(stream));
  if (const Driver *d = usable())
    record(d->cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                            reinterpret_cast<CUdeviceptr>(src), bytes,
                            static_cast<CUstream>(stream)),
           "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  ++state().counts.fills;
  closeSpan(static_cast<CUstream>(stream));
  if (const Driver *d = usable())
    record(d->cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                               static_cast<CUstream>(stream)),
           "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  ++state().counts.fills;
  closeSpan(static_cast<CUstream>(stream));
  if (const Driver *d = usable())
    record(d->cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                               static_cast<CUstream>(stream)),
           "cuMemsetD16Async");
}

void mgpuSetDefaultDevice(int32_t device) {
  // The device is chosen once, by initialize(); a module asking for another
  // one would silently run elsewhere than the runner's buffers live.
  if (device != 0)
    fail("mgpuSetDefaultDevice(" + std::to_string(device) +
         "): this runtime runs on the device it was initialised with");
}

//===----------------------------------------------------------------------===//
// Initialisation and the host program's side
//===----------------------------------------------------------------------===//

std::string rt::initialize(int ordinal) {
  State &s = state();
  if (s.driver) {
    if (ordinal != s.ordinal)
      return "the CUDA runtime already runs on device " +
             std::to_string(s.ordinal) + ", not " + std::to_string(ordinal);
    return bindThread();
  }
  std::string why;
  const Driver *loaded = loadDriver(why);
  if (!loaded)
    return why;
  const Driver &d = *loaded;
  if (std::string err = checkResult(d, d.cuInit(0), "cuInit"); !err.empty())
    return err;
  int count = 0;
  if (std::string err =
          checkResult(d, d.cuDeviceGetCount(&count), "cuDeviceGetCount");
      !err.empty())
    return err;
  if (ordinal < 0 || ordinal >= count)
    return "no CUDA device " + std::to_string(ordinal) + ": the driver sees " +
           std::to_string(count);
  CUdevice device;
  if (std::string err =
          checkResult(d, d.cuDeviceGet(&device, ordinal), "cuDeviceGet");
      !err.empty())
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
    if (std::string err = checkResult(d, q.result, q.call); !err.empty())
      return err;
  info.name = name;
  info.l2Bytes = l2;
  info.totalMemoryBytes = total;
  // The primary context is the one the CUDA runtime API and other libraries
  // share; making it current here covers every later call on this thread,
  // the module loads that run as global constructors included.
  CUcontext context;
  if (std::string err =
          checkResult(d, d.cuDevicePrimaryCtxRetain(&context, device),
                      "cuDevicePrimaryCtxRetain");
      !err.empty())
    return err;
  if (std::string err =
          checkResult(d, d.cuCtxPushCurrent(context), "cuCtxPushCurrent");
      !err.empty())
    return err;
  // The pool keeps what compiled code frees (no release threshold), so
  // that a decode step's allocations come from memory the last step freed.
  CUmemoryPool pool = nullptr;
  uint64_t keepAll = UINT64_MAX;
  s.pooled = d.cuMemAllocAsync && d.cuMemFreeAsync &&
             d.cuDeviceGetDefaultMemPool && d.cuMemPoolSetAttribute &&
             d.cuDeviceGetDefaultMemPool(&pool, device) == CUDA_SUCCESS &&
             d.cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                                     &keepAll) == CUDA_SUCCESS;
  s.driver = &d;
  s.ordinal = ordinal;
  s.context = context;
  return "";
}

std::string rt::bindThread() {
  State &s = state();
  if (!s.driver)
    return "the CUDA runtime is not initialised";
  return checkResult(*s.driver, s.driver->cuCtxSetCurrent(s.context),
                     "cuCtxSetCurrent");
}

bool rt::isAvailable() {
  static const bool available = [] {
    std::string why;
    const Driver *d = loadDriver(why);
    int count = 0;
    return d && d->cuInit(0) == CUDA_SUCCESS &&
           d->cuDeviceGetCount(&count) == CUDA_SUCCESS && count > 0;
  }();
  return available;
}

const DeviceInfo &rt::device() { return state().info; }

std::string rt::takeError() {
  std::string failure = std::move(state().failure);
  state().failure.clear();
  return failure;
}

/// The host program's own calls report their errors directly, not through
/// the sticky record that compiled code uses.
static const Driver *initialized(std::string &why) {
  if (!state().driver)
    why = "the CUDA runtime is not initialised";
  return state().driver;
}

std::string rt::allocate(size_t bytes, void **ptr) {
  std::string why;
  const Driver *d = initialized(why);
  if (!d)
    return why;
  CUdeviceptr p = 0;
  if (std::string err =
          checkResult(*d, d->cuMemAlloc(&p, bytes ? bytes : 1), "cuMemAlloc");
      !err.empty())
    return err + " allocating " + std::to_string(bytes) + " bytes";
  *ptr = reinterpret_cast<void *>(p);
  return "";
}

std::string rt::free(void *ptr) {
  std::string why;
  const Driver *d = initialized(why);
  if (!d)
    return why;
  auto p = reinterpret_cast<CUdeviceptr>(ptr);
  state().allocations.erase(p);
  return checkResult(*d, d->cuMemFree(p), "cuMemFree");
}

std::string rt::copyToDevice(void *dst, const void *src, size_t bytes) {
  std::string why;
  const Driver *d = initialized(why);
  if (!d)
    return why;
  if (std::string err = checkResult(
          *d, d->cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(dst), src, bytes),
          "cuMemcpyHtoD");
      !err.empty())
    return err;
  // From pageable memory the copy may return before its DMA has landed,
  // and the kernels run on non-blocking streams that do not wait for it.
  return checkResult(*d, d->cuCtxSynchronize(), "cuCtxSynchronize");
}

std::string rt::copyToHost(void *dst, const void *src, size_t bytes) {
  std::string why;
  const Driver *d = initialized(why);
  if (!d)
    return why;
  // Kernels run on non-blocking streams, which a synchronous copy does not
  // wait for.
  if (std::string err =
          checkResult(*d, d->cuCtxSynchronize(), "cuCtxSynchronize");
      !err.empty())
    return err;
  return checkResult(
      *d, d->cuMemcpyDtoH(dst, reinterpret_cast<CUdeviceptr>(src), bytes),
      "cuMemcpyDtoH");
}

std::string rt::zero(void *dst, size_t bytes) {
  std::string why;
  const Driver *d = initialized(why);
  if (!d)
    return why;
  if (std::string err =
          checkResult(*d,
                      d->cuMemsetD8Async(reinterpret_cast<CUdeviceptr>(dst), 0,
                                         bytes, nullptr),
                      "cuMemsetD8Async");
      !err.empty())
    return err;
  return checkResult(*d, d->cuCtxSynchronize(), "cuCtxSynchronize");
}

size_t rt::allocationSize(const void *ptr) {
  auto &allocations = state().allocations;
  auto it = allocations.find(reinterpret_cast<CUdeviceptr>(ptr));
  return it == allocations.end() ? 0 : it->second;
}

std::vector<const void *> rt::liveAllocations() {
  std::vector<const void *> live;
  for (auto [ptr, bytes] : state().allocations)
    live.push_back(reinterpret_cast<const void *>(ptr));
  return live;
}

std::string rt::freeAllocationsSince(const std::vector<const void *> &before,
                                     const std::vector<const void *> &keep) {
  std::string why;
  const Driver *d = initialized(why);
  if (!d)
    return why;
  auto contains = [](const std::vector<const void *> &set, const void *p) {
    return std::find(set.begin(), set.end(), p) != set.end();
  };
  // The call may have failed with kernels still queued; none may run on
  // into memory freed here (its error, if any, was taken already).
  d->cuCtxSynchronize();
  std::vector<CUdeviceptr> made;
  for (auto [ptr, bytes] : state().allocations) {
    auto *p = reinterpret_cast<const void *>(ptr);
    if (!contains(before, p) && !contains(keep, p))
      made.push_back(ptr);
  }
  std::string first;
  for (CUdeviceptr ptr : made) {
    state().allocations.erase(ptr);
    std::string err = checkResult(*d, d->cuMemFree(ptr), "cuMemFree");
    if (first.empty())
      first = err;
  }
  return first;
}

void rt::setPoisonAllocations(bool on) { state().poison = on; }

void rt::setKernelTiming(bool on) { state().timing = on; }

void rt::setDependentLaunch(bool on) { state().dependentLaunch = on; }

void rt::setLaunchHold(uint64_t cycles) { state().holdCycles = cycles; }

const rt::CallCounts &rt::callCounts() { return state().counts; }

void rt::countLibraryCall() {
  ++state().counts.libraryCalls;
  ++state().counts.synchronizations;
}

void rt::countSynchronization() { ++state().counts.synchronizations; }

rt::CallCounts &rt::CallCounts::operator+=(const CallCounts &other) {
  launches += other.launches;
  dependentLaunches += other.dependentLaunches;
  libraryCalls += other.libraryCalls;
  allocations += other.allocations;
  frees += other.frees;
  synchronizations += other.synchronizations;
  copies += other.copies;
  fills += other.fills;
  return *this;
}

rt::CallCounts rt::operator-(const CallCounts &later,
                             const CallCounts &earlier) {
  return {later.launches - earlier.launches,
          later.dependentLaunches - earlier.dependentLaunches,
          later.libraryCalls - earlier.libraryCalls,
          later.allocations - earlier.allocations,
          later.frees - earlier.frees,
          later.synchronizations - earlier.synchronizations,
          later.copies - earlier.copies,
          later.fills - earlier.fills};
}

std::string rt::collectKernelMilliseconds(double &milliseconds, bool span) {
  std::string why;
  const Driver *d = initialized(why);
  if (!d)
    return why;
  // A span still open ends now (no stream work followed its primary).
  while (!state().openSpans.empty())
    closeSpan(state().openSpans.begin()->first);
  std::vector<std::pair<CUevent, CUevent>> &launches = state().launches;
  std::string err;
  auto elapsed = [&](CUevent start, CUevent stop) -> double {
    float ms = 0;
    if (err.empty())
      err = checkResult(*d, d->cuEventSynchronize(stop), "cuEventSynchronize");
    if (err.empty())
      err = checkResult(*d, d->cuEventElapsedTime(&ms, start, stop),
                        "cuEventElapsedTime");
    return ms;
  };
  // A pair missing an event (its creation or recording failed, which the
  // run reports) is left out of the sum; a span needs both of its ends.
  double total = 0;
  if (span && !launches.empty()) {
    CUevent first = launches.front().first, last = launches.back().second;
    if (first && last)
      total = elapsed(first, last);
    else
      err = "the call's first or last kernel has no timing event";
  } else if (!span) {
    for (auto [start, stop] : launches)
      if (start && stop)
        total += elapsed(start, stop);
  }
  // Destroy every event, also after a failure, so none leaks.
  for (auto [start, stop] : launches)
    for (CUevent e : {start, stop})
      if (e)
        d->cuEventDestroy(e);
  launches.clear();
  milliseconds = total;
  return err;
}
