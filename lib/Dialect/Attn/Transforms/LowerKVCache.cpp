//===- LowerKVCache.cpp - KV cache ops to tensors -------------------------===//
//
// attn-lower-kv-cache: every !attn.kv_cache value becomes a pair of [B, C, H,
// D] tensors. The cache ops have value semantics (an append yields a new
// cache), so the pair simply flows in their place, and one-shot
// bufferization later updates the storage in place. It is a 1:N type
// conversion, so a cache carried through scf.for iter_args, scf.if results
// or scf.while (a decode loop) becomes two carried tensors.
//
// Bounds the verifiers cannot prove (a dynamic position or length) are
// checked where they are used: the out-of-range case skips the write or
// reads nothing and reports through attnKVCacheError, so a bad position is
// an error message from the runtime rather than a write past the cache.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::attn {
#define GEN_PASS_DEF_LOWERKVCACHEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

static constexpr llvm::StringLiteral kErrorHook = "attnKVCacheError";

/// The run-time error hook's codes for its first argument.
enum class CacheOp : int64_t { Append = 0, Attend = 1 };

namespace {
/// A cache as the tensors that replace it.
struct CacheTensors {
  Value keys, values;
};
} // namespace

static RankedTensorType storageType(KVCacheType cache) {
  return RankedTensorType::get({cache.getBatch(), cache.getCapacity(),
                                cache.getKvHeads(), cache.getHeadDim()},
                               cache.getElementType());
}

/// Structured control flow whose cache operands, results and region
/// arguments the conversion splits into pairs.
static bool isStructured(Operation *op) {
  return isa<scf::ForOp, scf::IfOp, scf::WhileOp, scf::YieldOp,
             scf::ConditionOp>(op);
}

/// Every cache value must be made by create or append, or carried by
/// structured control flow, and read only by append, attend or that control
/// flow; anything else would need the pair of tensors to cross a boundary
/// this pass does not rewrite.
static LogicalResult checkCacheFlow(func::FuncOp func) {
  for (BlockArgument arg : func.getArguments())
    if (isa<KVCacheType>(arg.getType()))
      return func.emitError()
             << "attn-lower-kv-cache: argument " << arg.getArgNumber()
             << " of @" << func.getSymName()
             << " is a KV cache; caches must be created inside the function";
  WalkResult result = func.walk([&](Operation *op) {
    if (auto create = dyn_cast<CacheCreateOp>(op);
        create && create.getResult().getType().isQuantized()) {
      op->emitError() << "attn-lower-kv-cache: quantized KV caches ("
                      << create.getResult().getType()
                      << ") have no lowering yet; use a cache of f16, bf16, "
                         "f32 or f64";
      return WalkResult::interrupt();
    }
    if (!isa<CacheCreateOp, CacheAppendOp>(op) && !isStructured(op) &&
        llvm::any_of(op->getResultTypes(), llvm::IsaPred<KVCacheType>)) {
      op->emitError() << "attn-lower-kv-cache: '" << op->getName()
                      << "' yields a KV cache; only attn.cache.create, "
                         "attn.cache.append and scf.for, scf.if and "
                         "scf.while may make one";
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
    for (Value operand : op->getOperands()) {
      if (!isa<KVCacheType>(operand.getType()))
        continue;
      if (!isa<CacheAppendOp, CacheAttendOp>(op) && !isStructured(op)) {
        op->emitError() << "attn-lower-kv-cache: a KV cache is used by '"
                        << op->getName()
                        << "'; only attn.cache.append, attn.cache.attend and "
                           "scf control flow may use one";
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
  func::CallOp::create(b, loc, kErrorHook, TypeRange(), args);
}

static CacheTensors lowerCreate(OpBuilder &b, CacheCreateOp op) {
  Location loc = op.getLoc();
  auto type = storageType(op.getResult().getType());
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  auto filled = [&] {
    Value empty =
        tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
    return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  };
  return {filled(), filled()};
}

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
  Value zero = c(0), one = c(1);
  SmallVector<OpFoldResult> offsets{zero, pos, zero, zero};
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, op.getKeys());
  SmallVector<OpFoldResult> strides(4, one);
  auto ifOp = scf::IfOp::create(
      b, loc, ok,
      [&](OpBuilder &b, Location loc) {
        Value keys = tensor::InsertSliceOp::create(
            b, loc, op.getKeys(), cache.keys, offsets, sizes, strides);
        Value values = tensor::InsertSliceOp::create(
            b, loc, op.getValues(), cache.values, offsets, sizes, strides);
        scf::YieldOp::create(b, loc, ValueRange{keys, values});
      },
      [&](OpBuilder &b, Location loc) {
        callErrorHook(b, loc, CacheOp::Append, {pos, tokens, capacity});
        scf::YieldOp::create(b, loc, ValueRange{cache.keys, cache.values});
      });
  return {ifOp.getResult(0), ifOp.getResult(1)};
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
  auto attention = AttentionOp::create(
      b, loc, op.getResult().getType(), op.getQuery(), k, v, /*mask=*/Value(),
      op.getScaleAttr(), op.getCausalAttr(), op.getWindowAttr(),
      LayoutAttr::get(b.getContext(), Layout::BSHD));
  return attention.getResult();
}

/// Declares the error hook once per module.
static void declareErrorHook(ModuleOp module) {
  if (module.lookupSymbol(kErrorHook))
    return;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Type i64 = b.getI64Type();
  auto hook = func::FuncOp::create(b, module.getLoc(), kErrorHook,
                                   b.getFunctionType({i64, i64, i64, i64}, {}));
  hook.setPrivate();
}

namespace {
/// A cache is its keys and its values.
struct CacheTypeConverter : TypeConverter {
  CacheTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](KVCacheType cache, SmallVectorImpl<Type> &results) {
      results.append(2, storageType(cache));
      return success();
    });
  }
};

static CacheTensors pairOf(ValueRange cache) { return {cache[0], cache[1]}; }

struct CreatePattern : OpConversionPattern<CacheCreateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CacheCreateOp op, OneToNOpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    CacheTensors cache = lowerCreate(rewriter, op);
    rewriter.replaceOpWithMultiple(
        op, {SmallVector<Value>{cache.keys, cache.values}});
    return success();
  }
};

struct AppendPattern : OpConversionPattern<CacheAppendOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CacheAppendOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    CacheTensors cache = lowerAppend(rewriter, op, pairOf(adaptor.getCache()));
    rewriter.replaceOpWithMultiple(
        op, {SmallVector<Value>{cache.keys, cache.values}});
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
      if (func.isDeclaration())
        continue;
      bool hasCache = false;
      func.walk([&](Operation *op) {
        hasCache |= isa<CacheCreateOp, CacheAppendOp, CacheAttendOp>(op);
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
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    declareErrorHook(module);
  }
};
} // namespace
