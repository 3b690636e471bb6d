// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa schedule=sm90-decode" > %t.mlir
// RUN: %extract_ptx --object=0 < %t.mlir > %t.attention.ptx
// RUN: %ptxas -arch=sm_90a -v %t.attention.ptx -o %t.attention.cubin 2>&1 | FileCheck %s
// RUN: %extract_ptx --object=1 < %t.mlir > %t.combine.ptx
// RUN: %ptxas -arch=sm_90a -v %t.combine.ptx -o %t.combine.cubin 2>&1 | FileCheck %s --check-prefix=COMBINE
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa schedule=sm90-decode-alternate" > %t.alt.mlir
// RUN: %extract_ptx --object=0 < %t.alt.mlir > %t.alt.ptx
// RUN: %ptxas -arch=sm_90a -v %t.alt.ptx -o %t.alt.cubin 2>&1 | FileCheck %s --check-prefix=ALTERNATE
// The sm90-decode kernel assembles with PTX 8.3 (its TMA fences), without
// a stack frame or spills: S (64 registers), half of the output (32) and
// P (32) a consumer thread. The 168 registers are the entry budget of 384
// threads that setmaxnreg moves to the consumers, as in the prefill
// kernel (ptxas-spills.mlir).
// CHECK: Function properties for mqa_kernel_pdl_primary
// CHECK-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK: Used 168 registers, used 16 barriers
// COMBINE: Function properties for mqa_kernel_pdl_dependent
// COMBINE-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// The alternate form: S of a 64-key tile (32 registers), all of the output
// (64) and P (16) a consumer thread; no turns, so no named barrier but the
// block's.
// ALTERNATE: Function properties for mqa_kernel_pdl_primary
// ALTERNATE-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// ALTERNATE: Used 168 registers, used 1 barriers
func.func @mqa(%q: tensor<8x1x32x128xbf16>, %k: tensor<8x32768x1x128xbf16>,
               %v: tensor<8x32768x1x128xbf16>) -> tensor<8x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v
      : tensor<8x1x32x128xbf16>, tensor<8x32768x1x128xbf16>,
        tensor<8x32768x1x128xbf16> -> tensor<8x1x32x128xbf16>
  return %o : tensor<8x1x32x128xbf16>
}
