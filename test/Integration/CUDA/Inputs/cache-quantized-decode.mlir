// A decode step over a quantized KV cache (@S@ codes, @T@ scales, @E@
// queries, @H@ query heads over 2 KV heads, head_dim @D@): 600 keys and
// values go in at position 0 and one query token attends over all of them
// in place. 600 keys are 19 of the decode schedule's 32-key tiles (38 of
// its 16-key ones, from 17 query rows per KV head on): every warp's stage
// ring wraps, and the last tile is partial.
func.func @decode(%q: tensor<1x1x@H@x@D@x@E@>, %k: tensor<1x600x2x@D@x@E@>,
                  %v: tensor<1x600x2x@D@x@E@>) -> tensor<1x1x@H@x@D@x@E@> {
  %c0 = arith.constant 0 : index
  %c600 = arith.constant 600 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x1024x@D@x@S@, scales = @T@>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x600x2x@D@x@E@>, tensor<1x600x2x@D@x@E@>
        into !attn.kv_cache<1x2x1024x@D@x@S@, scales = @T@>
  %o = attn.cache.attend %q, %c1, %c600
      : tensor<1x1x@H@x@D@x@E@>, !attn.kv_cache<1x2x1024x@D@x@S@, scales = @T@>
        -> tensor<1x1x@H@x@D@x@E@>
  return %o : tensor<1x1x@H@x@D@x@E@>
}
