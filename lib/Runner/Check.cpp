//===- Check.cpp - attn-runner: the attention --check verifies ------------===//
//
// Finds the attention behind each result of the entry (an attn.attention of
// the entry's arguments, or an attn.cache.attend of a cache it fills from
// them), and for a cache unrolls and replays its appends into a zeroed cache,
// whose first `length` positions the reference reads as key and value: every
// call's writes, in order, where --steps feeds the cache from call to call;
// else the last call's, into the cache it creates.
//
//===----------------------------------------------------------------------===//

#include "Check.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::optional<int64_t> runner::evaluateIndex(
    func::FuncOp entry, Value v, llvm::ArrayRef<EntryArgument> inputs,
    llvm::ArrayRef<unsigned> argMap, int64_t step, InductionBinding iv) {
  if (iv.var && v == iv.var)
    return iv.value;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner() != &entry.getBody().front() || inputs.empty())
      return std::nullopt;
    unsigned i =
        argMap.empty() ? arg.getArgNumber() : argMap[arg.getArgNumber()];
    int64_t value;
    if (inputs[i].tensor || llvm::AddOverflow(inputs[i].scalar, step, value))
      return std::nullopt;
    return value;
  }
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    auto attr = dyn_cast<IntegerAttr>(c.getValue());
    if (!attr)
      return std::nullopt;
    return attr.getValue().getSExtValue();
  }
  if (isa<arith::IndexCastOp>(def))
    return evaluateIndex(entry, def->getOperand(0), inputs, argMap, step, iv);
  if (!isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(def))
    return std::nullopt;
  auto a = evaluateIndex(entry, def->getOperand(0), inputs, argMap, step, iv);
  auto b = evaluateIndex(entry, def->getOperand(1), inputs, argMap, step, iv);
  if (!a || !b)
    return std::nullopt;
  int64_t r;
  bool overflow = isa<arith::AddIOp>(def)   ? llvm::AddOverflow(*a, *b, r)
                  : isa<arith::SubIOp>(def) ? llvm::SubOverflow(*a, *b, r)
                                            : llvm::MulOverflow(*a, *b, r);
  if (overflow)
    return std::nullopt;
  return r;
}

/// Whether `v` can be evaluated once the integer arguments (and the
/// induction variable `iv`, if any) are known.
static bool isComputableIndex(func::FuncOp entry, Value v, Value iv = {}) {
  if (iv && v == iv)
    return true;
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() == &entry.getBody().front() &&
           isa<IndexType, IntegerType>(arg.getType());
  Operation *def = v.getDefiningOp();
  if (auto c = dyn_cast_or_null<arith::ConstantOp>(def))
    return isa<IntegerAttr>(c.getValue());
  if (isa_and_nonnull<arith::IndexCastOp>(def))
    return isComputableIndex(entry, def->getOperand(0), iv);
  if (!isa_and_nonnull<arith::AddIOp, arith::SubIOp, arith::MulIOp>(def))
    return false;
  return isComputableIndex(entry, def->getOperand(0), iv) &&
         isComputableIndex(entry, def->getOperand(1), iv);
}

/// The first operation in the body of `loop` that makes, takes or yields a
/// KV cache other than the `replayed` appends and the yield of the one cache
/// they write; null if there is none. The reference replays only those
/// appends, so anything else that touches a cache there (an attend, a call,
/// a nested loop, a second carried cache) would go unchecked.
static Operation *otherCacheUse(scf::ForOp loop,
                                const SmallPtrSetImpl<Operation *> &replayed) {
  auto isCache = llvm::IsaPred<KVCacheType>;
  Operation *yield = loop.getBody()->getTerminator();
  Operation *other = nullptr;
  loop.getBody()->walk<WalkOrder::PreOrder>([&](Operation *op) {
    bool touches = llvm::any_of(op->getOperandTypes(), isCache) ||
                   llvm::any_of(op->getResultTypes(), isCache);
    bool isReplayed =
        replayed.contains(op) ||
        (op == yield && llvm::count_if(op->getOperandTypes(), isCache) == 1);
    if (!touches || isReplayed)
      return WalkResult::advance();
    other = op;
    return WalkResult::interrupt();
  });
  return other;
}

