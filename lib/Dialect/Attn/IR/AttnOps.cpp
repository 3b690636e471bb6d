//===- AttnOps.cpp - attn dialect operations -------------------------------===//
//
// Verifiers and folders of the attn operations. Every verifier message names
// the operand and the numbers involved, so that a user can fix the IR
// without reading this file. Dynamic extents are never rejected here: they
// are checked at run time.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
/// Streams a dimension as the IR writes it: a number, or `?` when dynamic.
struct Dim {
  int64_t value;
};
raw_ostream &operator<<(raw_ostream &os, Dim d) {
  if (ShapedType::isDynamic(d.value))
    return os << "?";
  return os << d.value;
}
Diagnostic &operator<<(Diagnostic &diag, Dim d) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << d;
  return diag << s;
}

/// Streams a shape as `[1, 16, ?, 128]`.
struct Shape {
  ArrayRef<int64_t> dims;
};
Diagnostic &operator<<(Diagnostic &diag, Shape shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleaveComma(shape.dims, os, [&](int64_t d) { os << Dim{d}; });
  os << "]";
  return diag << s;
}
} // namespace

/// Two extents conflict only when both are known and differ.
static bool conflict(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

/// Checks per-sequence lengths: a [batch] tensor of i64. `what` names the
/// operand, `batch` is the batch it must match.
static LogicalResult verifyLengths(Operation *op, StringRef what,
                                   Value lengths, int64_t batch) {
  auto type = cast<RankedTensorType>(lengths.getType());
  if (type.getRank() != 1 || !type.getElementType().isSignlessInteger(64))
    return op->emitOpError()
           << what << " must be a [batch] tensor of i64, one length per "
           << "sequence, got " << type;
  if (conflict(type.getDimSize(0), batch))
    return op->emitOpError() << what << " has " << type.getDimSize(0)
                             << " lengths, but the batch is " << batch;
  return success();
}

/// Checks that `value` is a rank-4 tensor; `what` names it in the message.
static LogicalResult verifyRank4(Operation *op, Value value, StringRef what,
                                 StringRef dims) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 4)
    return success();
  return op->emitOpError() << what << " rank (" << type.getRank()
                           << ") must be 4: " << dims;
}

static LogicalResult verifySameElementType(Operation *op, Type expected,
                                           StringRef expectedName, Type actual,
                                           StringRef actualName) {
  if (expected == actual)
    return success();
  return op->emitOpError() << actualName << " element type (" << actual
                           << ") must match " << expectedName
                           << " element type (" << expected << ")";
}

/// Checks that the static extents of `what` multiply to a size that int64
/// can hold, in elements and in bytes. The lowerings compute both (linear
/// offsets, allocation sizes) in 64-bit arithmetic, and a size that wraps
/// there allocates a few bytes for a huge tensor. Dynamic extents are
/// checked when they are known, at run time.
static LogicalResult verifySize(Operation *op, StringRef what,
                                ShapedType type) {
  int64_t elements = 1;
  bool wrapped = false;
  for (int64_t d : type.getShape())
    if (!ShapedType::isDynamic(d))
      wrapped |= llvm::MulOverflow(elements, d, elements);
  auto product = [&] {
    std::string s;
    llvm::raw_string_ostream os(s);
    llvm::interleave(type.getShape(), os, [&](int64_t d) { os << Dim{d}; },
                     " x ");
    return s;
  };
  if (wrapped)
    return op->emitOpError() << what << " size (" << product()
                             << " elements) overflows int64";
  // repeat_kv takes any element type; an index or opaque one has no byte
  // size here, and its element count is what its lowering multiplies.
  if (!type.getElementType().isIntOrFloat())
    return success();
  int64_t width = (int64_t(type.getElementTypeBitWidth()) + 7) / 8;
  int64_t bytes;
  if (llvm::MulOverflow(elements, width, bytes))
    return op->emitOpError() << what << " size (" << product()
                             << " elements of " << width
                             << " bytes) overflows int64";
  return success();
}

/// Checks that no static extent of `what` is 0; `names` names its four
/// dimensions. Attention over an empty dimension is rejected rather than
/// defined: head_dim 0 makes the default scale 1/sqrt(0) infinite and every
/// score NaN, and an empty batch, sequence or head count becomes a GPU grid
/// of zero blocks, which the driver refuses to launch.
static LogicalResult verifyNonEmpty(Operation *op, StringRef what,
                                    RankedTensorType type,
                                    ArrayRef<StringRef> names) {
  for (auto [d, name] : llvm::zip(type.getShape(), names))
    if (d == 0)
      return op->emitOpError() << what << " " << name << " (0) must be "
                               << "positive";
  return success();
}

