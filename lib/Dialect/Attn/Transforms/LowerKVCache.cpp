//===- LowerKVCache.cpp - KV cache ops to tensors -------------------------===//
//
// attn-lower-kv-cache: every !attn.kv_cache value becomes a pair of [B, C, H,
// D] tensors, and a quantized cache four: the codes of keys and values and
// their [B, C, H] scales. The cache ops have value semantics (an append
// yields a new cache), so the tensors simply flow in their place, and
// one-shot bufferization later updates the storage in place. It is a 1:N
// type conversion, so a cache carried through scf.for iter_args, scf.if
// results or scf.while (a decode loop) becomes carried tensors.
//
// A quantized append quantizes its tokens with linalg.generic ops (see
// quantize()); a quantized attend hands codes and scales to attn.attention,
// which dequantizes where it reads them, so no float copy of the cache is
// ever made.
//
// Bounds the verifiers cannot prove (a dynamic position or length) are
// checked where they are used: the out-of-range case writes or reads no
// token (its count is selected to 0, with no branch around the work) and
// reports through attnKVCacheError, so a bad position is an error message
// from the runtime rather than a write past the cache.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Utils/FlashBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::attn {
#define GEN_PASS_DEF_LOWERKVCACHEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// The run-time error hook's codes for its first argument.
enum class CacheOp : int64_t { Append = 0, Attend = 1, AttendSequence = 2 };

namespace {
/// A cache as the tensors that replace it; the scales are null for a cache
/// of floats.
struct CacheTensors {
  Value keys, values;
  Value keyScales = {}, valueScales = {};

  SmallVector<Value> flat() const {
    SmallVector<Value> all{keys, values};
    if (keyScales)
      all.append({keyScales, valueScales});
    return all;
  }
};
} // namespace

static RankedTensorType storageType(KVCacheType cache) {
  return RankedTensorType::get({cache.getBatch(), cache.getCapacity(),
                                cache.getKvHeads(), cache.getHeadDim()},
                               cache.getElementType());
}

/// [B, C, H]: one scale per token and KV head.
static RankedTensorType scalesType(KVCacheType cache) {
  return RankedTensorType::get(
      {cache.getBatch(), cache.getCapacity(), cache.getKvHeads()},
      cache.getScaleType());
}

/// Structured control flow whose cache operands, results and region
/// arguments the conversion splits into pairs.
/// Ops that carry a cache without touching it: structured control flow,
/// and calls and returns (a cache passed to or returned from a function,
/// so that it lives across calls).
static bool isStructured(Operation *op) {
  return isa<scf::ForOp, scf::IfOp, scf::WhileOp, scf::YieldOp,
             scf::ConditionOp, func::CallOp, func::ReturnOp>(op);
}

