//===- FlashBuilder.cpp - FlashAttention-2 building blocks -----------------===//
//
// Emits the FlashAttention-2 pieces declared in FlashBuilder.h as scf, arith,
// math and memref ops. Running sums are kept in f32 (f64 for f64 inputs)
// whatever the element type, as FlashAttention does, and inputs are widened
// on load.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Utils/FlashBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

static Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

static Value dim(OpBuilder &b, Location loc, Value memref, int64_t i) {
  return memref::DimOp::create(b, loc, memref, i);
}

static Value floatConst(OpBuilder &b, Location loc, FloatType type,
                        double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

Value mlir::attn::castFloat(OpBuilder &b, Location loc, Value v,
                           FloatType type) {
  auto from = cast<FloatType>(v.getType());
  if (from == type)
    return v;
  if (from.getWidth() < type.getWidth())
    return arith::ExtFOp::create(b, loc, type, v);
  return arith::TruncFOp::create(b, loc, type, v);
}

static Value minIndex(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MinSIOp::create(b, loc, x, y);
}
static Value maxIndex(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MaxSIOp::create(b, loc, x, y);
}

/// Emits `for (i = lb; i < ub; i += step)` with no loop-carried values.
static void forLoop(OpBuilder &b, Location loc, Value lb, Value ub, Value step,
                    function_ref<void(OpBuilder &, Location, Value)> body) {
  scf::ForOp::create(b, loc, lb, ub, step, ValueRange(),
                     [&](OpBuilder &nb, Location nl, Value iv, ValueRange) {
                       body(nb, nl, iv);
                       scf::YieldOp::create(nb, nl);
                     });
}

/// Emits a loop that folds `init` through `body` and returns the result.
static Value reduceLoop(
    OpBuilder &b, Location loc, Value lb, Value ub, Value init,
    function_ref<Value(OpBuilder &, Location, Value iv, Value acc)> body) {
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, index(b, loc, 1), ValueRange{init},
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
        scf::YieldOp::create(nb, nl, body(nb, nl, iv, args[0]));
      });
  return loop.getResult(0);
}

static void ifThen(OpBuilder &b, Location loc, Value cond,
                   function_ref<void(OpBuilder &, Location)> body) {
  scf::IfOp::create(b, loc, cond, [&](OpBuilder &nb, Location nl) {
    body(nb, nl);
    scf::YieldOp::create(nb, nl);
  });
}

static Value lessThan(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
}

//===----------------------------------------------------------------------===//
// FlashProblem
//===----------------------------------------------------------------------===//

Value mlir::attn::toReadOnlyBuffer(OpBuilder &b, Location loc, Value value) {
  if (!value)
    return {};
  auto type = cast<RankedTensorType>(value.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()), value,
      /*readOnly=*/true);
}

