// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90 tma=false" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=sm90 chip=sm_90" -split-input-file 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: attn-opt %s --convert-attn-to-gpu -split-input-file 2>&1 | FileCheck %s --check-prefix=AUTO
// The shape of the sm90 (wgmma) kernel, and the ops it refuses; auto (on
// the default chip, sm_90a) takes it where it covers the op, else sm80 or
// scalar.

// AUTO-LABEL: func.func @gqa_bf16(
// AUTO:         } {attn.schedule = "sm90"}
// AUTO-LABEL: func.func @persistent(
// AUTO:         } {attn.schedule = "sm90"}
// AUTO-LABEL: func.func @d256_f16(
// AUTO:         } {attn.schedule = "sm90"}
// AUTO-LABEL: func.func @negative_scale(
// AUTO:         } {attn.schedule = "sm90"}
// AUTO-LABEL: func.func @d96(
// AUTO:         } {attn.schedule = "sm80"}
// AUTO-LABEL: func.func @dv32(
// AUTO:         } {attn.schedule = "sm80"}
// AUTO-LABEL: func.func @f32(
// AUTO:         } {attn.schedule = "scalar"}

// CHIP: error: 'attn.attention' op convert-attn-to-gpu: schedule sm90 cannot run this attention: it needs chip sm_90a (wgmma), not sm_90

