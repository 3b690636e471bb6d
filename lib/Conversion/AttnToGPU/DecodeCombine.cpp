//===- DecodeCombine.cpp - the decode kernel's combine --------------------===//
//
// After the decode kernel's loop: the block's streams combined in shared
// memory, and the block's partial (or, with one split, the output) stored.
//
//===----------------------------------------------------------------------===//

#include "DecodeKernel.h"
#include "SplitCombine.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::decode;

/// From two m-tiles a warp on: the streams' maxes go first, each warp
/// weighs its own accumulators in registers, and the threads add the
/// streams' rows four columns at a time, where buildCombineByElement loads
/// every stream's max and sum and takes its exponentials again for each
/// element (about 1450 instructions a warp in MQA's SASS): MQA decode ran
/// 5% (bf16) and 13-21% (int8) faster. With one m-tile ptxas scheduled the
/// int8 loop itself differently (the same instructions, in another order)
/// and it ran 11-18% slower, so one m-tile keeps the other form (H100,
/// 2026-12-06; bench/NOTES.md).
void DecodeKernel::buildCombine(scf::ForOp loop) {
  if (shape.warpMTiles() < 2)
    return buildCombineByElement(loop);
  int64_t mTiles = shape.warpMTiles(), accTiles = shape.valueDim / 8;
  int64_t accValues = mTiles * accTiles * 4;
  Value accS = sharedView(
      0, {shape.streams(), shape.mRows(), shape.combineRow()}, b.getF32Type());
  Value statS =
      sharedView(shape.combineAccBytes(),
                 {shape.streams(), shape.mRows(), kSplitStats}, b.getF32Type());
  Value log2e = f32(M_LOG2E);
  // exp2 of each max against `base` (a row's max times log2 e, 0 for -inf).
  auto baseOf = [&](Value mx) {
    return fmul(select(isNegInf(mx), f32(0.0), mx), log2e);
  };

  // Every warp has drained its pipeline before any overwrites the buffers.
  gpu::BarrierOp::create(b);
  Value quadRow = add(div(lane, 4), memberRow), quadLane = rem(lane, 4);
  auto rowOf = [&](int64_t mt, int64_t r) {
    return add(quadRow, idx(16 * mt + 8 * r));
  };
  // The streams' maxes first: the four lanes of a quad store the same one.
  // The combines take maxes of scaled scores; the loop's may be of
  // unscaled ones.
  SmallVector<Value> ownMax;
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value mx = loop.getResult(accValues + 2 * mt + r);
      if (foldsScale(p))
        mx = fmul(mx, p.scale);
      ownMax.push_back(mx);
      memref::StoreOp::create(b, mx, statS,
                              ValueRange{stream, rowOf(mt, r), idx(0)});
    }
  gpu::BarrierOp::create(b);

  // Each warp weighs its own accumulators by exp2 of its max against the
  // block's, in registers, so that the sum across streams below is adds
  // only; the weighted sums replace the streams' sums.
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value row = rowOf(mt, r);
      Value mx = ownMax[2 * mt + r];
      Value blockMax = mx;
      for (int64_t w = 0; w < shape.streams(); ++w)
        blockMax = fmax(
            blockMax,
            memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(0)}));
      Value weight = exp2(fsub(fmul(mx, log2e), baseOf(blockMax)));
      Value sum =
          quadReduce(loop.getResult(accValues + 2 * mTiles + 2 * mt + r),
                     [&](Value x, Value y) { return fadd(x, y); });
      memref::StoreOp::create(b, fmul(weight, sum), statS,
                              ValueRange{stream, row, idx(1)});
      // Back from the value scales' unit (valueScales) in the same multiply.
      Value accWeight =
          shape.quantized ? fmul(weight, loop.getResults().back()) : weight;
      for (int64_t nt = 0; nt < accTiles; ++nt) {
        auto acc = [&](int64_t c) {
          return fmul(loop.getResult((mt * accTiles + nt) * 4 + 2 * r + c),
                      accWeight);
        };
        Value n = mul(quadLane, idx(2));
        if (shape.quantized) {
          // Column n of n8 tile nt is value column n (D/8) + nt where the
          // products read codes (accumulatePVFromCodes).
          for (int64_t c = 0; c < 2; ++c)
            memref::StoreOp::create(
                b, acc(c), accS,
                ValueRange{stream, row,
                           add(mul(add(n, idx(c)), idx(accTiles)), idx(nt))});
          continue;
        }
        // Else columns 8 nt + n and the next: one 8-byte store.
        Value pair = vector::FromElementsOp::create(
            b, VectorType::get({2}, b.getF32Type()),
            ValueRange{acc(0), acc(1)});
        vector::StoreOp::create(b, pair, accS,
                                ValueRange{stream, row, add(n, idx(8 * nt))},
                                /*nontemporal=*/false, llvm::MaybeAlign(8));
      }
    }
  gpu::BarrierOp::create(b);

  // Four columns a thread: the streams' weighted accumulators and sums add
  // up to the block's partial (or, unsplit, its output).
  constexpr int64_t vec = 4;
  auto vecType = VectorType::get({vec}, b.getF32Type());
  int64_t rowVecs = shape.valueDim / vec;
  int64_t vecs = shape.mRows() * rowVecs;
  int64_t threads = shape.threads();
  for (int64_t i = 0; i < (vecs + threads - 1) / threads; ++i) {
    Value e = add(tid, idx(i * threads));
    auto body = [&] {
      Value row = div(e, rowVecs), d = mul(rem(e, rowVecs), idx(vec));
      Value o, l, mx;
      for (int64_t w = 0; w < shape.streams(); ++w) {
        Value a = vector::LoadOp::create(
            b, vecType, accS, ValueRange{idx(w), row, d},
            /*nontemporal=*/false, llvm::MaybeAlign(4 * vec));
        Value m =
            memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(0)});
        Value s =
            memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(1)});
        o = w ? arith::AddFOp::create(b, o, a).getResult() : a;
        l = w ? fadd(l, s) : s;
        mx = w ? fmax(mx, m) : m;
      }
      storeCombined(row, d, o, mx, l);
    };
    if (vecs % threads == 0) {
      body();
      continue;
    }
    scf::IfOp::create(b, lt(e, idx(vecs)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      body();
      scf::YieldOp::create(b);
    });
  }
}

