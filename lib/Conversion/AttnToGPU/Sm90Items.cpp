//===- Sm90Items.cpp - the wgmma kernel's work items ----------------------===//
//
// The Hopper kernel's work items: which item a block takes (one, or a
// persistent grid's rounds of them), and the stores of an item's result
// (the output, staged and stored by TMA or not, or a split's partial).
//
//===----------------------------------------------------------------------===//

#include "Sm90KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <optional>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::sm90;

void Sm90Kernel::setItem(Value blockX, Value kvHeadId, Value row) {
  kvHead = kvHeadId;
  bi = row;
  std::tie(head, qStart) = prefillBlock(p, blockX, kvHead, kBlockRows);
  warpFirst = add(add(qStart, mul(group, idx(64))), mul(warp, idx(16)));
  std::tie(kvBegin, kvEnd) = buildKVRange(
      b, b.getLoc(), p, FlashTiles{kBlockRows, shape.keys}, qStart);
}

void Sm90Kernel::setDecodeItem(Value splitId, Value splits, Value kvHeadId,
                               Value row) {
  kvHead = kvHeadId;
  bi = row;
  split = splitId;
  // The group's first query head; one query position, which every key
  // precedes or equals (a causal decode sees them all), so the rows'
  // positions are taken as 0.
  head = mul(kvHead, p.group);
  qStart = idx(0);
  warpFirst = idx(0);
  Value tiles = arith::CeilDivUIOp::create(b, p.seqK, idx(shape.keys));
  Value perSplit = arith::CeilDivUIOp::create(b, tiles, splits);
  kvBegin = mul(mul(split, perSplit), idx(shape.keys));
  kvEnd = min(add(kvBegin, mul(perSplit, idx(shape.keys))), p.seqK);
}

void Sm90Kernel::forEachItem(gpu::LaunchOp launch, function_ref<void()> body) {
  gpu::KernelDim3 blockId = launch.getBlockIds();
  if (!persistent) {
    // One item, one Q buffer (item overlap needs a persistent grid).
    if (shape.isDecode())
      setDecodeItem(blockId.x, launch.getGridSize().x, blockId.y, blockId.z);
    else
      setItem(blockId.x, blockId.y, blockId.z);
    tileBase = idx(0);
    itemParity = idx32(0);
    body();
    return;
  }
  Value blocksX = prefillGridX(b, b.getLoc(), p, kBlockRows);
  Value items = mul(mul(blocksX, p.headsKV), p.batch);
  // A planned order is already balanced.
  Value reverse =
      plan ? Value() : reversesRounds(blocksX, launch.getGridSize().x);
  ItemLoop loop = itemLoop(launch, items);
  scf::ForOp::create(
      b, loop.begin, loop.end, loop.step, ValueRange{idx(0), idx(0)},
      [&](OpBuilder &lb, Location, Value i, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(lb);
        setItemNumber(itemAt(i), carried[1], blockId.x, blocksX,
                      mul(blocksX, p.headsKV), items, launch.getGridSize().x,
                      reverse);
        setRound(carried[0], carried[1]);
        body();
        Value span = arith::MaxSIOp::create(b, sub(kvEnd, kvBegin), idx(0));
        Value tiles = arith::CeilDivUIOp::create(b, span, idx(shape.keys));
        scf::YieldOp::create(
            b, ValueRange{add(carried[0], tiles), add(carried[1], idx(1))});
      });
}

void Sm90Kernel::setRound(Value base, Value count) {
  tileBase = base;
  if (shape.qBuffers == 1) {
    itemParity = arith::IndexCastOp::create(b, b.getI32Type(), rem(count, 2));
    return;
  }
  qBuffer = rem(count, shape.qBuffers);
  itemParity = arith::IndexCastOp::create(b, b.getI32Type(),
                                          rem(div(count, shape.qBuffers), 2));
}

