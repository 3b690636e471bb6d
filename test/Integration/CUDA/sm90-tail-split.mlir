// The sm90 schedule's split last round (--tail-split) on the GPU: where the
// persistent grid's last round is at most half full, its items are split
// over the keys across the idle blocks, each part writes a partial, and
// the combine kernel (a programmatic dependent) writes those items' rows.
// Each case is sized (with --sm-count) so that the split applies; its parts
// are noted as (items in the last round) x (parts of whole tiles), from
// items = q-tiles x query heads x batch on a grid of sm-count blocks:
// - bf16 GQA 4:1, Sq 700 (rows past the end in the last q-tile), Sk 1500
//   (a partial last tile): 384 items on 20 blocks, 4 x 4 parts of 3 tiles;
// - f16 head_dim 64, Sq 1000, Sk 2000: 64 items on 7, 1 x 6 parts of 3;
//   the same in bf16 with cp.async copies (--tma=false);
// - head_dim 256 (64-key tiles, one Q buffer, the loop without item
//   overlap), MHA: 16 items on 5, 1 x 4 parts of 4;
// - bhsd, item overlap off (the same loop at head_dim 128), 16:2 heads:
//   48 items on 11, 4 x 2 parts of 4;
// - an additive [1, 1, Sq, Sk] mask: 20 items on 6, 2 x 3 parts of 3;
// - the device's own SM count (132 on an H100 or H200): 136 items, 4 x 17
//   parts of one tile.
// Where Q has two buffers (TMA copies, item overlap, head_dim up to 128) the
// whole items store their rows through the staged tile with TMA
// (tma-store, the default), the parts their partials.
// Each is checked against the float64 reference; then compute-sanitizer on
// a small grid, 100 calls giving the same bits, and the benchmark line
// that shows the combine ran as a dependent (and, without the option or
// under a causal mask, that nothing did).
// REQUIRES: cuda-sm90, compute-sanitizer
// RUN: sed -e 's/@Q@/2x700x32x128/g;s/@K@/2x1500x8x128/g;s/@V@/2x1500x8x128/g;s/@O@/2x700x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=71 --schedule=sm90 --tail-split --sm-count=20 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="split last round"
// RUN: sed -e 's/@Q@/1x1000x8x64/g;s/@K@/1x2000x2x64/g;s/@V@/1x2000x2x64/g;s/@O@/1x1000x8x64/g;s/@T@/f16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=72 --schedule=sm90 --tail-split --sm-count=7 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="split last round"
// RUN: sed -e 's/@Q@/1x1000x8x64/g;s/@K@/1x2000x2x64/g;s/@V@/1x2000x2x64/g;s/@O@/1x1000x8x64/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=77 --schedule=sm90 --tail-split --tma=false --sm-count=7 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="split last round"
// RUN: sed -e 's/@Q@/1x512x4x256/g;s/@K@/1x1024x4x256/g;s/@V@/1x1024x4x256/g;s/@O@/1x512x4x256/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=73 --schedule=sm90 --tail-split --sm-count=5 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="split last round"
// RUN: sed -e 's/@Q@/1x16x384x128/g;s/@K@/1x2x900x128/g;s/@V@/1x2x900x128/g;s/@O@/1x16x384x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=74 --schedule=sm90 --tail-split --item-overlap=false --sm-count=11 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="split last round"
// RUN: timeout 120 attn-runner %s --target=cuda --check --seed=75 --schedule=sm90 --tail-split --sm-count=6 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="split last round"
// RUN: sed -e 's/@Q@/1x2176x8x128/g;s/@K@/1x2176x1x128/g;s/@V@/1x2176x1x128/g;s/@O@/1x2176x8x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=76 --schedule=sm90 --tail-split | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="split last round"

// A small grid: 8 items on 7 blocks, 1 x 4 parts of 2 tiles.
// RUN: sed -e 's/@Q@/1x256x4x64/g;s/@K@/1x1024x1x64/g;s/@V@/1x1024x1x64/g;s/@O@/1x256x4x64/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.small.mlir
// RUN: timeout 150 %compute_sanitizer --tool memcheck --leak-check full --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90 --tail-split --sm-count=7 | FileCheck %s --check-prefixes=CHECK,MEMCHECK
// RUN: timeout 150 %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90 --tail-split --sm-count=7 | FileCheck %s --check-prefixes=CHECK,RACECHECK
// RUN: timeout 150 %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90 --tail-split --sm-count=7 | FileCheck %s --check-prefixes=CHECK,SYNCCHECK
// RUN: timeout 150 %compute_sanitizer --tool initcheck --error-exitcode 1 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90 --tail-split --sm-count=7 | FileCheck %s --check-prefixes=CHECK,INITCHECK
// CHECK: check: max_abs_err={{.*}} PASS
// MEMCHECK: ERROR SUMMARY: 0 errors
// RACECHECK: RACECHECK SUMMARY: 0 hazards displayed
// SYNCCHECK: ERROR SUMMARY: 0 errors
// INITCHECK: ERROR SUMMARY: 0 errors

// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --seed=7 --schedule=sm90 --tail-split --sm-count=7 --repeat=100 | FileCheck %s --check-prefix=REPEAT
// REPEAT: repeat: 100 calls, every result bit for bit the first call's

// The combine runs as a dependent only where the round is split.
// (The runner prints its benchmark lines before the check line, so each
// is checked on its own.)
// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90 --tail-split --sm-count=7 --benchmark=2 --warmup=0 > %t.split
// RUN: FileCheck %S/Inputs/check.txt < %t.split && FileCheck %s --check-prefix=SPLIT < %t.split
// RUN: timeout 120 attn-runner %t.small.mlir --target=cuda --check --seed=7 --schedule=sm90 --sm-count=7 --benchmark=2 --warmup=0 > %t.whole
// RUN: FileCheck %S/Inputs/check.txt < %t.whole && FileCheck %s --check-prefix=WHOLE < %t.whole
// RUN: sed -e 's/@Q@/1x256x4x64/g;s/@K@/1x1024x1x64/g;s/@V@/1x1024x1x64/g;s/@O@/1x256x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=7 --schedule=sm90 --tail-split --sm-count=7 --benchmark=2 --warmup=0 > %t.causal
// RUN: FileCheck %S/Inputs/check.txt < %t.causal && FileCheck %s --check-prefix=WHOLE < %t.causal
// SPLIT: benchmark: kernel time {{.+}}, combine kernels launched as programmatic dependents: median
// WHOLE: benchmark: kernel time
// WHOLE-NOT: programmatic dependents

func.func @attention(%q: tensor<1x640x4x128xbf16>, %k: tensor<1x1024x1x128xbf16>,
                     %v: tensor<1x1024x1x128xbf16>,
                     %m: tensor<1x1x640x1024xf32>) -> tensor<1x640x4x128xbf16> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x640x1024xf32>)
      : tensor<1x640x4x128xbf16>, tensor<1x1024x1x128xbf16>,
        tensor<1x1024x1x128xbf16> -> tensor<1x640x4x128xbf16>
  return %o : tensor<1x640x4x128xbf16>
}
