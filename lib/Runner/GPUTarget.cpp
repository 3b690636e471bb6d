//===- GPUTarget.cpp - attn-runner: lowering and running on a CUDA GPU ----===//
//
// The entry goes through attn-to-nvvm-pipeline as a user would run it: its
// arguments become device buffers and each result a buffer the compiled
// code allocates on the device (through mgpuMemAlloc) and returns. The
// runner owns the copies in and out, so it checks each returned descriptor
// against the entry's signature and the allocation's size before reading a
// byte.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Runner/Runner.h"
#include "attn/Runner/Target.h"
#include "attn/Runtime/CudaRuntime.h"

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Runtime/KVCacheChecks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Format.h"

#include <chrono>
#include <cstdio>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Whether `op` has a GPU lowering in attn-to-nvvm-pipeline: attention and
/// KV caches become kernels, linalg ops parallel-loop kernels, and tensor
/// slices, scalar arithmetic, calls and structured control flow stay on the
/// host, where they touch no element.
static bool runsOnGPU(Operation *op) {
  Dialect *dialect = op->getDialect();
  if (isa_and_nonnull<AttnDialect, linalg::LinalgDialect, tensor::TensorDialect,
                      math::MathDialect>(dialect))
    return true;
  // A call runs the callee's host code, which attn-buffers-to-gpu checks
  // in the pipeline like the entry's.
  if (isa<func::ReturnOp, func::CallOp>(op))
    return true;
  // A constant tensor (a model graph's RoPE tables) becomes a global that
  // attn-buffers-to-gpu copies to the device.
  if (isa<arith::ConstantOp>(op))
    return true;
  // Scalars only: arith on tensors would be elementwise host code.
  if (isa_and_nonnull<arith::ArithDialect, index::IndexDialect>(dialect))
    return llvm::none_of(op->getResultTypes(), llvm::IsaPred<ShapedType>);
  return isa<scf::ForOp, scf::IfOp, scf::WhileOp, scf::YieldOp,
             scf::ConditionOp>(op);
}

/// The host code sees only device pointers; an entry that computes anything
/// else on its tensors would read device memory from the CPU.
static llvm::Error checkDeviceOnly(func::FuncOp entry) {
  Operation *bad = nullptr;
  entry.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (runsOnGPU(op))
      return WalkResult::advance();
    bad = op;
    return WalkResult::interrupt();
  });
  if (!bad)
    return llvm::Error::success();
  return error("--target=cuda runs attention, KV caches, linalg and tensor "
               "ops, calls and structured control flow (after raising and "
               "fusion), but @" +
               entry.getSymName() + " also has '" +
               bad->getName().getStringRef() +
               "', which would run on the host over device memory; use "
               "--target=cpu");
}

/// The chip the kernels are compiled for: the device's own, with the
/// architecture-specific features of Hopper (sm_90a) where it is one.
static std::string chipOf(const cuda::DeviceInfo &device) {
  std::string chip = "sm_" + std::to_string(device.computeMajor) +
                     std::to_string(device.computeMinor);
  if (device.computeMajor == 9 && device.computeMinor == 0)
    chip += "a";
  return chip;
}

/// The schedule convert-attn-to-gpu builds for each attention of `module`,
/// found on a copy raised and fused the way the pipeline does it first.
static std::string describeSchedules(ModuleOp module,
                                     const GPUPipelineOptions &gpu) {
  OwningOpRef<ModuleOp> copy = module.clone();
  PassManager pm(module.getContext());
  // A cache's attend is an attention once the caches are lowered.
  addAttentionFrontPasses(pm);
  if (failed(pm.run(*copy)))
    return gpu.schedule;
  FlashScheduleOptions options = gpu.scheduleOptions();
  std::string text;
  copy->walk([&](AttentionOp op) {
    text += (text.empty() ? "" : "; ") + describeSchedule(op, options);
  });
  return text.empty() ? std::string(gpu.schedule) : text;
}

