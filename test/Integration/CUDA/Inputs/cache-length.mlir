func.func @attend(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                  %v: tensor<1x16x2x64xf16>, %len: index)
    -> tensor<1x16x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>
        into !attn.kv_cache<1x2x64x64xf16>
  %o = attn.cache.attend %q, %c1, %len
      : tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
        -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}
