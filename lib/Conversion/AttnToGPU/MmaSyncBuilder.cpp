//===- MmaSyncBuilder.cpp - warp-level mma.sync building blocks -----------===//
//
// The matrix instruction is emitted as nvvm.mma.sync because nvgpu.mma.sync
// cannot type bf16 operands in MLIR 22; ldmatrix and cp.async go through
// nvgpu.
//
//===----------------------------------------------------------------------===//

#include "MmaSyncBuilder.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

Value MmaSyncBuilder::isNegInf(Value x) {
  return arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, x,
                               f32(-std::numeric_limits<double>::infinity()));
}

Value MmaSyncBuilder::exp2(Value x) {
  return LLVM::CallIntrinsicOp::create(
             b, b.getF32Type(), b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f"),
             ValueRange{x})
      .getResult(0);
}

Value MmaSyncBuilder::quadReduce(Value x,
                                 function_ref<Value(Value, Value)> op) {
  for (int32_t offset : {1, 2})
    x = op(x, gpu::ShuffleOp::create(b, x, offset, 32, gpu::ShuffleMode::XOR)
                  .getShuffleResult());
  return x;
}

Value MmaSyncBuilder::rowMax(ArrayRef<Acc> s, int64_t r, Value oldMax) {
  Value mx = f32(-std::numeric_limits<double>::infinity());
  for (const Acc &frag : s)
    mx = fmax(mx, fmax(frag[2 * r], frag[2 * r + 1]));
  return fmax(oldMax,
              quadReduce(mx, [&](Value x, Value y) { return fmax(x, y); }));
}

MmaSyncBuilder::SoftmaxStep MmaSyncBuilder::exponentiate(MutableArrayRef<Acc> s,
                                                         int64_t r, Value mx,
                                                         Value oldMax,
                                                         Value factor) {
  Value zero = f32(0.0);
  // A row that has seen only masked keys keeps a max of -inf; it subtracts
  // 0 instead, so its terms stay exactly 0, not NaN.
  Value base = fmul(select(isNegInf(mx), zero, mx), factor);
  Value correction = exp2(fsub(fmul(oldMax, factor), base));
  Value sum = zero;
  for (Acc &frag : s)
    for (int64_t c = 0; c < 2; ++c) {
      Value &v = frag[2 * r + c];
      v = exp2(fsub(fmul(v, factor), base));
      sum = fadd(sum, v);
    }
  return {mx, correction, sum};
}

MmaSyncBuilder::SoftmaxStep MmaSyncBuilder::softmaxStep(MutableArrayRef<Acc> s,
                                                        int64_t r, Value oldMax,
                                                        Value factor) {
  return exponentiate(s, r, rowMax(s, r, oldMax), oldMax, factor);
}

void MmaSyncBuilder::maskIf(Value needMask, Scores &s,
                            function_ref<Scores()> masked) {
  int64_t values = 4 * s.size() * s.front().size();
  SmallVector<Type> types(values, b.getF32Type());
  auto ifOp = scf::IfOp::create(b, types, needMask, /*withElseRegion=*/true);
  auto yieldScores = [&](Block *block, function_ref<Scores()> make) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(block);
    SmallVector<Value> flat;
    for (const auto &row : make())
      for (const Acc &frag : row)
        flat.append(frag.begin(), frag.end());
    scf::YieldOp::create(b, flat);
  };
  yieldScores(ifOp.thenBlock(), masked);
  yieldScores(ifOp.elseBlock(), [&] { return s; });
  int64_t next = 0;
  for (auto &row : s)
    for (Acc &frag : row)
      for (Value &v : frag)
        v = ifOp.getResult(next++);
}

Value MmaSyncBuilder::kvSourceRow(const FlashProblem &p, Value bi, Value kvHead,
                                  Value pos) {
  return p.layout == Layout::BSHD
             ? add(mul(add(mul(bi, p.kvRows), pos), p.headsKV), kvHead)
             : add(mul(add(mul(bi, p.headsKV), kvHead), p.kvRows), pos);
}

Value MmaSyncBuilder::querySourceRow(const FlashProblem &p, Value bi,
                                     Value head, Value pos) {
  return p.layout == Layout::BSHD
             ? add(mul(add(mul(bi, p.seqQ), pos), p.headsQ), head)
             : add(mul(add(mul(bi, p.headsQ), head), p.seqQ), pos);
}

std::pair<Value, Value> MmaSyncBuilder::prefillBlock(const FlashProblem &p,
                                                     Value blockX, Value kvHead,
                                                     int64_t blockRows) {
  return prefillBlock(b, b.getLoc(), p, blockX, kvHead, blockRows);
}

