// attn.attention with an additive mask on the GPU, checked against the
// float64 reference: the cases of ../CPU/sweep-mask.mlir. The mask is
// [B or 1, Hq or 1, Sq, Sk] in every layout and may have its own element
// type; -inf holes (keys hidden by the mask, and whole rows hidden, which
// must give zeros) come from an .npy file.
// REQUIRES: cuda

// A broadcast [1, 1, Sq, Sk] f32 mask on f32 GQA 2:1.
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x97x2x64/g;s/@V@/1x97x2x64/g;s/@O@/1x97x4x64/g;s/@T@/f32/g;s/@M@/1x1x97x97/g;s/@MT@/f32/g;s/@A@//g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=21 | FileCheck %s

// A full [B, Hq, Sq, Sk] f16 mask with causal f16, batch 2, odd tiles.
// RUN: sed -e 's/@Q@/2x113x4x128/g;s/@K@/2x113x1x128/g;s/@V@/2x113x1x128/g;s/@O@/2x113x4x128/g;s/@T@/f16/g;s/@M@/2x4x113x113/g;s/@MT@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=22 --q-tile=16 --kv-tile=32 | FileCheck %s

// The same on the sm90 (wgmma) schedule.
// RUN: sed -e 's/@Q@/2x113x4x128/g;s/@K@/2x113x1x128/g;s/@V@/2x113x1x128/g;s/@O@/2x113x4x128/g;s/@T@/f16/g;s/@M@/2x4x113x113/g;s/@MT@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=26 --schedule=sm90 | FileCheck %s

// bhsd bf16 with a [1, Hq, Sq, Sk] f32 mask and a window; Sq < Sk.
// RUN: sed -e 's/@Q@/1x8x3x64/g;s/@K@/1x1x97x64/g;s/@V@/1x1x97x64/g;s/@O@/1x8x3x64/g;s/@T@/bf16/g;s/@M@/1x8x3x97/g;s/@MT@/f32/g;s/@A@/{window = 50 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=23 | FileCheck %s

// Two decode positions of a GQA 4:1 group (the decode schedule) with a full
// f16 mask, split over the keys.
// RUN: sed -e 's/@Q@/2x2x8x128/g;s/@K@/2x300x2x128/g;s/@V@/2x300x2x128/g;s/@O@/2x2x8x128/g;s/@T@/bf16/g;s/@M@/2x8x2x300/g;s/@MT@/f16/g;s/@A@//g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=25 --kv-splits=3 | FileCheck %s

// -inf holes from an .npy mask: a third of the keys hidden, and query row 0
// hidden entirely, whose output must be zeros, not NaN.
// RUN: python3 %S/../CPU/Inputs/npy.py %t.mask.npy f32 1x1x97x113 holes 24
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x113x1x64/g;s/@V@/1x113x1x64/g;s/@O@/1x97x4x64/g;s/@T@/f16/g;s/@M@/1x1x97x113/g;s/@MT@/f32/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner - --target=cuda --check --seed=24 --input 3=%t.mask.npy --q-tile=32 --kv-tile=16 | FileCheck %s --check-prefixes=CHECK,NPY

// NPY: argument 3 from {{.*}}.mask.npy
// CHECK: target: cuda ({{.*}}), result allocated on the device, poisoned with NaN, copied back
// CHECK: check: max_abs_err={{.*}} PASS

func.func @masked(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                  %v: tensor<@V@x@T@>, %m: tensor<@M@x@MT@>)
    -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<@M@x@MT@>) @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
