// The sm90 schedule with P in shared memory (--p-in-shared: each consumer
// stores P into a swizzled tile of its own and P·V reads both operands from
// shared memory) on the GPU: the cases of sm90.mlir (head dims 64, 128 and
// 256 and value head dims unlike them, f16 and bf16, both layouts, GQA and
// MHA, causal with Sq > Sk, windows, a negative scale, partial last query
// blocks and K/V tiles, and the persistent grid over several items a
// block), each checked against the float64 reference, with TMA copies (the
// default); then two cases with cp.async copies.
// REQUIRES: cuda
// Each run is held to 120 s, so that a form that hangs on the GPU (a
// barrier phase never completing) fails its line instead of stalling the
// suite.
// Head dim 128: GQA 4:1 causal over several tiles, and a non-causal Sq < Sk
// whose last tile holds 5 keys.
// RUN: sed -e 's/@Q@/2x1000x8x128/g;s/@K@/2x1000x2x128/g;s/@V@/2x1000x2x128/g;s/@O@/2x1000x8x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=31 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"
// RUN: sed -e 's/@Q@/1x300x4x128/g;s/@K@/1x517x4x128/g;s/@V@/1x517x4x128/g;s/@O@/1x300x4x128/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=32 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"

// From 512 keys the grid is persistent; with more items than the device
// has SMs each block runs several, through one stage ring: causal (items
// of unlike tile counts, longest first), Sq < Sk at head_dim 64, and bhsd
// with a window.
// RUN: sed -e 's/@Q@/3x1000x32x128/g;s/@K@/3x1000x8x128/g;s/@V@/3x1000x8x128/g;s/@O@/3x1000x32x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=37 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"
// RUN: sed -e 's/@Q@/2x700x32x64/g;s/@K@/2x1500x8x64/g;s/@V@/2x1500x8x64/g;s/@O@/2x700x32x64/g;s/@T@/f16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=38 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"
// Sized for 3 SMs: each block runs a dozen or more causal items.
// RUN: sed -e 's/@Q@/1x600x8x64/g;s/@K@/1x600x2x64/g;s/@V@/1x600x2x64/g;s/@O@/1x600x8x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=40 --schedule=sm90 --p-in-shared --sm-count=3 | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"
// RUN: sed -e 's/@Q@/2x32x600x128/g;s/@K@/2x8x900x128/g;s/@V@/2x8x900x128/g;s/@O@/2x32x600x128/g;s/@T@/bf16/g;s/@A@/{window = 300 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=39 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"

// Head dim 64: MQA 4:1 with a value head dim of 128 and a negative scale
// (the scores are then scaled before the max); and Sq > Sk causal with a
// value head dim of 64 under head_dim 128.
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x113x1x64/g;s/@V@/1x113x1x128/g;s/@O@/1x97x4x128/g;s/@T@/bf16/g;s/@A@/{scale = -0.3 : f32}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=33 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"
// RUN: sed -e 's/@Q@/1x130x2x128/g;s/@K@/1x70x2x128/g;s/@V@/1x70x2x64/g;s/@O@/1x130x2x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=34 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"

// Head dim 256 (64-key tiles): bhsd with a window, and causal with a value
// head dim of 128.
// RUN: sed -e 's/@Q@/2x8x200x256/g;s/@K@/2x2x333x256/g;s/@V@/2x2x333x256/g;s/@O@/2x8x200x256/g;s/@T@/bf16/g;s/@A@/{window = 100 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=35 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"
// RUN: sed -e 's/@Q@/1x257x2x256/g;s/@K@/1x257x2x256/g;s/@V@/1x257x2x128/g;s/@O@/1x257x2x128/g;s/@T@/f16/g;s/@A@/{causal, window = 50 : i64}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=36 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"

// One query over one key, and a long causal sequence (16 K/V tiles).
// RUN: sed -e 's/@Q@/1x1x4x64/g;s/@K@/1x1x1x64/g;s/@V@/1x1x1x64/g;s/@O@/1x1x4x64/g;s/@T@/bf16/g;s/@A@//g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=37 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"
// RUN: sed -e 's/@Q@/1x2048x2x128/g;s/@K@/1x2048x1x128/g;s/@V@/1x2048x1x128/g;s/@O@/1x2048x2x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=38 --schedule=sm90 --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="P in shared memory"

// P in shared memory with cp.async copies rather than TMA's, persistent
// and causal, and head_dim 256 in bhsd.
// RUN: sed -e 's/@Q@/3x1000x32x128/g;s/@K@/3x1000x8x128/g;s/@V@/3x1000x8x128/g;s/@O@/3x1000x32x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=41 --schedule=sm90 --tma=false --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="cp.async copies, P in shared memory"
// RUN: sed -e 's/@Q@/2x8x200x256/g;s/@K@/2x2x333x256/g;s/@V@/2x2x333x256/g;s/@O@/2x8x200x256/g;s/@T@/f16/g;s/@A@/{causal, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | timeout 120 attn-runner - --target=cuda --check --seed=42 --schedule=sm90 --tma=false --p-in-shared | FileCheck %S/Inputs/check-sm90-form.txt -DFORM="cp.async copies, P in shared memory"

func.func @attention(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                     %v: tensor<@V@x@T@>) -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
