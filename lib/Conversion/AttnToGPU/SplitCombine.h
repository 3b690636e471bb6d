//===- SplitCombine.h - split-KV partials and their combine -----*- C++ -*-===//
//
// What the decode schedules share when they split the keys of a (batch, KV
// head) over blocks (flash-decoding): how many splits to make, the scratch
// the blocks write their partial results to, and the second kernel that
// combines them. A block's rows are the packed query rows of one KV group
// (query heads times query positions, padded to mRows). The block of split
// s writes, for each row, [b, kvHead, s, row, :] of both scratch buffers:
// the max of its scaled scores, the sum of exp(score - max) over its keys
// and the accumulator weighted alike, unnormalized; a row that saw no key
// has max -inf and sum 0. The sm90 prefill schedule's split last round
// writes its partials the same way, [item, 0, part, row, :], and the same
// kernel combines them.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_SPLITCOMBINE_H
#define LIB_CONVERSION_ATTNTOGPU_SPLITCOMBINE_H

#include "FlashSchedule.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::attn {

/// Partials per row of a split of the keys: max and sum.
constexpr int64_t kSplitStats = 2;

/// How far a decode schedule splits the keys: the fewest tiles (or keys)
/// a block keeps, the lower floor it may drop to where the first would
/// leave SMs idle, and the device it fills.
struct SplitFloor {
  /// Key tiles a block keeps at least, and the keys they hold.
  int64_t minTiles, tileKeys;
  /// The floor where `minTiles` would leave half the SMs idle or more:
  /// the grid then grows toward one block per SM, down to this many tiles
  /// a block.
  int64_t idleMinTiles;
  /// Multiprocessors, and the blocks the device holds at once.
  int64_t sms, slots;
};

/// Blocks per (batch, KV head) for `units` such pairs and `tiles` key tiles
/// each: the fewest splits whose last wave of `floor.slots` is at least 95%
/// full (within 95% of the best such fill), keeping at least
/// `floor.minTiles` tiles per block. Where that floor allows so few splits
/// that half the SMs or more would be idle, as many splits as give one
/// block per SM instead, keeping at least `floor.idleMinTiles` tiles.
int64_t pickSplits(int64_t units, int64_t tiles, const SplitFloor &floor);

/// The split count where the key length or the number of (batch, KV head)
/// pairs is known only at run time: the most splits whose blocks fit in
/// one wave of `floor.slots`, leaving at least `floor.minTiles` tiles per
/// block (or, where that leaves half the SMs idle, the lower floor as in
/// pickSplits), and at least 1.
Value runtimeSplits(OpBuilder &b, Location loc, const FlashProblem &p,
                    const SplitFloor &floor);

/// Allocates the scratch of `splits` blocks for each of `outer` x `inner`
/// units and appends it to `launch.scratch`: the partial accumulators,
/// [outer, inner, splits, mRows, valueDim] f32, then their max and sum,
/// [outer, inner, splits, mRows, kSplitStats] f32.
void allocPartials(OpBuilder &b, Location loc, Value outer, Value inner,
                   Value splits, int64_t mRows, int64_t valueDim,
                   FlashLaunch &launch);

/// allocPartials for `splits` blocks per (batch, KV head): [B, Hkv,
/// splits, mRows, ...].
void allocSplitScratch(OpBuilder &b, Location loc, const FlashProblem &p,
                       Value splits, int64_t mRows, int64_t valueDim,
                       FlashLaunch &launch);

/// Stores the (max, sum) of packed row `row` of split `split` of the
/// (batch `bi`, `kvHead`) pair into `stats`, allocSplitScratch's second
/// buffer.
void storeSplitStats(OpBuilder &b, Location loc, Value stats, Value bi,
                     Value kvHead, Value split, Value row, Value max,
                     Value sum);

/// Where a combine block writes its row: the output's batch row, query
/// position and query head, where `written` holds (null: always).
struct CombineRow {
  Value batchRow, position, head, written;
};
/// Builds, inside the combine kernel, where block (x, y, z) writes.
using CombineOutput = llvm::function_ref<CombineRow(ImplicitLocOpBuilder &b,
                                                    Value x, Value y, Value z)>;

/// Launches the kernel that combines the `splits` partials in the first two
/// buffers of `launch.scratch` (allocPartials'): block (x, y, z) of the
/// (gridX, gridY, gridZ) grid folds row x of [z, y, :, x, :] and writes it
/// where `output` says; `schedule` names it (the attn.schedule attribute).
/// With `dependentLaunch` it is named and waits as the
/// dependent of a programmatic dependent launch
/// (attn/Runtime/DependentLaunch.h): the kernel that wrote the partials
/// must then be named with kPrimarySuffix and may signal with
/// griddepcontrol.launch_dependents.
void buildCombine(OpBuilder &b, Location loc, const FlashProblem &p,
                  const FlashLaunch &launch, Value splits, Value gridX,
                  Value gridY, Value gridZ, int64_t valueDim,
                  bool dependentLaunch, StringRef schedule,
                  CombineOutput output);

/// buildCombine for a split decode (allocSplitScratch's partials): a block
/// per packed row of a KV group, group x seqQ of them (row r is query head
/// kvHead * group + r / seqQ at position r % seqQ), per KV head and batch
/// row.
void buildSplitCombine(OpBuilder &b, Location loc, const FlashProblem &p,
                       const FlashLaunch &launch, Value splits, int64_t seqQ,
                       int64_t group, int64_t valueDim, bool dependentLaunch);

/// Names the kernel that `launch` becomes as outlining would
/// (<function>_kernel), with the runtime's `suffix` (kPrimarySuffix or
/// kDependentSuffix).
void nameKernel(gpu::LaunchOp launch, const char *suffix);

} // namespace mlir::attn

#endif // LIB_CONVERSION_ATTNTOGPU_SPLITCOMBINE_H
