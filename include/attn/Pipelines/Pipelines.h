//===- Pipelines.h - attn-mlir named pipelines -------------------*- C++ -*-===//
//
// The named pipelines that take the attn dialect all the way down: to LLVM
// for the CPU, and to NVVM with an embedded GPU binary for NVIDIA GPUs.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PIPELINES_PIPELINES_H
#define ATTN_PIPELINES_PIPELINES_H

#include "attn/Conversion/AttnToGPU.h"
#include "attn/Dialect/Attn/Utils/TileDefaults.h"

#include "mlir/Pass/PassOptions.h"

#include <optional>
#include <string>

namespace mlir {
class OpPassManager;

namespace attn {

/// Options of `attn-to-llvm-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<int64_t> qTile{*this, "q-tile",
                                     llvm::cl::desc("Query positions per tile"),
                                     llvm::cl::init(kDefaultQTile)};
  PassOptions::Option<int64_t> kvTile{*this, "kv-tile",
                                      llvm::cl::desc("Keys per KV tile"),
                                      llvm::cl::init(kDefaultCPUKVTile)};
  PassOptions::Option<bool> genericAllocation{
      *this, "generic-alloc",
      llvm::cl::desc("Allocate through _mlir_memref_to_llvm_alloc/_free "
                     "rather than malloc/free, for a runtime that tracks "
                     "the buffers compiled code leaves allocated"),
      llvm::cl::init(false)};
};

