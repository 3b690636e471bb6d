// RUN: attn-opt %s --attn-fuse-elementwise -split-input-file | FileCheck %s
// Upstream's pass, for contrast, leaves no linalg.matmul here.
// RUN: attn-opt %s --linalg-fuse-elementwise-ops -split-input-file | FileCheck %s --check-prefix=UPSTREAM
// UPSTREAM-NOT: linalg.matmul

// A projection reshaped into heads, then an elementwise chain (a scale and
// a truncation, as RoPE and the casts make): the chain fuses into one
// generic, through the reshape, and the matmul stays a linalg.matmul
// (upstream linalg-fuse-elementwise-ops would rewrite it as a 4-D generic).
// CHECK-LABEL: func.func @projection_then_chain(
// CHECK:         linalg.fill
// CHECK:         %[[P:.+]] = linalg.matmul
// CHECK:         %[[H:.+]] = tensor.expand_shape %[[P]]
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[H]] : tensor<1x4x16xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.truncf
// CHECK-NOT:     linalg.generic
// CHECK:         return
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @projection_then_chain(%x: tensor<1x64xbf16>, %w: tensor<64x64xbf16>)
    -> tensor<1x4x16xbf16> {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<1x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x64xf32>) -> tensor<1x64xf32>
  %p = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                       affine_map<(m, n, k) -> (n, k)>,
                       affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<1x64xbf16>, tensor<64x64xbf16>)
      outs(%z : tensor<1x64xf32>) -> tensor<1x64xf32>
  %h = tensor.expand_shape %p [[0], [1, 2]] output_shape [1, 4, 16]
      : tensor<1x64xf32> into tensor<1x4x16xf32>
  %e3 = tensor.empty() : tensor<1x4x16xf32>
  %s = linalg.generic {indexing_maps = [#id3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h : tensor<1x4x16xf32>) outs(%e3 : tensor<1x4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<1x4x16xf32>
  %eb = tensor.empty() : tensor<1x4x16xbf16>
  %t = linalg.generic {indexing_maps = [#id3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x4x16xf32>) outs(%eb : tensor<1x4x16xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %c = arith.truncf %a : f32 to bf16
    linalg.yield %c : bf16
  } -> tensor<1x4x16xbf16>
  return %t : tensor<1x4x16xbf16>
}

// -----

// Two elementwise ops on either side of a reshape fuse into one generic
// over the expanded space, the reshape moved to the input, as upstream.
// CHECK-LABEL: func.func @chain_through_reshape(
// CHECK-SAME:      %[[X:.+]]: tensor<1x64xf32>
// CHECK:         %[[H:.+]] = tensor.expand_shape %[[X]]
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[H]] : tensor<1x4x16xf32>)
// CHECK:           arith.addf
// CHECK:           arith.mulf
// CHECK-NOT:     linalg.generic
// CHECK:         return
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @chain_through_reshape(%x: tensor<1x64xf32>) -> tensor<1x4x16xf32> {
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<1x64xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<1x64xf32>) outs(%e : tensor<1x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %v : f32
    linalg.yield %s : f32
  } -> tensor<1x64xf32>
  %h = tensor.expand_shape %a [[0], [1, 2]] output_shape [1, 4, 16]
      : tensor<1x64xf32> into tensor<1x4x16xf32>
  %e3 = tensor.empty() : tensor<1x4x16xf32>
  %m = linalg.generic {indexing_maps = [#id3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h : tensor<1x4x16xf32>) outs(%e3 : tensor<1x4x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.mulf %v, %two : f32
    linalg.yield %s : f32
  } -> tensor<1x4x16xf32>
  return %m : tensor<1x4x16xf32>
}

// -----

// A producer that one consumer reads at two places (as RoPE reads each
// element and its partner) fuses into it, computed once for each; one that
// two consumers read stays, so neither computes it again.
// CHECK-LABEL: func.func @read_twice(
// CHECK-SAME:      %[[X:[^:]+]]: tensor<8xf32>
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[X]], %[[X]] : tensor<8xf32>, tensor<8xf32>)
// CHECK:           arith.truncf
// CHECK:           arith.truncf
// CHECK:           arith.addf
// CHECK-NOT:     linalg.generic
// CHECK:         return
#id = affine_map<(d0) -> (d0)>
#rev = affine_map<(d0) -> (7 - d0)>
func.func @read_twice(%x: tensor<8xf32>) -> tensor<8xbf16> {
  %e = tensor.empty() : tensor<8xbf16>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %c = arith.truncf %a : f32 to bf16
    linalg.yield %c : bf16
  } -> tensor<8xbf16>
  %r = linalg.generic {indexing_maps = [#id, #rev, #id], iterator_types = ["parallel"]}
      ins(%t, %t : tensor<8xbf16>, tensor<8xbf16>) outs(%e : tensor<8xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %s = arith.addf %a, %b : bf16
    linalg.yield %s : bf16
  } -> tensor<8xbf16>
  return %r : tensor<8xbf16>
}

// -----

// CHECK-LABEL: func.func @two_consumers(
// CHECK-COUNT-3: linalg.generic
// CHECK:         return
#id = affine_map<(d0) -> (d0)>
func.func @two_consumers(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = math.exp %a : f32
    linalg.yield %c : f32
  } -> tensor<8xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%t : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%t : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r1, %r2 : tensor<8xf32>, tensor<8xf32>
}