namespace {
/// Device memory the runner allocated or took over; freed on every path.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(void *ptr) : ptr(ptr) {}
  DeviceBuffer(DeviceBuffer &&other) : ptr(other.ptr) { other.ptr = nullptr; }
  DeviceBuffer &operator=(DeviceBuffer &&other) {
    std::swap(ptr, other.ptr);
    return *this;
  }
  ~DeviceBuffer() {
    if (ptr)
      llvm::consumeError(cuda::free(ptr));
  }
  void *get() const { return ptr; }

private:
  void *ptr = nullptr;
};
} // namespace

static llvm::Expected<DeviceBuffer> upload(const HostTensor &t) {
  auto ptr = cuda::allocate(t.byteSize());
  if (!ptr)
    return ptr.takeError();
  DeviceBuffer buffer(*ptr);
  if (llvm::Error err = cuda::copyToDevice(*ptr, t.data(), t.byteSize()))
    return std::move(err);
  return buffer;
}

/// Where the descriptor of each result starts in what the entry returns,
/// in int64 words, and (last) their total. The C interface stores a
/// function's memref results as one struct of descriptors, one after the
/// other, each made of 3 + 2 x rank int64 words, so result i starts where
/// result i - 1 ends.
static llvm::SmallVector<size_t>
descriptorOffsets(llvm::ArrayRef<HostTensor> results) {
  llvm::SmallVector<size_t> offsets{0};
  for (const HostTensor &result : results)
    offsets.push_back(offsets.back() + 3 + 2 * result.shape().size());
  return offsets;
}

/// Takes over the buffers that the returned descriptors `descs` point into,
/// after checking that each is the dense, row-major, in-bounds result the
/// signature promises. Every allocation is owned before any is checked, so
/// that a bad result does not leak the others, and owned once, however many
/// results view it. A result may also be one of `inputs` (a KV cache the
/// entry took and returns, updated in place), which stays the caller's.
static llvm::Expected<std::vector<DeviceBuffer>>
takeResults(llvm::ArrayRef<int64_t> descs, llvm::ArrayRef<HostTensor> results,
            llvm::ArrayRef<DeviceBuffer> inputs = {},
            llvm::ArrayRef<size_t> inputBytes = {}) {
  auto inputSize = [&](const void *allocated) -> size_t {
    for (auto [buffer, bytes] : llvm::zip(inputs, inputBytes))
      if (buffer.get() == allocated)
        return bytes;
    return 0;
  };
  llvm::SmallVector<size_t> offsets = descriptorOffsets(results);
  std::vector<DeviceBuffer> owned;
  llvm::SmallPtrSet<void *, 4> seen;
  for (size_t i = 0; i < results.size(); ++i) {
    auto *allocated = reinterpret_cast<void *>(descs[offsets[i]]);
    if (allocated && cuda::allocationSize(allocated) &&
        seen.insert(allocated).second)
      owned.emplace_back(allocated);
  }
  for (auto [i, result] : llvm::enumerate(results)) {
    size_t at = offsets[i];
    std::string which =
        results.size() == 1 ? "" : " for result " + std::to_string(i);
    auto *allocated = reinterpret_cast<char *>(descs[at]);
    auto *aligned = reinterpret_cast<char *>(descs[at + 1]);
    if (!allocated)
      return error("the entry returned a null device buffer" + which);
    // The runtime recorded every allocation the compiled code made.
    size_t capacity = cuda::allocationSize(allocated);
    if (capacity == 0)
      capacity = inputSize(allocated);
    if (capacity == 0)
      return error("the entry returned a buffer" + which +
                   " that it did not allocate through the GPU runtime and "
                   "that is none of its arguments");
    size_t rank = result.shape().size();
    llvm::ArrayRef<int64_t> sizes = descs.slice(at + 3, rank),
                            strides = descs.slice(at + 3 + rank, rank);
    std::vector<int64_t> dense = denseDescriptor(nullptr, result.shape());
    if (sizes != llvm::ArrayRef<int64_t>(dense).slice(3, rank) ||
        strides != llvm::ArrayRef<int64_t>(dense).slice(3 + rank, rank))
      return error("the entry returned a buffer" + which +
                   " whose sizes or strides differ from its signature " +
                   result.signature().str());
    char *begin = aligned + descs[at + 2] * int64_t(elementSize(result.type()));
    if (begin < allocated || begin + result.byteSize() > allocated + capacity)
      return error("the entry returned a view of " +
                   llvm::Twine(result.byteSize()) + " bytes" + which +
                   " that does not lie within its " + llvm::Twine(capacity) +
                   "-byte allocation");
  }
  return owned;
}

