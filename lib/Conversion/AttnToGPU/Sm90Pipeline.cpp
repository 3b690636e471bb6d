//===- Sm90Pipeline.cpp - the wgmma kernel's warpgroups -------------------===//
//
// The Hopper kernel's producer warpgroup (its copies of Q and the K/V
// tiles, and the ring's barriers) and its consumer warpgroups (the tile
// loop over one work item).
//
//===----------------------------------------------------------------------===//

#include "Sm90KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>
#include <optional>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::sm90;

Value Sm90Kernel::barrier(int64_t i) {
  return arith::AddIOp::create(
      b, base,
      arith::ConstantIntOp::create(b, b.getI64Type(),
                                   shape.dataBytes() + 8 * i));
}

Value Sm90Kernel::stageBarrier(StageBarrier kind, Value stage) {
  Value at = arith::AddIOp::create(
      b,
      arith::ConstantIntOp::create(
          b, b.getI64Type(), shape.dataBytes() + 8 + 8 * kind * shape.stages),
      arith::MulIOp::create(
          b, arith::IndexCastOp::create(b, b.getI64Type(), stage),
          arith::ConstantIntOp::create(b, b.getI64Type(), 8)));
  return arith::AddIOp::create(b, base, at);
}

void Sm90Kernel::release(Value bar) {
  // One arrival per warp, from its first lane, once the warp's products
  // that read what the barrier guards have completed.
  Value leader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, idx(0));
  scf::IfOp::create(b, leader, [&](OpBuilder &ib, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(ib);
    barrierArrive(bar);
    scf::YieldOp::create(b);
  });
}

void Sm90Kernel::produce(gpu::LaunchOp launch) {
  NVVM::SetMaxRegisterOp::create(
      b, tma ? kTmaProducerRegisters : kProducerRegisters,
      NVVM::SetMaxRegisterAction::decrease);
  if (tma) {
    produceWithTma(launch);
    signalDone();
    return;
  }
  // Each thread's copies of Q and of every K or V tile are a cp.async
  // group. Before a thread copies into a buffer again it waits for its own
  // last copies into it, although the empty barrier it waited on already
  // orders them (they landed before the consumers could release the
  // buffer), so the wait returns at once: the copies' completion is then
  // ordered in the thread itself, which is what compute-sanitizer's
  // racecheck tracks for cp.async. Between a stage's copy and the next
  // copy into it lie the other 2 x stages - 1 K and V groups (and, across
  // items, a Q group, which makes the wait stricter, not wrong).
  int64_t laterGroups = 2 * shape.stages - 1;
  forEachItem(launch, [&] {
    // The consumers are done with the previous item's Q (before the first
    // there is none, and the wait on the fresh barrier's parity 1 returns
    // at once). At least its K and V groups of one tile followed its Q
    // group, so all but the last group have landed.
    barrierWait(qEmpty(), arith::XOrIOp::create(b, itemParity, idx32(1)));
    NVVM::CpAsyncWaitGroupOp::create(b, 1);
    copyQ();
    barrierArriveOnCopies(qFull());
    NVVM::CpAsyncCommitGroupOp::create(b);
    scf::ForOp::create(b, kvBegin, kvEnd, idx(shape.keys), ValueRange{},
                       [&](OpBuilder &lb, Location, Value kvStart, ValueRange) {
                         OpBuilder::InsertionGuard guard(b);
                         enter(lb);
                         auto [stage, parity] = stageOf(kvStart);
                         // The consumers are done with the stage's previous
                         // round (in the first round there is none, and the
                         // wait on a fresh barrier's parity 1 returns at once).
                         Value previous =
                             arith::XOrIOp::create(b, parity, idx32(1));
                         barrierWait(stageBarrier(kEmpty, stage), previous);
                         NVVM::CpAsyncWaitGroupOp::create(b, laterGroups);
                         copyKV(kFlat, kAt, shape.headDim, kvStart, stage);
                         barrierArriveOnCopies(stageBarrier(kFull, stage));
                         NVVM::CpAsyncCommitGroupOp::create(b);
                         barrierWait(stageBarrier(vEmpty, stage), previous);
                         NVVM::CpAsyncWaitGroupOp::create(b, laterGroups);
                         copyKV(vFlat, vAt, shape.valueDim, kvStart, stage);
                         barrierArriveOnCopies(stageBarrier(vFull, stage));
                         NVVM::CpAsyncCommitGroupOp::create(b);
                         scf::YieldOp::create(b);
                       });
  });
  // No copy may be in flight when the warpgroup exits.
  NVVM::CpAsyncWaitGroupOp::create(b, 0);
}

