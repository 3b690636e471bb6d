// The attention that the CUDA sweep instantiates with sed. Placeholders:
// @Q@, @K@, @V@ and @O@ are the query, key, value and result shapes, @T@ the
// element type and @A@ the attribute dictionary.
func.func @attention(%q: tensor<@Q@x@T@>, %k: tensor<@K@x@T@>,
                     %v: tensor<@V@x@T@>) -> tensor<@O@x@T@> {
  %o = attn.attention %q, %k, %v @A@
      : tensor<@Q@x@T@>, tensor<@K@x@T@>, tensor<@V@x@T@> -> tensor<@O@x@T@>
  return %o : tensor<@O@x@T@>
}
