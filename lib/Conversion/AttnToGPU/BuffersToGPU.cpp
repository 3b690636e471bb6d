//===- BuffersToGPU.cpp - the GPU pipeline's host buffers on the device ----===//
//
// attn-buffers-to-gpu: once bufferized, the host code of the GPU pipeline
// holds device pointers only, so each buffer it makes is a device
// allocation and each copy or fill it does is a kernel, and a host read of
// a small buffer reads a copy brought back. Host code that would read or
// write a buffer any other way is an error here rather than a fault at run
// time.
//
//===----------------------------------------------------------------------===//

#include "FlashSchedule.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_BUFFERSTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// Threads per block of the element kernels.
static constexpr int64_t kElementThreads = 256;

/// Launches one thread per point of the index space `extents`, 256 to a
/// block, and calls `body` with the point's indices (row-major: the last
/// dimension varies fastest, so neighbouring threads touch neighbouring
/// elements) in each thread that has one. Nothing is launched for an empty
/// space (a grid of no blocks is an error).
static void launchOverSpace(
    OpBuilder &b, Location loc, ArrayRef<Value> extents,
    function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value total = c(1);
  for (Value n : extents)
    total = arith::MulIOp::create(b, loc, total, n);
  // An empty space still launches one block, whose threads all find
  // themselves outside it: a branch around the launch would make the host
  // wait for the kernels before it (gpu-async-region synchronises before
  // any op with a region that launches).
  Value blocks = arith::MaxUIOp::create(
      b, loc, arith::CeilDivUIOp::create(b, loc, total, c(kElementThreads)),
      c(1));
  Value one = c(1);
  auto launch = gpu::LaunchOp::create(b, loc, blocks, one, one,
                                      c(kElementThreads), one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value id = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                            c(kElementThreads)),
      launch.getThreadIds().x);
  Value inside =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, id, total);
  scf::IfOp::create(b, loc, inside, [&](OpBuilder &tb, Location loc) {
    SmallVector<Value> indices(extents.size());
    Value rest = id;
    for (int64_t d = int64_t(extents.size()) - 1; d > 0; --d) {
      indices[d] = arith::RemUIOp::create(tb, loc, rest, extents[d]);
      rest = arith::DivUIOp::create(tb, loc, rest, extents[d]);
    }
    if (!extents.empty())
      indices[0] = rest;
    body(tb, loc, indices);
    scf::YieldOp::create(tb, loc);
  });
  gpu::TerminatorOp::create(b, loc);
}

/// Launches one thread per element of `target`'s shape (launchOverSpace).
static void launchPerElement(
    OpBuilder &b, Location loc, Value target,
    function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<MemRefType>(target.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(
        type.isDynamicDim(d)
            ? Value(memref::DimOp::create(b, loc, target, d))
            : Value(arith::ConstantIndexOp::create(b, loc,
                                                   type.getDimSize(d))));
  launchOverSpace(b, loc, sizes, body);
}

/// Elements a host read may copy back to reach one of them: small buffers
/// such as per-sequence lengths, which the host checks before any kernel
/// runs.
static constexpr int64_t kMaxHostReadElements = 4096;

/// Whether `load` reads, on the host, an element of a small device buffer
/// that a copy to the host can fetch: static shape, identity layout.
static bool isHostReadable(memref::LoadOp load) {
  MemRefType type = load.getMemRefType();
  return type.hasStaticShape() && type.getLayout().isIdentity() &&
         type.getNumElements() <= kMaxHostReadElements;
}

/// Why `op`, in host code, cannot run over device buffers; nullopt if it
/// can (it touches no buffer's contents, or this pass rewrites it).
static std::optional<std::string> whyHostOnly(Operation *op) {
  if (auto load = dyn_cast<memref::LoadOp>(op); load && isHostReadable(load))
    return std::nullopt;
  if (isa<memref::LoadOp, memref::StoreOp, memref::AllocaOp,
          memref::AtomicRMWOp, memref::GenericAtomicRMWOp>(op) ||
      isa_and_nonnull<vector::VectorDialect>(op->getDialect()))
    return std::string("reads or writes a buffer on the host");
  if (auto loop = dyn_cast<scf::ParallelOp>(op); loop && loop.getNumResults())
    return std::string("is a parallel loop with reductions, which has no "
                       "kernel here");
  if (auto alloc = dyn_cast<memref::AllocOp>(op);
      alloc && !alloc.getSymbolOperands().empty())
    return std::string("allocates a buffer whose layout takes symbols, "
                       "which gpu.alloc here does not");
  if (isa<linalg::LinalgOp>(op) && !isa<linalg::FillOp>(op))
    return std::string("computes on buffers on the host (as the GPU "
                       "pipeline runs it, convert-linalg-to-parallel-loops "
                       "has made parallel loops of such ops first)");
  if (isa<linalg::FillOp>(op) &&
      !isa<MemRefType>(cast<linalg::FillOp>(op).getOutputs()[0].getType()))
    return std::string("was not bufferized");
  return std::nullopt;
}

/// A gpu.launch with one thread per iteration of `loop` (a host
/// scf.parallel without reductions, as convert-linalg-to-parallel-loops
/// makes of a linalg op), 256 to a block; the body runs in each thread with
/// the induction variables of its iteration.
static void parallelLoopToKernel(IRRewriter &rewriter, scf::ParallelOp loop) {
  Location loc = loop.getLoc();
  OpBuilder &b = rewriter;
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // Iterations along each dimension: ceil((ub - lb) / step), 0 when ub <=
  // lb.
  SmallVector<Value> counts;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep())) {
    Value span = arith::MaxSIOp::create(
        b, loc, arith::SubIOp::create(b, loc, ub, lb), c(0));
    counts.push_back(arith::CeilDivUIOp::create(b, loc, span, step));
  }
  launchOverSpace(b, loc, counts,
                  [&](OpBuilder &tb, Location loc, ValueRange indices) {
                    IRMapping map;
                    for (auto [iv, index, lb, step] :
                         llvm::zip(loop.getInductionVars(), indices,
                                   loop.getLowerBound(), loop.getStep()))
                      map.map(iv, arith::AddIOp::create(
                                      tb, loc, lb,
                                      arith::MulIOp::create(tb, loc, index,
                                                            step)));
                    for (Operation &op : loop.getBody()->without_terminator())
                      tb.clone(op, map);
                  });
  rewriter.eraseOp(loop);
}

