// RUN: attn-opt %s --convert-attn-to-gpu -split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="kv-splits=1" -split-input-file | FileCheck %s --check-prefix=ONE
// RUN: attn-opt %s --convert-attn-to-gpu="sm-count=8" -split-input-file | FileCheck %s --check-prefix=SMALL
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=decode" -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=FORCED
// RUN: not attn-opt %s --convert-attn-to-gpu="kv-splits=-1" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not attn-opt %s --convert-attn-to-gpu="sm-count=5000" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: attn-opt %s --convert-attn-to-gpu="kv-stages=6" -split-input-file | FileCheck %s --check-prefix=STAGES
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=decode kv-stages=8" -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=DEEP
// RUN: not attn-opt %s --convert-attn-to-gpu="kv-stages=1" 2>&1 | FileCheck %s --check-prefix=STAGES-RANGE
// RUN: not attn-opt %s --convert-attn-to-gpu="kv-stages=9" 2>&1 | FileCheck %s --check-prefix=STAGES-RANGE
// RUN: attn-opt %s --convert-attn-to-gpu="kv-pair-warps=true" -split-input-file | FileCheck %s --check-prefix=PAIR
// RUN: attn-opt %s --convert-attn-to-gpu="kv-warps=8" -split-input-file | FileCheck %s --check-prefix=WARPS
// RUN: not attn-opt %s --convert-attn-to-gpu="kv-warps=2" 2>&1 | FileCheck %s --check-prefix=WARPS-RANGE
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=decode kv-warps=8 kv-stages=6" -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=DEEP-WARPS
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_80" -split-input-file | FileCheck %s --check-prefix=SM80
// The decode schedule: auto picks it for at most 64 query rows per KV head
// (query heads per KV head times query positions) in f16/bf16 with head dims
// 16, 32, 64 or 128; the keys are split over blocks along x (a count picked
// from the shape and sm-count, or forced by kv-splits), and a second launch
// combines the blocks' partials unless there is only one.

// RANGE: error: convert-attn-to-gpu: kv-splits ({{-1|0}}) and sm-count ({{0|5000}}) must lie in [0, 4096]; 0 picks them from the shape and chip
// STAGES-RANGE: error: convert-attn-to-gpu: kv-stages ({{1|9}}) must be 0 (the default) or lie in [2, 8]
// WARPS-RANGE: error: convert-attn-to-gpu: kv-warps (2) must be 0 (the default), 4 or 8

