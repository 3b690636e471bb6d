//===- MatmulToGPU.cpp - a model graph's projections as warp kernels ------===//
//
// attn-matmul-to-gpu: the projections of a model graph are
// `C[m, n] += A[m, k] * B[n, k]` (the weight stored [out, in]). As a parallel
// loop with a thread per output element, neighbouring threads read B rows K
// elements apart, so every load of a warp touches 32 cache lines. Here a
// warp owns an output column n and reads B[n, :] with consecutive lanes on
// consecutive k, so each of the weight's bytes is read once, coalesced;
// the rows of A (few in a decode step) are read by the same lanes and
// reused from cache. Each lane keeps kRows partial sums, folded across the
// warp by shuffles at the end. Decode, bound by reading the weights, wants
// exactly this; prefill would want tensor cores, which this is not. The
// zero fill a graph puts before each projection becomes part of its kernel.
//
//===----------------------------------------------------------------------===//

#include "FlashSchedule.h"
#include "WarpKernels.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::attn {
#define GEN_PASS_DEF_MATMULTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// Warps per block, each owning one output column.
static constexpr int64_t kWarps = 4;
/// Rows of A each lane accumulates at once; more rows are done in chunks,
/// each reading B again (from cache).
static constexpr int64_t kRows = 8;

/// Whether `op` is `C[m, n] += A[m, k] * B[n, k]` on non-empty memrefs of
/// static shape with identity layouts, A and B of f16, bf16 or f32 and C of
/// f32. Other matmuls stay for convert-linalg-to-parallel-loops.
static bool isTransposedBMatmul(linalg::MatmulOp op) {
  if (!op.hasPureBufferSemantics())
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> expected{AffineMap::get(3, 0, {m, k}, ctx),
                                  AffineMap::get(3, 0, {n, k}, ctx),
                                  AffineMap::get(3, 0, {m, n}, ctx)};
  if (op.getIndexingMapsArray() != expected)
    return false;
  auto typeOf = [](Value v) { return dyn_cast<MemRefType>(v.getType()); };
  MemRefType a = typeOf(op.getInputs()[0]), b = typeOf(op.getInputs()[1]),
             c = typeOf(op.getOutputs()[0]);
  if (!a || !b || !c)
    return false;
  for (MemRefType t : {a, b, c})
    if (!t.hasStaticShape() || !t.getLayout().isIdentity() ||
        t.getNumElements() == 0)
      return false;
  auto isInput = [](Type t) { return t.isF16() || t.isBF16() || t.isF32(); };
  if (!isInput(a.getElementType()) || !isInput(b.getElementType()) ||
      !c.getElementType().isF32())
    return false;
  return true;
}

/// The warp kernel of `op`, in place of it (and of the zero fill before it,
/// if there is one).
static void buildKernel(IRRewriter &rewriter, linalg::MatmulOp op) {
  // Without the fill's kernel a projection is one launch, not two.
  linalg::FillOp fill = zeroFillBefore(op, op.getOutputs()[0]);
  bool overwrite = bool(fill);
  if (fill)
    rewriter.eraseOp(fill);
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  Value a = op.getInputs()[0], w = op.getInputs()[1], c = op.getOutputs()[0];
  auto cType = cast<MemRefType>(c.getType());
  int64_t rows = cType.getDimSize(0), cols = cType.getDimSize(1);
  int64_t depth = cast<MemRefType>(a.getType()).getDimSize(1);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, v);
  };
  Type f32 = b.getF32Type();
  auto widen = [&](Value v) -> Value {
    return v.getType() == f32 ? v : arith::ExtFOp::create(b, f32, v);
  };

  Value one = idx(1);
  auto launch = gpu::LaunchOp::create(b, idx((cols + kWarps - 1) / kWarps), one,
                                      one, idx(32 * kWarps), one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value tid = launch.getThreadIds().x;
  Value lane = arith::RemUIOp::create(b, tid, idx(32));
  Value warp = arith::DivUIOp::create(b, tid, idx(32));
  Value n = arith::AddIOp::create(
      b, arith::MulIOp::create(b, launch.getBlockIds().x, idx(kWarps)), warp);
  Value real =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, n, idx(cols));
  // A whole warp takes the branch or skips it, so the shuffles inside see
  // every lane.
  scf::IfOp::create(b, real, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
    // `chunk` rows from row m0: one pass over B[n, :], kRows sums a lane.
    auto emitChunk = [&](Value m0, int64_t chunk) {
      auto row = [&](int64_t r) -> Value {
        return arith::AddIOp::create(b, m0, idx(r));
      };
      SmallVector<Value> zeros(
          chunk, arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f)));
      auto loop = scf::ForOp::create(
          b, lane, idx(depth), idx(32), zeros,
          [&](OpBuilder &lb, Location, Value k, ValueRange acc) {
            OpBuilder::InsertionGuard body(b);
            b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
            Value wk = widen(memref::LoadOp::create(b, w, ValueRange{n, k}));
            SmallVector<Value> next;
            for (int64_t r = 0; r < chunk; ++r) {
              Value x =
                  widen(memref::LoadOp::create(b, a, ValueRange{row(r), k}));
              next.push_back(arith::AddFOp::create(
                  b, acc[r], arith::MulFOp::create(b, x, wk)));
            }
            scf::YieldOp::create(b, next);
          });
      for (int64_t r = 0; r < chunk; ++r) {
        Value sum = warpSum(b, loop.getResult(r));
        // C accumulates, as linalg.matmul does, unless the kernel took over
        // its zero fill; lane 0 writes.
        Value first =
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, idx(0));
        scf::IfOp::create(b, first, [&](OpBuilder &ib, Location) {
          OpBuilder::InsertionGuard store(b);
          b.setInsertionPoint(ib.getInsertionBlock(), ib.getInsertionPoint());
          Value at = row(r);
          Value out = sum;
          if (!overwrite)
            out = arith::AddFOp::create(
                b, memref::LoadOp::create(b, c, ValueRange{at, n}), sum);
          memref::StoreOp::create(b, out, c, ValueRange{at, n});
          scf::YieldOp::create(b);
        });
      }
    };
    // Whole chunks in a loop (one copy of the code however many rows a
    // prefill has), then the remainder.
    int64_t whole = rows / kRows * kRows;
    if (whole == kRows) {
      emitChunk(idx(0), kRows);
    } else if (whole > 0) {
      scf::ForOp::create(b, idx(0), idx(whole), idx(kRows), ValueRange(),
                         [&](OpBuilder &lb, Location, Value m0, ValueRange) {
                           OpBuilder::InsertionGuard body(b);
                           b.setInsertionPoint(lb.getInsertionBlock(),
                                               lb.getInsertionPoint());
                           emitChunk(m0, kRows);
                           scf::YieldOp::create(b);
                         });
    }
    if (rows > whole)
      emitChunk(idx(whole), rows - whole);
    scf::YieldOp::create(b);
  });
  gpu::TerminatorOp::create(b);
  launch->setAttr("attn.schedule", b.getStringAttr("matmul-warp"));
  rewriter.eraseOp(op);
}

