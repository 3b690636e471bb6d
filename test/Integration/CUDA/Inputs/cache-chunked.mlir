func.func @chunked(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x2x64xf16>,
                   %v: tensor<1x16x2x64xf16>) -> tensor<1x16x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %init = tensor.empty() : tensor<1x16x8x64xf16>
  %r:2 = scf.for %i = %c0 to %c16 step %c4 iter_args(%ci = %c, %o = %init)
      -> (!attn.kv_cache<1x2x64x64xf16>, tensor<1x16x8x64xf16>) {
    %kc = tensor.extract_slice %k[0, %i, 0, 0] [1, 4, 2, 64] [1, 1, 1, 1]
        : tensor<1x16x2x64xf16> to tensor<1x4x2x64xf16>
    %vc = tensor.extract_slice %v[0, %i, 0, 0] [1, 4, 2, 64] [1, 1, 1, 1]
        : tensor<1x16x2x64xf16> to tensor<1x4x2x64xf16>
    %qc = tensor.extract_slice %q[0, %i, 0, 0] [1, 4, 8, 64] [1, 1, 1, 1]
        : tensor<1x16x8x64xf16> to tensor<1x4x8x64xf16>
    %cn = attn.cache.append %kc, %vc into %ci[%i]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16>
          into !attn.kv_cache<1x2x64x64xf16>
    %len = arith.addi %i, %c4 : index
    %oc = attn.cache.attend %qc, %cn, %len {causal}
        : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
          -> tensor<1x4x8x64xf16>
    %on = tensor.insert_slice %oc into %o[0, %i, 0, 0] [1, 4, 8, 64] [1, 1, 1, 1]
        : tensor<1x4x8x64xf16> into tensor<1x16x8x64xf16>
    scf.yield %cn, %on : !attn.kv_cache<1x2x64x64xf16>, tensor<1x16x8x64xf16>
  }
  return %r#1 : tensor<1x16x8x64xf16>
}