// GQA 8:1 decode, bhsd (auto gives groups of at most 4 to sm90-decode on
// sm_90a; attn-to-gpu-sm90-decode.mlir): 8 x 4 (batch, KV head) pairs fill
// 4 x 32 of the 132 SMs of sm_90 with 4 splits each; each split's partials
// go to scratch.
// CHECK-LABEL: func.func @gqa_decode(
// CHECK:         %[[ACC:.+]] = gpu.alloc (%{{.+}}, %{{.+}}, %[[S:c4.*]]) : memref<?x?x?x16x128xf32>
// CHECK:         %[[STATS:.+]] = gpu.alloc (%{{.+}}, %{{.+}}, %[[S]]) : memref<?x?x?x16x2xf32>
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %[[S]], {{.+}}) threads({{.+}}) in (%{{.+}} = %c128{{.*}}, {{.+}}) dynamic_shared_memory_size %c213248_i32 function(@gqa_decode_kernel_pdl_primary)
// Q (16 rows padded by 8), then 4 warps x 3 stages x 32 keys of K and V.
// CHECK:           memref.view {{.+}} to memref<16x136xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<52224xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<52224xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.collapse_shape {{.+}} into memref<16777216xbf16>
// CHECK:           nvgpu.device_async_copy {{.+}} {bypassL1}
// CHECK:           nvvm.cp.async.wait.group 2
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK:             nvvm.cp.async.wait.group 1
// CHECK:             nvvm.bar.warp.sync
// CHECK:             nvgpu.ldmatrix {{.+}} {numTiles = 4 : i32, transpose = false}
// CHECK:             nvvm.mma.sync {{.+}} shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK:             llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:             nvgpu.ldmatrix {{.+}} {numTiles = 4 : i32, transpose = true}
// Past its loop, each block lets the combine kernel, a programmatic
// dependent (sm_90), be placed.
// CHECK:           nvvm.griddepcontrol launch_dependents
// CHECK:           nvvm.cp.async.wait.group 0
// The warps' partials meet in shared memory, in rows padded by 8 columns;
// one m-tile combines them an element at a time.
// CHECK:           %[[SACC:.+]] = memref.view {{.+}} to memref<4x16x136xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[SMAX:.+]] = memref.view {{.+}} to memref<4x16x2xf32, #gpu.address_space<workgroup>>
// CHECK:           memref.store {{.+}}, %[[SACC]]
// CHECK:           memref.store {{.+}}, %[[SMAX]]
// CHECK:           gpu.barrier
// CHECK:           memref.load %[[SACC]]
// CHECK:           memref.store {{.+}}, %[[ACC]]
// CHECK:           memref.store {{.+}}, %[[STATS]]
// CHECK:         } {attn.schedule = "decode"}
// The combine: a block per (row, KV head, batch), for the 8 real rows, with
// a warp per 8 splits (one for 4). Each round a warp loads 8 splits'
// (max, sum) pairs and 4 value columns a lane, as vectors, then folds them;
// the warps' folds meet in shared memory. Launched as a dependent, it
// waits for the attention kernel's end before anything else.
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c8{{.*}}, {{.+}}) threads({{.+}}) in (%{{.+}} = %c32{{.*}}, {{.+}}) function(@gqa_decode_kernel_pdl_dependent) workgroup(%[[FOLDS:.+]] : memref<16x130xf32, #gpu.address_space<workgroup>>)
// CHECK-NEXT:      nvvm.griddepcontrol wait
// CHECK:           scf.for %{{.+}} = %c0{{.*}} to %[[S]] step
// CHECK-COUNT-8:     vector.load %[[STATS]]{{.+}} {alignment = 8 : i64} : memref<?x?x?x16x2xf32>, vector<2xf32>
// CHECK:             vector.load %[[ACC]]{{.+}} {alignment = 16 : i64} : memref<?x?x?x16x128xf32>, vector<4xf32>
// CHECK:           memref.store {{.+}}, %[[FOLDS]]
// CHECK:           gpu.barrier
// CHECK:           memref.load %[[FOLDS]]
// CHECK:         } {attn.schedule = "decode-combine"}
// CHECK:         gpu.dealloc %[[ACC]]
// CHECK:         gpu.dealloc %[[STATS]]
// One split: the block writes the output itself, with no scratch, and
// nothing depends on it.
// ONE-LABEL: func.func @gqa_decode(
// ONE-NOT:     gpu.alloc {{.+}} : memref<?x?x?x
// ONE:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c1{{[_0-9]*}},
// ONE-NOT:     function(
// ONE-NOT:     griddepcontrol
// ONE-NOT:     decode-combine
// ONE:         } {attn.schedule = "decode"}
// ONE-NOT:     decode-combine
// ONE-LABEL: func.func @mqa_decode(
// Six stages: 32-key tiles would not fit, so each warp rings through six
// of 16 keys (the same bytes as three of 32), five of them in flight.
// STAGES-LABEL: func.func @gqa_decode(
// STAGES:         gpu.launch {{.+}} dynamic_shared_memory_size %c213248_i32
// STAGES:           nvvm.cp.async.wait.group 5
// STAGES:           scf.for
// STAGES:             nvvm.cp.async.wait.group 4
// STAGES-COUNT-16:    nvvm.mma.sync
// STAGES-NOT:         nvvm.mma.sync
// STAGES:             llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// Eight would not fit even at 16 keys.
// DEEP: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: 8 copy stages (kv-stages) need 282880 bytes of shared memory a block of 4 warps (kv-warps), more than the 232448 there are
// Eight warps' rings of six stages do not fit even at 16 keys.
// DEEP-WARPS: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: 6 copy stages (kv-stages) need 422144 bytes of shared memory a block of 8 warps (kv-warps), more than the 232448 there are
// With kv-pair-warps, one m-tile (GQA 4:1) keeps one warp per stream.
// PAIR-LABEL: func.func @gqa_decode(
// PAIR:         gpu.launch {{.+}} dynamic_shared_memory_size %c213248_i32
// PAIR:           scf.for
// PAIR:             nvvm.bar.warp.sync
// PAIR-NOT:         nvvm.barrier id
// PAIR:         } {attn.schedule = "decode"}
// With kv-warps=8 a block has eight streams of tiles (and auto keeps
// decode, whose option it is): one m-tile takes 16-key tiles, so that eight
// rings of three stages fit (213248 bytes), and computes 16 keys' scores a
// tile.
// WARPS-LABEL: func.func @gqa_decode(
// WARPS:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c4{{.*}}, {{.+}}) threads({{.+}}) in (%{{.+}} = %c256{{.*}}, {{.+}}) dynamic_shared_memory_size %c213248_i32
// WARPS:           scf.for
// WARPS-COUNT-16:    nvvm.mma.sync
// WARPS-NOT:         nvvm.mma.sync
// WARPS:             llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// WARPS:         } {attn.schedule = "decode"}
// Before sm_90 there is no griddepcontrol: the two kernels run in stream
// order, unnamed.
// SM80-LABEL: func.func @gqa_decode(
// SM80-NOT:     griddepcontrol
// SM80-NOT:     function(
// SM80:         } {attn.schedule = "decode-combine"}
// A device of 8 SMs is filled without splitting 32 pairs.
// SMALL-LABEL: func.func @gqa_decode(
// SMALL:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c1{{.*}}, {{.+}})
func.func @gqa_decode(%q: tensor<8x32x1x128xbf16>, %k: tensor<8x4x4096x128xbf16>, %v: tensor<8x4x4096x128xbf16>) -> tensor<8x32x1x128xbf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>} : tensor<8x32x1x128xbf16>, tensor<8x4x4096x128xbf16>, tensor<8x4x4096x128xbf16> -> tensor<8x32x1x128xbf16>
  return %o : tensor<8x32x1x128xbf16>
}