void DecodeKernel::buildCombineByElement(scf::ForOp loop) {
  int64_t mTiles = shape.warpMTiles(), accTiles = shape.valueDim / 8;
  int64_t accValues = mTiles * accTiles * 4;
  Value accS = sharedView(
      0, {shape.streams(), shape.mRows(), shape.combineRow()}, b.getF32Type());
  Value statS =
      sharedView(shape.combineAccBytes(),
                 {shape.streams(), shape.mRows(), kSplitStats}, b.getF32Type());

  // Every warp has drained its pipeline before any overwrites the buffers.
  gpu::BarrierOp::create(b);
  Value quadRow = add(div(lane, 4), memberRow), quadLane = rem(lane, 4);
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value row = add(quadRow, idx(16 * mt + 8 * r));
      Value sum =
          quadReduce(loop.getResult(accValues + 2 * mTiles + 2 * mt + r),
                     [&](Value x, Value y) { return fadd(x, y); });
      // The four lanes of a quad store the same max and sum. The combines
      // take maxes of scaled scores; the loop's may be of unscaled ones.
      Value mx = loop.getResult(accValues + 2 * mt + r);
      if (foldsScale(p))
        mx = fmul(mx, p.scale);
      memref::StoreOp::create(b, mx, statS, ValueRange{stream, row, idx(0)});
      memref::StoreOp::create(b, sum, statS, ValueRange{stream, row, idx(1)});
      for (int64_t nt = 0; nt < accTiles; ++nt)
        for (int64_t c = 0; c < 2; ++c) {
          // Column n of n8 tile nt is value column n (D/8) + nt where the
          // products read codes (accumulatePVFromCodes), else 8 nt + n.
          Value n = add(mul(quadLane, idx(2)), idx(c));
          Value column = shape.quantized ? add(mul(n, idx(accTiles)), idx(nt))
                                         : add(n, idx(8 * nt));
          Value a = loop.getResult((mt * accTiles + nt) * 4 + 2 * r + c);
          // Back from the value scales' unit (valueScales).
          if (shape.quantized)
            a = fmul(a, loop.getResults().back());
          memref::StoreOp::create(b, a, accS, ValueRange{stream, row, column});
        }
    }
  gpu::BarrierOp::create(b);

  Value zero = f32(0.0), log2e = f32(M_LOG2E);
  int64_t elements = shape.mRows() * shape.valueDim;
  for (int64_t i = 0; i < elements / shape.threads(); ++i) {
    Value e = add(tid, idx(i * shape.threads()));
    Value row = div(e, shape.valueDim), d = rem(e, shape.valueDim);
    SmallVector<Value> maxes, sums;
    Value mx = f32(-std::numeric_limits<double>::infinity());
    for (int64_t w = 0; w < shape.streams(); ++w) {
      maxes.push_back(
          memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(0)}));
      sums.push_back(
          memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(1)}));
      mx = fmax(mx, maxes.back());
    }
    Value base = fmul(select(isNegInf(mx), zero, mx), log2e);
    Value o = zero, l = zero;
    for (int64_t w = 0; w < shape.streams(); ++w) {
      Value weight = exp2(fsub(fmul(maxes[w], log2e), base));
      Value a = memref::LoadOp::create(b, accS, ValueRange{idx(w), row, d});
      o = fadd(o, fmul(weight, a));
      l = fadd(l, fmul(weight, sums[w]));
    }
    storeCombined(row, d, o, mx, l);
  }
}

void DecodeKernel::storeCombined(Value row, Value d, Value o, Value mx,
                                 Value l) {
  auto vector = dyn_cast<VectorType>(o.getType());
  if (!launchShape.scratch.empty()) {
    Value partial = launchShape.scratch[0], stats = launchShape.scratch[1];
    SmallVector<Value> at{bi, kvHead, split, row, d};
    if (vector)
      vector::StoreOp::create(b, o, partial, at, /*nontemporal=*/false,
                              llvm::MaybeAlign(4 * vector.getNumElements()));
    else
      memref::StoreOp::create(b, o, partial, at);
    scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, d, idx(0)),
        [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard guard(b);
          enter(nb);
          storeSplitStats(b, b.getLoc(), stats, bi, kvHead, split, row, mx, l);
          scf::YieldOp::create(b);
        });
    return;
  }
  // A row that saw no key (sum 0) writes zeros.
  scf::IfOp::create(b, lt(row, idx(shape.rows)), [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    Value zero = f32(0.0);
    Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, zero);
    Value inv = select(empty, zero, arith::DivFOp::create(b, f32(1.0), l));
    auto [h, qi] = headAndPos(row);
    int64_t columns = vector ? vector.getNumElements() : 1;
    for (int64_t j = 0; j < columns; ++j) {
      Value x = vector ? vector::ExtractOp::create(b, o, j).getResult() : o;
      p.store(b, b.getLoc(), fmul(x, inv), bi, qi, h, j ? add(d, idx(j)) : d);
    }
    scf::YieldOp::create(b);
  });
}
