//===- RaiseAttention.cpp - recognise attention written in upstream ops ---===//
//
// A frontend such as torch-mlir lowers scaled dot-product attention to a
// chain of upstream ops: a Q·Kᵀ contraction, a constant scale, an optional
// additive mask, a softmax over the keys and a P·V contraction. Left alone,
// that chain materialises the [B, H, Sq, Sk] score matrix several times
// over. This pass recognises the chain, walking from the last contraction
// back to the first, and replaces it with one attn.attention, which the rest
// of the project tiles so that the scores never exist. Matching only reads
// the IR: nothing is created unless the whole chain matched.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_RAISEATTENTIONPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// The ops a match makes dead. Each of them but the root must have no user
/// outside the set: raising a chain whose intermediate is also used
/// elsewhere would compute attention and keep computing that intermediate.
using OpSet = llvm::SmallSetVector<Operation *, 16>;

/// tensor.collapse_shape / expand_shape between [B, H, M, N] and [B*H, M, N].
static const SmallVector<ReassociationIndices> kMergedBatch = {
    {0, 1}, {2}, {3}};

/// The permutation of `.transpose(2, 3)` on a rank-4 tensor.
static constexpr int64_t kLastTwoSwap[] = {0, 1, 3, 2};

//===----------------------------------------------------------------------===//
// Constants and payloads
//===----------------------------------------------------------------------===//

/// The value of a float constant, of a splat float tensor constant, or of
/// the linalg.fill of a float constant.
static std::optional<double> getConstantFloat(Value value) {
  FloatAttr scalar;
  if (matchPattern(value, m_Constant(&scalar)))
    return scalar.getValueAsDouble();
  DenseFPElementsAttr dense;
  if (matchPattern(value, m_Constant(&dense)) && dense.isSplat())
    return FloatAttr::getValueAsDouble(dense.getSplatValue<APFloat>());
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    if (fill.hasPureTensorSemantics())
      return getConstantFloat(fill.getInputs()[0]);
  return std::nullopt;
}

/// The scalar that `op`'s payload yields.
static Value getYielded(linalg::LinalgOp op) {
  Operation *yield = op.getBlock()->getTerminator();
  return yield->getNumOperands() == 1 ? yield->getOperand(0) : Value();
}

/// The operation of `op`'s payload that defines `scalar`, if it is of type
/// OpTy; a value captured from outside the payload does not count.
template <typename... OpTys>
static Operation *getPayloadOp(linalg::LinalgOp op, Value scalar) {
  Operation *def = scalar ? scalar.getDefiningOp() : nullptr;
  if (!def || def->getBlock() != op.getBlock() || !isa<OpTys...>(def))
    return nullptr;
  return def;
}

/// The input operand whose element `scalar` is, inside `op`'s payload.
static OpOperand *getInputOf(linalg::LinalgOp op, Value scalar) {
  auto arg = dyn_cast_or_null<BlockArgument>(scalar);
  if (!arg || arg.getOwner() != op.getBlock())
    return nullptr;
  OpOperand *operand = op.getMatchingOpOperand(arg);
  return op.isDpsInput(operand) ? operand : nullptr;
}

/// Whether `op` reads `operand` at the same position it writes.
static bool readsInPlace(linalg::LinalgOp op, OpOperand *operand) {
  return op.getMatchingIndexingMap(operand).isIdentity();
}

/// Whether `op`, elementwise over [B, H, Sq, Sk], reads `operand` once per
/// row: as [B, H, Sq], or as [B, H, Sq, 1] (a keepdim reduction).
static bool readsPerRow(linalg::LinalgOp op, OpOperand *operand) {
  MLIRContext *ctx = op.getContext();
  AffineExpr d0, d1, d2;
  bindDims(ctx, d0, d1, d2);
  AffineMap map = op.getMatchingIndexingMap(operand);
  if (map == AffineMap::get(4, 0, {d0, d1, d2}, ctx))
    return true;
  AffineExpr zero = getAffineConstantExpr(0, ctx);
  auto type = dyn_cast<ShapedType>(operand->get().getType());
  return map == AffineMap::get(4, 0, {d0, d1, d2, zero}, ctx) && type &&
         type.getDimSize(3) == 1;
}