/// Every cache value must be made by create or append, be an argument, or
/// be carried by structured control flow or a call, and be read only by
/// append, attend or those; anything else would need the tensors to cross
/// a boundary this pass does not rewrite.
static LogicalResult checkCacheFlow(func::FuncOp func) {
  WalkResult result = func.walk([&](Operation *op) {
    if (!isa<CacheCreateOp, CacheAppendOp>(op) && !isStructured(op) &&
        llvm::any_of(op->getResultTypes(), llvm::IsaPred<KVCacheType>)) {
      op->emitError() << "attn-lower-kv-cache: '" << op->getName()
                      << "' yields a KV cache; only attn.cache.create, "
                         "attn.cache.append, scf.for, scf.if, scf.while and "
                         "func.call may make one";
      return WalkResult::interrupt();
    }
    // The guard checks the token count of the keys alone, and slices with
    // the cache's static extents; dynamic extents could disagree at run
    // time.
    if (auto append = dyn_cast<CacheAppendOp>(op);
        append && !append.getKeys().getType().hasStaticShape()) {
      op->emitError() << "attn-lower-kv-cache: keys and values of type "
                      << append.getKeys().getType()
                      << " must have static shapes";
      return WalkResult::interrupt();
    }
    // The guard checks one length per sequence of the cache's batch.
    if (auto attend = dyn_cast<CacheAttendOp>(op);
        attend && attend.getLengths() &&
        !cast<RankedTensorType>(attend.getLengths().getType())
             .hasStaticShape()) {
      op->emitError() << "attn-lower-kv-cache: lengths of type "
                      << attend.getLengths().getType()
                      << " must have a static size";
      return WalkResult::interrupt();
    }
    for (Value operand : op->getOperands()) {
      if (!isa<KVCacheType>(operand.getType()))
        continue;
      if (!isa<CacheAppendOp, CacheAttendOp>(op) && !isStructured(op)) {
        op->emitError() << "attn-lower-kv-cache: a KV cache is used by '"
                        << op->getName()
                        << "'; only attn.cache.append, attn.cache.attend, "
                           "scf control flow, func.call and func.return may "
                           "use one";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// `lo <= x <= hi` on index values.
static Value inRange(OpBuilder &b, Location loc, Value x, Value lo, Value hi) {
  Value geLo = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, x, lo);
  Value leHi = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, x, hi);
  return arith::AndIOp::create(b, loc, geLo, leHi);
}

static void callErrorHook(OpBuilder &b, Location loc, CacheOp op,
                          ArrayRef<Value> indices) {
  SmallVector<Value, 4> args{
      arith::ConstantIntOp::create(b, loc, int64_t(op), 64)};
  for (Value index : indices)
    args.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), index));
  func::CallOp::create(b, loc, kKVCacheErrorHook, TypeRange(), args);
}

static Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

