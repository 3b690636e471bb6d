// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa" | FileCheck %s --implicit-check-not=gpu.alloc --implicit-check-not=unrealized_conversion_cast
// attn-to-nvvm-pipeline leaves host code that LLVM IR translation accepts: the output buffer is allocated through the GPU runtime (mgpuMemAlloc), not left as gpu.alloc.

// CHECK-LABEL: llvm.func @gqa(
// CHECK:         llvm.call @mgpuMemAlloc
// CHECK:         gpu.launch_func {{.*}}@gqa_kernel::@gqa_kernel
// CHECK:         llvm.return
func.func @gqa(%q: tensor<1x128x32x128xf16>, %k: tensor<1x128x8x128xf16>,
               %v: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>
      -> tensor<1x128x32x128xf16>
  return %o : tensor<1x128x32x128xf16>
}
