//===- FlashSchedule.h - GPU schedules of the attention kernel ---*- C++
//-*-===//
//
// The interface between convert-attn-to-gpu and the kernels it can build.
// The pass owns what every kernel shares (operands to buffers, the output
// allocation, the gpu.launch over (blocks along x, KV heads, batch), the
// result); a schedule owns the launch shape, the kernel body and whatever
// runs after it (a combine kernel, say). Each schedule lives in its own file
// (ScalarFlash.cpp, Sm80Flash.cpp, Sm90Flash.cpp, Sm80Decode.cpp,
// Sm90Decode.cpp), the way Triton keeps one file per generation of matrix
// unit, with the larger kernels' builders beside them (DecodeKernel.h,
// Sm90KernelBuilder.h), and selectSchedule is the one place that chooses
// among them.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_FLASHSCHEDULE_H
#define LIB_CONVERSION_ATTNTOGPU_FLASHSCHEDULE_H

#include "attn/Conversion/AttnToGPU.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/FlashBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::attn {

/// What a schedule asks of the launch the pass builds.
struct FlashLaunch {
  /// Blocks along x; y runs over KV heads and z over the batch unless
  /// gridY and gridZ say otherwise (a persistent grid sets them to 1).
  Value gridX, gridY, gridZ;
  int64_t threads = 0;
  /// Bytes of dynamic shared memory (0 for none).
  int64_t dynamicSharedBytes = 0;
  /// Buffers of the launch's workgroup and private attributions, in order.
  SmallVector<Type> workgroupBuffers, privateBuffers;
  /// Device buffers the schedule allocated before the launch (for example
  /// the partial results of a split-KV kernel); the pass frees them after
  /// the epilogue.
  SmallVector<Value> scratch;
  /// Values the schedule built on the host for its kernel to read (for
  /// example the global addresses of TMA tensor maps).
  SmallVector<Value> kernelArguments;
};

class FlashSchedule {
public:
  virtual ~FlashSchedule() = default;

  /// The name `schedule=` selects it by.
  virtual StringRef getName() const = 0;

  /// The name and whatever options shape the kernel, for tools to report.
  virtual std::string getSummary() const { return getName().str(); }

  /// The summary for `op` in particular, whose keys and values are the
  /// first positions of a KV cache, read where they lie, if `keysInPlace`:
  /// what the kernel built for it will do.
  virtual std::string describeFor(AttentionOp op, bool keysInPlace) const {
    return getSummary();
  }

  /// Why the schedule cannot build a kernel for `op` (for example an element
  /// type it has no matrix instruction for), or nullopt when it can.
  virtual std::optional<std::string> whyUnsupported(AttentionOp op) const = 0;

  /// The launch shape for problem `p`, built before the launch.
  virtual FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                                  const FlashProblem &p) const = 0;

  /// The kernel body, at the start of `launch`'s body; the pass adds the
  /// terminator.
  virtual void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                         const FlashLaunch &shape,
                         gpu::LaunchOp launch) const = 0;

  /// Whatever runs after the launch and before the scratch buffers are
  /// freed, such as a second kernel that combines partial results.
  virtual void buildEpilogue(OpBuilder &b, Location loc, const FlashProblem &p,
                             const FlashLaunch &shape) const {}
};

/// One thread per query row on CUDA cores: the correctness baseline, and
/// the fallback for everything the tensor-core schedules do not cover.
std::unique_ptr<FlashSchedule> createScalarFlashSchedule(FlashTiles tiles,
                                                         int64_t threads);

/// FlashAttention-2 on Ampere-style tensor cores (mma.sync m16n8k16).
std::unique_ptr<FlashSchedule> createSm80FlashSchedule();