static CacheTensors lowerCreate(OpBuilder &b, CacheCreateOp op) {
  Location loc = op.getLoc();
  KVCacheType cache = op.getResult().getType();
  auto type = storageType(cache);
  CacheTensors tensors{zeroFilled(b, loc, type), zeroFilled(b, loc, type)};
  // Scale 0 at positions never written: they dequantize to 0, as the
  // positions of a float cache read.
  if (cache.isQuantized()) {
    tensors.keyScales = zeroFilled(b, loc, scalesType(cache));
    tensors.valueScales = zeroFilled(b, loc, scalesType(cache));
  }
  return tensors;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// The largest code: 127 for i8 (symmetric, so -128 is never used and
/// negation is exact), 448 for f8E4M3FN (its largest finite value).
static double maxCode(Type storage) {
  return isa<IntegerType>(storage) ? 127.0 : 448.0;
}

/// Quantizes `x` ([B, T, H, D], floats) for `cache`, KVQuant's per-token
/// quantization: for each token t and head h,
///
///   scale[t, h] = max_d |x[t, h, d]| / QMAX, or 1 where that rounds to 0
///   code[t, h, d] = clamp(x[t, h, d] / scale[t, h], -QMAX, QMAX), rounded
///                   to the nearest even integer (i8) or truncf'd (fp8)
///
/// all in f32, with the scale rounded to the cache's scale type first so
/// that the code is computed with the scale that attention multiplies it
/// by. Where that scale is 0 (a row of zeros, or one so small that max/QMAX
/// rounds to 0 in f16) it is 1 instead: dividing by 0 would make codes of
/// +-inf and, for the zeros, NaN, which dequantize (times 0) to NaN in fp8;
/// with 1 the codes are the row rounded, zeros exact. The clamp only
/// matters where rounding the scale to f16/bf16 made it smaller than
/// max/QMAX.
/// Returns {codes [B, T, H, D], scales [B, T, H]}.
static std::pair<Value, Value> quantize(OpBuilder &b, Location loc, Value x,
                                        KVCacheType cache) {
  auto xType = cast<RankedTensorType>(x.getType());
  ArrayRef<int64_t> shape = xType.getShape();
  Type f32 = b.getF32Type();
  Type storage = cache.getElementType();
  auto scaleType = cast<FloatType>(cache.getScaleType());
  MLIRContext *ctx = b.getContext();
  AffineMap all = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap row = AffineMap::get(
      4, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
             getAffineDimExpr(2, ctx)},
      ctx);
  auto widen = [&](OpBuilder &b, Location loc, Value v) -> Value {
    if (v.getType() == f32)
      return v;
    if (v.getType().getIntOrFloatBitWidth() < 32)
      return arith::ExtFOp::create(b, loc, f32, v);
    return arith::TruncFOp::create(b, loc, f32, v);
  };
  auto f32Const = [&](OpBuilder &b, Location loc, double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  SmallVector<utils::IteratorType> parallel3(3, utils::IteratorType::parallel);
  SmallVector<utils::IteratorType> parallel4(4, utils::IteratorType::parallel);

  // max_d |x|, in f32.
  auto rowType = RankedTensorType::get(shape.drop_back(), f32);
  Value maxInit = linalg::FillOp::create(
                      b, loc, f32Const(b, loc, 0.0),
                      tensor::EmptyOp::create(b, loc, rowType.getShape(), f32)
                          .getResult())
                      .getResult(0);
  SmallVector<utils::IteratorType> reduceD(parallel3);
  reduceD.push_back(utils::IteratorType::reduction);
  Value absMax =
      linalg::GenericOp::create(
          b, loc, rowType, ValueRange{x}, ValueRange{maxInit},
          ArrayRef<AffineMap>{all, row}, reduceD,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value mag = math::AbsFOp::create(b, loc, widen(b, loc, args[0]));
            linalg::YieldOp::create(
                b, loc,
                Value(arith::MaximumFOp::create(b, loc, args[1], mag)));
          })
          .getResult(0);

  // scale = max / QMAX rounded to the scale type, or 1 where that is 0.
  AffineMap id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
  Value scales =
      linalg::GenericOp::create(
          b, loc, RankedTensorType::get(shape.drop_back(), scaleType),
          ValueRange{absMax},
          ValueRange{
              tensor::EmptyOp::create(b, loc, shape.drop_back(), scaleType)
                  .getResult()},
          ArrayRef<AffineMap>{id3, id3}, parallel3,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value scale = castFloat(
                b, loc,
                arith::DivFOp::create(b, loc, args[0],
                                      f32Const(b, loc, maxCode(storage))),
                scaleType);
            auto scaleConst = [&](double v) -> Value {
              return arith::ConstantOp::create(b, loc,
                                               b.getFloatAttr(scaleType, v));
            };
            Value isZero = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OEQ, scale, scaleConst(0.0));
            linalg::YieldOp::create(
                b, loc,
                Value(arith::SelectOp::create(b, loc, isZero, scaleConst(1.0),
                                              scale)));
          })
          .getResult(0);

  // code = clamp(x / scale) rounded to the storage type.
  Value codes =
      linalg::GenericOp::create(
          b, loc, RankedTensorType::get(shape, storage),
          ValueRange{x, scales},
          ValueRange{
              tensor::EmptyOp::create(b, loc, shape, storage).getResult()},
          ArrayRef<AffineMap>{all, row, all}, parallel4,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value q = arith::DivFOp::create(b, loc, widen(b, loc, args[0]),
                                            widen(b, loc, args[1]));
            double qmax = maxCode(storage);
            q = arith::MinimumFOp::create(b, loc, q, f32Const(b, loc, qmax));
            q = arith::MaximumFOp::create(b, loc, q,
                                          f32Const(b, loc, -qmax));
            Value code;
            if (isa<IntegerType>(storage))
              code = arith::FPToSIOp::create(
                  b, loc, storage, math::RoundEvenOp::create(b, loc, q));
            else
              code = arith::TruncFOp::create(b, loc, storage, q);
            linalg::YieldOp::create(b, loc, code);
          })
          .getResult(0);
  return {codes, scales};
}

//===----------------------------------------------------------------------===//
// Cache ops
//===----------------------------------------------------------------------===//