/// Copies each result from the device views that `descs` describe (checked
/// by takeResults) into `results`.
static llvm::Error copyResults(llvm::ArrayRef<int64_t> descs,
                               llvm::MutableArrayRef<HostTensor> results) {
  llvm::SmallVector<size_t> offsets = descriptorOffsets(results);
  for (auto [i, result] : llvm::enumerate(results)) {
    size_t at = offsets[i];
    const char *begin = reinterpret_cast<const char *>(descs[at + 1]) +
                        descs[at + 2] * int64_t(elementSize(result.type()));
    if (llvm::Error err =
            cuda::copyToHost(result.data(), begin, result.byteSize()))
      return err;
  }
  return llvm::Error::success();
}

namespace {
/// One call of the compiled entry on device buffers.
struct DeviceCall {
  ExecutionEngine &engine;
  std::string name;
  /// descriptorOffsets of the entry's results.
  llvm::SmallVector<size_t> resultOffsets;
  /// The entry's arguments: each integer's value, or nullopt for a tensor
  /// (the next of the call's buffers).
  std::vector<std::optional<int64_t>> scalars;

  /// Calls the entry with `inputs`, its tensor arguments, and returns the
  /// results' descriptors, one after the other.
  llvm::Expected<std::vector<int64_t>>
  operator()(llvm::ArrayRef<DeviceBuffer> inputs,
             llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes) const {
    std::vector<int64_t> resultDescs(resultOffsets.back(), 0);
    std::vector<std::vector<int64_t>> descs;
    for (auto [buffer, shape] : llvm::zip(inputs, shapes))
      descs.push_back(denseDescriptor(buffer.get(), shape));
    // A C-interface function returning memrefs takes a pointer to the
    // results' descriptors first (the descriptor itself for one result, a
    // struct of them for several); a memref argument is a pointer to its
    // descriptor and an integer is passed by value. The call takes the
    // address of each.
    std::vector<void *> pointers{resultDescs.data()};
    for (auto &d : descs)
      pointers.push_back(d.data());
    std::vector<int64_t> values(scalars.size());
    std::vector<void *> args{&pointers[0]};
    size_t next = 1;
    for (auto [i, scalar] : llvm::enumerate(scalars)) {
      values[i] = scalar.value_or(0);
      args.push_back(scalar ? static_cast<void *>(&values[i])
                            : static_cast<void *>(&pointers[next++]));
    }
    std::vector<const void *> before = cuda::liveAllocations();
    // A failed CUDA call, and an out-of-range cache access (which skipped
    // its kernel and said so), are the call's errors; each is taken
    // whatever happened, so that none is left for the next call.
    llvm::Error callErr = invokeCInterface(engine, name, args);
    llvm::Error cudaErr = cuda::takeError();
    if (cudaErr)
      cudaErr = error("running @" + name + " on the GPU failed: " +
                      llvm::toString(std::move(cudaErr)));
    // The CPU target's message, unchanged: the same error on both targets.
    llvm::Error cacheErr = takeKVCacheCheckError();
    llvm::Error err = llvm::Error::success();
    for (llvm::Error *next : {&callErr, &cudaErr, &cacheErr}) {
      if (!err)
        err = std::move(*next);
      else
        llvm::consumeError(std::move(*next));
    }
    // What the call allocated and does not return (its KV caches, say)
    // is freed now; on failure, everything it allocated.
    std::vector<const void *> returned;
    if (!err)
      for (size_t at : llvm::ArrayRef(resultOffsets).drop_back())
        returned.push_back(reinterpret_cast<const void *>(resultDescs[at]));
    if (llvm::Error freed = cuda::freeAllocationsSince(before, returned)) {
      if (!err)
        err = error("running @" + name +
                    " on the GPU failed: " + llvm::toString(std::move(freed)));
      else
        llvm::consumeError(std::move(freed));
    }
    if (err)
      return std::move(err);
    return resultDescs;
  }
};
} // namespace

