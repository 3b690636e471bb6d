//===- DecodeLoop.cpp - the decode kernel's tile loop ---------------------===//
//
// The decode kernel's body: each stream's loop over its key tiles (the
// products, the masking and the online softmax), and the setup of the
// launch around it.
//
//===----------------------------------------------------------------------===//

#include "DecodeKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::decode;

Scores DecodeKernel::scores(Value kRead) {
  Value zero = f32(0.0);
  Scores s(shape.warpMTiles(),
           SmallVector<Acc>(shape.tileKeys() / 8, Acc{zero, zero, zero, zero}));
  // ldmatrix row addresses as in Sm80Flash.cpp: Q is the A operand of
  // m16k16, each 16 keys of K the B operands of two n8 tiles.
  Value qRow = add(rem(lane, 16), memberRow);
  Value qCol = mul(div(lane, 16), idx(8));
  for (int64_t ks = 0; ks < shape.headDim / 16; ++ks) {
    SmallVector<Frag> k;
    for (int64_t np = 0; np < shape.tileKeys() / 16; ++np)
      k.push_back(ldmatrix(
          kSmem, {add(kRead, idx(np * 16 * shape.kRow() + ks * 16))}, false));
    for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt) {
      Frag a = ldmatrix(
          qSmem, {add(qRow, idx(16 * mt)), add(qCol, idx(ks * 16))}, false);
      for (int64_t np = 0; np < shape.tileKeys() / 16; ++np) {
        s[mt][2 * np] = mma(a, {k[np][0], k[np][1]}, s[mt][2 * np]);
        s[mt][2 * np + 1] = mma(a, {k[np][2], k[np][3]}, s[mt][2 * np + 1]);
      }
    }
  }
  return s;
}

Scores DecodeKernel::maskScores(const Scores &s, Value kvStart) {
  Value negInf = f32(-std::numeric_limits<double>::infinity());
  Value quadRow = add(div(lane, 4), memberRow);
  Value lastKey = sub(p.seqK, idx(1));
  Scores out = s;
  for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      auto [h, qi] = headAndPos(add(quadRow, idx(16 * mt + 8 * r)));
      Value diag = add(qi, p.diagonal);
      for (int64_t nt = 0; nt < shape.tileKeys() / 8; ++nt)
        for (int64_t c = 0; c < 2; ++c) {
          Value key = keyOf(kvStart, nt, c);
          Value keep = lt(key, p.seqK);
          if (p.causal)
            keep = both(keep, lt(key, add(diag, idx(1))));
          if (p.window)
            keep = both(keep, lt(sub(diag, key), idx(*p.window)));
          Value v = out[mt][nt][2 * r + c];
          if (p.mask) {
            v = fadd(v, maskValue(p, bi, h, qi,
                                  arith::MaxSIOp::create(b, min(key, lastKey),
                                                         idx(0))));
          }
          out[mt][nt][2 * r + c] = select(keep, v, negInf);
        }
    }
  return out;
}