static CacheTensors lowerAppend(OpBuilder &b, CacheAppendOp op,
                                CacheTensors cache) {
  Location loc = op.getLoc();
  KVCacheType type = op.getCache().getType();
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value tokens = tensor::DimOp::create(b, loc, op.getKeys(), 1);
  Value capacity = c(type.getCapacity());
  Value room = arith::SubIOp::create(b, loc, capacity, tokens);
  Value pos = op.getPosition();
  // 0 <= pos <= capacity - tokens, which cannot overflow: both sides are
  // bounded by the (static) capacity.
  Value ok = inRange(b, loc, pos, c(0), room);
  Value bad = arith::XOrIOp::create(b, loc, ok,
                                    arith::ConstantIntOp::create(b, loc, 1, 1));
  scf::IfOp::create(b, loc, bad, [&](OpBuilder &b, Location loc) {
    callErrorHook(b, loc, CacheOp::Append, {pos, tokens, capacity});
    scf::YieldOp::create(b, loc);
  });
  CacheTensors fresh{op.getKeys(), op.getValues()};
  if (type.isQuantized()) {
    std::tie(fresh.keys, fresh.keyScales) =
        quantize(b, loc, op.getKeys(), type);
    std::tie(fresh.values, fresh.valueScales) =
        quantize(b, loc, op.getValues(), type);
  }
  // Out of range, no token is written: the write is of none of the tokens,
  // at position 0. A select rather than a branch around the write keeps the
  // GPU pipeline's host code straight-line, so it never waits for the
  // device here (gpu-async-region synchronises around a region that
  // launches kernels).
  Value zero = c(0);
  Value written = arith::SelectOp::create(b, loc, ok, tokens, zero);
  Value at = arith::SelectOp::create(b, loc, ok, pos, zero);
  auto insert = [&](Value from, Value into, unsigned rank) -> Value {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, from);
    sizes[1] = written;
    SmallVector<OpFoldResult> zeros(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> ones(rank, b.getIndexAttr(1));
    Value part =
        tensor::ExtractSliceOp::create(b, loc, from, zeros, sizes, ones);
    SmallVector<OpFoldResult> offsets(zeros);
    offsets[1] = at;
    return tensor::InsertSliceOp::create(b, loc, part, into, offsets, sizes,
                                         ones);
  };
  CacheTensors out{insert(fresh.keys, cache.keys, 4),
                   insert(fresh.values, cache.values, 4)};
  if (fresh.keyScales) {
    out.keyScales = insert(fresh.keyScales, cache.keyScales, 3);
    out.valueScales = insert(fresh.valueScales, cache.valueScales, 3);
  }
  return out;
}

