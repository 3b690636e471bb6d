// The sm90 schedule's planned order (--plan-items=always) on the GPU: each block
// of the persistent grid takes the items of its run of a table built with
// the kernel (those a grid taking the next item as each block frees would
// give it) rather than every grid-th item. Blocks run several items each
// (forced SM counts), of unlike lengths: causal with Sq = Sk, causal with
// Sq < Sk (bottom-right aligned), a window in bhsd, head_dim 64 in f16,
// item overlap off, cp.async copies, head_dim 256 and the device's own SM
// count. Each is checked against the float64 reference; then
// compute-sanitizer on a small grid, and 100 calls giving the same bits.
// REQUIRES: cuda-sm90, compute-sanitizer
// RUN: sed -e 's/@Q@/3x1000x32x128/g;s/@K@/3x1000x8x128/g;s/@V@/3x1000x8x128/g;s/@O@/3x1000x32x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=81 --schedule=sm90 --plan-items=always --sm-count=20 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"
// RUN: sed -e 's/@Q@/2x700x32x64/g;s/@K@/2x1500x8x64/g;s/@V@/2x1500x8x64/g;s/@O@/2x700x32x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=82 --schedule=sm90 --plan-items=always --sm-count=7 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"
// RUN: sed -e 's/@Q@/2x32x600x128/g;s/@K@/2x8x900x128/g;s/@V@/2x8x900x128/g;s/@O@/2x32x600x128/g;s/@T@/bf16/g;s/@A@/{window = 300 : i64, layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=83 --schedule=sm90 --plan-items=always --sm-count=11 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"
// RUN: sed -e 's/@Q@/1x1024x8x128/g;s/@K@/1x1024x2x128/g;s/@V@/1x1024x2x128/g;s/@O@/1x1024x8x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=84 --schedule=sm90 --plan-items=always --item-overlap=false --sm-count=5 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"
// RUN: sed -e 's/@Q@/1x1024x8x128/g;s/@K@/1x1024x2x128/g;s/@V@/1x1024x2x128/g;s/@O@/1x1024x8x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=85 --schedule=sm90 --plan-items=always --tma=false --sm-count=5 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"
// RUN: sed -e 's/@Q@/1x1024x4x256/g;s/@K@/1x1024x4x256/g;s/@V@/1x1024x4x256/g;s/@O@/1x1024x4x256/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=86 --schedule=sm90 --plan-items=always --sm-count=6 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"
// RUN: sed -e 's/@Q@/2x2048x32x128/g;s/@K@/2x2048x8x128/g;s/@V@/2x2048x8x128/g;s/@O@/2x2048x32x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=87 --schedule=sm90 --plan-items=always | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"

// The default, --plan-items=auto, on a shape whose plan it takes (its
// largest block 1.125 -> 1.071 of the mean on 3 SMs, lit's
// attn-to-gpu-sm90-plan-items.mlir).
// RUN: sed -e 's/@Q@/1x512x4x64/g;s/@K@/1x512x1x64/g;s/@V@/1x512x1x64/g;s/@O@/1x512x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=88 --schedule=sm90 --sm-count=3 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="planned order"

// RUN: sed -e 's/@Q@/1x520x4x64/g;s/@K@/1x520x2x64/g;s/@V@/1x520x2x64/g;s/@O@/1x520x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.small.mlir
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=8 --schedule=sm90 --plan-items=always --sm-count=4 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=8 --schedule=sm90 --plan-items=always --sm-count=3 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=8 --schedule=sm90 --plan-items=always --sm-count=4 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=8 --schedule=sm90 --plan-items=always --sm-count=4 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// CHECK: check: max_abs_err={{.*}} PASS
// MEMCHECK: ERROR SUMMARY: 0 errors
// RACECHECK: RACECHECK SUMMARY: 0 hazards displayed
// SYNCCHECK: ERROR SUMMARY: 0 errors
// INITCHECK: ERROR SUMMARY: 0 errors

// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --seed=8 --schedule=sm90 --plan-items=always --sm-count=3 --repeat=100 | FileCheck %s --check-prefix=REPEAT
// REPEAT: repeat: 100 calls, every result bit for bit the first call's
