// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa schedule=scalar" | %extract_ptx > %t.ptx
// RUN: %ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s
// RUN: attn-opt %attn_src_root/examples/llama2_gqa.mlir --attn-to-nvvm-pipeline="format=isa schedule=scalar" | %extract_ptx > %t.llama2.ptx
// RUN: %ptxas -arch=sm_90a -v %t.llama2.ptx -o %t.llama2.cubin 2>&1 | FileCheck %s --check-prefix=LLAMA2
// RUN: attn-opt %attn_src_root/examples/mqa.mlir --attn-to-nvvm-pipeline="format=isa schedule=scalar" | %extract_ptx > %t.mqa.ptx
// RUN: %ptxas -arch=sm_90a -v %t.mqa.ptx -o %t.mqa.cubin 2>&1 | FileCheck %s --check-prefix=MQA
// The PTX that attn-to-nvvm-pipeline embeds is valid for ptxas on sm_90a and spill-free: masked sliding-window GQA with dynamic lengths and value head_dim != head_dim, the llama2 example (f16) and the MQA example (bf16).

// Shared memory: a 32x64 key tile and a 32x32 value tile, bf16.
// CHECK: Compiling entry function 'window_mask_kernel' for 'sm_90a'
// CHECK: 0 bytes spill stores, 0 bytes spill loads
// CHECK: used 1 barriers
// CHECK-SAME: 6144 bytes smem

// LLAMA2: Compiling entry function 'llama2_attention_kernel' for 'sm_90a'
// LLAMA2: 0 bytes spill stores, 0 bytes spill loads
// LLAMA2: used 1 barriers
// LLAMA2-SAME: 16384 bytes smem

// MQA: Compiling entry function 'mqa_attention_kernel' for 'sm_90a'
// MQA: 0 bytes spill stores, 0 bytes spill loads
// MQA: used 1 barriers
// MQA-SAME: 8192 bytes smem
func.func @window_mask(%q: tensor<?x?x8x64xbf16>, %k: tensor<?x?x2x64xbf16>,
                       %v: tensor<?x?x2x32xbf16>, %m: tensor<?x8x?x?xf32>)
    -> tensor<?x?x8x32xbf16> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<?x8x?x?xf32>) {window = 16}
      : tensor<?x?x8x64xbf16>, tensor<?x?x2x64xbf16>, tensor<?x?x2x32xbf16>
      -> tensor<?x?x8x32xbf16>
  return %o : tensor<?x?x8x32xbf16>
}
