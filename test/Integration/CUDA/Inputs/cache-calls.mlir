// Two decode-style steps of one layer through a KV cache that lives across
// calls: @two_calls creates it and passes it to @step twice, each call
// appending in place and returning it; @inline is the same in one body.

// One step of a layer: append this step's keys and values to the cache it
// is given, attend causally over everything so far, return the output and
// the updated cache.
func.func private @step(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                        %v: tensor<1x16x2x64xf16>,
                        %c: !attn.kv_cache<1x2x64x64xf16>, %pos: index)
    -> (tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>) {
  %c16 = arith.constant 16 : index
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %len = arith.addi %pos, %c16 : index
  %o = attn.cache.attend %q, %c1, %len {causal}
      : tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x16x8x64xf16>
  return %o, %c1 : tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
}

func.func @two_calls(%q1: tensor<1x16x8x64xf16>, %k1: tensor<1x16x2x64xf16>,
                     %v1: tensor<1x16x2x64xf16>, %q2: tensor<1x16x8x64xf16>,
                     %k2: tensor<1x16x2x64xf16>, %v2: tensor<1x16x2x64xf16>)
    -> tensor<1x16x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %o1, %ca = func.call @step(%q1, %k1, %v1, %c, %c0)
      : (tensor<1x16x8x64xf16>, tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>,
         !attn.kv_cache<1x2x64x64xf16>, index)
        -> (tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>)
  %o2, %cb = func.call @step(%q2, %k2, %v2, %ca, %c16)
      : (tensor<1x16x8x64xf16>, tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>,
         !attn.kv_cache<1x2x64x64xf16>, index)
        -> (tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>)
  return %o2 : tensor<1x16x8x64xf16>
}

// The same two steps in one body, which --check can replay.
func.func @inline(%q1: tensor<1x16x8x64xf16>, %k1: tensor<1x16x2x64xf16>,
                  %v1: tensor<1x16x2x64xf16>, %q2: tensor<1x16x8x64xf16>,
                  %k2: tensor<1x16x2x64xf16>, %v2: tensor<1x16x2x64xf16>)
    -> tensor<1x16x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %ca = attn.cache.append %k1, %v1 into %c[%c0]
      : tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %cb = attn.cache.append %k2, %v2 into %ca[%c16]
      : tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %o = attn.cache.attend %q2, %cb, %c32 {causal}
      : tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}
