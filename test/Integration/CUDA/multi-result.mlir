// An entry with two attention results on the GPU: each result is its own
// device allocation, poisoned with NaN, copied back and checked against
// float64; --output writes one file per result. ../CPU/multi-result.mlir
// runs the same two attentions on the CPU.
// REQUIRES: cuda

// RUN: rm -rf %t && mkdir %t
// RUN: attn-runner %s --target=cuda --seed=7 --check --output=%t/gpu.npy | FileCheck %s
// CHECK: entry: @direct({{.*}}) -> (tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>)
// CHECK: target: cuda ({{.*}}), results allocated on the device, poisoned with NaN, copied back
// CHECK: check: result 0: max_abs_err={{.*}} PASS
// CHECK-NEXT: check: result 1: max_abs_err={{.*}} PASS
// CHECK-NEXT: output: {{.*}}gpu.0.npy
// CHECK-NEXT: output: {{.*}}gpu.1.npy
// RUN: test -s %t/gpu.0.npy && test -s %t/gpu.1.npy

func.func @direct(%q0: tensor<1x16x32x128xf16>, %q1: tensor<1x16x32x128xf16>,
                  %k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>)
    -> (tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>) {
  %o0 = attn.attention %q0, %k, %v {causal}
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>
        -> tensor<1x16x32x128xf16>
  %o1 = attn.attention %q1, %k, %v {causal}
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>
        -> tensor<1x16x32x128xf16>
  return %o0, %o1 : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>
}
