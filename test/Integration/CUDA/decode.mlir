// The decode schedule (split-KV attention with the query rows of a KV group
// packed into mma.sync) on the GPU, each case checked against the float64
// reference: GQA and MQA, both layouts, lengths that are not multiples of
// the 32-key tile or shorter than one, forced splits (one block, blocks
// past the last tile), chunks of several query positions with causal
// masking (including rows that see no key), windows, Dv != D, and the
// largest row count it packs. Placeholders as in Inputs/attention.mlir.
// REQUIRES: cuda

// GQA 4:1, bhsd, 4097 keys, splits picked for the device (auto gives
// groups this small to sm90-decode on sm_90a, so decode is named).
// RUN: sed -e 's/@Q@/3x32x1x128/g;s/@K@/3x8x4097x128/g;s/@V@/3x8x4097x128/g;s/@O@/3x32x1x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=31 --schedule=decode > %t.1
// RUN: FileCheck %S/Inputs/check.txt < %t.1 && FileCheck %s --check-prefix=SPLITS < %t.1
// SPLITS: schedule decode, kv-splits for {{[0-9]+}} SMs

// MQA 32:1, bshd, f16, 1000 keys over 7 forced splits: auto picks decode.
// RUN: sed -e 's/@Q@/2x1x32x128/g;s/@K@/2x1000x1x128/g;s/@V@/2x1000x1x128/g;s/@O@/2x1x32x128/g;s/@T@/f16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=32 --kv-splits=7 > %t.2
// RUN: FileCheck %S/Inputs/check.txt < %t.2 && FileCheck %s --check-prefix=SEVEN < %t.2
// SEVEN: schedule decode, kv-splits 7

// Keys whose magnitude grows along the sequence (1 to 5 times N(0, 1)):
// the scores' running maxes keep rising, tile after tile, by less than the
// 2^8 the lazy rescale lets them fall behind (exponentials up to 256,
// accumulators left alone) and by more (the warp moves its maxes and
// rescales). MQA (two m-tiles, 16-key tiles) over 1 and 3 blocks, and GQA
// 4:1 (32-key tiles, one m-tile, which rescales every tile).
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rq.npy bf16 1x1x32x128 normal 41
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rk.npy bf16 1x2000x1x128 ramp 42
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rv.npy bf16 1x2000x1x128 normal 43
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x2000x1x128/g;s/@V@/1x2000x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.ramp.mlir
// RUN: attn-runner %t.ramp.mlir --target=cuda --check --kv-splits=1 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// RUN: attn-runner %t.ramp.mlir --target=cuda --check --kv-splits=3 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gq.npy bf16 2x1x8x128 normal 44
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gk.npy bf16 2x3000x2x128 ramp 45
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gv.npy bf16 2x3000x2x128 normal 46
// RUN: sed -e 's/@Q@/2x1x8x128/g;s/@K@/2x3000x2x128/g;s/@V@/2x3000x2x128/g;s/@O@/2x1x8x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --kv-splits=2 --input 0=%t.gq.npy --input 1=%t.gk.npy --input 2=%t.gv.npy | FileCheck %S/Inputs/check.txt

// More splits than tiles (blocks with no keys), and a single block (no
// combine kernel).
// RUN: sed -e 's/@Q@/2x1x16x64/g;s/@K@/2x100x2x64/g;s/@V@/2x100x2x64/g;s/@O@/2x1x16x64/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=33 --kv-splits=200 | FileCheck %S/Inputs/check.txt
// Split counts that are not a multiple of the combine's round of splits
// (300, 150), at head_dim 128 and at 16, where a warp of the combine has
// more lanes than value columns.
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x5000x1x128/g;s/@V@/1x5000x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=47 --kv-splits=300 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x1x32x16/g;s/@K@/2x4000x1x16/g;s/@V@/2x4000x1x16/g;s/@O@/2x1x32x16/g;s/@T@/f16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=48 --kv-splits=150 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x32x1x128/g;s/@K@/1x1x777x128/g;s/@V@/1x1x777x128/g;s/@O@/1x32x1x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=34 --kv-splits=1 | FileCheck %S/Inputs/check.txt

// Fewer keys than one tile, and a single key.
// RUN: sed -e 's/@Q@/4x1x8x64/g;s/@K@/4x5x2x64/g;s/@V@/4x5x2x64/g;s/@O@/4x1x8x64/g;s/@T@/f16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=35 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x1x4x32/g;s/@K@/1x1x1x32/g;s/@V@/1x1x1x32/g;s/@O@/1x1x4x32/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=36 | FileCheck %S/Inputs/check.txt

// Chunks: 4 causal positions of 8 heads per KV head (32 rows) over 300
// keys; 8 positions over 3 keys, whose first rows see no key (zeros); 16
// positions of 4 heads (64 rows, 4 m-tiles) with a causal window.
// RUN: sed -e 's/@Q@/2x16x4x128/g;s/@K@/2x2x300x128/g;s/@V@/2x2x300x128/g;s/@O@/2x16x4x128/g;s/@T@/f16/g;s/@A@/{causal, layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=37 > %t.3
// RUN: FileCheck %S/Inputs/check.txt < %t.3 && FileCheck %s --check-prefix=PICKED < %t.3
// RUN: sed -e 's/@Q@/1x8x4x64/g;s/@K@/1x3x2x64/g;s/@V@/1x3x2x64/g;s/@O@/1x8x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=38 > %t.4
// RUN: FileCheck %S/Inputs/check.txt < %t.4 && FileCheck %s --check-prefix=PICKED < %t.4
// RUN: sed -e 's/@Q@/1x16x8x64/g;s/@K@/1x1025x2x64/g;s/@V@/1x1025x2x64/g;s/@O@/1x16x8x64/g;s/@T@/bf16/g;s/@A@/{causal, window = 50 : i64}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=39 --kv-splits=5 > %t.5
// RUN: FileCheck %S/Inputs/check.txt < %t.5 && FileCheck %s --check-prefix=PICKED < %t.5
// PICKED: schedule decode

// A window over a decode row, split; Dv (64) unlike D (128); head_dim 16.
// RUN: sed -e 's/@Q@/2x1x8x128/g;s/@K@/2x2049x1x128/g;s/@V@/2x2049x1x128/g;s/@O@/2x1x8x128/g;s/@T@/f16/g;s/@A@/{window = 100 : i64}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=40 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x1x8x128/g;s/@K@/2x999x2x128/g;s/@V@/2x999x2x64/g;s/@O@/2x1x8x64/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=41 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x2x8x16/g;s/@K@/1x500x8x16/g;s/@V@/1x500x8x16/g;s/@O@/1x2x8x16/g;s/@T@/f16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=42 > %t.6
// RUN: FileCheck %S/Inputs/check.txt < %t.6 && FileCheck %s --check-prefix=PICKED < %t.6
