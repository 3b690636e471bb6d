//===- SplitCombine.cpp - split-KV partials and their combine -------------===//
//
// Flash-decoding's second half. Where a decode schedule splits the keys of
// each (batch, KV head) over blocks, so that the grid fills the device even
// at batch 1, each block writes its rows' partial (max, sum, accumulator)
// to scratch, and a second kernel combines the blocks into the output. This
// file picks the number of splits, allocates the scratch and builds that
// kernel, so that the decode schedules (and the sm90 prefill schedule's
// split last round) share one combine, one scratch layout (SplitCombine.h)
// and one naming of the kernel pair for programmatic dependent launch.
//
// The combine kernel is a block per row of partials (for decode, per
// packed row, KV head and batch row), with a warp per kCombineUnroll splits (at
// most kCombineMaxWarps), so that every split's loads are in flight at once up
// to 128 splits.
//
//===----------------------------------------------------------------------===//

#include "SplitCombine.h"

#include "attn/Runtime/DependentLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
/// The splits each warp of the combine kernel reads at once, and the most
/// warps a combine block has (a warp per kCombineUnroll splits): ptxas
/// gives the kernel 72 registers a thread, so 1024 threads would not fit
/// an SM's 64k.
constexpr int64_t kCombineUnroll = 8;
constexpr int64_t kCombineMaxWarps = 16;
} // namespace

//===----------------------------------------------------------------------===//
// Splitting the keys
//===----------------------------------------------------------------------===//

/// The splits that `splits` leaves any tiles: each split takes ceil(tiles /
/// splits) tiles, so 132 splits of 4096 tiles are 128 of 32 and 4 empty
/// ones, whose blocks and partials cost time for nothing (MQA at batch 1,
/// 64k keys: 22.4 us against 21.2 for 128 splits, H100, 2026-12-06).
static int64_t nonEmptySplits(int64_t tiles, int64_t splits) {
  int64_t perSplit = std::max<int64_t>(1, (tiles + splits - 1) / splits);
  return std::max<int64_t>(1, (tiles + perSplit - 1) / perSplit);
}

int64_t mlir::attn::pickSplits(int64_t units, int64_t tiles,
                               const SplitFloor &floor) {
  int64_t most = std::clamp<int64_t>(tiles / floor.minTiles, 1, 1024);
  // MQA at batch 1 and 32k keys took 32 blocks (1024 keys each) on 132 SMs
  // and read its cache at 0.77 TB/s; from 128k keys, where the floor does
  // not bind, 2.6 TB/s. One block an SM, down to the lower floor, took it
  // from 21.6 to 15.3 us (H100, 2026-12-06).
  if (2 * units * most <= floor.sms)
    return nonEmptySplits(
        tiles,
        std::clamp<int64_t>(
            std::min(tiles / floor.idleMinTiles, floor.sms / units), most,
            1024));
  auto fill = [&](int64_t splits) {
    double waves = double(units * splits) / double(floor.slots);
    return waves / std::ceil(waves);
  };
  double best = 0;
  for (int64_t s = 1; s <= most; ++s)
    best = std::max(best, fill(s));
  for (int64_t s = 1; s <= most; ++s)
    if (fill(s) >= 0.95 * best)
      return nonEmptySplits(tiles, s);
  return 1;
}