static Value lowerAttend(OpBuilder &b, CacheAttendOp op, CacheTensors cache) {
  Location loc = op.getLoc();
  KVCacheType type = op.getCache().getType();
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value zero = c(0), capacity = c(type.getCapacity());
  Value length = op.getLength();
  Value ok = inRange(b, loc, length, zero, capacity);
  Value bad = arith::XOrIOp::create(b, loc, ok,
                                    arith::ConstantIntOp::create(b, loc, 1, 1));
  scf::IfOp::create(b, loc, bad, [&](OpBuilder &b, Location loc) {
    callErrorHook(b, loc, CacheOp::Attend, {length, zero, capacity});
    scf::YieldOp::create(b, loc);
  });
  // Per-sequence lengths must each lie in [0, length]: the first that does
  // not is reported, and then no sequence reads a key.
  if (Value lengths = op.getLengths()) {
    Value none = c(-1);
    auto scan = scf::ForOp::create(
        b, loc, zero, c(type.getBatch()), c(1), ValueRange{none},
        [&](OpBuilder &b, Location loc, Value bi, ValueRange firstBad) {
          Value n = arith::IndexCastOp::create(
              b, loc, b.getIndexType(),
              tensor::ExtractOp::create(b, loc, lengths, bi));
          Value bad = arith::AndIOp::create(
              b, loc,
              arith::XOrIOp::create(b, loc, inRange(b, loc, n, zero, length),
                                    arith::ConstantIntOp::create(b, loc, 1, 1)),
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                    firstBad[0], none));
          scf::YieldOp::create(
              b, loc,
              arith::SelectOp::create(b, loc, bad, bi, firstBad[0]).getResult());
        });
    Value firstBad = scan.getResult(0);
    Value lengthsOk = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            firstBad, none);
    // Reported only when `length` itself is fine: one error per attend.
    Value report = arith::AndIOp::create(
        b, loc, ok,
        arith::XOrIOp::create(b, loc, lengthsOk,
                              arith::ConstantIntOp::create(b, loc, 1, 1)));
    scf::IfOp::create(b, loc, report, [&](OpBuilder &b, Location loc) {
      Value n = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          tensor::ExtractOp::create(b, loc, lengths, firstBad));
      callErrorHook(b, loc, CacheOp::AttendSequence, {firstBad, n, length});
      scf::YieldOp::create(b, loc);
    });
    ok = arith::AndIOp::create(b, loc, ok, lengthsOk);
  }
  // An out-of-range length reads no key at all.
  Value keys = arith::SelectOp::create(b, loc, ok, length, zero);
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(type.getBatch()), keys,
                                  b.getIndexAttr(type.getKvHeads()),
                                  b.getIndexAttr(type.getHeadDim())};
  auto sliceType = RankedTensorType::get({type.getBatch(), ShapedType::kDynamic,
                                          type.getKvHeads(), type.getHeadDim()},
                                         type.getElementType());
  Value k = tensor::ExtractSliceOp::create(b, loc, sliceType, cache.keys,
                                           offsets, sizes, strides);
  Value v = tensor::ExtractSliceOp::create(b, loc, sliceType, cache.values,
                                           offsets, sizes, strides);
  Value ks, vs;
  if (type.isQuantized()) {
    auto scaleSliceType =
        RankedTensorType::get({type.getBatch(), ShapedType::kDynamic,
                               type.getKvHeads()},
                              type.getScaleType());
    auto slice3 = [&](Value from) -> Value {
      return tensor::ExtractSliceOp::create(
          b, loc, scaleSliceType, from, ArrayRef(offsets).take_front(3),
          ArrayRef(sizes).take_front(3), ArrayRef(strides).take_front(3));
    };
    ks = slice3(cache.keyScales);
    vs = slice3(cache.valueScales);
  }
  auto attention = AttentionOp::create(
      b, loc, op.getResult().getType(), op.getQuery(), k, v, /*mask=*/Value(),
      ks, vs, op.getLengths(), op.getScaleAttr(), op.getCausalAttr(),
      op.getWindowAttr(), LayoutAttr::get(b.getContext(), Layout::BSHD));
  return attention.getResult();
}

/// Declares the error hook once per module.
static void declareErrorHook(ModuleOp module) {
  if (module.lookupSymbol(kKVCacheErrorHook))
    return;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Type i64 = b.getI64Type();
  auto hook = func::FuncOp::create(b, module.getLoc(), kKVCacheErrorHook,
                                   b.getFunctionType({i64, i64, i64, i64}, {}));
  hook.setPrivate();
}

namespace {
/// A cache is its keys and its values, and a quantized one their scales.
struct CacheTypeConverter : TypeConverter {
  CacheTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](KVCacheType cache, SmallVectorImpl<Type> &results) {
      results.append(2, storageType(cache));
      if (cache.isQuantized())
        results.append(2, scalesType(cache));
      return success();
    });
  }
};

static CacheTensors pairOf(ValueRange cache) {
  if (cache.size() == 4)
    return {cache[0], cache[1], cache[2], cache[3]};
  return {cache[0], cache[1]};
}

struct CreatePattern : OpConversionPattern<CacheCreateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CacheCreateOp op, OneToNOpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    CacheTensors cache = lowerCreate(rewriter, op);
    rewriter.replaceOpWithMultiple(op, {cache.flat()});
    return success();
  }
};

