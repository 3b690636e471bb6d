// One decode step through a KV cache, the way a serving loop runs it: the
// prompt's keys and values go in at position 0, the new token's at %pos,
// and its query attends over all %pos + 1 positions in place (GQA 4:1).
func.func @decode(%q: tensor<2x1x32x128xbf16>,
                  %kp: tensor<2x1000x8x128xbf16>, %vp: tensor<2x1000x8x128xbf16>,
                  %kn: tensor<2x1x8x128xbf16>, %vn: tensor<2x1x8x128xbf16>,
                  %pos: index) -> tensor<2x1x32x128xbf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = attn.cache.create : !attn.kv_cache<2x8x4096x128xbf16>
  %c2 = attn.cache.append %kp, %vp into %c[%c0]
      : tensor<2x1000x8x128xbf16>, tensor<2x1000x8x128xbf16>
        into !attn.kv_cache<2x8x4096x128xbf16>
  %c3 = attn.cache.append %kn, %vn into %c2[%pos]
      : tensor<2x1x8x128xbf16>, tensor<2x1x8x128xbf16>
        into !attn.kv_cache<2x8x4096x128xbf16>
  %len = arith.addi %pos, %c1 : index
  %o = attn.cache.attend %q, %c3, %len
      : tensor<2x1x32x128xbf16>, !attn.kv_cache<2x8x4096x128xbf16>
        -> tensor<2x1x32x128xbf16>
  return %o : tensor<2x1x32x128xbf16>
}