void Sm90Kernel::consumeItems(gpu::LaunchOp launch) {
  // The tensor cores read shared memory through the async proxy: each wait
  // is followed by a proxy fence that orders the copies this thread has
  // seen land before the products' reads. Every item waits for its Q, also
  // one without keys (whose Q is released at once), so that Q's buffer is
  // not refilled before its copy has landed.
  auto consumeItem = [&](std::optional<ValueRange> s0) {
    barrierWait(qFull(), itemParity);
    fenceCopies();
    return consume(s0);
  };
  if (shape.isDecode()) {
    forEachItem(launch, [&] {
      SmallVector<Value> results = consumeItem(std::nullopt);
      signalDone();
      storePartial(results);
    });
    return;
  }
  // With a staged output, the warpgroup's first thread issues its
  // copies: it acquires their tensor map first, and waits for them before
  // the block exits, which frees the shared memory they read.
  if (shape.oStaged) {
    storeIssuer = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                        rem(tid, 128), idx(0));
    scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      acquireTensorMap(oMap);
      scf::YieldOp::create(b);
    });
  }
  auto drainStores = [&] {
    if (!shape.oStaged)
      return;
    scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      bulkWait(0);
      scf::YieldOp::create(b);
    });
  };
  if (shape.qBuffers == 1) {
    forEachItem(launch,
                [&] { storeItem(consumeItem(std::nullopt), target()); });
    drainStores();
    return;
  }
  // Item overlap (a persistent grid): the block's first item's first S,
  // then per item its tiles, and the next item's first S issued before
  // this item's output is stored, so that the stores and the sums'
  // shuffles run under that product. The next item's Q has its own
  // buffer, copied while this item's tiles ran. Items are numbered as in
  // forEachItem; the divisors are kept positive so that an item past the
  // last one (or an empty grid) divides by none.
  gpu::KernelDim3 blockId = launch.getBlockIds();
  Value blocksX = prefillGridX(b, b.getLoc(), p, kBlockRows);
  Value items = mul(mul(blocksX, p.headsKV), p.batch);
  Value safeX = arith::MaxSIOp::create(b, blocksX, idx(1));
  Value perRow = arith::MaxSIOp::create(b, mul(safeX, p.headsKV), idx(1));
  Value grid = launch.getGridSize().x;
  Value reverse = plan ? Value() : reversesRounds(safeX, grid);
  // Position i of the block's loop takes item itemAt(i). A plan's table
  // is read an item ahead: the loop carries the numbers of this item and
  // the next, and loads the one after, so that no item waits on a global
  // load between its predecessor's tiles and its own.
  auto takeItem = [&](Value i, Value count) {
    setItemNumber(i, count, blockId.x, safeX, perRow, items, grid, reverse);
  };
  ItemLoop loop = itemLoop(launch, items);
  int64_t state = plan ? 4 : 2;
  SmallVector<Value> init{idx(0), idx(0)};
  if (plan)
    init.append({itemAt(loop.begin), itemAt(add(loop.begin, loop.step))});
  takeItem(plan ? init[2] : loop.begin, idx(0));
  setRound(idx(0), idx(0));
  llvm::append_range(init, firstScores(lt(loop.begin, loop.end), [] {}));
  scf::ForOp::create(
      b, loop.begin, loop.end, loop.step, init,
      [&](OpBuilder &lb, Location, Value w, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(lb);
        Value after;
        if (plan)
          after = itemAt(add(w, mul(loop.step, idx(2))));
        takeItem(plan ? carried[2] : w, carried[1]);
        setRound(carried[0], carried[1]);
        SmallVector<Value> results = consumeItem(carried.drop_front(state));
        // Where this item's output goes, before the next item replaces
        // the members.
        Target to = target();
        Value span = arith::MaxSIOp::create(b, sub(kvEnd, kvBegin), idx(0));
        Value nextBase =
            add(tileBase, arith::CeilDivUIOp::create(b, span, idx(shape.keys)));
        Value count = add(carried[1], idx(1));
        Value next = add(w, loop.step);
        takeItem(plan ? carried[3] : next, count);
        setRound(nextBase, count);
        SmallVector<Value> yielded{nextBase, count};
        if (plan)
          yielded.append({carried[3], after});
        llvm::append_range(yielded, firstScores(lt(next, loop.end), [&] {
                             storeItem(results, to);
                           }));
        scf::YieldOp::create(b, yielded);
      });
  drainStores();
}

