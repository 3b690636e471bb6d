//===- Passes.td - attn-mlir conversion passes -------------*- tablegen -*-===//
//
// Conversions out of the attn dialect, one folder each under lib/Conversion.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToGPUPass : Pass<"convert-attn-to-gpu"> {
  let summary = "Lower attention to a FlashAttention-2 gpu.launch kernel";
  let description = [{
    Replaces every `attn.attention` with one `gpu.launch` that runs the
    FlashAttention-2 algorithm of `attn-tile-attention`: a block per
    (blocks along x, KV head, batch), each K/V tile staged once in workgroup
    (shared) memory, causal and window attention skipping whole KV tiles
    outside the block's range and masking only boundary tiles. Inputs are read
    in place (the function's memrefs must live in device memory) and the
    output is allocated with `gpu.alloc`. head_dim and the value head_dim
    must be static. The launch carries `attn.schedule`, the name of the
    schedule that built it.

    `schedule` picks the kernel:

    * `scalar`: one thread per query row on CUDA cores, keeping its running
      max, sum and accumulator in private memory; the rows of a block are the
      q-tile rows of every query head of the group, so they share each K/V
      tile (GQA packing), taken `threads` at a time. `q-tile`, `kv-tile` and
      `threads` shape it. It runs any element type and is the baseline the
      others are measured against.
    * `sm80`: FlashAttention-2 on tensor cores (`mma.sync` m16n8k16, f32
      accumulation) for f16 and bf16 with head_dim and value head_dim
      multiples of 16 up to 256: 4 warps of 32 query rows (two m16 tiles)
      where both head dims are at most 128, else of 16 rows, and 32-key K/V
      tiles; the tiles are copied with `cp.async` into
      padded shared memory two stages deep, read with `ldmatrix`, the online
      softmax runs on the accumulator fragments and P stays in registers for
      P·V. One block per (128 or 64 query positions, query head); the heads
      of a group read the same K/V tiles through L2.
    * `decode`: split-KV (flash-decoding) attention for few query rows per
      KV head, such as one new token against a long cache: the query rows of
      a KV group (query heads times query positions, up to 64) are packed
      into the M of `mma.sync`, so one read of each K/V tile serves them
      all. Each of a block's 4 warps (8 with `kv-warps=8`) streams its own
      32-key tiles (16 from 17 rows on, unless the cache is quantized)
      through a 3-stage `cp.async` pipeline (`kv-stages` sets 2 to 8
      stages; 32-key tiles become 16 where that many stages or warps of 32
      keys would not fit, and a count that fits in no way is a reason the
      schedule does not cover the op). With `kv-pair-warps` (off by
      default, experimental: on an H100 it was no faster, and
      compute-sanitizer's racecheck reports hazards in it), two m-tiles
      (17 to 32 rows, MQA's 32) take a pair of warps per stream of tiles
      instead, each
      copying half of every tile and taking one m-tile's products and
      softmax, meeting at a named barrier a tile (MQA bf16: 128 registers
      and three blocks an SM, where one warp on both m-tiles has 254 and
      two). The warps' partial
      results are combined in shared memory, and, when the keys are split
      over several blocks (`kv-splits`, by default chosen from the shape and
      `sm-count` to fill the device: with one m-tile a warp, every block an
      SM holds; from two on, one block an SM, which ran MQA 9-10% faster in
      bf16 on an H100, 2026-12-07), a second kernel combines
      the blocks' partials: a block per query row with a warp per 8 splits
      (16 at most), each lane reading its value columns of a split as one
      vector load, each warp folding its 8 splits a round with one rescale
      (5.2 us after a 31 us attention kernel at MQA, batch 1, 128k keys,
      where a warp per 4 splits with a scalar load a lane took 10.7 us;
      H100, 2026-12-06). From
      two m-tiles on (17 to 64 rows, MQA's 32 among them) the online
      softmax moves a warp's running maxes only when a row would outgrow
      its max by more than 2^8, leaving the accumulators alone otherwise,
      and a quantized cache's f32 scales come through the stages with the
      codes. Needs f16 or bf16, static query length and head counts, head
      dims of 16, 32, 64 or 128, and at most 256 accumulator columns per
      thread (query rows / 16 times value head_dim).
    * `sm90`: FlashAttention-3's structure on Hopper's `wgmma.mma_async`
      (chip sm_90a only). A producer warpgroup copies Q and the K/V tiles
      (128 keys, 64 above head_dim 128) into a two-stage ring of 128-byte
      swizzled shared memory that the wgmma descriptors address directly,
      and hands them over on mbarriers; two consumer warpgroups, each
      owning 64 query rows as the M of its products, issue Q·Kᵀ of tile t
      (both operands in shared memory) before P·V of tile t - 1 (P from
      registers), run the softmax under that P·V, and take turns issuing
      their products. setmaxnreg moves registers from the producer to the
      consumers. Needs f16 or bf16 and head dims of 64, 128 or 256. With
      `tma` (the default), one producer thread copies the tiles with TMA
      (`cp.async.bulk.tensor`, one instruction per 64-column box,
      completing on the full mbarriers) from tensor maps that the host
      builds before the launch through the runtime's `attnGpuTensorMap4d`,
      and the consumers get 240 registers (the producer keeps 24); with
      `tma=false`, every producer thread copies with `cp.async` and the
      consumers get 224, measured 7-16% slower (H100, 2026-12-05). From
      four K/V tiles of keys (or a dynamic key length) the grid is
      persistent (with
      `tma=false`, up to head_dim 128 only: above, the loop state does not
      fit 224 registers): `sm-count` blocks at most, each looping over
      (q-tile, head, batch) items in the order of the one-block-per-item
      grid (every other round reversed where items differ in length and
      8 gcd(grid, query blocks of a KV head) exceeds those query blocks,
      or a planned order, below), the stage ring running on across
      items, so the producer copies
      the next item's Q and tiles while the consumers finish. With TMA and
      head dims up to 128, `item-overlap` (the default) gives Q two
      buffers and has each consumer issue the next item's first S before
      it stores the current item's output: measured 0.4-9% faster (H100,
      2026-12-06); `item-overlap=false` stores first. There, with P in
      registers, `tma-store` (the default;
      `tma-store=false` has each thread store its own rows) has each
      consumer write its output rows into a shared-memory tile, which one
      of its threads stores with TMA: 2-10% faster on an H100
      (2026-12-07). With `tail-split`
      (off by default: correct, but not a clear gain; with the tile
      loop on the uniform datapath 1% faster at B4×4k and 1-4% slower
      at B16×1k and head_dim 64, H100, 2026-12-07), where the items cost
      the same (no causal mask, window or per-sequence lengths), every
      extent is static and the grid's last round is at most half full
      (4096 items on 132 SMs: 31 rounds, then 4 items while 128 blocks
      wait), each item of that round is split over its keys into parts
      of whole tiles that the idle blocks take; each part writes a
      partial, and the decode combine kernel, launched as a programmatic
      dependent, writes those items' rows. With `plan-items=always`,
      where items differ in length by a causal mask or a window and
      every extent is static, each
      block takes the items that a grid taking the next item as each
      block frees would give it (each item costing its K/V tiles plus
      one), from a table built with the kernel (a constant global the
      kernel reads), rather than every grid-th item: by that cost the
      largest block of causal B4×4k and B1×16k drops from 1.031 of the
      mean to 1.002 and 1.001. Measured on an H200 (2026-12-07) that
      gained 2.1-2.3% there but lost 2.9% at B16×1k, where the model
      gains 0.6%; `plan-items=auto` (the default) takes the plan only
      where it makes the largest block 2% smaller or more. With
      `p-in-shared`, each consumer stores P into a 128-byte swizzled tile
      of its own once the previous P·V is done, and P·V takes both
      operands from shared memory, the form upstream
      `nvgpu.warpgroup.mma` has; up to head_dim 128 the default keeps P
      in registers (the register-A form, inline PTX), which holds 32 more
      registers across the overlap but stores nothing, and was measured
      0-8% faster (H100, 2026-12-05). Above head_dim 128, P in registers
      spilled and ran 0.5-5% slower, so P always goes through shared
      memory there.
    * `sm90-decode`: the `decode` problem on the `sm90` kernel (sm_90a,
      TMA): the query heads of a KV group at the one query position packed
      into a 64-row Q tile (one TMA box) that both consumer warpgroups
      read, each taking half of V's columns; 128-key tiles through a
      three-stage ring; blocks (split, KV head, batch row), every one
      writing its partials for `decode`'s combine kernel (a programmatic
      dependent). Head dims 128, one query position, no additive mask,
      window, per-sequence lengths or scales. On an H100 (2026-12-06) it
      ran KV groups of 1 to 4 query heads 1-5% faster than `decode`, 8:1
      about even, 16:1 4% slower and MQA at batch 1 12-19% slower.
    * `sm90-decode-alternate` (experimental, named only): `sm90-decode`
      with the consumers taking alternate 64-key tiles of a six-stage
      ring, each over all of V's columns, without turns, each writing a
      partial of its own (so `kv-splits=N` makes 2N partials for the
      combine), so that no S is computed twice; meant for
      MQA, where `sm90-decode` at one block an SM read about 35 GB/s a
      block (bench/NOTES.md), both consumers computing the same S. Its
      CUDA test passed on an H100 (2026-12-06), but it ran MQA decode no
      faster than `sm90-decode` (−2% to 0%) and 13% slower than `decode`
      at batch 1.
    * `auto` (the default): on sm_90a, `sm90-decode` where a KV group has
      at most 4 query heads and `kv-stages` and `kv-pair-warps` are not
      given (both ask for `decode`); then, on sm_80 or later, `decode`
      where it covers the op, else (on sm_90a) `sm90`, else `sm80`, else
      `scalar`: the first that covers the op. `sm90` was faster than
      `sm80` on every prefill shape measured (bench/NOTES.md).
  }];
  let options = [
    Option<"schedule", "schedule", "std::string", /*default=*/"\"auto\"",
           "Kernel schedule: auto, scalar, sm80, decode, sm90, sm90-decode "
           "or sm90-decode-alternate">,
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "Target chip; auto picks the schedule from it">,
    Option<"qTile", "q-tile", "int64_t",
           /*default=*/"::mlir::attn::kDefaultQTile",
           "Query positions per tile (scalar schedule)">,
    Option<"kvTile", "kv-tile", "int64_t",
           /*default=*/"::mlir::attn::kDefaultGPUKVTile",
           "Keys per K/V tile in shared memory (scalar schedule)">,
    Option<"threads", "threads", "int64_t",
           /*default=*/"::mlir::attn::kDefaultGPUThreads",
           "Threads per block (scalar schedule)">,
    Option<"kvSplits", "kv-splits", "int64_t", /*default=*/"0",
           "Blocks per (batch, KV head) of the decode schedule; 0 picks "
           "them from the shape and sm-count">,
    Option<"kvStages", "kv-stages", "int64_t", /*default=*/"0",
           "Stages of each warp's cp.async ring in the decode schedule, 2 to "
           "8; 0 takes the default (3)">,
    Option<"kvWarps", "kv-warps", "int64_t", /*default=*/"0",
           "Warps of a block of the decode schedule, each its own stream "
           "of key tiles: 4 or 8; 0 takes the default (4)">,
    Option<"kvPairWarps", "kv-pair-warps", "bool", /*default=*/"false",
           "decode: two m-tiles (17 to 32 rows, MQA's 32) take a pair of "
           "warps per stream of tiles, one m-tile each (experimental: no "
           "faster, racecheck hazards)">,
    Option<"smCount", "sm-count", "int64_t", /*default=*/"0",
           "Multiprocessors the decode grid is sized for; 0 takes the "
           "usual count of the chip's generation">,
    Option<"tma", "tma", "bool", /*default=*/"true",
           "sm90: copy the tiles with TMA from host-built tensor maps; "
           "false copies them with cp.async. Other schedules ignore it">,
    Option<"pInShared", "p-in-shared", "bool", /*default=*/"false",
           "sm90: P·V reads P from shared memory (wgmma with both operands "
           "in shared memory) rather than from registers, at every head "
           "dim (above 128 it always does)">,
    Option<"itemOverlap", "item-overlap", "bool", /*default=*/"true",
           "sm90, persistent grid with TMA, head dims up to 128: two Q "
           "buffers, and each consumer issues the next item's first S "
           "before it stores the current item's output; false stores "
           "first. Other schedules ignore it">,
    Option<"tailSplit", "tail-split", "bool", /*default=*/"false",
           "sm90, persistent grid, items of equal cost (no causal mask, "
           "window or per-sequence lengths), static extents: a last round "
           "at most half full has its items split over the keys across "
           "the idle blocks, and a combine kernel merges their partials. "
           "Other schedules ignore it">,
    Option<"tmaStore", "tma-store", "bool", /*default=*/"true",
           "sm90, overlapped items (two Q buffers), P in registers: each "
           "consumer writes a whole item's output rows into shared memory "
           "and one of its threads stores them with TMA, rather than every "
           "thread storing its own. Other schedules ignore it">,
    Option<"planItems", "plan-items", "std::string", /*default=*/"\"auto\"",
           "sm90, persistent grid, causal or windowed prefill with static "
           "extents: always, each block takes the items that a grid taking "
           "the next item as each block frees would give it (by a cost of "
           "K/V tiles plus one), from a table built with the kernel, "
           "rather than every grid-th item; auto, where that makes the "
           "largest block's cost 2% smaller or more; never. Other "
           "schedules ignore it">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect"];
}

def MatmulToGPUPass : Pass<"attn-matmul-to-gpu", "::mlir::ModuleOp"> {
  let summary = "A model graph's projections as warp-per-column GPU kernels";
  let description = [{
    Run by `attn-to-nvvm-pipeline` after bufferization, before
    `convert-linalg-to-parallel-loops`: each host `linalg.matmul` of the
    form `C[m, n] += A[m, k] * B[n, k]` (a projection by a weight stored
    `[out, in]`, as a model graph's are) on static, identity-layout memrefs,
    with A and B of f16, bf16 or f32 and C of f32, becomes a `gpu.launch`
    in which a warp owns an output column: its lanes read `B[n, :]` on
    consecutive elements, so each weight byte is read once and coalesced,
    accumulate up to 8 rows of A at a time in f32, and fold their sums
    with shuffles; lane 0 adds the result into C. 4 warps to a block.
    Where a `linalg.fill` of 0.0 into C (a fresh allocation) comes right
    before the matmul, with nothing that touches memory in between, the
    kernel takes it over and stores its sums instead: one launch a
    projection, not two.

    This is the memory-bound shape of a decode step (few rows); a parallel
    loop with a thread per output element would have neighbouring threads
    read weight rows `K` elements apart. It uses no tensor cores, so a
    long prefill is still far from a GEMM's speed. Other matmuls are left
    for the parallel-loop kernels.

    With `cublas`, each such matmul is instead a host call of
    `attnGpuMatmulTransposedB(m, n, k, A, B, C, type)` (the runtime's
    `cublasGemmEx`, cuBLAS opened at run time, f32 accumulation), which
    waits for the product: the tensor-core path for a prefill, for the
    machines that have cuBLAS (for A and B of one type; a matmul of mixed
    types is a warp kernel). With `cublas-min-rows=R` as well, only the
    matmuls of at least R rows of A call cuBLAS, and the others (a decode
    step's, one row per sequence) stay warp kernels: on the H200, cuBLAS
    ran a 107M model's prefill 3.7x faster at batch 1, and the warp
    kernels its decode 1.9x faster (`bench/NOTES.md`, 2026-12-05).

    ```mlir
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %w : memref<1x64xbf16>, memref<128x64xbf16>)
        outs(%y : memref<1x128xf32>)
    // becomes gpu.launch blocks(32, 1, 1) threads(128, 1, 1) {
    //   scf.for %k = %lane to %c64 step %c32 ... gpu.shuffle xor ...
    // } {attn.schedule = "matmul-warp"}
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
  let options = [
    Option<"cublas", "cublas", "bool", /*default=*/"false",
           "Call cuBLAS (through the runtime) instead of emitting kernels">,
    Option<"cublasMinRows", "cublas-min-rows", "int64_t", /*default=*/"0",
           "With cublas: call cuBLAS only for matmuls of at least this many "
           "rows of A, and emit warp kernels for the others">
  ];
}

def ReductionsToGPUPass : Pass<"attn-reductions-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Row sums of a model graph as warp-per-row GPU kernels";
  let description = [{
    Run by `attn-to-nvvm-pipeline` after `attn-matmul-to-gpu`, before
    `convert-linalg-to-parallel-loops`: a host `linalg.generic` on static
    memrefs with one reduction dimension, one f32 output that the reduction
    dimension does not index, projected-permutation indexing maps, and a
    body that yields `%out + x` with `x` computed from the inputs alone (an
    RMSNorm's sum of squares, say) becomes a `gpu.launch` in which a warp
    owns an output element: its lanes stride the reduced dimension (so a
    row is read coalesced where that dimension is the innermost), each
    summing its share of `x` in a register, and the warp folds them with
    shuffles; lane 0 adds the total into the output, or stores it where the
    kernel takes over the zero fill just before. 4 warps to a block.

    As a parallel loop, the output element is one thread's serial loop
    over the whole row, loading and storing the sum in memory at each
    step: an RMSNorm of a decode step (one row of a few thousand) ran on
    one thread. The lanes' sums are added in another order than the loop's;
    the result differs by rounding only.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction"], ...}
        ins(%x : memref<1x64xbf16>) outs(%s : memref<1xf32>) {
    ^bb0(%in: bf16, %out: f32):
      %w = arith.extf %in : bf16 to f32
      %sq = arith.mulf %w, %w : f32
      %sum = arith.addf %out, %sq : f32
      linalg.yield %sum : f32
    }
    // becomes gpu.launch blocks(1, 1, 1) threads(128, 1, 1) {
    //   scf.for %k = %lane to %c64 step %c32 ... gpu.shuffle xor ...
    // } {attn.schedule = "reduce-warp"}
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def BuffersToGPUPass : Pass<"attn-buffers-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Move the host code's buffers of the GPU pipeline to the device";
  let description = [{
    After bufferization, the host functions of `attn-to-nvvm-pipeline` hold
    device pointers only: the entry's arguments and results live in device
    memory, and so must every buffer the host code makes. This pass, run
    between one-shot bufferization and kernel outlining, makes them so:

    * `memref.alloc` (a KV cache, a loop's output, the copy bufferization
      makes of a strided operand) becomes a `gpu.alloc`, and
      `memref.dealloc` a `gpu.dealloc`;
    * `memref.copy` (an append written into a cache, a slice inserted into
      a result) and `linalg.fill` (a cache created zeroed) become a
      `gpu.launch` with one thread per element, 256 to a block;
    * an `scf.parallel` without reductions (what
      `convert-linalg-to-parallel-loops`, which the pipeline runs first,
      makes of a model graph's elementwise ops, norms and any matmul
      `attn-matmul-to-gpu` did not take) becomes a
      `gpu.launch` with one thread per iteration, its body run with that
      iteration's induction variables (a reduction dimension stays a loop
      in the body);
    * `memref.get_global` (a constant tensor, which lives in host memory)
      is replaced by a device copy of it;
    * a host `memref.load` of a small buffer (static shape, identity
      layout, at most 4096 elements: per-sequence lengths that a KV cache
      guard checks) copies the buffer back to the host stack, waits, and
      reads the copy;

    and rejects, naming the op, any other host code that reads or writes a
    buffer (`memref.load` of a larger or dynamic buffer, `memref.store`,
    atomics, vector ops, a linalg op other than a fill, a parallel loop
    with reductions): it would dereference a device pointer on the CPU. Views (`subview`,
    `collapse_shape`, casts) and the kernels already in `gpu.launch` are
    left alone. The kernels it makes are correct, not fast.

    ```mlir
    // before                               // after
    %c = memref.alloc() : memref<1x64x2x64xf16>
                                            %c = gpu.alloc async [...] () : memref<1x64x2x64xf16>
    linalg.fill ins(%zero : f16)            gpu.launch blocks(...) threads(...) {
        outs(%c : memref<1x64x2x64xf16>)      ... memref.store %zero, %c[...]
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def HoistCacheChecksPass
    : Pass<"attn-hoist-cache-checks", "::mlir::func::FuncOp"> {
  let summary = "Move the KV cache bounds checks ahead of a block's GPU work";
  let description = [{
    Run by `attn-to-nvvm-pipeline` just before `gpu-async-region`, which
    makes the host wait for the device before any host op with side
    effects: each KV cache append and attend of a decode step has a bounds
    check, an `scf.if` around a call of the run-time hook
    `attnKVCacheError`, and each would otherwise cost a wait for every
    kernel launched before it, two a layer.

    A check reads only host integers (a position, a length, the capacity),
    and it changes no buffer: an out-of-range append or attend already
    writes or reads no token whatever the check does (attn-lower-kv-cache
    selects a count of 0). So each check, with the side-effect-free
    arithmetic it reads, moves ahead of the first GPU operation of its
    block (a launch, an allocation, a copy, a free, a wait), where no GPU
    work is pending yet; checks keep their order among themselves. A check
    that reads a value a GPU operation produces stays where it is.

    ```mlir
    // before                               // after
    gpu.launch_func @k::@k ...              scf.if %bad {
    %bad = arith.cmpi ... %pos ...            func.call @attnKVCacheError(...)
    scf.if %bad {                           }
      func.call @attnKVCacheError(...)      gpu.launch_func @k::@k ...
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def GPUModulesToBinariesPass
    : Pass<"attn-gpu-modules-to-binaries", "::mlir::ModuleOp"> {
  let summary = "Serialize every gpu.module to a gpu.binary, many at once";
  let description = [{
    What upstream `gpu-module-to-binary` does, with the modules serialized
    in parallel on the context's threads: a model graph lowers to hundreds
    of kernel modules, and each one's serialization (translation to LLVM
    IR, the NVPTX back end, and ptxas for `bin` and `fatbin`) is
    independent of the others. One after another they were most of a
    model's compile time.

    Each module becomes a `gpu.binary` of the same name in its place, with
    one object per target attribute, exactly as upstream; the diagnostics
    of a module that fails are its own, and the pass fails after all
    modules have been tried. `--mlir-disable-threading` serializes them one
    after another.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"fatbin\"",
           "The object format: isa (assembly), bin, fatbin or offload (LLVM "
           "bitcode)">,
    Option<"toolkitPath", "toolkit", "std::string", /*default=*/"\"\"",
           "The toolkit whose tools (ptxas, fatbinary) the targets use">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // ATTN_CONVERSION_PASSES_TD