std::pair<Value, Value> MmaSyncBuilder::prefillBlock(OpBuilder &b, Location loc,
                                                     const FlashProblem &p,
                                                     Value blockX, Value kvHead,
                                                     int64_t blockRows) {
  auto c = [&](int64_t x) -> Value {
    return arith::ConstantIndexOp::create(b, loc, x);
  };
  Value qTiles = arith::CeilDivUIOp::create(b, loc, p.seqQ, c(blockRows));
  Value tile =
      arith::SubIOp::create(b, loc, arith::SubIOp::create(b, loc, qTiles, c(1)),
                            arith::DivUIOp::create(b, loc, blockX, p.group));
  Value head = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, kvHead, p.group),
      arith::RemUIOp::create(b, loc, blockX, p.group));
  return {head, arith::MulIOp::create(b, loc, tile, c(blockRows))};
}

Value MmaSyncBuilder::prefillGridX(OpBuilder &b, Location loc,
                                   const FlashProblem &p, int64_t blockRows) {
  Value qTiles = arith::CeilDivUIOp::create(
      b, loc, p.seqQ, arith::ConstantIndexOp::create(b, loc, blockRows));
  return arith::MulIOp::create(b, loc, qTiles, p.group);
}

std::optional<std::string> MmaSyncBuilder::whyNotHalf(AttentionOp op,
                                                      StringRef instruction) {
  Type elt = op.getQuery().getType().getElementType();
  if (elt.isF16() || elt.isBF16())
    return std::nullopt;
  std::string name;
  llvm::raw_string_ostream(name) << elt;
  return ("its " + instruction + " takes f16 or bf16, not ").str() + name;
}

Value MmaSyncBuilder::maskValue(const FlashProblem &p, Value bi, Value head,
                                Value row, Value key) {
  auto pick = [&](int64_t d, Value i) -> Value {
    Value isOne =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                              memref::DimOp::create(b, p.mask, d), idx(1));
    return select(isOne, idx(0), i);
  };
  Value m = memref::LoadOp::create(
      b, p.mask, ValueRange{pick(0, bi), pick(1, head), row, key});
  return castFloat(b, b.getLoc(), m, b.getF32Type());
}

std::optional<int64_t> MmaSyncBuilder::staticIndex(Value index) {
  if (std::optional<int64_t> c = getConstantIntValue(index))
    return c;
  auto dim = index.getDefiningOp<memref::DimOp>();
  if (!dim)
    return std::nullopt;
  std::optional<int64_t> i = dim.getConstantIndex();
  auto type = cast<MemRefType>(dim.getSource().getType());
  if (!i || type.isDynamicDim(*i))
    return std::nullopt;
  return type.getDimSize(*i);
}

Value MmaSyncBuilder::tileNeedsMask(const FlashProblem &p, const Rows &rows,
                                    Value kvStart, int64_t tileKeys,
                                    bool alignedStarts) {
  Value firstRow = add(rows.first, p.diagonal);
  Value lastRow = add(firstRow, idx(rows.count - 1));
  Value tileEnd = add(kvStart, idx(tileKeys));
  std::optional<int64_t> seqK = staticIndex(p.seqK);
  Value needMask = alignedStarts && seqK && *seqK % tileKeys == 0
                       ? arith::ConstantIntOp::create(b, b.getI1Type(), 0)
                       : lt(p.seqK, tileEnd);
  if (p.causal)
    needMask = either(needMask, lt(add(firstRow, idx(1)), tileEnd));
  if (p.window)
    needMask = either(needMask,
                      lt(kvStart, add(sub(lastRow, idx(*p.window)), idx(1))));
  if (p.mask)
    needMask = arith::ConstantIntOp::create(b, b.getI1Type(), 1);
  return needMask;
}

