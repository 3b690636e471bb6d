// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90" -split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu -split-input-file | FileCheck %s --check-prefix=AUTO
// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm80" -split-input-file | FileCheck %s --check-prefix=OTHER
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_80" -split-input-file | FileCheck %s --check-prefix=OTHER
// The sm90 schedule copies with TMA by default (tma=true): the host builds
// a tensor map of Q, K and V (the runtime's attnGpuTensorMap4d) before the
// launch, and one producer thread copies each 64-column box of a tile with
// one TMA instruction that completes on the tile's full mbarrier. The rest
// of the kernel is the cp.async one's (tma=false, attn-to-gpu-sm90.mlir).
// The other schedules ignore the option: no tensor map is built for them.

// OTHER-NOT: attnGpuTensorMap4d
// OTHER-NOT: cp.async.bulk.tensor

// AUTO-LABEL: func.func @bshd(
// AUTO:         call @attnGpuTensorMap4d
// AUTO:         } {attn.schedule = "sm90"}

// CHECK:       func.func private @attnGpuTensorMap4d(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> i64
// CHECK-LABEL: func.func @bshd(
// Each map: the first element's address (aligned pointer plus offset, in
// bytes), 2-byte elements, the extents innermost first (head_dim, heads,
// positions, batch), the byte strides of the outer three, and a box of 64
// columns by one tile's positions of one head. K and V are seen over their
// 600 keys; V's head_dim is 64.
// CHECK:         %[[QB:.+]], %[[QOFF:.+]], %{{.+}}:4, %{{.+}}:4 = memref.extract_strided_metadata %[[Q:.+]] : memref<2x100x8x128xbf16>
// CHECK:         %[[QPTR:.+]] = memref.extract_aligned_pointer_as_index %[[Q]]
// CHECK:         %[[QMAP:.+]] = call @attnGpuTensorMap4d(%{{.+}}, %c2_i64{{.*}}, %c128_i64{{.*}}, %{{.+}}, %{{.+}}, %{{.+}}, %c256_i64{{.*}}, %{{.+}}, %{{.+}}, %c64_i64{{.*}}, %c1_i64{{.*}}, %c128_i64{{.*}}, %c1_i64{{.*}})
// CHECK:         memref.extract_strided_metadata %{{.+}} : memref<2x600x2x128xbf16>
// CHECK:         %[[KMAP:.+]] = call @attnGpuTensorMap4d(%{{.+}}, %c2_i64{{.*}}, %c128_i64{{.*}}, %{{.+}}, %{{.+}}, %{{.+}}, %c256_i64{{.*}}, %{{.+}}, %{{.+}}, %c64_i64{{.*}}, %c1_i64{{.*}}, %c128_i64{{.*}}, %c1_i64{{.*}})
// CHECK:         memref.extract_strided_metadata %{{.+}} : memref<2x600x2x64xbf16>
// CHECK:         %[[VMAP:.+]] = call @attnGpuTensorMap4d(%{{.+}}, %c2_i64{{.*}}, %c64_i64{{.*}}, %{{.+}}, %{{.+}}, %{{.+}}, %c128_i64{{.*}}, %{{.+}}, %{{.+}}, %c64_i64{{.*}}, %c1_i64{{.*}}, %c128_i64{{.*}}, %c1_i64{{.*}})
// CHECK:         gpu.launch
// Q's full barrier and the four stage full barriers wait for one arrival
// (the issuing thread's, which sets the bytes to expect) and the copies'
// bytes.
// CHECK-COUNT-5:   "mbarrier.init.shared::cta.b64 [$0], 1;"
// CHECK-COUNT-5:   "mbarrier.init.shared::cta.b64 [$0], 8;"
// One thread issues every copy, so the producer keeps 24 registers and
// the consumers take 240 (128 x 24 + 256 x 240 = 384 x 168).
// CHECK:           nvvm.setmaxregister  decrease 24
// The producer's first thread makes the maps visible to its copies (the
// host wrote them) and prefetches them, then copies Q (two 64-column
// boxes, 32 KiB) once the consumers have handed it back...
// CHECK:           scf.if
// CHECK-COUNT-3:     "fence.proxy.tensormap::generic.acquire.gpu [$0], 128;\0Aprefetch.tensormap [$0];", "l,~{memory}" %{{.+}} : (i64) -> ()
// CHECK:             scf.for
// CHECK:               mbarrier.try_wait.parity
// CHECK:             mbarrier.arrive.expect_tx.shared::cta.b64 state, [$0], 32768;
// CHECK-COUNT-2:     cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [$0], [$1, {$2, $3, $4, $5}], [$6];", "l,l,r,r,r,r,l,~{memory}" %{{.+}}, %[[QMAP]],
// ... then each K tile (two boxes) and V tile (one box) once their stage
// is free.
// CHECK:             scf.for
// CHECK:               mbarrier.try_wait.parity
// CHECK:               mbarrier.arrive.expect_tx.shared::cta.b64 state, [$0], 32768;
// CHECK-COUNT-2:       cp.async.bulk.tensor.4d{{.+}} %{{.+}}, %[[KMAP]],
// CHECK:               mbarrier.try_wait.parity
// CHECK:               mbarrier.arrive.expect_tx.shared::cta.b64 state, [$0], 16384;
// CHECK:               cp.async.bulk.tensor.4d{{.+}} %{{.+}}, %[[VMAP]],
// CHECK-NOT:       nvgpu.device_async_copy
// CHECK-NOT:       nvvm.cp.async.wait.group
// The consumers: TMA writes shared memory through the async proxy, so no
// proxy fence follows their waits.
// CHECK:           nvvm.setmaxregister  increase 240
// CHECK-NOT:       nvvm.fence.proxy
// CHECK:           "wgmma.fence.sync.aligned;"
func.func @bshd(%q: tensor<2x100x8x128xbf16>, %k: tensor<2x600x2x128xbf16>, %v: tensor<2x600x2x64xbf16>) -> tensor<2x100x8x64xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x100x8x128xbf16>, tensor<2x600x2x128xbf16>, tensor<2x600x2x64xbf16> -> tensor<2x100x8x64xbf16>
  return %o : tensor<2x100x8x64xbf16>
}

