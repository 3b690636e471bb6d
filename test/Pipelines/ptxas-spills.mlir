// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa" | %extract_ptx > %t.ptx
// RUN: %ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s

// The default schedule assembles for sm_90a without register spills, with
// the two K/V tiles (32 x 128 f16 each) in shared memory.

// CHECK: Function properties for gqa_kernel
// CHECK: 0 bytes spill stores, 0 bytes spill loads
// CHECK: used 1 barriers
// CHECK-SAME: 16384 bytes smem
func.func @gqa(%q: tensor<1x256x32x128xf16>, %k: tensor<1x256x8x128xf16>,
               %v: tensor<1x256x8x128xf16>) -> tensor<1x256x32x128xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x256x32x128xf16>, tensor<1x256x8x128xf16>,
        tensor<1x256x8x128xf16> -> tensor<1x256x32x128xf16>
  return %o : tensor<1x256x32x128xf16>
}