/// The number of `v` as an argument of `entry`, or nullopt if it is not one.
static std::optional<unsigned> entryArgument(func::FuncOp entry, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &entry.getBody().front())
    return std::nullopt;
  return arg.getArgNumber();
}

/// The checked attention of an attn.cache.attend whose query, and whose
/// cache's appended keys and values, are entry arguments, the cache made in
/// the entry's body, or taken by the entry (attn-runner passes it empty),
/// then one chain of appends, of which some may be the body of an scf.for
/// that carries the cache (one loop deep, its bounds and the appends'
/// positions computable); or why it is not one.
static llvm::Expected<CheckedAttention> fromCache(func::FuncOp entry,
                                                  CacheAttendOp op) {
  auto argIndex = [&](Value v) { return entryArgument(entry, v); };
  auto fail = [](const llvm::Twine &why) { return error(why); };
  CheckedAttention c;
  c.op = op;
  c.cacheType = op.getCache().getType();
  if (c.cacheType.isQuantized()) {
    std::optional<ElementType> storage =
        elementTypeFor(c.cacheType.getElementType());
    std::optional<ElementType> scales =
        elementTypeFor(c.cacheType.getScaleType());
    if (!storage || !scales)
      return fail("its cache's storage or scale type has no reference");
    c.quantized = {*storage, *scales};
  }
  std::optional<unsigned> q = argIndex(op.getQuery());
  if (!q)
    return fail("the attend's query is not an entry argument");
  c.query = *q;
  c.key = c.value = *q; // unused: the replay provides key and value
  if (Value lengths = op.getLengths()) {
    c.kvLengths = argIndex(lengths);
    if (!c.kvLengths)
      return fail("the attend's lengths are not an entry argument");
  }
  if (!isComputableIndex(entry, op.getLength()))
    return fail("the attend's length is not computed from constants and "
                "integer arguments");
  c.length = op.getLength();
  // The cache is followed back from the attend to where it starts: through
  // appends, and through an scf.for from what its body yields back to the
  // iter_arg that carries the cache, then on from that iter_arg's initial
  // value. The reference unrolls the loop, so its body may touch caches
  // only through the carried cache's appends.
  SmallVector<CheckedAttention::Append> appends;
  Value cache = op.getCache();
  scf::ForOp loop;      // the loop whose body `cache` is in, if any
  unsigned carried = 0; // the iter_arg of `loop` that carries the cache
  SmallPtrSet<Operation *, 4> bodyAppends;
  while (true) {
    Operation *def = cache.getDefiningOp();
    if (loop && cache == loop.getRegionIterArgs()[carried]) {
      if (Operation *other = otherCacheUse(loop, bodyAppends))
        return fail("the scf.for that carries its cache uses a cache in its "
                    "body other than through the carried cache's appends ('" +
                    other->getName().getStringRef() +
                    "'), which is not replayed");
      cache = loop.getInitArgs()[carried];
      loop = {};
      continue;
    }
    if (!loop) {
      c.cacheTaken = bool(argIndex(cache));
      if (isa_and_nonnull<CacheCreateOp>(def) || c.cacheTaken)
        break;
    } else if (!def || def->getBlock() != loop.getBody()) {
      return fail("the scf.for that carries its cache yields one that does "
                  "not come from the iter_arg that carries it");
    }
    if (auto forOp = dyn_cast<scf::ForOp>(def)) {
      if (loop)
        return fail("its cache is carried through nested scf.for loops, "
                    "which are not replayed");
      if (forOp.getUnsignedCmp())
        return fail("the scf.for that carries its cache compares its bounds "
                    "unsigned, which is not replayed");
      for (auto [what, bound] :
           {std::pair<StringRef, Value>{"lower bound", forOp.getLowerBound()},
            {"upper bound", forOp.getUpperBound()},
            {"step", forOp.getStep()}})
        if (!isComputableIndex(entry, bound))
          return fail("the " + what +
                      " of the scf.for that carries its cache is not "
                      "computed from constants and integer arguments");
      loop = forOp;
      carried = cast<OpResult>(cache).getResultNumber();
      bodyAppends.clear();
      cache = loop.getYieldedValues()[carried];
      continue;
    }
    auto append = dyn_cast<CacheAppendOp>(def);
    if (!append && loop)
      return fail("in the scf.for that carries it, its cache comes from '" +
                  def->getName().getStringRef() +
                  "', which is not replayed (only attn.cache.append is, "
                  "there)");
    if (!append)
      return fail("its cache comes from '" + def->getName().getStringRef() +
                  "', which is not replayed (only attn.cache.create, a "
                  "cache the entry takes, attn.cache.append and scf.for "
                  "are)");
    std::optional<unsigned> k = argIndex(append.getKeys()),
                            v = argIndex(append.getValues());
    if (!k || !v)
      return fail("an append's keys or values are not entry arguments");
    if (!isComputableIndex(entry, append.getPosition(),
                           loop ? loop.getInductionVar() : Value()))
      return fail(loop ? "an append's position in the scf.for that carries "
                         "its cache is not computed from constants, integer "
                         "arguments and the loop's induction variable"
                       : "an append's position is not computed from "
                         "constants and integer arguments");
    appends.push_back({*k, *v, append.getPosition(), loop});
    bodyAppends.insert(append);
    cache = append.getCache();
  }
  std::reverse(appends.begin(), appends.end());
  c.appends = std::move(appends);

  AttentionProblem &p = c.problem;
  auto qShape = op.getQuery().getType().getShape();
  p.batch = qShape[0];
  p.seqQ = qShape[1];
  p.headsQ = qShape[2];
  p.headDim = qShape[3];
  p.seqK = 0; // the length, once the integer arguments are known
  p.headsKV = c.cacheType.getKvHeads();
  p.valueDim = c.cacheType.getHeadDim();
  std::optional<APFloat> scale = op.getScale();
  p.scale =
      scale ? scale->convertToDouble() : 1.0 / std::sqrt(double(p.headDim));
  p.causal = op.getCausal();
  p.window = op.getWindow();
  p.type = *elementTypeFor(op.getQuery().getType().getElementType());
  return c;
}

