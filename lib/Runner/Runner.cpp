//===- Runner.cpp - attn-runner: the driver -------------------------------===//
//
// Parses the module, picks and validates the entry, prepares its inputs
// (seeded random or .npy; a model graph's weights and token ids through
// ModelArguments.cpp), runs it on the chosen target (Target.h: the calls
// in Target.cpp, how the CPU and a GPU make them in CPUTarget.cpp and
// GPUTarget.cpp), and for --check and --benchmark recovers the attention
// behind each result (Check.cpp), so that Reference.cpp can judge the
// results and Benchmark.cpp can count their work. The entry's signature is
// recorded before lowering, because lowering rewrites it into memrefs and then
// into LLVM structs. An entry may return several tensors; each is poisoned,
// copied back, checked and written on its own.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/Runner.h"
#include "attn/Runner/Target.h"

#include "Check.h"

#include "attn/Conversion/AttnToGPU.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Frontend/Checkpoint.h"
#include "attn/Runner/Benchmark.h"
#include "attn/Runner/ModelArguments.h"
#include "attn/Runner/Npy.h"
#include "attn/Runner/Reference.h"
#include "attn/Runtime/CudaRuntime.h"
#include "attn/Support/ParserGuard.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>

#include <unistd.h>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

//===----------------------------------------------------------------------===//
// Entry and signature
//===----------------------------------------------------------------------===//

static llvm::Expected<func::FuncOp> findEntry(ModuleOp module,
                                              llvm::StringRef name) {
  if (!name.empty()) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func || func.isDeclaration())
      return error("no func.func with a body named @" + name + " (--entry)");
    return func;
  }
  SmallVector<func::FuncOp> candidates;
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isDeclaration())
      candidates.push_back(func);
  if (candidates.size() == 1)
    return candidates.front();
  if (candidates.empty())
    return error("the module has no public func.func to run");
  std::string names;
  for (auto func : candidates)
    names += (names.empty() ? "@" : ", @") + func.getSymName().str();
  return error("the module has " + llvm::Twine(candidates.size()) +
               " public functions (" + names + "); choose one with --entry");
}

/// An entry argument's signature: a tensor's, or none for a 64-bit integer.
using ArgSignature = std::optional<TensorSignature>;

static llvm::Expected<TensorSignature> signatureOf(Type type,
                                                   const llvm::Twine &what) {
  std::string typeStr;
  llvm::raw_string_ostream(typeStr) << type;
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::optional<ElementType> elt =
      tensor ? elementTypeFor(tensor.getElementType()) : std::nullopt;
  if (!elt)
    return error(what + " has type " + typeStr +
                 "; attn-runner needs ranked tensors of f16, bf16, f32, f64, "
                 "i64 (token ids), or i8 or f8E4M3FN (a quantized KV "
                 "cache's codes)");
  if (!tensor.hasStaticShape())
    return error(what + " has type " + typeStr +
                 "; attn-runner needs static shapes (dynamic extents are not "
                 "supported)");
  return TensorSignature{*elt, llvm::to_vector(tensor.getShape())};
}

/// Bytes of memory this machine has, or nullopt where it cannot be told.
static std::optional<uint64_t> physicalMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return std::nullopt;
  return uint64_t(pages) * uint64_t(pageSize);
}

