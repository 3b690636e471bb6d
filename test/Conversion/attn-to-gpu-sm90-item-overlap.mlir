// RUN: attn-opt %s --convert-attn-to-gpu="tma-store=false" -split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="item-overlap=true tma-store=false" -split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="tma=false" -split-input-file | FileCheck %s --check-prefix=CPASYNC
// RUN: attn-opt %s --convert-attn-to-gpu="item-overlap=false" -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm80 item-overlap=true" -split-input-file | FileCheck %s --check-prefix=OTHER
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_90 item-overlap=true" -split-input-file | FileCheck %s --check-prefix=OTHER
// The sm90 schedule with item-overlap (the default): in a persistent grid
// with TMA copies and head dims up to 128, Q has two buffers (item c uses
// buffer c mod 2, each with its own full and empty barrier), and each
// consumer issues the next item's first S before it stores the current
// item's output, waiting for that S after the stores. Elsewhere the option
// changes nothing, and the other schedules (and chips other than sm_90a)
// ignore it, as they do tma. The threads store their own rows here
// (tma-store=false); attn-to-gpu-sm90-tma-store.mlir checks the default,
// which stages them in shared memory.

// OTHER-LABEL: func.func @persistent(
// OTHER:         } {attn.schedule = "sm80"}
// OTHER-LABEL: func.func @one_item(
// OTHER:         } {attn.schedule = "sm80"}
// OTHER-LABEL: func.func @d256(
// OTHER-NOT:     attn.schedule = "sm90"

// Shared memory: two Q buffers of 32 KiB, two stages of 32 KiB K and V
// tiles, the atom slack and twelve barriers (197728 bytes). The barriers:
// Q-full, the stages' K-full and V-full (one arrival: the TMA issuer's),
// their K-empty and V-empty and Q-empty (8: the consumer warps'), then the
// second Q buffer's full (1) and empty (8).
// CHECK-LABEL: func.func @persistent(
// CHECK:         gpu.launch {{.+}} dynamic_shared_memory_size %c197728_i32
// CHECK-COUNT-5:   mbarrier.init.shared::cta.b64 [$0], 1;
// CHECK-COUNT-5:   mbarrier.init.shared::cta.b64 [$0], 8;
// CHECK:           mbarrier.init.shared::cta.b64 [$0], 1;
// CHECK:           mbarrier.init.shared::cta.b64 [$0], 8;
// CHECK-NOT:       mbarrier.init
// The producer picks the item's Q buffer's barriers.
// CHECK:           nvvm.setmaxregister  decrease 24
// CHECK:           scf.for %{{.+}} iter_args(
// CHECK:             arith.select %{{.+}} : i64
// CHECK:             mbarrier.try_wait.parity
// The consumers: the block's first item's first S before the loop; per
// item its tiles, then the next item's first S issued, this item's
// output stored, and that S waited for.
// CHECK:           nvvm.setmaxregister  increase 240
// CHECK:           %[[S0:.+]]:64 = scf.if
// CHECK:             mbarrier.try_wait.parity
// CHECK:             "wgmma.wait_group.sync.aligned 0;"
// CHECK:           scf.for %[[W:[^ ]+]] = %[[BID:[^ ]+]] to %{{[^ ]+}} step %[[GRID:[^ ]+]] iter_args(%{{.+}} = %c0{{[_0-9]*}}, %[[COUNT:[^ ]+]] = %c0{{[_0-9]*}}, %{{.+}} = %[[S0]]#0,
// CHECK:             mbarrier.try_wait.parity
// CHECK:             scf.for
// CHECK:             } else {
// The next item is loop number w + gridDim.x, the block's item count + 1:
// causal items, so its round runs in reverse where that count is odd.
// CHECK:             %[[NEXTCOUNT:.+]] = arith.addi %[[COUNT]], %c1
// CHECK:             %[[NEXT:.+]] = arith.addi %[[W]], %[[GRID]]
// CHECK:             arith.subi %[[NEXT]], %[[BID]]
// CHECK:             arith.remui %[[NEXTCOUNT]], %c2
// CHECK:             %[[X:.+]] = arith.select %{{.+}}, %{{.+}}, %[[NEXT]]
// CHECK:             arith.remui %[[X]],
// CHECK:             %{{.+}}:64 = scf.if
// CHECK:               mbarrier.try_wait.parity
// CHECK:               setp.ne.b32 p, 0, 0;\0Awgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK-NOT:           wgmma.wait_group
// CHECK:               vector.store {{.+}} vector<2xbf16>
// CHECK:               "wgmma.wait_group.sync.aligned 0;"
// CHECK:             } else {
// CHECK:               vector.store {{.+}} vector<2xbf16>
// CHECK:             scf.yield
// With cp.async copies the option does not apply, and item-overlap=false
// turns it off: one Q buffer, ten barriers.
// CPASYNC-LABEL: func.func @persistent(
// CPASYNC:         gpu.launch {{.+}} dynamic_shared_memory_size %c164944_i32
// CPASYNC-COUNT-10: mbarrier.init
// CPASYNC-NOT:     mbarrier.init
// OFF-LABEL: func.func @persistent(
// OFF:         gpu.launch {{.+}} dynamic_shared_memory_size %c164944_i32
// OFF-COUNT-10: mbarrier.init
// OFF-NOT:     mbarrier.init
func.func @persistent(%q: tensor<2x1024x8x128xbf16>, %k: tensor<2x1024x2x128xbf16>, %v: tensor<2x1024x2x128xbf16>) -> tensor<2x1024x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x1024x8x128xbf16>, tensor<2x1024x2x128xbf16>, tensor<2x1024x2x128xbf16> -> tensor<2x1024x8x128xbf16>
  return %o : tensor<2x1024x8x128xbf16>
}

// -----

// Under 512 keys a block has one item: nothing to overlap, one Q buffer.
// CPASYNC-LABEL: func.func @one_item(
// OFF-LABEL: func.func @one_item(
// CHECK-LABEL: func.func @one_item(
// CHECK:         gpu.launch {{.+}} dynamic_shared_memory_size %c164944_i32
// CHECK-COUNT-10:  mbarrier.init
// CHECK-NOT:       mbarrier.init
func.func @one_item(%q: tensor<2x100x8x128xbf16>, %k: tensor<2x200x2x128xbf16>, %v: tensor<2x200x2x128xbf16>) -> tensor<2x100x8x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<2x100x8x128xbf16>, tensor<2x200x2x128xbf16>, tensor<2x200x2x128xbf16> -> tensor<2x100x8x128xbf16>
  return %o : tensor<2x100x8x128xbf16>
}

// -----

// Head dim 256: the output's registers and the next S's would spill
// together, so one Q buffer (64 KiB; with the stages and each consumer's
// P, which goes through shared memory above head_dim 128, 214096 bytes).
// CHECK-LABEL: func.func @d256(
// CHECK:         gpu.launch {{.+}} dynamic_shared_memory_size %c214096_i32
// CHECK-NOT:     scf.for %{{.+}} iter_args(%{{.+}}, %{{.+}}, %{{.+}} = %{{.+}}#0,
func.func @d256(%q: tensor<1x2048x2x256xf16>, %k: tensor<1x2048x2x256xf16>, %v: tensor<1x2048x2x256xf16>) -> tensor<1x2048x2x256xf16> {
  %o = attn.attention %q, %k, %v : tensor<1x2048x2x256xf16>, tensor<1x2048x2x256xf16>, tensor<1x2048x2x256xf16> -> tensor<1x2048x2x256xf16>
  return %o : tensor<1x2048x2x256xf16>
}