void Sm90Kernel::storePartial(ArrayRef<Value> results) {
  // Halves of V's columns are the consumers' halves of the block's
  // partial, whose stats the first consumer writes; with alternate tiles
  // each consumer's partial is a split of its own.
  Value quadLane = rem(lane, 4);
  Value firstColumn = mul(quadLane, idx(2)), slot = split;
  Value writesStats =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, quadLane, idx(0));
  if (shape.alternate) {
    slot = add(mul(split, idx(2)), group);
  } else {
    firstColumn = add(mul(group, idx(shape.outColumns())), firstColumn);
    writesStats = arith::AndIOp::create(
        b, writesStats,
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, group, idx(0)));
  }
  storePartialRows(results, bi, kvHead, slot, idx(0), firstColumn, writesStats,
                   shape.packedRows);
}

void Sm90Kernel::storePartialRows(ArrayRef<Value> results, Value outer,
                                  Value inner, Value slot, Value firstRow,
                                  Value firstColumn, Value writesStats,
                                  int64_t rowLimit) {
  // Thread (warp w, lane l) holds rows 16 w + l / 4 (r = 0) and 8 below
  // (r = 1), columns nt * 8 + 2 (l % 4) and the next of each n8 tile nt of
  // this consumer's columns: values 4 nt + 2 r and 4 nt + 2 r + 1.
  int64_t columns = shape.outColumns(), accValues = columns / 2;
  Value partial = scratch[0], stats = scratch[1];
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t r = 0; r < 2; ++r) {
    Value row =
        add(firstRow, add(add(mul(warp, idx(16)), div(lane, 4)), idx(8 * r)));
    Value mx = results[accValues + r];
    // The running max is of unscaled scores where the scale rides in the
    // exponential; the combine takes it scaled.
    if (foldsScale(p))
      mx = fmul(mx, p.scale);
    Value sum = quadReduce(results[accValues + 2 + r],
                           [&](Value x, Value y) { return fadd(x, y); });
    auto storeRow = [&] {
      for (int64_t nt = 0; nt < columns / 8; ++nt) {
        Value pair = vector::FromElementsOp::create(
            b, pairType,
            ValueRange{results[4 * nt + 2 * r], results[4 * nt + 2 * r + 1]});
        vector::StoreOp::create(
            b, pair, partial,
            ValueRange{outer, inner, slot, row, add(firstColumn, idx(nt * 8))},
            /*nontemporal=*/false, llvm::MaybeAlign(8));
      }
      scf::IfOp::create(b, writesStats, [&](OpBuilder &sb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(sb);
        storeSplitStats(b, b.getLoc(), stats, outer, inner, slot, row, mx, sum);
        scf::YieldOp::create(b);
      });
    };
    if (rowLimit == 0) {
      storeRow();
      continue;
    }
    scf::IfOp::create(b, lt(row, idx(rowLimit)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      storeRow();
      scf::YieldOp::create(b);
    });
  }
}

