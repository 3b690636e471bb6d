//===- FuseRepeatKV.cpp - fold repeat_kv into grouped attention ------------===//
//
// llama2 copies each KV head n_rep times before attention so that a plain
// multi-head kernel can run. attn.attention groups heads natively, so the
// copy is pure waste: this pass rewrites attention over repeated K/V into
// attention over the original K/V. It also recognises the copy when it is
// spelled in upstream ops, and folds llama2's `.transpose(1, 2)` pairs into
// the attention layout, so the result is one attention op on the tensors the
// model already has.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEREPEATKVPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// The permutation of llama2's `.transpose(1, 2)` on a rank-4 tensor.
static constexpr int64_t kSeqHeadSwap[] = {0, 2, 1, 3};

/// Returns the transpose defining `value` if it swaps seq and heads.
static linalg::TransposeOp getSeqHeadSwap(Value value) {
  auto transpose = value.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose.hasPureTensorSemantics() ||
      transpose.getPermutation() != ArrayRef<int64_t>(kSeqHeadSwap))
    return {};
  return transpose;
}

/// Builds `.transpose(1, 2)` of a rank-4 tensor.
static Value buildSeqHeadSwap(OpBuilder &b, Location loc, Value input) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  std::swap(sizes[1], sizes[2]);
  Value init = tensor::EmptyOp::create(
      b, loc, sizes, cast<RankedTensorType>(input.getType()).getElementType());
  return linalg::TransposeOp::create(b, loc, input, init, kSeqHeadSwap)
      .getResult()[0];
}

namespace {

//===----------------------------------------------------------------------===//
// repeat_kv spelled in upstream ops
//===----------------------------------------------------------------------===//

/// collapse_shape([[0], [1], [2, 3], [4]]) of a linalg.broadcast that inserts
/// dimension 3 into [B, S, H, D] is repeat_kv: the new dimension sits right
/// after the head it copies, so head h of the result is head h floordiv n.
struct RaiseBroadcastToRepeatKV
    : public OpRewritePattern<tensor::CollapseShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::CollapseShapeOp collapse,
                                PatternRewriter &rewriter) const override {
    auto broadcast = collapse.getSrc().getDefiningOp<linalg::BroadcastOp>();
    if (!broadcast || !broadcast.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(collapse, "not fed by a broadcast");
    if (broadcast.getDimensions() != ArrayRef<int64_t>{3})
      return rewriter.notifyMatchFailure(collapse,
                                         "broadcast does not add dimension 3");
    SmallVector<ReassociationIndices> expected = {{0}, {1}, {2, 3}, {4}};
    if (collapse.getReassociationIndices() != expected)
      return rewriter.notifyMatchFailure(
          collapse, "collapse does not merge heads with the copies");
    auto initType = cast<RankedTensorType>(broadcast.getInit().getType());
    int64_t nRep = initType.getDimSize(3);
    if (ShapedType::isDynamic(nRep))
      return rewriter.notifyMatchFailure(collapse, "dynamic repeat count");
    rewriter.replaceOpWithNewOp<RepeatKVOp>(collapse, collapse.getType(),
                                            broadcast.getInput(), nRep);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Transposes into the layout
//===----------------------------------------------------------------------===//

/// attention<bhsd>(q^T, k^T, v^T) == attention<bshd>(q, k, v)^T, where ^T is
/// `.transpose(1, 2)`. The mask is laid out the same in both layouts.
struct FoldTransposesIntoLayout : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getLayout() != Layout::BHSD)
      return rewriter.notifyMatchFailure(op, "layout is already bshd");
    // Their scales would need the same transpose; nothing produces scaled
    // bhsd attention yet.
    if (op.hasScales())
      return rewriter.notifyMatchFailure(op, "key and value are quantized");
    linalg::TransposeOp q = getSeqHeadSwap(op.getQuery());
    linalg::TransposeOp k = getSeqHeadSwap(op.getKey());
    linalg::TransposeOp v = getSeqHeadSwap(op.getValue());
    if (!q || !k || !v)
      return rewriter.notifyMatchFailure(
          op, "query, key and value are not all seq/head transposes");

    auto type = op.getResult().getType();
    SmallVector<int64_t> shape(type.getShape());
    std::swap(shape[1], shape[2]);
    // kv_lengths index the batch, which both layouts keep first.
    auto newOp = AttentionOp::create(
        rewriter, op.getLoc(), type.clone(shape), q.getInput(), k.getInput(),
        v.getInput(), op.getMask(), /*key_scale=*/Value(),
        /*value_scale=*/Value(), op.getKvLengths(), op.getScaleAttr(),
        op.getCausalAttr(), op.getWindowAttr(),
        LayoutAttr::get(rewriter.getContext(), Layout::BSHD));
    rewriter.replaceOp(
        op, buildSeqHeadSwap(rewriter, op.getLoc(), newOp.getResult()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// repeat_kv into attention
//===----------------------------------------------------------------------===//

/// A key or value operand seen through the llama2 wrapping.
struct RepeatedOperand {
  RepeatKVOp repeat;
  bool transposed = false;
};

static std::optional<RepeatedOperand> matchRepeated(Value operand,
                                                    Layout layout) {
  // repeat_kv repeats dimension 2 of [B, S, H, D]: that is the head axis of
  // a bshd attention, but the sequence axis of a bhsd one, which must read
  // it through `.transpose(1, 2)` for the copies to be heads.
  if (layout == Layout::BSHD) {
    if (auto repeat = operand.getDefiningOp<RepeatKVOp>())
      return RepeatedOperand{repeat, false};
    return std::nullopt;
  }
  if (linalg::TransposeOp t = getSeqHeadSwap(operand))
    if (auto repeat = t.getInput().getDefiningOp<RepeatKVOp>())
      return RepeatedOperand{repeat, true};
  return std::nullopt;
}

struct FuseRepeatKVIntoAttention : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    // Repeated codes would come with repeated scales, which this pattern
    // does not see through; a quantized cache lowers to unrepeated K/V.
    if (op.hasScales())
      return rewriter.notifyMatchFailure(op, "key and value are quantized");
    std::optional<RepeatedOperand> key =
        matchRepeated(op.getKey(), op.getLayout());
    std::optional<RepeatedOperand> value =
        matchRepeated(op.getValue(), op.getLayout());
    if (!key || !value)
      return rewriter.notifyMatchFailure(op, "key or value is not repeated");
    if (key->repeat.getNRep() != value->repeat.getNRep())
      return rewriter.notifyMatchFailure(
          op, "key and value are repeated by different factors");

    auto unrepeat = [&](RepeatedOperand operand) -> Value {
      Value source = operand.repeat.getInput();
      return operand.transposed
                 ? buildSeqHeadSwap(rewriter, op.getLoc(), source)
                 : source;
    };
    Value newKey = unrepeat(*key);
    Value newValue = unrepeat(*value);
    rewriter.modifyOpInPlace(op, [&] {
      op.getKeyMutable().assign(newKey);
      op.getValueMutable().assign(newValue);
    });
    return success();
  }
};

struct FuseRepeatKVPass
    : public attn::impl::FuseRepeatKVPassBase<FuseRepeatKVPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<RaiseBroadcastToRepeatKV, FoldTransposesIntoLayout,
                 FuseRepeatKVIntoAttention>(ctx);
    // Folding transposes into the layout leaves transpose pairs behind;
    // composing them is what removes llama2's copies.
    linalg::TransposeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