// -----

// MQA at batch 1: 32 rows (2 m-tiles, 16-key tiles, two blocks per SM) of
// one KV head, split as finely as 16 tiles per warp allow (8192 tiles: at
// most 128 splits) and then into the fewest splits within 95% of that fill:
// 122, of which 121 have tiles (68 each): no empty split is launched.
// CHECK-LABEL: func.func @mqa_decode(
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c121{{.*}}, {{.+}})
// CHECK:           memref.view {{.+}} to memref<32x136xf16, #gpu.address_space<workgroup>>
// Two m-tiles rescale lazily: the warp votes whether some row's max has
// outgrown its old one by more than 2^8, and only then moves the maxes and
// rescales the accumulators, in one warp-uniform branch.
// CHECK:             nvvm.vote.sync  any
// CHECK:             scf.if %{{.+}} -> (f32,
// Two m-tiles combine the warps' partials with the maxes first; each warp
// then weighs its accumulators by its max against the block's, in
// registers, and stores them two columns at once; the threads add them up
// four columns at a time, with one 16-byte store of the block's partial.
// CHECK:           %[[SMAX:.+]] = memref.view {{.+}} to memref<4x32x2xf32, #gpu.address_space<workgroup>>
// CHECK:           memref.store {{.+}}, %[[SMAX]]
// CHECK:           gpu.barrier
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:           vector.store {{.+}} {alignment = 8 : i64} : memref<4x32x136xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK:           gpu.barrier
// CHECK:           vector.load {{.+}} {alignment = 16 : i64} : memref<4x32x136xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:           vector.store {{.+}} {alignment = 16 : i64} : memref<?x?x?x32x128xf32>, vector<4xf32>
// CHECK:         } {attn.schedule = "decode"}
// CHECK:         } {attn.schedule = "decode-combine"}
// With kv-pair-warps, a pair of warps shares each stream of tiles, one
// m-tile each, so a block of 4 warps has 2 streams: 60928 bytes of shared
// memory (Q, then 2 streams x 3 stages x 16 keys of K and V), three blocks
// per SM. The keys are split as finely as 16 tiles per stream allow (at
// most 256 splits), then into the fewest within 95% of that fill: 244, of
// which 241 have tiles (34 each). The
// two warps of a stream meet at the stream's named barrier (1 + the
// stream; 0 is the block's) before each tile; each still rescales lazily,
// and stores its own rows of the streams' partials.
// With kv-warps=8, eight streams of 16 tiles at least would allow 64
// splits, leaving half the SMs idle, so the grid takes one block an SM
// (132 splits of 63 tiles, of which 131 have tiles); the eight streams'
// partials meet in shared memory.
// WARPS-LABEL: func.func @mqa_decode(
// WARPS:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c131{{.*}}, {{.+}}) threads({{.+}}) in (%{{.+}} = %c256{{.*}}, {{.+}}) dynamic_shared_memory_size %c217600_i32
// WARPS:           memref.view {{.+}} to memref<8x32x136xf32, #gpu.address_space<workgroup>>
// WARPS:         } {attn.schedule = "decode"}
// PAIR-LABEL: func.func @mqa_decode(
// PAIR:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c241{{.*}}, {{.+}}) threads({{.+}}) in (%{{.+}} = %c128{{.*}}, {{.+}}) dynamic_shared_memory_size %c60928_i32
// PAIR:           scf.for
// PAIR:             nvvm.cp.async.wait.group 1
// PAIR:             nvvm.barrier id = %{{.+}} number_of_threads = %c64_i32
// PAIR:             nvvm.vote.sync  any
// PAIR:           memref.view {{.+}} to memref<2x32x136xf32, #gpu.address_space<workgroup>>
// PAIR:         } {attn.schedule = "decode"}
func.func @mqa_decode(%q: tensor<1x1x32x128xf16>, %k: tensor<1x131072x1x128xf16>, %v: tensor<1x131072x1x128xf16>) -> tensor<1x1x32x128xf16> {
  %o = attn.attention %q, %k, %v : tensor<1x1x32x128xf16>, tensor<1x131072x1x128xf16>, tensor<1x131072x1x128xf16> -> tensor<1x1x32x128xf16>
  return %o : tensor<1x1x32x128xf16>
}

