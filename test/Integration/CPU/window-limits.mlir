// Windows near INT64_MAX. Each row's first visible key is i + (Sk - Sq) + 1
// - W in 64-bit index arithmetic, which wraps when Sk - Sq <= -3 and W is
// INT64_MAX: every row would then see no key and come out as zeros. A
// window that large sees every key, so the result must equal the reference
// without a window. Sq = 8 over Sk = 3 keys, so Sk - Sq = -5.

// RUN: sed -e 's/@A@/{window = 9223372036854775807 : i64}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=1 | FileCheck %s
// RUN: sed -e 's/@A@/{window = 9223372036854775806 : i64, layout = #attn.layout<bhsd>}/g;s/1x8x2x64/1x2x8x64/g;s/1x3x1x64/1x1x3x64/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=2 --q-tile=4 --kv-tile=2 | FileCheck %s
// With causal, rows 0-4 see no key (zeros) and rows 5-7 see 1-3 keys.
// RUN: sed -e 's/@A@/{causal, window = 9223372036854775807 : i64}/g' %s \
// RUN:   | attn-runner --target=cpu - --check --seed=3 | FileCheck %s
// The same through the tiled loops, checked for the wrap-free clamp.
// RUN: sed -e 's/@A@/{window = 9223372036854775807 : i64}/g' %s \
// RUN:   | attn-opt --attn-tile-attention | FileCheck %s --check-prefix=CLAMP

// CHECK: check: {{.*}} PASS
// 1 - 2^62, the clamped window's offset.
// CLAMP: arith.constant -4611686018427387903 : index

func.func @window(%q: tensor<1x8x2x64xf32>, %k: tensor<1x3x1x64xf32>,
                  %v: tensor<1x3x1x64xf32>) -> tensor<1x8x2x64xf32> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<1x8x2x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32> -> tensor<1x8x2x64xf32>
  return %o : tensor<1x8x2x64xf32>
}