// CHECK-LABEL: func.func @gqa_bf16(
// 128 query positions of one query head per block (two consumer
// warpgroups of 64 rows) and a producer warpgroup, one block per query head
// of the group; shared memory is Q (32 KiB), two stages of 128-key K and V
// tiles (4 x 32 KiB), 1 KiB to align the swizzle atoms and ten mbarriers.
// Fewer than 512 keys: one block per work item.
// CHECK:         %[[NT:.+]] = arith.ceildivui %{{.+}}, %c128
// CHECK:         %[[GX:.+]] = arith.muli %[[NT]], %{{.+}} : index
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %[[GX]], {{.+}}) threads({{.+}}) in (%{{.+}} = %c384{{.*}}, {{.+}}) dynamic_shared_memory_size %c164944_i32
// CHECK:           memref.extract_aligned_pointer_as_index
// CHECK:           memref.view {{.+}} to memref<81920xbf16, #gpu.address_space<workgroup>>
// Q's full barrier and the four stage full barriers count the producer's
// 128 threads, the four stage empty ones and Q's the consumers' 8 warps.
// CHECK-COUNT-5:   "mbarrier.init.shared::cta.b64 [$0], 128;"
// CHECK-COUNT-5:   "mbarrier.init.shared::cta.b64 [$0], 8;"
// CHECK:           gpu.barrier
// The producer gives registers back, copies Q (16 copies of 16 bytes per
// thread) once the consumers have handed it back, swizzled: chunk c of
// row r goes to chunk c ^ (r % 8)...
// Each thread's copies into a buffer are a cp.async group, and before it
// copies into the buffer again it waits for its own last copies there (all
// but the last group before Q; all but the 3 groups of the other stage and
// the other tensor before a K or V tile).
// CHECK:           nvvm.setmaxregister  decrease 56
// CHECK:           arith.xori
// CHECK:           mbarrier.try_wait.parity
// CHECK:           nvvm.cp.async.wait.group 1
// CHECK-COUNT-16:  nvgpu.device_async_copy {{.+}} {bypassL1} : memref<204800xbf16> to memref<81920xbf16
// CHECK:           "cp.async.mbarrier.arrive.noinc.shared::cta.b64 [$0];"
// CHECK-NEXT:      nvvm.cp.async.commit.group
// ... then each K and V tile once the consumers have handed its stage
// back.
// CHECK:           scf.for
// CHECK:             mbarrier.try_wait.parity
// CHECK:             nvvm.cp.async.wait.group 3
// CHECK-COUNT-16:    nvgpu.device_async_copy {{.+}} {bypassL1} : memref<102400xbf16> to memref<81920xbf16
// CHECK:             "cp.async.mbarrier.arrive.noinc.shared::cta.b64 [$0];"
// CHECK-NEXT:        nvvm.cp.async.commit.group
// CHECK:             mbarrier.try_wait.parity
// CHECK:             nvvm.cp.async.wait.group 3
// CHECK-COUNT-16:    nvgpu.device_async_copy {{.+}} {bypassL1} : memref<102400xbf16> to memref<81920xbf16
// CHECK:             "cp.async.mbarrier.arrive.noinc.shared::cta.b64 [$0];"
// CHECK-NEXT:        nvvm.cp.async.commit.group
// CHECK:           nvvm.cp.async.wait.group 0
// The consumers take the registers, warpgroup 1 lets warpgroup 0 take the
// first turn, and both wait for Q.
// CHECK:           nvvm.setmaxregister  increase 224
// CHECK:           "bar.arrive $0, 256;"
// CHECK:           mbarrier.try_wait.parity
// CHECK:           nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// Tile 0: S = Q Kᵀ, 8 k16 steps from shared memory (descriptors), the
// first not accumulating, issued in this warpgroup's turn.
// CHECK:             mbarrier.try_wait.parity
// CHECK:             nvvm.fence.proxy
// CHECK:             "bar.sync $0, 256;"
// CHECK:             "wgmma.fence.sync.aligned;"
// CHECK:             "{\0A.reg .pred p;\0Asetp.ne.b32 p, 0, 0;\0Awgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, $64, $65, p, 1, 1, 0, 0;
// CHECK-COUNT-7:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, $128, $129, p, 1, 1, 0, 0;
// CHECK:             "wgmma.commit_group.sync.aligned;"
// CHECK-NEXT:        "bar.arrive $0, 256;"
// CHECK-NEXT:        "wgmma.wait_group.sync.aligned 0;"
// CHECK:             mbarrier.arrive.shared::cta.b64
// Later tiles: S of tile t, then P V of tile t - 1 (P from four registers
// per k16 step, V N-major), both in the turn; the softmax of tile t waits
// for S alone, and the scale rides in the exponential (no multiply).
// CHECK:             scf.for
// CHECK:               "bar.sync $0, 256;"
// CHECK-COUNT-8:       wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, p, 1, 1, 0, 0;
// CHECK:               "wgmma.commit_group.sync.aligned;"
// CHECK:               mbarrier.try_wait.parity
// CHECK:               "wgmma.fence.sync.aligned;"
// CHECK-COUNT-8:       wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, {$128, $129, $130, $131}, $132, p, 1, 1, 1;
// CHECK:               "wgmma.commit_group.sync.aligned;"
// CHECK-NEXT:          "bar.arrive $0, 256;"
// CHECK-NEXT:          "wgmma.wait_group.sync.aligned 1;"
// CHECK:               mbarrier.arrive.shared::cta.b64
// CHECK-NOT:           arith.mulf {{.+}}, %{{.+}} : f32
// CHECK:               arith.maximumf
// CHECK:               "wgmma.wait_group.sync.aligned 0;"
// CHECK:               mbarrier.arrive.shared::cta.b64
// CHECK:               scf.yield
// Every S is done: Q is handed back. The last tile's P V, its V stage
// handed back; the output is stored, and warpgroup 0 takes warpgroup 1's
// last arrival.
// CHECK:             mbarrier.arrive.shared::cta.b64
// CHECK-COUNT-8:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, {$128, $129, $130, $131}, $132, p, 1, 1, 1;
// CHECK:             "wgmma.wait_group.sync.aligned 0;"
// CHECK:             mbarrier.arrive.shared::cta.b64
// CHECK:           } else {
// CHECK:             mbarrier.arrive.shared::cta.b64
// Each thread stores its output columns in pairs, 4 bytes at a time.
// CHECK:           vector.store {{.+}} {alignment = 4 : i64} : memref<2x100x8x128xbf16>, vector<2xbf16>
// CHECK:           "bar.sync $0, 256;"
func.func @gqa_bf16(%q: tensor<2x100x8x128xbf16>, %k: tensor<2x200x2x128xbf16>, %v: tensor<2x200x2x128xbf16>) -> tensor<2x100x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x100x8x128xbf16>, tensor<2x200x2x128xbf16>, tensor<2x200x2x128xbf16> -> tensor<2x100x8x128xbf16>
  return %o : tensor<2x100x8x128xbf16>
}

// -----