namespace {
class GPUTarget : public Target {
public:
  explicit GPUTarget(const RunnerOptions &options) : options(options) {}

  llvm::Error load(ModuleOp module, func::FuncOp entry,
                   std::vector<EntryArgument> &arguments,
                   llvm::MutableArrayRef<HostTensor> results) override;
  std::string describe() const override { return description; }
  std::string describeCompile() const override { return compile; }
  llvm::Error callChecked() override;
  llvm::Error step(const StepPlan &plan) override;
  llvm::Error fetchResults() override { return copyResults(last, results); }
  llvm::Error startTiming() override;
  llvm::Expected<double> timedCall(unsigned run) override;
  std::string timingWhat() const override {
    std::string what = "kernel time (CUDA events from the first kernel's "
                       "start to the last one's end), " +
                       std::to_string(rotating.size()) + " rotating input sets";
    if (options.holdMicroseconds > 0) {
      char us[32];
      std::snprintf(us, sizeof(us), "%g", options.holdMicroseconds);
      what += std::string(", launches held ") + us + " us";
    }
    if (cuda::dependentLaunchCount() > dependentsBefore)
      what += ", combine kernels launched as programmatic dependents";
    return what;
  }
  std::optional<DevicePeaks> peaks() const override { return devicePeak; }

  ~GPUTarget() override {
    // The buffers go before the engine whose code made them.
    held.clear();
    rotating.clear();
    deviceInputs.clear();
    llvm::consumeError(cuda::releaseTensorMaps());
    if (timing) {
      cuda::setKernelTiming(false);
      cuda::setLaunchHold(0);
    }
  }

private:
  const RunnerOptions &options;
  std::unique_ptr<ExecutionEngine> engine;
  std::optional<DeviceCall> call;
  llvm::MutableArrayRef<HostTensor> results;
  std::vector<HostTensor *> inputs;
  std::vector<size_t> inputBytes;
  std::vector<llvm::SmallVector<int64_t>> shapes;
  std::vector<DeviceBuffer> deviceInputs;
  /// The descriptors the last call returned, and the buffers it allocated
  /// for them.
  std::vector<int64_t> last;
  std::vector<DeviceBuffer> held;
  /// The benchmark's copies of the inputs (the first are deviceInputs).
  std::vector<std::vector<DeviceBuffer>> rotating;
  int64_t l2Bytes = 0, totalMemoryBytes = 0;
  bool timing = false;
  /// cuda::dependentLaunchCount() when timing started.
  uint64_t dependentsBefore = 0;
  std::string description, compile;
  std::optional<DevicePeaks> devicePeak;
};
} // namespace

