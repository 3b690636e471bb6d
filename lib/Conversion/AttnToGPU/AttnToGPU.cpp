//===- AttnToGPU.cpp - attention as a FlashAttention-2 GPU kernel ----------===//
//
// Lays out the FlashAttention-2 pieces of FlashBuilder.h on a GPU: a block
// per (q-tile, KV head, batch), a thread per query row, each K/V tile staged
// once in shared memory for every query head of the group. The kernel is
// built in a gpu.launch, so the upstream outlining and NVVM lowering take it
// from there.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/FlashBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
struct GPUSchedule {
  FlashTiles tiles;
  int64_t threads;
};
} // namespace

static MemRefType bufferType(ArrayRef<int64_t> shape, Type elt,
                             gpu::AddressSpace space) {
  return MemRefType::get(
      shape, elt, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(elt.getContext(), space));
}

static LogicalResult convertAttention(IRRewriter &rewriter, AttentionOp op,
                                      const GPUSchedule &schedule) {
  Location loc = op.getLoc();
  int64_t headDim = op.getQuery().getType().getDimSize(3);
  int64_t valueDim = op.getValue().getType().getDimSize(3);
  if (ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim)) {
    auto dim = [](int64_t d) {
      return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
    };
    return op.emitOpError()
           << "convert-attn-to-gpu needs a static head_dim (" << dim(headDim)
           << ") and value head_dim (" << dim(valueDim)
           << "): they size the shared-memory tiles";
  }

  rewriter.setInsertionPoint(op);
  Value q = toReadOnlyBuffer(rewriter, loc, op.getQuery());
  Value k = toReadOnlyBuffer(rewriter, loc, op.getKey());
  Value v = toReadOnlyBuffer(rewriter, loc, op.getValue());
  Value mask = toReadOnlyBuffer(rewriter, loc, op.getMask());

  RankedTensorType resultType = op.getResult().getType();
  Type elt = resultType.getElementType();
  SmallVector<Value> dynamicSizes;
  for (auto [i, size] : llvm::enumerate(resultType.getShape()))
    if (ShapedType::isDynamic(size))
      dynamicSizes.push_back(memref::DimOp::create(rewriter, loc, q, i));
  auto outType = MemRefType::get(resultType.getShape(), elt);
  // gpu-to-llvm lowers only the async form of gpu.alloc; waiting on its
  // token right away keeps the op synchronous for the launch that follows.
  Type tokenType = gpu::AsyncTokenType::get(rewriter.getContext());
  Value ready = gpu::WaitOp::create(rewriter, loc, tokenType, ValueRange())
                    .getAsyncToken();
  auto alloc = gpu::AllocOp::create(rewriter, loc, outType, tokenType,
                                    ValueRange{ready}, dynamicSizes,
                                    /*symbolOperands=*/ValueRange(),
                                    /*hostShared=*/false);
  gpu::WaitOp::create(rewriter, loc, Type(), ValueRange{alloc.getAsyncToken()});
  Value out = alloc.getMemref();

  FlashProblem p = FlashProblem::build(rewriter, loc, op, q, k, v, mask, out);
  const FlashTiles &tiles = schedule.tiles;
  auto c = [&](OpBuilder &b, int64_t x) -> Value {
    return arith::ConstantIndexOp::create(b, loc, x);
  };
  Value one = c(rewriter, 1);
  Value qTiles =
      arith::CeilDivUIOp::create(rewriter, loc, p.seqQ, c(rewriter, tiles.q));

  Type acc = p.accType;
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, qTiles, p.headsKV, p.batch, c(rewriter, schedule.threads),
      one, one, /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{},
      /*workgroupAttributions=*/
      TypeRange{bufferType({tiles.kv, headDim}, elt, gpu::AddressSpace::Workgroup),
                bufferType({tiles.kv, valueDim}, elt,
                           gpu::AddressSpace::Workgroup)},
      /*privateAttributions=*/
      TypeRange{bufferType({1}, acc, gpu::AddressSpace::Private),
                bufferType({1}, acc, gpu::AddressSpace::Private),
                bufferType({1, valueDim}, acc, gpu::AddressSpace::Private),
                bufferType({1, tiles.kv}, acc, gpu::AddressSpace::Private)});

  OpBuilder::InsertionGuard guard(rewriter);
  Block &body = launch.getBody().front();
  rewriter.setInsertionPointToStart(&body);
  OpBuilder &b = rewriter;
  FlashState st;
  st.keyTile = launch.getWorkgroupAttributions()[0];
  st.valueTile = launch.getWorkgroupAttributions()[1];
  st.rowMax = launch.getPrivateAttributions()[0];
  st.rowSum = launch.getPrivateAttributions()[1];
  st.acc = launch.getPrivateAttributions()[2];
  st.scores = launch.getPrivateAttributions()[3];

  gpu::KernelDim3 block = launch.getBlockIds();
  Value tid = launch.getThreadIds().x;
  Value kvHead = block.y, bi = block.z;
  Value zero = c(b, 0), threads = c(b, schedule.threads);
  Value qStart = arith::MulIOp::create(b, loc, block.x, c(b, tiles.q));
  Value rows = arith::MulIOp::create(b, loc, p.group, c(b, tiles.q));
  auto [kvBegin, kvEnd] = buildKVRange(b, loc, p, tiles, qStart);

  // Rows are handed out `threads` at a time; every thread runs every
  // iteration, active or not, so that all of them reach the barriers.
  scf::ForOp::create(
      b, loc, zero, rows, threads, ValueRange(),
      [&](OpBuilder &b, Location loc, Value chunk, ValueRange) {
        Value row = arith::AddIOp::create(b, loc, chunk, tid);
        Value active = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                             row, rows);
        auto ifActive = [&](OpBuilder &b,
                            function_ref<void(OpBuilder &)> body) {
          scf::IfOp::create(b, loc, active, [&](OpBuilder &b, Location loc) {
            body(b);
            scf::YieldOp::create(b, loc);
          });
        };
        ifActive(b, [&](OpBuilder &b) { buildInitRow(b, loc, p, st, zero); });
        scf::ForOp::create(
            b, loc, kvBegin, kvEnd, c(b, tiles.kv), ValueRange(),
            [&](OpBuilder &b, Location loc, Value kvStart, ValueRange) {
              // Nobody may overwrite the tile while a row still reads it.
              gpu::BarrierOp::create(b, loc);
              buildLoadTile(b, loc, p, st, tiles, bi, kvHead, kvStart, tid,
                            threads);
              gpu::BarrierOp::create(b, loc);
              ifActive(b, [&](OpBuilder &b) {
                buildUpdateRow(b, loc, p, st, tiles, bi, kvHead, qStart,
                               kvStart, row, zero);
              });
              scf::YieldOp::create(b, loc);
            });
        ifActive(b, [&](OpBuilder &b) {
          buildFinalizeRow(b, loc, p, st, tiles, bi, kvHead, qStart, row,
                           zero);
        });
        scf::YieldOp::create(b, loc);
      });
  gpu::TerminatorOp::create(b, loc);

  rewriter.setInsertionPointAfter(launch);
  Value result = bufferization::ToTensorOp::create(
      rewriter, loc, resultType, out, /*restrict=*/true, /*writable=*/true);
  rewriter.replaceOp(op, result);
  return success();
}

namespace {
struct ConvertAttnToGPUPass
    : public attn::impl::ConvertAttnToGPUPassBase<ConvertAttnToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (qTile < 1 || kvTile < 1 || threads < 1 || threads > 1024) {
      getOperation()->emitError()
          << "convert-attn-to-gpu: q-tile (" << qTile.getValue()
          << ") and kv-tile (" << kvTile.getValue()
          << ") must be positive and threads (" << threads.getValue()
          << ") must lie in [1, 1024]";
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    GPUSchedule schedule{FlashTiles{qTile, kvTile}, threads};
    for (AttentionOp op : ops)
      if (failed(convertAttention(rewriter, op, schedule)))
        return signalPassFailure();
  }
};
} // namespace
