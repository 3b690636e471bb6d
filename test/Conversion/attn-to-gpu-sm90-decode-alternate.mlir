// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90-decode-alternate" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90-decode-alternate" -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=NOTURNS
// RUN: attn-opt %s --convert-attn-to-gpu -split-input-file | FileCheck %s --check-prefix=AUTO
// The alternate form of sm90-decode: the consumer warpgroups take
// alternate 64-key tiles of the block's split (six stages of the TMA ring)
// instead of both computing S of every tile, each accumulates P V over all
// of V's columns with no turns between them, and each writes a partial of
// its own, so that the combine merges twice the blocks' splits. auto never
// picks it.

// No named barrier: the consumers take no turns (sm90-decode's do).
// NOTURNS-LABEL: func.func @mqa(
// NOTURNS-NOT:     "bar.sync $0, 256;"
// NOTURNS-NOT:     "bar.arrive $0, 256;"
// NOTURNS:         } {attn.schedule = "sm90-decode-alternate"}

// AUTO-LABEL: func.func @mqa(
// AUTO-NOT:     sm90-decode-alternate
// AUTO:         } {attn.schedule = "decode"}

// Two (batch, KV head) pairs of 64 tiles: 16 splits of 4 tiles (2 a
// consumer), 32 partials a pair. K and V in boxes of 64 keys. Shared
// memory: Q (16 KiB), six stages of K and V (6 x 32 KiB), the atom slack
// and 26 barriers (214224 bytes).
// CHECK-LABEL: func.func @mqa(
// CHECK:         %[[PARTIALS:.+]] = arith.muli %c16, %c2
// CHECK:         gpu.alloc (%{{.+}}, %{{.+}}, %[[PARTIALS]]) : memref<?x?x?x64x128xf32>
// CHECK:         gpu.alloc (%{{.+}}, %{{.+}}, %[[PARTIALS]]) : memref<?x?x?x64x2xf32>
// CHECK:         call @attnGpuTensorMap4d({{.+}}, %c64_i64, %c32_i64, %c1_i64, %c1_i64{{[_0-9]*}})
// CHECK:         call @attnGpuTensorMap4d({{.+}}, %c64_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %c64_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}})
// CHECK:         call @attnGpuTensorMap4d({{.+}}, %c64_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %c64_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}})
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c16, {{.+}}) threads({{.+}}) in (%{{.+}} = %c384, {{.+}}) dynamic_shared_memory_size %c214224_i32 function(@mqa_kernel_pdl_primary)
// The full barriers (Q and twelve stage barriers) complete on the TMA
// bytes; a stage's empty barriers on the 4 warps of the one consumer that
// reads it; Q's on all 8.
// CHECK-COUNT-13:  mbarrier.init.shared::cta.b64 [$0], 1;
// CHECK-COUNT-12:  mbarrier.init.shared::cta.b64 [$0], 4;
// CHECK:           mbarrier.init.shared::cta.b64 [$0], 8;
// The producer copies every tile in order; each consumer steps over the
// other's: S is m64n64, P V m64n128. The consumer's loop counts its tiles
// and carries its tile's first key, read through an opaque copy and
// stepped by two tiles' keys.
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c64
// CHECK:             cp.async.bulk.tensor.4d
// CHECK:           wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// CHECK:           scf.for %{{.+}} = %c0{{[_0-9]*}} to %{{.+}} step %c1{{[_0-9]*}} iter_args({{.+}}, %[[KEY:.+]] = %{{.+}}) -> ({{.+}}, index)
// CHECK-NEXT:        %[[KEY64:.+]] = arith.index_cast %[[KEY]] : index to i64
// CHECK-NEXT:        %[[COPY64:.+]] = llvm.inline_asm has_side_effects "mov.b64 $0, $1;", "=l,l" %[[KEY64]]
// CHECK-NEXT:        %[[COPY:.+]] = arith.index_cast %[[COPY64]] : i64 to index
// CHECK-COUNT-8:     wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// CHECK-COUNT-4:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK:             %[[NEXT:.+]] = arith.addi %[[COPY]], %c128{{[_0-9]*}}
// CHECK-NEXT:        scf.yield {{.+}}, %[[NEXT]] :
// Each consumer's partial is split 2 s + c, all 128 columns (16 n8 tiles
// of column pairs a row), with its own (max, sum).
// CHECK-COUNT-16:  vector.store {{.+}} : memref<?x?x?x64x128xf32>, vector<2xf32>
// CHECK:           memref.store {{.+}} : memref<?x?x?x64x2xf32>
// CHECK:         } {attn.schedule = "sm90-decode-alternate"}
// CHECK:         function(@mqa_kernel_pdl_dependent)
// CHECK:           scf.for %{{.+}} = %c0{{.*}} to %{{.+}} step
// CHECK:         } {attn.schedule = "decode-combine"}
func.func @mqa(%q: tensor<2x1x32x128xbf16>, %k: tensor<2x4096x1x128xbf16>, %v: tensor<2x4096x1x128xbf16>) -> tensor<2x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<2x1x32x128xbf16>, tensor<2x4096x1x128xbf16>, tensor<2x4096x1x128xbf16> -> tensor<2x1x32x128xbf16>
  return %o : tensor<2x1x32x128xbf16>
}

// -----

// It covers what sm90-decode covers, and says so under its own name.
func.func @d64(%q: tensor<1x1x8x64xbf16>, %k: tensor<1x900x2x64xbf16>, %v: tensor<1x900x2x64xbf16>) -> tensor<1x1x8x64xbf16> {
  // expected-error @+1 {{schedule sm90-decode-alternate cannot run this attention: head_dim and value head_dim must be 128 (its tiles and ring are sized for 128)}}
  %o = attn.attention %q, %k, %v : tensor<1x1x8x64xbf16>, tensor<1x900x2x64xbf16>, tensor<1x900x2x64xbf16> -> tensor<1x1x8x64xbf16>
  return %o : tensor<1x1x8x64xbf16>
}