/// Recovers the problem and the operands' argument numbers of `op`, or
/// nullopt if an operand is not an argument of `entry`.
static std::optional<CheckedAttention> fromArguments(func::FuncOp entry,
                                                     AttentionOp op) {
  auto argIndex = [&](Value v) { return entryArgument(entry, v); };
  CheckedAttention c;
  c.op = op;
  auto q = argIndex(op.getQuery()), k = argIndex(op.getKey()),
       v = argIndex(op.getValue());
  if (!q || !k || !v || (op.getMask() && !argIndex(op.getMask())))
    return std::nullopt;
  c.query = *q;
  c.key = *k;
  c.value = *v;
  if (op.getMask())
    c.mask = argIndex(op.getMask());
  if (Value lengths = op.getKvLengths()) {
    c.kvLengths = argIndex(lengths);
    if (!c.kvLengths)
      return std::nullopt;
  }

  AttentionProblem &p = c.problem;
  auto qShape = op.getQuery().getType().getShape();
  auto kShape = op.getKey().getType().getShape();
  unsigned s = op.getSeqDim(), h = op.getHeadDim();
  p.batch = qShape[0];
  p.seqQ = qShape[s];
  p.headsQ = qShape[h];
  p.headDim = qShape[3];
  p.seqK = kShape[s];
  p.headsKV = kShape[h];
  p.valueDim = op.getValue().getType().getDimSize(3);
  p.bhsd = op.getLayout() == Layout::BHSD;
  std::optional<APFloat> scale = op.getScale();
  p.scale =
      scale ? scale->convertToDouble() : 1.0 / std::sqrt(double(p.headDim));
  p.causal = op.getCausal();
  p.window = op.getWindow();
  if (Value mask = op.getMask()) {
    auto type = cast<RankedTensorType>(mask.getType());
    p.maskBatch = type.getDimSize(0);
    p.maskHeads = type.getDimSize(1);
    p.maskType =
        elementTypeFor(type.getElementType()).value_or(ElementType::F32);
  }
  p.type = *elementTypeFor(op.getQuery().getType().getElementType());
  return c;
}

