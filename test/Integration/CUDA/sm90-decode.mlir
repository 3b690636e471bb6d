// The sm90-decode schedule (the query heads of a KV group packed into one
// TMA box, wgmma, a three-stage TMA ring of 128-key tiles, every block's
// partials merged by the combine kernel) on the GPU, each case checked
// against the float64 reference: MQA and GQA, both layouts, f16, lengths
// that are not multiples of the tile or shorter than one, forced splits
// (one, and more than there are tiles), the 64 heads a KV group may have,
// keys whose maxes keep rising, causal decode, and a KV cache attended in
// place over a run-time length. Then compute-sanitizer on a small grid,
// and 100 calls in one process giving the same bits.
// REQUIRES: cuda, compute-sanitizer
// Each run is held to 120 s, so that a barrier phase that never completes
// fails its line instead of stalling the suite.

// MQA 32:1, bshd, 4097 keys, splits picked for the device.
// RUN: sed -e 's/@Q@/2x1x32x128/g;s/@K@/2x4097x1x128/g;s/@V@/2x4097x1x128/g;s/@O@/2x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=71 --schedule=sm90-decode > %t.1
// RUN: FileCheck %S/Inputs/check.txt < %t.1 && FileCheck %s --check-prefix=AUTO < %t.1
// AUTO: schedule sm90-decode, kv-splits for {{[0-9]+}} SMs
// GQA 4:1, bhsd, f16, 1000 keys over 3 forced splits: auto picks
// sm90-decode for a group this small, unless decode's stages are asked for.
// RUN: sed -e 's/@Q@/3x32x1x128/g;s/@K@/3x8x1000x128/g;s/@V@/3x8x1000x128/g;s/@O@/3x32x1x128/g;s/@T@/f16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir > %t.gqa.mlir
// RUN: timeout 120 attn-runner %t.gqa.mlir --target=cuda --check --seed=72 --kv-splits=3 > %t.2
// RUN: FileCheck %S/Inputs/check.txt < %t.2 && FileCheck %s --check-prefix=PICKED < %t.2
// PICKED: schedule sm90-decode, kv-splits 3
// RUN: timeout 120 attn-runner %t.gqa.mlir --target=cuda --check --seed=72 --kv-splits=3 --kv-stages=4 > %t.3
// RUN: FileCheck %S/Inputs/check.txt < %t.3 && FileCheck %s --check-prefix=STAGES < %t.3
// STAGES: schedule decode, kv-splits 3, kv-stages 4
// GQA 8:1, 300 keys (a partial third tile) in one split; 100 keys (less
// than a tile) over 40 splits, all but one without keys.
// RUN: sed -e 's/@Q@/2x1x16x128/g;s/@K@/2x300x2x128/g;s/@V@/2x300x2x128/g;s/@O@/2x1x16x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=73 --schedule=sm90-decode --kv-splits=1 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x1x16x128/g;s/@K@/2x100x2x128/g;s/@V@/2x100x2x128/g;s/@O@/2x1x16x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=74 --schedule=sm90-decode --kv-splits=40 | FileCheck %S/Inputs/check.txt
// 64 query heads on one KV head (the whole Q tile), causal (one query
// position sees every key), 777 keys.
// RUN: sed -e 's/@Q@/1x1x64x128/g;s/@K@/1x777x1x128/g;s/@V@/1x777x1x128/g;s/@O@/1x1x64x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=75 --schedule=sm90-decode | FileCheck %S/Inputs/check.txt
// Keys whose magnitude grows along the sequence (1 to 5 times N(0, 1)):
// the running maxes rise tile after tile, in one split and over 3.
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rq.npy bf16 1x1x32x128 normal 76
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rk.npy bf16 1x2000x1x128 ramp 77
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rv.npy bf16 1x2000x1x128 normal 78
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x2000x1x128/g;s/@V@/1x2000x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.ramp.mlir
// RUN: timeout 120 attn-runner %t.ramp.mlir --target=cuda --check --schedule=sm90-decode --kv-splits=1 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// RUN: timeout 120 attn-runner %t.ramp.mlir --target=cuda --check --schedule=sm90-decode --kv-splits=3 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// MHA (one query head a KV head), 6 heads a KV head (not a multiple of
// 8) with a negative scale (the scores scaled before the softmax), a
// positive scale attribute in bhsd with causal masking, a single key, and
// 200 forced splits of one pair (more than the combine's rounds of 128).
// RUN: sed -e 's/@Q@/2x1x8x128/g;s/@K@/2x900x8x128/g;s/@V@/2x900x8x128/g;s/@O@/2x1x8x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=80 --schedule=sm90-decode | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x1x12x128/g;s/@K@/2x1000x2x128/g;s/@V@/2x1000x2x128/g;s/@O@/2x1x12x128/g;s/@T@/f16/g;s/@A@/{scale = -0.3 : f32}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=81 --schedule=sm90-decode --kv-splits=3 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x16x1x128/g;s/@K@/1x2x700x128/g;s/@V@/1x2x700x128/g;s/@O@/1x16x1x128/g;s/@T@/bf16/g;s/@A@/{causal, scale = 0.05 : f32, layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=82 --schedule=sm90-decode | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x1x1x128/g;s/@V@/1x1x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=83 --schedule=sm90-decode | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x30000x1x128/g;s/@V@/1x30000x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=84 --schedule=sm90-decode --kv-splits=200 | FileCheck %S/Inputs/check.txt
// A KV cache of capacity 2048 holding 1500 positions, attended over the
// first 1300 (a run-time length: the split count is computed on the host).
// RUN: timeout 120 attn-runner %s --target=cuda --check --seed=79 --schedule=sm90-decode --input 3=1300 | FileCheck %S/Inputs/check.txt

// RUN: sed -e 's/@Q@/2x1x32x128/g;s/@K@/2x1000x1x128/g;s/@V@/2x1000x1x128/g;s/@O@/2x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.small.mlir
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90-decode --kv-splits=3 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// CHECK: check: max_abs_err={{.*}} PASS
// MEMCHECK: ERROR SUMMARY: 0 errors
// RACECHECK: RACECHECK SUMMARY: 0 hazards displayed
// SYNCCHECK: ERROR SUMMARY: 0 errors
// INITCHECK: ERROR SUMMARY: 0 errors

// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --seed=7 --schedule=sm90-decode --kv-splits=3 --repeat=100 | FileCheck %s --check-prefix=REPEAT
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
