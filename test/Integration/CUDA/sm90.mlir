// The sm90 (wgmma) schedule on the GPU, each case checked against the
// float64 reference: head dims 64, 128 and 256 and value head dims unlike
// them, f16 and bf16, both layouts, GQA and MHA, causal (with Sq > Sk, whose
// first rows see no key and must come out as zeros), windows, a negative
// scale, and lengths that leave the last query block and the last K/V tile
// (128 keys, 64 above head_dim 128) partly empty, whose rows past the end
// TMA fills with zeros; then a KV cache attended in place by query chunks,
// whose tensor maps see the cache's first positions of its capacity. The
// schedule's default copies, TMA's, throughout (sm90-cpasync.mlir runs the
// same cases with cp.async). Placeholders as in Inputs/attention.mlir.
// Cases with a mask are in masks.mlir.
// REQUIRES: cuda

// Head dim 128: GQA 4:1 causal over several tiles, and a non-causal Sq < Sk
// whose last tile holds 5 keys.
// RUN: sed -e 's/@Q@/2x1000x8x128/g;s/@K@/2x1000x2x128/g;s/@V@/2x1000x2x128/g;s/@O@/2x1000x8x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=31 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// RUN: sed -e 's/@Q@/1x300x4x128/g;s/@K@/1x517x4x128/g;s/@V@/1x517x4x128/g;s/@O@/1x300x4x128/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=32 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"

// From 512 keys the grid is persistent; with more items than the device
// has SMs each block runs several, through one stage ring: causal (items
// of unlike tile counts, longest first), Sq < Sk at head_dim 64, and bhsd
// with a window.
// RUN: sed -e 's/@Q@/3x1000x32x128/g;s/@K@/3x1000x8x128/g;s/@V@/3x1000x8x128/g;s/@O@/3x1000x32x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=37 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// RUN: sed -e 's/@Q@/2x700x32x64/g;s/@K@/2x1500x8x64/g;s/@V@/2x1500x8x64/g;s/@O@/2x700x32x64/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=38 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// Sized for 3 SMs: each block runs a dozen or more causal items.
// RUN: sed -e 's/@Q@/1x600x8x64/g;s/@K@/1x600x2x64/g;s/@V@/1x600x2x64/g;s/@O@/1x600x8x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=40 --schedule=sm90 --sm-count=3 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// Sized for 5 SMs: 48 causal items (6 query tiles of a 4-head group, two
// KV heads) in rounds of 5 in plain order (gcd(5, 24) = 1), the last one
// partial; and for 20 SMs: 72 items (three KV heads) in rounds of 20,
// every other one reversed (8 gcd(20, 24) > 24), the last (odd) one
// partial. An order that skipped or repeated an item would leave rows
// unwritten or wrong.
// RUN: sed -e 's/@Q@/1x700x8x128/g;s/@K@/1x700x2x128/g;s/@V@/1x700x2x128/g;s/@O@/1x700x8x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=41 --schedule=sm90 --sm-count=5 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// RUN: sed -e 's/@Q@/1x700x12x128/g;s/@K@/1x700x3x128/g;s/@V@/1x700x3x128/g;s/@O@/1x700x12x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=42 --schedule=sm90 --sm-count=20 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// RUN: sed -e 's/@Q@/2x32x600x128/g;s/@K@/2x8x900x128/g;s/@V@/2x8x900x128/g;s/@O@/2x32x600x128/g;s/@T@/bf16/g;s/@A@/{window = 300 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=39 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"

// Head dim 64: MQA 4:1 with a value head dim of 128 and a negative scale
// (the scores are then scaled before the max); and Sq > Sk causal with a
// value head dim of 64 under head_dim 128.
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x113x1x64/g;s/@V@/1x113x1x128/g;s/@O@/1x97x4x128/g;s/@T@/bf16/g;s/@A@/{scale = -0.3 : f32}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=33 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// RUN: sed -e 's/@Q@/1x130x2x128/g;s/@K@/1x70x2x128/g;s/@V@/1x70x2x64/g;s/@O@/1x130x2x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=34 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"

// Head dim 256 (64-key tiles): bhsd with a window, and causal with a value
// head dim of 128.
// RUN: sed -e 's/@Q@/2x8x200x256/g;s/@K@/2x2x333x256/g;s/@V@/2x2x333x256/g;s/@O@/2x8x200x256/g;s/@T@/bf16/g;s/@A@/{window = 100 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=35 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// RUN: sed -e 's/@Q@/1x257x2x256/g;s/@K@/1x257x2x256/g;s/@V@/1x257x2x128/g;s/@O@/1x257x2x128/g;s/@T@/f16/g;s/@A@/{causal, window = 50 : i64}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=36 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"

// One query over one key, and a long causal sequence (16 K/V tiles).
// RUN: sed -e 's/@Q@/1x1x4x64/g;s/@K@/1x1x1x64/g;s/@V@/1x1x1x64/g;s/@O@/1x1x4x64/g;s/@T@/bf16/g;s/@A@//g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=37 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"
// RUN: sed -e 's/@Q@/1x2048x2x128/g;s/@K@/1x2048x1x128/g;s/@V@/1x2048x1x128/g;s/@O@/1x2048x2x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=38 --schedule=sm90 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="TMA copies"

// A cache attended in place, chunk by chunk (positions past the chunk's
// length must read as zeros, not as the capacity's stale rows), against the
// same program run on the CPU.
// RUN: attn-runner %S/Inputs/cache-chunked.mlir --target=cuda --seed=5 --schedule=sm90 --output=%t.chunked.npy | FileCheck %s --check-prefix=CACHE
// CACHE: schedule sm90{{.*}}, TMA copies
// RUN: attn-runner %S/Inputs/cache-chunked.mlir --target=cpu --seed=5 --output=%t.cpu.npy
// RUN: python3 %S/../CPU/Inputs/npy_diff.py %t.chunked.npy %t.cpu.npy 2e-3 | FileCheck %s --check-prefix=SAME
// SAME: within

func.func @attention(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                     %v: tensor<@V@x@T@>) -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
