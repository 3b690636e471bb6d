//===- TileDefaults.h - default tiles and threads ---------------*- C++ -*-===//
//
// The one place the default tile sizes and thread counts are set: the
// passes' options (Passes.td), the pipelines' options and attn-runner's
// help all name these constants rather than repeating the numbers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_UTILS_TILEDEFAULTS_H
#define ATTN_DIALECT_ATTN_UTILS_TILEDEFAULTS_H

#include <cstdint>

namespace mlir::attn {

/// Query positions per tile (attn-tile-attention, the scalar GPU schedule).
inline constexpr int64_t kDefaultQTile = 64;
/// Keys per KV tile: on the CPU (attn-tile-attention) and in the scalar GPU
/// schedule's shared memory.
inline constexpr int64_t kDefaultCPUKVTile = 64;
inline constexpr int64_t kDefaultGPUKVTile = 32;
/// Threads per block of the scalar GPU schedule.
inline constexpr int64_t kDefaultGPUThreads = 128;

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_UTILS_TILEDEFAULTS_H