/// Checks, before anything is allocated, that every host tensor the run
/// needs has a size int64 can hold and that together they fit in the
/// machine's memory. Without this a wrapped size allocates a few bytes for a
/// huge tensor, and a merely huge one ends in an out-of-memory abort or in
/// filling swap for hours.
static llvm::Error checkHostSizes(llvm::ArrayRef<ArgSignature> args,
                                  llvm::ArrayRef<TensorSignature> results,
                                  llvm::StringRef name) {
  uint64_t total = 0;
  auto add = [&](const TensorSignature &sig,
                 const llvm::Twine &what) -> llvm::Error {
    std::optional<int64_t> bytes = sig.checkedByteSize();
    if (!bytes)
      return error(what + " of @" + name + " (" + sig.str() +
                   ") has a size in bytes that overflows int64");
    total = llvm::SaturatingAdd(total, uint64_t(*bytes));
    return llvm::Error::success();
  };
  for (auto [i, sig] : llvm::enumerate(args))
    if (sig)
      if (llvm::Error err = add(*sig, "argument " + llvm::Twine(i)))
        return err;
  for (auto [i, sig] : llvm::enumerate(results))
    if (llvm::Error err =
            add(sig, results.size() == 1 ? std::string("the result")
                                         : "result " + std::to_string(i)))
      return err;
  std::optional<uint64_t> memory = physicalMemoryBytes();
  if (memory && total > *memory)
    return error("the arguments and the result" +
                 llvm::Twine(results.size() == 1 ? "" : "s") + " of @" + name +
                 " need " + llvm::Twine(total) +
                 " bytes of host memory, more than the " +
                 llvm::Twine(*memory) + " this machine has");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

/// Fills `t` with N(0, 1) samples rounded to its element type. Each argument
/// has its own stream (seeded by the seed and its index), so replacing one
/// input by an .npy file leaves the others unchanged. Box-Muller over
/// mt19937_64 and seed_seq, all three fully specified, so the values are the
/// same with every C++ library.
static void fillNormal(HostTensor &t, uint64_t seed, unsigned argIndex) {
  std::seed_seq seq{uint32_t(seed), uint32_t(seed >> 32), argIndex};
  std::mt19937_64 gen(seq);
  auto uniform = [&] { return (double(gen() >> 11) + 0.5) * 0x1p-53; };
  for (int64_t i = 0, e = t.size(); i < e; i += 2) {
    double r = std::sqrt(-2 * std::log(uniform())),
           theta = 2 * M_PI * uniform();
    t.set(i, r * std::cos(theta));
    if (i + 1 < e)
      t.set(i + 1, r * std::sin(theta));
  }
}

/// What the entry's argument attributes say its arguments are. The
/// attributes are removed once read: they mean nothing to the lowering, and
/// the LLVM IR translation would warn about each one.
static SmallVector<ModelArgument> takeModelArguments(func::FuncOp entry) {
  SmallVector<ModelArgument> model(entry.getNumArguments());
  for (auto [i, arg] : llvm::enumerate(model)) {
    if (auto name = entry.getArgAttrOfType<StringAttr>(i, "attn.weight"))
      arg.weight = name.str();
    if (auto vocab =
            entry.getArgAttrOfType<IntegerAttr>(i, "attn.vocab_size"))
      arg.vocabSize = vocab.getInt();
    entry.removeArgAttr(i, "attn.weight");
    entry.removeArgAttr(i, "attn.vocab_size");
  }
  return model;
}

/// The tensor argument `i` gets when no --input names it: its checkpoint
/// tensor, its --tokens, or N(0, 1) samples.
static llvm::Expected<HostTensor>
defaultInput(const RunnerOptions &options, const TensorSignature &sig,
             const ModelArgument &model, unsigned i,
             const frontend::Checkpoint *checkpoint, bool &tokensUsed) {
  if (!model.weight.empty()) {
    if (!checkpoint)
      return error("argument " + llvm::Twine(i) + " takes tensor '" +
                   model.weight +
                   "' (attn.weight); give the model directory with "
                   "--weights=<dir>, or the tensor with --input " +
                   llvm::Twine(i) + "=<path.npy>");
    return loadWeight(*checkpoint, model.weight, sig, i);
  }
  if (model.cache) {
    // A cache the entry takes starts empty, as attn.cache.create makes it.
    HostTensor tensor(sig);
    tensor.fill(0);
    return tensor;
  }
  if (sig.type == ElementType::I64) {
    // Random integers mean nothing: ids would index outside a vocabulary,
    // lengths outside the keys.
    if (options.tokens.empty() || tokensUsed)
      return error("argument " + llvm::Twine(i) + " (" + sig.str() +
                   ") holds integers (ids or lengths); give them with "
                   "--tokens=<id,...> or --input " +
                   llvm::Twine(i) + "=<a,b,...> or --input " +
                   llvm::Twine(i) + "=<path.npy>");
    tokensUsed = true;
    return parseTokens(options.tokens, sig, i);
  }
  HostTensor tensor(sig);
  fillNormal(tensor, options.seed, i);
  return tensor;
}

static llvm::Expected<std::vector<EntryArgument>>
prepareInputs(const RunnerOptions &options, llvm::ArrayRef<ArgSignature> sigs,
              llvm::ArrayRef<ModelArgument> model, llvm::raw_ostream &os) {
  std::vector<std::string> paths(sigs.size());
  for (llvm::StringRef item : options.inputs) {
    auto [index, path] = item.split('=');
    unsigned i;
    if (path.empty() || index.getAsInteger(10, i))
      return error("--input expects ARGINDEX=path.npy (or ARGINDEX=integer "
                   "for an integer argument, ARGINDEX=id,id,... for an i64 "
                   "tensor), got '" +
                   item + "'");
    if (i >= sigs.size())
      return error("--input " + item + ": the entry has " +
                   llvm::Twine(sigs.size()) + " arguments");
    if (!paths[i].empty())
      return error("--input gives argument " + llvm::Twine(i) + " twice");
    // --check replays a cache the entry takes from empty.
    if (options.check && model[i].cache)
      return error("--input " + item + ": argument " + llvm::Twine(i) +
                   " is a KV cache tensor, which --check replays from an "
                   "empty cache; leave it out to start the cache empty");
    paths[i] = path.str();
  }

  std::optional<frontend::Checkpoint> checkpoint;
  if (!options.weights.empty()) {
    if (llvm::none_of(model, [](const ModelArgument &arg) {
          return !arg.weight.empty();
        }))
      return error("--weights is given, but no argument of the entry "
                   "carries attn.weight");
    auto opened = frontend::Checkpoint::open(options.weights);
    if (!opened)
      return error("--weights: " + llvm::toString(opened.takeError()));
    checkpoint.emplace(std::move(*opened));
  }
  bool tokensUsed = false;
  unsigned fromWeights = 0, random = 0, caches = 0;
  std::optional<unsigned> fromTokens;

  std::vector<EntryArgument> inputs(sigs.size());
  for (auto [i, sig] : llvm::enumerate(sigs)) {
    if (!sig) {
      // No random default: a random position means nothing.
      if (paths[i].empty())
        return error("argument " + llvm::Twine(i) +
                     " is an integer; give its value with --input " +
                     llvm::Twine(i) + "=<integer>");
      if (llvm::StringRef(paths[i]).getAsInteger(10, inputs[i].scalar))
        return error("argument " + llvm::Twine(i) +
                     " is an integer, but --input gives '" + paths[i] + "'");
      continue;
    }
    if (paths[i].empty()) {
      bool hadTokens = tokensUsed;
      auto tensor = defaultInput(options, *sig, model[i], i,
                                 checkpoint ? &*checkpoint : nullptr,
                                 tokensUsed);
      if (!tensor)
        return tensor.takeError();
      inputs[i].tensor.emplace(std::move(*tensor));
      fromWeights += !model[i].weight.empty();
      caches += model[i].cache;
      random += model[i].weight.empty() && !model[i].cache &&
                sig->type != ElementType::I64;
      if (tokensUsed && !hadTokens)
        fromTokens = i;
    } else if (sig->type == ElementType::I64 &&
               paths[i].find_first_not_of("0123456789,-") ==
                   std::string::npos) {
      // An i64 tensor's values may be given inline: --input 3=5,9.
      auto tensor = parseTokens(paths[i], *sig, i,
                                ("--input " + llvm::Twine(i)).str());
      if (!tensor)
        return tensor.takeError();
      inputs[i].tensor.emplace(std::move(*tensor));
    } else {
      auto tensor = readNpy(paths[i], *sig);
      if (!tensor)
        return error("argument " + llvm::Twine(i) + ": " +
                     llvm::toString(tensor.takeError()));
      inputs[i].tensor.emplace(std::move(*tensor));
    }
    if (model[i].vocabSize && sig->type == ElementType::I64)
      if (llvm::Error err =
              checkTokenIds(*inputs[i].tensor, *model[i].vocabSize, i))
        return err;
  }
  if (!options.tokens.empty() && !tokensUsed)
    return error("--tokens is given, but no i64 tensor argument of the "
                 "entry is left for it");
  // Only the sources actually used are listed, so that a model run fed
  // entirely from a checkpoint does not claim random inputs.
  SmallVector<std::string> sources;
  if (random)
    sources.push_back("random normal N(0,1) rounded to the element type, "
                      "seed " +
                      std::to_string(options.seed));
  for (auto [i, path] : llvm::enumerate(paths))
    if (!path.empty())
      sources.push_back("argument " + std::to_string(i) +
                        (sigs[i] ? " from " + path : " = " + path));
  if (fromTokens)
    sources.push_back("argument " + std::to_string(*fromTokens) +
                      " from --tokens");
  if (fromWeights)
    sources.push_back(std::to_string(fromWeights) +
                      " weights (attn.weight) from " + options.weights);
  if (caches)
    sources.push_back(std::to_string(caches) +
                      " KV cache tensors, empty (zeros)");
  os << "inputs: " << (sources.empty() ? "none" : llvm::join(sources, "; "))
     << "\n";
  return inputs;
}

std::string runner::outputPath(llvm::StringRef output, unsigned index,
                               unsigned numResults) {
  if (numResults == 1)
    return output.str();
  std::string suffix = "." + std::to_string(index);
  if (output.ends_with(".npy"))
    return (output.drop_back(4) + suffix + ".npy").str();
  return output.str() + suffix;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

llvm::Error runner::runAttnRunner(const RunnerOptions &options,
                                  llvm::raw_ostream &os) {
  auto target = createTarget(options);
  if (!target)
    return target.takeError();
  for (auto [flag, tile] : {std::pair{"--q-tile", options.qTile},
                            std::pair{"--kv-tile", options.kvTile}})
    if (tile && (*tile < 1 || *tile > kMaxScheduleTile))
      return error(llvm::Twine(flag) + " (" + llvm::Twine(*tile) +
                   ") must lie in [1, " + llvm::Twine(kMaxScheduleTile) + "]");
  if (options.threads &&
      (*options.threads < 1 || *options.threads > kMaxScheduleThreads))
    return error("--gpu-threads (" + llvm::Twine(*options.threads) +
                 ") must lie in [1, " + llvm::Twine(kMaxScheduleThreads) +
                 "]");
  if (options.kvSplits < 0 || options.kvSplits > kMaxKVSplits)
    return error("--kv-splits (" + llvm::Twine(options.kvSplits) +
                 ") must lie in [0, " + llvm::Twine(kMaxKVSplits) +
                 "]; 0 picks them for the device");
  if (options.kvStages != 0 &&
      (options.kvStages < kMinKVStages || options.kvStages > kMaxKVStages))
    return error("--kv-stages (" + llvm::Twine(options.kvStages) +
                 ") must be 0 (the schedule's own) or lie in [" +
                 llvm::Twine(kMinKVStages) + ", " + llvm::Twine(kMaxKVStages) +
                 "]");
  if (options.kvWarps != 0 && options.kvWarps != 4 && options.kvWarps != 8)
    return error("--kv-warps (" + llvm::Twine(options.kvWarps) +
                 ") must be 0 (the schedule's own), 4 or 8");
  if (options.smCount < 0 || options.smCount > kMaxKVSplits)
    return error("--sm-count (" + llvm::Twine(options.smCount) +
                 ") must lie in [0, " + llvm::Twine(kMaxKVSplits) +
                 "]; 0 takes the device's own");
  // 0 is the default, the device's own peak; anything else divides.
  for (auto [flag, value] : {std::pair<const char *, double>{
                                 "--peak-tflops", options.peakTflops},
                             {"--peak-gbps", options.peakGbps}})
    if (!(value >= 0) || std::isinf(value))
      return error(llvm::Twine(flag) + " (" + std::to_string(value) +
                   ") must be positive, or 0 for the device's own");
  // At most a second: the hold is there to outlast the host's launch calls.
  if (!(options.holdMicroseconds >= 0 && options.holdMicroseconds <= 1e6))
    return error("--benchmark-hold (" +
                 std::to_string(options.holdMicroseconds) +
                 ") must lie in [0, 1000000] microseconds");
  if (!isScheduleName(options.schedule))
    return error(llvm::Twine("--schedule must be one of ") + kScheduleNames +
                 ", not '" + options.schedule + "'");
  if (!llvm::is_contained({"isa", "bin", "fatbin"}, options.gpuFormat))
    return error("--gpu-format must be isa, bin or fatbin, not '" +
                 options.gpuFormat + "'");

  DialectRegistry registry;
  registerRunnerDialects(registry);
  MLIRContext context(registry);
  // Pass diagnostics carry the location; a dump of the whole module after
  // each one would bury it.
  context.printOpOnDiagnostic(false);
  std::string message;
  auto file = openInputFile(options.inputFile, &message);
  if (!file)
    return error(message);
  if (std::optional<std::string> unsafe =
          findUnsafeIntegerList(file->getBuffer()))
    return error("'" + options.inputFile + "', " + *unsafe);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return error("cannot parse '" + options.inputFile + "'");

  auto entry = findEntry(*module, options.entry);
  if (!entry)
    return entry.takeError();
  std::string name = entry->getSymName().str();
  // A KV cache the entry takes or returns is its tensors to the runner (keys
  // and values, and their scales for a quantized cache, [B, C, H, D]):
  // attn-lower-kv-cache rewrites the signature first. A cache argument
  // starts empty; --steps feeds each returned cache to the next call.
  StepPlan plan;
  bool cacheSignature = false;
  // --check reads the caches' appends and attends, which the lowering
  // removes, in a copy of the module taken before it; `argMap` and
  // `resultMap` number that copy's arguments and results as they are after.
  OwningOpRef<ModuleOp> checkModule;
  SmallVector<unsigned> argMap, resultMap;
  {
    FunctionType original = entry->getFunctionType();
    auto isCache = llvm::IsaPred<KVCacheType>;
    cacheSignature = llvm::any_of(original.getInputs(), isCache) ||
                     llvm::any_of(original.getResults(), isCache);
    // A float cache is two tensors, keys and values; a quantized one four,
    // their codes and then their scales.
    auto tensorsOf = [](KVCacheType cache) -> unsigned {
      return cache.isQuantized() ? 4 : 2;
    };
    // The index of each argument's (or result's) first tensor once the
    // caches are lowered.
    auto loweredIndices = [&](ArrayRef<Type> types) {
      SmallVector<unsigned> indices;
      unsigned at = 0;
      for (Type t : types) {
        indices.push_back(at);
        auto cache = dyn_cast<KVCacheType>(t);
        at += cache ? tensorsOf(cache) : 1;
      }
      return indices;
    };
    auto parts = [&](ArrayRef<Type> types) {
      // Lowered index of each cache's first tensor, and its cache type.
      SmallVector<std::pair<unsigned, KVCacheType>> caches;
      for (auto [t, at] : llvm::zip(types, loweredIndices(types)))
        if (auto cache = dyn_cast<KVCacheType>(t))
          caches.push_back({at, cache});
      return caches;
    };
    auto args = parts(original.getInputs());
    auto results = parts(original.getResults());
    if (options.steps > 1) {
      if (args.empty() || args.size() != results.size())
        return error("--steps=" + llvm::Twine(options.steps) + " needs @" +
                     name + " to take KV caches and return as many, each "
                     "fed to the next call; it takes " +
                     llvm::Twine(args.size()) + " and returns " +
                     llvm::Twine(results.size()));
      for (auto [arg, result] : llvm::zip(args, results)) {
        if (arg.second != result.second)
          return error("--steps: @" + name + " returns a KV cache of another "
                       "type than the one it takes in the same place");
        for (unsigned k = 0; k < tensorsOf(arg.second); ++k)
          plan.feed.push_back({result.first + k, arg.first + k});
      }
    }
    if (cacheSignature) {
      if (options.check) {
        checkModule = module->clone();
        argMap = loweredIndices(original.getInputs());
        resultMap = loweredIndices(original.getResults());
      }
      PassManager lower(&context);
      lower.addPass(createLowerKVCachePass());
      if (failed(lower.run(*module)))
        return error("attn-lower-kv-cache failed on '" + options.inputFile +
                     "'");
      for (auto [at, cache] : args)
        for (unsigned k = 0; k < tensorsOf(cache); ++k)
          plan.cacheArgs.push_back(at + k);
    }
  }
  if (options.steps == 0)
    return error("--steps must be at least 1");
  if (options.repeatRuns == 0)
    return error("--repeat must be at least 1");
  // Repeated calls must see the same inputs; --steps changes them.
  if (options.repeatRuns > 1 && options.steps > 1)
    return error("--repeat=" + llvm::Twine(options.repeatRuns) +
                 " and --steps=" + llvm::Twine(options.steps) +
                 " cannot be combined: the repeated calls must see the same "
                 "inputs, and each step changes them");
  FunctionType type = entry->getFunctionType();
  if (type.getNumResults() == 0)
    return error("@" + name +
                 " returns nothing; attn-runner needs at least "
                 "one tensor result");
  SmallVector<ArgSignature> args;
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    if (argType.isIndex() || argType.isSignlessInteger(64)) {
      args.push_back(std::nullopt);
      continue;
    }
    auto sig =
        signatureOf(argType, "argument " + llvm::Twine(i) + " of @" + name);
    if (!sig)
      return sig.takeError();
    args.push_back(*sig);
  }
  SmallVector<ModelArgument> model = takeModelArguments(*entry);
  for (unsigned i : plan.cacheArgs)
    model[i].cache = true;
  unsigned numResults = type.getNumResults();
  SmallVector<TensorSignature> resultSigs;
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    auto sig = signatureOf(resultType,
                           (numResults == 1 ? std::string("the result")
                                            : "result " + std::to_string(i)) +
                               " of @" + name);
    if (!sig)
      return sig.takeError();
    resultSigs.push_back(*sig);
  }
  if (llvm::Error err = checkHostSizes(args, resultSigs, name))
    return err;

  // Attention written in upstream ops is raised first, so that the fusion,
  // and --check, see the attn.attention it computes.
  // The copy --check reads goes through the same passes.
  PassManager fuse(&context);
  fuse.addPass(createRaiseAttentionPass());
  fuse.addPass(createFuseRepeatKVPass());
  for (ModuleOp m : {*module, checkModule ? *checkModule : ModuleOp()})
    if (m && failed(fuse.run(m)))
      return error("attn-raise-attention or attn-fuse-repeat-kv failed on '" +
                   options.inputFile + "'");
  // --check needs each attention to recompute it, --benchmark to count the
  // work; a benchmark of something else still reports its times.
  SmallVector<CheckedAttention, 1> checked;
  func::FuncOp checkEntry =
      checkModule ? checkModule->lookupSymbol<func::FuncOp>(name) : *entry;
  if (options.check || options.benchmarkRuns) {
    auto found = findCheckedAttentions(checkEntry, argMap, resultMap);
    if (found)
      checked = std::move(*found);
    else if (options.check)
      return found.takeError();
    else
      llvm::consumeError(found.takeError());
  }

  os << "entry: @" << name << "(";
  for (auto [i, sig] : llvm::enumerate(args)) {
    os << (i ? ", " : "");
    if (sig)
      os << sig->str();
    else
      os << type.getInput(i);
  }
  os << ") -> " << (numResults == 1 ? "" : "(");
  for (auto [i, sig] : llvm::enumerate(resultSigs))
    os << (i ? ", " : "") << sig.str();
  os << (numResults == 1 ? "" : ")") << "\n";

  auto inputs = prepareInputs(options, args, model, os);
  if (!inputs)
    return inputs.takeError();

  // A cache's length and writes, which the run lowers away.
  for (CheckedAttention &c : checked) {
    if (!c.appends)
      continue;
    // --steps checks the last call's results.
    int64_t last = options.steps - 1;
    c.lengthValue = evaluateIndex(checkEntry, c.length, *inputs, argMap, last);
    if (!options.check)
      continue;
    // Every call's writes, in order, where the cache is fed from call to
    // call; else the last call's, into the cache it creates.
    for (int64_t call = c.cacheTaken ? 0 : last; call <= last; ++call)
      if (llvm::Error err = unrollAppends(checkEntry, c, *inputs, argMap, call))
        return error("--check cannot replay the cache of " +
                     (numResults == 1
                          ? std::string("the attend @") + name + " returns"
                          : "result " + std::to_string(c.result)) +
                     ": " + llvm::toString(std::move(err)));
  }

  // NaN marks every element the kernels fail to write; --check rejects it.
  std::vector<HostTensor> results;
  for (const TensorSignature &sig : resultSigs) {
    results.emplace_back(sig);
    results.back().fill(std::nan(""));
  }
  auto report =
      runOnTarget(**target, *module, *entry, *inputs, results, options, plan);
  if (!report)
    return report.takeError();
  os << "target: " << report->target << "\n";
  os << llvm::format("compile: %.1f ms", report->loadMs);
  if (!report->compile.empty())
    os << " (" << report->compile << ")";
  os << "\n";
  os << llvm::format("time: %.3f ms (first call, wall clock)\n",
                     report->firstCallMs);
  if (options.steps > 1) {
    // One token per sequence a call, as a decode step appends.
    unsigned calls = options.steps - 1;
    double perCall = report->stepsMs / calls;
    int64_t batch = results.empty() || results[0].shape().empty()
                        ? 1
                        : results[0].shape()[0];
    os << llvm::format("steps: %u calls after the first, each fed the "
                       "caches the previous returned: %.3f ms a call, %.1f "
                       "calls/s, %.1f tokens/s at batch %lld (wall clock)\n",
                       calls, perCall, 1000.0 / perCall,
                       1000.0 * batch / perCall, (long long)batch);
  }
  if (report->identicalRuns > 1)
    os << "repeat: " << report->identicalRuns
       << " calls, every result bit for bit the first call's\n";
  if (options.benchmarkRuns) {
    // The work of every attention returned, each counted once: each runs
    // as its own kernel, so an input two of them read counts for both.
    std::optional<AttentionCost> cost;
    llvm::SmallPtrSet<Operation *, 4> counted;
    for (const CheckedAttention &c : checked) {
      if (!counted.insert(c.op).second)
        continue;
      AttentionProblem problem = c.problem;
      if (c.appends)
        problem.seqK = c.lengthValue.value_or(0);
      AttentionCost one = attentionCost(problem);
      cost =
          cost ? AttentionCost{cost->flops + one.flops, cost->bytes + one.bytes}
               : one;
    }
    // The peaks describe a GPU; a CPU run gets no floor. A peak given on
    // the command line replaces the device's.
    std::optional<DevicePeaks> peaks = report->peaks;
    if (peaks && options.peakTflops > 0) {
      peaks->tflops = options.peakTflops;
      peaks->source = "--peak-tflops";
    }
    if (peaks && options.peakGbps > 0) {
      peaks->gbps = options.peakGbps;
      peaks->source += StringRef(peaks->source).starts_with("--") ? ", --peak-gbps"
                                                       : "; --peak-gbps";
    }
    printBenchmark(os, report->benchmarkWhat, report->benchmarkMs, cost, peaks);
  }

  // The results are written only once all are known to be good: a file
  // that appears only on success cannot be mistaken for the output of a run
  // that failed its check. Every result is checked, so that one failure
  // does not hide another.
  if (options.check) {
    SmallVector<std::string> failures;
    for (const CheckedAttention &c : checked) {
      std::string label =
          numResults == 1 ? "" : "result " + std::to_string(c.result) + ": ";
      if (std::optional<std::string> why =
              runCheck(c, *inputs, results[c.result], label, os))
        failures.push_back(label + *why);
    }
    if (!failures.empty())
      return error("check failed: " + llvm::join(failures, "; "));
  }
  if (!options.output.empty()) {
    for (auto [i, result] : llvm::enumerate(results)) {
      std::string path = outputPath(options.output, i, numResults);
      if (llvm::Error err = writeNpy(path, result))
        return err;
      os << "output: " << path << "\n";
    }
  }
  return llvm::Error::success();
}