FlashProblem FlashProblem::build(OpBuilder &b, Location loc, AttentionOp op,
                                 Value query, Value key, Value value,
                                 Value mask, Value output, Value keyScale,
                                 Value valueScale) {
  FlashProblem p;
  p.query = query;
  p.key = key;
  p.value = value;
  p.mask = mask;
  p.output = output;
  p.keyScale = keyScale;
  p.valueScale = valueScale;
  p.layout = op.getLayout();
  unsigned s = op.getSeqDim(), h = op.getHeadDim();
  p.batch = dim(b, loc, query, 0);
  p.seqQ = dim(b, loc, query, s);
  p.headsQ = dim(b, loc, query, h);
  p.headDim = dim(b, loc, query, 3);
  p.seqK = dim(b, loc, key, s);
  p.kvRows = p.seqK;
  p.headsKV = dim(b, loc, key, h);
  p.valueDim = dim(b, loc, value, 3);
  p.group = arith::DivUIOp::create(b, loc, p.headsQ, p.headsKV);
  p.diagonal = arith::SubIOp::create(b, loc, p.seqK, p.seqQ);
  p.causal = op.getCausal();
  // The kernels compute each row's first key as i + (Sk - Sq) + 1 - W in
  // 64-bit index arithmetic, which wraps for a W near INT64_MAX. A window of
  // 2^62 already covers every key: Sk * head_dim * 2 bytes fits in int64
  // (the verifier checks sizes), so Sk < 2^62, and a row never sees a key
  // more than Sk - 1 behind it. Clamped there, the sum stays in range.
  if (std::optional<int64_t> window = op.getWindow())
    p.window = std::min<int64_t>(*window, int64_t(1) << 62);
  Type elt = op.getQuery().getType().getElementType();
  p.accType = elt.isF64() ? cast<FloatType>(elt) : b.getF32Type();
  p.tileType = keyScale ? Type(p.accType)
                        : op.getKey().getType().getElementType();

  p.positiveScale = true;
  if (std::optional<APFloat> scale = op.getScale()) {
    p.scale = floatConst(b, loc, p.accType, scale->convertToDouble());
    // Folded into the exponent, the scale is multiplied by log2(e) in f32;
    // that product must stay finite.
    double v = scale->convertToDouble();
    p.positiveScale = v > 0 && std::isfinite(float(v * M_LOG2E));
  } else if (int64_t d = op.getQuery().getType().getDimSize(3);
             !ShapedType::isDynamic(d)) {
    p.scale = floatConst(b, loc, p.accType, 1.0 / std::sqrt(double(d)));
  } else {
    Value di = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), p.headDim);
    Value df = arith::UIToFPOp::create(b, loc, p.accType, di);
    p.scale = math::RsqrtOp::create(b, loc, df);
  }
  return p;
}

void FlashProblem::setKeyLength(OpBuilder &b, Location loc, Value length) {
  seqK = length;
  diagonal = arith::SubIOp::create(b, loc, seqK, seqQ);
}

FlashProblem FlashProblem::forSequence(OpBuilder &b, Location loc,
                                      Value bi) const {
  FlashProblem p = *this;
  if (!kvLengths)
    return p;
  Value covered = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ult, bi,
      memref::DimOp::create(b, loc, kvLengths, 0));
  auto load = scf::IfOp::create(b, loc, TypeRange{b.getI64Type()}, covered,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(load.thenBlock());
    scf::YieldOp::create(
        b, loc, memref::LoadOp::create(b, loc, kvLengths, bi).getResult());
    b.setInsertionPointToStart(load.elseBlock());
    scf::YieldOp::create(
        b, loc, arith::ConstantIntOp::create(b, loc, 0, 64).getResult());
  }
  Value n = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                       load.getResult(0));
  n = arith::MaxSIOp::create(b, loc, n,
                             arith::ConstantIndexOp::create(b, loc, 0));
  n = arith::MinSIOp::create(b, loc, n, seqK);
  p.setKeyLength(b, loc, n);
  return p;
}

Value FlashProblem::loadRaw(OpBuilder &b, Location loc, Value memref,
                            Value bi, Value s, Value h, Value d) const {
  SmallVector<Value> idx = layout == Layout::BSHD
                               ? SmallVector<Value>{bi, s, h, d}
                               : SmallVector<Value>{bi, h, s, d};
  return memref::LoadOp::create(b, loc, memref, idx);
}

Value FlashProblem::load(OpBuilder &b, Location loc, Value memref, Value bi,
                         Value s, Value h, Value d) const {
  return castFloat(b, loc, loadRaw(b, loc, memref, bi, s, h, d), accType);
}

void FlashProblem::store(OpBuilder &b, Location loc, Value v, Value bi,
                         Value s, Value h, Value d) const {
  SmallVector<Value> idx = layout == Layout::BSHD
                               ? SmallVector<Value>{bi, s, h, d}
                               : SmallVector<Value>{bi, h, s, d};
  auto elt = cast<FloatType>(cast<MemRefType>(output.getType()).getElementType());
  memref::StoreOp::create(b, loc, castFloat(b, loc, v, elt), output, idx);
}

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