/// Options of `attn-to-nvvm-pipeline`.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("GPU architecture"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX features (sm_90a needs +ptx80)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<int> optLevel{
      *this, "opt-level", llvm::cl::desc("Optimization level of the NVPTX "
                                         "backend"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Binary format: isa (PTX), bin (cubin) or fatbin"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<std::string> schedule{
      *this, "schedule",
      llvm::cl::desc("Kernel schedule: auto, scalar, sm80, decode, sm90, "
                     "sm90-decode or sm90-decode-alternate "
                     "(see convert-attn-to-gpu)"),
      llvm::cl::init("auto")};
  PassOptions::Option<int64_t> qTile{
      *this, "q-tile",
      llvm::cl::desc("Query positions per tile (scalar schedule)"),
      llvm::cl::init(kDefaultQTile)};
  PassOptions::Option<int64_t> kvTile{
      *this, "kv-tile",
      llvm::cl::desc("Keys per shared-memory K/V tile (scalar schedule)"),
      llvm::cl::init(kDefaultGPUKVTile)};
  PassOptions::Option<int64_t> threads{
      *this, "threads", llvm::cl::desc("Threads per block (scalar schedule)"),
      llvm::cl::init(kDefaultGPUThreads)};
  PassOptions::Option<int64_t> kvSplits{
      *this, "kv-splits",
      llvm::cl::desc("Blocks per (batch, KV head) of the decode schedule; 0 "
                     "picks them"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kvStages{
      *this, "kv-stages",
      llvm::cl::desc("Stages of each warp's copy ring in the decode "
                     "schedule; 0 takes the default"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kvWarps{
      *this, "kv-warps",
      llvm::cl::desc("Warps of a block of the decode schedule, 4 or 8; 0 "
                     "takes the default"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> kvPairWarps{
      *this, "kv-pair-warps",
      llvm::cl::desc(
          "Decode schedule: two m-tiles take a pair of warps per "
          "stream of tiles (experimental: no faster, racecheck hazards)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> smCount{
      *this, "sm-count",
      llvm::cl::desc("Multiprocessors the decode grid is sized for; 0 takes "
                     "the chip generation's usual count"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> tma{
      *this, "tma",
      llvm::cl::desc("sm90 schedule: copy the tiles with TMA from host-built "
                     "tensor maps (raises the features' PTX version to at "
                     "least 8.3 on sm_90a); false copies them with cp.async. "
                     "Other schedules ignore it"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> pInShared{
      *this, "p-in-shared",
      llvm::cl::desc("sm90 schedule: P·V reads P from shared memory rather "
                     "than from registers, at every head dim (above 128 it "
                     "always does)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> itemOverlap{
      *this, "item-overlap",
      llvm::cl::desc("sm90 schedule, persistent grid with TMA, head dims up "
                     "to 128: two Q buffers, and the next item's first S "
                     "issued before the current item's output is stored; "
                     "false stores first. Other schedules ignore it"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> tmaStore{
      *this, "tma-store",
      llvm::cl::desc("sm90 schedule, overlapped items (two Q buffers), P in "
                     "registers: each consumer writes a whole item's output "
                     "rows into shared memory and one of its threads stores "
                     "them with TMA. Other schedules ignore it"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> tailSplit{
      *this, "tail-split",
      llvm::cl::desc("sm90 schedule, persistent grid, items of equal cost "
                     "(no causal mask, window or per-sequence lengths), "
                     "static extents: a last round at most half full has "
                     "its items split over the keys across the idle blocks, "
                     "and a combine kernel merges their partials. Other "
                     "schedules ignore it"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> planItems{
      *this, "plan-items",
      llvm::cl::desc("sm90 schedule, persistent grid, causal or windowed "
                     "prefill with static extents: always, each block takes "
                     "the items that a grid taking the next item as each "
                     "block frees would give it (by a cost of K/V tiles "
                     "plus one), from a table built with the kernel, rather "
                     "than every grid-th item; auto, where that makes the "
                     "largest block's cost 2% smaller or more; never. Other "
                     "schedules ignore it"),
      llvm::cl::init("auto")};
  PassOptions::Option<std::string> matmul{
      *this, "matmul",
      llvm::cl::desc("A model graph's projections: warp (kernels with a warp "
                     "per output column), cublas (cublasGemmEx through the "
                     "runtime, cuBLAS opened at run time), or auto (cuBLAS "
                     "for a projection of at least 16 rows, a prefill's; "
                     "warp kernels for fewer, a decode step's)"),
      llvm::cl::init("warp")};
  PassOptions::Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit whose libdevice the kernels link "
                     "(default: $CUDA_HOME, then /usr/local/cuda)"),
      llvm::cl::init("")};

  /// The first option whose value is out of range, as a message naming the
  /// option and the values it takes; nullopt when all are valid. A pipeline
  /// builder cannot fail, so the pipeline's registration and attn-runner
  /// check this before they build it.
  std::optional<std::string> validate() const;

  /// The options of convert-attn-to-gpu that these set.
  FlashScheduleOptions scheduleOptions() const {
    FlashScheduleOptions options;
    copySchedulingOptions(*this, options);
    options.chip = chip;
    options.qTile = qTile;
    options.kvTile = kvTile;
    options.threads = threads;
    return options;
  }
};

/// The passes both pipelines start with, which leave every attention an
/// attn.attention: KV caches lowered to tensors (an attend becomes an
/// attention over the cache's prefix), upstream attention raised, and
/// repeat_kv fused into grouped attention. Tools that ask which schedule an
/// attention will get run these on a copy first.
void addAttentionFrontPasses(OpPassManager &pm);

/// attn dialect on tensors -> host LLVM dialect plus a `gpu.binary` with
/// the attention kernels for `chip`.
void buildAttnToNVVMPipeline(OpPassManager &pm,
                             const GPUPipelineOptions &options);

/// attn dialect on tensors -> LLVM dialect, through the tiled loop form:
/// the two halves below, one after the other.
void buildAttnToLLVMPipeline(OpPassManager &pm,
                             const CPUPipelineOptions &options);

/// The first half: KV caches lowered, attention raised, fused and tiled, and
/// everything bufferized to memrefs and loops. A caller can change the
/// function boundaries here (attn-runner turns results into out-parameters)
/// before the second half.
void buildAttnToCPULoopsPipeline(OpPassManager &pm,
                                 const CPUPipelineOptions &options);

/// The second half: memrefs, loops and arith/math down to the LLVM dialect;
/// with `genericAllocation`, buffers come from the generic allocation
/// functions (see CPUPipelineOptions::genericAllocation).
void buildCPULoopsToLLVMPipeline(OpPassManager &pm,
                                 bool genericAllocation = false);

/// Bufferizes a module whose attention has been lowered: tensors become
/// memrefs with identity layouts at function boundaries, so callers pass
/// plain strided buffers. Leftover linalg ops and copies become host loops
/// on the CPU (`forGPU` false), kernels on device buffers for the GPU
/// (attn-buffers-to-gpu), the projections warp kernels or, for those of
/// at least `cublasFromRows` rows where given, cuBLAS calls
/// (attn-matmul-to-gpu).
void addBufferizationPasses(OpPassManager &pm, bool forGPU = false,
                            std::optional<int64_t> cublasFromRows = {});

/// Registers every named pipeline with the pass registry.
void registerAttnPipelines();

} // namespace attn
} // namespace mlir

#endif // ATTN_PIPELINES_PIPELINES_H
