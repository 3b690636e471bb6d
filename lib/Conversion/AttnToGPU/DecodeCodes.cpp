//===- DecodeCodes.cpp - a quantized cache in the decode kernel -----------===//
//
// The decode kernel over a quantized cache: int8 and fp8 codes turned into
// f16 operand pairs in registers, Q's staged fragments, and the per-key
// scales of K and V applied to the scores and the probabilities.
//
//===----------------------------------------------------------------------===//

#include "DecodeKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::decode;

SmallVector<Value> DecodeKernel::biased(ValueRange words) {
  SmallVector<Value> out(words);
  if (isa<Float8E4M3FNType>(
          cast<MemRefType>(p.key.getType()).getElementType()))
    return out;
  Value bias = arith::ConstantIntOp::create(b, b.getI32Type(), 0x80808080);
  for (Value &w : out)
    w = arith::XOrIOp::create(b, w, bias);
  return out;
}

Value DecodeKernel::decodePair(Value a, int64_t ia, Value b2, int64_t ib) {
  // The products take f16 wherever K and V are codes (productType).
  assert(elt.isF16() && "codes decode to f16 pairs");
  bool fp8 = isa<Float8E4M3FNType>(
      cast<MemRefType>(p.key.getType()).getElementType());
  Type i32 = b.getI32Type();
  auto constant = [&](uint32_t v) {
    return arith::ConstantIntOp::create(b, i32, int64_t(int32_t(v)));
  };
  // prmt picks bytes of {b2, a} (a: bytes 0-3, b2: 4-7) by the nibbles of
  // the selector, result byte 0 first.
  auto permute = [&](Value lo, Value hi, std::array<int64_t, 4> bytes) {
    uint32_t sel = 0;
    for (int64_t i = 0; i < 4; ++i)
      sel |= uint32_t(bytes[i]) << (4 * i);
    return NVVM::PermuteOp::create(b, i32, lo, hi, constant(sel),
                                   NVVM::PermuteMode::DEFAULT)
        .getResult();
  };
  auto f16x2 = VectorType::get({2}, b.getF16Type());
  bool sameWord = a == b2;
  if (fp8) {
    // The two codes as the low half of a word, then the hardware's e4m3x2
    // to f16x2 (exact, subnormals included).
    Value pair;
    if (sameWord && ib == ia + 1 && ia % 2 == 0)
      pair = ia == 0 ? a : arith::ShRUIOp::create(b, a, constant(16));
    else
      pair = permute(a, b2, {ia, 4 + ib, ia, 4 + ib});
    Value codes = vector::BitCastOp::create(
        b, VectorType::get({2}, b.getI8Type()),
        vector::FromElementsOp::create(
            b, VectorType::get({1}, b.getI16Type()),
            ValueRange{arith::TruncIOp::create(b, b.getI16Type(), pair)}));
    return NVVM::ConvertF8x2ToF16x2Op::create(b, f16x2, codes, /*relu=*/false,
                                              b.getType<Float8E4M3FNType>());
  }
  // 0x64uu is the f16 1024 + u. With u the code biased to unsigned (x +
  // 128), subtracting 1152 leaves x, exactly. A word of K comes biased
  // (biased(), once for its 4 codes) and one permute builds the pair; the
  // codes of V come from two words, so the bias is an XOR of the pair,
  // which the mask folds into (one LOP3).
  Value halves;
  if (sameWord) {
    halves = permute(a, constant(0x64646464), {ia, 4, ib, 4});
  } else {
    Value codes = permute(a, b2, {ia, ia, 4 + ib, 4 + ib});
    halves = arith::XOrIOp::create(
        b, arith::AndIOp::create(b, codes, constant(0x00FF00FF)),
        constant(0x64806480));
  }
  Value magic = arith::ConstantOp::create(
      b, DenseElementsAttr::get(f16x2, b.getF16FloatAttr(1152.0f)));
  Value pair = vector::BitCastOp::create(
      b, f16x2,
      vector::FromElementsOp::create(b, VectorType::get({1}, i32),
                                     ValueRange{halves}));
  return arith::SubFOp::create(b, pair, magic);
}