Scores MmaSyncBuilder::maskScores(const FlashProblem &p, const Rows &rows,
                                  const Scores &s, Value kvStart) {
  Value lane = rows.lane, bi = rows.bi, head = rows.head;
  int64_t tileKeys = 8 * s.front().size();
  Value negInf = f32(-std::numeric_limits<double>::infinity());
  Value quadRow = div(lane, 4), quadLane = rem(lane, 4);
  Value lastQuery = sub(p.seqQ, idx(1)), lastKey = sub(p.seqK, idx(1));
  // This thread's scores of a row sit at keys first + nt * 8 + c: each limit
  // is turned into a range of those offsets once per row, clamped to the
  // tile so it fits 32 bits, and each score compares a constant against it.
  // The clamped offset goes through a copy LLVM cannot see through: it
  // otherwise folded the clamp into each score's compare and compared in
  // 64 bits, two SASS instructions a score where a 32-bit compare takes one.
  Value first = add(kvStart, mul(quadLane, idx(2)));
  auto offset = [&](Value key) {
    Value o =
        arith::MaxSIOp::create(b, min(sub(key, first), idx(tileKeys)), idx(0));
    return opaque32(arith::IndexCastOp::create(b, b.getI32Type(), o));
  };
  auto i32 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, b.getI32Type(), v);
  };
  Scores out = s;
  for (int64_t mt = 0; mt < int64_t(s.size()); ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value qi = add(rows.first, add(quadRow, idx(16 * mt + 8 * r)));
      Value diag = add(qi, p.diagonal);
      // Keys in [begin, end) are kept.
      Value end = p.causal ? min(p.seqK, add(diag, idx(1))) : p.seqK;
      Value endAt = offset(end);
      Value beginAt;
      if (p.window)
        beginAt = offset(add(sub(diag, idx(*p.window)), idx(1)));
      Value maskRow = min(qi, lastQuery);
      for (int64_t nt = 0; nt < tileKeys / 8; ++nt) {
        for (int64_t c = 0; c < 2; ++c) {
          Value at = i32(nt * 8 + c);
          Value keep = lt(at, endAt);
          if (p.window)
            keep = both(keep, arith::CmpIOp::create(
                                  b, arith::CmpIPredicate::sge, at, beginAt));
          Value v = out[mt][nt][2 * r + c];
          if (p.mask) {
            // Keys and rows past the end are clamped into bounds and
            // masked out above.
            Value key = add(first, idx(nt * 8 + c));
            v = fadd(v, maskValue(p, bi, head, maskRow, min(key, lastKey)));
          }
          out[mt][nt][2 * r + c] = select(keep, v, negInf);
        }
      }
    }
  return out;
}

void MmaSyncBuilder::storePair(const FlashProblem &p, Value pair[2], Value bi,
                               Value s, Value h, Value d) {
  auto out = cast<MemRefType>(p.output.getType());
  auto elt = cast<FloatType>(out.getElementType());
  // The pair's 4-byte alignment holds in an identity layout (d is even,
  // and so is every row's length); any other keeps the element stores.
  if (!out.getLayout().isIdentity()) {
    for (int64_t c = 0; c < 2; ++c)
      p.store(b, b.getLoc(), pair[c], bi, s, h, add(d, idx(c)));
    return;
  }
  SmallVector<Value> at = p.layout == Layout::BSHD
                              ? SmallVector<Value>{bi, s, h, d}
                              : SmallVector<Value>{bi, h, s, d};
  Value v = vector::FromElementsOp::create(
      b, VectorType::get({2}, b.getF32Type()), ValueRange{pair[0], pair[1]});
  auto type = VectorType::get({2}, elt);
  if (type != v.getType())
    v = arith::TruncFOp::create(b, type, v);
  vector::StoreOp::create(b, v, p.output, at, /*nontemporal=*/false,
                          llvm::MaybeAlign(2 * elt.getWidth() / 8));
}

Value MmaSyncBuilder::inverseRowSum(Value sum) {
  Value zero = f32(0.0);
  Value total = quadReduce(sum, [&](Value x, Value y) { return fadd(x, y); });
  Value empty =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, total, zero);
  return select(empty, zero, arith::DivFOp::create(b, f32(1.0), total));
}

void MmaSyncBuilder::storeRows(const FlashProblem &p, const Rows &rows,
                               ValueRange acc, ValueRange sums) {
  Value quadRow = div(rows.lane, 4), quadLane = rem(rows.lane, 4);
  int64_t mTiles = sums.size() / 2, accTiles = acc.size() / (4 * mTiles);
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value inv = inverseRowSum(sums[2 * mt + r]);
      Value qi = add(rows.first, add(quadRow, idx(16 * mt + 8 * r)));
      scf::IfOp::create(b, lt(qi, p.seqQ), [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        for (int64_t nt = 0; nt < accTiles; ++nt) {
          Value d = add(mul(quadLane, idx(2)), idx(nt * 8));
          Value pair[2];
          for (int64_t c = 0; c < 2; ++c)
            pair[c] = fmul(acc[(mt * accTiles + nt) * 4 + 2 * r + c], inv);
          storePair(p, pair, rows.bi, qi, rows.head, d);
        }
        scf::YieldOp::create(b);
      });
    }
}

