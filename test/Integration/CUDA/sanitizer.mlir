// compute-sanitizer over a representative subset: memcheck (no access out
// of bounds or misaligned, no leak of device memory the kernels' host code
// allocated and freed), racecheck (the shared-memory K/V tiles are never
// read while being overwritten), synccheck (every barrier is reached by
// the whole block) and initcheck (no read of device memory never written). Small shapes: the tools slow kernels down
// a hundredfold. The cases cover GQA with fewer rows than threads, MQA
// where each thread takes several rows, a ragged causal window, a mask, and
// the decode schedule split over blocks (its scratch buffers are freed, and
// its copies of keys past the end read nothing). On sm_90a the prefill
// cases run the sm90 (wgmma) schedule; the GQA case runs on sm80 and on
// the scalar schedule as well, and the window case on the scalar one.
// REQUIRES: cuda, compute-sanitizer

// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x97x1x64/g;s/@V@/1x97x1x64/g;s/@O@/1x97x4x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.gqa.mlir
// RUN: sed -e 's/@Q@/1x8x113x128/g;s/@K@/1x1x113x128/g;s/@V@/1x1x113x128/g;s/@O@/1x8x113x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir > %t.mqa.mlir
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x113x2x64/g;s/@V@/1x113x2x64/g;s/@O@/1x97x4x64/g;s/@T@/f16/g;s/@A@/{causal, window = 20 : i64}/g' %S/Inputs/attention.mlir > %t.window.mlir
// RUN: sed -e 's/@Q@/1x3x8x64/g;s/@K@/1x100x2x64/g;s/@V@/1x100x2x64/g;s/@O@/1x3x8x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.decode.mlir
// RUN: sed -e 's/@Q@/1x1x8x64/g;s/@K@/1x2000x2x64/g;s/@V@/1x2000x2x64/g;s/@O@/1x1x8x64/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.split.mlir
// The persistent sm90 grid, with cp.async copies, sized for 4 SMs: 20 items (5 q-tiles, 2 heads a
// group, 2 KV heads) over 4 blocks, so each block runs five, through one
// stage ring and Q's own barrier; causal, so items have 1 to 5 tiles.
// racecheck runs it sized for 20 SMs, one item a block (up to 5 tiles, so
// the 2-stage ring wraps), since at 4 SMs it ran past a 60 s limit on an
// H200 (2026-12-05, before the fix below, reporting hazards). Racecheck
// follows a thread's cp.async copies only through that thread's own
// cp.async.wait_group: the producer waits for its last copies into a
// buffer before copying into it again (bench/NOTES.md, 2026-12-05).
// RUN: sed -e 's/@Q@/1x520x4x64/g;s/@K@/1x520x2x64/g;s/@V@/1x520x2x64/g;s/@O@/1x520x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.persistent.mlir
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma=false --sm-count=4 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma=false --sm-count=20 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma=false --sm-count=4 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma=false --sm-count=4 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// The same with TMA copies (the default): one producer thread's bulk
// copies complete on the full mbarriers, and the tensor maps' memory is the
// runtime's (freed when the runner ends). These lines are held to 150 s,
// so that a hang fails the line instead of stalling the suite.
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma --sm-count=4 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma --sm-count=20 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma --sm-count=4 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --tma --sm-count=4 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// And with P in shared memory: a consumer's stores of P for tile t must
// not overlap the products still reading P of tile t - 1, nor its products
// run before every warp of it has stored.
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --p-in-shared --sm-count=4 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --p-in-shared --sm-count=20 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --p-in-shared --sm-count=4 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.persistent.mlir --target=cuda --check --seed=6 --schedule=sm90 --p-in-shared --sm-count=4 | FileCheck %s --check-prefixes=CHECK,INITCHECK

// A KV cache on the device: the zero fill and append kernels stay inside
// the cache, and the decode kernel reads only its first 1001 positions of
// 4096 (split over 3 blocks).
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %S/Inputs/cache-decode.mlir --target=cuda --seed=8 --input 5=1000 --kv-splits=3 | FileCheck %s --check-prefixes=MEMCHECK
// RUN: %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %S/Inputs/cache-decode.mlir --target=cuda --seed=8 --input 5=1000 --kv-splits=3 | FileCheck %s --check-prefixes=INITCHECK

// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.decode.mlir --target=cuda --check --seed=4 --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.decode.mlir --target=cuda --check --seed=4 --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=1 --q-tile=32 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.mqa.mlir --target=cuda --check --seed=2 --gpu-threads=64 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.window.mlir --target=cuda --check --seed=3 --q-tile=16 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,MEMCHECK

// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=1 --q-tile=32 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.mqa.mlir --target=cuda --check --seed=2 --gpu-threads=64 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=5 --schedule=sm80 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=5 --schedule=sm80 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.window.mlir --target=cuda --check --seed=3 --q-tile=16 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,RACECHECK

// RUN: %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.mqa.mlir --target=cuda --check --seed=2 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.decode.mlir --target=cuda --check --seed=4 --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.window.mlir --target=cuda --check --seed=3 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// RUN: %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.decode.mlir --target=cuda --check --seed=4 --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,INITCHECK

// The combine with several warps (40 splits: five warps of 8), which fold
// their partial states through shared memory.
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.split.mlir --target=cuda --check --seed=7 --kv-splits=40 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.split.mlir --target=cuda --check --seed=7 --kv-splits=40 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.split.mlir --target=cuda --check --seed=7 --kv-splits=40 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.split.mlir --target=cuda --check --seed=7 --kv-splits=40 | FileCheck %s --check-prefixes=CHECK,INITCHECK

// The scalar schedule (the fallback for what the others do not cover), and
// the two tools sm80 had not run under.
// RUN: %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=1 --schedule=scalar --q-tile=32 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=1 --schedule=scalar --q-tile=32 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.window.mlir --target=cuda --check --seed=3 --schedule=scalar --q-tile=16 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.window.mlir --target=cuda --check --seed=3 --schedule=scalar --q-tile=16 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// RUN: %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=5 --schedule=sm80 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.gqa.mlir --target=cuda --check --seed=5 --schedule=sm80 | FileCheck %s --check-prefixes=CHECK,INITCHECK

// CHECK: check: max_abs_err={{.*}} PASS
// MEMCHECK: ERROR SUMMARY: 0 errors
// RACECHECK: RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)
// SYNCCHECK: ERROR SUMMARY: 0 errors
// INITCHECK: ERROR SUMMARY: 0 errors
