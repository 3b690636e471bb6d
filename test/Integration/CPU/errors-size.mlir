// Sizes are checked before anything is allocated: a tensor whose size in
// bytes overflows int64, or arguments and a result that need more memory
// than the machine has, are one "attn-runner: error:" line and a non-zero
// exit, not a wrapped allocation, an out-of-memory abort or hours of swap.

// RUN: rm -rf %t && split-file %s %t
// RUN: not attn-runner --target=cpu %t/wrap.mlir 2>&1 | FileCheck %s --check-prefix=WRAP
// WRAP: attn-runner: error: argument 0 of @wrap (tensor<4611686018427387904x4xf32>) has a size in bytes that overflows int64
// RUN: not attn-runner --target=cpu %t/result.mlir 2>&1 | FileCheck %s --check-prefix=RESULT
// RESULT: attn-runner: error: the result of @result (tensor<2305843009213693952x2xf16>) has a size in bytes that overflows int64
// RUN: not attn-runner --target=cpu %t/results.mlir 2>&1 | FileCheck %s --check-prefix=RESULTS
// RESULTS: attn-runner: error: result 1 of @results (tensor<2305843009213693952x2xf16>) has a size in bytes that overflows int64
// 16 TiB in and 16 TiB out.
// RUN: not attn-runner --target=cpu %t/huge.mlir 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: attn-runner: error: the arguments and the result of @huge need 35184372088832 bytes of host memory, more than the {{[0-9]+}} this machine has
// RUN: not attn-runner --target=cpu %t/hugetwo.mlir 2>&1 | FileCheck %s --check-prefix=HUGETWO
// HUGETWO: attn-runner: error: the arguments and the results of @hugetwo need 35184372088832 bytes of host memory, more than the {{[0-9]+}} this machine has

// Attention over such a tensor does not even verify.
// RUN: not attn-runner --target=cpu %t/attention.mlir 2>&1 | FileCheck %s --check-prefix=VERIFY
// VERIFY: error: 'attn.attention' op query size (4611686018427387904 x 1 x 1 x 4 elements) overflows int64
// VERIFY: attn-runner: error: cannot parse '{{.*}}attention.mlir'

//--- wrap.mlir
func.func @wrap(%x: tensor<4611686018427387904x4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  return %e : tensor<4xf32>
}

//--- result.mlir
func.func @result(%x: tensor<4xf32>) -> tensor<2305843009213693952x2xf16> {
  %e = tensor.empty() : tensor<2305843009213693952x2xf16>
  return %e : tensor<2305843009213693952x2xf16>
}

//--- huge.mlir
func.func @huge(%x: tensor<1099511627776x4xf32>) -> tensor<1099511627776x4xf32> {
  return %x : tensor<1099511627776x4xf32>
}

//--- results.mlir
func.func @results(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<2305843009213693952x2xf16>) {
  %e = tensor.empty() : tensor<2305843009213693952x2xf16>
  return %x, %e : tensor<4xf32>, tensor<2305843009213693952x2xf16>
}

//--- hugetwo.mlir
func.func @hugetwo(%x: tensor<1099511627776x2xf32>) -> (tensor<1099511627776x4xf32>, tensor<1099511627776x2xf32>) {
  %e = tensor.empty() : tensor<1099511627776x4xf32>
  return %e, %x : tensor<1099511627776x4xf32>, tensor<1099511627776x2xf32>
}

//--- attention.mlir
func.func @f(%q: tensor<4611686018427387904x1x1x4xf32>) -> tensor<4611686018427387904x1x1x4xf32> {
  %o = attn.attention %q, %q, %q : tensor<4611686018427387904x1x1x4xf32>, tensor<4611686018427387904x1x1x4xf32>, tensor<4611686018427387904x1x1x4xf32> -> tensor<4611686018427387904x1x1x4xf32>
  return %o : tensor<4611686018427387904x1x1x4xf32>
}