/// Checks that `what`, of element type `type`, is one attention supports.
static LogicalResult verifyElementType(Operation *op, StringRef what,
                                       Type type) {
  if (isSupportedElementType(type))
    return success();
  return op->emitOpError() << what << " element type (" << type
                           << ") must be " << kSupportedElementTypes;
}

/// Checks that `extent` of `what` equals `expected` of `expectedWhat` where
/// both are known. `quantity` says what the extent is ("batch", ...).
static LogicalResult verifyExtent(Operation *op, StringRef what,
                                  StringRef quantity, int64_t extent,
                                  StringRef expectedWhat, int64_t expected) {
  if (!conflict(extent, expected))
    return success();
  return op->emitOpError() << what << " " << quantity << " (" << extent
                           << ") must match " << expectedWhat << " "
                           << quantity << " (" << expected << ")";
}

/// Checks that `kvHeads` divides `queryHeads`, the GQA grouping rule.
static LogicalResult verifyHeadGrouping(Operation *op, StringRef kvWhat,
                                        int64_t kvHeads, int64_t queryHeads) {
  if (ShapedType::isDynamic(kvHeads))
    return success();
  if (kvHeads <= 0)
    return op->emitOpError()
           << kvWhat << " head count (" << kvHeads << ") must be positive";
  if (ShapedType::isDynamic(queryHeads) || queryHeads % kvHeads == 0)
    return success();
  return op->emitOpError() << kvWhat << " head count (" << kvHeads
                           << ") must divide query head count (" << queryHeads
                           << ")";
}

static LogicalResult verifyOptionalPositive(Operation *op, StringRef name,
                                            std::optional<int64_t> value) {
  if (!value || *value > 0)
    return success();
  return op->emitOpError() << name << " (" << *value << ") must be positive";
}

static LogicalResult verifyScale(Operation *op,
                                 std::optional<APFloat> scale) {
  if (!scale || scale->isFinite())
    return success();
  return op->emitOpError() << "scale (" << scale->convertToDouble()
                           << ") must be finite";
}

static LogicalResult verifyLayer(Operation *op, std::optional<int64_t> layer) {
  if (!layer || *layer >= 0)
    return success();
  return op->emitOpError() << "layer (" << *layer << ") must be non-negative";
}

//===----------------------------------------------------------------------===//
// RepeatKVOp
//===----------------------------------------------------------------------===//

LogicalResult RepeatKVOp::verify() {
  int64_t nRep = getNRep();
  if (nRep < 1)
    return emitOpError() << "n_rep (" << nRep << ") must be at least 1";
  const char *dims = "[batch, seq, kv_heads, head_dim]";
  if (failed(verifyRank4(*this, getInput(), "input", dims)) ||
      failed(verifyRank4(*this, getResult(), "result", dims)))
    return failure();
  auto inType = getInput().getType();
  auto outType = getResult().getType();
  if (failed(verifySameElementType(*this, inType.getElementType(), "input",
                                   outType.getElementType(), "result")) ||
      failed(verifySize(*this, "input", inType)) ||
      failed(verifySize(*this, "result", outType)))
    return failure();
  static const char *names[] = {"batch", "seq", "kv_heads", "head_dim"};
  for (unsigned d : {0u, 1u, 3u})
    if (failed(verifyExtent(*this, "result", names[d], outType.getDimSize(d),
                            "input", inType.getDimSize(d))))
      return failure();
  int64_t inHeads = inType.getDimSize(2), outHeads = outType.getDimSize(2);
  if (ShapedType::isDynamic(inHeads) || ShapedType::isDynamic(outHeads))
    return success();
  int64_t expected;
  if (llvm::MulOverflow(inHeads, nRep, expected))
    return emitOpError() << "input head count (" << inHeads
                         << ") times n_rep (" << nRep << ") overflows";
  if (expected != outHeads)
    return emitOpError() << "result head count (" << outHeads
                         << ") must be input head count (" << inHeads
                         << ") times n_rep (" << nRep << ") = " << expected;
  return success();
}

