//===- Sm90Tiles.cpp - the wgmma kernel's tiles ---------------------------===//
//
// The Hopper kernel's copies into its ring of stages (cp.async or TMA), and
// the products and online softmax of one K/V tile.
//
//===----------------------------------------------------------------------===//

#include "Sm90KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::sm90;

//===----------------------------------------------------------------------===//
// Global to shared memory
//===----------------------------------------------------------------------===//

void Sm90Kernel::copyTile(Value at, Value source, int64_t rows, int64_t width,
                          Value pos0, function_ref<Value(Value)> sourceRow,
                          function_ref<Value(Value)> valid) {
  // Producer thread t copies chunk t % perRow of rows t / perRow + i
  // rowsPerRound. Rows 8 apart share their swizzle, so a copier's slots take
  // `period` distinct bases (1 where rowsPerRound is a multiple of 8) and
  // constant offsets from them, which keeps few addresses live.
  int64_t perRow = width / kCopyElements;
  Value copier = rem(tid, 128);
  int64_t rowsPerRound = 128 / perRow;
  int64_t period = rowsPerRound % 8 == 0 ? 1 : 8 / rowsPerRound;
  Value chunk = rem(copier, perRow), row = div(copier, perRow);
  Value blockAt = add(at, mul(div(chunk, 8), idx(rows * kSwizzleElements)));
  SmallVector<Value> slots;
  for (int64_t j = 0; j < period; ++j) {
    Value r = add(row, idx(j * rowsPerRound));
    Value swizzled = arith::XOrIOp::create(b, rem(chunk, 8), rem(r, 8));
    slots.push_back(add(blockAt, add(mul(r, idx(kSwizzleElements)),
                                     mul(swizzled, idx(kCopyElements)))));
  }
  Value col = mul(chunk, idx(kCopyElements));
  for (int64_t i = 0; i < rows / rowsPerRound; ++i) {
    Value slot = add(slots[i % period], idx((i / period) * period *
                                            rowsPerRound * kSwizzleElements));
    Value pos = add(pos0, add(row, idx(i * rowsPerRound)));
    Value from = add(mul(sourceRow(pos), idx(width)), col);
    copy16(smem, {slot}, source, {from}, valid(pos), /*bypassL1=*/true);
  }
}

void Sm90Kernel::copyQ() {
  // Q rows past Sq are zero-filled; their address is clamped into bounds.
  Value lastQuery = sub(p.seqQ, idx(1));
  copyTile(
      qElement(), qFlat, kBlockRows, shape.headDim, qStart,
      [&](Value pos) {
        return querySourceRow(p, bi, head, min(pos, lastQuery));
      },
      [&](Value pos) { return lt(pos, p.seqQ); });
}

// A row past Sk reads nothing (its source size is 0), so its address,
// which may lie past the end, is never dereferenced.
void Sm90Kernel::copyKV(Value source, int64_t ringAt, int64_t width,
                        Value kvStart, Value stage) {
  copyTile(
      add(idx(ringAt), mul(stage, idx(shape.keys * width))), source, shape.keys,
      width, kvStart,
      [&](Value pos) { return kvSourceRow(p, bi, kvHead, pos); },
      [&](Value pos) { return lt(pos, p.seqK); });
}

void Sm90Kernel::loadTile(Value at, Value map, int64_t rows, int64_t width,
                          Value pos0, Value headId, Value bar) {
  // A box is one 64-column block of the tile: `rows` rows of 128 bytes,
  // which the copy swizzles the way copyTile does (the tensor map's 128-byte
  // swizzle). Rows past the tensor's extent arrive as zeros.
  auto i32 = [&](Value v) {
    return arith::IndexCastOp::create(b, b.getI32Type(), v);
  };
  Value pos = i32(pos0), headAt = i32(headId), row = i32(bi);
  for (int64_t block = 0; block < width / kSwizzleElements; ++block) {
    Value dst = arith::AddIOp::create(
        b, base,
        arith::IndexCastOp::create(
            b, b.getI64Type(),
            mul(add(at, idx(block * rows * kSwizzleElements)), idx(2))));
    Value column = idx32(block * kSwizzleElements);
    SmallVector<Value> coords =
        p.layout == Layout::BSHD ? SmallVector<Value>{column, headAt, pos, row}
                                 : SmallVector<Value>{column, pos, headAt, row};
    tmaLoad4d(dst, map, coords, bar);
  }
}

