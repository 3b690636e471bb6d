//===- ScalarFlash.cpp - the scalar (CUDA-core) attention schedule ---------===//
//
// Lays out the FlashAttention-2 pieces of FlashBuilder.h on a GPU: a block
// per (q-tile, KV head, batch), a thread per query row, each K/V tile staged
// once in shared memory for every query head of the group. Written for
// correctness; it is the baseline the tensor-core schedules are measured
// against and the fallback for whatever they do not cover.
//
//===----------------------------------------------------------------------===//

#include "FlashSchedule.h"

#include "llvm/Support/MathExtras.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr int64_t kStaticSharedBytes = 48 * 1024;

class ScalarFlashSchedule : public FlashSchedule {
public:
  ScalarFlashSchedule(FlashTiles tiles, int64_t threads)
      : tiles(tiles), threads(threads) {}

  StringRef getName() const override { return "scalar"; }

  std::string getSummary() const override {
    return "scalar with q-tile " + std::to_string(tiles.q) + ", kv-tile " +
           std::to_string(tiles.kv) + ", " + std::to_string(threads) +
           " threads";
  }

  std::optional<std::string> whyUnsupported(AttentionOp op) const override {
    // The K/V tiles are static shared memory, which a block gets 48 KiB of;
    // quantized keys and values are dequantized into tiles of the
    // accumulator type (f32, f64 for f64 queries). Head dims near the int64
    // limit (valid types) must not wrap the sum.
    Type queryType = op.getQuery().getType().getElementType();
    int64_t elementBytes =
        op.hasScales() ? (queryType.isF64() ? 8 : 4)
                       : op.getKey().getType().getElementTypeBitWidth() / 8;
    int64_t rowBytes = elementBytes * tiles.kv;
    int64_t dims, bytes;
    if (llvm::AddOverflow(op.getQuery().getType().getDimSize(3),
                          op.getValue().getType().getDimSize(3), dims) ||
        llvm::MulOverflow(rowBytes, dims, bytes))
      return "head_dim " +
             std::to_string(op.getQuery().getType().getDimSize(3)) +
             " and value head_dim " +
             std::to_string(op.getValue().getType().getDimSize(3)) +
             " need more shared memory for one K/V tile than int64 counts";
    if (bytes > kStaticSharedBytes)
      return "kv-tile " + std::to_string(tiles.kv) + " needs " +
             std::to_string(bytes) +
             " bytes of shared memory for its K and V tiles, more than the " +
             std::to_string(kStaticSharedBytes) +
             " a block can have statically";
    return std::nullopt;
  }

  FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                          const FlashProblem &p) const override {
    Type elt = p.tileType;
    int64_t headDim = cast<MemRefType>(p.query.getType()).getDimSize(3);
    int64_t valueDim = cast<MemRefType>(p.value.getType()).getDimSize(3);
    FlashLaunch launch;
    launch.gridX = arith::CeilDivUIOp::create(
        b, loc, p.seqQ, arith::ConstantIndexOp::create(b, loc, tiles.q));
    launch.threads = threads;
    launch.workgroupBuffers = {
        gpuBufferType({tiles.kv, headDim}, elt, gpu::AddressSpace::Workgroup),
        gpuBufferType({tiles.kv, valueDim}, elt,
                      gpu::AddressSpace::Workgroup)};
    Type acc = p.accType;
    launch.privateBuffers = {
        gpuBufferType({1}, acc, gpu::AddressSpace::Private),
        gpuBufferType({1}, acc, gpu::AddressSpace::Private),
        gpuBufferType({1, valueDim}, acc, gpu::AddressSpace::Private),
        gpuBufferType({1, tiles.kv}, acc, gpu::AddressSpace::Private)};
    return launch;
  }

  void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                 const FlashLaunch &shape,
                 gpu::LaunchOp launch) const override;

private:
  FlashTiles tiles;
  int64_t threads;
};
} // namespace

void ScalarFlashSchedule::buildBody(OpBuilder &b, Location loc,
                                    const FlashProblem &p,
                                    const FlashLaunch &,
                                    gpu::LaunchOp launch) const {
  auto c = [&](OpBuilder &b, int64_t x) -> Value {
    return arith::ConstantIndexOp::create(b, loc, x);
  };
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
  Value zero = c(b, 0), numThreads = c(b, threads);
  // With per-sequence lengths, this block's sequence has its own key length
  // and causal diagonal.
  FlashProblem seq = p.forSequence(b, loc, bi);
  Value qStart = arith::MulIOp::create(b, loc, block.x, c(b, tiles.q));
  Value rows = arith::MulIOp::create(b, loc, seq.group, c(b, tiles.q));
  Value kvBegin, kvEnd;
  std::tie(kvBegin, kvEnd) = buildKVRange(b, loc, seq, tiles, qStart);

  // Rows are handed out `threads` at a time; every thread runs every
  // iteration, active or not, so that all of them reach the barriers.
  scf::ForOp::create(
      b, loc, zero, rows, numThreads, ValueRange(),
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
        ifActive(b, [&](OpBuilder &b) { buildInitRow(b, loc, seq, st, zero); });
        scf::ForOp::create(
            b, loc, kvBegin, kvEnd, c(b, tiles.kv), ValueRange(),
            [&](OpBuilder &b, Location loc, Value kvStart, ValueRange) {
              // Nobody may overwrite the tile while a row still reads it.
              gpu::BarrierOp::create(b, loc);
              buildLoadTile(b, loc, seq, st, tiles, bi, kvHead, kvStart, tid,
                            numThreads);
              gpu::BarrierOp::create(b, loc);
              ifActive(b, [&](OpBuilder &b) {
                buildUpdateRow(b, loc, seq, st, tiles, bi, kvHead, qStart,
                               kvStart, row, zero);
              });
              scf::YieldOp::create(b, loc);
            });
        ifActive(b, [&](OpBuilder &b) {
          buildFinalizeRow(b, loc, seq, st, tiles, bi, kvHead, qStart, row,
                           zero);
        });
        scf::YieldOp::create(b, loc);
      });
}

std::unique_ptr<FlashSchedule>
mlir::attn::createScalarFlashSchedule(FlashTiles tiles, int64_t threads) {
  return std::make_unique<ScalarFlashSchedule>(tiles, threads);
}