static constexpr llvm::StringLiteral kBlasCall = "attnGpuMatmulTransposedB";

/// The runtime's cuBLAS call in place of `op`: extents, the buffers'
/// addresses, and the input type (0 f32, 1 f16, 2 bf16).
static void buildBlasCall(IRRewriter &rewriter, linalg::MatmulOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  Value a = op.getInputs()[0], w = op.getInputs()[1], c = op.getOutputs()[0];
  auto aType = cast<MemRefType>(a.getType());
  auto cType = cast<MemRefType>(c.getType());
  auto i64 = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, v, 64);
  };
  // Identity layouts: each buffer starts at its aligned pointer.
  auto address = [&](Value buffer) -> Value {
    Value at = memref::ExtractAlignedPointerAsIndexOp::create(b, buffer);
    return arith::IndexCastOp::create(b, b.getI64Type(), at);
  };
  Type elt = aType.getElementType();
  int64_t type = elt.isF32() ? 0 : elt.isF16() ? 1 : 2;
  func::CallOp::create(b, kBlasCall, TypeRange(),
                       ValueRange{i64(cType.getDimSize(0)),
                                  i64(cType.getDimSize(1)),
                                  i64(aType.getDimSize(1)), address(a),
                                  address(w), address(c), i64(type)});
  rewriter.eraseOp(op);
}

namespace {
struct MatmulToGPUPass
    : public attn::impl::MatmulToGPUPassBase<MatmulToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (cublasMinRows < 0) {
      getOperation().emitError()
          << "attn-matmul-to-gpu: cublas-min-rows must be at least 0, not "
          << int64_t(cublasMinRows);
      return signalPassFailure();
    }
    // Each matmul the pass takes, and whether cuBLAS computes it. A matmul
    // already inside a kernel stays as it is. cuBLAS takes A and B of one
    // type, and with cublas-min-rows only the matmuls of that many rows; the
    // others are warp kernels.
    SmallVector<std::pair<linalg::MatmulOp, bool>> matmuls;
    getOperation()->walk([&](linalg::MatmulOp op) {
      if (op->getParentOfType<gpu::LaunchOp>() || !isTransposedBMatmul(op))
        return;
      auto typeOf = [](Value v) { return cast<MemRefType>(v.getType()); };
      MemRefType a = typeOf(op.getInputs()[0]), b = typeOf(op.getInputs()[1]);
      bool blas = cublas && a.getDimSize(0) >= cublasMinRows &&
                  a.getElementType() == b.getElementType();
      matmuls.push_back({op, blas});
    });
    if (matmuls.empty())
      return;
    IRRewriter rewriter(&getContext());
    if (llvm::any_of(matmuls, [](auto m) { return m.second; })) {
      ModuleOp module = getOperation();
      if (!module.lookupSymbol(kBlasCall)) {
        OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
        Type i64 = b.getI64Type();
        auto decl = func::FuncOp::create(
            b, module.getLoc(), kBlasCall,
            b.getFunctionType(SmallVector<Type>(7, i64), {}));
        decl.setPrivate();
      }
    }
    for (auto [op, blas] : matmuls) {
      if (blas)
        buildBlasCall(rewriter, op);
      else
        buildKernel(rewriter, op);
    }
  }
};
} // namespace