// From 512 keys the grid is persistent: min(items, SMs) blocks (132 on the
// default chip), each looping over items blockIdx.x, blockIdx.x + gridDim.x,
// ... in the order of the one-block-per-item grid, odd rounds reversed where
// items differ in length and the grid falls on their period. The stage
// ring's tile
// count runs on across items (loop-carried), and Q is copied again only
// once the consumers have handed it back.
// CHECK-LABEL: func.func @persistent(
// CHECK:         %[[NT:.+]] = arith.ceildivui %{{.+}}, %c128
// CHECK:         %[[BX:.+]] = arith.muli %[[NT]], %{{.+}} : index
// CHECK:         %[[H:.+]] = arith.muli %[[BX]], %{{.+}} : index
// CHECK:         %[[ITEMS:.+]] = arith.muli %[[H]], %{{.+}} : index
// CHECK:         %[[GX:.+]] = arith.minui %[[ITEMS]], %c132
// CHECK:         gpu.launch blocks(%[[BID:.+]], %{{.+}}, %{{.+}}) in (%[[GRID:.+]] = %[[GX]], %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}}) threads
// Producer: per item, wait for Q's release, copy Q, then the tiles. Causal
// items differ in length, so where 8 gcd(gridDim.x, blocksX) > blocksX odd
// rounds (the block's item count `count`) take their items in reverse:
// start + size - 1 - blockIdx.x.
// CHECK:           nvvm.setmaxregister  decrease 56
// CHECK:           %[[PBX:.+]] = arith.muli %{{.+}}, %{{.+}} : index
// CHECK:           %[[GCD:.+]]:2 = scf.while (%[[A:.+]] = %[[GRID]], %[[B:.+]] = %[[PBX]])
// CHECK:             arith.cmpi ne, %[[B]], %c0
// CHECK:           } do {
// CHECK:             %[[R:.+]] = arith.remui %[[A2:.+]], %[[B2:[^ ]+]]
// CHECK:             scf.yield %[[B2]], %[[R]]
// CHECK:           %[[G8:.+]] = arith.muli %[[GCD]]#0, %c8
// CHECK:           %[[ALIGNED:.+]] = arith.cmpi slt, %[[PBX]], %[[G8]]
// CHECK:           scf.for %[[W:[^ ]+]] = %[[BID]] to %[[N:[^ ]+]] step %[[GRID]] iter_args(%{{.+}} = %c0{{[_0-9]*}}, %[[COUNT:[^ ]+]] = %c0{{[_0-9]*}})
// CHECK:             %[[START:.+]] = arith.subi %[[W]], %[[BID]]
// CHECK:             %[[LEFT:.+]] = arith.subi %[[N]], %[[START]]
// CHECK:             %[[SIZE:.+]] = arith.minsi %[[GRID]], %[[LEFT]]
// CHECK:             %[[LAST:.+]] = arith.subi %[[SIZE]], %c1
// CHECK:             %[[END:.+]] = arith.addi %[[START]], %[[LAST]]
// CHECK:             %[[REV:.+]] = arith.subi %[[END]], %[[BID]]
// CHECK:             %[[REM:.+]] = arith.remui %[[COUNT]], %c2
// CHECK:             %[[ODD:.+]] = arith.cmpi eq, %[[REM]], %c1
// CHECK:             %[[TURN:.+]] = arith.andi %[[ALIGNED]], %[[ODD]]
// CHECK:             %[[IN:.+]] = arith.cmpi slt, %[[W]], %[[N]]
// CHECK:             %[[FLIP:.+]] = arith.andi %[[TURN]], %[[IN]]
// CHECK:             %[[X:.+]] = arith.select %[[FLIP]], %[[REV]], %[[W]]
// CHECK:             arith.remui %[[X]],
// CHECK:             mbarrier.try_wait.parity
// CHECK:             nvgpu.device_async_copy
// CHECK:             scf.for
// CHECK:             scf.yield
// Consumers: per item, wait for Q, compute and store.
// CHECK:           nvvm.setmaxregister  increase 224
// CHECK:           scf.for %{{.+}} = %[[BID]] to %{{.+}} step %[[GRID]] iter_args(%{{.+}} = %c0{{[_0-9]*}}, %{{.+}} = %c0{{[_0-9]*}})
// CHECK:             mbarrier.try_wait.parity
// CHECK:             scf.for
// CHECK:             vector.store {{.+}} vector<2xbf16>
// CHECK:             scf.yield
// CHECK:           "bar.sync $0, 256;"
func.func @persistent(%q: tensor<2x1024x8x128xbf16>, %k: tensor<2x1024x2x128xbf16>, %v: tensor<2x1024x2x128xbf16>) -> tensor<2x1024x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x1024x8x128xbf16>, tensor<2x1024x2x128xbf16>, tensor<2x1024x2x128xbf16> -> tensor<2x1024x8x128xbf16>
  return %o : tensor<2x1024x8x128xbf16>
}

// -----

