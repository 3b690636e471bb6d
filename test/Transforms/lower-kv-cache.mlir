// RUN: attn-opt %s --split-input-file --attn-lower-kv-cache | FileCheck %s

// A decode-style step: append at a run-time position, attend over a
// run-time length. The cache becomes two zero-filled [B, C, H, D] tensors;
// the append inserts its tokens, or none of them (a count selected to 0,
// no branch around the write) when its position is out of range, the
// attend is an attention over a prefix slice, and both report an
// out-of-range index through the hook.

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
// CHECK:         %[[BAD:.*]] = arith.xori %[[OK]], %{{.*}} : i1
// CHECK:         scf.if %[[BAD]] {
// CHECK:           %[[APPEND:.*]] = arith.constant 0 : i64
// CHECK:           func.call @attnKVCacheError(%[[APPEND]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         }
// CHECK:         %[[COUNT:.*]] = arith.select %[[OK]], %[[T]], %[[ZERO:.*]] : index
// CHECK:         %[[AT:.*]] = arith.select %[[OK]], %[[POS]], %[[ZERO]] : index
// CHECK:         %[[KT:.*]] = tensor.extract_slice %[[K]][0, 0, 0, 0] [1, %[[COUNT]], 2, 64] [1, 1, 1, 1] : tensor<1x4x2x64xf16> to tensor<1x?x2x64xf16>
// CHECK:         %[[NEWK:.*]] = tensor.insert_slice %[[KT]] into %[[KS]][0, %[[AT]], 0, 0] [1, %[[COUNT]], 2, 64] [1, 1, 1, 1]
// CHECK:         %[[VT:.*]] = tensor.extract_slice %[[V]][0, 0, 0, 0] [1, %[[COUNT]], 2, 64]
// CHECK:         %[[NEWV:.*]] = tensor.insert_slice %[[VT]] into %[[VS]][0, %[[AT]], 0, 0] [1, %[[COUNT]], 2, 64] [1, 1, 1, 1]
// CHECK:         scf.if
// CHECK:           %[[ATTEND:.*]] = arith.constant 1 : i64
// CHECK:           func.call @attnKVCacheError(%[[ATTEND]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         %[[N:.*]] = arith.select %{{.*}}, %[[LEN]], %{{.*}} : index
// CHECK:         %[[KP:.*]] = tensor.extract_slice %[[NEWK]][0, 0, 0, 0] [1, %[[N]], 2, 64] [1, 1, 1, 1] : tensor<1x128x2x64xf16> to tensor<1x?x2x64xf16>
// CHECK:         %[[VP:.*]] = tensor.extract_slice %[[NEWV]][0, 0, 0, 0] [1, %[[N]], 2, 64] [1, 1, 1, 1] : tensor<1x128x2x64xf16> to tensor<1x?x2x64xf16>
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
// CHECK:         %[[AK:.*]] = tensor.insert_slice
// CHECK:         %[[AV:.*]] = tensor.insert_slice
// CHECK:         %[[BK:.*]] = tensor.insert_slice %{{.*}} into %[[AK]]
// CHECK:         %[[BV:.*]] = tensor.insert_slice %{{.*}} into %[[AV]]
// CHECK-COUNT-2: tensor.extract_slice %[[BK]]
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

// -----