llvm::Error GPUTarget::load(ModuleOp module, func::FuncOp entry,
                            std::vector<EntryArgument> &arguments,
                            llvm::MutableArrayRef<HostTensor> outs) {
  std::string name = entry.getSymName().str();
  results = outs;
  if (llvm::Error err = checkDeviceOnly(entry))
    return err;
  std::vector<std::optional<int64_t>> scalars;
  for (EntryArgument &arg : arguments) {
    if (arg.tensor)
      inputs.push_back(&*arg.tensor);
    scalars.push_back(arg.tensor ? std::nullopt
                                 : std::optional<int64_t>(arg.scalar));
  }
  if (llvm::Error err = cuda::initialize())
    return error("--target=cuda: " + llvm::toString(std::move(err)));
  cuda::setDependentLaunch(options.dependentLaunch);
  const cuda::DeviceInfo &device = cuda::device();
  l2Bytes = device.l2Bytes;
  totalMemoryBytes = device.totalMemoryBytes;

  // The pipeline's own defaults, where the options leave one unset.
  GPUPipelineOptions gpu;
  gpu.chip = chipOf(device);
  gpu.format = options.gpuFormat;
  gpu.cudaPath = options.cudaPath;
  gpu.matmul = options.matmul;
  gpu.qTile = options.qTile.value_or(gpu.qTile);
  gpu.kvTile = options.kvTile.value_or(gpu.kvTile);
  gpu.threads = options.threads.value_or(gpu.threads);
  copySchedulingOptions(options, gpu);
  gpu.smCount = options.smCount ? options.smCount : device.multiprocessors;
  if (std::optional<std::string> why = gpu.validate())
    return error("--target=cuda: " + *why);
  std::string schedules = describeSchedules(module, gpu);
  entry->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(module.getContext()));
  PassManager pm(module.getContext());
  buildAttnToNVVMPipeline(pm, gpu);
  auto start = std::chrono::steady_clock::now();
  if (failed(pm.run(module)))
    return error("lowering @" + name + " for " + gpu.chip + " failed");
  double loweringMs = millisecondsSince(start);

  start = std::chrono::steady_clock::now();
  auto jit = createEngine(module, [](llvm::orc::MangleAndInterner in) {
    llvm::orc::SymbolMap symbols = cuda::runtimeSymbols(in);
    for (auto &entry : kvCacheCheckSymbols(in))
      symbols.insert(entry);
    return symbols;
  });
  if (!jit)
    return jit.takeError();
  engine = std::move(*jit);
  double hostMs = millisecondsSince(start);
  // Runs the global constructors, which load the kernels.
  start = std::chrono::steady_clock::now();
  engine->initialize();
  if (llvm::Error err = cuda::takeError())
    return error("loading the kernels of @" + name +
                 " failed: " + llvm::toString(std::move(err)));
  double kernelsMs = millisecondsSince(start);
  llvm::raw_string_ostream(compile) << llvm::format(
      "lowering %.1f ms%s, host code JIT %.1f ms, kernel load %.1f ms%s; "
      "the rest is device setup and the inputs' upload",
      loweringMs, gpu.format == "isa" ? "" : " (ptxas included)", hostMs,
      kernelsMs, gpu.format == "isa" ? " (PTX compiled by the driver)" : "");

  for (const HostTensor *t : inputs) {
    shapes.emplace_back(t->shape());
    inputBytes.push_back(t->byteSize());
    auto buffer = upload(*t);
    if (!buffer)
      return buffer.takeError();
    deviceInputs.push_back(std::move(*buffer));
  }
  call.emplace(DeviceCall{*engine, name, descriptorOffsets(results), scalars});

  devicePeak =
      devicePeaks(device.name, device.computeMajor, device.computeMinor,
                  device.multiprocessors, device.clockKHz,
                  device.memoryClockKHz, device.memoryBusBits);
  llvm::raw_string_ostream(description)
      << "cuda (" << device.name << ", " << gpu.chip << ", "
      << device.multiprocessors << " SMs, CUDA driver "
      << device.driverVersion / 1000 << "." << device.driverVersion % 1000 / 10
      << "; schedule " << schedules << ", "
      << (gpu.format == "isa" ? "PTX compiled by the driver"
                              : gpu.format + " from ptxas")
      << "), result" << (results.size() == 1 ? "" : "s")
      << " allocated on the device, poisoned with NaN, copied back";
  return llvm::Error::success();
}

llvm::Error GPUTarget::callChecked() {
  // Every allocation starts as NaN, so an element the kernel does not
  // write shows up.
  cuda::setPoisonAllocations(true);
  auto desc = (*call)(deviceInputs, shapes);
  cuda::setPoisonAllocations(false);
  if (!desc)
    return desc.takeError();
  auto out = takeResults(*desc, results, deviceInputs, inputBytes);
  if (!out)
    return out.takeError();
  last = std::move(*desc);
  held = std::move(*out);
  return llvm::Error::success();
}