std::pair<SmallVector<Value>, SmallVector<Value>>
MmaSyncBuilder::onlineSoftmax(Scores &s, ValueRange maxes, ValueRange sums,
                              MutableArrayRef<Value> acc, Value factor,
                              Value accFactor) {
  int64_t mTiles = s.size(), accTiles = acc.size() / (4 * mTiles);
  SmallVector<Value> newMax, newSum;
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      SoftmaxStep step = softmaxStep(s[mt], r, maxes[2 * mt + r], factor);
      newMax.push_back(step.max);
      newSum.push_back(fadd(fmul(sums[2 * mt + r], step.correction), step.sum));
      Value rescale =
          accFactor ? fmul(step.correction, accFactor) : step.correction;
      for (int64_t nt = 0; nt < accTiles; ++nt)
        for (int64_t c = 0; c < 2; ++c) {
          Value &a = acc[(mt * accTiles + nt) * 4 + 2 * r + c];
          a = fmul(a, rescale);
        }
    }
  return {newMax, newSum};
}

std::pair<SmallVector<Value>, SmallVector<Value>>
MmaSyncBuilder::lazyOnlineSoftmax(Scores &s, ValueRange maxes, ValueRange sums,
                                  MutableArrayRef<Value> acc, Value factor,
                                  Value accFactor, double bound) {
  int64_t mTiles = s.size(), accTiles = acc.size() / (4 * mTiles);
  // Each row's candidate max, and whether the warp must move to them. A
  // row whose max was -inf and sees a key moves (+inf > bound); one that
  // still sees none compares NaN, which is not greater.
  SmallVector<Value> candidates;
  Value grow = arith::ConstantIntOp::create(b, b.getI1Type(), 0);
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value oldMax = maxes[2 * mt + r];
      Value mx = rowMax(s[mt], r, oldMax);
      candidates.push_back(mx);
      grow = arith::OrIOp::create(
          b, grow,
          arith::CmpFOp::create(b, arith::CmpFPredicate::OGT,
                                fmul(fsub(mx, oldMax), factor), f32(bound)));
    }
  if (accFactor)
    grow =
        arith::OrIOp::create(b, grow,
                             arith::CmpFOp::create(b, arith::CmpFPredicate::UNE,
                                                   accFactor, f32(1.0)));
  grow = NVVM::VoteSyncOp::create(
      b, b.getI1Type(), arith::ConstantIntOp::create(b, b.getI32Type(), -1),
      grow, NVVM::VoteSyncKind::any);

  SmallVector<Value> newMax, newSum, rescale;
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      int64_t i = 2 * mt + r;
      SoftmaxStep step = exponentiate(
          s[mt], r, select(grow, candidates[i], maxes[i]), maxes[i], factor);
      // Exactly 1 where the maxes stay: computed, it would be exp2 of the
      // rounding error of the contracted m * factor - base, a factor 1 +/-
      // 1e-6 on the sums every tile, which the accumulators left alone
      // would not share; over thousands of tiles that drifts by an ulp of
      // bf16 or more.
      Value correction = select(grow, step.correction, f32(1.0));
      newMax.push_back(step.max);
      newSum.push_back(fadd(fmul(sums[i], correction), step.sum));
      rescale.push_back(accFactor ? fmul(correction, accFactor) : correction);
    }

  // The accumulators, rescaled only where the maxes moved.
  SmallVector<Type> types(acc.size(), b.getF32Type());
  auto ifOp = scf::IfOp::create(b, types, grow, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(ifOp.thenBlock());
    SmallVector<Value> scaled(acc.begin(), acc.end());
    for (int64_t mt = 0; mt < mTiles; ++mt)
      for (int64_t r = 0; r < 2; ++r)
        for (int64_t nt = 0; nt < accTiles; ++nt)
          for (int64_t c = 0; c < 2; ++c) {
            Value &a = scaled[(mt * accTiles + nt) * 4 + 2 * r + c];
            a = fmul(a, rescale[2 * mt + r]);
          }
    scf::YieldOp::create(b, scaled);
    b.setInsertionPointToEnd(ifOp.elseBlock());
    scf::YieldOp::create(b, SmallVector<Value>(acc.begin(), acc.end()));
  }
  for (int64_t i = 0; i < int64_t(acc.size()); ++i)
    acc[i] = ifOp.getResult(i);
  return {newMax, newSum};
}

