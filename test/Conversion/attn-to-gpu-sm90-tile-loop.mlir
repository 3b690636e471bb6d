// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm90" -split-input-file | FileCheck %s
// The consumers' tile loop. Where an item's keys are known only at run
// time (here the causal diagonal), the loop counts its tiles and carries
// the tile's first key, which the body reads only through a copy LLVM
// cannot see through and steps for the next tile. As the loop's own
// induction, LLVM used the key after its increment, and ptxas then kept
// the loop off the uniform datapath: every wgmma descriptor in vector
// registers, moved over before each wgmma (bench/NOTES.md, 2026-12-07).

// The warpgroup's index, broadcast from lane 0 where every thread runs,
// which ptxas takes as warp-uniform (Q's descriptors depend on it).
// CHECK-LABEL: func.func @causal(
// CHECK:         %[[WG:[a-zA-Z0-9_]+]], %{{.+}} = gpu.shuffle  idx %{{.+}}, %c0_i32, %c32_i32 : i32
// CHECK-NEXT:    arith.index_cast %[[WG]] : i32 to index
// CHECK:         nvvm.setmaxregister  increase 240
// CHECK:           scf.for %{{.+}} = %c0{{[_0-9]*}} to %{{.+}} step %c1{{[_0-9]*}} iter_args({{.+}}, %[[KEY:arg[0-9]+]] = %{{[0-9a-z_#]+}}) -> ({{.+}}, index) {
// CHECK-NEXT:        %[[KEY64:.+]] = arith.index_cast %[[KEY]] : index to i64
// CHECK-NEXT:        %[[COPY64:.+]] = llvm.inline_asm has_side_effects "mov.b64 $0, $1;", "=l,l" %[[KEY64]]
// CHECK-NEXT:        %[[COPY:.+]] = arith.index_cast %[[COPY64]] : i64 to index
// CHECK-COUNT-8:     wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// K's stage released, then the diagonal's mask: each row's limit as a
// 32-bit offset through an opaque copy, so that each score's compare is a
// 32-bit one (LLVM otherwise folded the clamp into 64-bit compares). The
// next tile's first key is yielded last, after the release of V's stage.
// CHECK:             mbarrier.arrive.shared::cta.b64
// CHECK:             scf.if
// CHECK:               llvm.inline_asm has_side_effects "mov.b32 $0, $1;", "=r,r"
// CHECK:             mbarrier.arrive.shared::cta.b64
// CHECK:             %[[C128:.+]] = arith.constant 128 : index
// CHECK-NEXT:        %[[NEXT:.+]] = arith.addi %[[COPY]], %[[C128]]
// CHECK-NEXT:        scf.yield {{.+}}, %[[NEXT]] :
func.func @causal(%q: tensor<1x1024x8x128xbf16>, %k: tensor<1x1024x2x128xbf16>, %v: tensor<1x1024x2x128xbf16>) -> tensor<1x1024x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<1x1024x8x128xbf16>, tensor<1x1024x2x128xbf16>, tensor<1x1024x2x128xbf16> -> tensor<1x1024x8x128xbf16>
  return %o : tensor<1x1024x8x128xbf16>
}

// -----

// Every item's keys known when the kernel is built: the plain loop over
// the keys, which ptxas already keeps uniform, and no copy anywhere in the
// function (up to the marker function after it).
// CHECK-LABEL: func.func @full(
// CHECK:         nvvm.setmaxregister  increase 240
// CHECK:           scf.for %{{.+}} = %{{.+}} to %dim{{[_0-9]*}} step %c128{{[_0-9]*}} iter_args({{.+}}) -> ({{[f32i, ]+}}) {
// CHECK-NOT:     "mov.b64 $0, $1;"
// CHECK-LABEL: func.func @end_of_full(
func.func @full(%q: tensor<1x1024x8x128xbf16>, %k: tensor<1x1024x2x128xbf16>, %v: tensor<1x1024x2x128xbf16>) -> tensor<1x1024x8x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x1024x8x128xbf16>, tensor<1x1024x2x128xbf16>, tensor<1x1024x2x128xbf16> -> tensor<1x1024x8x128xbf16>
  return %o : tensor<1x1024x8x128xbf16>
}

func.func @end_of_full() {
  return
}