struct AppendPattern : OpConversionPattern<CacheAppendOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CacheAppendOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    CacheTensors cache = lowerAppend(rewriter, op, pairOf(adaptor.getCache()));
    rewriter.replaceOpWithMultiple(op, {cache.flat()});
    return success();
  }
};

struct AttendPattern : OpConversionPattern<CacheAttendOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CacheAttendOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       lowerAttend(rewriter, op, pairOf(adaptor.getCache())));
    return success();
  }
};

struct LowerKVCachePass
    : public attn::impl::LowerKVCachePassBase<LowerKVCachePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool any = false;
    for (auto func : module.getOps<func::FuncOp>()) {
      // A declaration's signature is converted below; it has no body to
      // check.
      if (func.isDeclaration()) {
        any |= llvm::any_of(func.getArgumentTypes(),
                            llvm::IsaPred<KVCacheType>) ||
               llvm::any_of(func.getResultTypes(), llvm::IsaPred<KVCacheType>);
        continue;
      }
      auto isCache = llvm::IsaPred<KVCacheType>;
      bool hasCache = llvm::any_of(func.getArgumentTypes(), isCache) ||
                      llvm::any_of(func.getResultTypes(), isCache);
      func.walk([&](Operation *op) {
        hasCache |= isa<CacheCreateOp, CacheAppendOp, CacheAttendOp>(op) ||
                    llvm::any_of(op->getResultTypes(), isCache);
      });
      if (!hasCache)
        continue;
      if (failed(checkCacheFlow(func)))
        return signalPassFailure();
      any = true;
    }
    if (!any)
      return;

    MLIRContext *context = &getContext();
    CacheTypeConverter converter;
    RewritePatternSet patterns(context);
    patterns.add<CreatePattern, AppendPattern, AttendPattern>(converter,
                                                              context);
    ConversionTarget target(*context);
    target.addIllegalOp<CacheCreateOp, CacheAppendOp, CacheAttendOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    // A cache argument or result becomes its tensors, at the function and
    // at every call: the caller's buffers then hold the cache between
    // calls.
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp func) {
      return converter.isSignatureLegal(func.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::CallOp, func::ReturnOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    // The signature conversion leaves argument and result attributes where
    // they were, which no longer lines up once a cache became several
    // tensors; they are realigned afterwards (a cache's tensors get none).
    struct Attrs {
      func::FuncOp func;
      SmallVector<std::pair<DictionaryAttr, unsigned>> args, results;
    };
    SmallVector<Attrs> saved;
    auto parts = [&](Type type) -> unsigned {
      SmallVector<Type> converted;
      (void)converter.convertType(type, converted);
      return isa<KVCacheType>(type) ? converted.size() : 1;
    };
    for (auto func : module.getOps<func::FuncOp>()) {
      FunctionType type = func.getFunctionType();
      if (converter.isSignatureLegal(type))
        continue;
      Attrs &attrs = saved.emplace_back();
      attrs.func = func;
      for (auto [i, t] : llvm::enumerate(type.getInputs()))
        attrs.args.push_back({func.getArgAttrDict(i), parts(t)});
      for (auto [i, t] : llvm::enumerate(type.getResults()))
        attrs.results.push_back({func.getResultAttrDict(i), parts(t)});
    }
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    auto expand = [&](ArrayRef<std::pair<DictionaryAttr, unsigned>> old) {
      SmallVector<DictionaryAttr> attrs;
      for (auto [dict, n] : old) {
        DictionaryAttr empty = DictionaryAttr::get(context);
        attrs.push_back(n == 1 && dict ? dict : empty);
        attrs.append(n - 1, empty);
      }
      return attrs;
    };
    for (Attrs &attrs : saved) {
      attrs.func.setAllArgAttrs(expand(attrs.args));
      attrs.func.setAllResultAttrs(expand(attrs.results));
    }
    declareErrorHook(module);
  }
};
} // namespace