// A decode loop: the cache is carried through scf.for's iter_args, and
// becomes two carried tensors (the result the loop does not return is
// simply unused).
// CHECK-LABEL: func.func @decode_loop(
// CHECK:         %[[KS:.*]] = linalg.fill ins(%{{.*}} : f16) outs(%{{.*}} : tensor<1x16x2x64xf16>)
// CHECK:         %[[VS:.*]] = linalg.fill ins(%{{.*}} : f16) outs(%{{.*}} : tensor<1x16x2x64xf16>)
// CHECK:         %[[R:.*]]:3 = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[CK:.*]] = %[[KS]], %[[CV:.*]] = %[[VS]], %{{.*}} = %{{.*}}) -> (tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>, tensor<1x1x8x64xf16>)
// CHECK:           %[[AT:.*]] = arith.select %{{.*}}, %[[I]], %{{.*}} : index
// CHECK:           %[[NEWK:.*]] = tensor.insert_slice %{{.*}} into %[[CK]][0, %[[AT]], 0, 0] [1, %{{.*}}, 2, 64]
// CHECK:           %[[NEWV:.*]] = tensor.insert_slice %{{.*}} into %[[CV]][0, %[[AT]], 0, 0] [1, %{{.*}}, 2, 64]
// CHECK:           tensor.extract_slice %[[NEWK]][0, 0, 0, 0]
// CHECK:           tensor.extract_slice %[[NEWV]][0, 0, 0, 0]
// CHECK:           %[[O:.*]] = attn.attention
// CHECK:           scf.yield %[[NEWK]], %[[NEWV]], %[[O]]
// CHECK:         return %[[R]]#2
// CHECK-NOT:     attn.cache
func.func @decode_loop(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                       %v: tensor<1x1x2x64xf16>, %steps: index)
    -> tensor<1x1x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %r:2 = scf.for %i = %c0 to %steps step %c1 iter_args(%ci = %c, %o = %q)
      -> (!attn.kv_cache<1x2x16x64xf16>, tensor<1x1x8x64xf16>) {
    %cn = attn.cache.append %k, %v into %ci[%i]
        : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
    %len = arith.addi %i, %c1 : index
    %on = attn.cache.attend %o, %cn, %len
        : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x1x8x64xf16>
    scf.yield %cn, %on : !attn.kv_cache<1x2x16x64xf16>, tensor<1x1x8x64xf16>
  }
  return %r#1 : tensor<1x1x8x64xf16>
}

// -----

// A cache used inside an scf.if region, and one that an scf.if yields.
// CHECK-LABEL: func.func @branches(
// CHECK:         %[[C:.*]]:2 = scf.if %{{.*}} -> (tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>)
// CHECK:         scf.if %{{.*}} -> (tensor<1x4x8x64xf16>)
// CHECK:           tensor.extract_slice %[[C]]#0
// CHECK:           tensor.extract_slice %[[C]]#1
// CHECK:           attn.attention
// CHECK-NOT:     attn.cache
func.func @branches(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                    %v: tensor<1x4x2x64xf16>, %b: i1) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %c1 = scf.if %b -> !attn.kv_cache<1x2x16x64xf16> {
    %a = attn.cache.append %k, %v into %c[%c0]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
    scf.yield %a : !attn.kv_cache<1x2x16x64xf16>
  } else {
    scf.yield %c : !attn.kv_cache<1x2x16x64xf16>
  }
  %o = scf.if %b -> tensor<1x4x8x64xf16> {
    %r = attn.cache.attend %q, %c1, %c4
        : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
    scf.yield %r : tensor<1x4x8x64xf16>
  } else {
    scf.yield %q : tensor<1x4x8x64xf16>
  }
  return %o : tensor<1x4x8x64xf16>
}

// -----

// scf.while: the cache is in both regions' arguments and the results.
// CHECK-LABEL: func.func @while_loop(
// CHECK:         scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) : (tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>, index) -> (tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>, index)
// CHECK:           scf.condition
// CHECK:         } do {
// CHECK:           tensor.insert_slice
// CHECK:         attn.attention
// CHECK-NOT:     attn.cache
func.func @while_loop(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                      %v: tensor<1x1x2x64xf16>, %n: index)
    -> tensor<1x1x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %r:2 = scf.while (%ci = %c, %i = %c0)
      : (!attn.kv_cache<1x2x16x64xf16>, index) -> (!attn.kv_cache<1x2x16x64xf16>, index) {
    %more = arith.cmpi slt, %i, %n : index
    scf.condition(%more) %ci, %i : !attn.kv_cache<1x2x16x64xf16>, index
  } do {
  ^bb0(%ci: !attn.kv_cache<1x2x16x64xf16>, %i: index):
    %cn = attn.cache.append %k, %v into %ci[%i]
        : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
    %next = arith.addi %i, %c1 : index
    scf.yield %cn, %next : !attn.kv_cache<1x2x16x64xf16>, index
  }
  %o = attn.cache.attend %q, %r#0, %r#1
      : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x1x8x64xf16>
  return %o : tensor<1x1x8x64xf16>
}

// -----

