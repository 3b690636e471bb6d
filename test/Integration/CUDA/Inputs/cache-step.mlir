// One decode step of one layer over a KV cache the caller keeps: append
// this token's key and value at %pos, attend over positions [0, %pos],
// return the output and the cache. attn-runner --steps calls it again and
// again, feeding the returned cache back and advancing %pos.
func.func @decode_step(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                       %v: tensor<1x1x2x64xf16>,
                       %c: !attn.kv_cache<1x2x64x64xf16>, %pos: index)
    -> (tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>) {
  %c1 = arith.constant 1 : index
  %next = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %len = arith.addi %pos, %c1 : index
  %o = attn.cache.attend %q, %next, %len
      : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x1x8x64xf16>
  return %o, %next : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
}
