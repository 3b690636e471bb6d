// The alternate form of sm90-decode (the consumers take alternate 64-key
// tiles, each writing a partial of its own) on the GPU, each case checked
// against the float64 reference: MQA and GQA, both layouts, f16, tile
// counts that leave the second consumer one tile fewer or none, forced
// splits (one, and more than there are tiles), the 64 heads a KV group may
// have, keys whose maxes keep rising, a negative scale, causal decode, and
// a KV cache attended in place over a run-time length. Then
// compute-sanitizer on a small grid, and 100 calls in one process giving
// the same bits.
// REQUIRES: cuda, compute-sanitizer
// Each run is held to 120 s, so that a barrier phase that never completes
// fails its line instead of stalling the suite.

// MQA 32:1, bshd, 4097 keys (65 tiles, the last of one key), splits picked
// for the device.
// RUN: sed -e 's/@Q@/2x1x32x128/g;s/@K@/2x4097x1x128/g;s/@V@/2x4097x1x128/g;s/@O@/2x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=91 --schedule=sm90-decode-alternate > %t.1
// RUN: FileCheck %S/Inputs/check.txt < %t.1 && FileCheck %s --check-prefix=NAMED < %t.1
// NAMED: schedule sm90-decode-alternate, kv-splits for {{[0-9]+}} SMs
// GQA 4:1, bhsd, f16, 1000 keys (16 tiles) over 3 forced splits.
// RUN: sed -e 's/@Q@/3x32x1x128/g;s/@K@/3x8x1000x128/g;s/@V@/3x8x1000x128/g;s/@O@/3x32x1x128/g;s/@T@/f16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=92 --schedule=sm90-decode-alternate --kv-splits=3 | FileCheck %S/Inputs/check.txt
// GQA 8:1, 300 keys (5 tiles: 3 to the first consumer, 2 to the second)
// in one split; 100 keys (a tile and one of 36 keys) over 40 splits: the
// first two splits' first consumers take a tile each, and every other
// partial is empty.
// RUN: sed -e 's/@Q@/2x1x16x128/g;s/@K@/2x300x2x128/g;s/@V@/2x300x2x128/g;s/@O@/2x1x16x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=93 --schedule=sm90-decode-alternate --kv-splits=1 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x1x16x128/g;s/@K@/2x100x2x128/g;s/@V@/2x100x2x128/g;s/@O@/2x1x16x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=94 --schedule=sm90-decode-alternate --kv-splits=40 | FileCheck %S/Inputs/check.txt
// One key: the second consumer has no tile.
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x1x1x128/g;s/@V@/1x1x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=95 --schedule=sm90-decode-alternate | FileCheck %S/Inputs/check.txt
// 64 query heads on one KV head, causal, 777 keys.
// RUN: sed -e 's/@Q@/1x1x64x128/g;s/@K@/1x777x1x128/g;s/@V@/1x777x1x128/g;s/@O@/1x1x64x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=96 --schedule=sm90-decode-alternate | FileCheck %S/Inputs/check.txt
// Keys whose magnitude grows along the sequence: the running maxes rise
// tile after tile, in one split (each consumer's own) and over 3.
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rq.npy bf16 1x1x32x128 normal 97
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rk.npy bf16 1x2000x1x128 ramp 98
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rv.npy bf16 1x2000x1x128 normal 99
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x2000x1x128/g;s/@V@/1x2000x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.ramp.mlir
// RUN: timeout 120 attn-runner %t.ramp.mlir --target=cuda --check --schedule=sm90-decode-alternate --kv-splits=1 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// RUN: timeout 120 attn-runner %t.ramp.mlir --target=cuda --check --schedule=sm90-decode-alternate --kv-splits=3 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// MHA with a negative scale; 30000 keys over 200 splits.
// RUN: sed -e 's/@Q@/2x1x12x128/g;s/@K@/2x1000x12x128/g;s/@V@/2x1000x12x128/g;s/@O@/2x1x12x128/g;s/@T@/f16/g;s/@A@/{scale = -0.3 : f32}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=100 --schedule=sm90-decode-alternate --kv-splits=3 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x30000x1x128/g;s/@V@/1x30000x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=101 --schedule=sm90-decode-alternate --kv-splits=200 | FileCheck %S/Inputs/check.txt
// A KV cache of capacity 2048 holding 1500 positions, attended over the
// first 1300 (a run-time length: the split count is computed on the host).
// RUN: timeout 120 attn-runner %s --target=cuda --check --seed=102 --schedule=sm90-decode-alternate --input 3=1300 | FileCheck %S/Inputs/check.txt

// RUN: sed -e 's/@Q@/2x1x32x128/g;s/@K@/2x1000x1x128/g;s/@V@/2x1000x1x128/g;s/@O@/2x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.small.mlir
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode-alternate --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode-alternate --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode-alternate --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode-alternate --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// CHECK: check: max_abs_err={{.*}} PASS
// MEMCHECK: ERROR SUMMARY: 0 errors
// RACECHECK: RACECHECK SUMMARY: 0 hazards displayed
// SYNCCHECK: ERROR SUMMARY: 0 errors
// INITCHECK: ERROR SUMMARY: 0 errors

// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --seed=7 --schedule=sm90-decode-alternate --kv-splits=3 --repeat=100 | FileCheck %s --check-prefix=REPEAT
// REPEAT: repeat: 100 calls, every result bit for bit the first call's

func.func @attend(%q: tensor<2x1x32x128xbf16>, %k: tensor<2x1500x1x128xbf16>,
                  %v: tensor<2x1500x1x128xbf16>, %len: index)
    -> tensor<2x1x32x128xbf16> {
  %c0 = arith.constant 0 : index
  %c = attn.cache.create : !attn.kv_cache<2x1x2048x128xbf16>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<2x1500x1x128xbf16>, tensor<2x1500x1x128xbf16>
        into !attn.kv_cache<2x1x2048x128xbf16>
  %o = attn.cache.attend %q, %c1, %len
      : tensor<2x1x32x128xbf16>, !attn.kv_cache<2x1x2048x128xbf16>
        -> tensor<2x1x32x128xbf16>
  return %o : tensor<2x1x32x128xbf16>
}