void Sm90Kernel::produceWithTma(gpu::LaunchOp launch) {
  // The first thread issues every copy; a full barrier's phase is its one
  // arrival (with the tile's bytes expected) and the copies' bytes. The
  // other producer threads have nothing to do.
  Value issuer =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, idx(0));
  scf::IfOp::create(b, issuer, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    for (Value map : {qMap, kMap, vMap})
      acquireTensorMap(map);
    forEachItem(launch, [&] {
      // The consumers are done with the previous item's Q (before the
      // first there is none, and the wait on a fresh barrier's parity 1
      // returns at once).
      barrierWait(qEmpty(), arith::XOrIOp::create(b, itemParity, idx32(1)));
      barrierArriveExpectTx(qFull(), shape.qLoadBytes());
      loadTile(qElement(), qMap, shape.qRows(), shape.headDim, qStart, head,
               qFull());
      scf::ForOp::create(
          b, kvBegin, kvEnd, idx(shape.keys), ValueRange{},
          [&](OpBuilder &lb, Location, Value kvStart, ValueRange) {
            OpBuilder::InsertionGuard guard(b);
            enter(lb);
            Value stage, parity;
            std::tie(stage, parity) = stageOf(kvStart);
            Value previous = arith::XOrIOp::create(b, parity, idx32(1));
            auto copy = [&](StageBarrier empty, StageBarrier full, Value map,
                            int64_t ringAt, int64_t width) {
              barrierWait(stageBarrier(empty, stage), previous);
              Value bar = stageBarrier(full, stage);
              barrierArriveExpectTx(bar, shape.keys * width * 2);
              loadTile(add(idx(ringAt), mul(stage, idx(shape.keys * width))),
                       map, shape.keys, width, kvStart, kvHead, bar);
            };
            copy(kEmpty, kFull, kMap, kAt, shape.headDim);
            copy(vEmpty, vFull, vMap, vAt, shape.valueDim);
            scf::YieldOp::create(b);
          });
    });
    scf::YieldOp::create(b);
  });
}

SmallVector<Value> Sm90Kernel::firstTileScores(function_ref<void()> meanwhile,
                                               Value start) {
  auto [stage0, parity0] = stageOf(start ? start : kvBegin);
  barrierWait(stageBarrier(kFull, stage0), parity0);
  fenceCopies();
  turnBegin();
  SmallVector<Value> s0 =
      issueScores(stageDesc(kDesc0, stage0, shape.kStageBytes()));
  turnEnd();
  if (meanwhile)
    meanwhile();
  SmallVector<Value> done = wait(s0);
  releaseStage(kEmpty, stage0);
  return done;
}

SmallVector<Value> Sm90Kernel::firstScores(Value ready,
                                           function_ref<void()> meanwhile) {
  SmallVector<Type> types(shape.keys / 2, b.getF32Type());
  auto some = scf::IfOp::create(
      b, types, arith::AndIOp::create(b, ready, lt(kvBegin, kvEnd)),
      /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.thenBlock());
    barrierWait(qFull(), itemParity);
    fenceCopies();
    scf::YieldOp::create(b, firstTileScores(meanwhile));
  }
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.elseBlock());
    meanwhile();
    scf::YieldOp::create(b, SmallVector<Value>(types.size(), f32(0.0)));
  }
  return some.getResults();
}

