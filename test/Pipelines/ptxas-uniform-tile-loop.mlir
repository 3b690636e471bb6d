// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa" > %t.mlir
// RUN: %extract_ptx --object=0 < %t.mlir > %t.causal.ptx
// RUN: %ptxas -arch=sm_90a %t.causal.ptx -o %t.causal.cubin
// RUN: python3 %attn_src_root/bench/sass_loops.py %t.causal.cubin | FileCheck %s --check-prefix=CAUSAL
// RUN: %extract_ptx --object=1 < %t.mlir > %t.full.ptx
// RUN: %ptxas -arch=sm_90a %t.full.ptx -o %t.full.cubin
// RUN: python3 %attn_src_root/bench/sass_loops.py %t.full.cubin | FileCheck %s --check-prefix=FULL
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa tail-split=true sm-count=132" | %extract_ptx --object=1 > %t.split.ptx
// RUN: %ptxas -arch=sm_90a %t.split.ptx -o %t.split.cubin
// RUN: python3 %attn_src_root/bench/sass_loops.py %t.split.cubin | FileCheck %s --check-prefix=FULL

// The sm90 consumers' tile loop in SASS (the cubin read by
// bench/sass_loops.py): 16 wgmma a tile (8 of S, 8 of P V), each wgmma's
// descriptor on the uniform datapath, so one R2UR a wgmma (Q's descriptor)
// and uniform arithmetic for K's and V's. Before the causal loop counted
// its tiles, ptxas built every descriptor in vector registers there: 48
// R2UR, no uniform instruction, 739 instructions against 616 (the mask
// block included); the split last round's the same, 641 against 464.
// CAUSAL: tile loop {{.+}}: instructions {{[0-9]+}}, tensor 16, R2UR 16, uniform {{[1-9][0-9]*}}
// FULL: tile loop {{.+}}: instructions {{[0-9]+}}, tensor 16, R2UR 16, uniform {{[1-9][0-9]*}}
func.func @causal(%q: tensor<4x4096x32x128xbf16>, %k: tensor<4x4096x8x128xbf16>, %v: tensor<4x4096x8x128xbf16>) -> tensor<4x4096x32x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<4x4096x32x128xbf16>, tensor<4x4096x8x128xbf16>, tensor<4x4096x8x128xbf16> -> tensor<4x4096x32x128xbf16>
  return %o : tensor<4x4096x32x128xbf16>
}

func.func @full(%q: tensor<4x4096x32x128xbf16>, %k: tensor<4x4096x8x128xbf16>, %v: tensor<4x4096x8x128xbf16>) -> tensor<4x4096x32x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<4x4096x32x128xbf16>, tensor<4x4096x8x128xbf16>, tensor<4x4096x8x128xbf16> -> tensor<4x4096x32x128xbf16>
  return %o : tensor<4x4096x32x128xbf16>
}
