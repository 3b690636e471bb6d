func.func @prefill(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                   %v: tensor<1x16x2x64xf16>, %pos: index)
    -> tensor<1x16x8x64xf16> {
  %c16 = arith.constant 16 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>
        into !attn.kv_cache<1x2x64x64xf16>
  %len = arith.addi %pos, %c16 : index
  %o = attn.cache.attend %q, %c1, %len {causal}
      : tensor<1x16x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
        -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}

