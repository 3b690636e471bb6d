func.func @f(%q: tensor<1x1x1x1xtf32>) -> tensor<1x1x1x1xtf32> {
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xtf32>, tensor<1x1x1x1xtf32>, tensor<1x1x1x1xtf32> -> tensor<1x1x1x1xtf32>
  return %o : tensor<1x1x1x1xtf32>
}
