//===- CPUTarget.cpp - attn-runner: lowering and running on the CPU ------===//
//
// Takes the entry from tensors to a JIT-compiled function and calls it. Each
// result becomes an out-parameter before lowering, so the caller owns the
// result buffers: the runner can poison them, bound every write to them,
// and free them, none of which it could do with buffers the callee
// allocates.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines/Pipelines.h"
#include "attn/Runner/Runner.h"
#include "attn/Runner/Target.h"
#include "attn/Runtime/KVCacheChecks.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

namespace {
/// How the CPU-compiled entry takes its results.
struct LoweredEntry {
  /// Position of the first result's out-parameter in the C interface; the
  /// others follow it in result order.
  unsigned firstOutParam = 0;
  /// Per result: true when its allocation was hoisted into the caller, so
  /// the kernel writes straight into the caller's buffer; false when it
  /// writes a temporary and copies it there.
  SmallVector<bool> inPlace;
};
} // namespace

/// Gives every result that repeats an earlier one a buffer of its own, a
/// copy of it. Each result must have its own out-parameter, and
/// buffer-results-to-out-params, hoisting the allocation of the first, would
/// otherwise read the erased allocation again for the second and crash.
static void separateRepeatedResults(func::FuncOp entry) {
  for (Block &block : entry.getBody()) {
    auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
    if (!ret)
      continue;
    OpBuilder b(ret);
    llvm::SmallPtrSet<Value, 4> seen;
    for (OpOperand &operand : ret->getOpOperands()) {
      auto type = dyn_cast<MemRefType>(operand.get().getType());
      if (seen.insert(operand.get()).second || !type || !type.hasStaticShape())
        continue;
      Value copy = memref::AllocOp::create(b, ret.getLoc(), type);
      memref::CopyOp::create(b, ret.getLoc(), operand.get(), copy);
      operand.set(copy);
    }
  }
}

/// Lowers `module` to the LLVM dialect for the CPU, with `entry` taking its
/// results as out-parameters through an `_mlir_ciface_` wrapper.
static llvm::Expected<LoweredEntry>
lowerForCPU(ModuleOp module, func::FuncOp entry, unsigned numInputs,
            unsigned numResults, const CPUPipelineOptions &cpu) {
  MLIRContext *ctx = module.getContext();
  entry->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(ctx));

  // attn-to-llvm-pipeline in its two halves, with the results turned into
  // out-parameters where the IR is on memrefs.
  PassManager front(ctx);
  buildAttnToCPULoopsPipeline(front, cpu);
  if (failed(front.run(module)))
    return error("tiling and bufferizing @" + entry.getSymName() + " failed");
  separateRepeatedResults(entry);
  PassManager outParamsPm(ctx);
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  // Hoisting replaces a result's allocation by the caller's buffer, so
  // the kernel stores straight into it instead of into a copied temporary.
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  outParamsPm.addPass(
      bufferization::createBufferResultsToOutParamsPass(outParams));
  if (failed(outParamsPm.run(module)))
    return error("turning the results of @" + entry.getSymName() +
                 " into out-parameters failed");

  FunctionType type = entry.getFunctionType();
  if (type.getNumResults() != 0 ||
      type.getNumInputs() != numInputs + numResults ||
      !llvm::all_of(type.getInputs().drop_front(numInputs),
                    llvm::IsaPred<MemRefType>))
    return error("after bufferization @" + entry.getSymName() +
                 " does not take its " + llvm::Twine(numResults) + " result" +
                 (numResults == 1 ? "" : "s") +
                 " as trailing memref out-parameters");
  LoweredEntry lowered{numInputs, SmallVector<bool>(numResults, true)};
  for (unsigned i = 0; i < numResults; ++i) {
    Value out = entry.getArgument(numInputs + i);
    for (Operation *user : out.getUsers())
      if (auto copy = dyn_cast<memref::CopyOp>(user);
          copy && copy.getTarget() == out)
        lowered.inPlace[i] = false;
  }

  PassManager lower(ctx);
  buildCPULoopsToLLVMPipeline(lower);
  if (failed(lower.run(module)))
    return error("lowering @" + entry.getSymName() + " to LLVM failed");
  return lowered;
}

namespace {
/// The compiled code's malloc and free. The CPU lowering does not free every
/// buffer it allocates (the KV caches of attn-lower-kv-cache, a result
/// computed out of place and copied), so the runner keeps the blocks the
/// code has not freed and frees them after each call, instead of leaking
/// them once per call.
struct CallHeap {
  static llvm::DenseSet<void *> &live() {
    static llvm::DenseSet<void *> blocks;
    return blocks;
  }
  static void *allocate(size_t bytes) {
    void *block = std::malloc(bytes);
    if (block)
      live().insert(block);
    return block;
  }
  static void *allocateZeroed(size_t count, size_t size) {
    void *block = std::calloc(count, size);
    if (block)
      live().insert(block);
    return block;
  }
  static void release(void *block) {
    if (block && live().erase(block))
      std::free(block);
  }
  static void releaseAll() {
    for (void *block : live())
      std::free(block);
    live().clear();
  }
  static llvm::orc::SymbolMap symbols(llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map = kvCacheCheckSymbols(interner);
    map[interner("malloc")] = {llvm::orc::ExecutorAddr::fromPtr(&allocate),
                               llvm::JITSymbolFlags::Exported};
    // LLVM may fold a malloc and a zero fill into calloc.
    map[interner("calloc")] = {
        llvm::orc::ExecutorAddr::fromPtr(&allocateZeroed),
        llvm::JITSymbolFlags::Exported};
    map[interner("free")] = {llvm::orc::ExecutorAddr::fromPtr(&release),
                             llvm::JITSymbolFlags::Exported};
    return map;
  }
};
} // namespace

