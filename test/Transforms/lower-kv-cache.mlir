// RUN: attn-opt %s --split-input-file --attn-lower-kv-cache | FileCheck %s

// A decode-style step: append at a run-time position, attend over a
// run-time length. The cache becomes two zero-filled [B, C, H, D] tensors;
// the append is a guarded insert_slice, the attend an attention over a
// prefix slice, and both report an out-of-range index through the hook.

// CHECK-LABEL: func.func private @attnKVCacheError(i64, i64, i64, i64)
// CHECK-LABEL: func.func @step(
// CHECK-SAME:      %[[Q:.*]]: tensor<1x4x8x64xf16>, %[[K:.*]]: tensor<1x4x2x64xf16>, %[[V:.*]]: tensor<1x4x2x64xf16>, %[[POS:.*]]: index, %[[LEN:.*]]: index)
// CHECK:         %[[KS:.*]] = linalg.fill ins(%{{.*}} : f16) outs(%{{.*}} : tensor<1x128x2x64xf16>)
// CHECK:         %[[VS:.*]] = linalg.fill ins(%{{.*}} : f16) outs(%{{.*}} : tensor<1x128x2x64xf16>)
// CHECK:         %[[T:.*]] = tensor.dim %[[K]], %{{.*}} : tensor<1x4x2x64xf16>
// CHECK:         %[[CAP:.*]] = arith.constant 128 : index
// CHECK:         %[[ROOM:.*]] = arith.subi %[[CAP]], %[[T]] : index
// CHECK:         %[[GE:.*]] = arith.cmpi sge, %[[POS]], %{{.*}} : index
// CHECK:         %[[LE:.*]] = arith.cmpi sle, %[[POS]], %[[ROOM]] : index
// CHECK:         %[[OK:.*]] = arith.andi %[[GE]], %[[LE]] : i1
// CHECK:         %[[NEW:.*]]:2 = scf.if %[[OK]]
// CHECK:           tensor.insert_slice %[[K]] into %[[KS]][%{{.*}}, %[[POS]], %{{.*}}, %{{.*}}] [1, 4, 2, 64]
// CHECK:           tensor.insert_slice %[[V]] into %[[VS]][%{{.*}}, %[[POS]], %{{.*}}, %{{.*}}] [1, 4, 2, 64]
// CHECK:         } else {
// CHECK:           %[[APPEND:.*]] = arith.constant 0 : i64
// CHECK:           func.call @attnKVCacheError(%[[APPEND]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:           scf.yield %[[KS]], %[[VS]]
// CHECK:         scf.if
// CHECK:           %[[ATTEND:.*]] = arith.constant 1 : i64
// CHECK:           func.call @attnKVCacheError(%[[ATTEND]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         %[[N:.*]] = arith.select %{{.*}}, %[[LEN]], %{{.*}} : index
// CHECK:         %[[KP:.*]] = tensor.extract_slice %[[NEW]]#0[0, 0, 0, 0] [1, %[[N]], 2, 64] [1, 1, 1, 1] : tensor<1x128x2x64xf16> to tensor<1x?x2x64xf16>
// CHECK:         %[[VP:.*]] = tensor.extract_slice %[[NEW]]#1[0, 0, 0, 0] [1, %[[N]], 2, 64] [1, 1, 1, 1] : tensor<1x128x2x64xf16> to tensor<1x?x2x64xf16>
// CHECK:         %[[O:.*]] = attn.attention %[[Q]], %[[KP]], %[[VP]] {causal, scale = 1.250000e-01 : f32, window = 32 : i64}
// CHECK:         return %[[O]]
// CHECK-NOT:     attn.cache
func.func @step(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                %v: tensor<1x4x2x64xf16>, %pos: index, %len: index)
    -> tensor<1x4x8x64xf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x128x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %o = attn.cache.attend %q, %c1, %len {causal, scale = 0.125 : f32, window = 32}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

// Functions without caches are left alone, and no hook is declared: the
// hook would come first in the module, before @plain.
// CHECK:       // -----
// CHECK-NOT:   attnKVCacheError
// CHECK-LABEL: func.func @plain(
// CHECK:       attn.attention
func.func @plain(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                 %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<1x4x8x64xf16>, tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

// Two appends chain: the second writes into what the first produced, and
// CLA's second layer attends to the same tensors.
// CHECK-LABEL: func.func @chain(
// CHECK:         %[[A:.*]]:2 = scf.if
// CHECK:         %[[B:.*]]:2 = scf.if
// CHECK:           tensor.insert_slice %{{.*}} into %[[A]]#0
// CHECK:           tensor.insert_slice %{{.*}} into %[[A]]#1
// CHECK:           scf.yield %[[A]]#0, %[[A]]#1
// CHECK-COUNT-2: tensor.extract_slice %[[B]]#0
func.func @chain(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                 %v: tensor<1x4x2x64xf16>) -> (tensor<1x4x8x64xf16>, tensor<1x4x8x64xf16>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c = attn.cache.create {sharing = 2, first_layer = 0} : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%c0] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %c2 = attn.cache.append %k, %v into %c1[%c4] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o0 = attn.cache.attend %q, %c2, %c8 {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  %o1 = attn.cache.attend %q, %c2, %c8 {layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o0, %o1 : tensor<1x4x8x64xf16>, tensor<1x4x8x64xf16>
}
