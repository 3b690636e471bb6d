//===- AttnToGPU.h - choosing the attention kernel's schedule ----*- C++ -*-===//
//
// The part of convert-attn-to-gpu that tools see: which schedule the pass
// will build for an attention op, so that attn-runner can say what it ran.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_H
#define ATTN_CONVERSION_ATTNTOGPU_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/FlashBuilder.h"
#include "attn/Dialect/Attn/Utils/TileDefaults.h"

#include "llvm/ADT/STLExtras.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// The schedule options of convert-attn-to-gpu.
struct FlashScheduleOptions {
  /// auto, scalar, sm80, decode, sm90, sm90-decode or sm90-decode-alternate.
  std::string schedule = "auto";
  /// The chip the kernel is built for, e.g. sm_90a; auto picks from it.
  std::string chip = "sm_90a";
  /// Tiles and threads of the scalar schedule.
  int64_t qTile = kDefaultQTile, kvTile = kDefaultGPUKVTile,
          threads = kDefaultGPUThreads;
  /// Blocks per (batch, KV head) of the decode schedule; 0 picks them.
  int64_t kvSplits = 0;
  /// Stages of each warp's copy ring in the decode schedule; 0 takes the
  /// default.
  int64_t kvStages = 0;
  /// Warps of a block of the decode schedule (4 or 8); 0 takes the default.
  int64_t kvWarps = 0;
  /// Whether the decode schedule gives two m-tiles (MQA's 32 rows) a pair of
  /// warps per stream of tiles, one m-tile each (experimental: no faster
  /// than one warp on both on an H100, and racecheck reports hazards in it).
  bool kvPairWarps = false;
  /// Multiprocessors of the device that split-KV grids are sized for; 0
  /// takes the usual count of `chip`'s generation.
  int64_t smCount = 0;
  /// Whether the sm90 schedule copies its tiles with TMA, and whether its
  /// P·V reads P from shared memory rather than from registers.
  bool tma = false;
  bool pInShared = false;
  /// Whether the sm90 schedule's persistent grid keeps two Q buffers and
  /// issues each item's first S under the previous item's stores.
  bool itemOverlap = false;
  /// Whether the sm90 schedule's persistent grid splits a last round that
  /// is at most half full over the keys of its items.
  bool tailSplit = false;
  /// Whether the sm90 schedule's overlapped items stage their output in
  /// shared memory and store it with TMA.
  bool tmaStore = false;
  /// Where the sm90 schedule's persistent grid takes causal or windowed
  /// items in a planned order (a table built with the kernel): auto (where
  /// the plan balances the blocks clearly better than the grid's own
  /// order), always or never.
  std::string planItems = "auto";
};

/// Copies the schedule options that their holders name alike
/// (FlashScheduleOptions, the pass's options struct, the GPU pipeline's
/// options and attn-runner's) from `from` to `to`: all but the chip and the
/// scalar schedule's tiles and threads, whose defaults and sources differ by
/// holder. A new schedule option is listed here once, not at every place
/// that passes the options on. (The pass reads its own options by hand:
/// they are protected members of its generated base.)
template <typename From, typename To>
void copySchedulingOptions(const From &from, To &to) {
  to.schedule = from.schedule;
  to.kvSplits = from.kvSplits;
  to.kvStages = from.kvStages;
  to.kvWarps = from.kvWarps;
  to.kvPairWarps = from.kvPairWarps;
  to.smCount = from.smCount;
  to.tma = from.tma;
  to.pInShared = from.pInShared;
  to.itemOverlap = from.itemOverlap;
  to.tailSplit = from.tailSplit;
  to.tmaStore = from.tmaStore;
  to.planItems = from.planItems;
}

/// The largest q-tile and kv-tile the scalar schedule takes, the same bound
/// as the CPU loops'. It is a coarse range: whether a tile fits the chip's
/// shared memory is checked per op, against its element type and head_dim.
/// CUDA blocks have at most 1024 threads.
inline constexpr int64_t kMaxScheduleTile = kMaxFlashTile;
inline constexpr int64_t kMaxScheduleThreads = 1024;
/// The most key splits (and SMs) the decode schedule is sized for.
inline constexpr int64_t kMaxKVSplits = 4096;
/// The decode schedule's copy stages a warp may ring through.
inline constexpr int64_t kMinKVStages = 2, kMaxKVStages = 8;

/// Why `options` cannot configure convert-attn-to-gpu (an unknown schedule
/// or chip, a tile or thread count out of range), naming the option and the
/// values it takes; nullopt when they can. The pass and the GPU pipeline
/// both check this before building anything.
std::optional<std::string>
validateScheduleOptions(const FlashScheduleOptions &options);

/// The names `schedule=` accepts, as error messages list them.
inline constexpr const char *kScheduleNames =
    "auto, scalar, sm80, decode, sm90, sm90-decode, sm90-decode-alternate";
inline bool isScheduleName(llvm::StringRef name) {
  llvm::SmallVector<llvm::StringRef> names;
  llvm::StringRef(kScheduleNames).split(names, ", ");
  return llvm::is_contained(names, name);
}

/// What convert-attn-to-gpu builds for `op` under `options`: the schedule's
/// name, followed by why `auto` fell back when it did (e.g. "scalar (sm80
/// does not cover f32 inputs)"); an error message prefixed with "error: "
/// when the named schedule cannot be built.
std::string describeSchedule(AttentionOp op,
                             const FlashScheduleOptions &options);

/// The SM version of a chip name such as sm_90a (90), or nullopt when the
/// name is not of the form sm_<digits>[a|f].
std::optional<int> parseChip(llvm::StringRef chip);

/// Where the sm90 schedule plans a persistent grid's causal or windowed
/// items (the plan-items option).
enum class PlanItems { Auto, Always, Never };

/// The PlanItems that `name` (auto, always or never) names, or nullopt.
std::optional<PlanItems> parsePlanItems(llvm::StringRef name);

} // namespace mlir::attn

#endif // ATTN_CONVERSION_ATTNTOGPU_H
