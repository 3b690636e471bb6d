// RUN: attn-opt %s --attn-fuse-repeat-kv -split-input-file | FileCheck %s
// attn-fuse-repeat-kv: attention over repeat_kv'd K/V (plain, under llama2's transposes, or spelled as broadcast + collapse) reads the un-repeated K/V; the cases that must not fuse keep their repeat_kv.

// CHECK-LABEL: func.func @fuse_bshd(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x8x128xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         return %[[O]]
func.func @fuse_bshd(%q: tensor<1x16x32x128xf16>, %xk: tensor<1x16x8x128xf16>,
                     %xv: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>
      -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

// llama2: repeat_kv, `.transpose(1, 2)` of q, k and v, bhsd attention, and
// the result transposed back: one bshd attention on the arguments is left.
// CHECK-LABEL: func.func @llama2(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x8x128xf16>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     attn.repeat_kv
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal} : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     attn.repeat_kv
// CHECK:         return %[[O]]
func.func @llama2(%xq: tensor<1x16x32x128xf16>, %xk: tensor<1x16x8x128xf16>,
                  %xv: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  %e0 = tensor.empty() : tensor<1x32x16x128xf16>
  %qt = linalg.transpose ins(%xq : tensor<1x16x32x128xf16>) outs(%e0 : tensor<1x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<1x32x16x128xf16>
  %kt = linalg.transpose ins(%k : tensor<1x16x32x128xf16>) outs(%e1 : tensor<1x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<1x32x16x128xf16>
  %vt = linalg.transpose ins(%v : tensor<1x16x32x128xf16>) outs(%e2 : tensor<1x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt {causal, layout = #attn.layout<bhsd>}
      : tensor<1x32x16x128xf16>, tensor<1x32x16x128xf16>, tensor<1x32x16x128xf16>
      -> tensor<1x32x16x128xf16>
  %e3 = tensor.empty() : tensor<1x16x32x128xf16>
  %ot = linalg.transpose ins(%o : tensor<1x32x16x128xf16>) outs(%e3 : tensor<1x16x32x128xf16>) permutation = [0, 2, 1, 3]
  return %ot : tensor<1x16x32x128xf16>
}

// -----

// repeat_kv spelled upstream: x[:, :, :, None, :].expand(...).reshape(...).
// CHECK-LABEL: func.func @upstream_spelling(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x16x32x64xf16>, %[[K:[^:]+]]: tensor<2x16x8x64xf16>, %[[V:[^:]+]]: tensor<2x16x8x64xf16>
// CHECK-NOT:     linalg.broadcast
// CHECK-NOT:     tensor.collapse_shape
// CHECK-NOT:     attn.repeat_kv
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<2x16x32x64xf16>, tensor<2x16x8x64xf16>, tensor<2x16x8x64xf16> -> tensor<2x16x32x64xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         return %[[O]]
func.func @upstream_spelling(%q: tensor<2x16x32x64xf16>, %xk: tensor<2x16x8x64xf16>,
                             %xv: tensor<2x16x8x64xf16>) -> tensor<2x16x32x64xf16> {
  %ek = tensor.empty() : tensor<2x16x8x4x64xf16>
  %bk = linalg.broadcast ins(%xk : tensor<2x16x8x64xf16>) outs(%ek : tensor<2x16x8x4x64xf16>) dimensions = [3]
  %k = tensor.collapse_shape %bk [[0], [1], [2, 3], [4]] : tensor<2x16x8x4x64xf16> into tensor<2x16x32x64xf16>
  %ev = tensor.empty() : tensor<2x16x8x4x64xf16>
  %bv = linalg.broadcast ins(%xv : tensor<2x16x8x64xf16>) outs(%ev : tensor<2x16x8x4x64xf16>) dimensions = [3]
  %v = tensor.collapse_shape %bv [[0], [1], [2, 3], [4]] : tensor<2x16x8x4x64xf16> into tensor<2x16x32x64xf16>
  %o = attn.attention %q, %k, %v
      : tensor<2x16x32x64xf16>, tensor<2x16x32x64xf16>, tensor<2x16x32x64xf16>
      -> tensor<2x16x32x64xf16>
  return %o : tensor<2x16x32x64xf16>
}

// -----

// bhsd attention whose query is already bhsd: only k and v are transposes of
// repeat_kv. The repeat goes; the transpose of the un-repeated K/V stays.
// CHECK-LABEL: func.func @bhsd_kv_only_transposed(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x32x16x128xf16>, %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x8x128xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK-DAG:     %[[KT:.+]] = linalg.transpose ins(%[[K]] : tensor<1x16x8x128xf16>) outs(%{{.+}} : tensor<1x8x16x128xf16>) permutation = [0, 2, 1, 3]
// CHECK-DAG:     %[[VT:.+]] = linalg.transpose ins(%[[V]] : tensor<1x16x8x128xf16>) outs(%{{.+}} : tensor<1x8x16x128xf16>) permutation = [0, 2, 1, 3]
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[KT]], %[[VT]] {layout = #attn.layout<bhsd>} : tensor<1x32x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x16x128xf16> -> tensor<1x32x16x128xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         return %[[O]]
func.func @bhsd_kv_only_transposed(%q: tensor<1x32x16x128xf16>, %xk: tensor<1x16x8x128xf16>,
                                   %xv: tensor<1x16x8x128xf16>) -> tensor<1x32x16x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  %e1 = tensor.empty() : tensor<1x32x16x128xf16>
  %kt = linalg.transpose ins(%k : tensor<1x16x32x128xf16>) outs(%e1 : tensor<1x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<1x32x16x128xf16>
  %vt = linalg.transpose ins(%v : tensor<1x16x32x128xf16>) outs(%e2 : tensor<1x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %q, %kt, %vt {layout = #attn.layout<bhsd>}
      : tensor<1x32x16x128xf16>, tensor<1x32x16x128xf16>, tensor<1x32x16x128xf16>
      -> tensor<1x32x16x128xf16>
  return %o : tensor<1x32x16x128xf16>
}

// -----

// The attention already groups 2 query heads per (repeated) KV head; after
// fusion it groups 2 * 4 = 8 per original KV head.
// CHECK-LABEL: func.func @gqa_combined_factor(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x4x128xf16>, %[[V:[^:]+]]: tensor<1x16x4x128xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         attn.attention %[[Q]], %[[K]], %[[V]] : tensor<1x16x32x128xf16>, tensor<1x16x4x128xf16>, tensor<1x16x4x128xf16> -> tensor<1x16x32x128xf16>
func.func @gqa_combined_factor(%q: tensor<1x16x32x128xf16>, %xk: tensor<1x16x4x128xf16>,
                               %xv: tensor<1x16x4x128xf16>) -> tensor<1x16x32x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x16x4x128xf16> -> tensor<1x16x16x128xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x16x4x128xf16> -> tensor<1x16x16x128xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x16x128xf16>, tensor<1x16x16x128xf16>
      -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

// Multi-query: a single KV head repeated for all 32 query heads.
// CHECK-LABEL: func.func @mqa(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x64x32x64xbf16>, %[[K:[^:]+]]: tensor<1x64x1x64xbf16>, %[[V:[^:]+]]: tensor<1x64x1x64xbf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         attn.attention %[[Q]], %[[K]], %[[V]] {causal} : tensor<1x64x32x64xbf16>, tensor<1x64x1x64xbf16>, tensor<1x64x1x64xbf16> -> tensor<1x64x32x64xbf16>
func.func @mqa(%q: tensor<1x64x32x64xbf16>, %xk: tensor<1x64x1x64xbf16>,
               %xv: tensor<1x64x1x64xbf16>) -> tensor<1x64x32x64xbf16> {
  %k = attn.repeat_kv %xk, n_rep = 32 : tensor<1x64x1x64xbf16> -> tensor<1x64x32x64xbf16>
  %v = attn.repeat_kv %xv, n_rep = 32 : tensor<1x64x1x64xbf16> -> tensor<1x64x32x64xbf16>
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x64x32x64xbf16>, tensor<1x64x32x64xbf16>, tensor<1x64x32x64xbf16>
      -> tensor<1x64x32x64xbf16>
  return %o : tensor<1x64x32x64xbf16>
}

// -----

// The mask and every attribute survive, also through the layout fold.
// CHECK-LABEL: func.func @mask_and_attributes(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x8x64xf32>, %[[K:[^:]+]]: tensor<1x32x2x64xf32>, %[[V:[^:]+]]: tensor<1x32x2x64xf32>, %[[M:[^:]+]]: tensor<1x1x16x32xf32>
// CHECK-NOT:     attn.repeat_kv
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<1x1x16x32xf32>) {causal, scale = 5.000000e-01 : f32, window = 8 : i64} : tensor<1x16x8x64xf32>, tensor<1x32x2x64xf32>, tensor<1x32x2x64xf32> -> tensor<1x16x8x64xf32>
// CHECK-NOT:     linalg.transpose
// CHECK:         return %[[O]]
func.func @mask_and_attributes(%xq: tensor<1x16x8x64xf32>, %xk: tensor<1x32x2x64xf32>,
                               %xv: tensor<1x32x2x64xf32>, %m: tensor<1x1x16x32xf32>)
    -> tensor<1x16x8x64xf32> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x32x2x64xf32> -> tensor<1x32x8x64xf32>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x32x2x64xf32> -> tensor<1x32x8x64xf32>
  %e0 = tensor.empty() : tensor<1x8x16x64xf32>
  %qt = linalg.transpose ins(%xq : tensor<1x16x8x64xf32>) outs(%e0 : tensor<1x8x16x64xf32>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<1x8x32x64xf32>
  %kt = linalg.transpose ins(%k : tensor<1x32x8x64xf32>) outs(%e1 : tensor<1x8x32x64xf32>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<1x8x32x64xf32>
  %vt = linalg.transpose ins(%v : tensor<1x32x8x64xf32>) outs(%e2 : tensor<1x8x32x64xf32>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt mask(%m : tensor<1x1x16x32xf32>)
      {causal, scale = 0.5 : f32, window = 8, layout = #attn.layout<bhsd>}
      : tensor<1x8x16x64xf32>, tensor<1x8x32x64xf32>, tensor<1x8x32x64xf32>
      -> tensor<1x8x16x64xf32>
  %e3 = tensor.empty() : tensor<1x16x8x64xf32>
  %ot = linalg.transpose ins(%o : tensor<1x8x16x64xf32>) outs(%e3 : tensor<1x16x8x64xf32>) permutation = [0, 2, 1, 3]
  return %ot : tensor<1x16x8x64xf32>
}

// -----

// A module with no attn op yet (a model written only in upstream ops): the
// pass must load the attn dialect itself to raise broadcast + collapse.
// CHECK-LABEL: func.func @upstream_raise_only(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<?x?x8x64xf32>
// CHECK:         %[[R:.+]] = attn.repeat_kv %[[K]], n_rep = 2 : tensor<?x?x8x64xf32> -> tensor<?x?x16x64xf32>
// CHECK:         return %[[R]]
func.func @upstream_raise_only(%xk: tensor<?x?x8x64xf32>, %init: tensor<?x?x8x2x64xf32>) -> tensor<?x?x16x64xf32> {
  %b = linalg.broadcast ins(%xk : tensor<?x?x8x64xf32>) outs(%init : tensor<?x?x8x2x64xf32>) dimensions = [3]
  %r = tensor.collapse_shape %b [[0], [1], [2, 3], [4]] : tensor<?x?x8x2x64xf32> into tensor<?x?x16x64xf32>
  return %r : tensor<?x?x16x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Cases that must not fuse
//===----------------------------------------------------------------------===//

// Only the key is repeated.
// CHECK-LABEL: func.func @only_key_repeated(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x32x128xf16>
// CHECK:         %[[KR:.+]] = attn.repeat_kv %[[K]], n_rep = 4
// CHECK:         attn.attention %[[Q]], %[[KR]], %[[V]] :
func.func @only_key_repeated(%q: tensor<1x16x32x128xf16>, %xk: tensor<1x16x8x128xf16>,
                             %v: tensor<1x16x32x128xf16>) -> tensor<1x16x32x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>
      -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

// Key and value repeated by different factors (to the same head count).
// CHECK-LABEL: func.func @different_factors(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x4x128xf16>
// CHECK-DAG:     %[[KR:.+]] = attn.repeat_kv %[[K]], n_rep = 2
// CHECK-DAG:     %[[VR:.+]] = attn.repeat_kv %[[V]], n_rep = 4
// CHECK:         attn.attention %[[Q]], %[[KR]], %[[VR]] :
func.func @different_factors(%q: tensor<1x16x32x128xf16>, %xk: tensor<1x16x8x128xf16>,
                             %xv: tensor<1x16x4x128xf16>) -> tensor<1x16x32x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 2 : tensor<1x16x8x128xf16> -> tensor<1x16x16x128xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x16x4x128xf16> -> tensor<1x16x16x128xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x16x128xf16>, tensor<1x16x16x128xf16>
      -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

// The value goes through a transpose that is not `.transpose(1, 2)`
// (seq == head_dim == 64 so that the types still line up).
// CHECK-LABEL: func.func @other_permutation(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x32x64x64xf16>, %[[K:[^:]+]]: tensor<1x64x8x64xf16>, %[[V:[^:]+]]: tensor<1x64x8x64xf16>
// CHECK-DAG:     attn.repeat_kv %[[K]], n_rep = 4
// CHECK-DAG:     %[[VR:.+]] = attn.repeat_kv %[[V]], n_rep = 4
// CHECK-DAG:     %[[VT:.+]] = linalg.transpose ins(%[[VR]] : tensor<1x64x32x64xf16>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK:         attn.attention %[[Q]], %{{.+}}, %[[VT]] {layout = #attn.layout<bhsd>}
func.func @other_permutation(%q: tensor<1x32x64x64xf16>, %xk: tensor<1x64x8x64xf16>,
                             %xv: tensor<1x64x8x64xf16>) -> tensor<1x32x64x64xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x64x8x64xf16> -> tensor<1x64x32x64xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x64x8x64xf16> -> tensor<1x64x32x64xf16>
  %e1 = tensor.empty() : tensor<1x32x64x64xf16>
  %kt = linalg.transpose ins(%k : tensor<1x64x32x64xf16>) outs(%e1 : tensor<1x32x64x64xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<1x32x64x64xf16>
  %vt = linalg.transpose ins(%v : tensor<1x64x32x64xf16>) outs(%e2 : tensor<1x32x64x64xf16>) permutation = [0, 2, 3, 1]
  %o = attn.attention %q, %kt, %vt {layout = #attn.layout<bhsd>}
      : tensor<1x32x64x64xf16>, tensor<1x32x64x64xf16>, tensor<1x32x64x64xf16>
      -> tensor<1x32x64x64xf16>
  return %o : tensor<1x32x64x64xf16>
}

// -----

// A broadcast that adds dimension 2 (before the heads) tiles the heads
// (torch's .repeat), it does not repeat each one: not repeat_kv.
// CHECK-LABEL: func.func @broadcast_other_dim(
// CHECK-NOT:     attn.repeat_kv
// CHECK:         linalg.broadcast {{.*}} dimensions = [2]
// CHECK:         %[[K:.+]] = tensor.collapse_shape
// CHECK:         linalg.broadcast {{.*}} dimensions = [2]
// CHECK:         %[[V:.+]] = tensor.collapse_shape
// CHECK:         attn.attention %{{.+}}, %[[K]], %[[V]] :
func.func @broadcast_other_dim(%q: tensor<1x16x32x64xf16>, %xk: tensor<1x16x8x64xf16>,
                               %xv: tensor<1x16x8x64xf16>) -> tensor<1x16x32x64xf16> {
  %ek = tensor.empty() : tensor<1x16x4x8x64xf16>
  %bk = linalg.broadcast ins(%xk : tensor<1x16x8x64xf16>) outs(%ek : tensor<1x16x4x8x64xf16>) dimensions = [2]
  %k = tensor.collapse_shape %bk [[0], [1], [2, 3], [4]] : tensor<1x16x4x8x64xf16> into tensor<1x16x32x64xf16>
  %ev = tensor.empty() : tensor<1x16x4x8x64xf16>
  %bv = linalg.broadcast ins(%xv : tensor<1x16x8x64xf16>) outs(%ev : tensor<1x16x4x8x64xf16>) dimensions = [2]
  %v = tensor.collapse_shape %bv [[0], [1], [2, 3], [4]] : tensor<1x16x4x8x64xf16> into tensor<1x16x32x64xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x64xf16>, tensor<1x16x32x64xf16>, tensor<1x16x32x64xf16>
      -> tensor<1x16x32x64xf16>
  return %o : tensor<1x16x32x64xf16>
}

// -----

// The collapse merges the copies into head_dim instead of into the heads.
// CHECK-LABEL: func.func @collapse_other_reassociation(
// CHECK-NOT:     attn.repeat_kv
// CHECK:         linalg.broadcast {{.*}} dimensions = [3]
// CHECK:         %[[K:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1], [2], [3, 4]]
// CHECK:         linalg.broadcast {{.*}} dimensions = [3]
// CHECK:         %[[V:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1], [2], [3, 4]]
// CHECK:         attn.attention %{{.+}}, %[[K]], %[[V]] :
func.func @collapse_other_reassociation(%q: tensor<1x16x8x128xf16>, %xk: tensor<1x16x8x64xf16>,
                                        %xv: tensor<1x16x8x64xf16>) -> tensor<1x16x8x128xf16> {
  %ek = tensor.empty() : tensor<1x16x8x2x64xf16>
  %bk = linalg.broadcast ins(%xk : tensor<1x16x8x64xf16>) outs(%ek : tensor<1x16x8x2x64xf16>) dimensions = [3]
  %k = tensor.collapse_shape %bk [[0], [1], [2], [3, 4]] : tensor<1x16x8x2x64xf16> into tensor<1x16x8x128xf16>
  %ev = tensor.empty() : tensor<1x16x8x2x64xf16>
  %bv = linalg.broadcast ins(%xv : tensor<1x16x8x64xf16>) outs(%ev : tensor<1x16x8x2x64xf16>) dimensions = [3]
  %v = tensor.collapse_shape %bv [[0], [1], [2], [3, 4]] : tensor<1x16x8x2x64xf16> into tensor<1x16x8x128xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>
      -> tensor<1x16x8x128xf16>
  return %o : tensor<1x16x8x128xf16>
}

// -----

// A bhsd attention that reads repeat_kv without llama2's transpose: there
// repeat_kv's dim 2 is the attention's seq dim, so the copies are keys, not
// heads. Dropping them would shrink Sk from 64 to 16 (moving the causal
// diagonal) and break the mask's shape.
// CHECK-LABEL: func.func @bhsd_causal(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x8x64x64xf16>, %[[K:[^:]+]]: tensor<1x8x16x64xf16>, %[[V:[^:]+]]: tensor<1x8x16x64xf16>
// CHECK-DAG:     %[[KR:.+]] = attn.repeat_kv %[[K]], n_rep = 4
// CHECK-DAG:     %[[VR:.+]] = attn.repeat_kv %[[V]], n_rep = 4
// CHECK:         attn.attention %[[Q]], %[[KR]], %[[VR]] {causal, layout = #attn.layout<bhsd>}
func.func @bhsd_causal(%q: tensor<1x8x64x64xf16>, %xk: tensor<1x8x16x64xf16>,
                       %xv: tensor<1x8x16x64xf16>) -> tensor<1x8x64x64xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x8x16x64xf16> -> tensor<1x8x64x64xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x8x16x64xf16> -> tensor<1x8x64x64xf16>
  %o = attn.attention %q, %k, %v {causal, layout = #attn.layout<bhsd>}
      : tensor<1x8x64x64xf16>, tensor<1x8x64x64xf16>, tensor<1x8x64x64xf16>
      -> tensor<1x8x64x64xf16>
  return %o : tensor<1x8x64x64xf16>
}

// -----

// CHECK-LABEL: func.func @bhsd_mask(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x8x64x64xf16>, %[[K:[^:]+]]: tensor<1x8x16x64xf16>, %[[V:[^:]+]]: tensor<1x8x16x64xf16>, %[[M:[^:]+]]: tensor<1x8x64x64xf32>
// CHECK-DAG:     %[[KR:.+]] = attn.repeat_kv %[[K]], n_rep = 4
// CHECK-DAG:     %[[VR:.+]] = attn.repeat_kv %[[V]], n_rep = 4
// CHECK:         attn.attention %[[Q]], %[[KR]], %[[VR]] mask(%[[M]] : tensor<1x8x64x64xf32>)
func.func @bhsd_mask(%q: tensor<1x8x64x64xf16>, %xk: tensor<1x8x16x64xf16>,
                     %xv: tensor<1x8x16x64xf16>, %m: tensor<1x8x64x64xf32>) -> tensor<1x8x64x64xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<1x8x16x64xf16> -> tensor<1x8x64x64xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<1x8x16x64xf16> -> tensor<1x8x64x64xf16>
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x8x64x64xf32>) {layout = #attn.layout<bhsd>}
      : tensor<1x8x64x64xf16>, tensor<1x8x64x64xf16>, tensor<1x8x64x64xf16>
      -> tensor<1x8x64x64xf16>
  return %o : tensor<1x8x64x64xf16>
}

// -----

// Per-sequence key lengths survive both the transposes folded into the
// layout (they index the batch, first in both layouts) and the fusion.
// CHECK-LABEL: func.func @llama2_kv_lengths(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x1x32x128xf16>, %[[K:[^:]+]]: tensor<2x16x8x128xf16>, %[[V:[^:]+]]: tensor<2x16x8x128xf16>, %[[N:[^:]+]]: tensor<2xi64>
// CHECK:         attn.attention %[[Q]], %[[K]], %[[V]] lengths(%[[N]] : tensor<2xi64>) {causal} : tensor<2x1x32x128xf16>, tensor<2x16x8x128xf16>, tensor<2x16x8x128xf16> -> tensor<2x1x32x128xf16>
func.func @llama2_kv_lengths(%xq: tensor<2x1x32x128xf16>, %xk: tensor<2x16x8x128xf16>,
                             %xv: tensor<2x16x8x128xf16>, %n: tensor<2xi64>) -> tensor<2x1x32x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<2x16x8x128xf16> -> tensor<2x16x32x128xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<2x16x8x128xf16> -> tensor<2x16x32x128xf16>
  %e0 = tensor.empty() : tensor<2x32x1x128xf16>
  %qt = linalg.transpose ins(%xq : tensor<2x1x32x128xf16>) outs(%e0 : tensor<2x32x1x128xf16>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<2x32x16x128xf16>
  %kt = linalg.transpose ins(%k : tensor<2x16x32x128xf16>) outs(%e1 : tensor<2x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<2x32x16x128xf16>
  %vt = linalg.transpose ins(%v : tensor<2x16x32x128xf16>) outs(%e2 : tensor<2x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt lengths(%n : tensor<2xi64>) {causal, layout = #attn.layout<bhsd>}
      : tensor<2x32x1x128xf16>, tensor<2x32x16x128xf16>, tensor<2x32x16x128xf16>
      -> tensor<2x32x1x128xf16>
  %e3 = tensor.empty() : tensor<2x1x32x128xf16>
  %ot = linalg.transpose ins(%o : tensor<2x32x1x128xf16>) outs(%e3 : tensor<2x1x32x128xf16>) permutation = [0, 2, 1, 3]
  return %ot : tensor<2x1x32x128xf16>
}