/// The op defining `tensor` if it computes each element of its rank-4
/// result from input elements only: all loops parallel, the result written
/// in place, its init never read.
static linalg::LinalgOp getElementwise(Value tensor) {
  auto op = tensor.getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 4 ||
      !op.isAllParallelLoops())
    return {};
  OpOperand *init = op.getDpsInitOperand(0);
  if (!readsInPlace(op, init) || op.payloadUsesValueFromOperand(init))
    return {};
  return op;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// Whether `body` is `acc + a * b` over its arguments (a, b, acc), with a
/// and b possibly widened first: the payload of a float matmul.
static bool isMulAddBody(Block *body) {
  if (body->getNumArguments() != 3)
    return false;
  Operation *yield = body->getTerminator();
  if (yield->getNumOperands() != 1)
    return false;
  auto add = yield->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != body)
    return false;
  Value acc = body->getArgument(2);
  Value product = add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul || mul->getBlock() != body)
    return false;
  auto widened = [](Value v) {
    if (auto ext = v.getDefiningOp<arith::ExtFOp>())
      return ext.getIn();
    return v;
  };
  Value a = widened(mul.getLhs()), b = widened(mul.getRhs());
  Value x = body->getArgument(0), y = body->getArgument(1);
  return (a == x && b == y) || (a == y && b == x);
}

/// If `op` is a zero-initialised float matmul batched over `numBatch` outer
/// dimensions, out[.., i, j] = sum_k lhs[.., i, k] * rhs[.., k, j], returns
/// whether rhs is stored transposed, as rhs[.., j, k]. The loops may come in
/// any order: they are identified from the result's indexing.
static std::optional<bool> matchBatchedMatmul(linalg::LinalgOp op,
                                              unsigned numBatch) {
  unsigned numLoops = numBatch + 3;
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      op.getNumLoops() != numLoops || !isMulAddBody(op.getBlock()))
    return std::nullopt;
  std::optional<double> init = getConstantFloat(op.getDpsInits()[0]);
  if (!init || *init != 0.0)
    return std::nullopt;

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  if (out.getNumResults() != numBatch + 2 || !out.isProjectedPermutation())
    return std::nullopt;
  SmallVector<unsigned> outDims;
  llvm::SmallBitVector seen(numLoops);
  for (AffineExpr e : out.getResults()) {
    outDims.push_back(cast<AffineDimExpr>(e).getPosition());
    seen.set(outDims.back());
  }
  unsigned k = seen.find_first_unset();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < numLoops; ++d)
    if (iterators[d] != (d == k ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel))
      return std::nullopt;

  ArrayRef<unsigned> batch = ArrayRef<unsigned>(outDims).take_front(numBatch);
  unsigned i = outDims[numBatch], j = outDims[numBatch + 1];
  auto mapOf = [&](unsigned row, unsigned col) {
    SmallVector<unsigned> dims(batch);
    dims.append({row, col});
    return AffineMap::getMultiDimMapWithTargets(numLoops, dims,
                                                op.getContext());
  };
  if (maps[0] != mapOf(i, k))
    return std::nullopt;
  if (maps[1] == mapOf(k, j))
    return false;
  if (maps[1] == mapOf(j, k))
    return true;
  return std::nullopt;
}

namespace {
/// A matmul batched over [B, H], seen in rank 4 however it is spelled.
struct Contraction {
  Value lhs, rhs;     // [B, H, M, K] and [B, H, K, N] (or [B, H, N, K])
  bool rhsTransposed; // rhs is [B, H, N, K]
  /// The contraction, and the expand_shape of its result if it has one.
  SmallVector<Operation *, 2> ops;
  /// The collapse_shape of lhs, if any: P's goes with P·V, Q's may stay.
  Operation *lhsCollapse = nullptr;
};
} // namespace

