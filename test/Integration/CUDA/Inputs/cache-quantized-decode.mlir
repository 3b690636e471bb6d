// A decode step over a quantized KV cache (@S@ codes, @T@ scales, GQA
// 4:1, head_dim 128): 600 keys and values go in at position 0 and one query
// token of 8 heads attends over all of them in place. 600 keys are 19 of
// the decode schedule's 32-key tiles: every warp's stage ring wraps, and
// the last tile is partial.
func.func @decode(%q: tensor<1x1x8x128xbf16>, %k: tensor<1x600x2x128xbf16>,
                  %v: tensor<1x600x2x128xbf16>) -> tensor<1x1x8x128xbf16> {
  %c0 = arith.constant 0 : index
  %c600 = arith.constant 600 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x1024x128x@S@, scales = @T@>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x600x2x128xbf16>, tensor<1x600x2x128xbf16>
        into !attn.kv_cache<1x2x1024x128x@S@, scales = @T@>
  %o = attn.cache.attend %q, %c1, %c600
      : tensor<1x1x8x128xbf16>, !attn.kv_cache<1x2x1024x128x@S@, scales = @T@>
        -> tensor<1x1x8x128xbf16>
  return %o : tensor<1x1x8x128xbf16>
}
