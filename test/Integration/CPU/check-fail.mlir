// --check can fail, and exits non-zero when it does. An honest way to make
// the compiled code return a wrong result without an error-injection flag:
// feed it a NaN. Key 112 is NaN in one element; under causal attention with
// Sq = Sk = 113 only the last query row sees that key, so exactly one row of
// the one query head (64 elements) must be NaN, and the check reports them.
// This is the same path by which result elements the kernel never wrote
// (they start as NaN) fail the check. Without causal, every row sees the key
// and all 113 * 64 elements are NaN.
// The NaN sits at flat index 112 * 64 + 5 of the [1, 113, 1, 64] key.

// RUN: rm -rf %t && split-file %s %t
// RUN: python3 %S/Inputs/npy.py %t/k.npy f32 1x113x1x64 nan 7173
// RUN: not attn-runner --target=cpu %t/causal.mlir --check --input 1=%t/k.npy 2>&1 | FileCheck %s --check-prefix=CAUSAL
// CAUSAL: check: max_abs_err={{.*}} nan=64 FAIL
// CAUSAL: attn-runner: error: check failed: 64 result elements are NaN
// RUN: not attn-runner --target=cpu %t/full.mlir --check --input 1=%t/k.npy 2>&1 | FileCheck %s --check-prefix=FULL
// FULL: check: max_abs_err={{.*}} nan=7232 FAIL

//--- causal.mlir
func.func @causal(%q: tensor<1x113x1x64xf32>, %k: tensor<1x113x1x64xf32>,
                  %v: tensor<1x113x1x64xf32>) -> tensor<1x113x1x64xf32> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x113x1x64xf32>, tensor<1x113x1x64xf32>, tensor<1x113x1x64xf32> -> tensor<1x113x1x64xf32>
  return %o : tensor<1x113x1x64xf32>
}

//--- full.mlir
func.func @full(%q: tensor<1x113x1x64xf32>, %k: tensor<1x113x1x64xf32>,
                %v: tensor<1x113x1x64xf32>) -> tensor<1x113x1x64xf32> {
  %o = attn.attention %q, %k, %v
      : tensor<1x113x1x64xf32>, tensor<1x113x1x64xf32>, tensor<1x113x1x64xf32> -> tensor<1x113x1x64xf32>
  return %o : tensor<1x113x1x64xf32>
}

