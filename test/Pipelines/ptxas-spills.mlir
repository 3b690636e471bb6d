// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa schedule=scalar" | %extract_ptx --object=0 > %t.ptx
// RUN: %ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa" > %t.sm90.mlir
// RUN: %extract_ptx --object=0 < %t.sm90.mlir > %t.causal.ptx
// RUN: %ptxas -arch=sm_90a -v %t.causal.ptx -o %t.causal.cubin 2>&1 | FileCheck %s --check-prefix=SM90
// RUN: %extract_ptx --object=1 < %t.sm90.mlir > %t.full.ptx
// RUN: %ptxas -arch=sm_90a -v %t.full.ptx -o %t.full.cubin 2>&1 | FileCheck %s --check-prefix=SM90-FULL
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa item-overlap=false" > %t.overlap.mlir
// RUN: %extract_ptx --object=0 < %t.overlap.mlir > %t.overlap-causal.ptx
// RUN: %ptxas -arch=sm_90a -v %t.overlap-causal.ptx -o %t.overlap-causal.cubin 2>&1 | FileCheck %s --check-prefix=SM90
// RUN: %extract_ptx --object=1 < %t.overlap.mlir > %t.overlap-full.ptx
// RUN: %ptxas -arch=sm_90a -v %t.overlap-full.ptx -o %t.overlap-full.cubin 2>&1 | FileCheck %s --check-prefix=SM90-FULL
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa tma-store=false" > %t.threads.mlir
// RUN: %extract_ptx --object=0 < %t.threads.mlir > %t.threads-causal.ptx
// RUN: %ptxas -arch=sm_90a -v %t.threads-causal.ptx -o %t.threads-causal.cubin 2>&1 | FileCheck %s --check-prefix=SM90
// RUN: %extract_ptx --object=1 < %t.threads.mlir > %t.threads-full.ptx
// RUN: %ptxas -arch=sm_90a -v %t.threads-full.ptx -o %t.threads-full.cubin 2>&1 | FileCheck %s --check-prefix=SM90-FULL
// RUN: %extract_ptx --object=2 < %t.sm90.mlir > %t.d256.ptx
// RUN: %ptxas -arch=sm_90a -v %t.d256.ptx -o %t.d256.cubin 2>&1 | FileCheck %s --check-prefix=D256

// The scalar schedule assembles for sm_90a without register spills, with
// the two K/V tiles (32 x 128 f16 each) in shared memory.

// The sm90 schedule (what auto picks here, with TMA copies) keeps every
// fragment in registers: all shared memory dynamic, and no stack frame or
// spills, causal or not. Its consumers take turns on named barriers whose
// id is in a register, so ptxas reserves all 16; the 168 registers are the
// entry budget of 384 threads, which setmaxnreg moves from the producer to
// the consumers. (With cp.async copies, tma=false, the persistent grid's
// loop state spilled three words under causal masking: bench/NOTES.md.)
// With item overlap (the default: two Q buffers, and the next item's
// first S carried across the stores) and without it, the same holds, with
// the output staged in shared memory for TMA (tma-store, the default) and
// with each thread storing its own rows. A change in these numbers is a
// change to look at.
// SM90: Function properties for gqa_kernel
// SM90-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// SM90: Used 168 registers, used 16 barriers, 1 bytes smem
// SM90-FULL: Function properties for gqa_full_kernel
// SM90-FULL-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// SM90-FULL: Used 168 registers, used 16 barriers, 1 bytes smem

// At head_dim 256 the output alone takes 128 registers a thread: with P
// in registers the kernel spilled (68 bytes stored, 132 loaded), with P in
// shared memory, which it always takes there, it does not, and it ran
// faster (bench/NOTES.md).
// D256: Function properties for d256_kernel
// D256-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

// CHECK: Function properties for gqa_kernel
// CHECK: 0 bytes spill stores, 0 bytes spill loads
// CHECK: used 1 barriers
// CHECK-SAME: 16384 bytes smem
func.func @gqa(%q: tensor<1x1024x32x128xf16>, %k: tensor<1x1024x8x128xf16>,
               %v: tensor<1x1024x8x128xf16>) -> tensor<1x1024x32x128xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x1024x32x128xf16>, tensor<1x1024x8x128xf16>,
        tensor<1x1024x8x128xf16> -> tensor<1x1024x32x128xf16>
  return %o : tensor<1x1024x32x128xf16>
}

func.func @gqa_full(%q: tensor<1x1024x32x128xf16>, %k: tensor<1x1024x8x128xf16>,
                    %v: tensor<1x1024x8x128xf16>) -> tensor<1x1024x32x128xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<1x1024x32x128xf16>, tensor<1x1024x8x128xf16>,
        tensor<1x1024x8x128xf16> -> tensor<1x1024x32x128xf16>
  return %o : tensor<1x1024x32x128xf16>
}

func.func @d256(%q: tensor<4x1024x32x256xbf16>, %k: tensor<4x1024x8x256xbf16>,
                %v: tensor<4x1024x8x256xbf16>) -> tensor<4x1024x32x256xbf16> {
  %o = attn.attention %q, %k, %v
      : tensor<4x1024x32x256xbf16>, tensor<4x1024x8x256xbf16>,
        tensor<4x1024x8x256xbf16> -> tensor<4x1024x32x256xbf16>
  return %o : tensor<4x1024x32x256xbf16>
}
