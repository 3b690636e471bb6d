// --check recomputes an attention from the entry's inputs, so it refuses an
// entry that does not return one attn.attention of its own arguments (after
// attn-fuse-repeat-kv), rather than compare against the wrong thing. The
// same entries run without --check.

// RUN: rm -rf %t && split-file %s %t

// RUN: not attn-runner --target=cpu %t/none.mlir --check 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: attn-runner: error: --check needs @copy to return one attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but it contains no attn.attention
// RUN: attn-runner --target=cpu %t/none.mlir | FileCheck %s --check-prefix=RUNS
// RUNS: time:

// RUN: not attn-runner --target=cpu %t/scaled.mlir --check 2>&1 | FileCheck %s --check-prefix=NOTRETURNED
// NOTRETURNED: attn-runner: error: --check needs @scaled to return one attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but what it returns is not an attn.attention
// RUN: attn-runner --target=cpu %t/scaled.mlir | FileCheck %s --check-prefix=RUNS

// Repeating along the wrong dimension is not repeat_kv, so nothing fuses and
// the attention reads a computed key and value.
// RUN: not attn-runner --target=cpu %t/unfused.mlir --check 2>&1 | FileCheck %s --check-prefix=OPERANDS
// OPERANDS: attn-runner: error: --check needs @unfused to return one attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but the returned attention's operands are not all entry arguments (after raising and fusion)
// RUN: attn-runner --target=cpu %t/unfused.mlir | FileCheck %s --check-prefix=RUNS

// Quantized keys and values are codes: the float64 reference would read
// them as numbers. The runner passes random codes and scales, and the
// entry runs without --check.
// RUN: not attn-runner --target=cpu %t/quantized.mlir --check 2>&1 | FileCheck %s --check-prefix=QUANTIZED
// QUANTIZED: attn-runner: error: --check needs @quantized to return one attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but the returned attention reads quantized keys and values (codes and scales), which the float64 reference does not dequantize
// RUN: attn-runner --target=cpu %t/quantized.mlir | FileCheck %s --check-prefix=RUNS

//--- quantized.mlir
func.func @quantized(%q: tensor<1x4x2x64xbf16>, %k: tensor<1x8x1x64xi8>,
                     %v: tensor<1x8x1x64xi8>, %ks: tensor<1x8x1xf32>,
                     %vs: tensor<1x8x1xf32>) -> tensor<1x4x2x64xbf16> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x8x1xf32>, tensor<1x8x1xf32>)
      : tensor<1x4x2x64xbf16>, tensor<1x8x1x64xi8>, tensor<1x8x1x64xi8>
      -> tensor<1x4x2x64xbf16>
  return %o : tensor<1x4x2x64xbf16>
}

//--- none.mlir
func.func @copy(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %e = tensor.empty() : tensor<4x4xf32>
  %y = linalg.copy ins(%x : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

//--- scaled.mlir
func.func @scaled(%q: tensor<1x3x1x64xf32>) -> tensor<1x3x1x64xf32> {
  %o = attn.attention %q, %q, %q : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32> -> tensor<1x3x1x64xf32>
  %e = tensor.empty() : tensor<1x3x1x64xf32>
  %d = linalg.add ins(%o, %o : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) outs(%e : tensor<1x3x1x64xf32>) -> tensor<1x3x1x64xf32>
  return %d : tensor<1x3x1x64xf32>
}

//--- unfused.mlir
func.func @unfused(%q: tensor<1x16x8x64xf32>, %xk: tensor<1x16x2x64xf32>,
                   %xv: tensor<1x16x2x64xf32>) -> tensor<1x16x8x64xf32> {
  %ek = tensor.empty() : tensor<1x16x4x2x64xf32>
  %bk = linalg.broadcast ins(%xk : tensor<1x16x2x64xf32>) outs(%ek : tensor<1x16x4x2x64xf32>) dimensions = [2]
  %k = tensor.collapse_shape %bk [[0], [1], [2, 3], [4]] : tensor<1x16x4x2x64xf32> into tensor<1x16x8x64xf32>
  %ev = tensor.empty() : tensor<1x16x4x2x64xf32>
  %bv = linalg.broadcast ins(%xv : tensor<1x16x2x64xf32>) outs(%ev : tensor<1x16x4x2x64xf32>) dimensions = [2]
  %v = tensor.collapse_shape %bv [[0], [1], [2, 3], [4]] : tensor<1x16x4x2x64xf32> into tensor<1x16x8x64xf32>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32> -> tensor<1x16x8x64xf32>
  return %o : tensor<1x16x8x64xf32>
}