llvm::Expected<SmallVector<CheckedAttention, 1>>
runner::findCheckedAttentions(func::FuncOp entry,
                              llvm::ArrayRef<unsigned> argMap,
                              llvm::ArrayRef<unsigned> resultMap) {
  unsigned numResults = entry.getNumResults();
  auto notCheckable = [&](const llvm::Twine &why) {
    if (numResults == 1)
      return error("--check needs @" + entry.getSymName() +
                   " to return one attn.attention of its own arguments (or "
                   "an attn.cache.attend of a cache it fills from them), "
                   "but " +
                   why);
    return error("--check needs each of the " + llvm::Twine(numResults) +
                 " results of @" + entry.getSymName() +
                 " to be an attn.attention of its own arguments (or an "
                 "attn.cache.attend of a cache it fills from them), but " +
                 why);
  };
  if (!entry.getBody().hasOneBlock())
    return notCheckable("its body has several blocks");
  bool any = false;
  entry.walk(
      [&](Operation *op) { any |= isa<AttentionOp, CacheAttendOp>(op); });
  auto ret = cast<func::ReturnOp>(entry.getBody().front().getTerminator());
  SmallVector<CheckedAttention, 1> checked;
  auto lowered = [](llvm::ArrayRef<unsigned> map, unsigned i) {
    return map.empty() ? i : map[i];
  };
  // The operands' argument numbers once the caches are lowered.
  auto remap = [&](CheckedAttention &c, unsigned i) {
    c.result = lowered(resultMap, i);
    for (unsigned *arg : {&c.query, &c.key, &c.value})
      *arg = lowered(argMap, *arg);
    for (std::optional<unsigned> *arg : {&c.mask, &c.kvLengths})
      if (*arg)
        **arg = lowered(argMap, **arg);
    if (c.appends)
      for (CheckedAttention::Append &a : *c.appends) {
        a.keys = lowered(argMap, a.keys);
        a.values = lowered(argMap, a.values);
      }
  };
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    if (isa<KVCacheType>(value.getType()))
      continue;
    std::string result = "result " + std::to_string(lowered(resultMap, i));
    if (auto attend = value.getDefiningOp<CacheAttendOp>()) {
      auto c = fromCache(entry, attend);
      if (!c)
        return notCheckable(
            (numResults == 1 ? std::string("it returns an attn.cache.attend")
                             : result + " is an attn.cache.attend") +
            " that the reference cannot replay: " +
            llvm::toString(c.takeError()));
      remap(*c, i);
      checked.push_back(std::move(*c));
      continue;
    }
    auto op = value.getDefiningOp<AttentionOp>();
    if (!op && numResults == 1)
      return notCheckable(any ? "what it returns is not an attn.attention"
                              : "it contains no attn.attention");
    if (!op) {
      // Saying what computes it tells a cache read (attn.cache.attend),
      // which has no reference here, from a plain mistake.
      Operation *def = value.getDefiningOp();
      if (!def)
        return notCheckable(
            result + " is argument " +
            llvm::Twine(cast<BlockArgument>(value).getArgNumber()) +
            " of the entry, not an attn.attention");
      return notCheckable(result + " is computed by '" +
                          def->getName().getStringRef() +
                          "', not by an attn.attention");
    }
    // The reference reads K and V as numbers; quantized ones are codes.
    if (op.hasScales())
      return notCheckable(
          (numResults == 1 ? std::string("the returned attention")
                           : "the attention of " + result) +
          " reads quantized keys and values (codes and scales), which the "
          "float64 reference does not dequantize");
    std::optional<CheckedAttention> c = fromArguments(entry, op);
    if (!c)
      return notCheckable(
          (numResults == 1 ? std::string("the returned attention's operands")
                           : "the operands of the attention of " + result) +
          " are not all entry arguments (after raising and fusion)");
    remap(*c, i);
    checked.push_back(*c);
  }
  if (checked.empty())
    return notCheckable("it returns only KV caches");
  return checked;
}