// -----

// MQA at batch 1 and 32k keys: 16 tiles a stream would allow 32 splits,
// leaving 100 of 132 SMs idle, so the grid grows toward one block per SM,
// down to 4 tiles a stream: 2048 tiles / 16 = 128 splits. At 64k keys,
// 64 blocks still leave half the SMs idle: one block per SM, 132, of which
// 128 have tiles (32 each).
// CHECK-LABEL: func.func @mqa_decode_32k(
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c128{{.*}}, {{.+}})
// CHECK-LABEL: func.func @mqa_decode_64k(
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c128{{.*}}, {{.+}})
func.func @mqa_decode_32k(%q: tensor<1x1x32x128xbf16>, %k: tensor<1x32768x1x128xbf16>, %v: tensor<1x32768x1x128xbf16>) -> tensor<1x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x1x32x128xbf16>, tensor<1x32768x1x128xbf16>, tensor<1x32768x1x128xbf16> -> tensor<1x1x32x128xbf16>
  return %o : tensor<1x1x32x128xbf16>
}
func.func @mqa_decode_64k(%q: tensor<1x1x32x128xbf16>, %k: tensor<1x65536x1x128xbf16>, %v: tensor<1x65536x1x128xbf16>) -> tensor<1x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x1x32x128xbf16>, tensor<1x65536x1x128xbf16>, tensor<1x65536x1x128xbf16> -> tensor<1x1x32x128xbf16>
  return %o : tensor<1x1x32x128xbf16>
}

// -----

