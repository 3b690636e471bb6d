// The sm90 schedule's persistent grid with --item-overlap on the GPU: two
// Q buffers, and each consumer issues the next item's first S before it
// stores the current item's output. Blocks run several items each (sized
// for few SMs), whose Q buffers alternate: causal (items of unlike tile
// counts, and the ring's stage and parity running on across them), Sq < Sk
// with a partial last K/V tile at head_dim 64, a window in bhsd, more items
// than a block's first round, and f16. Each is checked against the float64
// reference; then compute-sanitizer on a small grid, and 100 calls in one
// process giving the same bits. The causal runs keep the grid's own order
// (--plan-items=never), whose rounds a plan would replace where it gains:
// sm90-plan-items.mlir tests the planned loop. Every thread stores its own
// rows here (--tma-store=false); sm90-tma-store.mlir tests the default,
// which stages them in shared memory for TMA.
// REQUIRES: cuda, compute-sanitizer
// Each run is held to 120 s, so that a barrier phase that never completes
// fails its line instead of stalling the suite.
// RUN: sed -e 's/@Q@/3x1000x32x128/g;s/@K@/3x1000x8x128/g;s/@V@/3x1000x8x128/g;s/@O@/3x1000x32x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=51 --schedule=sm90 --item-overlap --tma-store=false --plan-items=never | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="item overlap"
// RUN: sed -e 's/@Q@/2x700x32x64/g;s/@K@/2x1500x8x64/g;s/@V@/2x1500x8x64/g;s/@O@/2x700x32x64/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=52 --schedule=sm90 --item-overlap --tma-store=false | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="item overlap"
// RUN: sed -e 's/@Q@/1x600x8x64/g;s/@K@/1x600x2x64/g;s/@V@/1x600x2x64/g;s/@O@/1x600x8x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=53 --schedule=sm90 --item-overlap --tma-store=false --plan-items=never --sm-count=3 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="item overlap"
// RUN: sed -e 's/@Q@/2x32x600x128/g;s/@K@/2x8x900x128/g;s/@V@/2x8x900x128/g;s/@O@/2x32x600x128/g;s/@T@/bf16/g;s/@A@/{window = 300 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=54 --schedule=sm90 --item-overlap --tma-store=false --sm-count=7 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="item overlap"
// RUN: sed -e 's/@Q@/2x1024x32x128/g;s/@K@/2x1024x8x128/g;s/@V@/2x1024x8x128/g;s/@O@/2x1024x32x128/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=55 --schedule=sm90 --item-overlap --tma-store=false | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="item overlap"

// RUN: sed -e 's/@Q@/1x520x4x64/g;s/@K@/1x520x2x64/g;s/@V@/1x520x2x64/g;s/@O@/1x520x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s > %t.small.mlir
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --item-overlap --tma-store=false --plan-items=never --sm-count=4 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --item-overlap --tma-store=false --plan-items=never --sm-count=3 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --item-overlap --tma-store=false --plan-items=never --sm-count=4 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=6 --schedule=sm90 --item-overlap --tma-store=false --plan-items=never --sm-count=4 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// CHECK: check: max_abs_err={{.*}} PASS
// MEMCHECK: ERROR SUMMARY: 0 errors
// RACECHECK: RACECHECK SUMMARY: 0 hazards displayed
// SYNCCHECK: ERROR SUMMARY: 0 errors
// INITCHECK: ERROR SUMMARY: 0 errors

// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --seed=6 --schedule=sm90 --item-overlap --tma-store=false --plan-items=never --sm-count=3 --repeat=100 | FileCheck %s --check-prefix=REPEAT
// REPEAT: repeat: 100 calls, every result bit for bit the first call's

func.func @attention(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                     %v: tensor<@V@x@T@>) -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
