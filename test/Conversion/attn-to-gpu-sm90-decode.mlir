// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90-decode" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu -split-input-file | FileCheck %s --check-prefix=AUTO
// RUN: attn-opt %s --convert-attn-to-gpu="kv-stages=4" -split-input-file | FileCheck %s --check-prefix=DECODE
// RUN: attn-opt %s --convert-attn-to-gpu="kv-pair-warps=true" -split-input-file | FileCheck %s --check-prefix=DECODE
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_90" -split-input-file | FileCheck %s --check-prefix=DECODE
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=sm90-decode chip=sm_90" -split-input-file 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=sm90-decode tma=false" -split-input-file 2>&1 | FileCheck %s --check-prefix=CPASYNC
// The sm90-decode schedule: the query heads of a KV group at the one query
// position packed into a 64-row Q tile (one TMA box of the group's heads),
// both consumer warpgroups computing S = Q Kᵀ of every 128-key tile and
// each P V into half of V's columns, blocks (split, KV head, batch row),
// every block's partials combined by the decode combine kernel, launched
// as a programmatic dependent. auto picks it on sm_90a for KV groups of at
// most 4 query heads where it covers the op, unless decode's kv-stages or
// kv-pair-warps are given; else decode.

// AUTO-LABEL: func.func @mqa(
// AUTO:         } {attn.schedule = "decode"}
// AUTO-LABEL: func.func @gqa4(
// AUTO:         } {attn.schedule = "sm90-decode"}
// AUTO-LABEL: func.func @window(
// AUTO:         } {attn.schedule = "decode"}
// DECODE-LABEL: func.func @gqa4(
// DECODE-NOT:   sm90-decode
// DECODE:       } {attn.schedule = "decode"}
// CHIP: error: 'attn.attention' op convert-attn-to-gpu: schedule sm90-decode cannot run this attention: it needs chip sm_90a (wgmma), not sm_90
// CPASYNC: error: 'attn.attention' op convert-attn-to-gpu: schedule sm90-decode cannot run this attention: it copies with TMA (tma=false asks for cp.async)

// Two (batch, KV head) pairs of 32 tiles: 4 tiles a split would leave most
// of 132 SMs idle, so 2 tiles a split, 16 splits. Scratch of 64 rows per
// split; Q's tensor map reads boxes of 64 columns by the group's 32 heads
// at one position, K's and V's 128 keys of one head. Shared memory: Q (16
// KiB), three stages of K and V (6 x 32 KiB), the atom slack and 14
// barriers (214128 bytes).
// CHECK-LABEL: func.func @mqa(
// CHECK:         gpu.alloc (%{{.+}}, %{{.+}}, %c16) : memref<?x?x?x64x128xf32>
// CHECK:         gpu.alloc (%{{.+}}, %{{.+}}, %c16) : memref<?x?x?x64x2xf32>
// CHECK:         call @attnGpuTensorMap4d({{.+}}, %c64_i64, %c32_i64, %c1_i64, %c1_i64{{[_0-9]*}})
// CHECK:         call @attnGpuTensorMap4d({{.+}}, %c64_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %c128_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}})
// CHECK:         call @attnGpuTensorMap4d({{.+}}, %c64_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %c128_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}})
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c16, {{.+}}) threads({{.+}}) in (%{{.+}} = %c384, {{.+}}) dynamic_shared_memory_size %c214128_i32 function(@mqa_kernel_pdl_primary)
// CHECK-COUNT-7:   mbarrier.init.shared::cta.b64 [$0], 1;
// CHECK-COUNT-7:   mbarrier.init.shared::cta.b64 [$0], 8;
// Rows 32 to 63 of Q, which no copy writes, are zeroed.
// CHECK-COUNT-2:   vector.store %{{.+}} : memref<{{[0-9]+}}xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           nvvm.setmaxregister  decrease 24
// CHECK:           cp.async.bulk.tensor.4d
// CHECK:           nvvm.griddepcontrol  launch_dependents
// CHECK:           nvvm.setmaxregister  increase 240
// CHECK:           wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK:           scf.for
// CHECK-COUNT-8:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK-COUNT-8:     wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// CHECK:           nvvm.griddepcontrol  launch_dependents
// Each consumer stores its 64 columns of the partial, two at a time; the
// first one each row's max and sum.
// CHECK-COUNT-8:   vector.store {{.+}} : memref<?x?x?x64x128xf32>, vector<2xf32>
// CHECK:           memref.store {{.+}} : memref<?x?x?x64x2xf32>
// CHECK:           memref.store {{.+}} : memref<?x?x?x64x2xf32>
// CHECK:         } {attn.schedule = "sm90-decode"}
// CHECK:         function(@mqa_kernel_pdl_dependent)
// CHECK:         } {attn.schedule = "decode-combine"}
func.func @mqa(%q: tensor<2x1x32x128xbf16>, %k: tensor<2x4096x1x128xbf16>, %v: tensor<2x4096x1x128xbf16>) -> tensor<2x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<2x1x32x128xbf16>, tensor<2x4096x1x128xbf16>, tensor<2x4096x1x128xbf16> -> tensor<2x1x32x128xbf16>
  return %o : tensor<2x1x32x128xbf16>
}

