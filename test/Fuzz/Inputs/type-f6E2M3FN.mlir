func.func @f(%q: tensor<1x1x1x1xf6E2M3FN>) -> tensor<1x1x1x1xf6E2M3FN> {
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf6E2M3FN>, tensor<1x1x1x1xf6E2M3FN>, tensor<1x1x1x1xf6E2M3FN> -> tensor<1x1x1x1xf6E2M3FN>
  return %o : tensor<1x1x1x1xf6E2M3FN>
}