scf::ForOp DecodeKernel::buildLoop(Value streamTiles) {
  int64_t mTiles = shape.warpMTiles(), accTiles = shape.valueDim / 8;
  int64_t accValues = mTiles * accTiles * 4;
  double inf = std::numeric_limits<double>::infinity();
  Value zero = f32(0.0), negInf = f32(-inf);
  Value factor = softmaxFactor(p);
  SmallVector<Value> init(accValues, zero);
  init.append(2 * mTiles, negInf);
  init.append(2 * mTiles, zero);
  // Then the cursors: of the K and V copies of tile j + 2, and of the
  // ldmatrix reads of tile j.
  int64_t cursors = init.size();
  for (bool value : {false, true}) {
    Cursor c = cursorOf(idx(shape.stages - 1), value);
    init.append({c.pos, c.source, c.slot});
  }
  init.append({readSlot(idx(0), false), readSlot(idx(0), true)});
  // The accumulators' unit (valueScales), from the smallest normal float.
  if (shape.quantized)
    init.push_back(f32(std::numeric_limits<float>::min()));
  Value yes = arith::ConstantIntOp::create(b, b.getI1Type(), 1);

  return scf::ForOp::create(
      b, idx(0), streamTiles, idx(1), init,
      [&](OpBuilder &nb, Location, Value j, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        // Tile j has landed (for every lane of the stream: the barrier
        // orders the lanes' copies), and every lane is done with tile j -
        // 1, whose stage the copy of tile j + stages - 1 overwrites.
        NVVM::CpAsyncWaitGroupOp::create(b, shape.stages - 2);
        syncStream();
        Value ahead = add(j, idx(shape.stages - 1));
        Cursor kCopy{carried[cursors], carried[cursors + 1],
                     carried[cursors + 2]};
        Cursor vCopy{carried[cursors + 3], carried[cursors + 4],
                     carried[cursors + 5]};
        Value kRead = carried[cursors + 6], vRead = carried[cursors + 7];
        copyTile(kCopy, vCopy, ahead, lt(ahead, streamTiles));
        NVVM::CpAsyncCommitGroupOp::create(b);

        Value stage = rem(j, shape.stages),
              aheadStage = rem(ahead, shape.stages);
        Value kvStart = tileStart(j);
        // The tile's scales: staged ones (f32, two m-tiles) landed with its
        // codes (V's are read where they are used, so as not to hold
        // registers across S); the others come from global memory, their
        // loads first, so that their latency passes under the products of
        // S rather than after them.
        SmallVector<Value> kScales, vScalesRead;
        if (shape.stagedScales) {
          kScales = stagedKeyScales(kScaleStages, stage);
        } else if (shape.quantized) {
          kScales = keyScales(p.keyScale, kvStart);
          vScalesRead = keyScales(p.valueScale, kvStart);
        }
        Scores s = shape.quantized ? scoresFromCodes(kRead) : scores(kRead);
        // Q times the codes of K, times each key's scale.
        if (shape.quantized)
          scaleByKey(s, kScales);
        if (!foldsScale(p))
          for (auto &row : s)
            for (Acc &frag : row)
              for (Value &v : frag)
                v = fmul(v, p.scale);
        // Only tiles that cross the end of the keys, the causal diagonal
        // or the window's start for some row, or that add a mask, pay for
        // masking.
        Value tileEnd = add(kvStart, idx(shape.tileKeys()));
        Value needMask = lt(p.seqK, tileEnd);
        if (p.causal)
          needMask = either(needMask, lt(add(p.diagonal, idx(1)), tileEnd));
        if (p.window) {
          Value lastDiag = add(p.diagonal, idx(shape.seqQ - 1));
          needMask = either(
              needMask,
              lt(kvStart, add(sub(lastDiag, idx(*p.window)), idx(1))));
        }
        if (p.mask)
          needMask = yes;
        maskIf(needMask, s, [&] { return maskScores(s, kvStart); });

        SmallVector<Value> acc(carried.begin(), carried.begin() + accValues);
        std::optional<ValueScales> vScales;
        if (shape.stagedScales)
          vScalesRead = stagedKeyScales(vScaleStages, stage);
        if (shape.quantized)
          vScales = valueScales(vScalesRead, carried[cursors + 8]);
        // The lazy rescale pays where the accumulators are many (two
        // m-tiles and more: 128 multiplies a lane a tile); with one m-tile,
        // ptxas gave its branch's extra live values spills (bf16 GQA: 128
        // registers and 20 bytes of spills against 168 and none). A warp of
        // a pair keeps it (one m-tile, 16-key tiles: 128 registers, no
        // spills).
        bool lazy = shape.mTiles() >= 2;
        ValueRange maxes = carried.slice(accValues, 2 * mTiles);
        ValueRange sums = carried.slice(accValues + 2 * mTiles, 2 * mTiles);
        Value accFactor = vScales ? vScales->shrink : Value();
        auto [newMax, newSum] =
            lazy ? lazyOnlineSoftmax(s, maxes, sums, acc, factor, accFactor,
                                     kLazyMaxBound)
                 : onlineSoftmax(s, maxes, sums, acc, factor, accFactor);
        // P times each key's value scale, times the codes of V.
        if (vScales)
          scaleByKey(s, vScales->perKey);
        if (shape.quantized)
          accumulatePVFromCodes(s, acc, vRead);
        else
          accumulatePV(s, acc, vSmem, vRead, shape.vRow());
        SmallVector<Value> results = acc;
        results.append(newMax);
        results.append(newSum);
        for (auto [c, value] : {std::pair{kCopy, false}, {vCopy, true}}) {
          Cursor next = advance(c, aheadStage, value);
          results.append({next.pos, next.source, next.slot});
        }
        Value lastStage = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                                stage, idx(shape.stages - 1));
        for (auto [read, value] : {std::pair{kRead, false}, {vRead, true}}) {
          // The products read the stage itself (in words) where it holds
          // codes, else the tile of the products' layout.
          int64_t elements = shape.quantized ? stageElements(value) / 4
                                             : tileElements(value);
          results.push_back(
              add(read, select(lastStage, idx(-(shape.stages - 1) * elements),
                               idx(elements))));
        }
        if (vScales)
          results.push_back(vScales->unit);
        scf::YieldOp::create(b, results);
      });
}

void DecodeKernel::syncStream() {
  Type i32 = b.getI32Type();
  if (shape.rowWarps == 1) {
    NVVM::SyncWarpOp::create(b, arith::ConstantIntOp::create(b, i32, -1));
    return;
  }
  Value id = arith::IndexCastOp::create(b, i32, add(stream, idx(1)));
  NVVM::BarrierOp::create(
      b, /*res=*/Type(), id,
      arith::ConstantIntOp::create(b, i32, 32 * shape.rowWarps),
      /*reductionOp=*/NVVM::BarrierReductionAttr(),
      /*reductionPredicate=*/Value());
}