// A cache length known only at run time: the split count is computed on the
// host (the most splits of the 2 x 2 pairs that fit one wave of 264 slots,
// fewer where the keys are short: 2048 keys a block, or, where that leaves
// half the 132 SMs idle, one block per SM down to 512 keys a block), and
// the combine kernel always runs.
// CHECK-LABEL: func.func @dynamic_keys(
// CHECK:         %[[SK:.+]] = memref.dim %{{.+}}, %c1{{.*}} : memref<2x?x2x64xbf16>
// CHECK:         %[[UNITS:.+]] = arith.maxsi %{{.+}}, %c1{{.*}} : index
// CHECK:         %[[WANT:.+]] = arith.divui %c264, %[[UNITS]] : index
// CHECK:         %[[BY_FLOOR:.+]] = arith.divui %[[SK]], %c2048 : index
// CHECK:         %[[MOST:.+]] = arith.maxsi %[[BY_FLOOR]], %c1{{.*}} : index
// CHECK:         %[[BLOCKS:.+]] = arith.muli %[[UNITS]], %[[MOST]] : index
// CHECK:         %[[TWICE:.+]] = arith.muli %c2{{.*}}, %[[BLOCKS]] : index
// CHECK:         %[[IDLE:.+]] = arith.cmpi ule, %[[TWICE]], %c132 : index
// CHECK:         %[[BY_LOW:.+]] = arith.divui %[[SK]], %c512 : index
// CHECK:         %[[PER_SM:.+]] = arith.divui %c132{{.*}}, %[[UNITS]] : index
// CHECK:         %[[LOW:.+]] = arith.minsi %[[BY_LOW]], %[[PER_SM]] : index
// CHECK:         %[[IDLE_MOST:.+]] = arith.maxsi %[[LOW]], %[[MOST]] : index
// CHECK:         %[[PICK:.+]] = arith.select %[[IDLE]], %[[IDLE_MOST]], %[[MOST]] : index
// CHECK:         %[[MIN:.+]] = arith.minsi %[[WANT]], %[[PICK]] : index
// CHECK:         %[[SPLITS:.+]] = arith.maxsi %[[MIN]], %c1{{.*}} : index
// Only splits with tiles (of 32 keys) are launched.
// CHECK:         %[[TILES:.+]] = arith.ceildivui %[[SK]], %c32 : index
// CHECK:         %[[PER:.+]] = arith.ceildivui %[[TILES]], %[[SPLITS]] : index
// CHECK:         %[[PER1:.+]] = arith.maxsi %[[PER]], %c1{{.*}} : index
// CHECK:         %[[USED:.+]] = arith.ceildivui %[[TILES]], %[[PER1]] : index
// CHECK:         %[[N:.+]] = arith.maxsi %[[USED]], %c1{{.*}} : index
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %[[N]], {{.+}})
// CHECK:         } {attn.schedule = "decode"}
// So is the combine's block: a warp per 8 splits, at most 16.
// CHECK:         %[[W:.+]] = arith.ceildivui %[[N]], %c8{{.*}} : index
// CHECK:         %[[WS:.+]] = arith.minsi %[[W]], %c16{{.*}} : index
// CHECK:         %[[T:.+]] = arith.muli %[[WS]], %c32{{.*}} : index
// CHECK:         gpu.launch blocks({{.+}}) threads({{.+}}) in (%{{.+}} = %[[T]], {{.+}})
// CHECK:         } {attn.schedule = "decode-combine"}
func.func @dynamic_keys(%q: tensor<2x1x8x64xbf16>, %k: tensor<2x?x2x64xbf16>, %v: tensor<2x?x2x64xbf16>) -> tensor<2x1x8x64xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x1x8x64xbf16>, tensor<2x?x2x64xbf16>, tensor<2x?x2x64xbf16> -> tensor<2x1x8x64xbf16>
  return %o : tensor<2x1x8x64xbf16>
}

// -----

// 65 rows per KV head are more than decode packs: auto takes sm90 on the
// default chip (sm_90a), or sm80 where sm90 does not cover the op.
// CHECK-LABEL: func.func @too_many_rows(
// CHECK:         } {attn.schedule = "sm90"}
func.func @too_many_rows(%q: tensor<1x65x4x64xbf16>, %k: tensor<1x900x1x64xbf16>, %v: tensor<1x900x1x64xbf16>) -> tensor<1x65x4x64xbf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: a KV group has 260 query rows (query heads per KV head x query length), more than the 64 it packs
  %o = attn.attention %q, %k, %v : tensor<1x65x4x64xbf16>, tensor<1x900x1x64xbf16>, tensor<1x900x1x64xbf16> -> tensor<1x65x4x64xbf16>
  return %o : tensor<1x65x4x64xbf16>
}

// -----

// CHECK-LABEL: func.func @head_dim_96(
// CHECK:         } {attn.schedule = "sm80"}
func.func @head_dim_96(%q: tensor<1x1x8x96xf16>, %k: tensor<1x900x1x96xf16>, %v: tensor<1x900x1x96xf16>) -> tensor<1x1x8x96xf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: head_dim 96 is not 16, 32, 64 or 128 (a row must be a whole number of a warp's 16-byte copies)
  %o = attn.attention %q, %k, %v : tensor<1x1x8x96xf16>, tensor<1x900x1x96xf16>, tensor<1x900x1x96xf16> -> tensor<1x1x8x96xf16>
  return %o : tensor<1x1x8x96xf16>
}

// -----

// 48 rows of value head_dim 128 would need 192 accumulator registers.
// CHECK-LABEL: func.func @too_many_accumulators(
// CHECK:         } {attn.schedule = "sm90"}
func.func @too_many_accumulators(%q: tensor<1x1x48x128xbf16>, %k: tensor<1x900x1x128xbf16>, %v: tensor<1x900x1x128xbf16>) -> tensor<1x1x48x128xbf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: 3 m-tiles of value head_dim 128 need 192 accumulator registers per thread, more than 128
  %o = attn.attention %q, %k, %v : tensor<1x1x48x128xbf16>, tensor<1x900x1x128xbf16>, tensor<1x900x1x128xbf16> -> tensor<1x1x48x128xbf16>
  return %o : tensor<1x1x48x128xbf16>
}

