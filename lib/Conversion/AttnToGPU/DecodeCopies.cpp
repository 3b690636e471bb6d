//===- DecodeCopies.cpp - the decode kernel's copies ----------------------===//
//
// The decode kernel's cp.async copies of K and V tiles (and of a quantized
// cache's codes and f32 scales) into each stream's ring of stages, their
// shared-memory layouts and swizzles, and the packed query rows.
//
//===----------------------------------------------------------------------===//

#include "DecodeKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::decode;

Value DecodeKernel::flatIndex(Value pos, Value col, bool value) {
  Value width = idx(value ? shape.valueDim : shape.headDim);
  return add(mul(kvSourceRow(p, bi, kvHead, pos), width), col);
}

DecodeKernel::Cursor DecodeKernel::cursorOf(Value j, bool value) {
  int64_t perRow = (value ? shape.valueDim : shape.headDim) / perCopy();
  int64_t rowElements = copyRow(value);
  // Lane l copies column l % perRow of rows l / perRow + i * (32 / perRow).
  // Each warp of a stream copies its own rows of the tile.
  Value laneRow = add(div(lane, perRow),
                      mul(member, idx(shape.tileKeys() / shape.rowWarps)));
  Value laneCol = mul(rem(lane, perRow), idx(perCopy()));
  Value pos = add(tileStart(j), laneRow);
  Value stage = rem(j, shape.stages);
  // Codes land in their swizzled chunk; the lane's rows keep its chunk
  // (but for K's odd copies, see copyTile).
  Value slotCol = laneCol;
  if (shape.quantized)
    slotCol = mul(arith::XOrIOp::create(b, rem(lane, perRow),
                                        chunkSwizzle(laneRow, value)),
                  idx(kCodesPerCopy));
  Value slot = add(mul(add(mul(add(mul(stream, idx(shape.stages)), stage),
                               idx(shape.tileKeys())),
                           laneRow),
                       idx(rowElements)),
                   slotCol);
  return {pos, flatIndex(pos, laneCol, value), slot};
}

DecodeKernel::Cursor DecodeKernel::advance(const Cursor &c, Value stage,
                                           bool value) {
  int64_t keys = shape.streams() * shape.tileKeys();
  Value lastStage = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, stage,
                                          idx(shape.stages - 1));
  int64_t elements = stageElements(value);
  return {add(c.pos, idx(keys)),
          add(c.source, mul(rowStride(value), idx(keys))),
          add(c.slot, select(lastStage, idx(-(shape.stages - 1) * elements),
                             idx(elements)))};
}

Value DecodeKernel::readSlot(Value stage, bool value) {
  if (shape.quantized) {
    // The 32-bit word where this lane's run of codes starts in `stage`
    // (see scoresFromCodes and accumulatePVFromCodes).
    Value g = div(lane, 4), t = rem(lane, 4);
    int64_t width = value ? shape.valueDim : shape.headDim;
    Value row = value ? t : add(div(g, 2), mul(rem(g, 2), idx(4)));
    Value first = value ? mul(g, idx(width / 8)) : mul(t, idx(width / 4));
    Value chunk = arith::XOrIOp::create(b, div(first, kCodesPerCopy),
                                        chunkSwizzle(row, value));
    Value at = add(mul(add(mul(stream, idx(shape.stages)), stage),
                       idx(stageElements(value))),
                   add(mul(row, idx(width)), add(mul(chunk, idx(kCodesPerCopy)),
                                                 rem(first, kCodesPerCopy))));
    return div(at, 4);
  }
  Value row = value ? rem(lane, 16)
                    : add(rem(lane, 8), mul(div(lane, 16), idx(8)));
  Value col = value ? mul(div(lane, 16), idx(8))
                    : mul(rem(div(lane, 8), 2), idx(8));
  return add(mul(add(mul(add(mul(stream, idx(shape.tileBuffers())), stage),
                         idx(shape.tileKeys())),
                     row),
                 idx(tileRow(value))),
             col);
}

void DecodeKernel::copyTile(const Cursor &k, const Cursor &v, Value j,
                            Value enabled) {
  // A copy of a row past Sk reads nothing (its source size is 0), so its
  // address, which may lie past the end, is never dereferenced; not
  // clamping it keeps the addresses a cursor plus an immediate.
  Value kDst = shape.quantized ? kCodes : kSmem;
  Value vDst = shape.quantized ? vCodes : vSmem;
  for (auto [c, src, dst, value] :
       {std::tuple{k, kFlat, kDst, false}, std::tuple{v, vFlat, vDst, true}}) {
    int64_t perRow = (value ? shape.valueDim : shape.headDim) / perCopy();
    int64_t rowElements = copyRow(value);
    int64_t rowsPerCopy = 32 / perRow;
    Value left = sub(p.seqK, c.pos);
    Value stride = rowStride(value);
    // Rows lane / perRow + rowsPerCopy i of this warp's share; K's odd
    // copies are the rows whose bit 2 is set (oddCopyShift), since a
    // share starts at a multiple of 8.
    for (int64_t i = 0; i < shape.tileKeys() / shape.rowWarps / rowsPerCopy;
         ++i) {
      int64_t rows = i * rowsPerCopy;
      Value slot = c.slot;
      if (!value && kOddShift && i % 2 == 1)
        slot = add(slot, kOddShift);
      copy16(dst, {add(slot, idx(rows * rowElements))}, src,
             {add(c.source, mul(stride, idx(rows)))},
             both(enabled, lt(idx(rows), left)), /*bypassL1=*/true,
             perCopy());
    }
  }
  if (!shape.stagedScales)
    return;
  if (shape.rowWarps == 1) {
    copyScales(j, enabled);
    return;
  }
  // The first warp of a stream copies the scales.
  scf::IfOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, member, idx(0)),
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        copyScales(j, enabled);
        scf::YieldOp::create(b);
      });
}

