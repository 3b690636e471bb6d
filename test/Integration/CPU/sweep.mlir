// Numeric sweep of attn.attention on the CPU. Each RUN line instantiates the
// template below with sed, JIT-compiles it through attn-runner and checks the
// result against the float64 reference (max error within twice the naive
// low-precision error plus a per-type floor). Placeholders: @Q@, @K@, @V@ and
// @O@ are the query, key, value and result shapes, @T@ the element type and
// @A@ the attribute dictionary. Shapes are [B, S, H, D] unless @A@ says
// bhsd. Big lengths go with few heads so that the file stays fast.

// Lengths 1 and 3, MHA, f32 and f16.
// RUN: sed -e 's/@Q@/1x1x1x64/g;s/@K@/1x1x1x64/g;s/@V@/1x1x1x64/g;s/@O@/1x1x1x64/g;s/@T@/f32/g;s/@A@//g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=1 | FileCheck %s
// RUN: sed -e 's/@Q@/2x3x4x64/g;s/@K@/2x3x1x64/g;s/@V@/2x3x1x64/g;s/@O@/2x3x4x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=2 | FileCheck %s

// 97 and 113 with GQA 8:1 and 1:1, head_dim 128, bf16 and f32.
// RUN: sed -e 's/@Q@/1x97x8x128/g;s/@K@/1x97x1x128/g;s/@V@/1x97x1x128/g;s/@O@/1x97x8x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=3 | FileCheck %s
// RUN: sed -e 's/@Q@/2x113x2x64/g;s/@K@/2x113x2x64/g;s/@V@/2x113x2x64/g;s/@O@/2x113x2x64/g;s/@T@/f32/g;s/@A@//g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=4 --q-tile=16 --kv-tile=32 | FileCheck %s

// Sq != Sk: decode (Sq = 1) over 1025 keys with MQA 32:1, causal; chunked
// prefill (97 over 1025) with GQA 4:1; and Sq > Sk causal, where the first
// 110 query rows see no key at all and must come out as zeros.
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x1025x1x128/g;s/@V@/1x1025x1x128/g;s/@O@/1x1x32x128/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=5 | FileCheck %s
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x1025x1x64/g;s/@V@/1x1025x1x64/g;s/@O@/1x97x4x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=6 | FileCheck %s
// RUN: sed -e 's/@Q@/1x113x4x64/g;s/@K@/1x3x4x64/g;s/@V@/1x3x4x64/g;s/@O@/1x113x4x64/g;s/@T@/f32/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=7 | FileCheck %s

// 1023 and 1025 square, one head, causal bf16 and non-causal f32.
// RUN: sed -e 's/@Q@/1x1023x1x64/g;s/@K@/1x1023x1x64/g;s/@V@/1x1023x1x64/g;s/@O@/1x1023x1x64/g;s/@T@/bf16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=8 | FileCheck %s
// RUN: sed -e 's/@Q@/1x1025x1x128/g;s/@K@/1x1025x1x128/g;s/@V@/1x1025x1x128/g;s/@O@/1x1025x1x128/g;s/@T@/f32/g;s/@A@//g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=9 | FileCheck %s

// Tiles larger than the sequence, and 16/32 tiles on a long causal row set.
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x97x2x64/g;s/@V@/1x97x2x64/g;s/@O@/1x97x4x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=10 --q-tile=128 --kv-tile=256 | FileCheck %s
// RUN: sed -e 's/@Q@/1x1023x2x64/g;s/@K@/1x1023x1x64/g;s/@V@/1x1023x1x64/g;s/@O@/1x1023x2x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=11 --q-tile=16 --kv-tile=32 | FileCheck %s

// Sliding windows: causal with odd tiles; without causal (bounded on one
// side only) in bf16; and a window over a decode row.
// RUN: sed -e 's/@Q@/1x113x4x64/g;s/@K@/1x113x1x64/g;s/@V@/1x113x1x64/g;s/@O@/1x113x4x64/g;s/@T@/f32/g;s/@A@/{causal, window = 16 : i64}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=12 --q-tile=16 --kv-tile=32 | FileCheck %s
// RUN: sed -e 's/@Q@/1x97x2x64/g;s/@K@/1x113x2x64/g;s/@V@/1x113x2x64/g;s/@O@/1x97x2x64/g;s/@T@/bf16/g;s/@A@/{window = 40 : i64}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=13 --q-tile=32 --kv-tile=16 | FileCheck %s
// RUN: sed -e 's/@Q@/1x1x8x128/g;s/@K@/1x1025x2x128/g;s/@V@/1x1025x2x128/g;s/@O@/1x1x8x128/g;s/@T@/f16/g;s/@A@/{causal, window = 100 : i64}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=14 | FileCheck %s

// bhsd (SDPA's layout): GQA 4:1 f16 causal, decode bf16 8:1, MQA 32:1 f32
// with a window, and Sq < Sk non-causal.
// RUN: sed -e 's/@Q@/1x8x97x64/g;s/@K@/1x2x97x64/g;s/@V@/1x2x97x64/g;s/@O@/1x8x97x64/g;s/@T@/f16/g;s/@A@/{causal, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=15 | FileCheck %s
// RUN: sed -e 's/@Q@/2x8x1x128/g;s/@K@/2x1x1025x128/g;s/@V@/2x1x1025x128/g;s/@O@/2x8x1x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=16 | FileCheck %s
// RUN: sed -e 's/@Q@/1x32x113x64/g;s/@K@/1x1x97x64/g;s/@V@/1x1x97x64/g;s/@O@/1x32x113x64/g;s/@T@/f32/g;s/@A@/{window = 32 : i64, layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=17 --q-tile=16 --kv-tile=32 | FileCheck %s
// RUN: sed -e 's/@Q@/1x2x3x128/g;s/@K@/1x2x113x128/g;s/@V@/1x2x113x128/g;s/@O@/1x2x3x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=18 | FileCheck %s

// f64, an explicit scale, and a value head_dim (128) unlike the key's (64).
// RUN: sed -e 's/@Q@/1x97x4x64/g;s/@K@/1x97x4x64/g;s/@V@/1x97x4x64/g;s/@O@/1x97x4x64/g;s/@T@/f64/g;s/@A@/{causal}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=19 | FileCheck %s
// RUN: sed -e 's/@Q@/1x113x4x64/g;s/@K@/1x97x1x64/g;s/@V@/1x97x1x128/g;s/@O@/1x113x4x128/g;s/@T@/f16/g;s/@A@/{scale = 0.5 : f32}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=20 | FileCheck %s

// CHECK: result written in place into the caller's buffer
// CHECK: check: max_abs_err={{.*}} PASS

func.func @attention(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                     %v: tensor<@V@x@T@>) -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