/// FlashAttention-3 on Hopper tensor cores (wgmma.mma_async, sm_90a): a
/// producer warpgroup copies the tiles for two consumer warpgroups. With
/// `smCount` > 0 the grid is persistent: at most one block per SM, each
/// looping over work items. With `tma` the producer copies the tiles with
/// TMA (one instruction per 64-column box, tensor maps built on the host)
/// rather than with every thread's cp.async. With `pInShared` P·V takes P
/// from shared memory (wgmma's SS form), where the softmax stores it, rather
/// than from registers (the RS form). With `itemOverlap` (persistent, TMA,
/// head dims up to 128) Q has two buffers and each consumer issues the
/// next item's first S before storing the current item's output. With
/// `tailSplit` (persistent, items of equal cost, static extents) the grid's
/// last round, where at most half full, has its items split over the keys
/// across the idle blocks, and the decode combine kernel merges their
/// partials. Where `planItems` says (persistent, causal or windowed, static
/// extents) each block takes the items that a grid taking the next item as
/// each block frees would give it, from a table built with the kernel.
/// With `tmaStore` (where Q has two buffers, P is in registers and no round
/// is split) each consumer writes its output rows into shared memory, from
/// which one thread stores them with TMA.
std::unique_ptr<FlashSchedule>
createSm90FlashSchedule(int64_t smCount, bool tma, bool pInShared,
                        bool itemOverlap, bool tailSplit, PlanItems planItems,
                        bool tmaStore);

/// Decode (few query rows per KV head, long caches) on mma.sync: the query
/// rows of a KV group packed into the matrix M, the keys split across warps
/// and blocks (flash-decoding) and the partial results combined. `kvSplits`
/// forces the number of blocks per (batch, KV head), 0 picks it from the
/// shape and `smCount`; `kvStages` forces the stages of each stream's copy
/// ring, 0 takes the default; `kvWarps` forces the warps of a block (4 or
/// 8), 0 takes the default; `pairWarps` gives two m-tiles a pair of warps
/// per stream of tiles. With `dependentLaunch` (sm_90 and later), a split
/// decode's two kernels are named for programmatic dependent launch
/// (attn/Runtime/DependentLaunch.h): the combine waits on the attention
/// kernel with griddepcontrol, so the runtime may launch it early.
std::unique_ptr<FlashSchedule>
createSm80DecodeSchedule(int64_t kvSplits, int64_t kvStages, int64_t kvWarps,
                         bool pairWarps, int64_t smCount, bool dependentLaunch);

/// Decode on the Hopper kernel of createSm90FlashSchedule (TMA, wgmma):
/// the query heads of a KV group packed into one Q tile that both consumer
/// warpgroups read, each taking half of V's columns, over blocks (split,
/// KV head, batch row) whose partials the decode combine kernel
/// (SplitCombine.h) merges. `kvSplits` and `smCount` as there; it needs `tma`.
/// With `alternate` (sm90-decode-alternate), the consumers take alternate
/// 64-key tiles instead, each over all of V's columns, each writing a
/// partial of its own.
std::unique_ptr<FlashSchedule>
createSm90DecodeSchedule(int64_t kvSplits, int64_t smCount, bool tma,
                         bool alternate, bool dependentLaunch);
/// Builds the schedule that `options.schedule` names for `op`, or, for
/// `auto`, the fastest one that covers it on `options.chip`. Fails with a
/// diagnostic on `op` when a named schedule does not cover it.
FailureOr<std::unique_ptr<FlashSchedule>>
selectSchedule(AttentionOp op, const FlashScheduleOptions &options);

/// A memref of `shape` in GPU address space `space`.
MemRefType gpuBufferType(ArrayRef<int64_t> shape, Type elt,
                         gpu::AddressSpace space);

/// A device allocation of `type`, in the synchronous form: the GPU
/// pipeline's gpu-async-region orders it on the stream of the kernels
/// around it.
Value allocDevice(OpBuilder &b, Location loc, MemRefType type,
                  ValueRange dynamicSizes);
/// Frees a buffer of allocDevice.
void freeDevice(OpBuilder &b, Location loc, Value buffer);

} // namespace mlir::attn

#endif // LIB_CONVERSION_ATTNTOGPU_FLASHSCHEDULE_H
