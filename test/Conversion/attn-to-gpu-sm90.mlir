// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=sm90 chip=sm_90" -split-input-file 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: attn-opt %s --convert-attn-to-gpu -split-input-file 2>&1 | FileCheck %s --check-prefix=AUTO
// The shape of the sm90 (wgmma) kernel, and the ops it refuses; auto (on
// the default chip, sm_90a) takes it where it covers the op, else sm80 or
// scalar.

// AUTO-LABEL: func.func @gqa_bf16(
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
// 128 query positions per block (two warpgroups of 64 rows), one block per
// query head of the group; shared memory is Q (32 KiB), two stages of
// 128-key K and V tiles (4 x 32 KiB) and 1 KiB to align the swizzle atoms.
// CHECK:         %[[NT:.+]] = arith.ceildivui %{{.+}}, %c128
// CHECK:         %[[GX:.+]] = arith.muli %[[NT]], %{{.+}} : index
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %[[GX]], {{.+}}) threads({{.+}}) in (%{{.+}} = %c256{{.*}}, {{.+}}) dynamic_shared_memory_size %c164864_i32
// CHECK:           memref.extract_aligned_pointer_as_index
// CHECK:           memref.view {{.+}} to memref<81920xbf16, #gpu.address_space<workgroup>>
// Q (16 copies of 16 bytes per row of 128, 8 per thread), then the first
// K and V tiles, swizzled: chunk c of row r goes to chunk c ^ (r % 8).
// CHECK:           arith.xori
// CHECK-COUNT-8:   nvgpu.device_async_copy {{.+}} {bypassL1} : memref<204800xbf16> to memref<81920xbf16
// CHECK-COUNT-16:  nvgpu.device_async_copy {{.+}} {bypassL1} : memref<102400xbf16> to memref<81920xbf16
// CHECK:           scf.for
// The copies land, are made visible to the tensor cores' async proxy, and
// both warpgroups meet before the next tile's copies overwrite a stage.
// CHECK:             nvvm.cp.async.wait.group 0
// CHECK-NEXT:        nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:        gpu.barrier
// S = Q Kᵀ: 8 k16 steps from shared memory (descriptors), the first not
// accumulating; the scale rides in the exponential (no multiply).
// CHECK:             llvm.inline_asm has_side_effects "wgmma.fence.sync.aligned;"
// CHECK:             llvm.inline_asm has_side_effects "{\0A.reg .pred p;\0Asetp.ne.b32 p, 0, 0;\0Awgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, $64, $65, p, 1, 1, 0, 0;
// CHECK-COUNT-7:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, $128, $129, p, 1, 1, 0, 0;
// CHECK:             "wgmma.commit_group.sync.aligned;"
// CHECK:             "wgmma.wait_group.sync.aligned 0;"
// CHECK-NOT:         arith.mulf {{.+}}, %{{.+}} : f32
// CHECK:             arith.maximumf
// P V: P from four registers per k16 step, V N-major (transposed).
// CHECK:             "wgmma.fence.sync.aligned;"
// CHECK-COUNT-8:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, {$128, $129, $130, $131}, $132, p, 1, 1, 1;
// CHECK:             "wgmma.wait_group.sync.aligned 0;"
// CHECK:             scf.yield
func.func @gqa_bf16(%q: tensor<2x100x8x128xbf16>, %k: tensor<2x200x2x128xbf16>, %v: tensor<2x200x2x128xbf16>) -> tensor<2x100x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x100x8x128xbf16>, tensor<2x200x2x128xbf16>, tensor<2x200x2x128xbf16> -> tensor<2x100x8x128xbf16>
  return %o : tensor<2x100x8x128xbf16>
}

// -----

// Above head_dim 128, 64-key tiles: S is m64n64, P V m64n256 (f16), and
// shared memory Q (64 KiB) plus two stages of K and V (4 x 32 KiB).
// CHECK-LABEL: func.func @d256_f16(
// CHECK:         dynamic_shared_memory_size %c197632_i32
// CHECK:         scf.for
// CHECK-COUNT-16:  wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// CHECK-COUNT-4:   wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 {{.+}}, p, 1, 1, 1;
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
  // expected-error @+1 {{schedule sm90 cannot run this attention: head_dim 96 is not 64, 128 or 256 (whole 128-byte swizzled rows that 256 threads copy evenly)}}
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
