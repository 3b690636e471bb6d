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

func.func @gqa_bf16(%q: tensor<2x100x8x128xbf16>, %k: tensor<2x200x2x128xbf16>, %v: tensor<2x200x2x128xbf16>) -> tensor<2x100x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x100x8x128xbf16>, tensor<2x200x2x128xbf16>, tensor<2x200x2x128xbf16> -> tensor<2x100x8x128xbf16>
  return %o : tensor<2x100x8x128xbf16>
}

// -----

// Above head_dim 128, 64-key tiles: S is m64n64, P V m64n256 (f16), and
// shared memory Q (64 KiB) plus two stages of K and V (4 x 32 KiB).
// CHECK-LABEL: func.func @d256_f16(
// CHECK:         dynamic_shared_memory_size %c197704_i32
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