llvm::Error runner::unrollAppends(func::FuncOp entry, CheckedAttention &c,
                                  llvm::ArrayRef<EntryArgument> inputs,
                                  llvm::ArrayRef<unsigned> argMap,
                                  int64_t call) {
  // The writes are held before the run; a loop that appends more often than
  // this is refused rather than exhausting the host's memory.
  constexpr size_t kMaxWrites = size_t(1) << 20;
  using Append = CheckedAttention::Append;
  auto replay = [&](ArrayRef<Append> body, InductionBinding iv) -> llvm::Error {
    for (const Append &a : body) {
      std::optional<int64_t> at =
          evaluateIndex(entry, a.position, inputs, argMap, call, iv);
      if (!at)
        return error("an append's position overflows int64");
      if (c.writes.size() == kMaxWrites)
        return error("its appends write more than " + llvm::Twine(kMaxWrites) +
                     " times, more than the reference replays");
      c.writes.push_back({a.keys, a.values, *at});
    }
    return llvm::Error::success();
  };
  for (ArrayRef<Append> rest = *c.appends; !rest.empty();) {
    scf::ForOp loop = rest.front().loop;
    ArrayRef<Append> body =
        rest.take_while([&](const Append &a) { return a.loop == loop; });
    rest = rest.drop_front(body.size());
    if (!loop) {
      if (llvm::Error err = replay(body, {}))
        return err;
      continue;
    }
    auto evaluate = [&](Value v) {
      return evaluateIndex(entry, v, inputs, argMap, call);
    };
    std::optional<int64_t> lb = evaluate(loop.getLowerBound()),
                           ub = evaluate(loop.getUpperBound()),
                           step = evaluate(loop.getStep());
    if (!lb || !ub || !step)
      return error("the bounds or step of the scf.for that carries its "
                   "cache overflow int64");
    if (*step <= 0)
      return error("the step of the scf.for that carries its cache (" +
                   llvm::Twine(*step) + ") is not positive");
    // An induction variable past int64 would be past the upper bound too.
    for (int64_t iv = *lb; iv < *ub;) {
      if (llvm::Error err = replay(body, {loop.getInductionVar(), iv}))
        return err;
      if (llvm::AddOverflow(iv, *step, iv))
        break;
    }
  }
  return llvm::Error::success();
}

/// Writes the tokens of `k` and `v` ([B, T, H, D]) that one append of `c`
/// puts at position `at` into the replayed cache `keys` and `values` ([B,
/// length, H, D], f64), quantized and dequantized as the append quantizes
/// them for a quantized cache; tokens at or past the length are written by
/// the append but not read by the attend, so they are left out.
static void replayAppend(const CheckedAttention &c,
                         const AttentionProblem &problem, const HostTensor &k,
                         const HostTensor &v, int64_t at, HostTensor &keys,
                         HostTensor &values) {
  int64_t length = keys.shape()[1], tokens = k.shape()[1];
  int64_t row = problem.headsKV * problem.headDim;
  std::vector<double> headRow(problem.headDim);
  for (int64_t b = 0; b < problem.batch; ++b)
    for (int64_t t = 0; t < tokens && at + t < length; ++t)
      for (int64_t h = 0; h < problem.headsKV; ++h)
        for (auto [from, to] : {std::pair(&k, &keys), std::pair(&v, &values)}) {
          int64_t src = (b * tokens + t) * row + h * problem.headDim,
                  dst = (b * length + at + t) * row + h * problem.headDim;
          for (int64_t d = 0; d < problem.headDim; ++d)
            headRow[d] = from->get(src + d);
          if (c.quantized)
            quantizeDequantize(headRow, c.quantized->first,
                               c.quantized->second);
          for (int64_t d = 0; d < problem.headDim; ++d)
            to->set(dst + d, headRow[d]);
        }
}