std::pair<Value, Value> mlir::attn::buildKVRange(OpBuilder &b, Location loc,
                                                 const FlashProblem &p,
                                                 const FlashTiles &tiles,
                                                 Value qStart) {
  Value zero = index(b, loc, 0);
  Value end = p.seqK;
  if (p.causal) {
    // The last row of the tile sees keys up to qEnd - 1 + (Sk - Sq).
    Value qEnd = minIndex(
        b, loc, arith::AddIOp::create(b, loc, qStart, index(b, loc, tiles.q)),
        p.seqQ);
    Value last = arith::AddIOp::create(b, loc, qEnd, p.diagonal);
    end = minIndex(b, loc, maxIndex(b, loc, last, zero), p.seqK);
  }
  Value begin = zero;
  if (p.window) {
    // The first row of the tile sees keys from qStart + (Sk - Sq) - W + 1.
    Value first = arith::AddIOp::create(
        b, loc, arith::AddIOp::create(b, loc, qStart, p.diagonal),
        index(b, loc, 1 - *p.window));
    Value kvTile = index(b, loc, tiles.kv);
    begin = arith::MulIOp::create(
        b, loc,
        arith::DivUIOp::create(b, loc, maxIndex(b, loc, first, zero), kvTile),
        kvTile);
  }
  return {begin, end};
}

void mlir::attn::buildInitRow(OpBuilder &b, Location loc,
                              const FlashProblem &p, const FlashState &st,
                              Value stateRow) {
  double inf = std::numeric_limits<double>::infinity();
  Value zero = floatConst(b, loc, p.accType, 0.0);
  memref::StoreOp::create(b, loc, floatConst(b, loc, p.accType, -inf),
                          st.rowMax, stateRow);
  memref::StoreOp::create(b, loc, zero, st.rowSum, stateRow);
  forLoop(b, loc, index(b, loc, 0), p.valueDim, index(b, loc, 1),
          [&](OpBuilder &b, Location loc, Value d) {
            memref::StoreOp::create(b, loc, zero, st.acc,
                                    ValueRange{stateRow, d});
          });
}

/// `code * scale` in `accType`: an i8 code is a signed integer, an fp8 code
/// a float that widens exactly.
static Value dequantize(OpBuilder &b, Location loc, Value code, Value scale,
                        FloatType accType) {
  Value v = isa<IntegerType>(code.getType())
                ? arith::SIToFPOp::create(b, loc, accType, code).getResult()
                : castFloat(b, loc, code, accType);
  return arith::MulFOp::create(b, loc, v, scale);
}

void mlir::attn::buildLoadTile(OpBuilder &b, Location loc,
                               const FlashProblem &p, const FlashState &st,
                               const FlashTiles &tiles, Value bi,
                               Value kvHead, Value kvStart, Value first,
                               Value step) {
  Value zero = index(b, loc, 0), one = index(b, loc, 1);
  forLoop(b, loc, first, index(b, loc, tiles.kv), step,
          [&](OpBuilder &b, Location loc, Value jj) {
            Value j = arith::AddIOp::create(b, loc, kvStart, jj);
            ifThen(b, loc, lessThan(b, loc, j, p.seqK),
                   [&](OpBuilder &b, Location loc) {
                     auto copy = [&](Value from, Value scales, Value to,
                                     Value extent) {
                       // The token's scale is loaded once per row of the
                       // tile, outside the head_dim loop.
                       Value scale;
                       if (scales) {
                         SmallVector<Value> idx =
                             p.layout == Layout::BSHD
                                 ? SmallVector<Value>{bi, j, kvHead}
                                 : SmallVector<Value>{bi, kvHead, j};
                         scale = castFloat(
                             b, loc,
                             memref::LoadOp::create(b, loc, scales, idx),
                             p.accType);
                       }
                       forLoop(b, loc, zero, extent, one,
                               [&](OpBuilder &b, Location loc, Value d) {
                                 Value v = p.loadRaw(b, loc, from, bi, j,
                                                     kvHead, d);
                                 if (scale)
                                   v = dequantize(b, loc, v, scale,
                                                  p.accType);
                                 memref::StoreOp::create(b, loc, v, to,
                                                         ValueRange{jj, d});
                               });
                     };
                     copy(p.key, p.keyScale, st.keyTile, p.headDim);
                     copy(p.value, p.valueScale, st.valueTile, p.valueDim);
                   });
          });
}

