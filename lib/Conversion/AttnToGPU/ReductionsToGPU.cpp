//===- ReductionsToGPU.cpp - row sums as warp-per-row kernels -------------===//
//
// attn-reductions-to-gpu: convert-linalg-to-parallel-loops makes a
// reduction's parallel dimensions the kernel's threads and leaves the
// reduced dimension a serial loop in each, which loads and stores the
// running sum in memory at every step. A model graph's RMSNorm sums a row
// of thousands in a decode step, with one row a sequence: one thread did
// all of it. Here a warp owns an output element, as attn-matmul-to-gpu's
// kernels do, and the lanes share the row.
//
//===----------------------------------------------------------------------===//

#include "WarpKernels.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::attn {
#define GEN_PASS_DEF_REDUCTIONSTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// Warps per block, each owning one output element.
static constexpr int64_t kWarps = 4;

/// The sum `%out + x` that `op`'s body yields (in either order), where
/// `%out` has no other use; null otherwise.
static arith::AddFOp bodySum(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return {};
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  Value out = body.getArguments().back();
  if (!add || add->getBlock() != &body || !out.hasOneUse() ||
      (add.getLhs() != out && add.getRhs() != out))
    return {};
  return add;
}

/// Whether `op` is a row sum this pass takes: static, non-empty memref
/// operands, one reduction dimension, one f32 output it does not index, projected
/// permutations for maps, and a pure body yielding `%out + x`.
static bool isRowSum(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1)
    return false;
  // Non-empty too: an empty output would make a grid of no blocks.
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() == 0)
      return false;
  }
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation())
      return false;
  OpOperand *init = op.getDpsInitOperand(0);
  if (!cast<MemRefType>(init->get().getType()).getElementType().isF32())
    return false;
  SmallVector<unsigned> reduced;
  op.getReductionDims(reduced);
  if (op.getMatchingIndexingMap(init).isFunctionOfDim(reduced.front()))
    return false;
  for (Operation &inner : op.getRegion().front().without_terminator())
    if (!isPure(&inner) && !isa<linalg::IndexOp>(inner))
      return false;
  return bool(bodySum(op));
}

/// The warp kernel of `op`, in place of it (and of the zero fill before it,
/// if there is one).
static void buildKernel(IRRewriter &rewriter, linalg::GenericOp op) {
  Value out = op.getDpsInits()[0];
  linalg::FillOp fill = zeroFillBefore(op, out);
  bool overwrite = bool(fill);
  if (fill)
    rewriter.eraseOp(fill);
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, v);
  };
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<unsigned> reducedDims;
  op.getReductionDims(reducedDims);
  unsigned reduced = reducedDims.front();
  int64_t rows = 1;
  for (auto [d, size] : llvm::enumerate(ranges))
    if (d != reduced)
      rows *= size;
  arith::AddFOp sum = bodySum(op);
  Block &body = op.getRegion().front();

  Value one = idx(1);
  auto launch = gpu::LaunchOp::create(b, idx((rows + kWarps - 1) / kWarps),
                                      one, one, idx(32 * kWarps), one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value tid = launch.getThreadIds().x;
  Value lane = arith::RemUIOp::create(b, tid, idx(32));
  Value row = arith::AddIOp::create(
      b, arith::MulIOp::create(b, launch.getBlockIds().x, idx(kWarps)),
      arith::DivUIOp::create(b, tid, idx(32)));
  Value real =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, idx(rows));
  // A whole warp takes the branch or skips it, so the shuffles inside see
  // every lane.
  scf::IfOp::create(b, real, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
    // The row's index in each parallel dimension, the last fastest.
    SmallVector<Value> ivs(ranges.size());
    Value rest = row;
    for (int64_t d = ranges.size() - 1; d >= 0; --d) {
      if (unsigned(d) == reduced)
        continue;
      ivs[d] = arith::RemUIOp::create(b, rest, idx(ranges[d]));
      rest = arith::DivUIOp::create(b, rest, idx(ranges[d]));
    }
    auto indicesOf = [&](AffineMap map) {
      SmallVector<Value> indices;
      for (AffineExpr e : map.getResults())
        indices.push_back(ivs[cast<AffineDimExpr>(e).getPosition()]);
      return indices;
    };
    Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
    auto loop = scf::ForOp::create(
        b, lane, idx(ranges[reduced]), idx(32), ValueRange{zero},
        [&](OpBuilder &lb, Location, Value k, ValueRange acc) {
          OpBuilder::InsertionGuard step(b);
          b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
          ivs[reduced] = k;
          // The body, on this step's elements, up to the sum it yields.
          IRMapping map;
          for (OpOperand *input : op.getDpsInputOperands())
            map.map(body.getArgument(input->getOperandNumber()),
                    memref::LoadOp::create(
                        b, input->get(),
                        indicesOf(op.getMatchingIndexingMap(input))));
          for (Operation &inner : body.without_terminator()) {
            if (&inner == sum.getOperation())
              continue;
            if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
              map.map(index.getResult(), ivs[index.getDim()]);
              continue;
            }
            b.clone(inner, map);
          }
          Value outArg = body.getArguments().back();
          Value x = map.lookupOrDefault(
              sum.getLhs() == outArg ? sum.getRhs() : sum.getLhs());
          scf::YieldOp::create(b, ValueRange{arith::AddFOp::create(b, acc[0], x)});
        });
    Value total = warpSum(b, loop.getResult(0));
    // The output accumulates, as the generic does, unless the kernel took
    // over its zero fill; lane 0 writes.
    Value first =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, idx(0));
    scf::IfOp::create(b, first, [&](OpBuilder &ib, Location) {
      OpBuilder::InsertionGuard store(b);
      b.setInsertionPoint(ib.getInsertionBlock(), ib.getInsertionPoint());
      SmallVector<Value> at =
          indicesOf(op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
      Value result = total;
      if (!overwrite)
        result = arith::AddFOp::create(
            b, memref::LoadOp::create(b, out, at), total);
      memref::StoreOp::create(b, result, out, at);
      scf::YieldOp::create(b);
    });
    scf::YieldOp::create(b);
  });
  gpu::TerminatorOp::create(b);
  launch->setAttr("attn.schedule", b.getStringAttr("reduce-warp"));
  rewriter.eraseOp(op);
}

namespace {
struct ReductionsToGPUPass
    : public attn::impl::ReductionsToGPUPassBase<ReductionsToGPUPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> sums;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>() && isRowSum(op))
        sums.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : sums)
      buildKernel(rewriter, op);
  }
};
} // namespace