Value mlir::attn::runtimeSplits(OpBuilder &b, Location loc,
                                const FlashProblem &p,
                                const SplitFloor &floor) {
  auto c = [&](int64_t x) -> Value {
    return arith::ConstantIndexOp::create(b, loc, x);
  };
  auto minS = [&](Value x, Value y) {
    return arith::MinSIOp::create(b, loc, x, y).getResult();
  };
  auto maxS = [&](Value x, Value y) {
    return arith::MaxSIOp::create(b, loc, x, y).getResult();
  };
  auto div = [&](Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, c(y)).getResult();
  };
  // An empty batch makes no blocks, but must not divide by zero.
  Value units = maxS(arith::MulIOp::create(b, loc, p.batch, p.headsKV), c(1));
  // At most one wave: rounding up to fill every slot instead gave MQA at
  // batch 64 5 splits, 320 blocks on 264 slots: a second wave 21% full.
  Value wanted = arith::DivUIOp::create(b, loc, c(floor.slots), units);
  Value most = maxS(div(p.seqK, floor.minTiles * floor.tileKeys), c(1));
  // As pickSplits: where the floor leaves half the SMs idle, one block per
  // SM down to the lower floor.
  Value idle = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ule,
      arith::MulIOp::create(b, loc, c(2),
                            arith::MulIOp::create(b, loc, units, most)),
      c(floor.sms));
  Value idleMost =
      maxS(minS(div(p.seqK, floor.idleMinTiles * floor.tileKeys),
                arith::DivUIOp::create(b, loc, c(floor.sms), units)),
           most);
  most = arith::SelectOp::create(b, loc, idle, idleMost, most);
  Value splits = maxS(minS(wanted, most), c(1));
  // As nonEmptySplits: no split without tiles.
  Value tiles = arith::CeilDivUIOp::create(b, loc, p.seqK, c(floor.tileKeys));
  Value perSplit =
      maxS(arith::CeilDivUIOp::create(b, loc, tiles, splits), c(1));
  return maxS(arith::CeilDivUIOp::create(b, loc, tiles, perSplit), c(1));
}

void mlir::attn::storeSplitStats(OpBuilder &b, Location loc, Value stats,
                                 Value bi, Value kvHead, Value split, Value row,
                                 Value max, Value sum) {
  auto store = [&](Value value, int64_t stat) {
    memref::StoreOp::create(
        b, loc, value, stats,
        ValueRange{bi, kvHead, split, row,
                   arith::ConstantIndexOp::create(b, loc, stat)});
  };
  store(max, 0);
  store(sum, 1);
}

void mlir::attn::allocPartials(OpBuilder &b, Location loc, Value outer,
                               Value inner, Value splits, int64_t mRows,
                               int64_t valueDim, FlashLaunch &launch) {
  // Each block's partials: its accumulator rows, then max and sum.
  int64_t dyn = ShapedType::kDynamic;
  SmallVector<Value> sizes{outer, inner, splits};
  launch.scratch.push_back(allocDevice(
      b, loc, MemRefType::get({dyn, dyn, dyn, mRows, valueDim}, b.getF32Type()),
      sizes));
  launch.scratch.push_back(allocDevice(
      b, loc,
      MemRefType::get({dyn, dyn, dyn, mRows, kSplitStats}, b.getF32Type()),
      sizes));
}

void mlir::attn::allocSplitScratch(OpBuilder &b, Location loc,
                                   const FlashProblem &p, Value splits,
                                   int64_t mRows, int64_t valueDim,
                                   FlashLaunch &launch) {
  allocPartials(b, loc, p.batch, p.headsKV, splits, mRows, valueDim, launch);
}

//===----------------------------------------------------------------------===//
// The combine kernel
//===----------------------------------------------------------------------===//

void mlir::attn::nameKernel(gpu::LaunchOp launch, const char *suffix) {
  auto func = launch->getParentOfType<FunctionOpInterface>();
  std::string name = (func ? func.getName() : "attn").str() + "_kernel";
  launch.setFunctionAttr(
      FlatSymbolRefAttr::get(launch.getContext(), name + suffix));
}

