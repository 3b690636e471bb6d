//===- HoistCacheChecks.cpp - KV cache checks ahead of the GPU work -------===//
//
// attn-hoist-cache-checks: see Passes.td. gpu-async-region synchronises
// the host with the device before every host op with side effects; a KV
// cache bounds check is one, although it reads only host integers. Moved
// ahead of the block's first GPU operation, it runs while nothing is queued,
// and the block's kernels run on one stream without the host waiting.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_HOISTCACHECHECKSPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// A bounds check of attn-lower-kv-cache: an scf.if without results whose
/// regions call the error hook and otherwise only compute.
static bool isCacheCheck(scf::IfOp op) {
  if (op.getNumResults() != 0)
    return false;
  bool callsHook = false;
  WalkResult walk = op->walk([&](Operation *inner) {
    if (inner == op.getOperation() || isa<scf::YieldOp>(inner))
      return WalkResult::advance();
    if (auto call = dyn_cast<func::CallOp>(inner)) {
      if (call.getCallee() != kKVCacheErrorHook)
        return WalkResult::interrupt();
      callsHook = true;
      return WalkResult::advance();
    }
    return isMemoryEffectFree(inner) ? WalkResult::advance()
                                     : WalkResult::interrupt();
  });
  return callsHook && !walk.wasInterrupted();
}

/// Whether `op` queues or waits for GPU work (or holds an op that does).
static bool isGpuWork(Operation *op) {
  if (isa<gpu::GPUDialect>(op->getDialect()))
    return true;
  return op->getNumRegions() &&
         op->walk([](Operation *inner) {
             return isa<gpu::GPUDialect>(inner->getDialect())
                        ? WalkResult::interrupt()
                        : WalkResult::advance();
           }).wasInterrupted();
}

/// Moves `check`, and the operations of its block after `point` that
/// compute what it reads, before `point`; fails, moving nothing, when one
/// of them is not free of memory effects (it may read what GPU work before
/// it writes, such as a host copy of a device buffer).
static LogicalResult hoistBefore(RewriterBase &rewriter, scf::IfOp check,
                                 Operation *point) {
  Block *block = point->getBlock();
  BackwardSliceOptions options;
  options.omitBlockArguments = true;
  options.inclusive = true;
  options.filter = [&](Operation *op) {
    return op->getBlock() == block && point->isBeforeInBlock(op);
  };
  SetVector<Value> read;
  getUsedValuesDefinedAbove(check->getRegions(), read);
  read.insert(check.getCondition());
  SetVector<Operation *> slice;
  for (Value v : read)
    if (Operation *def = v.getDefiningOp(); def && options.filter(def))
      if (failed(getBackwardSlice(def, &slice, options)))
        return failure();
  for (Operation *op : slice)
    if (op->getNumRegions() || !isMemoryEffectFree(op))
      return failure();
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  for (Operation *op : ordered)
    rewriter.moveOpBefore(op, point);
  rewriter.moveOpBefore(check, point);
  return success();
}

namespace {
struct HoistCacheChecksPass
    : public attn::impl::HoistCacheChecksPassBase<HoistCacheChecksPass> {
  void runOnOperation() override {
    SmallVector<scf::IfOp> checks;
    getOperation()->walk([&](scf::IfOp op) {
      if (isCacheCheck(op))
        checks.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // In program order: each lands just before the first GPU operation, so
    // after the checks moved there before it.
    for (scf::IfOp check : checks) {
      Operation *firstGpu = nullptr;
      for (Operation &op : *check->getBlock()) {
        if (&op == check.getOperation())
          break;
        if (isGpuWork(&op)) {
          firstGpu = &op;
          break;
        }
      }
      if (firstGpu)
        (void)hoistBefore(rewriter, check, firstGpu);
    }
  }
};
} // namespace
