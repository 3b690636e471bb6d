//===- Sm80Decode.cpp - split-KV decode attention on mma.sync -------------===//
//
// The decode schedule: few query rows per KV head (one new token of each
// query head, or a short chunk) against a long cache. The cost is reading
// K and V once, so the schedule is built to keep the memory system busy:
//
// * The rows of a block are every query row of one KV group (query heads
//   times query positions, at most 64), packed into the M of mma.sync
//   m16n8k16 (padded to a multiple of 16 with zero rows), so each K/V tile
//   is read once for all of them (GQA packing). MQA's 32 rows per KV head
//   give 32 FLOP per byte of KV, more than CUDA cores could keep up with at
//   memory speed; tensor cores do.
// * The keys of a (batch, KV head) are split over the blocks along x
//   (flash-decoding) so that the grid fills the device even at batch 1, and
//   within a block over its streams of tiles, tile by tile (a block has 4
//   warps, or 8 with kv-warps). Each stream takes its own 32-key tiles (16
//   from 17 rows on, two m-tiles, unless the cache is quantized) through a
//   3-stage cp.async pipeline of its own (kv-stages sets 2 to 8) and keeps
//   its own online softmax, so streams never wait on each other inside the
//   loop. A stream is one warp, or, with kv-pair-warps and two m-tiles
//   (MQA's 32 rows), a pair of warps that each copy half of every tile and
//   take one m-tile of its products and softmax, meeting at a named
//   barrier a tile. From two m-tiles on, the softmax rescales lazily
//   (MmaSyncBuilder::lazyOnlineSoftmax).
// * At the end the streams' partial (max, sum, accumulator) are combined in
//   shared memory. With one block per (batch, KV head) the block writes the
//   output; otherwise it writes its partials to a scratch buffer and a
//   second kernel combines the blocks (SplitCombine.cpp).
//
// * A quantized cache (int8 or fp8 codes with per-token, per-head scales)
//   is copied as codes, half the bytes of bf16, into the stages, and the
//   products read the codes straight into registers: each lane loads whole
//   words of codes and turns them into f16 operand fragments of mma.sync
//   with byte permutes and one conversion per pair (the values are exact);
//   the scales multiply each key's scores and probabilities. No
//   dequantized copy of the cache is made, not even in shared memory.
//   For that, the reduction dimensions are permuted, which a sum does not
//   see: lane (g, t) owns the head_dim run t D/4 .. t D/4 + D/4 - 1 of a
//   key, and takes its word ks (4 codes) as k = 2t, 2t+1, 2t+8, 2t+9 of
//   the ks-th 16 of head_dim (Q's fragments are read the same way); within
//   each 16 keys, it takes keys t, t+4, t+8, t+12 as k = 2t, 2t+1, 2t+8,
//   2t+9 of P V (the keys of K's n8 tiles are ordered to match), and the
//   value columns g (D/8) + nt as column g of n8 tile nt, so that each
//   lane's codes of a row are one contiguous run. The stages are
//   XOR-swizzled in 16-byte chunks so that the reads of K at head_dim 128
//   and of V are free of bank conflicts (K at head_dim 32 and 64, and the
//   8-byte reads of Q, are 2-way).
//
// The fragment layouts and the masking are those of Sm80Flash.cpp.
//
// This file holds the schedule: what it covers, the split count and the
// launch. The kernel is DecodeKernel.h's, built in the Decode*.cpp files.
//
//===----------------------------------------------------------------------===//

#include "DecodeKernel.h"
#include "SplitCombine.h"

#include "attn/Runtime/DependentLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::decode;

//===----------------------------------------------------------------------===//
// Splitting the keys
//===----------------------------------------------------------------------===//