//===----------------------------------------------------------------------===//
// One KV tile
//===----------------------------------------------------------------------===//

Value Sm90Kernel::stageDesc(Value desc, Value stage, int64_t stageBytes) {
  Value stage64 = arith::IndexCastOp::create(b, b.getI64Type(), stage);
  return arith::AddIOp::create(
      b, desc,
      arith::MulIOp::create(
          b, stage64,
          arith::ConstantIntOp::create(b, b.getI64Type(), stageBytes >> 4)));
}

SmallVector<Value> Sm90Kernel::issueScores(Value kDesc) {
  // K-major operands: a k16 step is 32 bytes into a 128-byte row, and every
  // 4 steps the next column block; 8-row core matrices lie 1024 bytes apart
  // (the leading offset is unused for swizzled K-major operands).
  int64_t keys = shape.keys;
  fence({});
  SmallVector<Value> acc;
  for (int64_t ks = 0; ks < shape.headDim / 16; ++ks) {
    int64_t block = ks / 4, within = (ks % 4) * 32;
    acc = wgmma(
        acc,
        advance(itemQDesc(), block * shape.qRows() * kSwizzleBytes + within),
        {}, advance(kDesc, block * keys * kSwizzleBytes + within), keys,
        /*transposeB=*/false);
  }
  commit();
  return acc;
}

Scores Sm90Kernel::asScores(ArrayRef<Value> acc) {
  Scores s(1);
  for (int64_t nt = 0; nt < shape.keys / 8; ++nt)
    s[0].push_back(
        {acc[4 * nt], acc[4 * nt + 1], acc[4 * nt + 2], acc[4 * nt + 3]});
  return s;
}

SmallVector<Value> Sm90Kernel::pRegisters(const Scores &s) {
  // Two n8 tiles of exponentials make one m64k16 A fragment.
  SmallVector<Value> regs;
  for (int64_t kk = 0; kk < shape.keys / 16; ++kk) {
    const Acc &lo = s[0][2 * kk], &hi = s[0][2 * kk + 1];
    for (Value pair : {pack(lo[0], lo[1]), pack(lo[2], lo[3]),
                       pack(hi[0], hi[1]), pack(hi[2], hi[3])})
      regs.push_back(asRegister(pair));
  }
  return regs;
}

SmallVector<Value> Sm90Kernel::issuePV(ArrayRef<Value> acc,
                                       ArrayRef<Value> pRegs, Value vDesc) {
  // The fence orders the rescaled accumulators and P before the products.
  SmallVector<Value> both(acc);
  both.append(pRegs.begin(), pRegs.end());
  both = fence(both);
  SmallVector<Value> out(both.begin(), both.begin() + acc.size());
  // V is N-major: a k16 step is 16 rows (2048 bytes) down every column
  // block, the column blocks lie a whole block apart (the leading offset)
  // and 8-row core matrices 1024 bytes apart (the stride offset). P in
  // shared memory is K-major, as Q is: a k16 step is 32 bytes into a row,
  // every 4 steps the next column block of 64 rows.
  for (int64_t kk = 0; kk < shape.keys / 16; ++kk) {
    Value vStep = advance(vDesc, kk * 16 * kSwizzleBytes);
    if (shape.pInShared)
      out =
          wgmma(out, advance(pDesc, kk / 4 * 64 * kSwizzleBytes + kk % 4 * 32),
                {}, vStep, shape.outColumns(), /*transposeB=*/true);
    else
      out = wgmma(out, Value(), ArrayRef(both).slice(acc.size() + 4 * kk, 4),
                  vStep, shape.outColumns(), /*transposeB=*/true);
  }
  commit();
  return out;
}