SmallVector<Value> Sm90Kernel::consume(std::optional<ValueRange> first) {
  // FlashAttention-3's order: S of tile t is issued, then P·V of tile
  // t - 1, and the softmax of tile t runs while that P·V does. Each
  // warpgroup issues its products in a turn that the other's issue ends,
  // so one warpgroup's softmax runs under the other's products.
  int64_t keys = shape.keys, accValues = shape.outColumns() / 2;
  // P rides in registers from one tile to the next, unless it is staged in
  // shared memory.
  int64_t pValues = shape.pInShared ? 0 : keys / 16 * 4;

  // With alternate tiles, this consumer's first tile is `group` tiles in,
  // and it steps over the other consumer's.
  Value begin = kvBegin;
  int64_t step = keys;
  if (shape.alternate) {
    begin = add(kvBegin, mul(group, idx(keys)));
    step = 2 * keys;
  }

  double inf = std::numeric_limits<double>::infinity();
  Value zero = f32(0.0), negInf = f32(-inf);
  SmallVector<Type> types(accValues + 4, b.getF32Type());
  auto some = scf::IfOp::create(b, types, lt(begin, kvEnd),
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.thenBlock());
    // Tile 0: S and its softmax; its P·V waits for the next turn.
    // (The ring runs on across items: the item's first tile is in any
    // stage.)
    Scores s;
    if (first) {
      s = asScores(SmallVector<Value>(*first));
    } else {
      s = asScores(firstTileScores({}, begin));
    }
    Softmax sm = softmax(s, begin, {negInf, negInf}, {zero, zero});
    SmallVector<Value> init(accValues, zero);
    init.append(sm.maxes);
    init.append(sm.sums);
    init.append(sm.corrections);
    if (shape.pInShared)
      storeP(pRegisters(s));
    else
      init.append(pRegisters(s));

    // Where the keys' range is not known when the kernel is built (causal
    // items, windows, splits, lengths), the loop counts its tiles and
    // carries the tile's first key through a copy LLVM cannot see through
    // (opaque), made at the top of the body and the only use of the
    // carried value. As the loop's induction instead, the key was used
    // after its increment (the masks' compares, a mask block's keys), and
    // ptxas then left the whole loop off the uniform datapath: every wgmma
    // descriptor built in vector registers and moved over before each
    // wgmma (causal: 739 SASS instructions in the loop against 666 in this
    // form; bench/NOTES.md, 2026-12-07). A static range keeps the plain
    // loop, which ptxas already keeps uniform.
    bool staticRange = staticIndex(begin) && staticIndex(kvEnd);
    Value second = add(begin, idx(step));
    Value lower = second, upper = kvEnd, stride = idx(step);
    if (!staticRange) {
      lower = idx(0);
      upper = arith::CeilDivUIOp::create(
          b, sub(arith::MaxUIOp::create(b, kvEnd, second), second), stride);
      stride = idx(1);
      init.push_back(second);
    }
    auto loop = scf::ForOp::create(
        b, lower, upper, stride, init,
        [&](OpBuilder &nb, Location, Value iv, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          enter(nb);
          Value kvStart = staticRange ? iv : opaque(carried.back());
          SmallVector<Value> acc(carried.take_front(accValues));
          ValueRange maxes = carried.slice(accValues, 2),
                     sums = carried.slice(accValues + 2, 2),
                     corrections = carried.slice(accValues + 4, 2),
                     pRegs = carried.slice(accValues + 6, pValues);
          auto [stage, parity] = stageOf(kvStart);
          auto [before, beforeParity] = stageOf(sub(kvStart, idx(step)));
          barrierWait(stageBarrier(kFull, stage), parity);
          fenceCopies();
          turnBegin();
          SmallVector<Value> sAcc =
              issueScores(stageDesc(kDesc0, stage, shape.kStageBytes()));
          rescale(acc, corrections);
          barrierWait(stageBarrier(vFull, before), beforeParity);
          fenceCopies();
          acc = issuePV(acc, SmallVector<Value>(pRegs),
                        stageDesc(vDesc0, before, shape.vStageBytes()));
          turnEnd();
          Scores s = asScores(wait(sAcc, /*pending=*/1));
          releaseStage(kEmpty, stage);
          Softmax sm = softmax(s, kvStart, maxes, sums);
          SmallVector<Value> next = pRegisters(s);
          // The old P stays in its registers until its product is done.
          SmallVector<Value> done(acc);
          done.append(pRegs.begin(), pRegs.end());
          done = wait(done);
          releaseStage(vEmpty, before);
          SmallVector<Value> results(done.begin(), done.begin() + accValues);
          results.append(sm.maxes);
          results.append(sm.sums);
          results.append(sm.corrections);
          // The product that read the previous P is done: the tile is free.
          if (shape.pInShared)
            storeP(next);
          else
            results.append(next);
          if (!staticRange)
            results.push_back(add(kvStart, idx(step)));
          scf::YieldOp::create(b, results);
        });
    // Every S has completed: Q is free for the next item.
    releaseQ();
    // The last tile's P·V.
    ValueRange last = loop.getResults();
    SmallVector<Value> acc(last.take_front(accValues));
    rescale(acc, last.slice(accValues + 4, 2));
    Value lastTile = sub(kvEnd, idx(1));
    if (shape.alternate)
      lastTile = add(begin, mul(div(sub(lastTile, begin), step), idx(step)));
    auto [stage, parity] = stageOf(lastTile);
    barrierWait(stageBarrier(vFull, stage), parity);
    fenceCopies();
    SmallVector<Value> pRegs(last.slice(accValues + 6, pValues));
    SmallVector<Value> done =
        issuePV(acc, pRegs, stageDesc(vDesc0, stage, shape.vStageBytes()));
    done.append(pRegs);
    done = wait(done);
    releaseStage(vEmpty, stage);
    SmallVector<Value> results(done.begin(), done.begin() + accValues);
    llvm::append_range(results, last.slice(accValues, 4));
    scf::YieldOp::create(b, results);
  }
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.elseBlock());
    releaseQ();
    SmallVector<Value> empty(accValues, zero);
    llvm::append_range(empty, ValueRange{negInf, negInf, zero, zero});
    scf::YieldOp::create(b, empty);
  }
  return some.getResults();
}