void Sm90Kernel::storeStagedItem(ArrayRef<Value> results, const Target &to) {
  // The stores are asynchronous copies that one thread issues: no thread
  // waits for global stores of its own. Each consumer thread's 32 4-byte
  // stores at head_dim 128 kept its address registers busy until the
  // memory system took them, and the next write of those registers waited
  // (B16x1k: 5% of the consumers' time; bench/NOTES.md, 2026-12-07). The
  // tile is written in a TMA box's layout (the 128-byte swizzle of Q's),
  // and the copies clip the rows past the last query.
  int64_t accValues = shape.outColumns() / 2;
  // Barrier 5 + g is warpgroup g's own: 3 + g serves P in shared memory.
  Value barrierId =
      arith::IndexCastOp::create(b, b.getI32Type(), add(group, idx(5)));
  // The previous item's copies have read the tile (the issuer waits, then
  // the warpgroup meets), so that no thread overwrites it under them.
  scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    bulkWaitRead(0);
    scf::YieldOp::create(b);
  });
  namedBarrierSync(barrierId, 128);
  Value inv[2] = {inverseRowSum(results[accValues + 2]),
                  inverseRowSum(results[accValues + 3])};
  // Accumulator value 4 nt + 2 r (+1) is row g + 8 r, columns nt 8 +
  // 2 (lane % 4) (+1): word 4 (nt / 2) + 2 (nt % 2) + r of a P fragment.
  SmallVector<Value> words(accValues / 2);
  for (int64_t nt = 0; nt < accValues / 4; ++nt)
    for (int64_t r = 0; r < 2; ++r)
      words[4 * (nt / 2) + 2 * (nt % 2) + r] =
          asRegister(pack(fmul(results[4 * nt + 2 * r], inv[r]),
                          fmul(results[4 * nt + 2 * r + 1], inv[r])));
  storeRowsShared(oAt, shape.oBytes(), words);
  // Every thread's stores before the copies read them.
  fenceAsyncShared();
  namedBarrierSync(barrierId, 128);
  scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    auto i32 = [&](Value v) {
      return arith::IndexCastOp::create(b, b.getI32Type(), v);
    };
    // This consumer's first row: the warp's rows start 16 warp in.
    Value pos = i32(sub(to.rows.first, mul(warp, idx(16))));
    Value headAt = i32(to.rows.head), row = i32(to.rows.bi);
    for (int64_t block = 0; block < shape.valueDim / kSwizzleElements;
         ++block) {
      Value src = arith::AddIOp::create(
          b, base,
          arith::IndexCastOp::create(
              b, b.getI64Type(),
              add(mul(group, idx(shape.oBytes())),
                  idx((oAt + block * 64 * kSwizzleElements) * 2))));
      Value column = idx32(block * kSwizzleElements);
      SmallVector<Value> coords =
          p.layout == Layout::BSHD
              ? SmallVector<Value>{column, headAt, pos, row}
              : SmallVector<Value>{column, pos, headAt, row};
      tmaStore4d(oMap, coords, src);
    }
    bulkCommit();
    scf::YieldOp::create(b);
  });
}

void Sm90Kernel::storeItem(ArrayRef<Value> results, const Target &to) {
  int64_t accValues = shape.outColumns() / 2;
  // A whole item's rows go through the staged tile where there is one;
  // isPart is the same for the whole block, so either branch's named
  // barriers see all of a warpgroup.
  auto whole = [&] {
    if (shape.oStaged)
      storeStagedItem(results, to);
    else
      storeRows(p, to.rows, results.take_front(accValues),
                results.slice(accValues + 2, 2));
  };
  if (!to.isPart) {
    whole();
    return;
  }
  // A part stores all 128 rows of the item, also those past the last query
  // position, so that the combine reads nothing unwritten; its rows are
  // this consumer's 64, its columns all of V's.
  scf::IfOp::create(
      b, to.isPart,
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        Value quadLane = rem(lane, 4);
        storePartialRows(
            results, to.item, idx(0), to.part, mul(group, idx(64)),
            mul(quadLane, idx(2)),
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, quadLane,
                                  idx(0)),
            /*rowLimit=*/0);
        scf::YieldOp::create(b);
      },
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        whole();
        scf::YieldOp::create(b);
      });
}

void Sm90Kernel::zeroQPadding() {
  // Rows packedRows.. of each 64-column block of each Q buffer, 16 bytes
  // a store, shared by all the block's threads.
  int64_t chunksPerRow = kSwizzleBytes / 16;
  int64_t paddingRows = shape.qRows() - shape.packedRows;
  int64_t blocks = shape.qBuffers * shape.headDim / kSwizzleElements;
  int64_t chunks = blocks * paddingRows * chunksPerRow;
  auto chunkType = VectorType::get({8}, elt);
  Value zeros = arith::ConstantOp::create(
      b, chunkType, DenseElementsAttr::get(chunkType, b.getZeroAttr(elt)));
  for (int64_t i = 0; i < chunks; i += kThreads) {
    Value c = add(tid, idx(i));
    scf::IfOp::create(b, lt(c, idx(chunks)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      Value block = div(c, paddingRows * chunksPerRow);
      Value within = rem(c, paddingRows * chunksPerRow);
      Value row = add(div(within, chunksPerRow), idx(shape.packedRows));
      Value at = add(
          add(mul(block, idx(shape.qRows() * kSwizzleElements)),
              mul(row, idx(kSwizzleElements))),
          mul(rem(within, chunksPerRow), idx(8)));
      vector::StoreOp::create(b, zeros, smem, ValueRange{add(idx(qAt), at)},
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
      scf::YieldOp::create(b);
    });
  }
  // The products read them through the async proxy.
  fenceAsyncShared();
}