std::optional<std::string> runner::runCheck(
    const CheckedAttention &c, const std::vector<EntryArgument> &inputs,
    const HostTensor &result, llvm::StringRef label, llvm::raw_ostream &os) {
  AttentionProblem problem = c.problem;
  std::optional<HostTensor> keys, values;
  if (c.appends) {
    // The run succeeded, so every position and the length were in range
    // (the compiled code checks them); replay the appends into zeros. The
    // replayed cache holds what attention reads, in f64: for a quantized
    // cache, each token's dequantized codes, which the element type may not
    // hold exactly.
    if (!c.lengthValue)
      return std::string("the attend's length overflows int64");
    int64_t length = *c.lengthValue;
    problem.seqK = length;
    TensorSignature sig{
        ElementType::F64,
        {problem.batch, length, problem.headsKV, problem.headDim}};
    keys.emplace(sig);
    values.emplace(sig);
    keys->fill(0);
    values->fill(0);
    for (const CheckedAttention::Write &w : c.writes) {
      // The run's own position checks passed, but they see the positions
      // in the IR's integer widths, which the replay does not wrap to.
      if (w.at < 0)
        return std::string("an append's position is negative");
      replayAppend(c, problem, *inputs[w.keys].tensor, *inputs[w.values].tensor,
                   w.at, *keys, *values);
    }
  }
  if (c.kvLengths) {
    const HostTensor &lengths = *inputs[*c.kvLengths].tensor;
    for (int64_t b = 0; b < problem.batch; ++b)
      problem.kvLengths.push_back(int64_t(lengths.get(b)));
  }
  AttentionOperands in{*inputs[c.query].tensor,
                       keys ? *keys : *inputs[c.key].tensor,
                       values ? *values : *inputs[c.value].tensor,
                       c.mask ? &*inputs[*c.mask].tensor : nullptr};
  std::vector<double> ref = referenceAttention(problem, in);
  // The naive computation reads K and V in the element type, as a kernel
  // that dequantizes into tiles of it does.
  std::optional<HostTensor> naiveKeys, naiveValues;
  if (c.quantized) {
    TensorSignature sig{problem.type, keys->signature().shape};
    naiveKeys.emplace(sig);
    naiveValues.emplace(sig);
    for (int64_t i = 0, e = keys->size(); i < e; ++i) {
      naiveKeys->set(i, keys->get(i));
      naiveValues->set(i, values->get(i));
    }
  }
  AttentionOperands naiveIn{in.query, naiveKeys ? *naiveKeys : in.key,
                            naiveValues ? *naiveValues : in.value, in.mask};
  std::vector<double> naive = naiveAttention(problem, naiveIn);
  CheckResult r = checkAttention(result, ref, naive, problem.type);
  os << "check: " << label
     << llvm::format("max_abs_err=%.3e naive_err=%.3e rel_err=%.3e "
                     "bound=%.3e",
                     r.maxAbsErr, r.naiveErr, r.relErr, r.bound);
  if (r.nanCount)
    os << " nan=" << r.nanCount;
  os << (r.pass ? " PASS\n" : " FAIL\n");
  os.flush();
  if (r.pass)
    return std::nullopt;
  if (r.nanCount)
    return std::to_string(r.nanCount) + " result elements are NaN";
  if (!(r.maxAbsErr <= r.bound))
    return std::string("max_abs_err exceeds the bound");
  return std::string("the references are not finite (inputs too large for "
                     "the element type?), so no bound can be given");
}