llvm::Error GPUTarget::step(const StepPlan &plan) {
  // The previous call's caches are this call's arguments, one position on:
  // a cache returned in place already is; one returned elsewhere is copied
  // over (through the host: the rare, out-of-place case). Every source is
  // read before any argument is written, so that caches returned in each
  // other's places do not overwrite each other.
  std::vector<int> tensorAt(call->scalars.size(), -1);
  for (size_t i = 0, next = 0; i < call->scalars.size(); ++i)
    if (!call->scalars[i])
      tensorAt[i] = next++;
  llvm::SmallVector<size_t> offsets = descriptorOffsets(results);
  std::vector<std::pair<void *, HostTensor>> staged;
  for (auto [result, arg] : plan.feed) {
    const char *from =
        reinterpret_cast<const char *>(last[offsets[result] + 1]) +
        last[offsets[result] + 2] *
            int64_t(elementSize(results[result].type()));
    void *to = deviceInputs[tensorAt[arg]].get();
    if (from == to)
      continue;
    HostTensor staging(results[result].signature());
    if (llvm::Error err =
            cuda::copyToHost(staging.data(), from, staging.byteSize()))
      return err;
    staged.emplace_back(to, std::move(staging));
  }
  for (auto &[to, staging] : staged)
    if (llvm::Error err =
            cuda::copyToDevice(to, staging.data(), staging.byteSize()))
      return err;
  for (std::optional<int64_t> &scalar : call->scalars)
    if (scalar)
      ++*scalar;
  held.clear(); // the previous call's own results
  auto next = (*call)(deviceInputs, shapes);
  if (!next)
    return next.takeError();
  auto owned = takeResults(*next, results, deviceInputs, inputBytes);
  if (!owned)
    return owned.takeError();
  held = std::move(*owned);
  last = std::move(*next);
  return llvm::Error::success();
}

llvm::Error GPUTarget::startTiming() {
  // Rotating copies of the inputs, together at least twice the L2 cache, so
  // that a timed run does not find its inputs cached by the previous one.
  size_t setBytes = 0;
  for (const HostTensor *t : inputs)
    setBytes += t->byteSize();
  size_t sets = std::clamp<size_t>((2 * size_t(l2Bytes) + setBytes - 1) /
                                       std::max<size_t>(setBytes, 1),
                                   1, 64);
  sets = std::max<size_t>(1, std::min(sets, size_t(totalMemoryBytes / 4) /
                                                std::max<size_t>(setBytes, 1)));
  held.clear();
  rotating.push_back(std::move(deviceInputs));
  for (size_t s = 1; s < sets; ++s) {
    rotating.emplace_back();
    for (const HostTensor *t : inputs) {
      auto buffer = upload(*t);
      if (!buffer)
        return buffer.takeError();
      rotating.back().push_back(std::move(*buffer));
    }
  }
  cuda::setKernelTiming(true);
  dependentsBefore = cuda::dependentLaunchCount();
  // The device's SM clock, in kHz, turns the hold into cycles.
  cuda::setLaunchHold(uint64_t(options.holdMicroseconds *
                               cuda::device().clockKHz * 1e-3));
  timing = true;
  return llvm::Error::success();
}

llvm::Expected<double> GPUTarget::timedCall(unsigned run) {
  std::vector<DeviceBuffer> &set = rotating[run % rotating.size()];
  auto desc = (*call)(set, shapes);
  if (!desc)
    return desc.takeError();
  auto out = takeResults(*desc, results, set, inputBytes);
  if (!out)
    return out.takeError();
  // From the call's first kernel to its last, as events around the whole
  // call time a peer: the gaps between kernels count.
  return cuda::collectKernelMilliseconds(/*span=*/true);
}

std::unique_ptr<Target> runner::createGPUTarget(const RunnerOptions &options) {
  return std::make_unique<GPUTarget>(options);
}
