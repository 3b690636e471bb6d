func.func @f(%q: tensor<1x1x1x1xf80>) -> tensor<1x1x1x1xf80> {
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf80>, tensor<1x1x1x1xf80>, tensor<1x1x1x1xf80> -> tensor<1x1x1x1xf80>
  return %o : tensor<1x1x1x1xf80>
}