// -----

// CHECK-LABEL: func.func @dynamic_query(
// CHECK:         } {attn.schedule = "sm90"}
func.func @dynamic_query(%q: tensor<1x?x8x64xbf16>, %k: tensor<1x900x1x64xbf16>, %v: tensor<1x900x1x64xbf16>) -> tensor<1x?x8x64xbf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: it packs the query rows of a KV group, so it needs a static query length and head counts
  %o = attn.attention %q, %k, %v : tensor<1x?x8x64xbf16>, tensor<1x900x1x64xbf16>, tensor<1x900x1x64xbf16> -> tensor<1x?x8x64xbf16>
  return %o : tensor<1x?x8x64xbf16>
}

// -----

// CHECK-LABEL: func.func @f32_decode(
// CHECK:         } {attn.schedule = "scalar"}
func.func @f32_decode(%q: tensor<1x1x8x64xf32>, %k: tensor<1x900x1x64xf32>, %v: tensor<1x900x1x64xf32>) -> tensor<1x1x8x64xf32> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: its mma.sync takes f16 or bf16, not f32
  %o = attn.attention %q, %k, %v : tensor<1x1x8x64xf32>, tensor<1x900x1x64xf32>, tensor<1x900x1x64xf32> -> tensor<1x1x8x64xf32>
  return %o : tensor<1x1x8x64xf32>
}

// -----