void DecodeKernel::build(gpu::LaunchOp launch, bool signalDependents) {
  gpu::KernelDim3 blockId = launch.getBlockIds();
  tid = launch.getThreadIds().x;
  lane = rem(tid, 32);
  warp = div(tid, 32);
  stream = div(warp, shape.rowWarps);
  member = rem(warp, shape.rowWarps);
  memberRow = mul(member, idx(16 * shape.warpMTiles()));
  split = blockId.x;
  kvHead = blockId.y;
  bi = blockId.z;
  Value splits = launch.getGridSize().x;

  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                              gpu::AddressSpace::Workgroup);
  smem = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), workgroup));
  // K and V are addressed through flat indices (see Cursor).
  qSmem = sharedView(0, {shape.mRows(), shape.kRow()}, elt);
  Type queryType = cast<MemRefType>(p.query.getType()).getElementType();
  qIn = queryType == elt
            ? qSmem
            : sharedView(0, {shape.mRows(), shape.kRow()}, queryType);
  kSmem = sharedView(shape.qBytes(), {shape.kBytes() / 2}, elt);
  vSmem =
      sharedView(shape.qBytes() + shape.kBytes(), {shape.vBytes() / 2}, elt);
  if (shape.quantized) {
    auto typedView = [&](int64_t offset, int64_t bytes, Type type) {
      return sharedView(offset, {bytes * 8 / type.getIntOrFloatBitWidth()},
                        type);
    };
    Type code = cast<MemRefType>(p.key.getType()).getElementType();
    int64_t kAt = shape.qBytes() + shape.kBytes() + shape.vBytes();
    int64_t vAt = kAt + shape.kCodeBytes();
    kCodes = typedView(kAt, shape.kCodeBytes(), code);
    vCodes = typedView(vAt, shape.vCodeBytes(), code);
    kCodeWords = typedView(kAt, shape.kCodeBytes(), b.getI32Type());
    vCodeWords = typedView(vAt, shape.vCodeBytes(), b.getI32Type());
    int64_t scalesAt = vAt + shape.vCodeBytes();
    if (shape.stagedScales) {
      kScaleStages = typedView(scalesAt, shape.scaleBytes(), b.getF32Type());
      vScaleStages = typedView(scalesAt + shape.scaleBytes(),
                               shape.scaleBytes(), b.getF32Type());
    }
    if (shape.stagedQueryFragments())
      qFragments = typedView(scalesAt + 2 * shape.scaleBytes(),
                             shape.qFragmentBytes(), elt);
    if (shape.headDim == 128)
      kOddShift = oddCopyShift();
  }
  auto flat = [&](Value m) -> Value {
    return memref::CollapseShapeOp::create(
        b, m, ArrayRef<ReassociationIndices>{{0, 1, 2, 3}});
  };
  kFlat = flat(p.key);
  vFlat = flat(p.value);

  // The packed query rows; padding rows are zero-filled.
  forEachQueryChunk([&](Value row, Value col) {
    auto [h, qi] = headAndPos(row);
    copy16(qIn, {row, col}, p.query, at(qi, h, col), lt(row, idx(shape.rows)));
  });
  NVVM::CpAsyncCommitGroupOp::create(b);

  // This block's share of the KV range, in whole tiles; stream w takes
  // the block's tiles w, w + streams, ...
  Value kvEnd;
  std::tie(kvBegin, kvEnd) = buildKVRange(
      b, b.getLoc(), p, FlashTiles{shape.seqQ, shape.tileKeys()}, idx(0));
  Value span = arith::MaxSIOp::create(b, sub(kvEnd, kvBegin), idx(0));
  Value tiles = arith::CeilDivUIOp::create(b, span, idx(shape.tileKeys()));
  Value perBlock = arith::CeilDivUIOp::create(b, tiles, splits);
  blockFirst = mul(split, perBlock);
  Value blockTiles = min(
      arith::MaxSIOp::create(b, sub(tiles, blockFirst), idx(0)), perBlock);
  Value streamTiles = arith::CeilDivUIOp::create(
      b, arith::MaxSIOp::create(b, sub(blockTiles, stream), idx(0)),
      idx(shape.streams()));

  for (int64_t st = 0; st < shape.stages - 1; ++st) {
    copyTile(cursorOf(idx(st), false), cursorOf(idx(st), true), idx(st),
             lt(idx(st), streamTiles));
    NVVM::CpAsyncCommitGroupOp::create(b);
  }
  // Q has landed for every thread's copies; the barrier shares them.
  NVVM::CpAsyncWaitGroupOp::create(b, shape.stages - 1);
  gpu::BarrierOp::create(b);
  if (qIn != qSmem) {
    convertQuery(qIn);
    gpu::BarrierOp::create(b);
  }
  if (shape.stagedQueryFragments()) {
    storeQueryFragments();
    gpu::BarrierOp::create(b);
  }

  scf::ForOp loop = buildLoop(streamTiles);
  // The combine kernel's blocks may be placed once every block is past its
  // loop: what is left (the in-block combine, the partials' stores) is
  // short, and they wait for this grid's end before reading.
  if (signalDependents)
    NVVM::GriddepcontrolOp::create(b,
                                   NVVM::GridDepActionKind::launch_dependents);
  // No copy may be in flight when the buffers are reused.
  NVVM::CpAsyncWaitGroupOp::create(b, 0);
  buildCombine(loop);
}
