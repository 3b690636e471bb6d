// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa schedule=scalar" | %extract_ptx > %t.ptx
// RUN: %ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa" | %extract_ptx > %t.sm80.ptx
// RUN: %ptxas -arch=sm_90a -v %t.sm80.ptx -o %t.sm80.cubin 2>&1 | FileCheck %s --check-prefix=SM80

// The scalar schedule assembles for sm_90a without register spills, with
// the two K/V tiles (32 x 128 f16 each) in shared memory.

// The sm90 schedule (what auto picks here) keeps every fragment in
// registers: no stack frame, no spills, all shared memory dynamic. Its
// consumers take turns on named barriers whose id is in a register, so
// ptxas reserves all 16; the 168 registers are the entry budget of 384
// threads, which setmaxnreg moves from the producer to the consumers.
// SM80: Function properties for gqa_kernel
// SM80-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// SM80: Used 168 registers, used 16 barriers, 1 bytes smem

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