Scores DecodeKernel::scoresFromCodes(Value kAt) {
  Value zero = f32(0.0);
  int64_t width = shape.headDim, runWords = width / 16;
  Scores s(shape.warpMTiles(),
           SmallVector<Acc>(shape.tileKeys() / 8, Acc{zero, zero, zero, zero}));
  // Lane (g, t) reads key 8 nt + g / 2 + 4 (g % 2) of n8 tile nt (kAt is
  // at its row in tile 0): its run of head_dim, t D/4 .. t D/4 + D/4 - 1,
  // whose word ks serves the ks-th 16 of head_dim. At head_dim 128 the run
  // is two chunks, swapped in the rows whose bit 2 is set.
  Value second;
  if (width == 128) {
    Value g = div(lane, 4);
    Value even =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, rem(g, 2), idx(0));
    second = add(kAt, select(even, idx(kCodesPerCopy / 4),
                             idx(-kCodesPerCopy / 4)));
  }
  SmallVector<SmallVector<Value>> words;
  for (int64_t nt = 0; nt < shape.tileKeys() / 8; ++nt) {
    int64_t row = 8 * nt * width / 4;
    SmallVector<Value> run;
    for (Value at : width == 128 ? SmallVector<Value>{kAt, second}
                                 : SmallVector<Value>{kAt}) {
      int64_t count = std::min<int64_t>(runWords, 4);
      Value v = vector::LoadOp::create(
          b, VectorType::get({count}, b.getI32Type()), kCodeWords,
          ValueRange{add(at, idx(row))}, /*nontemporal=*/false,
          llvm::MaybeAlign(4 * count));
      for (int64_t w = 0; w < count; ++w)
        run.push_back(vector::ExtractOp::create(b, v, w));
    }
    words.push_back(biased(run));
  }
  for (int64_t ks = 0; ks < runWords; ++ks) {
    SmallVector<Frag> kFrag;
    for (auto &run : words)
      kFrag.push_back({decodePair(run[ks], 0, run[ks], 1),
                       decodePair(run[ks], 2, run[ks], 3)});
    for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt) {
      Frag a = queryFragment(mt, ks);
      for (int64_t nt = 0; nt < int64_t(kFrag.size()); ++nt)
        s[mt][nt] = mma(a, kFrag[nt], s[mt][nt]);
    }
  }
  return s;
}

Frag DecodeKernel::queryFragment(int64_t mt, int64_t ks) {
  auto half = [&](Value v, int64_t first) {
    return vector::ShuffleOp::create(b, v, v,
                                     ArrayRef<int64_t>{first, first + 1})
        .getResult();
  };
  if (shape.stagedQueryFragments()) {
    Value q =
        vector::LoadOp::create(b, VectorType::get({8}, elt), qFragments,
                               ValueRange{queryFragmentAt(mt, ks)},
                               /*nontemporal=*/false, llvm::MaybeAlign(16));
    return {half(q, 0), half(q, 2), half(q, 4), half(q, 6)};
  }
  auto rows = queryRows(mt, ks, queryRowsAt());
  return {half(rows[0], 0), half(rows[1], 0), half(rows[0], 2),
          half(rows[1], 2)};
}

std::pair<Value, Value> DecodeKernel::queryRowsAt() {
  return {add(div(lane, 4), memberRow),
          mul(rem(lane, 4), idx(shape.headDim / 4))};
}

std::array<Value, 2> DecodeKernel::queryRows(int64_t mt, int64_t ks,
                                             std::pair<Value, Value> at) {
  auto [qRow, qCol] = at;
  std::array<Value, 2> rows;
  for (int64_t r = 0; r < 2; ++r)
    rows[r] = vector::LoadOp::create(
        b, VectorType::get({4}, elt), qSmem,
        ValueRange{add(qRow, idx(16 * mt + 8 * r)), add(qCol, idx(4 * ks))},
        /*nontemporal=*/false, llvm::MaybeAlign(8));
  return rows;
}

Value DecodeKernel::queryFragmentAt(int64_t mt, int64_t ks) {
  int64_t steps = shape.headDim / 16;
  Value tile = add(mul(member, idx(shape.warpMTiles())), idx(mt));
  return mul(add(mul(add(mul(tile, idx(steps)), idx(ks)), idx(32)), lane),
             idx(8));
}

void DecodeKernel::storeQueryFragments() {
  // Registers a0, a1, a2, a3 of a fragment are (row g, columns 0-1), (row
  // g + 8, 0-1), (row g, 2-3), (row g + 8, 2-3) of queryRows' four.
  std::pair<Value, Value> at = queryRowsAt();
  scf::IfOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, stream, idx(0)),
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        for (int64_t ks = 0; ks < shape.headDim / 16; ++ks)
          for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt) {
            auto rows = queryRows(mt, ks, at);
            Value fragment = vector::ShuffleOp::create(
                b, rows[0], rows[1], ArrayRef<int64_t>{0, 1, 4, 5, 2, 3, 6, 7});
            vector::StoreOp::create(
                b, fragment, qFragments, ValueRange{queryFragmentAt(mt, ks)},
                /*nontemporal=*/false, llvm::MaybeAlign(16));
          }
        scf::YieldOp::create(b);
      });
}