/// The body of the combine kernel `launch`. Lane l reads value columns
/// [l v, l v + v) of a split, v = value head_dim / 32 (1 at head_dim 16,
/// where half the lanes have none), as one vector load, and each warp folds
/// its splits into a running (max, sum, accumulator) with one max and one
/// rescale a round; the warps' folds then meet in shared memory. The form
/// before it (8 warps, a scalar column a lane, 4 splits a warp at a time, a
/// rescale a split) took 10.9 us under Nsight Compute at MQA, batch 1, 128k
/// keys (32 blocks, stalled on long-scoreboard), a quarter of the decode
/// (H100, 2026-12-05).
static void buildCombineBody(ImplicitLocOpBuilder &b, const FlashProblem &p,
                             const FlashLaunch &shape, Value splits,
                             int64_t valueDim, CombineOutput output,
                             gpu::LaunchOp launch) {
  auto idx = [&](int64_t x) -> Value {
    return arith::ConstantIndexOp::create(b, x);
  };
  auto f32 = [&](double x) -> Value {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(float(x)));
  };
  auto fmul = [&](Value x, Value y) -> Value {
    return arith::MulFOp::create(b, x, y);
  };
  auto fma = [&](Value x, Value y, Value z) -> Value {
    return arith::AddFOp::create(b, fmul(x, y), z);
  };
  auto lt = [&](Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::slt, x, y);
  };
  auto ifThen = [&](Value cond, llvm::function_ref<void()> body) {
    scf::IfOp::create(b, cond, [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      body();
      scf::YieldOp::create(b);
    });
  };
  // Runs body(i, carried) for i in [0, n) and returns the carried values.
  auto loop =
      [&](Value n, Value step, ArrayRef<Value> init,
          llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body)
      -> ValueRange {
    return scf::ForOp::create(
               b, idx(0), n, step, init,
               [&](OpBuilder &lb, Location, Value i, ValueRange carried) {
                 OpBuilder::InsertionGuard guard(b);
                 b.setInsertionPoint(lb.getInsertionBlock(),
                                     lb.getInsertionPoint());
                 scf::YieldOp::create(b, body(i, carried));
               })
        .getResults();
  };
  double inf = std::numeric_limits<double>::infinity();
  Value zero = f32(0.0), negInf = f32(-inf), log2e = f32(M_LOG2E);
  // The weights are exp2(m log2 e - base), base = max log2 e; where the
  // max is -inf (no key seen yet) the base is 0 instead, so that every
  // weight is exp2(-inf) = 0 rather than NaN.
  auto baseOf = [&](Value mx) -> Value {
    Value none =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, mx, negInf);
    return fmul(arith::SelectOp::create(b, none, zero, mx), log2e);
  };
  auto weight = [&](Value m, Value base) -> Value {
    return math::Exp2Op::create(b,
                                arith::SubFOp::create(b, fmul(m, log2e), base));
  };

  Value partial = shape.scratch[0], stats = shape.scratch[1];
  Value foldS = launch.getWorkgroupAttributions()[0];
  Value row = launch.getBlockIds().x, kvHead = launch.getBlockIds().y,
        bi = launch.getBlockIds().z;
  Value tid = launch.getThreadIds().x;
  Value lane = arith::RemUIOp::create(b, tid, idx(32));
  Value warp = arith::DivUIOp::create(b, tid, idx(32));
  Value warps = arith::DivUIOp::create(b, launch.getBlockSize().x, idx(32));
  // The lane's value columns [col, col + vec); at value head_dim 16 half
  // the lanes have none and read the last column for nothing.
  int64_t vec = std::max<int64_t>(1, valueDim / 32);
  int64_t usedLanes = valueDim / vec;
  Value hasColumns = lt(lane, idx(usedLanes));
  Value col = arith::MulIOp::create(
      b, arith::MinSIOp::create(b, lane, idx(usedLanes - 1)), idx(vec));
  auto vecType = VectorType::get({vec}, b.getF32Type());
  auto elements = [&](Value v, int64_t n) {
    SmallVector<Value> out;
    for (int64_t i = 0; i < n; ++i)
      out.push_back(vector::ExtractOp::create(b, v, i));
    return out;
  };

  // Each warp folds splits warp, warp + warps, ... a round of
  // kCombineUnroll at a time: every load first, so that they are in
  // flight together; splits past the last read the last one and weigh
  // nothing.
  Value lastSplit = arith::SubIOp::create(b, splits, idx(1));
  SmallVector<Value> init{negInf, zero};
  init.append(vec, zero);
  ValueRange folded = loop(
      splits, arith::MulIOp::create(b, warps, idx(kCombineUnroll)), init,
      [&](Value s0, ValueRange carried) {
        SmallVector<Value> maxes, sums;
        SmallVector<SmallVector<Value>> accs;
        for (int64_t u = 0; u < kCombineUnroll; ++u) {
          Value s = arith::AddIOp::create(
              b,
              arith::AddIOp::create(b, s0,
                                    arith::MulIOp::create(b, warps, idx(u))),
              warp);
          Value sc = arith::MinSIOp::create(b, s, lastSplit);
          SmallVector<Value> st = elements(
              vector::LoadOp::create(
                  b, VectorType::get({kSplitStats}, b.getF32Type()), stats,
                  ValueRange{bi, kvHead, sc, row, idx(0)},
                  /*nontemporal=*/false, llvm::MaybeAlign(4 * kSplitStats)),
              kSplitStats);
          maxes.push_back(
              arith::SelectOp::create(b, lt(s, splits), st[0], negInf));
          sums.push_back(st[1]);
          accs.push_back(elements(
              vector::LoadOp::create(
                  b, vecType, partial, ValueRange{bi, kvHead, sc, row, col},
                  /*nontemporal=*/false, llvm::MaybeAlign(4 * vec)),
              vec));
        }
        // One new max and one rescale of the carried state a round.
        Value mNew = carried[0];
        for (Value m : maxes)
          mNew = arith::MaximumFOp::create(b, mNew, m);
        Value base = baseOf(mNew);
        Value alpha = weight(carried[0], base);
        SmallVector<Value> state{mNew, fmul(carried[1], alpha)};
        for (int64_t j = 0; j < vec; ++j)
          state.push_back(fmul(carried[2 + j], alpha));
        for (int64_t u = 0; u < kCombineUnroll; ++u) {
          Value w = weight(maxes[u], base);
          state[1] = fma(sums[u], w, state[1]);
          for (int64_t j = 0; j < vec; ++j)
            state[2 + j] = fma(accs[u][j], w, state[2 + j]);
        }
        return state;
      });

  // The warps' folds meet in shared memory.
  ifThen(hasColumns, [&] {
    for (int64_t j = 0; j < vec; ++j)
      memref::StoreOp::create(
          b, folded[2 + j], foldS,
          ValueRange{warp,
                     arith::AddIOp::create(b, col, idx(kSplitStats + j))});
  });
  ifThen(arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, idx(0)), [&] {
    for (int64_t k = 0; k < kSplitStats; ++k)
      memref::StoreOp::create(b, folded[k], foldS, ValueRange{warp, idx(k)});
  });
  gpu::BarrierOp::create(b);

  // The first warp combines them, each lane its columns: the max over
  // the warps first, so that their weights are independent.
  Value first =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warp, idx(0));
  ifThen(arith::AndIOp::create(b, first, hasColumns), [&] {
    auto at = [&](Value w, int64_t k, Value offset = Value()) -> Value {
      Value i = idx(k);
      if (offset)
        i = arith::AddIOp::create(b, offset, i);
      return memref::LoadOp::create(b, foldS, ValueRange{w, i});
    };
    Value mx = loop(warps, idx(1), {negInf}, [&](Value w, ValueRange m) {
      return SmallVector<Value>{arith::MaximumFOp::create(b, m[0], at(w, 0))};
    })[0];
    Value base = baseOf(mx);
    SmallVector<Value> init(1 + vec, zero);
    ValueRange sum = loop(warps, idx(1), init, [&](Value w, ValueRange acc) {
      Value weightW = weight(at(w, 0), base);
      SmallVector<Value> next{fma(at(w, 1), weightW, acc[0])};
      for (int64_t j = 0; j < vec; ++j)
        next.push_back(fma(at(w, kSplitStats + j, col), weightW, acc[1 + j]));
      return next;
    });
    // A row that saw no key (sum 0) writes zeros.
    Value l = sum[0];
    Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, zero);
    Value inv = arith::SelectOp::create(b, empty, zero,
                                        arith::DivFOp::create(b, f32(1.0), l));
    CombineRow target = output(b, row, kvHead, bi);
    auto store = [&] {
      for (int64_t j = 0; j < vec; ++j)
        p.store(b, b.getLoc(), fmul(sum[1 + j], inv), target.batchRow,
                target.position, target.head,
                arith::AddIOp::create(b, col, idx(j)));
    };
    if (target.written)
      ifThen(target.written, store);
    else
      store();
  });
}

