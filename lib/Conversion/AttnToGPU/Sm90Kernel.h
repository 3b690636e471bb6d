//===- Sm90Kernel.h - the wgmma/TMA kernel's entry points ------*- C++ -*-===//
//
// Sm90KernelBuilder.h builds one Hopper kernel (a TMA producer warpgroup,
// two wgmma consumer warpgroups) in two forms: prefill, behind the sm90
// schedule (Sm90Flash.cpp), and decode, behind the sm90-decode schedule
// (Sm90Decode.cpp), which owns its split count, scratch and combine. These
// are what the decode schedule needs of the kernel.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_SM90KERNEL_H
#define LIB_CONVERSION_ATTNTOGPU_SM90KERNEL_H

#include "FlashSchedule.h"

namespace mlir::attn {

/// Keys a K/V tile of the decode form holds: splits are whole tiles. The
/// alternate form (consumers taking alternate tiles) has smaller tiles in
/// more stages.
constexpr int64_t kSm90DecodeTileKeys = 128;
constexpr int64_t kSm90DecodeAlternateTileKeys = 64;
constexpr int64_t sm90DecodeTileKeys(bool alternate) {
  return alternate ? kSm90DecodeAlternateTileKeys : kSm90DecodeTileKeys;
}

/// Threads of a block: a producer warpgroup and two consumer warpgroups.
constexpr int64_t kSm90Threads = 384;

/// Bytes of dynamic shared memory of the decode form, for `packedRows`
/// query rows (at most 64) of head dims `headDim` and `valueDim` (128).
int64_t sm90DecodeSharedBytes(int64_t headDim, int64_t valueDim,
                              int64_t packedRows, bool alternate);

/// Builds the decode form's body into `launch`: block (s, h, b) attends the
/// `packedRows` query rows of KV head h of batch row b (its query heads at
/// the one query position, packed into a 64-row Q tile that both consumers
/// read) to split s of gridX over the keys, in whole tiles, and writes
/// its partials to `shape.scratch` as allocSplitScratch lays them out
/// (mRows 64): the first consumer half of V's columns, the second the
/// other. With `alternate`, consumer c takes tiles c, c + 2, ... of the
/// split instead, over all of V's columns, and writes its own partial, as
/// split 2 s + c of 2 gridX. `shape.kernelArguments` are the Q, K and V
/// tensor maps (buildSm90TensorMap; Q's box is the group's heads). With
/// `signalDependents`, every thread issues griddepcontrol.launch_dependents
/// once its loop is done.
void buildSm90DecodeKernel(OpBuilder &b, Location loc, const FlashProblem &p,
                           const FlashLaunch &shape, gpu::LaunchOp launch,
                           int64_t packedRows, bool alternate,
                           bool signalDependents);

/// The tensor map of `buffer`, the query, key or value of `p`: `heads`
/// heads of `width` elements at `seq` positions, `rows` apart (its extent
/// along the sequence), read in boxes of 64 elements by `boxRows`
/// positions of `boxHeads` heads. Positions from `seq` on (a KV cache's
/// unused capacity, a partial last tile) arrive as zeros, as cp.async's
/// zero-filled rows do. Built on the host through the runtime's
/// attnGpuTensorMap4d, which declareSm90TensorMapCall declares.
Value buildSm90TensorMap(OpBuilder &b, Location loc, const FlashProblem &p,
                         Value buffer, Value seq, Value rows, Value heads,
                         int64_t width, int64_t boxRows, int64_t boxHeads = 1);

/// Declares attnGpuTensorMap4d in the module around `b`'s insertion point.
void declareSm90TensorMapCall(OpBuilder &b, Location loc);

} // namespace mlir::attn

#endif // LIB_CONVERSION_ATTNTOGPU_SM90KERNEL_H
