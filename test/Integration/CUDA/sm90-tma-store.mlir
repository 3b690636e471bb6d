// The sm90 schedule's overlapped items with --tma-store on the GPU: each
// consumer writes its output rows into a shared-memory tile of its own, in
// a TMA box's layout, and one of its threads stores them with TMA. Query
// lengths that are not a multiple of the 128-row block (whose rows past the
// last query the copies must clip, not write), head_dim 64 (one 64-column
// box) and 128 (two), bshd and bhsd, causal, a window, MQA, f16, and blocks
// of many items each (the tile reused once its previous copies have read
// it). Each is checked against the float64 reference into a poisoned
// output; then compute-sanitizer on a small grid, and 100 calls in one
// process giving the same bits.
// REQUIRES: cuda, compute-sanitizer
// Each run is held to 120 s, so that a barrier phase that never completes
// fails its line instead of stalling the suite.
// RUN: sed -e 's/@Q@/3x1000x32x128/g;s/@K@/3x1000x8x128/g;s/@V@/3x1000x8x128/g;s/@O@/3x1000x32x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=61 --schedule=sm90 --tma-store | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="output stored with TMA"
// RUN: sed -e 's/@Q@/2x700x32x64/g;s/@K@/2x1500x8x64/g;s/@V@/2x1500x8x64/g;s/@O@/2x700x32x64/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=62 --schedule=sm90 --tma-store | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="output stored with TMA"
// RUN: sed -e 's/@Q@/1x600x8x64/g;s/@K@/1x600x2x64/g;s/@V@/1x600x2x64/g;s/@O@/1x600x8x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=63 --schedule=sm90 --tma-store --sm-count=3 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="output stored with TMA"
// RUN: sed -e 's/@Q@/2x32x600x128/g;s/@K@/2x8x900x128/g;s/@V@/2x8x900x128/g;s/@O@/2x32x600x128/g;s/@T@/bf16/g;s/@A@/{window = 300 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=64 --schedule=sm90 --tma-store --sm-count=7 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="output stored with TMA"
// RUN: sed -e 's/@Q@/2x1024x32x128/g;s/@K@/2x1024x8x128/g;s/@V@/2x1024x8x128/g;s/@O@/2x1024x32x128/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=65 --schedule=sm90 --tma-store | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="output stored with TMA"
// RUN: sed -e 's/@Q@/1x777x32x128/g;s/@K@/1x777x1x128/g;s/@V@/1x777x1x128/g;s/@O@/1x777x32x128/g;s/@T@/bf16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=66 --schedule=sm90 --tma-store --sm-count=5 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="output stored with TMA"

// RUN: sed -e 's/@Q@/1x520x4x64/g;s/@K@/1x520x2x64/g;s/@V@/1x520x2x64/g;s/@O@/1x520x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s > %t.small.mlir
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma-store --sm-count=4 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma-store --sm-count=3 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma-store --sm-count=4 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma-store --sm-count=4 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// CHECK: check: max_abs_err={{.*}} PASS
// MEMCHECK: ERROR SUMMARY: 0 errors
// RACECHECK: RACECHECK SUMMARY: 0 hazards displayed
// SYNCCHECK: ERROR SUMMARY: 0 errors
// INITCHECK: ERROR SUMMARY: 0 errors

// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --seed=6 --schedule=sm90 --tma-store --sm-count=3 --repeat=100 | FileCheck %s --check-prefix=REPEAT
// REPEAT: repeat: 100 calls, every result bit for bit the first call's

func.func @attention(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                     %v: tensor<@V@x@T@>) -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
