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
// bench/sass_loops.py): 16 wgmma a tile (8 of S, 8 of P V), and every
// wgmma descriptor on the uniform datapath: no R2UR. Before the causal
// loop counted its tiles, ptxas built every descriptor in vector
// registers there and moved each over before its wgmma: 48 R2UR, no
// uniform instruction, 739 instructions against 601 now (the mask block
// included); the split last round's the same, 641 against 450. Before
// the warpgroup's index was broadcast from lane 0, Q's descriptors took
// 16 R2UR in every form. Full attention keeps a few (4, and 6 with the
// output stored with TMA, ptxas 13.0), far from a descriptor's two a wgmma.
// CAUSAL: tile loop {{.+}}: instructions {{[0-9]+}}, tensor 16, R2UR 0, uniform {{[1-9][0-9]*}}
// FULL: tile loop {{.+}}: instructions {{[0-9]+}}, tensor 16, R2UR {{[0-8]}}, uniform {{[1-9][0-9]*}}
func.func @causal(%q: tensor<4x4096x32x128xbf16>, %k: tensor<4x4096x8x128xbf16>, %v: tensor<4x4096x8x128xbf16>) -> tensor<4x4096x32x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<4x4096x32x128xbf16>, tensor<4x4096x8x128xbf16>, tensor<4x4096x8x128xbf16> -> tensor<4x4096x32x128xbf16>
  return %o : tensor<4x4096x32x128xbf16>
}

func.func @full(%q: tensor<4x4096x32x128xbf16>, %k: tensor<4x4096x8x128xbf16>, %v: tensor<4x4096x8x128xbf16>) -> tensor<4x4096x32x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<4x4096x32x128xbf16>, tensor<4x4096x8x128xbf16>, tensor<4x4096x8x128xbf16> -> tensor<4x4096x32x128xbf16>
  return %o : tensor<4x4096x32x128xbf16>
}