void DecodeKernel::accumulatePVFromCodes(const Scores &s,
                                         MutableArrayRef<Value> acc,
                                         Value vAt) {
  // Lane (g, t) reads keys t + 4i of each 16 (vAt is at key t of tile 0),
  // value columns g (D/8) .. g (D/8) + D/8 - 1: byte nt of its run is
  // column g of n8 tile nt.
  int64_t mTiles = s.size(), width = shape.valueDim;
  int64_t accTiles = width / 8, runWords = width / 32;
  for (int64_t kk = 0; kk < shape.tileKeys() / 16; ++kk) {
    SmallVector<Frag, 2> pa;
    for (int64_t mt = 0; mt < mTiles; ++mt) {
      const Acc &lo = s[mt][2 * kk], &hi = s[mt][2 * kk + 1];
      pa.push_back({pack(lo[0], lo[1]), pack(lo[2], lo[3]), pack(hi[0], hi[1]),
                    pack(hi[2], hi[3])});
    }
    SmallVector<SmallVector<Value>, 4> keys;
    for (int64_t i = 0; i < 4; ++i) {
      Value v = vector::LoadOp::create(
          b, VectorType::get({runWords}, b.getI32Type()), vCodeWords,
          ValueRange{add(vAt, idx((16 * kk + 4 * i) * width / 4))},
          /*nontemporal=*/false, llvm::MaybeAlign(4 * runWords));
      SmallVector<Value> run;
      for (int64_t w = 0; w < runWords; ++w)
        run.push_back(vector::ExtractOp::create(b, v, w));
      keys.push_back(run);
    }
    for (int64_t nt = 0; nt < accTiles; ++nt) {
      int64_t w = nt / 4, byte = nt % 4;
      Frag v{decodePair(keys[0][w], byte, keys[1][w], byte),
             decodePair(keys[2][w], byte, keys[3][w], byte)};
      for (int64_t mt = 0; mt < mTiles; ++mt) {
        int64_t at = (mt * accTiles + nt) * 4;
        Acc o{acc[at], acc[at + 1], acc[at + 2], acc[at + 3]};
        o = mma(pa[mt], v, o);
        for (int64_t c = 0; c < 4; ++c)
          acc[at + c] = o[c];
      }
    }
  }
}

SmallVector<Value> DecodeKernel::keyScales(Value scales, Value kvStart) {
  // A key past Sk reads the last key's scale, in bounds (its score is
  // masked, its probability zero).
  Value lastKey = sub(p.seqK, idx(1));
  SmallVector<Value> out;
  for (int64_t nt = 0; nt < shape.tileKeys() / 8; ++nt)
    for (int64_t c = 0; c < 2; ++c) {
      Value key = min(keyOf(kvStart, nt, c), lastKey);
      out.push_back(castFloat(
          b, b.getLoc(),
          memref::LoadOp::create(b, scales,
                                 p.layout == Layout::BSHD
                                     ? ValueRange{bi, key, kvHead}
                                     : ValueRange{bi, kvHead, key}),
          b.getF32Type()));
    }
  return out;
}

void DecodeKernel::scaleByKey(Scores &s, ArrayRef<Value> perKey) {
  for (auto &row : s)
    for (int64_t nt = 0; nt < int64_t(row.size()); ++nt)
      for (int64_t r = 0; r < 2; ++r)
        for (int64_t c = 0; c < 2; ++c)
          row[nt][2 * r + c] = fmul(row[nt][2 * r + c], perKey[2 * nt + c]);
}

DecodeKernel::ValueScales
DecodeKernel::valueScales(SmallVector<Value> scales, Value unit) {
  // The tile's largest scale: this lane's keys, then its quad's (lanes
  // 4g + t hold keys by t only).
  Value largest = scales.front();
  for (Value v : ArrayRef(scales).drop_front())
    largest = fmax(largest, v);
  largest = quadReduce(largest, [&](Value x, Value y) { return fmax(x, y); });
  // Powers of two by their bits: clearing the mantissa rounds a positive
  // float down to one, and 2^-e's bits are 0x7F000000 minus 2^e's.
  Type i32 = b.getI32Type();
  auto bits = [&](Value x) { return arith::BitcastOp::create(b, i32, x); };
  auto fromBits = [&](Value x) {
    return arith::BitcastOp::create(b, b.getF32Type(), x);
  };
  auto constant = [&](uint32_t v) {
    return arith::ConstantIntOp::create(b, i32, int64_t(int32_t(v)));
  };
  Value power =
      fromBits(arith::AndIOp::create(b, bits(largest), constant(0xFF800000)));
  Value next = fmax(unit, power);
  Value inverse =
      fromBits(arith::SubIOp::create(b, constant(0x7F000000), bits(next)));
  for (Value &v : scales)
    v = fmul(v, inverse);
  return {scales, next, fmul(unit, inverse)};
}
