func.func @f(%q: tensor<1x1x1x1xf4E2M1FN>) -> tensor<1x1x1x1xf4E2M1FN> {
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf4E2M1FN>, tensor<1x1x1x1xf4E2M1FN>, tensor<1x1x1x1xf4E2M1FN> -> tensor<1x1x1x1xf4E2M1FN>
  return %o : tensor<1x1x1x1xf4E2M1FN>
}