void mlir::attn::buildCombine(OpBuilder &b, Location loc, const FlashProblem &p,
                              const FlashLaunch &shape, Value splits,
                              Value gridX, Value gridY, Value gridZ,
                              int64_t valueDim, bool dependentLaunch,
                              StringRef schedule, CombineOutput output) {
  auto c = [&](int64_t x) -> Value {
    return arith::ConstantIndexOp::create(b, loc, x);
  };
  Type folds = gpuBufferType({kCombineMaxWarps, kSplitStats + valueDim},
                             b.getF32Type(), gpu::AddressSpace::Workgroup);
  // The split count may be known only at run time; so then is the block.
  Value warps = b.createOrFold<arith::MinSIOp>(
      loc, b.createOrFold<arith::CeilDivUIOp>(loc, splits, c(kCombineUnroll)),
      c(kCombineMaxWarps));
  auto launch = gpu::LaunchOp::create(
      b, loc, gridX, gridY, gridZ,
      b.createOrFold<arith::MulIOp>(loc, warps, c(32)), c(1), c(1),
      /*dynamicSharedMemorySize=*/Value(), /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, TypeRange{folds}, TypeRange{});
  launch->setAttr("attn.schedule", b.getStringAttr(schedule));
  if (dependentLaunch)
    nameKernel(launch, kDependentSuffix);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  ImplicitLocOpBuilder ib(loc, b);
  // Launched as a dependent, its blocks may start before the attention
  // kernel's last ones end: nothing of theirs may be read before it has.
  if (dependentLaunch)
    NVVM::GriddepcontrolOp::create(ib, NVVM::GridDepActionKind::wait);
  buildCombineBody(ib, p, shape, splits, valueDim, output, launch);
  gpu::TerminatorOp::create(b, loc);
}

void mlir::attn::buildSplitCombine(OpBuilder &b, Location loc,
                                   const FlashProblem &p,
                                   const FlashLaunch &shape, Value splits,
                                   int64_t seqQ, int64_t group,
                                   int64_t valueDim, bool dependentLaunch) {
  // Packed row r of KV head h is query head h * group + r / seqQ at
  // position r % seqQ.
  auto packedRow = [&](ImplicitLocOpBuilder &ib, Value row, Value kvHead,
                       Value bi) {
    auto c = [&](int64_t x) -> Value {
      return arith::ConstantIndexOp::create(ib, x);
    };
    Value head =
        arith::AddIOp::create(ib, arith::MulIOp::create(ib, kvHead, c(group)),
                              arith::DivUIOp::create(ib, row, c(seqQ)));
    return CombineRow{bi, arith::RemUIOp::create(ib, row, c(seqQ)), head,
                      Value()};
  };
  buildCombine(b, loc, p, shape, splits,
               arith::ConstantIndexOp::create(b, loc, group * seqQ), p.headsKV,
               p.batch, valueDim, dependentLaunch, "decode-combine", packedRow);
}