void Sm90Kernel::storeP(ArrayRef<Value> pRegs) {
  storeRowsShared(pAt, shape.pBytes(), pRegs);
  // Each thread's stores before the async proxy's reads, then every warp's
  // stores before any warp's products: barrier 3 + g is warpgroup g's own.
  fenceAsyncShared();
  namedBarrierSync(
      arith::IndexCastOp::create(b, b.getI32Type(), add(group, idx(3))), 128);
}

void Sm90Kernel::storeRowsShared(int64_t at, int64_t groupBytes,
                                 ArrayRef<Value> words) {
  // words[4 kk + j] holds, for the k16 step kk, row g (j even) or g + 8 (j
  // odd) and columns 16 kk + 8 (j / 2) + 2 (lane % 4) and the next: n8
  // tile nt = 2 kk + j / 2. Its 16-byte chunk in the row is nt % 8,
  // swizzled by the row's low three bits, which are g's for both rows.
  Value g = div(lane, 4);
  Value row = add(mul(warp, idx(16)), g);
  Value rowAt =
      add(add(idx(at * 2), mul(group, idx(groupBytes))),
          add(mul(row, idx(kSwizzleBytes)), mul(rem(lane, 4), idx(4))));
  Value rowBase = arith::AddIOp::create(
      b, base, arith::IndexCastOp::create(b, b.getI64Type(), rowAt));
  Value swizzle =
      arith::IndexCastOp::create(b, b.getI64Type(), mul(g, idx(16)));
  auto i64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, b.getI64Type(), v);
  };
  for (auto [i, reg] : llvm::enumerate(words)) {
    int64_t kk = i / 4, j = i % 4, nt = 2 * kk + j / 2;
    Value chunk = arith::XOrIOp::create(b, i64(nt % 8 * 16), swizzle);
    Value address = arith::AddIOp::create(
        b, rowBase,
        arith::AddIOp::create(
            b, i64(nt / 8 * 64 * kSwizzleBytes + j % 2 * 8 * kSwizzleBytes),
            chunk));
    storeShared(address, reg);
  }
}

Sm90Kernel::Softmax Sm90Kernel::softmax(Scores &s, Value kvStart,
                                        ValueRange maxes, ValueRange sums) {
  if (!foldsScale(p))
    for (Acc &frag : s[0])
      for (Value &v : frag)
        v = fmul(v, p.scale);
  Rows rows{bi, head, warpFirst, lane, 16};
  // Every tile starts at a multiple of the tile's keys: kvBegin is 0, a
  // window's start rounded down, or a split's or a part's whole tiles.
  Value needMask =
      tileNeedsMask(p, rows, kvStart, shape.keys, /*alignedStarts=*/true);
  maskIf(needMask, s, [&] { return maskScores(p, rows, s, kvStart); });
  Softmax out;
  for (int64_t r = 0; r < 2; ++r) {
    SoftmaxStep step = softmaxStep(s[0], r, maxes[r], factor);
    out.maxes.push_back(step.max);
    out.sums.push_back(fadd(fmul(sums[r], step.correction), step.sum));
    out.corrections.push_back(step.correction);
  }
  return out;
}

void Sm90Kernel::rescale(MutableArrayRef<Value> acc, ValueRange corrections) {
  // Values 4 nt + 2 r + c hold row g + 8 r.
  for (int64_t i = 0, e = acc.size(); i < e; ++i)
    acc[i] = fmul(acc[i], corrections[(i % 4) / 2]);
}

std::pair<Value, Value> Sm90Kernel::stageOf(Value kvStart) {
  // Tile t of the block lies in stage t % shape.stages, in its round
  // t / shape.stages; a round's phase parity is the round's low bit.
  Value t = add(tileBase, div(sub(kvStart, kvBegin), shape.keys));
  Value round = div(t, shape.stages);
  Value parity = arith::IndexCastOp::create(b, b.getI32Type(), rem(round, 2));
  return {rem(t, shape.stages), parity};
}