/// Query row of state row `row`: {query head, query position}.
static std::pair<Value, Value> rowPosition(OpBuilder &b, Location loc,
                                           const FlashProblem &p,
                                           const FlashTiles &tiles,
                                           Value kvHead, Value qStart,
                                           Value row) {
  Value qTile = index(b, loc, tiles.q);
  Value g = arith::DivUIOp::create(b, loc, row, qTile);
  Value i = arith::RemUIOp::create(b, loc, row, qTile);
  Value head = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, kvHead, p.group), g);
  return {head, arith::AddIOp::create(b, loc, qStart, i)};
}

void mlir::attn::buildUpdateRow(OpBuilder &b, Location loc,
                                const FlashProblem &p, const FlashState &st,
                                const FlashTiles &tiles, Value bi,
                                Value kvHead, Value qStart, Value kvStart,
                                Value row, Value stateRow) {
  auto [head, qi] = rowPosition(b, loc, p, tiles, kvHead, qStart, row);
  ifThen(b, loc, lessThan(b, loc, qi, p.seqQ), [&](OpBuilder &b,
                                                   Location loc) {
    Value zeroIdx = index(b, loc, 0);
    // Keys this row may see within the tile: [lo, hi).
    Value hi = minIndex(
        b, loc, p.seqK,
        arith::AddIOp::create(b, loc, kvStart, index(b, loc, tiles.kv)));
    Value diag = arith::AddIOp::create(b, loc, qi, p.diagonal);
    if (p.causal)
      hi = minIndex(b, loc, hi,
                    arith::AddIOp::create(b, loc, diag, index(b, loc, 1)));
    Value lo = kvStart;
    if (p.window)
      lo = maxIndex(b, loc, lo,
                    arith::AddIOp::create(b, loc, diag,
                                          index(b, loc, 1 - *p.window)));

    ifThen(b, loc, lessThan(b, loc, lo, hi), [&](OpBuilder &b, Location loc) {
      double inf = std::numeric_limits<double>::infinity();
      Value zero = floatConst(b, loc, p.accType, 0.0);
      Value negInf = floatConst(b, loc, p.accType, -inf);
      auto tileIndex = [&](OpBuilder &b, Location loc, Value j) {
        return arith::SubIOp::create(b, loc, j, kvStart).getResult();
      };

      // Scores of the visible keys, and their max.
      Value tileMax = reduceLoop(
          b, loc, lo, hi, negInf,
          [&](OpBuilder &b, Location loc, Value j, Value mx) -> Value {
            Value jj = tileIndex(b, loc, j);
            Value dot = reduceLoop(
                b, loc, zeroIdx, p.headDim, zero,
                [&](OpBuilder &b, Location loc, Value d, Value s) -> Value {
                  Value q = p.load(b, loc, p.query, bi, qi, head, d);
                  Value k = castFloat(
                      b, loc,
                      memref::LoadOp::create(b, loc, st.keyTile,
                                             ValueRange{jj, d}),
                      p.accType);
                  return arith::AddFOp::create(
                      b, loc, s, arith::MulFOp::create(b, loc, q, k));
                });
            Value score = arith::MulFOp::create(b, loc, dot, p.scale);
            if (p.mask) {
              // A mask dimension of extent 1 broadcasts.
              auto pick = [&](int64_t d, Value i) -> Value {
                Value isOne = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::eq, dim(b, loc, p.mask, d),
                    index(b, loc, 1));
                return arith::SelectOp::create(b, loc, isOne, zeroIdx, i);
              };
              Value m = memref::LoadOp::create(
                  b, loc, p.mask,
                  ValueRange{pick(0, bi), pick(1, head), qi, j});
              score = arith::AddFOp::create(b, loc, score,
                                            castFloat(b, loc, m, p.accType));
            }
            memref::StoreOp::create(b, loc, score, st.scores,
                                    ValueRange{stateRow, jj});
            return arith::MaximumFOp::create(b, loc, mx, score);
          });

      // Rescale what was accumulated under the old max. A max of -inf
      // (every score masked so far) would give exp(-inf + inf) = NaN, so
      // such rows subtract 0 instead and their terms stay exactly 0.
      Value oldMax = memref::LoadOp::create(b, loc, st.rowMax, stateRow);
      Value newMax = arith::MaximumFOp::create(b, loc, oldMax, tileMax);
      Value allMasked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              newMax, negInf);
      Value base = arith::SelectOp::create(b, loc, allMasked, zero, newMax);
      Value correction = math::ExpOp::create(
          b, loc, arith::SubFOp::create(b, loc, oldMax, base));

      Value tileSum = reduceLoop(
          b, loc, lo, hi, zero,
          [&](OpBuilder &b, Location loc, Value j, Value sum) -> Value {
            Value jj = tileIndex(b, loc, j);
            Value s = memref::LoadOp::create(b, loc, st.scores,
                                             ValueRange{stateRow, jj});
            Value e = math::ExpOp::create(
                b, loc, arith::SubFOp::create(b, loc, s, base));
            memref::StoreOp::create(b, loc, e, st.scores, ValueRange{stateRow, jj});
            return arith::AddFOp::create(b, loc, sum, e);
          });
      Value oldSum = memref::LoadOp::create(b, loc, st.rowSum, stateRow);
      Value newSum = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, oldSum, correction), tileSum);
      memref::StoreOp::create(b, loc, newSum, st.rowSum, stateRow);
      memref::StoreOp::create(b, loc, newMax, st.rowMax, stateRow);

      forLoop(b, loc, zeroIdx, p.valueDim, index(b, loc, 1),
              [&](OpBuilder &b, Location loc, Value d) {
                Value old = memref::LoadOp::create(b, loc, st.acc,
                                                   ValueRange{stateRow, d});
                Value init = arith::MulFOp::create(b, loc, old, correction);
                Value acc = reduceLoop(
                    b, loc, lo, hi, init,
                    [&](OpBuilder &b, Location loc, Value j,
                        Value a) -> Value {
                      Value jj = tileIndex(b, loc, j);
                      Value e = memref::LoadOp::create(b, loc, st.scores,
                                                       ValueRange{stateRow, jj});
                      Value v = castFloat(
                          b, loc,
                          memref::LoadOp::create(b, loc, st.valueTile,
                                                 ValueRange{jj, d}),
                          p.accType);
                      return arith::AddFOp::create(
                          b, loc, a, arith::MulFOp::create(b, loc, e, v));
                    });
                memref::StoreOp::create(b, loc, acc, st.acc,
                                        ValueRange{stateRow, d});
              });
    });
  });
}

void mlir::attn::buildFinalizeRow(OpBuilder &b, Location loc,
                                  const FlashProblem &p, const FlashState &st,
                                  const FlashTiles &tiles, Value bi,
                                  Value kvHead, Value qStart, Value row,
                                  Value stateRow) {
  auto [head, qi] = rowPosition(b, loc, p, tiles, kvHead, qStart, row);
  ifThen(b, loc, lessThan(b, loc, qi, p.seqQ), [&](OpBuilder &b,
                                                   Location loc) {
    Value zero = floatConst(b, loc, p.accType, 0.0);
    Value sum = memref::LoadOp::create(b, loc, st.rowSum, stateRow);
    // A fully masked row has sum 0: it outputs zeros, not NaN.
    Value empty =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, sum, zero);
    forLoop(b, loc, index(b, loc, 0), p.valueDim, index(b, loc, 1),
            [&](OpBuilder &b, Location loc, Value d) {
              Value acc = memref::LoadOp::create(b, loc, st.acc,
                                                 ValueRange{stateRow, d});
              Value out = arith::SelectOp::create(
                  b, loc, empty, zero, arith::DivFOp::create(b, loc, acc, sum));
              p.store(b, loc, out, bi, qi, head, d);
            });
  });
}
