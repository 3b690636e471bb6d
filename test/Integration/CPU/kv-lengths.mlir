// Per-sequence key lengths on the CPU: attn.attention's kv_lengths and
// attn.cache.attend's lengths, checked against the float64 reference, which
// gives each sequence its own key length (clamped into [0, Sk]) and aligns
// the causal diagonal to it.

// RUN: rm -rf %t && split-file %s %t

// Three sequences of 40 keys seeing 40, 7 and 2 of them; then lengths of 0
// (a sequence that sees no key gives zeros), and lengths outside [0, 40],
// which are clamped.
// RUN: attn-runner --target=cpu %t/attention.mlir --seed=3 --input 3=40,7,2 --check --output=%t/ragged.npy | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/attention.mlir --seed=3 --input 3=0,40,1 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/attention.mlir --seed=3 --input 3=-5,100,3 --check | FileCheck %s --check-prefix=PASS
// PASS: check: max_abs_err={{.*}} PASS
// The lengths change the result: the same inputs at full length differ.
// RUN: attn-runner --target=cpu %t/attention.mlir --seed=3 --input 3=40,40,40 --check --output=%t/full.npy | FileCheck %s --check-prefix=PASS
// RUN: not cmp %t/ragged.npy %t/full.npy

// The check can fail, and each sequence's length is its own: key 7 of
// sequence 1 is NaN in one element of KV head 0, at flat index
// ((1 * 40 + 7) * 2 + 0) * 16 + 3 = 1507 of the [3, 40, 2, 16] keys.
// Sequence 1 seeing 7 keys never reads it. Seeing 8, its causal diagonal
// sits at i + 4, so only its last query row (i = 3) sees key 7, in the 4
// query heads of KV head 0: 4 x 16 = 64 NaN result elements.
// RUN: python3 %S/Inputs/npy.py %t/k.npy f32 3x40x2x16 nan 1507
// RUN: attn-runner --target=cpu %t/attention.mlir --input 1=%t/k.npy --input 3=40,7,2 --check | FileCheck %s --check-prefix=PASS
// RUN: not attn-runner --target=cpu %t/attention.mlir --input 1=%t/k.npy --input 3=40,8,2 --check 2>&1 | FileCheck %s --check-prefix=NAN
// NAN: check: max_abs_err={{.*}} nan=64 FAIL

// A cache filled with a 12-token prompt per sequence, attended with each
// sequence at its own length; a length past the attend's is an error that
// names it, and reads nothing.
// RUN: attn-runner --target=cpu %t/cache.mlir --seed=5 --input 3=12 --input 4=12,5 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/cache.mlir --seed=5 --input 3=9 --input 4=0,9 --check | FileCheck %s --check-prefix=PASS
// RUN: not attn-runner --target=cpu %t/cache.mlir --seed=5 --input 3=12 --input 4=5,13 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: attn-runner: error: KV cache out of range: attn.cache.attend of sequence 1 over length 13 needs 0 <= length <= 12, the attend's length; no key was read
// RUN: not attn-runner --target=cpu %t/cache.mlir --seed=5 --input 3=12 --input 4=-1,3 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: attn-runner: error: KV cache out of range: attn.cache.attend of sequence 0 over length -1 needs 0 <= length <= 12
// The attend's own length is checked first, and reported alone.
// RUN: not attn-runner --target=cpu %t/cache.mlir --seed=5 --input 3=40 --input 4=5,50 2>&1 | FileCheck %s --check-prefix=LENGTH
// LENGTH: attn-runner: error: KV cache out of range: attn.cache.attend over length 40 needs 0 <= length <= 32, the capacity; no key was read

//--- attention.mlir
func.func @ragged(%q: tensor<3x4x8x16xf32>, %k: tensor<3x40x2x16xf32>,
                  %v: tensor<3x40x2x16xf32>, %n: tensor<3xi64>)
    -> tensor<3x4x8x16xf32> {
  %o = attn.attention %q, %k, %v lengths(%n : tensor<3xi64>) {causal}
      : tensor<3x4x8x16xf32>, tensor<3x40x2x16xf32>, tensor<3x40x2x16xf32>
      -> tensor<3x4x8x16xf32>
  return %o : tensor<3x4x8x16xf32>
}

//--- cache.mlir
func.func @cache(%q: tensor<2x3x4x32xf32>, %k: tensor<2x12x2x32xf32>,
                 %v: tensor<2x12x2x32xf32>, %len: index, %lens: tensor<2xi64>)
    -> tensor<2x3x4x32xf32> {
  %c0 = arith.constant 0 : index
  %c = attn.cache.create : !attn.kv_cache<2x2x32x32xf32>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<2x12x2x32xf32>, tensor<2x12x2x32xf32> into !attn.kv_cache<2x2x32x32xf32>
  %o = attn.cache.attend %q, %c1, %len lengths(%lens : tensor<2xi64>) {causal}
      : tensor<2x3x4x32xf32>, !attn.kv_cache<2x2x32x32xf32> -> tensor<2x3x4x32xf32>
  return %o : tensor<2x3x4x32xf32>
}
