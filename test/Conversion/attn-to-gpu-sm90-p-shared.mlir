// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90 tma=false p-in-shared=true" | FileCheck %s
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=scalar p-in-shared=true" 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// The sm90 schedule with p-in-shared: each consumer warpgroup stores its P
// into a swizzled tile of its own, and P·V takes both operands from shared
// memory (wgmma's SS form) instead of P from registers. The rest of the
// kernel is that of attn-to-gpu-sm90.mlir.

// SCHEDULE: error: convert-attn-to-gpu: p-in-shared applies to the sm90 schedule only, not to schedule 'scalar'

// CHECK-LABEL: func.func @gqa(
// Shared memory is the default form's (Q 32 KiB, two stages of 32 KiB K
// and V tiles, the atom slack and ten barriers: 164944 bytes) and two P
// tiles of 64 rows by 128 keys (16 KiB each).
// CHECK:         gpu.launch {{.+}} dynamic_shared_memory_size %c197712_i32
// Tile 0: S, the softmax, and its P stored (32 words a thread: 64 rows by
// 128 keys over 128 threads), fenced for the async proxy, and every warp
// of the warpgroup past its stores (barrier 3 + group, 128 threads) before
// any product reads it.
// CHECK:           nvvm.setmaxregister  increase 224
// CHECK:             "wgmma.commit_group.sync.aligned;"
// CHECK:             "wgmma.wait_group.sync.aligned 0;"
// CHECK-COUNT-32:    "st.shared.b32 [$0], $1;", "l,r,~{memory}"
// CHECK-NEXT:        nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK:             "bar.sync $0, 128;"
// Later tiles: P·V of tile t - 1 reads P through a descriptor (no register
// operand; tnspB for N-major V), and P of tile t is stored once that
// product is done. No P rides in the loop's carried values (in registers
// it would be i32 words): only f32 accumulators, maxes, sums and
// corrections, and the next tile's first key (causal: the loop counts
// tiles and carries the key, which ptxas then keeps uniform).
// CHECK:             scf.for {{.+}} -> ({{[f32, ]+}}index) {
// CHECK-COUNT-8:       wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, p, 1, 1, 0, 0;
// CHECK-COUNT-8:       wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, $128, $129, p, 1, 1, 0, 1;
// CHECK:               "wgmma.wait_group.sync.aligned 1;"
// CHECK:               "wgmma.wait_group.sync.aligned 0;"
// CHECK-COUNT-32:      "st.shared.b32 [$0], $1;"
// CHECK:               "bar.sync $0, 128;"
// CHECK:               scf.yield
// The last tile's P·V, from the P stored last.
// CHECK-COUNT-8:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}, $128, $129, p, 1, 1, 0, 1;
func.func @gqa(%q: tensor<2x1000x8x128xbf16>, %k: tensor<2x1000x2x128xbf16>, %v: tensor<2x1000x2x128xbf16>) -> tensor<2x1000x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x1000x8x128xbf16>, tensor<2x1000x2x128xbf16>, tensor<2x1000x2x128xbf16> -> tensor<2x1000x8x128xbf16>
  return %o : tensor<2x1000x8x128xbf16>
}
