//===- Sm90Decode.cpp - split-KV decode attention on wgmma and TMA --------===//
//
// The sm90-decode schedule: the decode problem of Sm80Decode.cpp (few query
// rows per KV head against a long cache) on the Hopper kernel of
// Sm90Flash.cpp. The mma.sync decode stalls on each warp's own chain
// (cp.async and ldmatrix issue, then the products) one 16-key tile at a
// time; here one producer thread moves 128-key tiles with TMA through a
// three-stage ring, and the tensor cores read them from shared memory.
//
// * A block attends the query rows of one KV group (its query heads at the
//   one query position, at most 64), packed into a 64-row Q tile that one
//   TMA box brings, to one split of the keys: blocks (split, KV head,
//   batch row). Both consumer warpgroups compute the whole S of each tile
//   and its softmax (the same values), and each accumulates half of V's
//   columns, so that the stage ring, its barriers and the turns are the
//   prefill kernel's.
// * Every block writes its partial (max, sum, accumulator) to scratch and
//   the combine kernel of SplitCombine.cpp normalizes them, a programmatic
//   dependent on sm_90: one split costs that second launch too.
// * `auto` picks it on sm_90a for KV groups of at most 4 query heads
//   (AttnToGPU.cpp). On an H100 it ran groups of 1 to 4 1-5% faster than
//   `decode`, groups of 8 about even, and MQA 12-19% slower at batch 1,
//   not yet explained (bench/NOTES.md). It takes one query
//   position, head_dim 128, no additive mask, window or per-sequence
//   lengths, and TMA.
// * Its alternate form (sm90-decode-alternate, experimental, named only)
//   was meant for MQA, where this form at one block an SM read about 35
//   GB/s a block (bench/NOTES.md): the consumers take
//   alternate 64-key tiles of a six-stage ring, each over all of V's
//   columns with its own softmax and no turns, and each writes its own
//   partial, so a split is two partials and the combine merges twice the
//   grid's splits. It was correct but no faster on an H100 (2026-12-06):
//   the shared S was not what held MQA back.
//
//===----------------------------------------------------------------------===//

#include "MmaSyncBuilder.h"
#include "Sm90Kernel.h"
#include "SplitCombine.h"

#include "attn/Runtime/DependentLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::attn;

namespace {
/// Rows of the Q tile that both consumers read.
constexpr int64_t kMaxPackedRows = 64;
/// The fewest 128-key tiles a split keeps (Q, the ring's fill and the
/// partial's store are paid once a block), and the lower floor where that
/// would leave half the SMs idle.
constexpr int64_t kMinSplitTiles = 4, kIdleMinSplitTiles = 2;

class Sm90DecodeSchedule : public FlashSchedule {
public:
  Sm90DecodeSchedule(int64_t kvSplits, int64_t smCount, bool tma,
                     bool alternate, bool dependentLaunch)
      : kvSplits(kvSplits), smCount(smCount), tma(tma), alternate(alternate),
        dependentLaunch(dependentLaunch) {}

  StringRef getName() const override {
    return alternate ? "sm90-decode-alternate" : "sm90-decode";
  }

  std::string getSummary() const override {
    return kvSplits > 0
               ? getName().str() + ", kv-splits " + std::to_string(kvSplits)
               : getName().str() + ", kv-splits for " +
                     std::to_string(smCount) + " SMs";
  }

  std::optional<std::string> whyUnsupported(AttentionOp op) const override {
    if (!tma)
      return std::string("it copies with TMA (tma=false asks for cp.async)");
    if (std::optional<std::string> why =
            MmaSyncBuilder::whyNotHalf(op, "wgmma"))
      return why;
    RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType(),
                     v = op.getValue().getType();
    unsigned s = op.getSeqDim(), h = op.getHeadDim();
    if (q.isDynamicDim(s) || q.getDimSize(s) != 1)
      return std::string("it packs one query position of each query head, "
                         "and the query length is not 1");
    if (q.isDynamicDim(h) || k.isDynamicDim(h))
      return std::string("it packs the query heads of a KV group into one "
                         "TMA box, so it needs static head counts");
    int64_t group = q.getDimSize(h) / k.getDimSize(h);
    if (group > kMaxPackedRows)
      return "a KV group has " + std::to_string(group) +
             " query heads, more than the " + std::to_string(kMaxPackedRows) +
             " rows of its Q tile";
    if (q.getDimSize(3) != 128 || v.getDimSize(3) != 128)
      return std::string(alternate
                             ? "head_dim and value head_dim must be 128 (its "
                               "tiles and ring are sized for 128)"
                             : "head_dim and value head_dim must be 128 (each "
                               "consumer takes one 64-column block of V)");
    if (op.getMask())
      return std::string("it takes no additive mask");
    if (op.getWindow())
      return std::string("it takes no sliding window");
    return std::nullopt;
  }

  FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                          const FlashProblem &p) const override {
    auto q = cast<MemRefType>(p.query.getType());
    auto k = cast<MemRefType>(p.key.getType());
    unsigned s = p.layout == Layout::BSHD ? 1 : 2, h = 3 - s;
    int64_t group = packedRows(p);
    FlashLaunch launch;
    launch.threads = kSm90Threads;
    launch.dynamicSharedBytes =
        sm90DecodeSharedBytes(q.getDimSize(3), 128, group, alternate);
    // One block an SM: a block takes most of an SM's shared memory. The
    // floors are in keys of 128-key tiles, whatever the tile.
    int64_t tileKeys = sm90DecodeTileKeys(alternate);
    int64_t perTile = kSm90DecodeTileKeys / tileKeys;
    SplitFloor floor{kMinSplitTiles * perTile, tileKeys,
                     kIdleMinSplitTiles * perTile, smCount, smCount};
    if (kvSplits > 0)
      launch.gridX = arith::ConstantIndexOp::create(b, loc, kvSplits);
    else if (p.seqK == p.kvRows && !k.isDynamicDim(0) && !k.isDynamicDim(s))
      launch.gridX = arith::ConstantIndexOp::create(
          b, loc,
          pickSplits(k.getDimSize(0) * k.getDimSize(h),
                     (k.getDimSize(s) + tileKeys - 1) / tileKeys, floor));
    else
      launch.gridX = runtimeSplits(b, loc, p, floor);
    // Every block writes partials, even a single split's: the combine
    // normalizes them. With alternate tiles each consumer writes its own.
    allocSplitScratch(b, loc, p, partials(b, loc, launch), kMaxPackedRows, 128,
                      launch);
    // Q in boxes of the group's heads at one position; K and V in tiles of
    // one head, over seqK positions of their kvRows.
    declareSm90TensorMapCall(b, loc);
    launch.kernelArguments = {
        buildSm90TensorMap(b, loc, p, p.query, p.seqQ, p.seqQ, p.headsQ,
                           q.getDimSize(3), /*boxRows=*/1, /*boxHeads=*/group),
        buildSm90TensorMap(b, loc, p, p.key, p.seqK, p.kvRows, p.headsKV,
                           q.getDimSize(3), tileKeys),
        buildSm90TensorMap(b, loc, p, p.value, p.seqK, p.kvRows, p.headsKV, 128,
                           tileKeys)};
    return launch;
  }

  void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                 const FlashLaunch &shape,
                 gpu::LaunchOp launch) const override {
    if (dependentLaunch)
      nameKernel(launch, kPrimarySuffix);
    buildSm90DecodeKernel(b, loc, p, shape, launch, packedRows(p), alternate,
                          dependentLaunch);
  }

  void buildEpilogue(OpBuilder &b, Location loc, const FlashProblem &p,
                     const FlashLaunch &shape) const override {
    buildSplitCombine(b, loc, p, shape, partials(b, loc, shape), /*seqQ=*/1,
                      packedRows(p), /*valueDim=*/128, dependentLaunch);
  }

private:
  /// The partials of a (batch row, KV head): one a block, or one a
  /// consumer with alternate tiles.
  Value partials(OpBuilder &b, Location loc, const FlashLaunch &launch) const {
    if (!alternate)
      return launch.gridX;
    return arith::MulIOp::create(b, loc, launch.gridX,
                                 arith::ConstantIndexOp::create(b, loc, 2));
  }

  /// Query heads per KV head: the packed rows, one query position each.
  static int64_t packedRows(const FlashProblem &p) {
    auto q = cast<MemRefType>(p.query.getType());
    auto k = cast<MemRefType>(p.key.getType());
    unsigned h = p.layout == Layout::BSHD ? 2 : 1;
    return q.getDimSize(h) / k.getDimSize(h);
  }

  int64_t kvSplits, smCount;
  bool tma, alternate, dependentLaunch;
};
} // namespace

std::unique_ptr<FlashSchedule>
mlir::attn::createSm90DecodeSchedule(int64_t kvSplits, int64_t smCount,
                                     bool tma, bool alternate,
                                     bool dependentLaunch) {
  return std::make_unique<Sm90DecodeSchedule>(kvSplits, smCount, tma, alternate,
                                              dependentLaunch);
}