/// Matches the batched matmul that produces the rank-4 `result`: either one
/// linalg op with two batch loops (a 4-D linalg.generic or linalg.contract),
/// or a batch_matmul-like op on [B*H, M, K] between collapse_shape of its
/// operands and expand_shape of its result, which is how torch-mlir lowers
/// torch.matmul on rank-4 tensors.
static std::optional<Contraction> matchContraction(Value result) {
  if (auto op = result.getDefiningOp<linalg::LinalgOp>()) {
    std::optional<bool> transposed = matchBatchedMatmul(op, 2);
    if (!transposed)
      return std::nullopt;
    return Contraction{
        op.getDpsInputs()[0], op.getDpsInputs()[1], *transposed, {op}, nullptr};
  }

  auto expand = result.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || expand.getReassociationIndices() != kMergedBatch)
    return std::nullopt;
  auto op = expand.getSrc().getDefiningOp<linalg::LinalgOp>();
  std::optional<bool> transposed = matchBatchedMatmul(op, 1);
  if (!transposed)
    return std::nullopt;
  auto lhs = op.getDpsInputs()[0].getDefiningOp<tensor::CollapseShapeOp>();
  auto rhs = op.getDpsInputs()[1].getDefiningOp<tensor::CollapseShapeOp>();
  if (!lhs || !rhs || lhs.getReassociationIndices() != kMergedBatch ||
      rhs.getReassociationIndices() != kMergedBatch)
    return std::nullopt;
  // The three reshapes must split B*H into the same B and H, or batch b of
  // the result would not be batch b of the operands.
  ArrayRef<int64_t> out = expand.getResultType().getShape();
  for (ArrayRef<int64_t> in :
       {lhs.getSrcType().getShape(), rhs.getSrcType().getShape()})
    for (unsigned d : {0u, 1u})
      if (ShapedType::isDynamic(in[d]) || in[d] != out[d])
        return std::nullopt;
  return Contraction{
      lhs.getSrc(), rhs.getSrc(), *transposed, {op, expand}, lhs};
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

namespace {
enum class Combiner { Add, Max };
} // namespace

/// If `tensor` holds one value per row of a rank-4 X, reduced over the last
/// dimension with `combiner` from a start that keeps the result a softmax
/// term, returns X. The rows may keep the reduced dimension as a unit one.
static Value matchRowReduction(Value tensor, Combiner combiner, OpSet &ops) {
  if (auto expand = tensor.getDefiningOp<tensor::ExpandShapeOp>()) {
    SmallVector<ReassociationIndices> keepDim = {{0}, {1}, {2, 3}};
    if (expand.getReassociationIndices() != keepDim ||
        expand.getResultType().getDimSize(3) != 1)
      return {};
    ops.insert(expand);
    tensor = expand.getSrc();
  }
  auto op = tensor.getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op->getNumResults() != 1 || op.getNumLoops() != 4)
    return {};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.back() != utils::IteratorType::reduction ||
      op.getNumReductionLoops() != 1)
    return {};
  OpOperand *input = op.getDpsInputOperand(0);
  OpOperand *init = op.getDpsInitOperand(0);
  if (!readsInPlace(op, input) || !readsPerRow(op, init))
    return {};

  Block *body = op.getBlock();
  Operation *combine = combiner == Combiner::Add
                           ? getPayloadOp<arith::AddFOp>(op, getYielded(op))
                           : getPayloadOp<arith::MaximumFOp, arith::MaxNumFOp>(
                                 op, getYielded(op));
  if (!combine)
    return {};
  Value in = body->getArgument(0), acc = body->getArgument(1);
  Value a = combine->getOperand(0), b = combine->getOperand(1);
  if (!((a == in && b == acc) || (a == acc && b == in)))
    return {};

  // A sum must start at zero. A max may start at -inf or at the lowest
  // finite value: either way it is the row maximum, and a finite start
  // above the row would underflow every exp.
  std::optional<double> start = getConstantFloat(init->get());
  if (!start)
    return {};
  if (combiner == Combiner::Add && *start != 0.0)
    return {};
  if (combiner == Combiner::Max) {
    auto elt = cast<FloatType>(getElementTypeOrSelf(init->get().getType()));
    double lowest = FloatAttr::getValueAsDouble(
        APFloat::getLargest(elt.getFloatSemantics(), /*Negative=*/true));
    if (*start != -INFINITY && *start != lowest)
      return {};
  }
  ops.insert(op);
  return input->get();
}

