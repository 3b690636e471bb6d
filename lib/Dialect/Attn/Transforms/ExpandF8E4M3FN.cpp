//===- ExpandF8E4M3FN.cpp - fp8 e4m3 conversions as integer arithmetic ----===//
//
// attn-expand-f8e4m3fn: LLVM has no fp8 type, so arith.extf and arith.truncf
// of f8E4M3FN (which an fp8 KV cache's quantization and dequantization use)
// have no LLVM lowering. This rewrites them, and f8E4M3FN constants, into
// arith.bitcast to i8 around integer and f32 arithmetic, which every target
// lowers. f8E4M3FN is sign, 4 exponent bits (bias 7), 3 mantissa bits, no
// infinity, and NaN at magnitude code 0x7f.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_EXPANDF8E4M3FNPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
/// Builds the scalar i32 and f32 arithmetic of the expansions.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value select(Value c, Value t, Value f) {
    return arith::SelectOp::create(b, loc, c, t, f);
  }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value shr(Value x, int64_t n) {
    return arith::ShRUIOp::create(b, loc, x, i32(n));
  }
  Value shl(Value x, Value n) { return arith::ShLIOp::create(b, loc, x, n); }
  Value band(Value x, int64_t m) {
    return arith::AndIOp::create(b, loc, x, i32(m));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value toF32Bits(Value x) {
    return arith::BitcastOp::create(b, loc, b.getI32Type(), x);
  }
  Value fromF32Bits(Value x) {
    return arith::BitcastOp::create(b, loc, b.getF32Type(), x);
  }
  /// Widens or narrows the f32 `x` to `type`.
  Value castTo(Value x, FloatType type) {
    if (type.isF32())
      return x;
    if (type.getWidth() > 32)
      return arith::ExtFOp::create(b, loc, type, x);
    return arith::TruncFOp::create(b, loc, type, x);
  }
};
} // namespace

static bool isF8E4M3FN(Type type) { return isa<Float8E4M3FNType>(type); }

namespace {
struct ExpandExtF : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isF8E4M3FN(op.getIn().getType()))
      return rewriter.notifyMatchFailure(op, "not from f8E4M3FN");
    Emitter e{rewriter, op.getLoc()};
    Value code = arith::BitcastOp::create(rewriter, e.loc,
                                          rewriter.getI8Type(), op.getIn());
    Value u = arith::ExtUIOp::create(rewriter, e.loc, rewriter.getI32Type(),
                                     code);
    Value exp = e.band(e.shr(u, 3), 15), mant = e.band(u, 7);
    using P = arith::CmpIPredicate;
    Value subnormal = e.cmp(P::eq, exp, e.i32(0));
    // (8 + m) * 2^(e - 10) for a normal, m * 2^(1 - 10) for a subnormal:
    // both products are exact in f32.
    Value significand = e.select(subnormal, mant, e.add(mant, e.i32(8)));
    Value power = e.select(subnormal, e.i32(1), exp);
    // 2^(power - 10) as f32 bits: biased exponent power - 10 + 127.
    Value pow2 = e.fromF32Bits(e.shl(e.add(power, e.i32(117)), e.i32(23)));
    Value mag = arith::MulFOp::create(
        rewriter, e.loc,
        arith::UIToFPOp::create(rewriter, e.loc, rewriter.getF32Type(),
                                significand),
        pow2);
    Value isNaN = e.cmp(P::eq, e.band(u, 0x7f), e.i32(0x7f));
    mag = e.select(isNaN, e.f32(std::nan("")), mag);
    Value negative = e.cmp(P::ne, e.band(u, 0x80), e.i32(0));
    Value value =
        e.select(negative, arith::NegFOp::create(rewriter, e.loc, mag), mag);
    rewriter.replaceOp(op, e.castTo(value, cast<FloatType>(op.getType())));
    return success();
  }
};

struct ExpandTruncF : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isF8E4M3FN(op.getType()))
      return rewriter.notifyMatchFailure(op, "not to f8E4M3FN");
    auto from = cast<FloatType>(op.getIn().getType());
    if (from.getWidth() > 32)
      return rewriter.notifyMatchFailure(op, "would round twice via f32");
    // Only round-to-nearest-even, the default, is expanded.
    if (op.getRoundingmodeAttr() ||
        (op.getFastmathAttr() &&
         op.getFastmath() != arith::FastMathFlags::none))
      return rewriter.notifyMatchFailure(op, "rounding mode or fastmath");
    Emitter e{rewriter, op.getLoc()};
    using P = arith::CmpIPredicate;
    Value x = op.getIn();
    if (!from.isF32())
      x = arith::ExtFOp::create(rewriter, e.loc, rewriter.getF32Type(), x);
    Value bits = e.toF32Bits(x);
    Value sign = e.shr(e.band(bits, 0x80000000), 24);
    Value a = e.band(bits, 0x7fffffff);
    // At and above 2^-6, the smallest normal: round the f32 mantissa to 3
    // bits (nearest even; a carry bumps the exponent, as it should), then
    // rebias the exponent from 127 to 7.
    Value rounded =
        e.add(a, e.add(e.i32(0x7ffff), e.band(e.shr(a, 20), 1)));
    Value normal = e.sub(e.shr(rounded, 20), e.i32(120 << 3));
    // Below it, the code is the magnitude in units of 2^-9, rounded to
    // nearest even; 8 units are the code of 2^-6, so the carry is right.
    Value absX = math::AbsFOp::create(rewriter, e.loc, x);
    Value units = math::RoundEvenOp::create(
        rewriter, e.loc,
        arith::MulFOp::create(rewriter, e.loc, absX, e.f32(512.0)));
    Value sub = arith::FPToSIOp::create(rewriter, e.loc,
                                        rewriter.getI32Type(), units);
    Value isNormal = e.cmp(P::uge, a, e.i32(0x3c800000));
    Value code = e.select(isNormal, normal, sub);
    // NaN, and everything that rounds past 448 (code 0x7e), is NaN.
    Value isNaN = e.cmp(P::ugt, a, e.i32(0x7f800000));
    Value tooBig = e.cmp(P::ugt, code, e.i32(0x7e));
    code = e.select(arith::OrIOp::create(rewriter, e.loc, isNaN, tooBig),
                    e.i32(0x7f), code);
    code = arith::OrIOp::create(rewriter, e.loc, code, sign);
    Value byte = arith::TruncIOp::create(rewriter, e.loc,
                                         rewriter.getI8Type(), code);
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, op.getType(), byte);
    return success();
  }
};

struct ExpandConstant : OpRewritePattern<arith::ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto attr = dyn_cast<FloatAttr>(op.getValue());
    if (!attr || !isF8E4M3FN(attr.getType()))
      return rewriter.notifyMatchFailure(op, "not an f8E4M3FN scalar");
    APInt bits = attr.getValue().bitcastToAPInt();
    Value byte = arith::ConstantOp::create(
        rewriter, op.getLoc(),
        rewriter.getIntegerAttr(rewriter.getI8Type(), bits));
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, op.getType(), byte);
    return success();
  }
};

struct ExpandF8E4M3FNPass
    : public attn::impl::ExpandF8E4M3FNPassBase<ExpandF8E4M3FNPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandExtF, ExpandTruncF, ExpandConstant>(&getContext());
    // Folding would turn the bitcast of an i8 constant straight back into
    // the f8E4M3FN constant this expands.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      signalPassFailure();
  }
};
} // namespace