// -----

// bhsd: the extents are head_dim, positions, heads, batch, and a box is 64
// columns by one tile's positions. Head dim 256: 64-key tiles, four boxes
// a tile; with the consumers' 240 registers its grid is persistent too
// (at most the default 132 SMs' blocks, looping over the items).
// CHECK-LABEL: func.func @bhsd(
// CHECK:         arith.minui %{{.+}}, %c132
// CHECK:         call @attnGpuTensorMap4d(%{{.+}}, %c2_i64{{.*}}, %c256_i64{{.*}}, %{{.+}}, %{{.+}}, %{{.+}}, %c512_i64{{.*}}, %{{.+}}, %{{.+}}, %c64_i64{{.*}}, %c128_i64{{.*}}, %c1_i64{{.*}}, %c1_i64{{.*}})
// CHECK:         call @attnGpuTensorMap4d(%{{.+}}, %c2_i64{{.*}}, %c256_i64{{.*}}, %{{.+}}, %{{.+}}, %{{.+}}, %c512_i64{{.*}}, %{{.+}}, %{{.+}}, %c64_i64{{.*}}, %c64_i64{{.*}}, %c1_i64{{.*}}, %c1_i64{{.*}})
// CHECK:         gpu.launch
// CHECK:             mbarrier.arrive.expect_tx.shared::cta.b64 state, [$0], 65536;
// CHECK-COUNT-4:     cp.async.bulk.tensor.4d
// CHECK:             scf.for
// CHECK:               mbarrier.arrive.expect_tx.shared::cta.b64 state, [$0], 32768;
// CHECK-COUNT-4:       cp.async.bulk.tensor.4d
// CHECK:               mbarrier.arrive.expect_tx.shared::cta.b64 state, [$0], 32768;
// CHECK-COUNT-4:       cp.async.bulk.tensor.4d
func.func @bhsd(%q: tensor<1x4x300x256xf16>, %k: tensor<1x2x333x256xf16>, %v: tensor<1x2x333x256xf16>) -> tensor<1x4x300x256xf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>} : tensor<1x4x300x256xf16>, tensor<1x2x333x256xf16>, tensor<1x2x333x256xf16> -> tensor<1x4x300x256xf16>
  return %o : tensor<1x4x300x256xf16>
}
