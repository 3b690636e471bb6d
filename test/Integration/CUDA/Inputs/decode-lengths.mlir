// A decode step over a batch of sequences of different lengths: one query
// token each, 32 query heads over 8 KV heads, up to 300 keys.
func.func @decode(%q: tensor<4x1x32x128xbf16>, %k: tensor<4x300x8x128xbf16>,
                  %v: tensor<4x300x8x128xbf16>, %n: tensor<4xi64>)
    -> tensor<4x1x32x128xbf16> {
  %o = attn.attention %q, %k, %v lengths(%n : tensor<4xi64>) {causal}
      : tensor<4x1x32x128xbf16>, tensor<4x300x8x128xbf16>, tensor<4x300x8x128xbf16>
      -> tensor<4x1x32x128xbf16>
  return %o : tensor<4x1x32x128xbf16>
}