void DecodeKernel::copyScales(Value j, Value enabled) {
  int64_t keys = shape.tileKeys();
  Value first = tileStart(j);
  Value base =
      mul(add(mul(stream, idx(shape.stages)), rem(j, shape.stages)), idx(keys));
  auto copyOne = [&](Value scales, Value stages, Value k) {
    Value key = add(first, k);
    Value slot = add(base, add(mul(rem(k, 4), idx(keys / 4)), div(k, 4)));
    // As for the codes, a key past Sk reads nothing, so its address is
    // never dereferenced.
    copy16(stages, {slot}, scales,
           p.layout == Layout::BSHD ? ValueRange{bi, key, kvHead}
                                    : ValueRange{bi, kvHead, key},
           both(enabled, lt(key, p.seqK)), /*bypassL1=*/false,
           /*elements=*/1);
  };
  // A lane a key: of 32 keys, K's and V's scales; of 16, half the warp
  // copies K's, the other half V's.
  if (keys == 32) {
    copyOne(p.keyScale, kScaleStages, lane);
    copyOne(p.valueScale, vScaleStages, lane);
    return;
  }
  assert(keys == 16 && "staged scales need 16- or 32-key tiles");
  Value k = rem(lane, 16);
  scf::IfOp::create(
      b, lt(lane, idx(16)),
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        copyOne(p.keyScale, kScaleStages, k);
        scf::YieldOp::create(b);
      },
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        copyOne(p.valueScale, vScaleStages, k);
        scf::YieldOp::create(b);
      });
}

SmallVector<Value> DecodeKernel::stagedKeyScales(Value scales, Value stage) {
  int64_t keys = shape.tileKeys(), run = keys / 4;
  Value at = add(mul(add(mul(stream, idx(shape.stages)), stage), idx(keys)),
                 mul(rem(lane, 4), idx(run)));
  Value all = vector::LoadOp::create(
      b, VectorType::get({run}, b.getF32Type()), scales, ValueRange{at},
      /*nontemporal=*/false, llvm::MaybeAlign(16));
  SmallVector<Value> out;
  for (int64_t i = 0; i < run; ++i)
    out.push_back(vector::ExtractOp::create(b, all, i));
  return out;
}

void DecodeKernel::forEachQueryChunk(
    function_ref<void(Value row, Value col)> body) {
  int64_t perRow = shape.headDim / kCopyElements;
  int64_t chunks = shape.mRows() * perRow, threads = shape.threads();
  for (int64_t i = 0; i < (chunks + threads - 1) / threads; ++i) {
    Value chunk = add(tid, idx(i * threads));
    auto atChunk = [&] {
      body(div(chunk, perRow), mul(rem(chunk, perRow), idx(kCopyElements)));
    };
    if ((i + 1) * threads <= chunks) {
      atChunk();
      continue;
    }
    scf::IfOp::create(b, lt(chunk, idx(chunks)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      atChunk();
      scf::YieldOp::create(b);
    });
  }
}

void DecodeKernel::convertQuery(Value qIn) {
  // Each thread converts whole 16-byte chunks of real columns in place
  // (padding columns are never written, so never read).
  auto wide = VectorType::get({kCopyElements}, b.getF32Type());
  auto splat = [&](double v) {
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(wide, b.getF32FloatAttr(float(v))));
  };
  double largest = 65504.0;
  forEachQueryChunk([&](Value row, Value col) {
    Value in = vector::LoadOp::create(
        b,
        VectorType::get({kCopyElements},
                        cast<MemRefType>(qIn.getType()).getElementType()),
        qIn, ValueRange{row, col}, /*nontemporal=*/false,
        llvm::MaybeAlign(16));
    Value x = arith::ExtFOp::create(b, wide, in);
    x = arith::MinimumFOp::create(b, x, splat(largest));
    x = arith::MaximumFOp::create(b, x, splat(-largest));
    vector::StoreOp::create(
        b, arith::TruncFOp::create(b, VectorType::get({kCopyElements}, elt), x),
        qSmem, ValueRange{row, col}, /*nontemporal=*/false,
        llvm::MaybeAlign(16));
  });
}

Value DecodeKernel::chunkSwizzle(Value row, bool value) {
  // K (head_dim 128): a quarter-warp reads two keys 4 apart, 16 bytes at
  // each of 4 lanes' 32-byte runs; keys with bit 2 set swap the chunks of
  // each run. V: a phase reads 4 keys t + 4i (i fixed) at each lane's run;
  // their chunks are XORed apart so the 4 rows cover every bank once.
  int64_t width = value ? shape.valueDim : shape.headDim;
  if (!value && width == 128)
    return rem(div(row, 4), 2);
  if (value && width == 128)
    return mul(rem(row, 4), idx(2));
  if (value && width == 64)
    return mul(rem(div(row, 2), 2), idx(2));
  return idx(0);
}

Value DecodeKernel::oddCopyShift() {
  // A lane copies chunk lane % 8 of rows lane / 8 + 4 i; rows of odd i have
  // bit 2 set, and their chunk pairs swapped.
  Value chunk = rem(lane, 8);
  return mul(sub(arith::XOrIOp::create(b, chunk, idx(1)), chunk),
             idx(kCodesPerCopy));
}
