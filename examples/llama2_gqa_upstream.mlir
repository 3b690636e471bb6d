//===- llama2_gqa_upstream.mlir - llama2 GQA with repeat_kv in upstream ops -===//
//
// The same computation as llama2_gqa.mlir (32 query heads, 8 KV heads, head
// dim 128, f16, 256 tokens, causal), with llama2's repeat_kv written the way
// a PyTorch importer spells it, in upstream tensor ops instead of
// attn.repeat_kv:
//
//   def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
//       bs, slen, n_kv_heads, head_dim = x.shape
//       return (
//           x[:, :, :, None, :]
//           .expand(bs, slen, n_kv_heads, n_rep, head_dim)   # linalg.broadcast, dimensions = [3]
//           .reshape(bs, slen, n_kv_heads * n_rep, head_dim) # tensor.collapse_shape [[0], [1], [2, 3], [4]]
//       )
//
// attn-fuse-repeat-kv recognises the broadcast + collapse as repeat_kv and
// then fuses it like the attn.repeat_kv form, so the [1, 256, 8, 4, 128]
// broadcast is never materialised.
//
// Compile for an H100 (PTX in a gpu.binary; format=bin or fatbin needs ptxas):
//   attn-opt examples/llama2_gqa_upstream.mlir --attn-to-nvvm-pipeline="format=isa"
// Run on the CPU and check against a float64 reference:
//   attn-runner examples/llama2_gqa_upstream.mlir --target=cpu --check
//
//===----------------------------------------------------------------------===//

func.func @llama2_attention(%xq: tensor<1x256x32x128xf16>,
                            %xk: tensor<1x256x8x128xf16>,
                            %xv: tensor<1x256x8x128xf16>)
    -> tensor<1x256x32x128xf16> {
  // keys = repeat_kv(keys, self.n_rep)
  %kb_init = tensor.empty() : tensor<1x256x8x4x128xf16>
  %kb = linalg.broadcast ins(%xk : tensor<1x256x8x128xf16>)
      outs(%kb_init : tensor<1x256x8x4x128xf16>) dimensions = [3]
  %keys = tensor.collapse_shape %kb [[0], [1], [2, 3], [4]]
      : tensor<1x256x8x4x128xf16> into tensor<1x256x32x128xf16>
  // values = repeat_kv(values, self.n_rep)
  %vb_init = tensor.empty() : tensor<1x256x8x4x128xf16>
  %vb = linalg.broadcast ins(%xv : tensor<1x256x8x128xf16>)
      outs(%vb_init : tensor<1x256x8x4x128xf16>) dimensions = [3]
  %values = tensor.collapse_shape %vb [[0], [1], [2, 3], [4]]
      : tensor<1x256x8x4x128xf16> into tensor<1x256x32x128xf16>

  // xq = xq.transpose(1, 2)
  %q_init = tensor.empty() : tensor<1x32x256x128xf16>
  %q = linalg.transpose ins(%xq : tensor<1x256x32x128xf16>)
      outs(%q_init : tensor<1x32x256x128xf16>) permutation = [0, 2, 1, 3]
  // keys = keys.transpose(1, 2)
  %k_init = tensor.empty() : tensor<1x32x256x128xf16>
  %k = linalg.transpose ins(%keys : tensor<1x256x32x128xf16>)
      outs(%k_init : tensor<1x32x256x128xf16>) permutation = [0, 2, 1, 3]
  // values = values.transpose(1, 2)
  %v_init = tensor.empty() : tensor<1x32x256x128xf16>
  %v = linalg.transpose ins(%values : tensor<1x256x32x128xf16>)
      outs(%v_init : tensor<1x32x256x128xf16>) permutation = [0, 2, 1, 3]

  // scores = softmax(xq @ keys^T / sqrt(head_dim) + mask); output = scores @ values
  %o = attn.attention %q, %k, %v {causal, layout = #attn.layout<bhsd>}
      : tensor<1x32x256x128xf16>, tensor<1x32x256x128xf16>,
        tensor<1x32x256x128xf16> -> tensor<1x32x256x128xf16>

  // output = output.transpose(1, 2)
  %out_init = tensor.empty() : tensor<1x256x32x128xf16>
  %out = linalg.transpose ins(%o : tensor<1x32x256x128xf16>)
      outs(%out_init : tensor<1x256x32x128xf16>) permutation = [0, 2, 1, 3]
  return %out : tensor<1x256x32x128xf16>
}