// A quantized cache (int8 codes, f32 scales, MQA 32:1, head_dim 128): the
// products take f16, so the bf16 query rows, once landed, are converted
// in place (clamped to f16's range). The stages hold codes, 16 a copy,
// unpadded, and no tile of values is made: each lane reads its words of
// codes (16-byte reads) and builds each f16 operand pair with a byte
// permute into 1024 + u and one subtraction (K's words biased to unsigned
// first, V's pairs by an XOR). Q's fragments, in the permuted order of
// head_dim, are stored once, after Q is converted, by the first stream's
// warps in the order of their registers (two 8-byte reads of rows g and
// g + 8 interleaved into one 16-byte store), so that each product takes
// its fragment with one 16-byte read. Each key's scale and value scale (f32)
// come through the stages with the codes, one 4-byte copy a key (each
// lane copies one key's K and V scales, 32 keys a tile: two m-tiles of a
// quantized cache take 32-key tiles), stored so that a lane's keys are one
// run of 32 bytes; the key scale
// multiplies its scores, the value scale, over the power of two at or
// below the tile's largest (the bits of the quad's max), its
// probabilities, so they stay in f16's normal range.
// With kv-pair-warps the first warp of each pair copies the scales, into
// 2 streams x 3 stages x 16 keys.
// PAIR-LABEL: func.func @quantized_decode(
// PAIR:           scf.for
// PAIR:             nvvm.cp.async.wait.group 1
// PAIR:             nvvm.barrier id = %{{.+}} number_of_threads = %c64_i32
// PAIR:             scf.if
// PAIR:               scf.if
// PAIR:                 nvgpu.device_async_copy {{.+}}, 1, {{.+}} : memref<1x8192x1xf32> to memref<96xf32, #gpu.address_space<workgroup>>
// PAIR:         } {attn.schedule = "decode"}
// CHECK-LABEL: func.func @quantized_decode(
// CHECK:         gpu.launch
// CHECK:           memref.view {{.+}} to memref<32x136xf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<32x136xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<{{[0-9]+}}xi8, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<{{[0-9]+}}xi32, #gpu.address_space<workgroup>>
// CHECK:           nvgpu.device_async_copy {{.+}} : memref<1x1x32x128xbf16> to memref<32x136xbf16, #gpu.address_space<workgroup>>
// CHECK:           nvgpu.device_async_copy {{.+}}, 16, {{.+}} : memref<1048576xi8> to memref<{{[0-9]+}}xi8, #gpu.address_space<workgroup>>
// CHECK:           gpu.barrier
// CHECK:           vector.load {{.+}} : memref<32x136xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           arith.minimumf
// CHECK:           arith.maximumf
// CHECK:           arith.truncf {{.+}} : vector<8xf32> to vector<8xf16>
// CHECK:           vector.store {{.+}} : memref<32x136xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK:           gpu.barrier
// CHECK:           scf.if
// CHECK:             vector.load {{.+}} {alignment = 8 : i64} : memref<32x136xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// CHECK:             vector.load {{.+}} {alignment = 8 : i64} : memref<32x136xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// CHECK:             vector.shuffle %{{.+}}, %{{.+}} [0, 1, 4, 5, 2, 3, 6, 7] : vector<4xf16>, vector<4xf16>
// CHECK:             vector.store {{.+}} {alignment = 16 : i64} : memref<4096xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK-NOT:         scf.if
// CHECK:             nvgpu.device_async_copy {{.+}}, 1, {{.+}} : memref<1x8192x1xf32> to memref<384xf32, #gpu.address_space<workgroup>>
// CHECK-NOT:         scf.if
// CHECK:             nvgpu.device_async_copy {{.+}}, 1, {{.+}} : memref<1x8192x1xf32> to memref<384xf32, #gpu.address_space<workgroup>>
// CHECK:             nvvm.cp.async.commit.group
// CHECK:             vector.load {{.+}} {alignment = 16 : i64} : memref<384xf32, #gpu.address_space<workgroup>>, vector<8xf32>
// CHECK:             vector.load {{.+}} {alignment = 16 : i64} : memref<{{[0-9]+}}xi32, #gpu.address_space<workgroup>>, vector<4xi32>
// CHECK:             arith.xori %{{.+}}, %{{.+}} : i32
// CHECK:             nvvm.prmt <default>
// CHECK:             arith.subf %{{.+}}, %{{.+}} : vector<2xf16>
// CHECK:             vector.load {{.+}} {alignment = 16 : i64} : memref<4096xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK:             nvvm.mma.sync {{.+}} : (vector<2xf16>, vector<2xf16>, f32)
// CHECK-NOT:         nvgpu.ldmatrix
// CHECK-NOT:         memref.load %{{.+}} : memref<1x8192x1xf32>
// CHECK:             arith.mulf
// CHECK:             vector.load {{.+}} {alignment = 16 : i64} : memref<384xf32, #gpu.address_space<workgroup>>, vector<8xf32>
// CHECK:             gpu.shuffle  xor
// CHECK:             arith.andi %{{.+}}, %{{.+}} : i32
// CHECK:             arith.subi %{{.+}}, %{{.+}} : i32
// CHECK:             ex2.approx
// CHECK:             arith.mulf
// CHECK-NOT:         nvgpu.ldmatrix
// CHECK:             nvvm.prmt <default>
// CHECK:             arith.andi
// CHECK:             arith.xori
// CHECK:             arith.subf %{{.+}}, %{{.+}} : vector<2xf16>
// CHECK:             nvvm.mma.sync
// CHECK:         } {attn.schedule = "decode"}
func.func @quantized_decode(%q: tensor<1x1x32x128xbf16>, %k: tensor<1x8192x1x128xi8>,
                            %v: tensor<1x8192x1x128xi8>, %ks: tensor<1x8192x1xf32>,
                            %vs: tensor<1x8192x1xf32>) -> tensor<1x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x8192x1xf32>, tensor<1x8192x1xf32>)
      : tensor<1x1x32x128xbf16>, tensor<1x8192x1x128xi8>, tensor<1x8192x1x128xi8>
      -> tensor<1x1x32x128xbf16>
  return %o : tensor<1x1x32x128xbf16>
}

// -----

// From two m-tiles a warp on, the split count is sized for one block an
// SM, not the two that bf16 MQA's 233 registers a thread and 113 KB of
// shared memory allow: 100 (batch, KV head) pairs on 132 SMs take 1 split
// (100 blocks), not 2 (200 blocks of 264 slots).
// CHECK-LABEL: func.func @mqa_split_slots(
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c1{{.*}}, {{.+}})
// CHECK:         } {attn.schedule = "decode"}
// CHECK-NOT:     decode-combine
func.func @mqa_split_slots(%q: tensor<100x1x32x128xbf16>, %k: tensor<100x4096x1x128xbf16>,
                           %v: tensor<100x4096x1x128xbf16>) -> tensor<100x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v
      : tensor<100x1x32x128xbf16>, tensor<100x4096x1x128xbf16>, tensor<100x4096x1x128xbf16>
      -> tensor<100x1x32x128xbf16>
  return %o : tensor<100x1x32x128xbf16>
}