OpFoldResult RepeatKVOp::fold(FoldAdaptor) {
  if (getNRep() == 1 && getInput().getType() == getType())
    return getInput();
  // repeat_kv(repeat_kv(x, a), b) == repeat_kv(x, a * b): head h of the
  // outer result is head (h floordiv b) floordiv a == h floordiv (a * b) of x.
  if (auto inner = getInput().getDefiningOp<RepeatKVOp>()) {
    int64_t product;
    if (llvm::MulOverflow<int64_t>(inner.getNRep(), getNRep(), product))
      return {};
    getInputMutable().assign(inner.getInput());
    setNRep(product);
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

/// Checks the element types of key and value against the query's: the same
/// float type, or, with scales, both of one quantized storage type.
static LogicalResult verifyKeyValueTypes(Operation *op, Type queryElt,
                                         RankedTensorType kType,
                                         RankedTensorType vType,
                                         Value keyScale, Value valueScale) {
  Type kElt = kType.getElementType();
  // The custom syntax gives both or neither; the generic form can give one.
  if (bool(keyScale) != bool(valueScale))
    return op->emitOpError()
           << (keyScale ? "key_scale" : "value_scale")
           << " is given without "
           << (keyScale ? "value_scale" : "key_scale")
           << ": quantized key and value are scaled together";
  if (!keyScale) {
    // Without scales the integers or fp8 codes would be read as values.
    if (isQuantizedStorageType(kElt))
      return op->emitOpError()
             << "key element type (" << kElt
             << ") is quantized storage and needs per-token scales: "
                "scales(%key_scale, %value_scale : ...)";
    return failure(
        failed(verifySameElementType(op, queryElt, "query", kElt, "key")) ||
        failed(verifySameElementType(op, queryElt, "query",
                                     vType.getElementType(), "value")));
  }
  if (!isQuantizedStorageType(kElt))
    return op->emitOpError() << "key element type (" << kElt
                             << ") must be i8 or f8E4M3FN when key and "
                                "value come with scales";
  return verifySameElementType(op, kElt, "key", vType.getElementType(),
                               "value");
}

/// Checks the scale tensor `what` of the key or value `of` (of `ofType`):
/// rank 3, the shape of `of` without its head_dim, one of the scale types.
static LogicalResult verifyScaleOperand(Operation *op, StringRef what,
                                        Value scale, StringRef of,
                                        RankedTensorType ofType,
                                        StringRef dims) {
  auto type = cast<RankedTensorType>(scale.getType());
  if (type.getRank() != 3)
    return op->emitOpError() << what << " rank (" << type.getRank()
                             << ") must be 3: the " << of
                             << " shape without head_dim, " << dims;
  if (!isScaleType(type.getElementType()))
    return op->emitOpError() << what << " element type ("
                             << type.getElementType()
                             << ") must be f16, bf16 or f32";
  ArrayRef<int64_t> expected = ofType.getShape().drop_back();
  for (auto [actual, want] : llvm::zip(type.getShape(), expected))
    if (conflict(actual, want))
      return op->emitOpError()
             << what << " shape " << Shape{type.getShape()} << " must be "
             << Shape{expected} << ": the " << of
             << " shape without head_dim (one scale per token and head)";
  return verifySize(op, what, type);
}

LogicalResult AttentionOp::verify() {
  bool bshd = getLayout() == Layout::BSHD;
  const char *dims = bshd ? "[batch, seq, heads, head_dim] (layout bshd)"
                          : "[batch, heads, seq, head_dim] (layout bhsd)";
  for (auto [value, name] :
       {std::pair<Value, StringRef>{getQuery(), "query"},
        {getKey(), "key"},
        {getValue(), "value"},
        {getResult(), "result"}})
    if (failed(verifyRank4(*this, value, name, dims)))
      return failure();

  auto qType = getQuery().getType(), kType = getKey().getType(),
       vType = getValue().getType(), oType = getResult().getType();
  Type elt = qType.getElementType();
  if (failed(verifyElementType(*this, "query", elt)) ||
      failed(verifyKeyValueTypes(*this, elt, kType, vType, getKeyScale(),
                                 getValueScale())) ||
      failed(verifySameElementType(*this, elt, "query",
                                   oType.getElementType(), "result")) ||
      failed(verifySize(*this, "query", qType)) ||
      failed(verifySize(*this, "key", kType)) ||
      failed(verifySize(*this, "value", vType)) ||
      failed(verifySize(*this, "result", oType)))
    return failure();
  SmallVector<StringRef> names =
      bshd ? SmallVector<StringRef>{"batch", "sequence length", "head count",
                                    "head_dim"}
           : SmallVector<StringRef>{"batch", "head count", "sequence length",
                                    "head_dim"};
  if (failed(verifyNonEmpty(*this, "query", qType, names)) ||
      failed(verifyNonEmpty(*this, "key", kType, names)) ||
      failed(verifyNonEmpty(*this, "value", vType, names)) ||
      failed(verifyNonEmpty(*this, "result", oType, names)))
    return failure();

  unsigned s = getSeqDim(), h = getHeadDim();
  int64_t batch = qType.getDimSize(0), sq = qType.getDimSize(s),
          hq = qType.getDimSize(h), d = qType.getDimSize(3);
  int64_t sk = kType.getDimSize(s), hkv = kType.getDimSize(h),
          dv = vType.getDimSize(3);
  if (failed(verifyExtent(*this, "key", "batch", kType.getDimSize(0), "query",
                          batch)) ||
      failed(verifyExtent(*this, "value", "batch", vType.getDimSize(0),
                          "query", batch)) ||
      failed(verifyExtent(*this, "key", "head_dim", kType.getDimSize(3),
                          "query", d)) ||
      failed(verifyExtent(*this, "value", "sequence length",
                          vType.getDimSize(s), "key", sk)) ||
      failed(verifyExtent(*this, "value", "head count", vType.getDimSize(h),
                          "key", hkv)) ||
      failed(verifyHeadGrouping(*this, "key", hkv, hq)))
    return failure();

  SmallVector<int64_t> expected(4);
  expected[0] = batch;
  expected[s] = sq;
  expected[h] = hq;
  expected[3] = dv;
  for (unsigned i = 0; i < 4; ++i)
    if (conflict(oType.getDimSize(i), expected[i]))
      return emitOpError() << "result shape " << Shape{oType.getShape()}
                           << " must be " << Shape{expected}
                           << ": the query's batch, seq and heads, and the "
                              "value's head_dim";

  if (Value mask = getMask()) {
    if (failed(verifyRank4(*this, mask, "mask",
                           "[batch or 1, query heads or 1, query seq, "
                           "key seq]")))
      return failure();
    auto mType = cast<RankedTensorType>(mask.getType());
    if (failed(verifyElementType(*this, "mask", mType.getElementType())) ||
        failed(verifySize(*this, "mask", mType)) ||
        failed(verifyNonEmpty(*this, "mask", mType,
                              {"batch", "head count", "dim 2", "dim 3"})))
      return failure();
    int64_t mb = mType.getDimSize(0), mh = mType.getDimSize(1);
    if (mb != 1 && conflict(mb, batch))
      return emitOpError() << "mask batch (" << Dim{mb}
                           << ") must be 1 or the query batch ("
                           << Dim{batch} << ")";
    if (mh != 1 && conflict(mh, hq))
      return emitOpError() << "mask head count (" << Dim{mh}
                           << ") must be 1 or the query head count ("
                           << Dim{hq} << ")";
    if (conflict(mType.getDimSize(2), sq))
      return emitOpError() << "mask dim 2 (" << mType.getDimSize(2)
                           << ") must match the query sequence length (" << sq
                           << ")";
    if (conflict(mType.getDimSize(3), sk))
      return emitOpError() << "mask dim 3 (" << mType.getDimSize(3)
                           << ") must match the key sequence length (" << sk
                           << ")";
  }
  const char *scaleDims = bshd ? "[batch, seq, heads] (layout bshd)"
                                : "[batch, heads, seq] (layout bhsd)";
  if (getKeyScale() &&
      (failed(verifyScaleOperand(*this, "key_scale", getKeyScale(), "key",
                                 kType, scaleDims)) ||
       failed(verifyScaleOperand(*this, "value_scale", getValueScale(),
                                 "value", vType, scaleDims))))
    return failure();
  if (Value lengths = getKvLengths();
      lengths && failed(verifyLengths(*this, "kv_lengths", lengths, batch)))
    return failure();
  if (failed(verifyOptionalPositive(*this, "window", getWindow())) ||
      failed(verifyScale(*this, getScale())))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// KV cache ops
//===----------------------------------------------------------------------===//

LogicalResult CacheCreateOp::verify() {
  // I64Attr getters return the bits unsigned; the checks are on the signed
  // value the IR spells.
  int64_t sharing = getSharing(), firstLayer = getFirstLayer();
  if (sharing < 1)
    return emitOpError() << "sharing (" << sharing << ") must be at least 1";
  if (firstLayer < 0)
    return emitOpError() << "first_layer (" << firstLayer
                         << ") must be non-negative";
  if (!getGroupEnd())
    return emitOpError() << "first_layer (" << firstLayer << ") + sharing ("
                         << sharing << ") overflows int64, the end of the "
                         << "group's layers [first_layer, first_layer + "
                            "sharing)";
  return success();
}

std::optional<int64_t> CacheCreateOp::getGroupEnd() {
  int64_t end;
  if (llvm::AddOverflow<int64_t>(getFirstLayer(), getSharing(), end))
    return std::nullopt;
  return end;
}

namespace {
/// Where a cache value comes from, followed through the appends that
/// produced it. Tracing stops at block arguments (a cache passed in, or
/// carried by a loop), in which case `create` is null.
struct CacheHistory {
  CacheCreateOp create;
  SmallVector<CacheAppendOp> appends;
  /// Whether a loop carries the cache on the way: then appends of earlier
  /// iterations may have written it, which this trace does not see.
  bool carried = false;
};
} // namespace

/// The value a loop starts `cache` from where a loop carries it (an
/// iter_arg, or a result of the loop), else null.
static Value loopInit(Value cache) {
  if (auto arg = dyn_cast<BlockArgument>(cache)) {
    auto loop = dyn_cast<LoopLikeOpInterface>(arg.getOwner()->getParentOp());
    if (!loop)
      return {};
    OpOperand *init = loop.getTiedLoopInit(arg);
    return init ? init->get() : Value();
  }
  auto loop = cache.getDefiningOp<LoopLikeOpInterface>();
  if (!loop)
    return {};
  for (BlockArgument arg : loop.getRegionIterArgs())
    if (loop.getTiedLoopResult(arg) == cache)
      if (OpOperand *init = loop.getTiedLoopInit(arg))
        return init->get();
  return {};
}

/// Walks back through appends and the loops that carry the cache (a decode
/// loop's iter_args) to the create op, where there is one to find.
static CacheHistory traceCache(Value cache) {
  CacheHistory history;
  while (cache) {
    if (auto append = cache.getDefiningOp<CacheAppendOp>()) {
      history.appends.push_back(append);
      cache = append.getCache();
      continue;
    }
    if (Value init = loopInit(cache)) {
      history.carried = true;
      cache = init;
      continue;
    }
    break;
  }
  history.create = cache.getDefiningOp<CacheCreateOp>();
  return history;
}

/// Checks the query (or keys) `what` of type `type` against the cache's
/// batch, KV heads, head_dim and element type. `isQuery` selects the head
/// rule: a query's heads must be a multiple of the KV heads, keys' heads
/// must equal them.
static LogicalResult verifyAgainstCache(Operation *op, StringRef what,
                                        RankedTensorType type,
                                        KVCacheType cache, bool isQuery) {
  // A quantized cache takes and gives float values: an append quantizes
  // them, an attend dequantizes.
  if (cache.isQuantized()) {
    if (!isSupportedElementType(type.getElementType()))
      return op->emitOpError()
             << what << " element type (" << type.getElementType()
             << ") must be " << kSupportedElementTypes
             << ": a quantized cache (of " << cache.getElementType()
             << ") takes and gives float values";
  } else if (failed(verifySameElementType(op, cache.getElementType(), "cache",
                                          type.getElementType(), what))) {
    return failure();
  }
  if (failed(verifyExtent(op, what, "batch", type.getDimSize(0), "cache",
                          cache.getBatch())) ||
      failed(verifyExtent(op, what, "head_dim", type.getDimSize(3), "cache",
                          cache.getHeadDim())))
    return failure();
  if (isQuery)
    return verifyHeadGrouping(op, "cache KV", cache.getKvHeads(),
                              type.getDimSize(2));
  return verifyExtent(op, what, "kv_heads", type.getDimSize(2), "cache",
                      cache.getKvHeads());
}

LogicalResult CacheAppendOp::verify() {
  const char *dims = "[batch, tokens, kv_heads, head_dim]";
  if (failed(verifyRank4(*this, getKeys(), "keys", dims)) ||
      failed(verifyRank4(*this, getValues(), "values", dims)))
    return failure();
  auto kType = getKeys().getType(), vType = getValues().getType();
  if (kType != vType)
    return emitOpError() << "values type (" << vType
                         << ") must match keys type (" << kType << ")";
  KVCacheType cache = getCache().getType();
  if (failed(verifyAgainstCache(*this, "keys", kType, cache,
                                /*isQuery=*/false)))
    return failure();

  int64_t tokens = kType.getDimSize(1), capacity = cache.getCapacity();
  if (!ShapedType::isDynamic(tokens) && tokens > capacity)
    return emitOpError() << "appends " << tokens
                         << " tokens to a cache of capacity " << capacity;
  APInt position;
  if (matchPattern(getPosition(), m_ConstantInt(&position))) {
    int64_t p = position.getSExtValue();
    if (p < 0)
      return emitOpError() << "position (" << p << ") must be non-negative";
    if (p > capacity)
      return emitOpError() << "position (" << p
                           << ") is past the cache capacity (" << capacity
                           << ")";
    // Both are at most the capacity here, so the sum cannot wrap.
    if (!ShapedType::isDynamic(tokens) && p + tokens > capacity)
      return emitOpError() << "appending " << tokens << " tokens at position "
                           << p << " overflows the cache capacity ("
                           << capacity << ")";
  }

  std::optional<int64_t> layer = getLayer();
  if (failed(verifyLayer(*this, layer)))
    return failure();
  CacheHistory history = traceCache(getCache());
  // A group end that wraps is the create op's error, not this op's.
  std::optional<int64_t> end =
      history.create ? history.create.getGroupEnd() : std::nullopt;
  if (layer && end) {
    int64_t first = history.create.getFirstLayer();
    if (*layer != first)
      return emitOpError() << "layer (" << *layer
                           << ") cannot write a cache that layers [" << first
                           << ", " << *end
                           << ") share: only the group's first layer ("
                           << first << ") writes it";
  }
  return success();
}

LogicalResult CacheAttendOp::verify() {
  if (failed(verifyRank4(*this, getQuery(), "query",
                         "[batch, seq, heads, head_dim]")))
    return failure();
  auto qType = getQuery().getType();
  KVCacheType cache = getCache().getType();
  if (failed(verifyAgainstCache(*this, "query", qType, cache,
                                /*isQuery=*/true)) ||
      failed(verifySize(*this, "query", qType)) ||
      // Lowered, this is an attn.attention of this query, which must not be
      // empty either.
      failed(verifyNonEmpty(*this, "query", qType,
                            {"batch", "sequence length", "head count",
                             "head_dim"})))
    return failure();
  if (getResult().getType() != qType)
    return emitOpError() << "result type (" << getResult().getType()
                         << ") must match query type (" << qType << ")";

  APInt length;
  if (matchPattern(getLength(), m_ConstantInt(&length))) {
    int64_t n = length.getSExtValue();
    if (n < 0 || n > cache.getCapacity())
      return emitOpError() << "length (" << n << ") must lie in [0, "
                           << cache.getCapacity() << "], the cache capacity";
  }
  // Against the cache's batch, which is static, so that a query of dynamic
  // batch cannot hide a lengths tensor shorter than the cache.
  if (Value lengths = getLengths();
      lengths &&
      failed(verifyLengths(*this, "lengths", lengths, cache.getBatch())))
    return failure();
  if (failed(verifyOptionalPositive(*this, "window", getWindow())) ||
      failed(verifyScale(*this, getScale())))
    return failure();

  std::optional<int64_t> layer = getLayer();
  if (failed(verifyLayer(*this, layer)))
    return failure();
  CacheHistory history = traceCache(getCache());
  if (history.create && history.appends.empty() && !history.carried)
    return emitOpError() << "reads a cache that no layer wrote: it comes "
                            "straight from 'attn.cache.create'";
  if (!layer)
    return success();
  // A group end that wraps is the create op's error, not this op's.
  if (std::optional<int64_t> end =
          history.create ? history.create.getGroupEnd() : std::nullopt) {
    int64_t first = history.create.getFirstLayer();
    if (*layer < first || *layer >= *end)
      return emitOpError() << "layer (" << *layer
                           << ") reads a cache shared by layers [" << first
                           << ", " << *end << ") only";
  }
  for (CacheAppendOp append : history.appends)
    if (std::optional<int64_t> writer = append.getLayer();
        writer && *writer > *layer)
      return emitOpError() << "layer (" << *layer
                           << ") reads a cache written by a later layer ("
                           << *writer << ")";
  return success();
}

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"
