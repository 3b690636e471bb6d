// A decode step over a quantized KV cache (f8E4M3FN codes, bf16 scales, bf16
// queries, 32 query heads over 2 KV heads, head_dim 128): 600 keys and
// values go in at position 0 and one query token attends over all of them
// in place. 600 keys are 19 of the decode schedule's 32-key tiles (38 of
// its 16-key ones, from 17 query rows per KV head on): every warp's stage
// ring wraps, and the last tile is partial.
func.func @decode(%q: tensor<1x1x32x128xbf16>, %k: tensor<1x600x1x128xbf16>,
                  %v: tensor<1x600x1x128xbf16>) -> tensor<1x1x32x128xbf16> {
  %c0 = arith.constant 0 : index
  %c600 = arith.constant 600 : index
  %c = attn.cache.create : !attn.kv_cache<1x1x1024x128xf8E4M3FN, scales = bf16>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x600x1x128xbf16>, tensor<1x600x1x128xbf16>
        into !attn.kv_cache<1x1x1024x128xf8E4M3FN, scales = bf16>
  %o = attn.cache.attend %q, %c1, %c600
      : tensor<1x1x32x128xbf16>, !attn.kv_cache<1x1x1024x128xf8E4M3FN, scales = bf16>
        -> tensor<1x1x32x128xbf16>
  return %o : tensor<1x1x32x128xbf16>
}