// -----

// 2-byte scales cannot come through the stages (cp.async moves at least 4
// bytes, and a cache's scales of consecutive keys are a head count
// apart): they are loaded from global memory at the top of each tile, so
// that their latency passes under the products of S. GQA 4:1 takes
// 32-key tiles.
// CHECK-LABEL: func.func @quantized_bf16_scales(
// CHECK:         gpu.launch
// CHECK-NOT:       memref<{{[0-9]+}}xbf16, #gpu.address_space<workgroup>>
// CHECK:           scf.for
// CHECK:             nvvm.cp.async.commit.group
// CHECK-COUNT-16:    memref.load %{{.+}} : memref<2x4096x2xbf16>
// CHECK:             nvvm.mma.sync
// CHECK:         } {attn.schedule = "decode"}
func.func @quantized_bf16_scales(%q: tensor<2x1x8x128xbf16>, %k: tensor<2x4096x2x128xf8E4M3FN>,
                                 %v: tensor<2x4096x2x128xf8E4M3FN>, %ks: tensor<2x4096x2xbf16>,
                                 %vs: tensor<2x4096x2xbf16>) -> tensor<2x1x8x128xbf16> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<2x4096x2xbf16>, tensor<2x4096x2xbf16>)
      : tensor<2x1x8x128xbf16>, tensor<2x4096x2x128xf8E4M3FN>, tensor<2x4096x2x128xf8E4M3FN>
      -> tensor<2x1x8x128xbf16>
  return %o : tensor<2x1x8x128xbf16>
}

// -----

// CHECK-LABEL: func.func @quantized_head_dim_16(
// CHECK:         } {attn.schedule = "scalar"}
func.func @quantized_head_dim_16(%q: tensor<1x1x8x16xbf16>, %k: tensor<1x512x2x16xf8E4M3FN>,
                                 %v: tensor<1x512x2x16xf8E4M3FN>, %ks: tensor<1x512x2xbf16>,
                                 %vs: tensor<1x512x2xbf16>) -> tensor<1x1x8x16xbf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: a quantized cache needs head_dim 32, 64 or 128 (each lane reads whole 32-bit words of codes of a row, an eighth of it)
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x512x2xbf16>, tensor<1x512x2xbf16>)
      : tensor<1x1x8x16xbf16>, tensor<1x512x2x16xf8E4M3FN>, tensor<1x512x2x16xf8E4M3FN>
      -> tensor<1x1x8x16xbf16>
  return %o : tensor<1x1x8x16xbf16>
}

// -----

// One m-tile (GQA 4:1) with f32 scales: the scales come from global memory
// at the top of each tile, not through the stages (staging them took this
// kernel from 168 registers to 254 and made it slower), and the rescale is
// eager, every tile, with no vote. Q's fragments are not staged in the order
// of their registers (with one m-tile that ran int8 13-27% slower): each
// product reads its fragment from Q's rows, two 8-byte reads.
// CHECK-LABEL: func.func @quantized_gqa_f32_scales(
// CHECK:         gpu.launch
// CHECK-NOT:       nvgpu.device_async_copy {{.+}} : memref<{{.+}}xf32> to
// CHECK-NOT:       nvvm.vote.sync
// CHECK-NOT:       vector.shuffle %{{.+}}, %{{.+}} [0, 1, 4, 5, 2, 3, 6, 7]
// CHECK:           scf.for
// CHECK:             memref.load %{{.+}} : memref<2x4096x2xf32>
// CHECK:             vector.load {{.+}} {alignment = 8 : i64} : memref<16x136xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// CHECK:             nvvm.mma.sync
// CHECK-NOT:       nvvm.vote.sync
// CHECK:         } {attn.schedule = "decode"}
func.func @quantized_gqa_f32_scales(%q: tensor<2x1x8x128xbf16>, %k: tensor<2x4096x2x128xi8>,
                                    %v: tensor<2x4096x2x128xi8>, %ks: tensor<2x4096x2xf32>,
                                    %vs: tensor<2x4096x2xf32>) -> tensor<2x1x8x128xbf16> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<2x4096x2xf32>, tensor<2x4096x2xf32>)
      : tensor<2x1x8x128xbf16>, tensor<2x4096x2x128xi8>, tensor<2x4096x2x128xi8>
      -> tensor<2x1x8x128xbf16>
  return %o : tensor<2x1x8x128xbf16>
}