void MmaSyncBuilder::accumulatePV(const Scores &s, MutableArrayRef<Value> acc,
                                  Value vSmem, Value vRead, int64_t vRow) {
  int64_t mTiles = s.size(), tileKeys = 8 * s.front().size();
  int64_t accTiles = acc.size() / (4 * mTiles);
  for (int64_t kk = 0; kk < tileKeys / 16; ++kk) {
    SmallVector<Frag, 2> pa;
    for (int64_t mt = 0; mt < mTiles; ++mt) {
      const Acc &lo = s[mt][2 * kk], &hi = s[mt][2 * kk + 1];
      pa.push_back({pack(lo[0], lo[1]), pack(lo[2], lo[3]), pack(hi[0], hi[1]),
                    pack(hi[2], hi[3])});
    }
    for (int64_t np = 0; np < accTiles / 2; ++np) {
      Frag v = ldmatrix(vSmem, {add(vRead, idx(kk * 16 * vRow + np * 16))},
                        /*transpose=*/true);
      for (int64_t mt = 0; mt < mTiles; ++mt)
        for (int64_t h = 0; h < 2; ++h) {
          int64_t at = (mt * accTiles + 2 * np + h) * 4;
          Acc o{acc[at], acc[at + 1], acc[at + 2], acc[at + 3]};
          o = mma(pa[mt], {v[2 * h], v[2 * h + 1]}, o);
          for (int64_t c = 0; c < 4; ++c)
            acc[at + c] = o[c];
        }
    }
  }
}

Value MmaSyncBuilder::softmaxFactor(const FlashProblem &p) {
  Value log2e = f32(M_LOG2E);
  return foldsScale(p) ? fmul(p.scale, log2e) : log2e;
}

Value MmaSyncBuilder::opaque(Value index) {
  Value i64 = arith::IndexCastOp::create(b, b.getI64Type(), index);
  auto mov = LLVM::InlineAsmOp::create(
      b, b.getI64Type(), ValueRange{i64}, "mov.b64 $0, $1;", "=l,l",
      /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
      ArrayAttr());
  return arith::IndexCastOp::create(b, b.getIndexType(), mov.getResult(0));
}

Value MmaSyncBuilder::opaque32(Value word) {
  auto mov = LLVM::InlineAsmOp::create(
      b, b.getI32Type(), ValueRange{word}, "mov.b32 $0, $1;", "=r,r",
      /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
      ArrayAttr());
  return mov.getResult(0);
}

Frag MmaSyncBuilder::ldmatrix(Value smem, ValueRange indices, bool transpose) {
  auto type = VectorType::get({4, 2}, elt);
  Value all = nvgpu::LdMatrixOp::create(b, type, smem, indices, transpose,
                                        /*numTiles=*/4);
  Frag parts;
  for (int64_t i = 0; i < 4; ++i)
    parts.push_back(vector::ExtractOp::create(b, all, i));
  return parts;
}

Acc MmaSyncBuilder::mma(ArrayRef<Value> a, ArrayRef<Value> bFrag,
                        const Acc &c) {
  // bf16 operands travel as i32 registers, f16 ones as f16x2 vectors.
  auto operand = [&](Value v) -> Value {
    if (elt.isBF16())
      return LLVM::BitcastOp::create(b, b.getI32Type(), v);
    return v;
  };
  SmallVector<Value> as, bs;
  for (Value v : a)
    as.push_back(operand(v));
  for (Value v : bFrag)
    bs.push_back(operand(v));
  Type f32Type = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(
      b.getContext(), {f32Type, f32Type, f32Type, f32Type});
  NVVM::MMATypes ptx =
      elt.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  Value d = NVVM::MmaOp::create(
      b, resultType, as, bs, ValueRange(c), ArrayRef<int64_t>{16, 8, 16},
      std::nullopt, std::nullopt, std::array<NVVM::MMATypes, 2>{ptx, ptx},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  Acc out;
  for (int64_t i = 0; i < 4; ++i)
    out[i] = LLVM::ExtractValueOp::create(b, d, i);
  return out;
}

Value MmaSyncBuilder::pack(Value x, Value y) {
  Value pair = vector::FromElementsOp::create(
      b, VectorType::get({2}, b.getF32Type()), ValueRange{x, y});
  return arith::TruncFOp::create(b, VectorType::get({2}, elt), pair);
}

void MmaSyncBuilder::copy16(Value dst, ValueRange to, Value src,
                            ValueRange from, Value valid, bool bypassL1,
                            int64_t elements) {
  Value count = select(valid, idx(elements), idx(0));
  nvgpu::DeviceAsyncCopyOp::create(
      b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst, to, src, from,
      b.getIndexAttr(elements), count,
      bypassL1 ? b.getUnitAttr() : UnitAttr());
}