/// exp(X - max(X)) / sum(exp(X - max(X))) over the last dimension, with the
/// subtraction and the exp in one elementwise op or in two, and the
/// division possibly followed by a cast in its op; returns X.
static Value matchDecomposedSoftmax(Value probs, OpSet &ops) {
  linalg::LinalgOp divOp = getElementwise(probs);
  if (!divOp)
    return {};
  Value quotient = getYielded(divOp);
  while (Operation *cast =
             getPayloadOp<arith::ExtFOp, arith::TruncFOp>(divOp, quotient))
    quotient = cast->getOperand(0);
  Operation *div = getPayloadOp<arith::DivFOp>(divOp, quotient);
  if (!div)
    return {};
  OpOperand *num = getInputOf(divOp, div->getOperand(0));
  OpOperand *den = getInputOf(divOp, div->getOperand(1));
  if (!num || !den || !readsInPlace(divOp, num) || !readsPerRow(divOp, den))
    return {};
  Value exps = num->get();
  if (matchRowReduction(den->get(), Combiner::Add, ops) != exps)
    return {};

  linalg::LinalgOp expOp = getElementwise(exps);
  auto exp =
      expOp ? getPayloadOp<math::ExpOp>(expOp, getYielded(expOp)) : nullptr;
  if (!exp)
    return {};
  linalg::LinalgOp subOp = expOp;
  Value diff = exp->getOperand(0);
  if (OpOperand *in = getInputOf(expOp, diff)) {
    subOp = readsInPlace(expOp, in) ? getElementwise(in->get()) : nullptr;
    if (!subOp)
      return {};
    diff = getYielded(subOp);
  }
  auto sub = getPayloadOp<arith::SubFOp>(subOp, diff);
  if (!sub)
    return {};
  OpOperand *x = getInputOf(subOp, sub->getOperand(0));
  OpOperand *max = getInputOf(subOp, sub->getOperand(1));
  if (!x || !max || !readsInPlace(subOp, x) || !readsPerRow(subOp, max))
    return {};
  if (matchRowReduction(max->get(), Combiner::Max, ops) != x->get())
    return {};
  ops.insert(divOp);
  ops.insert(expOp);
  ops.insert(subOp);
  return x->get();
}

/// If `probs` is the softmax of a rank-4 X over its last dimension, as
/// linalg.softmax or decomposed, returns X.
static Value matchSoftmax(Value probs, OpSet &ops) {
  if (auto softmax = probs.getDefiningOp<linalg::SoftmaxOp>()) {
    if (!isa<RankedTensorType>(softmax.getInput().getType()) ||
        softmax.getInputOperandRank() != 4 || softmax.getDimension() != 3)
      return {};
    ops.insert(softmax);
    return softmax.getInput();
  }
  return matchDecomposedSoftmax(probs, ops);
}

//===----------------------------------------------------------------------===//
// Scores: Q·Kᵀ, scale, mask
//===----------------------------------------------------------------------===//

namespace {
/// An additive mask as the elementwise op that adds it reads it.
struct MaskOperand {
  Value tensor;
  unsigned rank;
};

/// What lies between Q·Kᵀ and the softmax.
struct ScoreChain {
  std::optional<Contraction> qk;
  double scale = 1.0;
  bool scaled = false;
  std::optional<MaskOperand> mask;
  OpSet ops;
};
} // namespace

/// `scalar`, read by `op` over [B, H, Sq, Sk], as an additive mask: a rank-4
/// tensor read in place or broadcast over batch or heads where its extent
/// there is 1, or a [H, Sq, Sk] or [Sq, Sk] tensor broadcast over the rest.
/// These are the shapes attn.attention's mask takes, up to unit dimensions.
static std::optional<MaskOperand> getMaskOperand(linalg::LinalgOp op,
                                                 Value scalar) {
  OpOperand *in = getInputOf(op, scalar);
  auto type = in ? dyn_cast<RankedTensorType>(in->get().getType()) : nullptr;
  // attn.attention takes the same four mask element types as its operands.
  if (!type || !isSupportedElementType(type.getElementType()))
    return std::nullopt;
  AffineMap map = op.getMatchingIndexingMap(in);
  MLIRContext *ctx = op.getContext();
  auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
  AffineExpr zero = getAffineConstantExpr(0, ctx);
  int64_t rank = type.getRank();
  if (rank < 2 || rank > 4 || map.getNumResults() != rank)
    return std::nullopt;
  ArrayRef<AffineExpr> results = map.getResults();
  if (results.take_back(2) != ArrayRef<AffineExpr>{dim(2), dim(3)})
    return std::nullopt;
  if (rank == 3 && results[0] != dim(1))
    return std::nullopt;
  if (rank == 4)
    for (unsigned d : {0u, 1u})
      if (results[d] != dim(d) &&
          !(results[d] == zero && type.getDimSize(d) == 1))
        return std::nullopt;
  return MaskOperand{in->get(), unsigned(rank)};
}

/// `scalar` as a constant factor inside `op`'s payload.
static std::optional<double> getScaleFactor(linalg::LinalgOp op, Value scalar) {
  if (OpOperand *in = getInputOf(op, scalar))
    return getConstantFloat(in->get());
  return getConstantFloat(scalar);
}

