// RUN: attn-opt %s --attn-raise-attention -split-input-file | FileCheck %s
// attn-raise-attention: Q·Kᵀ, a constant scale, an optional additive mask, a softmax over the keys and P·V, spelled in upstream ops, become one bhsd attn.attention; the chains that must not be raised are left exactly as they are.

// Both matmuls as rank-4 linalg.generic contractions, K read as [b, h, n, k]
// (no transpose), scores scaled by a captured constant, linalg.softmax.
// CHECK-LABEL: func.func @generic_contractions(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x4x16x64xf32>, %[[K:[^:]+]]: tensor<2x4x32x64xf32>, %[[V:[^:]+]]: tensor<2x4x32x48xf32>
// CHECK-NOT:     linalg.
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {layout = #attn.layout<bhsd>, scale = 1.250000e-01 : f32} : tensor<2x4x16x64xf32>, tensor<2x4x32x64xf32>, tensor<2x4x32x48xf32> -> tensor<2x4x16x48xf32>
// CHECK-NOT:     linalg.
// CHECK:         return %[[O]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#qk_q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#qk_k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#qk_s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#pv_p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#pv_v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#pv_o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
func.func @generic_contractions(%q: tensor<2x4x16x64xf32>, %k: tensor<2x4x32x64xf32>,
                                %v: tensor<2x4x32x48xf32>) -> tensor<2x4x16x48xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.125 : f32
  %e0 = tensor.empty() : tensor<2x4x16x32xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  %s = linalg.generic {indexing_maps = [#qk_q, #qk_k, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x4x16x64xf32>, tensor<2x4x32x64xf32>) outs(%f0 : tensor<2x4x16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16x32xf32>
  %e1 = tensor.empty() : tensor<2x4x16x32xf32>
  %sc = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x4x16x32xf32>) outs(%e1 : tensor<2x4x16x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x4x16x32xf32>
  %e2 = tensor.empty() : tensor<2x4x16x32xf32>
  %p = linalg.softmax dimension(3) ins(%sc : tensor<2x4x16x32xf32>) outs(%e2 : tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  %e3 = tensor.empty() : tensor<2x4x16x48xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x4x16x48xf32>) -> tensor<2x4x16x48xf32>
  %o = linalg.generic {indexing_maps = [#pv_p, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x4x16x32xf32>, tensor<2x4x32x48xf32>) outs(%f3 : tensor<2x4x16x48xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16x48xf32>
  return %o : tensor<2x4x16x48xf32>
}

// -----

// torch.matmul as torch-mlir lowers it: linalg.batch_matmul on [B*H, M, K]
// between reshapes, Kᵀ from linalg.transpose [0, 1, 3, 2] (read through),
// the division by sqrt(D) as linalg.div by a splat constant, a [Sq, Sk]
// mask read broadcast (reshaped to [1, 1, Sq, Sk]), and .float() /
// .type_as() around linalg.softmax.
// CHECK-LABEL: func.func @batch_matmul_reshapes(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x8x16x64xf16>, %[[K:[^:]+]]: tensor<1x8x32x64xf16>, %[[V:[^:]+]]: tensor<1x8x32x64xf16>, %[[M:[^:]+]]: tensor<16x32xf16>
// CHECK-NOT:     linalg.
// CHECK:         %[[M4:.+]] = tensor.expand_shape %[[M]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 16, 32] : tensor<16x32xf16> into tensor<1x1x16x32xf16>
// CHECK-NEXT:    %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M4]] : tensor<1x1x16x32xf16>) {layout = #attn.layout<bhsd>, scale = 1.250000e-01 : f32} : tensor<1x8x16x64xf16>, tensor<1x8x32x64xf16>, tensor<1x8x32x64xf16> -> tensor<1x8x16x64xf16>
// CHECK-NOT:     linalg.
// CHECK-NOT:     tensor.collapse_shape
// CHECK:         return %[[O]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#mask = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
func.func @batch_matmul_reshapes(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x32x64xf16>,
                                 %v: tensor<1x8x32x64xf16>, %mask: tensor<16x32xf16>) -> tensor<1x8x16x64xf16> {
  %zero = arith.constant 0.0 : f16
  %sqrt_d = arith.constant dense<8.0> : tensor<1x8x16x32xf16>
  %kt_init = tensor.empty() : tensor<1x8x64x32xf16>
  %kt = linalg.transpose ins(%k : tensor<1x8x32x64xf16>) outs(%kt_init : tensor<1x8x64x32xf16>) permutation = [0, 1, 3, 2]
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x8x16x64xf16> into tensor<8x16x64xf16>
  %kt3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<1x8x64x32xf16> into tensor<8x64x32xf16>
  %e0 = tensor.empty() : tensor<8x16x32xf16>
  %f0 = linalg.fill ins(%zero : f16) outs(%e0 : tensor<8x16x32xf16>) -> tensor<8x16x32xf16>
  %s3 = linalg.batch_matmul ins(%q3, %kt3 : tensor<8x16x64xf16>, tensor<8x64x32xf16>) outs(%f0 : tensor<8x16x32xf16>) -> tensor<8x16x32xf16>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [1, 8, 16, 32] : tensor<8x16x32xf16> into tensor<1x8x16x32xf16>
  %e1 = tensor.empty() : tensor<1x8x16x32xf16>
  %sc = linalg.div ins(%s, %sqrt_d : tensor<1x8x16x32xf16>, tensor<1x8x16x32xf16>) outs(%e1 : tensor<1x8x16x32xf16>) -> tensor<1x8x16x32xf16>
  %e2 = tensor.empty() : tensor<1x8x16x32xf16>
  %masked = linalg.generic {indexing_maps = [#id, #mask, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sc, %mask : tensor<1x8x16x32xf16>, tensor<16x32xf16>) outs(%e2 : tensor<1x8x16x32xf16>) {
  ^bb0(%a: f16, %m: f16, %o: f16):
    %r = arith.addf %a, %m : f16
    linalg.yield %r : f16
  } -> tensor<1x8x16x32xf16>
  %e3 = tensor.empty() : tensor<1x8x16x32xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked : tensor<1x8x16x32xf16>) outs(%e3 : tensor<1x8x16x32xf32>) {
  ^bb0(%a: f16, %o: f32):
    %r = arith.extf %a : f16 to f32
    linalg.yield %r : f32
  } -> tensor<1x8x16x32xf32>
  %e4 = tensor.empty() : tensor<1x8x16x32xf32>
  %probs = linalg.softmax dimension(3) ins(%x : tensor<1x8x16x32xf32>) outs(%e4 : tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32>
  %e5 = tensor.empty() : tensor<1x8x16x32xf16>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%probs : tensor<1x8x16x32xf32>) outs(%e5 : tensor<1x8x16x32xf16>) {
  ^bb0(%a: f32, %o: f16):
    %r = arith.truncf %a : f32 to f16
    linalg.yield %r : f16
  } -> tensor<1x8x16x32xf16>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x8x16x32xf16> into tensor<8x16x32xf16>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x8x32x64xf16> into tensor<8x32x64xf16>
  %e6 = tensor.empty() : tensor<8x16x64xf16>
  %f6 = linalg.fill ins(%zero : f16) outs(%e6 : tensor<8x16x64xf16>) -> tensor<8x16x64xf16>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<8x16x32xf16>, tensor<8x32x64xf16>) outs(%f6 : tensor<8x16x64xf16>) -> tensor<8x16x64xf16>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [1, 8, 16, 64] : tensor<8x16x64xf16> into tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

// linalg.batch_matmul whose indexing_maps read B transposed takes K as it
// is. No scale op means scale 1; a full-shape mask added by linalg.add.
// CHECK-LABEL: func.func @batch_matmul_transposed_b(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x2x8x16xf32>, %[[K:[^:]+]]: tensor<2x2x8x16xf32>, %[[V:[^:]+]]: tensor<2x2x8x16xf32>, %[[M:[^:]+]]: tensor<2x2x8x8xf32>
// CHECK-NOT:     linalg.
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x2x8x8xf32>) {layout = #attn.layout<bhsd>, scale = 1.000000e+00 : f32}
// CHECK-NOT:     linalg.
// CHECK:         return %[[O]]
func.func @batch_matmul_transposed_b(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>,
                                     %v: tensor<2x2x8x16xf32>, %mask: tensor<2x2x8x8xf32>) -> tensor<2x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %e0 = tensor.empty() : tensor<4x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s3 = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>,
                                             affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>,
                                             affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
      ins(%q3, %k3 : tensor<4x8x16xf32>, tensor<4x8x16xf32>) outs(%f0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 8] : tensor<4x8x8xf32> into tensor<2x2x8x8xf32>
  %e1 = tensor.empty() : tensor<2x2x8x8xf32>
  %masked = linalg.add ins(%s, %mask : tensor<2x2x8x8xf32>, tensor<2x2x8x8xf32>) outs(%e1 : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %e2 = tensor.empty() : tensor<2x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x2x8x8xf32>) outs(%e2 : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x2x8x8xf32> into tensor<4x8x8xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %e3 = tensor.empty() : tensor<4x8x16xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%f3 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 16] : tensor<4x8x16xf32> into tensor<2x2x8x16xf32>
  return %o : tensor<2x2x8x16xf32>
}

// -----

// The decomposed softmax with linalg.reduce and keepdim reshapes, the
// subtraction and the exp in separate ops; the scale as a constant times
// the scores, the constant from a linalg.fill; a [1, H, Sq, Sk] mask read
// at batch 0.
// CHECK-LABEL: func.func @decomposed_softmax(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x4x16x32xf32>, %[[K:[^:]+]]: tensor<2x4x16x32xf32>, %[[V:[^:]+]]: tensor<2x4x16x32xf32>, %[[M:[^:]+]]: tensor<1x4x16x16xf32>
// CHECK-NOT:     linalg.
// CHECK-NOT:     math.exp
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<1x4x16x16xf32>) {layout = #attn.layout<bhsd>, scale = 2.500000e-01 : f32}
// CHECK-NOT:     linalg.
// CHECK:         return %[[O]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#mask = affine_map<(d0, d1, d2, d3) -> (0, d1, d2, d3)>
#keep = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
#qk_q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#qk_k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#qk_s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#pv_p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#pv_v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#pv_o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
func.func @decomposed_softmax(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x16x32xf32>,
                              %v: tensor<2x4x16x32xf32>, %mask: tensor<1x4x16x16xf32>) -> tensor<2x4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %quarter = arith.constant 0.25 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %e0 = tensor.empty() : tensor<2x4x16x16xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %s = linalg.generic {indexing_maps = [#qk_q, #qk_k, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32>) outs(%f0 : tensor<2x4x16x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %m, %acc : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16x16xf32>
  %ce = tensor.empty() : tensor<2x4x16x16xf32>
  %cst = linalg.fill ins(%quarter : f32) outs(%ce : tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %e1 = tensor.empty() : tensor<2x4x16x16xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #mask, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%cst, %s, %mask : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<1x4x16x16xf32>) outs(%e1 : tensor<2x4x16x16xf32>) {
  ^bb0(%c: f32, %a: f32, %m: f32, %o: f32):
    %sc = arith.mulf %c, %a : f32
    %r = arith.addf %m, %sc : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16x16xf32>
  %me = tensor.empty() : tensor<2x4x16xf32>
  %mf = linalg.fill ins(%lowest : f32) outs(%me : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  %max = linalg.reduce ins(%x : tensor<2x4x16x16xf32>) outs(%mf : tensor<2x4x16xf32>) dimensions = [3]
    (%in: f32, %init: f32) {
      %r = arith.maxnumf %in, %init : f32
      linalg.yield %r : f32
    }
  %max4 = tensor.expand_shape %max [[0], [1], [2, 3]] output_shape [2, 4, 16, 1] : tensor<2x4x16xf32> into tensor<2x4x16x1xf32>
  %e2 = tensor.empty() : tensor<2x4x16x16xf32>
  %d = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %max4 : tensor<2x4x16x16xf32>, tensor<2x4x16x1xf32>) outs(%e2 : tensor<2x4x16x16xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %r = arith.subf %a, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16x16xf32>
  %e3 = tensor.empty() : tensor<2x4x16x16xf32>
  %exp = linalg.exp ins(%d : tensor<2x4x16x16xf32>) outs(%e3 : tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %se = tensor.empty() : tensor<2x4x16xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  %sum = linalg.reduce ins(%exp : tensor<2x4x16x16xf32>) outs(%sf : tensor<2x4x16xf32>) dimensions = [3]
    (%in: f32, %init: f32) {
      %r = arith.addf %in, %init : f32
      linalg.yield %r : f32
    }
  %sum4 = tensor.expand_shape %sum [[0], [1], [2, 3]] output_shape [2, 4, 16, 1] : tensor<2x4x16xf32> into tensor<2x4x16x1xf32>
  %e4 = tensor.empty() : tensor<2x4x16x16xf32>
  %p = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum4 : tensor<2x4x16x16xf32>, tensor<2x4x16x1xf32>) outs(%e4 : tensor<2x4x16x16xf32>) {
  ^bb0(%a: f32, %l: f32, %o: f32):
    %r = arith.divf %a, %l : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16x16xf32>
  %e5 = tensor.empty() : tensor<2x4x16x32xf32>
  %f5 = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  %o = linalg.generic {indexing_maps = [#pv_p, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x4x16x16xf32>, tensor<2x4x16x32xf32>) outs(%f5 : tensor<2x4x16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16x32xf32>
  return %o : tensor<2x4x16x32xf32>
}

// -----

// linalg.contract for both matmuls, given Kᵀ and Vᵀ ([B, H, D, S]), so the
// pass transposes them back; the loops in another order; two constant
// factors (x 2, / 16) and .float() fused into one generic; the subtraction
// and the exp fused too, as are the division and .type_as(); the
// reductions as linalg.generic.
// CHECK-LABEL: func.func @contract_transposed_operands(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x2x8x16xbf16>, %[[KT:[^:]+]]: tensor<1x2x16x8xbf16>, %[[VT:[^:]+]]: tensor<1x2x16x8xbf16>
// CHECK-DAG:     %[[K:.+]] = linalg.transpose ins(%[[KT]] : tensor<1x2x16x8xbf16>) outs(%{{.+}} : tensor<1x2x8x16xbf16>) permutation = [0, 1, 3, 2]
// CHECK-DAG:     %[[V:.+]] = linalg.transpose ins(%[[VT]] : tensor<1x2x16x8xbf16>) outs(%{{.+}} : tensor<1x2x8x16xbf16>) permutation = [0, 1, 3, 2]
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {layout = #attn.layout<bhsd>, scale = 1.250000e-01 : f32}
// CHECK-NOT:     linalg.contract
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[O]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#qk_q = affine_map<(k, b, m, h, n) -> (b, h, m, k)>
#qk_kt = affine_map<(k, b, m, h, n) -> (b, h, k, n)>
#qk_s = affine_map<(k, b, m, h, n) -> (b, h, m, n)>
#pv_p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#pv_vt = affine_map<(b, h, m, e, n) -> (b, h, e, n)>
#pv_o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
func.func @contract_transposed_operands(%q: tensor<1x2x8x16xbf16>, %kt: tensor<1x2x16x8xbf16>,
                                        %vt: tensor<1x2x16x8xbf16>) -> tensor<1x2x8x16xbf16> {
  %zero = arith.constant 0.0 : bf16
  %zero_f32 = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %sixteen = arith.constant 16.0 : f32
  %minus_inf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xbf16>
  %f0 = linalg.fill ins(%zero : bf16) outs(%e0 : tensor<1x2x8x8xbf16>) -> tensor<1x2x8x8xbf16>
  %s = linalg.contract indexing_maps = [#qk_q, #qk_kt, #qk_s]
      ins(%q, %kt : tensor<1x2x8x16xbf16>, tensor<1x2x16x8xbf16>) outs(%f0 : tensor<1x2x8x8xbf16>) -> tensor<1x2x8x8xbf16>
  %e1 = tensor.empty() : tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xbf16>) outs(%e1 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: bf16, %o: f32):
    %w = arith.extf %a : bf16 to f32
    %m = arith.mulf %w, %two : f32
    %r = arith.divf %m, %sixteen : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %me = tensor.empty() : tensor<1x2x8xf32>
  %mf = linalg.fill ins(%minus_inf : f32) outs(%me : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : tensor<1x2x8x8xf32>) outs(%mf : tensor<1x2x8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %acc, %in : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %e2 = tensor.empty() : tensor<1x2x8x8xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %max : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%e2 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %se = tensor.empty() : tensor<1x2x8xf32>
  %sf = linalg.fill ins(%zero_f32 : f32) outs(%se : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<1x2x8x8xf32>) outs(%sf : tensor<1x2x8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %e3 = tensor.empty() : tensor<1x2x8x8xbf16>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%e3 : tensor<1x2x8x8xbf16>) {
  ^bb0(%a: f32, %l: f32, %o: bf16):
    %r = arith.divf %a, %l : f32
    %t = arith.truncf %r : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<1x2x8x8xbf16>
  %e4 = tensor.empty() : tensor<1x2x8x16xbf16>
  %f4 = linalg.fill ins(%zero : bf16) outs(%e4 : tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16>
  %o = linalg.contract indexing_maps = [#pv_p, #pv_vt, #pv_o]
      ins(%p, %vt : tensor<1x2x8x8xbf16>, tensor<1x2x16x8xbf16>) outs(%f4 : tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// -----

// Dynamic extents, and a [H, Sq, Sk] mask, reshaped to [1, H, Sq, Sk].
// CHECK-LABEL: func.func @dynamic_shapes(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<?x4x?x64xf32>, %[[K:[^:]+]]: tensor<?x4x?x64xf32>, %[[V:[^:]+]]: tensor<?x4x?x64xf32>, %[[M:[^:]+]]: tensor<4x?x?xf32>
// CHECK:         %[[M4:.+]] = tensor.expand_shape %[[M]] {{\[}}[0, 1], [2], [3]] output_shape [1, 4, %{{.+}}, %{{.+}}] : tensor<4x?x?xf32> into tensor<1x4x?x?xf32>
// CHECK-NEXT:    %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M4]] : tensor<1x4x?x?xf32>) {layout = #attn.layout<bhsd>, scale = 1.250000e-01 : f32} : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
// CHECK-NOT:     linalg.
// CHECK:         return %[[O]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#mask = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
#qk_q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#qk_k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#qk_s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#pv_p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#pv_v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#pv_o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
func.func @dynamic_shapes(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>,
                          %mask: tensor<4x?x?xf32>, %scores: tensor<?x4x?x?xf32>,
                          %out: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %zero = arith.constant 0.0 : f32
  %eight = arith.constant 8.0 : f32
  %f0 = linalg.fill ins(%zero : f32) outs(%scores : tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %s = linalg.generic {indexing_maps = [#qk_q, #qk_k, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>) outs(%f0 : tensor<?x4x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?x4x?x?xf32>
  %x = linalg.generic {indexing_maps = [#id, #mask, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<?x4x?x?xf32>, tensor<4x?x?xf32>) outs(%scores : tensor<?x4x?x?xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %sc = arith.divf %a, %eight : f32
    %r = arith.addf %sc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?x4x?x?xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<?x4x?x?xf32>) outs(%scores : tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%out : tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32>
  %o = linalg.generic {indexing_maps = [#pv_p, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x64xf32>) outs(%f1 : tensor<?x4x?x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Chains that must be left alone
//===----------------------------------------------------------------------===//

// The form the cases below start from, raised.
// CHECK-LABEL: func.func @baseline(
// CHECK-NOT:     linalg.
// CHECK:         attn.attention %{{.+}}, %{{.+}}, %{{.+}} {layout = #attn.layout<bhsd>, scale = 2.500000e-01 : f32}
// CHECK-NOT:     linalg.
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @baseline(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c = arith.constant 0.25 : f32
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Softmax over the query dimension, not the keys.
// CHECK-LABEL: func.func @softmax_over_queries(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @softmax_over_queries(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c = arith.constant 0.25 : f32
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The scale is a function argument, not a constant.
// CHECK-LABEL: func.func @scale_not_constant(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @scale_not_constant(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %d: f32) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.divf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The scores are used outside the chain.
// CHECK-LABEL: func.func @scores_also_returned(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @scores_also_returned(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c = arith.constant 0.25 : f32
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %s : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}

// -----

// The probabilities are used outside the chain.
// CHECK-LABEL: func.func @probabilities_also_returned(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @probabilities_also_returned(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c = arith.constant 0.25 : f32
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}

// -----

// The mask is added before the scale, so the scale applies to it too:
// attn.attention cannot say that.
// CHECK-LABEL: func.func @mask_is_scaled(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @mask_is_scaled(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<1x2x8x8xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c = arith.constant 0.25 : f32
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %m : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %sum = arith.addf %a, %b : f32
    %r = arith.mulf %sum, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Q·Kᵀ accumulates into ones, not zeros.
// CHECK-LABEL: func.func @scores_not_zero_initialised(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @scores_not_zero_initialised(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c = arith.constant 0.25 : f32
  %one = arith.constant 1.0 : f32
  %f9 = linalg.fill ins(%one : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f9 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The first "matmul" takes a max instead of a sum.
// CHECK-LABEL: func.func @not_a_contraction(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.generic
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @not_a_contraction(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c = arith.constant 0.25 : f32
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.maximumf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The reshapes around P·V split B*H = 4 into 2 x 2, those around Q·Kᵀ into
// 1 x 4: batch b of the result is not batch b of the query.
// CHECK-LABEL: func.func @heads_split_differently(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.batch_matmul
// CHECK:         linalg.softmax
// CHECK:         linalg.batch_matmul
// CHECK-NOT:     attn.attention
func.func @heads_split_differently(%q: tensor<1x4x8x16xf32>, %kt: tensor<1x4x16x8xf32>,
                                   %v: tensor<2x2x8x16xf32>) -> tensor<2x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x4x8x16xf32> into tensor<4x8x16xf32>
  %kt3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<1x4x16x8xf32> into tensor<4x16x8xf32>
  %e0 = tensor.empty() : tensor<4x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s3 = linalg.batch_matmul ins(%q3, %kt3 : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%f0 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [1, 4, 8, 8] : tensor<4x8x8xf32> into tensor<1x4x8x8xf32>
  %e1 = tensor.empty() : tensor<1x4x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x4x8x8xf32>) outs(%e1 : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x4x8x8xf32> into tensor<4x8x8xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %e2 = tensor.empty() : tensor<4x8x16xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%f2 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 16] : tensor<4x8x16xf32> into tensor<2x2x8x16xf32>
  return %o : tensor<2x2x8x16xf32>
}

// -----

// f16 matmuls accumulating into f32: attn.attention's result has the
// query's element type, so the f32 result cannot be kept.
// CHECK-LABEL: func.func @result_wider_than_inputs(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         linalg.softmax
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
func.func @result_wider_than_inputs(%q: tensor<1x2x8x16xf16>, %k: tensor<1x2x8x16xf16>,
                                    %v: tensor<1x2x8x16xf16>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x2x8x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf16>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A decomposed softmax whose sum starts at 1: the denominator is off by one.
// CHECK-LABEL: func.func @sum_starts_at_one(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.contract
// CHECK:         math.exp
// CHECK:         arith.divf
// CHECK:         linalg.contract
// CHECK-NOT:     attn.attention
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
#p = affine_map<(b, h, m, e, n) -> (b, h, m, n)>
#v = affine_map<(b, h, m, e, n) -> (b, h, n, e)>
#o = affine_map<(b, h, m, e, n) -> (b, h, m, e)>
func.func @sum_starts_at_one(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                             %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %minus_inf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<1x2x8x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %s = linalg.contract indexing_maps = [#q, #k, #s] ins(%q, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%f0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %mf = linalg.fill ins(%minus_inf : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %max = linalg.reduce ins(%s : tensor<1x2x8x8xf32>) outs(%mf : tensor<1x2x8xf32>) dimensions = [3]
    (%in: f32, %init: f32) {
      %r = arith.maximumf %in, %init : f32
      linalg.yield %r : f32
    }
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %max : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %sf = linalg.fill ins(%one : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %sum = linalg.reduce ins(%exp : tensor<1x2x8x8xf32>) outs(%sf : tensor<1x2x8xf32>) dimensions = [3]
    (%in: f32, %init: f32) {
      %r = arith.addf %in, %init : f32
      linalg.yield %r : f32
    }
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%e0 : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %l: f32, %out: f32):
    %r = arith.divf %a, %l : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = linalg.contract indexing_maps = [#p, #v, #o] ins(%p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) outs(%f1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
