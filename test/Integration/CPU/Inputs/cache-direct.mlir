// The attention a decode loop over cache-step.mlir computes at its last
// step, written with a cache the entry creates, which --check replays: a
// 5-token prefix at position 0, then the same token at positions 5, 6, 7,
// attended over 8 positions.
func.func @direct(%q: tensor<1x1x8x64xf16>, %kp: tensor<1x5x2x64xf16>,
                  %vp: tensor<1x5x2x64xf16>, %k: tensor<1x1x2x64xf16>,
                  %v: tensor<1x1x2x64xf16>) -> tensor<1x1x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %c1 = attn.cache.append %kp, %vp into %c[%c0]
      : tensor<1x5x2x64xf16>, tensor<1x5x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %c2 = attn.cache.append %k, %v into %c1[%c5]
      : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %c3 = attn.cache.append %k, %v into %c2[%c6]
      : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %c4 = attn.cache.append %k, %v into %c3[%c7]
      : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %o = attn.cache.attend %q, %c4, %c8
      : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x1x8x64xf16>
  return %o : tensor<1x1x8x64xf16>
}
