// A decode step that attends over the slot it is about to append to, and
// appends in place: a second call on the same inputs sees the token the
// first wrote, so its output differs (what --repeat exists to catch).
func.func @peek(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                %v: tensor<1x1x2x64xf16>,
                %c: !attn.kv_cache<1x2x64x64xf16>, %pos: index)
    -> (tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>) {
  %c1 = arith.constant 1 : index
  %len = arith.addi %pos, %c1 : index
  %o = attn.cache.attend %q, %c, %len
      : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x1x8x64xf16>
  %next = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  return %o, %next : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
}