namespace {
class CPUTarget : public Target {
public:
  explicit CPUTarget(const RunnerOptions &options) {
    cpu.qTile = options.qTile.value_or(cpu.qTile);
    cpu.kvTile = options.kvTile.value_or(cpu.kvTile);
  }

  llvm::Error load(ModuleOp module, func::FuncOp entry,
                   std::vector<EntryArgument> &arguments,
                   llvm::MutableArrayRef<HostTensor> results) override;
  std::string describe() const override;
  llvm::Error callChecked() override { return call(); }
  llvm::Error step(const StepPlan &plan) override;
  llvm::Expected<double> timedCall(unsigned run) override;
  std::string timingWhat() const override {
    return "wall time per call on the CPU";
  }

private:
  llvm::Error call();

  CPUPipelineOptions cpu;
  std::string name;
  LoweredEntry lowered;
  std::unique_ptr<ExecutionEngine> engine;
  std::vector<EntryArgument> *inputs = nullptr;
  llvm::MutableArrayRef<HostTensor> results;
  /// The descriptors of the tensor arguments and results, and the address
  /// of each C-interface argument.
  std::vector<std::vector<int64_t>> descs;
  std::vector<void *> pointers, args;
};
} // namespace

llvm::Error CPUTarget::load(ModuleOp module, func::FuncOp entry,
                            std::vector<EntryArgument> &arguments,
                            llvm::MutableArrayRef<HostTensor> outs) {
  name = entry.getSymName().str();
  inputs = &arguments;
  results = outs;
  auto entryLowered =
      lowerForCPU(module, entry, arguments.size(), outs.size(), cpu);
  if (!entryLowered)
    return entryLowered.takeError();
  lowered = std::move(*entryLowered);
  auto jit = createEngine(module, CallHeap::symbols);
  if (!jit)
    return jit.takeError();
  engine = std::move(*jit);

  // A memref argument is a pointer to its descriptor, an integer is passed
  // by value; the call takes the address of each.
  for (EntryArgument &arg : arguments)
    if (arg.tensor)
      descs.push_back(denseDescriptor(arg.tensor->data(), arg.tensor->shape()));
  size_t numTensorInputs = descs.size();
  for (HostTensor &result : outs)
    descs.push_back(denseDescriptor(result.data(), result.shape()));
  for (auto &d : descs)
    pointers.push_back(d.data());
  size_t next = 0;
  for (EntryArgument &arg : arguments)
    args.push_back(arg.tensor ? static_cast<void *>(&pointers[next++])
                              : static_cast<void *>(&arg.scalar));
  for (size_t i = 0; i < outs.size(); ++i)
    args.insert(args.begin() + lowered.firstOutParam + i,
                &pointers[numTensorInputs + i]);
  return llvm::Error::success();
}

std::string CPUTarget::describe() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "cpu (q-tile " << cpu.qTile << ", kv-tile " << cpu.kvTile << ")";
  auto how = [](bool inPlace) {
    return inPlace ? "written in place into the caller's buffer"
                   : "copied into the caller's buffer";
  };
  for (auto [i, inPlace] : llvm::enumerate(lowered.inPlace)) {
    os << ", result ";
    if (results.size() > 1)
      os << i << " ";
    os << how(inPlace);
  }
  return text;
}

llvm::Error CPUTarget::call() {
  llvm::Error err = invokeCInterface(*engine, name, args);
  CallHeap::releaseAll();
  // Each call reports an out-of-range KV cache position itself, taken
  // either way, so that none is left for the next call.
  llvm::Error cacheErr = takeKVCacheCheckError();
  if (err) {
    llvm::consumeError(std::move(cacheErr));
    return err;
  }
  return cacheErr;
}

llvm::Error CPUTarget::step(const StepPlan &plan) {
  for (auto [result, arg] : plan.feed)
    std::memcpy((*inputs)[arg].tensor->data(), results[result].data(),
                results[result].byteSize());
  for (EntryArgument &arg : *inputs)
    if (!arg.tensor)
      ++arg.scalar;
  return call();
}

llvm::Expected<double> CPUTarget::timedCall(unsigned /*run*/) {
  // Each run overwrites the checked result with the same values (or, after
  // --steps or for an entry that updates a cache it takes, with those of
  // later positions).
  auto start = std::chrono::steady_clock::now();
  if (llvm::Error err = call())
    return std::move(err);
  return millisecondsSince(start);
}

std::unique_ptr<Target> runner::createCPUTarget(const RunnerOptions &options) {
  return std::make_unique<CPUTarget>(options);
}