static bool matchScoreTensor(Value tensor, ScoreChain &chain);

/// Matches `scalar` of `op`'s payload, from the outside in, as extf/truncf,
/// multiplication or division by a constant, or the addition of a mask,
/// down to an element of Q·Kᵀ.
static bool matchScoreScalar(linalg::LinalgOp op, Value scalar,
                             ScoreChain &chain) {
  if (OpOperand *in = getInputOf(op, scalar))
    return readsInPlace(op, in) && matchScoreTensor(in->get(), chain);

  // Precision changes: attn.attention computes scores and softmax in f32.
  if (Operation *cast =
          getPayloadOp<arith::ExtFOp, arith::TruncFOp>(op, scalar))
    return matchScoreScalar(op, cast->getOperand(0), chain);

  if (Operation *mul = getPayloadOp<arith::MulFOp>(op, scalar)) {
    for (unsigned side : {1u, 0u})
      if (std::optional<double> c = getScaleFactor(op, mul->getOperand(side))) {
        chain.scale *= *c;
        chain.scaled = true;
        return matchScoreScalar(op, mul->getOperand(1 - side), chain);
      }
    return false;
  }
  if (Operation *div = getPayloadOp<arith::DivFOp>(op, scalar)) {
    std::optional<double> c = getScaleFactor(op, div->getOperand(1));
    if (!c)
      return false;
    chain.scale /= *c;
    chain.scaled = true;
    return matchScoreScalar(op, div->getOperand(0), chain);
  }

  // attn.attention adds the mask after scaling, so a mask the scale applies
  // to does not fit; nor do two masks.
  if (Operation *add = getPayloadOp<arith::AddFOp>(op, scalar)) {
    if (chain.scaled || chain.mask)
      return false;
    for (unsigned side : {1u, 0u}) {
      std::optional<MaskOperand> mask =
          getMaskOperand(op, add->getOperand(side));
      if (!mask)
        continue;
      // Both operands may look like masks; only one side leads to Q·Kᵀ.
      ScoreChain attempt = chain;
      attempt.mask = mask;
      if (matchScoreScalar(op, add->getOperand(1 - side), attempt)) {
        chain = std::move(attempt);
        return true;
      }
    }
  }
  return false;
}

/// Matches the rank-4 `tensor` as Q·Kᵀ, or as an elementwise op over it.
static bool matchScoreTensor(Value tensor, ScoreChain &chain) {
  if (linalg::LinalgOp op = getElementwise(tensor)) {
    if (!chain.ops.insert(op))
      return false;
    return matchScoreScalar(op, getYielded(op), chain);
  }
  chain.qk = matchContraction(tensor);
  return chain.qk.has_value();
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

/// `.transpose(2, 3)` of a rank-4 tensor, reusing the transpose it came from.
static Value transposeLastTwo(OpBuilder &b, Location loc, Value tensor) {
  if (auto t = tensor.getDefiningOp<linalg::TransposeOp>())
    if (t.hasPureTensorSemantics() &&
        t.getPermutation() == ArrayRef<int64_t>(kLastTwoSwap))
      return t.getInput();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, tensor);
  std::swap(sizes[2], sizes[3]);
  Value init = tensor::EmptyOp::create(b, loc, sizes,
                                       getElementTypeOrSelf(tensor.getType()));
  return linalg::TransposeOp::create(b, loc, tensor, init, kLastTwoSwap)
      .getResult()[0];
}

/// The mask as attn.attention takes it: rank 4, unit dimensions in front.
static Value buildMask(OpBuilder &b, Location loc, MaskOperand mask) {
  if (mask.rank == 4)
    return mask.tensor;
  auto type = cast<RankedTensorType>(mask.tensor.getType());
  SmallVector<int64_t> shape(4 - mask.rank, 1);
  llvm::append_range(shape, type.getShape());
  SmallVector<ReassociationIndices> reassociation =
      mask.rank == 3 ? SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}}
                     : SmallVector<ReassociationIndices>{{0, 1, 2}, {3}};
  return tensor::ExpandShapeOp::create(b, loc, type.clone(shape), mask.tensor,
                                       reassociation);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Raises the attention whose last op, `root`, produces `result` = P·V.
