// KV caches run on the CPU: attn-lower-kv-cache turns them into tensors, and
// positions known only at run time are checked where they are used.

// RUN: rm -rf %t && split-file %s %t

// A prefill step through a cache (append 16 tokens at position 0, attend
// over 16) computes the same attention as attn.attention on the same
// inputs: the seed gives arguments 0-2 the same values in both entries.
// RUN: attn-runner --target=cpu %t/cache.mlir --seed=5 --input 3=0 --output=%t/cache.npy | FileCheck %s --check-prefix=RUN0
// RUN0: entry: @prefill(tensor<1x16x8x64xf16>, tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>, index) -> tensor<1x16x8x64xf16>
// RUN0: argument 3 = 0
// RUN: attn-runner --target=cpu %t/direct.mlir --seed=5 --check --output=%t/direct.npy | FileCheck %s --check-prefix=DIRECT
// DIRECT: check: {{.*}} PASS
// RUN: python3 %S/Inputs/npy_diff.py %t/cache.npy %t/direct.npy 0 | FileCheck %s --check-prefix=SAME
// SAME: within

// Chunked prefill as a decode loop would run it: the cache is carried
// through scf.for, each step appends 4 tokens and attends its 4 queries
// over everything so far (causal, bottom-right aligned). That is the
// causal attention of all 16 at once, up to the rounding of the f16 output
// (the steps see their keys in tiles of another size).
// RUN: attn-runner --target=cpu %t/loop.mlir --seed=5 --output=%t/loop.npy | FileCheck %s --check-prefix=LOOP
// LOOP: entry: @chunked(tensor<1x16x8x64xf16>, tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>) -> tensor<1x16x8x64xf16>
// RUN: python3 %S/Inputs/npy_diff.py %t/loop.npy %t/direct.npy 2e-3 | FileCheck %s --check-prefix=SAME

// The last position that fits (48 + 16 = 64) runs; one more overflows, and
// so does a negative position: an error naming the numbers, a non-zero
// exit, and no write.
// RUN: attn-runner --target=cpu %t/cache.mlir --input 3=48 | FileCheck %s --check-prefix=FITS
// FITS: time:
// RUN: not attn-runner --target=cpu %t/cache.mlir --input 3=49 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// OVERFLOW: attn-runner: error: KV cache overflow: attn.cache.append of 16 tokens at position 49 needs 0 <= position and position + tokens <= 64, the capacity; nothing was written
// RUN: not attn-runner --target=cpu %t/cache.mlir --input 3=-1 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: attn-runner: error: KV cache overflow: attn.cache.append of 16 tokens at position -1 needs

// An attend over more positions than the cache holds.
// RUN: not attn-runner --target=cpu %t/length.mlir --input 3=65 2>&1 | FileCheck %s --check-prefix=LENGTH
// LENGTH: attn-runner: error: KV cache out of range: attn.cache.attend over length 65 needs 0 <= length <= 64, the capacity; no key was read
// RUN: attn-runner --target=cpu %t/length.mlir --input 3=64 | FileCheck %s --check-prefix=FITS

// Integer arguments have no random default, and take integers only.
// RUN: not attn-runner --target=cpu %t/cache.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: attn-runner: error: argument 3 is an integer; give its value with --input 3=<integer>
// RUN: not attn-runner --target=cpu %t/cache.mlir --input 3=x.npy 2>&1 | FileCheck %s --check-prefix=NOTINT
// NOTINT: attn-runner: error: argument 3 is an integer, but --input gives 'x.npy'

//--- cache.mlir
func.func @prefill(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                   %v: tensor<1x16x2x64xf16>, %pos: index)
    -> tensor<1x16x8x64xf16> {
  %c16 = arith.constant 16 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>
        into !attn.kv_cache<1x2x64x64xf16>
  %len = arith.addi %pos, %c16 : index
  %o = attn.cache.attend %q, %c1, %len {causal}
      : tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
        -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}

//--- direct.mlir
func.func @direct(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                  %v: tensor<1x16x2x64xf16>) -> tensor<1x16x8x64xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x16x8x64xf16>, tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>
        -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}

//--- loop.mlir
func.func @chunked(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                   %v: tensor<1x16x2x64xf16>) -> tensor<1x16x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %init = tensor.empty() : tensor<1x16x8x64xf16>
  %r:2 = scf.for %i = %c0 to %c16 step %c4 iter_args(%ci = %c, %o = %init)
      -> (!attn.kv_cache<1x2x64x64xf16>, tensor<1x16x8x64xf16>) {
    %kc = tensor.extract_slice %k[0, %i, 0, 0] [1, 4, 2, 64] [1, 1, 1, 1]
        : tensor<1x16x2x64xf16> to tensor<1x4x2x64xf16>
    %vc = tensor.extract_slice %v[0, %i, 0, 0] [1, 4, 2, 64] [1, 1, 1, 1]
        : tensor<1x16x2x64xf16> to tensor<1x4x2x64xf16>
    %qc = tensor.extract_slice %q[0, %i, 0, 0] [1, 4, 8, 64] [1, 1, 1, 1]
        : tensor<1x16x8x64xf16> to tensor<1x4x8x64xf16>
    %cn = attn.cache.append %kc, %vc into %ci[%i]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16>
          into !attn.kv_cache<1x2x64x64xf16>
    %len = arith.addi %i, %c4 : index
    %oc = attn.cache.attend %qc, %cn, %len {causal}
        : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
          -> tensor<1x4x8x64xf16>
    %on = tensor.insert_slice %oc into %o[0, %i, 0, 0] [1, 4, 8, 64] [1, 1, 1, 1]
        : tensor<1x4x8x64xf16> into tensor<1x16x8x64xf16>
    scf.yield %cn, %on : !attn.kv_cache<1x2x64x64xf16>, tensor<1x16x8x64xf16>
  }
  return %r#1 : tensor<1x16x8x64xf16>
}

//--- length.mlir
func.func @attend(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                  %v: tensor<1x16x2x64xf16>, %len: index)
    -> tensor<1x16x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>
        into !attn.kv_cache<1x2x64x64xf16>
  %o = attn.cache.attend %q, %c1, %len
      : tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
        -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}