// A quantized cache is four tensors: i8 codes [B, C, H, D] and f32 scales
// [B, C, H], for keys and for values. The append quantizes each of keys and
// values (max |x| over head_dim, the scale, the codes), then inserts all
// four (none of the tokens when out of range); the attend hands the
// prefixes of codes and scales to attention, with no dequantized copy.

// CHECK-LABEL: func.func @quantized(
// CHECK-SAME:      %[[Q:.*]]: tensor<1x4x8x64xbf16>, %[[K:.*]]: tensor<1x4x2x64xbf16>, %[[V:.*]]: tensor<1x4x2x64xbf16>, %[[POS:.*]]: index, %[[LEN:.*]]: index)
// CHECK:         %[[KC:.*]] = linalg.fill ins(%{{.*}} : i8) outs(%{{.*}} : tensor<1x128x2x64xi8>)
// CHECK:         %[[VC:.*]] = linalg.fill ins(%{{.*}} : i8) outs(%{{.*}} : tensor<1x128x2x64xi8>)
// CHECK:         %[[KSC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x128x2xf32>)
// CHECK:         %[[VSC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x128x2xf32>)
// CHECK:         %[[KMAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[K]] : tensor<1x4x2x64xbf16>) outs(%{{.*}} : tensor<1x4x2xf32>)
// CHECK:           math.absf
// CHECK:           arith.maximumf
// CHECK:         %[[KSCALE:.*]] = linalg.generic {{.*}} ins(%[[KMAX]] : tensor<1x4x2xf32>) outs(%{{.*}} : tensor<1x4x2xf32>)
// CHECK:           %[[DIV:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:           %[[ISZERO:.*]] = arith.cmpf oeq, %[[DIV]], %{{.*}} : f32
// CHECK:           arith.select %[[ISZERO]], %{{.*}}, %[[DIV]] : f32
// CHECK:         %[[KCODES:.*]] = linalg.generic {{.*}} ins(%[[K]], %[[KSCALE]] : tensor<1x4x2x64xbf16>, tensor<1x4x2xf32>) outs(%{{.*}} : tensor<1x4x2x64xi8>)
// CHECK:           arith.divf
// CHECK:           arith.minimumf
// CHECK:           arith.maximumf
// CHECK:           math.roundeven
// CHECK:           arith.fptosi %{{.*}} : f32 to i8
// CHECK:         %[[VCODES:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x2x64xi8>)
// CHECK:         %[[COUNT:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : index
// CHECK:         %[[AT:.*]] = arith.select %{{.*}}, %[[POS]], %{{.*}} : index
// CHECK:         %[[KT:.*]] = tensor.extract_slice %[[KCODES]][0, 0, 0, 0] [1, %[[COUNT]], 2, 64]
// CHECK:         %[[K1:.*]] = tensor.insert_slice %[[KT]] into %[[KC]][0, %[[AT]], 0, 0] [1, %[[COUNT]], 2, 64]
// CHECK:         %[[V1:.*]] = tensor.insert_slice %{{.*}} into %[[VC]][0, %[[AT]], 0, 0] [1, %[[COUNT]], 2, 64]
// CHECK:         %[[KST:.*]] = tensor.extract_slice %[[KSCALE]][0, 0, 0] [1, %[[COUNT]], 2]
// CHECK:         %[[KS1:.*]] = tensor.insert_slice %[[KST]] into %[[KSC]][0, %[[AT]], 0] [1, %[[COUNT]], 2]
// CHECK:         %[[VS1:.*]] = tensor.insert_slice %{{.*}} into %[[VSC]][0, %[[AT]], 0] [1, %[[COUNT]], 2]
// CHECK:         %[[N:.*]] = arith.select %{{.*}}, %[[LEN]], %{{.*}} : index
// CHECK:         %[[KP:.*]] = tensor.extract_slice %[[K1]][0, 0, 0, 0] [1, %[[N]], 2, 64] [1, 1, 1, 1] : tensor<1x128x2x64xi8> to tensor<1x?x2x64xi8>
// CHECK:         %[[VP:.*]] = tensor.extract_slice %[[V1]][0, 0, 0, 0] [1, %[[N]], 2, 64]
// CHECK:         %[[KSP:.*]] = tensor.extract_slice %[[KS1]][0, 0, 0] [1, %[[N]], 2] [1, 1, 1] : tensor<1x128x2xf32> to tensor<1x?x2xf32>
// CHECK:         %[[VSP:.*]] = tensor.extract_slice %[[VS1]][0, 0, 0] [1, %[[N]], 2] [1, 1, 1]
// CHECK:         attn.attention %[[Q]], %[[KP]], %[[VP]] scales(%[[KSP]], %[[VSP]] : tensor<1x?x2xf32>, tensor<1x?x2xf32>) {causal} : tensor<1x4x8x64xbf16>, tensor<1x?x2x64xi8>, tensor<1x?x2x64xi8> -> tensor<1x4x8x64xbf16>
func.func @quantized(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x4x2x64xbf16>,
                     %v: tensor<1x4x2x64xbf16>, %pos: index, %len: index)
    -> tensor<1x4x8x64xbf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x128x64xi8, scales = f32>
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16>
        into !attn.kv_cache<1x2x128x64xi8, scales = f32>
  %o = attn.cache.attend %q, %c1, %len {causal}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xi8, scales = f32>
        -> tensor<1x4x8x64xbf16>
  return %o : tensor<1x4x8x64xbf16>
}

