func.func @f(%q: tensor<1x1x1x1xf8E5M2>) -> tensor<1x1x1x1xf8E5M2> {
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf8E5M2>, tensor<1x1x1x1xf8E5M2>, tensor<1x1x1x1xf8E5M2> -> tensor<1x1x1x1xf8E5M2>
  return %o : tensor<1x1x1x1xf8E5M2>
}
