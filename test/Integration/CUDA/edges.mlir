// Cases around the sweep's matrix, on the GPU, each checked against the
// float64 reference: Sq != Sk (decode, chunked prefill, and Sq > Sk causal,
// whose first rows see no key and must come out as zeros), sliding windows,
// tiles that do not divide the lengths, tiles larger than the sequence,
// other block sizes, f32, an explicit scale and Dv != D. Placeholders as in
// Inputs/attention.mlir.
// REQUIRES: cuda

// Decode: one query row over 1025 keys, MQA 32:1 and GQA 4:1.
// RUN: sed -e 's/@Q@/4x1x32x128/g;s/@K@/4x1025x1x128/g;s/@V@/4x1025x1x128/g;s/@O@/4x1x32x128/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=1 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x8x1x128/g;s/@K@/2x2x1023x128/g;s/@V@/2x2x1023x128/g;s/@O@/2x8x1x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=2 | FileCheck %S/Inputs/check.txt

// Chunked prefill, 97 queries over 1025 keys; and Sq > Sk causal.
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x1025x1x64/g;s/@V@/1x1025x1x64/g;s/@O@/1x97x4x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=3 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x113x4x64/g;s/@K@/1x3x4x64/g;s/@V@/1x3x4x64/g;s/@O@/1x113x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=4 | FileCheck %S/Inputs/check.txt

// Sliding windows: causal, one-sided, and over a decode row.
// RUN: sed -e 's/@Q@/1x113x4x64/g;s/@K@/1x113x1x64/g;s/@V@/1x113x1x64/g;s/@O@/1x113x4x64/g;s/@T@/f16/g;s/@A@/{causal, window = 16 : i64}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=5 --q-tile=16 --kv-tile=16 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x97x2x64/g;s/@K@/1x113x2x64/g;s/@V@/1x113x2x64/g;s/@O@/1x97x2x64/g;s/@T@/bf16/g;s/@A@/{window = 40 : i64}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=6 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x1x8x128/g;s/@K@/1x1025x2x128/g;s/@V@/1x1025x2x128/g;s/@O@/1x1x8x128/g;s/@T@/f16/g;s/@A@/{causal, window = 100 : i64}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=7 | FileCheck %S/Inputs/check.txt

// Tiles: odd sizes, larger than the sequence, and block sizes from one warp
// to 1024 threads (fewer threads than rows makes each thread take several).
// RUN: sed -e 's/@Q@/1x1023x2x64/g;s/@K@/1x1023x1x64/g;s/@V@/1x1023x1x64/g;s/@O@/1x1023x2x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=8 --q-tile=48 --kv-tile=24 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x97x2x64/g;s/@V@/1x97x2x64/g;s/@O@/1x97x4x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=9 --q-tile=128 --kv-tile=256 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x113x32x64/g;s/@K@/1x113x1x64/g;s/@V@/1x113x1x64/g;s/@O@/1x113x32x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=10 --gpu-threads=32 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x113x32x64/g;s/@K@/1x113x1x64/g;s/@V@/1x113x1x64/g;s/@O@/1x113x32x64/g;s/@T@/bf16/g;s/@A@//g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=11 --gpu-threads=1024 | FileCheck %S/Inputs/check.txt

// f32, f64, an explicit scale with Dv (128) unlike D (64).
// RUN: sed -e 's/@Q@/2x113x8x64/g;s/@K@/2x113x2x64/g;s/@V@/2x113x2x64/g;s/@O@/2x113x8x64/g;s/@T@/f32/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=12 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x97x4x64/g;s/@V@/1x97x4x64/g;s/@O@/1x97x4x64/g;s/@T@/f64/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=13 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x113x4x64/g;s/@K@/1x97x1x64/g;s/@V@/1x97x1x128/g;s/@O@/1x113x4x128/g;s/@T@/f16/g;s/@A@/{scale = 0.5 : f32}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=14 | FileCheck %S/Inputs/check.txt

// The sm80 schedule at head dims whose 16-byte copies per row do not divide
// its 128 threads, or whose rounds of copies overrun a tile (16, 48, 96,
// 160, 208), at 256, and with a negative scale (the scores are then scaled
// before the max, not inside the exponential).
// RUN: sed -e 's/@Q@/1x97x4x16/g;s/@K@/1x113x2x16/g;s/@V@/1x113x2x16/g;s/@O@/1x97x4x16/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=15 --schedule=sm80 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x97x4x96/g;s/@K@/1x113x1x96/g;s/@V@/1x113x1x48/g;s/@O@/1x97x4x48/g;s/@T@/f16/g;s/@A@/{scale = -0.3 : f32}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=16 --schedule=sm80 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x8x75x160/g;s/@K@/2x2x130x160/g;s/@V@/2x2x130x160/g;s/@O@/2x8x75x160/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=17 --schedule=sm80 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x65x2x208/g;s/@K@/1x70x2x208/g;s/@V@/1x70x2x48/g;s/@O@/1x65x2x48/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=18 --schedule=sm80 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x100x2x256/g;s/@K@/1x100x1x256/g;s/@V@/1x100x1x256/g;s/@O@/1x100x2x256/g;s/@T@/bf16/g;s/@A@/{causal, window = 50 : i64}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=19 --schedule=sm80 | FileCheck %S/Inputs/check.txt

func.func @attention(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                     %v: tensor<@V@x@T@>) -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