/// The fewest key tiles per stream a split leaves. Each block pays for its Q
/// copy, pipeline fill, in-block combine and partials; on the H200 (MQA,
/// batch 1, 128k keys) 33 tiles per block ran 1.25x slower than 62 or 124.
/// Where that floor would leave half the SMs idle (batch 1 below 128k keys
/// for MQA, below 32k for GQA), a block keeps kIdleMinStreamTiles a stream
/// at least.
constexpr int64_t kMinStreamTiles = 16, kIdleMinStreamTiles = 4;

namespace {
class Sm80DecodeSchedule : public FlashSchedule {
public:
  Sm80DecodeSchedule(int64_t kvSplits, int64_t kvStages, int64_t kvWarps,
                     bool pairWarps, int64_t smCount, bool dependentLaunch)
      : kvSplits(kvSplits), kvStages(kvStages), kvWarps(kvWarps),
        pairWarps(pairWarps), smCount(smCount),
        dependentLaunch(dependentLaunch) {}

  StringRef getName() const override { return "decode"; }

  std::string getSummary() const override {
    std::string summary =
        kvSplits > 0
            ? "decode, kv-splits " + std::to_string(kvSplits)
            : "decode, kv-splits for " + std::to_string(smCount) + " SMs";
    if (kvStages > 0)
      summary += ", kv-stages " + std::to_string(kvStages);
    if (kvWarps > 0)
      summary += ", kv-warps " + std::to_string(kvWarps);
    if (pairWarps)
      summary += ", kv-pair-warps";
    return summary;
  }

  std::optional<std::string> whyUnsupported(AttentionOp op) const override {
    if (std::optional<std::string> why =
            MmaSyncBuilder::whyNotHalf(op, "mma.sync"))
      return why;
    RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType(),
                     v = op.getValue().getType();
    unsigned s = op.getSeqDim(), h = op.getHeadDim();
    if (q.isDynamicDim(s) || q.isDynamicDim(h) || k.isDynamicDim(h))
      return std::string("it packs the query rows of a KV group, so it needs "
                         "a static query length and head counts");
    int64_t rows = q.getDimSize(s) * (q.getDimSize(h) / k.getDimSize(h));
    if (rows == 0)
      return std::string("there are no query rows");
    if (rows > kMaxRows)
      return "a KV group has " + std::to_string(rows) +
             " query rows (query heads per KV head x query length), more "
             "than the " +
             std::to_string(kMaxRows) + " it packs";
    for (auto [what, d] : {std::pair<const char *, int64_t>{
                               "head_dim", q.getDimSize(3)},
                           {"value head_dim", v.getDimSize(3)}})
      if (!llvm::is_contained({16, 32, 64, 128}, d))
        return std::string(what) + " " +
               (ShapedType::isDynamic(d) ? std::string("?")
                                         : std::to_string(d)) +
               " is not 16, 32, 64 or 128 (a row must be a whole number of "
               "a warp's 16-byte copies)";
    // A lane reads at least a 32-bit word of codes of a V row, D/8 codes.
    if (op.hasScales() && (q.getDimSize(3) < 32 || v.getDimSize(3) < 32))
      return std::string("a quantized cache needs head_dim 32, 64 or 128 "
                         "(each lane reads whole 32-bit words of codes of a "
                         "row, an eighth of it)");
    int64_t columns = (rows + 15) / 16 * v.getDimSize(3);
    if (columns > kMaxAccColumns)
      return std::to_string((rows + 15) / 16) + " m-tiles of value head_dim " +
             std::to_string(v.getDimSize(3)) + " need " +
             std::to_string(columns / 2) +
             " accumulator registers per thread, more than " +
             std::to_string(kMaxAccColumns / 2);
    bool f32Scales =
        op.hasScales() &&
        cast<ShapedType>(op.getKeyScale().getType()).getElementType().isF32();
    DecodeShape shape =
        makeShape(rows, q.getDimSize(s), q.getDimSize(h) / k.getDimSize(h),
                  q.getDimSize(3), v.getDimSize(3), op.hasScales(), f32Scales,
                  kvStages, kvWarps, pairWarps);
    if (shape.sharedBytes() > kMaxSharedBytes)
      return std::to_string(shape.stages) + " copy stages (kv-stages) need " +
             std::to_string(shape.sharedBytes()) +
             " bytes of shared memory a block of " +
             std::to_string(shape.warps) + " warps (kv-warps), more than the " +
             std::to_string(kMaxSharedBytes) + " there are";
    return std::nullopt;
  }

  FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                          const FlashProblem &p) const override {
    DecodeShape shape = shapeOf(p, kvStages, kvWarps, pairWarps);
    FlashLaunch launch;
    launch.threads = shape.threads();
    launch.dynamicSharedBytes = shape.sharedBytes();
    auto c = [&](int64_t x) -> Value {
      return arith::ConstantIndexOp::create(b, loc, x);
    };
    // How finely the keys may be split, and the blocks a wave of them
    // takes.
    SplitFloor floor{kMinStreamTiles * shape.streams(), shape.tileKeys(),
                     kIdleMinStreamTiles * shape.streams(), smCount,
                     splitBlocksPerSM(shape) * smCount};
    auto k = cast<MemRefType>(p.key.getType());
    unsigned s = p.layout == Layout::BSHD ? 1 : 2, h = 3 - s;
    std::optional<int64_t> splits;
    if (kvSplits > 0)
      splits = kvSplits;
    // A KV cache read in place has its capacity as the static extent, not
    // the length it is attended over, which is known at run time only.
    else if (p.seqK == p.kvRows && !k.isDynamicDim(0) && !k.isDynamicDim(s) &&
             !k.isDynamicDim(h))
      splits = pickSplits(
          k.getDimSize(0) * k.getDimSize(h),
          (k.getDimSize(s) + shape.tileKeys() - 1) / shape.tileKeys(), floor);
    if (splits) {
      launch.gridX = c(*splits);
    } else {
      // Known only at run time: at least kMinStreamTiles tiles per
      // stream, or kIdleMinStreamTiles where that leaves SMs idle.
      launch.gridX = runtimeSplits(b, loc, p, floor);
    }
    if (splits == 1)
      return launch;
    allocSplitScratch(b, loc, p, launch.gridX, shape.mRows(), shape.valueDim,
                      launch);
    return launch;
  }

  void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                 const FlashLaunch &shape,
                 gpu::LaunchOp launch) const override {
    ImplicitLocOpBuilder ib(loc, b);
    // With per-sequence lengths, the block's sequence (block z) has its own
    // key range and causal diagonal; the split count stays the one sized
    // for the longest.
    FlashProblem seq = p.forSequence(b, loc, launch.getBlockIds().z);
    bool signal = dependentLaunch && !shape.scratch.empty();
    if (signal)
      nameKernel(launch, kPrimarySuffix);
    DecodeKernel(ib, seq, shape, shapeOf(p, kvStages, kvWarps, pairWarps))
        .build(launch, signal);
  }

  /// The combine kernel (SplitCombine.cpp), over the blocks' partials.
  void buildEpilogue(OpBuilder &b, Location loc, const FlashProblem &p,
                     const FlashLaunch &shape) const override {
    if (shape.scratch.empty())
      return;
    DecodeShape ds = shapeOf(p, kvStages, kvWarps, pairWarps);
    buildSplitCombine(b, loc, p, shape, shape.gridX, ds.seqQ, ds.group,
                      ds.valueDim, dependentLaunch);
  }

private:
  int64_t kvSplits, kvStages, kvWarps;
  bool pairWarps;
  int64_t smCount;
  bool dependentLaunch;
};
} // namespace

std::unique_ptr<FlashSchedule>
mlir::attn::createSm80DecodeSchedule(int64_t kvSplits, int64_t kvStages,
                                     int64_t kvWarps, bool pairWarps,
                                     int64_t smCount, bool dependentLaunch) {
  return std::make_unique<Sm80DecodeSchedule>(
      kvSplits, kvStages, kvWarps, pairWarps, smCount, dependentLaunch);
}