static LogicalResult raiseAttention(Operation *root, Value result,
                                    PatternRewriter &rewriter) {
  auto resultType = dyn_cast<RankedTensorType>(result.getType());
  if (!resultType || resultType.getRank() != 4)
    return rewriter.notifyMatchFailure(root, "result is not rank 4");
  std::optional<Contraction> pv = matchContraction(result);
  if (!pv)
    return rewriter.notifyMatchFailure(root, "not a matmul batched over B, H");
  OpSet ops;
  ops.insert_range(pv->ops);
  if (pv->lhsCollapse)
    ops.insert(pv->lhsCollapse);

  // .type_as(xq) after the softmax.
  Value probs = pv->lhs;
  while (linalg::LinalgOp castOp = getElementwise(probs)) {
    Operation *cast = getPayloadOp<arith::ExtFOp, arith::TruncFOp>(
        castOp, getYielded(castOp));
    OpOperand *in = cast ? getInputOf(castOp, cast->getOperand(0)) : nullptr;
    if (!in || !readsInPlace(castOp, in))
      break;
    ops.insert(castOp);
    probs = in->get();
  }
  Value x = matchSoftmax(probs, ops);
  if (!x)
    return rewriter.notifyMatchFailure(
        root, "left operand is not a softmax over the last dimension");

  ScoreChain chain;
  if (!matchScoreTensor(x, chain))
    return rewriter.notifyMatchFailure(
        root, "softmax input is not Q·Kᵀ scaled by constants plus a mask");
  ops.insert_range(chain.ops);
  ops.insert_range(chain.qk->ops);

  if (chain.mask)
    if (Operation *def = chain.mask->tensor.getDefiningOp();
        def && ops.contains(def))
      return rewriter.notifyMatchFailure(root, "mask depends on the scores");
  for (Operation *op : ops)
    if (op != root)
      for (Operation *user : op->getUsers())
        if (!ops.contains(user))
          return rewriter.notifyMatchFailure(
              op, "intermediate of the attention has another use");

  Value query = chain.qk->lhs, key = chain.qk->rhs, value = pv->rhs;
  Type elt = resultType.getElementType();
  // Left as it is, the linalg form still lowers; raised, it would not verify.
  if (!isSupportedElementType(elt))
    return rewriter.notifyMatchFailure(
        root, "element type is not one attn.attention supports");
  for (Value operand : {query, key, value})
    if (getElementTypeOrSelf(operand.getType()) != elt)
      return rewriter.notifyMatchFailure(
          root, "query, key, value and result element types differ");
  for (Type type : {query.getType(), key.getType(), value.getType(),
                    Type(resultType)})
    if (llvm::is_contained(cast<ShapedType>(type).getShape(), 0))
      return rewriter.notifyMatchFailure(
          root, "an empty dimension, which attn.attention rejects");
  auto scale = static_cast<float>(chain.scale);
  if (!std::isfinite(scale))
    return rewriter.notifyMatchFailure(root, "scale is not finite in f32");

  Location loc = root->getLoc();
  // The Q·Kᵀ contraction reads K as [B, H, Sk, D] only when it was written
  // transposed; otherwise its operand is Kᵀ. P·V is the other way round.
  if (!chain.qk->rhsTransposed)
    key = transposeLastTwo(rewriter, loc, key);
  if (pv->rhsTransposed)
    value = transposeLastTwo(rewriter, loc, value);
  Value mask = chain.mask ? buildMask(rewriter, loc, *chain.mask) : Value();
  auto attention = AttentionOp::create(
      rewriter, loc, resultType, query, key, value, mask,
      rewriter.getF32FloatAttr(scale), /*causal=*/UnitAttr(),
      /*window=*/IntegerAttr(),
      LayoutAttr::get(rewriter.getContext(), Layout::BHSD));
  rewriter.replaceOp(root, attention.getResult());
  return success();
}

namespace {

/// P·V as one rank-4 linalg op.
struct RaiseFromContraction
    : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "not one result");
    return raiseAttention(op, op->getResult(0), rewriter);
  }
};

/// P·V as a [B*H] batched matmul between reshapes.
struct RaiseFromExpandShape : public OpRewritePattern<tensor::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExpandShapeOp op,
                                PatternRewriter &rewriter) const override {
    return raiseAttention(op, op.getResult(), rewriter);
  }
};

struct RaiseAttentionPass
    : public attn::impl::RaiseAttentionPassBase<RaiseAttentionPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<RaiseFromContraction, RaiseFromExpandShape>(ctx);
    // Raise or leave alone: no folding or region simplification of the
    // IR around the attention chains.
    GreedyRewriteConfig config;
    config.enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