static void rewriteHostOp(IRRewriter &rewriter, Operation *op) {
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
    parallelLoopToKernel(rewriter, loop);
  } else if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
    // A constant's global lives in host memory; the kernels read a device
    // copy of it.
    Value buffer = allocDevice(rewriter, loc, global.getType(), ValueRange());
    rewriter.setInsertionPointAfter(op);
    auto copy = gpu::MemcpyOp::create(rewriter, loc, /*asyncToken=*/Type(),
                                      /*asyncDependencies=*/ValueRange(),
                                      buffer, global.getResult());
    rewriter.replaceAllUsesExcept(global.getResult(), buffer, copy);
  } else if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
    Value buffer = allocDevice(rewriter, loc, alloc.getType(),
                               alloc.getDynamicSizes());
    rewriter.replaceOp(op, buffer);
  } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
    freeDevice(rewriter, loc, dealloc.getMemref());
    rewriter.eraseOp(op);
  } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    Value from = copy.getSource(), to = copy.getTarget();
    launchPerElement(rewriter, loc, to,
                     [&](OpBuilder &b, Location loc, ValueRange at) {
                       Value v = memref::LoadOp::create(b, loc, from, at);
                       memref::StoreOp::create(b, loc, v, to, at);
                     });
    rewriter.eraseOp(op);
  } else if (auto load = dyn_cast<memref::LoadOp>(op)) {
    // The whole (small) buffer comes back to the host stack, and the copy
    // is waited for; the scope releases the stack at once.
    auto scope = memref::AllocaScopeOp::create(
        rewriter, loc, TypeRange{load.getResult().getType()});
    Block *body = rewriter.createBlock(&scope.getBodyRegion());
    rewriter.setInsertionPointToStart(body);
    Value staging =
        memref::AllocaOp::create(rewriter, loc, load.getMemRefType());
    // gpu-async-region makes the host wait for the copy before the load.
    gpu::MemcpyOp::create(rewriter, loc, /*asyncToken=*/Type(),
                          /*asyncDependencies=*/ValueRange(), staging,
                          load.getMemRef());
    Value value =
        memref::LoadOp::create(rewriter, loc, staging, load.getIndices());
    memref::AllocaScopeReturnOp::create(rewriter, loc, value);
    rewriter.replaceOp(load, scope.getResults());
  } else if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    Value value = fill.getInputs()[0], to = fill.getOutputs()[0];
    launchPerElement(rewriter, loc, to,
                     [&](OpBuilder &b, Location loc, ValueRange at) {
                       memref::StoreOp::create(b, loc, value, to, at);
                     });
    rewriter.eraseOp(op);
  }
}

namespace {
struct BuffersToGPUPass
    : public attn::impl::BuffersToGPUPassBase<BuffersToGPUPass> {
  void runOnOperation() override {
    SmallVector<Operation *> hostOps;
    bool failed = false;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        // Kernels already work on device memory, and a parallel loop's
        // body becomes one.
        if (isa<gpu::LaunchOp>(op))
          return WalkResult::skip();
        if (auto loop = dyn_cast<scf::ParallelOp>(op);
            loop && !loop.getNumResults()) {
          hostOps.push_back(op);
          return WalkResult::skip();
        }
        if (std::optional<std::string> why = whyHostOnly(op)) {
          op->emitOpError()
              << "in host code of the GPU pipeline " << *why
              << ", but every buffer there is in device memory; only "
                 "attention, KV caches, slices, copies, fills, parallel "
                 "loops (linalg ops, through convert-linalg-to-parallel-loops) "
                 "and reads of small buffers have a GPU lowering (run it on "
                 "the CPU with attn-to-llvm-pipeline)";
          failed = true;
          // One error for an op, not one more for each op inside it.
          return WalkResult::skip();
        }
        if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp,
                linalg::FillOp, memref::GetGlobalOp, memref::LoadOp>(op)) {
          hostOps.push_back(op);
        }
        return WalkResult::advance();
      });
    }
    if (failed)
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (Operation *op : hostOps)
      rewriteHostOp(rewriter, op);
  }
};
} // namespace