// -----

// GQA 4:1 in bhsd.
// CHECK-LABEL: func.func @gqa4(
// CHECK:         } {attn.schedule = "sm90-decode"}
func.func @gqa4(%q: tensor<2x8x1x128xbf16>, %k: tensor<2x2x900x128xbf16>, %v: tensor<2x2x900x128xbf16>) -> tensor<2x8x1x128xbf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>} : tensor<2x8x1x128xbf16>, tensor<2x2x900x128xbf16>, tensor<2x2x900x128xbf16> -> tensor<2x8x1x128xbf16>
  return %o : tensor<2x8x1x128xbf16>
}

// -----

func.func @two_positions(%q: tensor<1x2x8x128xbf16>, %k: tensor<1x900x2x128xbf16>, %v: tensor<1x900x2x128xbf16>) -> tensor<1x2x8x128xbf16> {
  // expected-error @+1 {{schedule sm90-decode cannot run this attention: it packs one query position of each query head, and the query length is not 1}}
  %o = attn.attention %q, %k, %v {causal} : tensor<1x2x8x128xbf16>, tensor<1x900x2x128xbf16>, tensor<1x900x2x128xbf16> -> tensor<1x2x8x128xbf16>
  return %o : tensor<1x2x8x128xbf16>
}

// -----

func.func @d64(%q: tensor<1x1x8x64xbf16>, %k: tensor<1x900x2x64xbf16>, %v: tensor<1x900x2x64xbf16>) -> tensor<1x1x8x64xbf16> {
  // expected-error @+1 {{schedule sm90-decode cannot run this attention: head_dim and value head_dim must be 128 (each consumer takes one 64-column block of V)}}
  %o = attn.attention %q, %k, %v : tensor<1x1x8x64xbf16>, tensor<1x900x2x64xbf16>, tensor<1x900x2x64xbf16> -> tensor<1x1x8x64xbf16>
  return %o : tensor<1x1x8x64xbf16>
}

// -----

func.func @wide_group(%q: tensor<1x1x128x128xbf16>, %k: tensor<1x900x1x128xbf16>, %v: tensor<1x900x1x128xbf16>) -> tensor<1x1x128x128xbf16> {
  // expected-error @+1 {{schedule sm90-decode cannot run this attention: a KV group has 128 query heads, more than the 64 rows of its Q tile}}
  %o = attn.attention %q, %k, %v : tensor<1x1x128x128xbf16>, tensor<1x900x1x128xbf16>, tensor<1x900x1x128xbf16> -> tensor<1x1x128x128xbf16>
  return %o : tensor<1x1x128x128xbf16>
}

// -----

func.func @window(%q: tensor<1x1x8x128xbf16>, %k: tensor<1x900x2x128xbf16>, %v: tensor<1x900x2x128xbf16>) -> tensor<1x1x8x128xbf16> {
  // expected-error @+1 {{schedule sm90-decode cannot run this attention: it takes no sliding window}}
  %o = attn.attention %q, %k, %v {window = 100 : i64} : tensor<1x1x8x128xbf16>, tensor<1x900x2x128xbf16>, tensor<1x900x2x128xbf16> -> tensor<1x1x8x128xbf16>
  return %o : tensor<1x1x8x128xbf16>
}

// -----

func.func @f32(%q: tensor<1x1x8x128xf32>, %k: tensor<1x900x2x128xf32>, %v: tensor<1x900x2x128xf32>) -> tensor<1x1x8x128xf32> {
  // expected-error @+1 {{schedule sm90-decode cannot run this attention}}
  %o = attn.attention %q, %k, %v : tensor<1x1x8x128xf32>, tensor<1x900x2x128xf32>, tensor<1x900x2x128xf32> -> tensor<1x1x8x128xf32>
  return %o : tensor<1x1x8x128xf32>
}

// -----

func.func @mask(%q: tensor<1x1x8x128xbf16>, %k: tensor<1x900x2x128xbf16>, %v: tensor<1x900x2x128xbf16>, %m: tensor<1x8x1x900xf32>) -> tensor<1x1x8x128xbf16> {
  // expected-error @+1 {{schedule sm90-decode cannot run this attention: it takes no additive mask}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x8x1x900xf32>) : tensor<1x1x8x128xbf16>, tensor<1x900x2x128xbf16>, tensor<1x900x2x128xbf16> -> tensor<1x1x8x128xbf16>
  return %o : tensor<1x1x8x128xbf16>
}

// -----

func.func @dynamic_heads(%q: tensor<1x1x?x128xbf16>, %k: tensor<1x900x?x128xbf16>, %v: tensor<1x900x?x128xbf16>) -> tensor<1x1x?x128xbf16> {
  // expected-error @+1 {{schedule sm90-decode cannot run this attention: it packs the query heads of a KV group into one TMA box, so it needs static head counts}}
  %o = attn.attention %q, %k, %v : tensor<1x1x?x128xbf16>, tensor<1x900x?x128xbf16>, tensor<1x900x?x128xbf16> -> tensor<1x1x?x128xbf16>
  return %o : tensor<1x1x?x128xbf16>
}