// -----

// fp8 codes are x / scale clamped to +-448 and truncated to f8E4M3FN; bf16
// scales are the f32 scale rounded.

// CHECK-LABEL: func.func @quantized_fp8(
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x2xbf16>)
// CHECK:           %[[S:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:           %[[R:.*]] = arith.truncf %[[S]] : f32 to bf16
// CHECK:           %[[Z:.*]] = arith.cmpf oeq, %[[R]], %{{.*}} : bf16
// CHECK:           arith.select %[[Z]], %{{.*}}, %[[R]] : bf16
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x2x64xf8E4M3FN>)
// CHECK:           %[[LO:.*]] = arith.minimumf %{{.*}}, %{{.*}} : f32
// CHECK:           %[[HI:.*]] = arith.maximumf %[[LO]], %{{.*}} : f32
// CHECK:           arith.truncf %[[HI]] : f32 to f8E4M3FN
// CHECK:         attn.attention {{.*}} scales({{.*}} : tensor<1x?x2xbf16>, tensor<1x?x2xbf16>) : tensor<1x4x8x64xbf16>, tensor<1x?x2x64xf8E4M3FN>, tensor<1x?x2x64xf8E4M3FN>
func.func @quantized_fp8(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x4x2x64xbf16>,
                         %v: tensor<1x4x2x64xbf16>, %pos: index, %len: index)
    -> tensor<1x4x8x64xbf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16>
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16>
        into !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16>
  %o = attn.cache.attend %q, %c1, %len
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16>
        -> tensor<1x4x8x64xbf16>
  return %o : tensor<1x4x8x64xbf16>
}

// -----

// A cache crossing a function boundary: arguments, results, declarations
// and calls take its tensors (codes and scales for a quantized cache) in
// its place.
// CHECK-LABEL: func.func private @external(tensor<1x64x2x64xi8>, tensor<1x64x2x64xi8>, tensor<1x64x2xf32>, tensor<1x64x2xf32>) -> (tensor<1x64x2x64xi8>, tensor<1x64x2x64xi8>, tensor<1x64x2xf32>, tensor<1x64x2xf32>)
// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<1x4x8x64xf16>, %{{.*}}: tensor<1x4x2x64xf16>, %{{.*}}: tensor<1x4x2x64xf16>,
// CHECK-SAME: %[[CK:[a-z0-9]+]]: tensor<1x64x2x64xf16>, %[[CV:[a-z0-9]+]]: tensor<1x64x2x64xf16>, %[[POS:[a-z0-9]+]]: index)
// CHECK-SAME: -> (tensor<1x4x8x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>)
// CHECK: %[[WK:.*]] = tensor.insert_slice %{{.*}} into %[[CK]]
// CHECK: %[[WV:.*]] = tensor.insert_slice %{{.*}} into %[[CV]]
// CHECK: return %{{.*}}, %[[WK]], %[[WV]]
// CHECK-LABEL: func.func @caller(
// CHECK: %[[K0:.*]] = linalg.fill
// CHECK: %[[V0:.*]] = linalg.fill
// CHECK: %[[R:.*]]:3 = call @layer(%{{.*}}, %{{.*}}, %{{.*}}, %[[K0]], %[[V0]], %{{.*}}) : (tensor<1x4x8x64xf16>, tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>, index) -> (tensor<1x4x8x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>)
// CHECK: return %[[R]]#0
func.func private @external(!attn.kv_cache<1x2x64x64xi8, scales = f32>)
    -> !attn.kv_cache<1x2x64x64xi8, scales = f32>

