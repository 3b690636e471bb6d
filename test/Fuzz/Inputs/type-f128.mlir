func.func @f(%q: tensor<1x1x1x1xf128>) -> tensor<1x1x1x1xf128> {
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf128>, tensor<1x1x1x1xf128>, tensor<1x1x1x1xf128> -> tensor<1x1x1x1xf128>
  return %o : tensor<1x1x1x1xf128>
}
