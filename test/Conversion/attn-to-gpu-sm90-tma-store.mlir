// RUN: attn-opt %s --convert-attn-to-gpu -split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="tma-store=false" -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s --convert-attn-to-gpu="tma-store=true p-in-shared=true" -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s --convert-attn-to-gpu="tma-store=true item-overlap=false" -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s --convert-attn-to-gpu="tma-store=true tail-split=true sm-count=7" -split-input-file | FileCheck %s --check-prefix=SPLIT
// The sm90 schedule with tma-store (the default): where items overlap (two
// Q buffers), P stays in registers and no last round is split, each
// consumer writes its normalized output rows into a 64-row tile of its
// own after the tiles, in a TMA box's layout, and its first thread stores
// the tile with one TMA copy per 64 columns, through a fourth tensor map
// (the output's, in boxes of 64 rows). Before writing the tile again,
// that thread waits until the previous copies have read it, and the
// warpgroup meets (barrier 5 + g); after writing it, every thread fences
// its stores for the async proxy and the warpgroup meets again. Before the block exits, the thread waits
// for its copies to complete.

// Shared memory: the item-overlap kernel's 197728 bytes and two 16 KiB
// output tiles.
// CHECK-LABEL: func.func @persistent(
// CHECK-COUNT-4: call @attnGpuTensorMap4d
// CHECK:         gpu.launch {{.+}} dynamic_shared_memory_size %c230496_i32
// CHECK:           "cp.async.bulk.wait_group.read 0;", "~{memory}" : () -> ()
// CHECK-NEXT:    }
// CHECK-NEXT:    "bar.sync $0, 128;", "r,~{memory}" %[[ID:[0-9]+]]
// CHECK-COUNT-32: "st.shared.b32 [$0], $1;"
// CHECK:         nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:    "bar.sync $0, 128;", "r,~{memory}" %[[ID]]
// CHECK:           "cp.async.bulk.tensor.4d.global.shared::cta.tile.bulk_group [$0, {$1, $2, $3, $4}], [$5];"
// CHECK:           "cp.async.bulk.tensor.4d.global.shared::cta.tile.bulk_group [$0, {$1, $2, $3, $4}], [$5];"
// CHECK-NEXT:      "cp.async.bulk.commit_group;"
// CHECK:         "cp.async.bulk.wait_group 0;"
// OFF-LABEL: func.func @persistent(
// OFF-NOT:       cp.async.bulk.tensor.4d.global
// With a split last round (16 items on 7 blocks), the parts store
// partials and the whole items stage their output.
// SPLIT-LABEL: func.func @persistent(
// SPLIT:         function(@persistent_kernel_pdl_primary)
// SPLIT:           scf.if
// SPLIT:             vector.store {{.+}} : memref<?x?x?x128x128xf32>, vector<2xf32>
// SPLIT:           } else {
// SPLIT:             "cp.async.bulk.tensor.4d.global.shared::cta.tile.bulk_group
// SPLIT:         return
func.func @persistent(%q: tensor<1x1024x8x128xbf16>, %k: tensor<1x1024x2x128xbf16>, %v: tensor<1x1024x2x128xbf16>) -> tensor<1x1024x8x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x1024x8x128xbf16>, tensor<1x1024x2x128xbf16>, tensor<1x1024x2x128xbf16> -> tensor<1x1024x8x128xbf16>
  return %o : tensor<1x1024x8x128xbf16>
}

// -----

// Above head_dim 128 Q has one buffer (and P is in shared memory): the
// threads store their rows.
// CHECK-LABEL: func.func @d256(
// CHECK-NOT:     cp.async.bulk.tensor.4d.global
// CHECK:         return
func.func @d256(%q: tensor<1x1024x8x256xbf16>, %k: tensor<1x1024x2x256xbf16>, %v: tensor<1x1024x2x256xbf16>) -> tensor<1x1024x8x256xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x1024x8x256xbf16>, tensor<1x1024x2x256xbf16>, tensor<1x1024x2x256xbf16> -> tensor<1x1024x8x256xbf16>
  return %o : tensor<1x1024x8x256xbf16>
}