// Without a mask every item has the same tiles: the rounds keep their
// order.
// CHECK-LABEL: func.func @persistent_full(
// CHECK:         gpu.launch blocks(%[[BID:.+]], %{{.+}}, %{{.+}}) in (%[[GRID:.+]] = %{{.+}}, %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}}) threads
// CHECK:           nvvm.setmaxregister  decrease 56
// CHECK-NOT:       scf.while
// CHECK:           scf.for %[[W:[^ ]+]] = %[[BID]] to %{{.+}} step %[[GRID]]
// CHECK-NOT:         arith.subi %[[W]], %[[BID]]
// CHECK:             mbarrier.try_wait.parity
func.func @persistent_full(%q: tensor<2x1024x8x128xbf16>, %k: tensor<2x1024x2x128xbf16>, %v: tensor<2x1024x2x128xbf16>) -> tensor<2x1024x8x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<2x1024x8x128xbf16>, tensor<2x1024x2x128xbf16>, tensor<2x1024x2x128xbf16> -> tensor<2x1024x8x128xbf16>
  return %o : tensor<2x1024x8x128xbf16>
}

// -----

// Above head_dim 128, 64-key tiles: S is m64n64, P V m64n256 (f16), and
// shared memory Q (64 KiB) plus two stages of K and V (4 x 32 KiB) plus
// each consumer's P (2 x 8 KiB): P always goes through shared memory there,
// so P V takes both operands by descriptor (transposed B: V is N-major).
// CHECK-LABEL: func.func @d256_f16(
// CHECK:         dynamic_shared_memory_size %c214096_i32
// CHECK:         scf.for
// CHECK-COUNT-16:  wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// CHECK-COUNT-4:   wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 {{.+}}, p, 1, 1, 0, 1;
func.func @d256_f16(%q: tensor<1x64x2x256xf16>, %k: tensor<1x64x2x256xf16>, %v: tensor<1x64x2x256xf16>) -> tensor<1x64x2x256xf16> {
  %o = attn.attention %q, %k, %v : tensor<1x64x2x256xf16>, tensor<1x64x2x256xf16>, tensor<1x64x2x256xf16> -> tensor<1x64x2x256xf16>
  return %o : tensor<1x64x2x256xf16>
}

// -----

// A negative scale cannot ride in the exponential: the scores are scaled
// first.
// CHECK-LABEL: func.func @negative_scale(
// CHECK:         scf.for
// CHECK:           "wgmma.wait_group.sync.aligned 0;"
// CHECK:           arith.mulf {{.+}} : f32
func.func @negative_scale(%q: tensor<1x200x2x64xbf16>, %k: tensor<1x200x2x64xbf16>, %v: tensor<1x200x2x64xbf16>) -> tensor<1x200x2x64xbf16> {
  %o = attn.attention %q, %k, %v {scale = -0.5 : f32} : tensor<1x200x2x64xbf16>, tensor<1x200x2x64xbf16>, tensor<1x200x2x64xbf16> -> tensor<1x200x2x64xbf16>
  return %o : tensor<1x200x2x64xbf16>
}

// -----

func.func @d96(%q: tensor<1x64x2x96xbf16>) -> tensor<1x64x2x96xbf16> {
  // expected-error @+1 {{schedule sm90 cannot run this attention: head_dim 96 is not 64, 128 or 256 (whole 128-byte swizzled rows that 128 threads copy evenly)}}
  %o = attn.attention %q, %q, %q : tensor<1x64x2x96xbf16>, tensor<1x64x2x96xbf16>, tensor<1x64x2x96xbf16> -> tensor<1x64x2x96xbf16>
  return %o : tensor<1x64x2x96xbf16>
}

// -----

func.func @dv32(%q: tensor<1x200x2x64xf16>, %v: tensor<1x200x2x32xf16>) -> tensor<1x200x2x32xf16> {
  // expected-error @+1 {{schedule sm90 cannot run this attention: value head_dim 32 is not 64, 128 or 256}}
  %o = attn.attention %q, %q, %v : tensor<1x200x2x64xf16>, tensor<1x200x2x64xf16>, tensor<1x200x2x32xf16> -> tensor<1x200x2x32xf16>
  return %o : tensor<1x200x2x32xf16>
}

// -----

func.func @f32(%q: tensor<1x64x2x64xf32>) -> tensor<1x64x2x64xf32> {
  // expected-error @+1 {{schedule sm90 cannot run this attention: its wgmma takes f16 or bf16, not f32}}
  %o = attn.attention %q, %q, %q : tensor<1x64x2x64xf32>, tensor<1x64x2x64xf32>, tensor<1x64x2x64xf32> -> tensor<1x64x2x64xf32>
  return %o : tensor<1x64x2x64xf32>
}