func.func @layer(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                 %v: tensor<1x4x2x64xf16>, %c: !attn.kv_cache<1x2x64x64xf16>,
                 %pos: index)
    -> (tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>) {
  %c4 = arith.constant 4 : index
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %len = arith.addi %pos, %c4 : index
  %o = attn.cache.attend %q, %c1, %len {causal}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o, %c1 : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
}

func.func @caller(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                  %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %o, %c1 = func.call @layer(%q, %k, %v, %c, %c0)
      : (tensor<1x4x8x64xf16>, tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16>,
         !attn.kv_cache<1x2x64x64xf16>, index)
        -> (tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>)
  return %o : tensor<1x4x8x64xf16>
}

// -----

// Argument and result attributes stay with their values: a cache's tensors
// get none, and those after it move along.
// CHECK-LABEL: func.func private @attrs(tensor<1x4x8x64xf16> {test.query}, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>, tensor<4xf32> {attn.weight = "w"}) -> (tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>, tensor<4xf32> {test.result})
func.func private @attrs(tensor<1x4x8x64xf16> {test.query},
                         !attn.kv_cache<1x2x64x64xf16> {test.cache},
                         tensor<4xf32> {attn.weight = "w"})
    -> (!attn.kv_cache<1x2x64x64xf16>, tensor<4xf32> {test.result})

// -----

// Per-sequence lengths: after the check of the attend's length, a scan
// finds the first sequence whose length lies outside [0, length] and
// reports it (code 2: sequence, its length, length); any bad length makes
// the attend read no key. The lengths reach the attention as kv_lengths.
// CHECK-LABEL: func.func @attend_lengths(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x3x4x32xf32>, %[[K:[^:]+]]: tensor<2x32x2x32xf32>, %[[V:[^:]+]]: tensor<2x32x2x32xf32>, %[[N:[^:]+]]: index, %[[L:[^:]+]]: tensor<2xi64>
// CHECK:         %[[OK:.+]] = arith.andi
// CHECK:         %[[FIRST:.+]] = scf.for %[[B:.+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (index)
// CHECK:           tensor.extract %[[L]][%[[B]]] : tensor<2xi64>
// CHECK:         %[[ALL:.+]] = arith.cmpi eq, %[[FIRST]], %{{.*}} : index
// CHECK:         scf.if
// CHECK:           %[[CODE:.+]] = arith.constant 2 : i64
// CHECK:           func.call @attnKVCacheError(%[[CODE]],
// CHECK:         %[[BOTH:.+]] = arith.andi %[[OK]], %[[ALL]] : i1
// CHECK:         %[[KEYS:.+]] = arith.select %[[BOTH]], %[[N]], %{{.*}} : index
// CHECK:         %[[KS:.+]] = tensor.extract_slice %[[K]][0, 0, 0, 0] [2, %[[KEYS]], 2, 32]
// CHECK:         attn.attention %[[Q]], %[[KS]], %{{.*}} lengths(%[[L]] : tensor<2xi64>) {causal}
func.func @attend_lengths(%q: tensor<2x3x4x32xf32>, %c: !attn.kv_cache<2x2x32x32xf32>,
                          %n: index, %lens: tensor<2xi64>) -> tensor<2x3x4x32xf32> {
  %o = attn.cache.attend %q, %c, %n lengths(%lens : tensor<2xi64>) {causal}
      : tensor<2x3x4x32xf32>, !attn.kv_cache<2x2x32x32xf32> -> tensor<2x3x4x32xf32>
  return %o : tensor<2x3x4x32xf32>
}
