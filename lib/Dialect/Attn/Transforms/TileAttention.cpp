//===- TileAttention.cpp - attention as FlashAttention-2 loops -------------===//
//
// Lays out the FlashAttention-2 pieces of FlashBuilder.h as loops: one
// scf.parallel iteration per (batch, KV head, q-tile), and inside it a
// sequential walk over the KV tiles. This is the target-independent form
// that the CPU pipeline lowers as it is, and the reference that GPU kernels
// are tested against.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Utils/FlashBuilder.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_TILEATTENTIONPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// Allocates a scratch buffer of `type`; `sizes` may be dynamic.
static Value allocScratch(OpBuilder &b, Location loc, Type type,
                          ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  dispatchIndexOpFoldResults(sizes, dynamic, shape);
  return memref::AllocOp::create(b, loc, MemRefType::get(shape, type),
                                 dynamic);
}

static void tileAttention(IRRewriter &rewriter, AttentionOp op,
                          FlashTiles tiles) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value q = toReadOnlyBuffer(rewriter, loc, op.getQuery());
  Value k = toReadOnlyBuffer(rewriter, loc, op.getKey());
  Value v = toReadOnlyBuffer(rewriter, loc, op.getValue());
  Value mask = toReadOnlyBuffer(rewriter, loc, op.getMask());
  Value keyScale = toReadOnlyBuffer(rewriter, loc, op.getKeyScale());
  Value valueScale = toReadOnlyBuffer(rewriter, loc, op.getValueScale());
  Value kvLengths = toReadOnlyBuffer(rewriter, loc, op.getKvLengths());

  RankedTensorType resultType = op.getResult().getType();
  SmallVector<OpFoldResult> outSizes;
  for (auto [i, size] : llvm::enumerate(resultType.getShape())) {
    if (!ShapedType::isDynamic(size)) {
      outSizes.push_back(rewriter.getIndexAttr(size));
      continue;
    }
    // Dynamic result extents come from the operand that defines them.
    bool valueDim = i == 3;
    outSizes.push_back(memref::DimOp::create(rewriter, loc, valueDim ? v : q, i)
                           .getResult());
  }
  Value out =
      allocScratch(rewriter, loc, resultType.getElementType(), outSizes);

  FlashProblem problem = FlashProblem::build(
      rewriter, loc, op, q, k, v, mask, out, keyScale, valueScale);
  problem.kvLengths = kvLengths;
  auto c = [&](int64_t x) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, x);
  };
  Value zero = c(0), one = c(1);
  Value qTiles = arith::CeilDivUIOp::create(rewriter, loc, problem.seqQ, c(tiles.q));
  Value rows = arith::MulIOp::create(rewriter, loc, problem.group, c(tiles.q));

  scf::ParallelOp::create(
      rewriter, loc, ValueRange{zero, zero, zero},
      ValueRange{problem.batch, problem.headsKV, qTiles}, ValueRange{one, one, one},
      [&](OpBuilder &b, Location loc, ValueRange ivs) {
        Value bi = ivs[0], kvHead = ivs[1];
        Value qStart = arith::MulIOp::create(b, loc, ivs[2], c(tiles.q));
        // With per-sequence lengths, this sequence's own key length bounds
        // the KV loop and aligns the causal diagonal.
        FlashProblem p = problem.forSequence(b, loc, bi);
        OpFoldResult kv = b.getIndexAttr(tiles.kv);
        FlashState st;
        st.rowMax = allocScratch(b, loc, p.accType, {rows});
        st.rowSum = allocScratch(b, loc, p.accType, {rows});
        st.acc = allocScratch(b, loc, p.accType, {rows, p.valueDim});
        st.scores = allocScratch(b, loc, p.accType, {rows, kv});
        // Quantized K/V are dequantized into tiles of the accumulator
        // type: one tile, not a copy of the cache.
        st.keyTile = allocScratch(b, loc, p.tileType, {kv, p.headDim});
        st.valueTile = allocScratch(b, loc, p.tileType, {kv, p.valueDim});

        auto forRows = [&](OpBuilder &b, Location loc,
                           function_ref<void(OpBuilder &, Location, Value)>
                               body) {
          scf::ForOp::create(b, loc, zero, rows, one, ValueRange(),
                             [&](OpBuilder &b, Location loc, Value row,
                                 ValueRange) {
                               body(b, loc, row);
                               scf::YieldOp::create(b, loc);
                             });
        };
        forRows(b, loc, [&](OpBuilder &b, Location loc, Value row) {
          buildInitRow(b, loc, p, st, row);
        });
        auto [kvBegin, kvEnd] = buildKVRange(b, loc, p, tiles, qStart);
        scf::ForOp::create(
            b, loc, kvBegin, kvEnd, c(tiles.kv), ValueRange(),
            [&](OpBuilder &b, Location loc, Value kvStart, ValueRange) {
              buildLoadTile(b, loc, p, st, tiles, bi, kvHead, kvStart, zero,
                            one);
              forRows(b, loc, [&](OpBuilder &b, Location loc, Value row) {
                buildUpdateRow(b, loc, p, st, tiles, bi, kvHead, qStart,
                               kvStart, row, row);
              });
              scf::YieldOp::create(b, loc);
            });
        forRows(b, loc, [&](OpBuilder &b, Location loc, Value row) {
          buildFinalizeRow(b, loc, p, st, tiles, bi, kvHead, qStart, row,
                           row);
        });
        for (Value buffer : {st.rowMax, st.rowSum, st.acc, st.scores,
                             st.keyTile, st.valueTile})
          memref::DeallocOp::create(b, loc, buffer);
        scf::ReduceOp::create(b, loc);
      });

  Value result = bufferization::ToTensorOp::create(
      rewriter, loc, resultType, out, /*restrict=*/true, /*writable=*/true);
  rewriter.replaceOp(op, result);
}

namespace {
struct TileAttentionPass
    : public attn::impl::TileAttentionPassBase<TileAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (qTile < 1 || qTile > kMaxFlashTile || kvTile < 1 ||
        kvTile > kMaxFlashTile) {
      getOperation()->emitError()
          << "attn-tile-attention: q-tile (" << qTile.getValue()
          << ") and kv-tile (" << kvTile.getValue() << ") must lie in [1, "
          << kMaxFlashTile << "]";
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (AttentionOp op : ops)
      tileAttention(rewriter, op, FlashTiles{qTile, kvTile});
  }
};
} // namespace
