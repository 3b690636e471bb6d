// RUN: attn-opt %s -canonicalize -split-input-file | FileCheck %s
// Folding of attn.repeat_kv: n_rep = 1, nested repeats, and dead repeats.

// n_rep = 1 with identical types folds to the input.
// CHECK-LABEL: func.func @repeat_kv_one(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<1x128x8x128xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         return %[[K]] : tensor<1x128x8x128xf16>
func.func @repeat_kv_one(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x8x128xf16> {
  %r = attn.repeat_kv %k, n_rep = 1 : tensor<1x128x8x128xf16> -> tensor<1x128x8x128xf16>
  return %r : tensor<1x128x8x128xf16>
}

// -----

// repeat_kv(repeat_kv(x, 2), 4) is repeat_kv(x, 8).
// CHECK-LABEL: func.func @repeat_kv_nested(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<1x128x2x64xbf16>
// CHECK-NEXT:    %[[R:.+]] = attn.repeat_kv %[[K]], n_rep = 8 : tensor<1x128x2x64xbf16> -> tensor<1x128x16x64xbf16>
// CHECK-NEXT:    return %[[R]] : tensor<1x128x16x64xbf16>
func.func @repeat_kv_nested(%k: tensor<1x128x2x64xbf16>) -> tensor<1x128x16x64xbf16> {
  %r0 = attn.repeat_kv %k, n_rep = 2 : tensor<1x128x2x64xbf16> -> tensor<1x128x4x64xbf16>
  %r1 = attn.repeat_kv %r0, n_rep = 4 : tensor<1x128x4x64xbf16> -> tensor<1x128x16x64xbf16>
  return %r1 : tensor<1x128x16x64xbf16>
}

// -----

// n_rep = 1 but the result type differs from the input type (a dynamic
// extent): replacing the result by the input would change the type, so the
// op stays.
// CHECK-LABEL: func.func @repeat_kv_one_type_change(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<1x128x8x128xf16>
// CHECK-NEXT:    %[[R:.+]] = attn.repeat_kv %[[K]], n_rep = 1 : tensor<1x128x8x128xf16> -> tensor<1x?x8x128xf16>
// CHECK-NEXT:    return %[[R]] : tensor<1x?x8x128xf16>
func.func @repeat_kv_one_type_change(%k: tensor<1x128x8x128xf16>) -> tensor<1x?x8x128xf16> {
  %r = attn.repeat_kv %k, n_rep = 1 : tensor<1x128x8x128xf16> -> tensor<1x?x8x128xf16>
  return %r : tensor<1x?x8x128xf16>
}

// -----

// repeat_kv is Pure: an unused one is erased.
// CHECK-LABEL: func.func @repeat_kv_dead(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<1x128x8x128xf16>
// CHECK-NOT:     attn.repeat_kv
// CHECK:         return %[[K]] : tensor<1x128x8x128xf16>
func.func @repeat_kv_dead(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x8x128xf16> {
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x128x32x128xf16>
  return %k : tensor<1x128x8x128xf16>
}
