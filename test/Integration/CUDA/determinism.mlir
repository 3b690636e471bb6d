// Every schedule gives the same bits on every run of the same inputs: no
// atomics, no order that depends on which block or warp finishes first
// (the split-KV combine reads the partials in a fixed order). 25 runs each,
// one process a run, of sm90 (causal, several K/V tiles per block; and its
// persistent grid, with blocks that run several items), sm80, and decode
// split over blocks; then 250 calls each in one process (--repeat), the
// scalar schedule and sm90 with cp.async copies or P in shared memory too.
// REQUIRES: cuda

// RUN: sed -e 's/@Q@/1x300x8x128/g;s/@K@/1x300x2x128/g;s/@V@/1x300x2x128/g;s/@O@/1x300x8x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.prefill.mlir
// RUN: sed -e 's/@Q@/4x1x32x128/g;s/@K@/4x3000x8x128/g;s/@V@/4x3000x8x128/g;s/@O@/4x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.decode.mlir
// RUN: bash %S/Inputs/repeat-identical.sh 25 %t.sm90 attn-runner %t.prefill.mlir --target=cuda --seed=7 --schedule=sm90 | FileCheck %s
// RUN: sed -e 's/@Q@/2x520x16x64/g;s/@K@/2x520x4x64/g;s/@V@/2x520x4x64/g;s/@O@/2x520x16x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.persistent.mlir
// RUN: bash %S/Inputs/repeat-identical.sh 25 %t.persistent attn-runner %t.persistent.mlir --target=cuda --seed=9 --schedule=sm90 | FileCheck %s
// RUN: bash %S/Inputs/repeat-identical.sh 25 %t.sm80 attn-runner %t.prefill.mlir --target=cuda --seed=7 --schedule=sm80 | FileCheck %s
// RUN: bash %S/Inputs/repeat-identical.sh 25 %t.decode attn-runner %t.decode.mlir --target=cuda --seed=8 --kv-splits=5 | FileCheck %s
// RUN: attn-runner %t.prefill.mlir --target=cuda --seed=7 --schedule=sm90 --repeat=250 | FileCheck %s --check-prefix=REPEAT
// RUN: attn-runner %t.persistent.mlir --target=cuda --seed=9 --schedule=sm90 --repeat=250 | FileCheck %s --check-prefix=REPEAT
// RUN: timeout 120 attn-runner %t.prefill.mlir --target=cuda --seed=7 --schedule=sm90 --tma=false --repeat=250 | FileCheck %s --check-prefix=REPEAT
// RUN: timeout 120 attn-runner %t.persistent.mlir --target=cuda --seed=9 --schedule=sm90 --tma=false --repeat=250 | FileCheck %s --check-prefix=REPEAT
// RUN: timeout 120 attn-runner %t.persistent.mlir --target=cuda --seed=9 --schedule=sm90 --p-in-shared --repeat=250 | FileCheck %s --check-prefix=REPEAT
// RUN: attn-runner %t.prefill.mlir --target=cuda --seed=7 --schedule=sm80 --repeat=250 | FileCheck %s --check-prefix=REPEAT
// RUN: attn-runner %t.prefill.mlir --target=cuda --seed=7 --schedule=scalar --repeat=250 | FileCheck %s --check-prefix=REPEAT
// RUN: attn-runner %t.decode.mlir --target=cuda --seed=8 --kv-splits=5 --repeat=250 | FileCheck %s --check-prefix=REPEAT

// CHECK: identical: 25 runs
// REPEAT: repeat: 250 calls, every result bit for bit the first call's
