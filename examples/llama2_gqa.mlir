//===- llama2_gqa.mlir - llama2's attention layer, GQA, as llama2 writes it -===//
//
// The attention core of one llama2 layer (Attention.forward in llama/model.py)
// for a 32-head model with 8 KV heads (n_rep = 4), head_dim 128, in f16, on a
// 256-token prefill (start_pos = 0, so the KV cache holds exactly xk and xv).
// The projections wq/wk/wv/wo and the rotary embedding are outside: xq, xk
// and xv arrive after apply_rotary_emb. The ops follow the Python line by
// line, copy and transposes included; attn-fuse-repeat-kv turns them into one
// grouped bshd attention on xq, xk and xv, so the repeated K/V never exists.
//
// Compile for an H100 (PTX in a gpu.binary; format=bin or fatbin needs ptxas):
//   attn-opt examples/llama2_gqa.mlir --attn-to-nvvm-pipeline="format=isa"
// Run on the CPU and check against a float64 reference:
//   attn-runner examples/llama2_gqa.mlir --target=cpu --check
// See only the fusion:
//   attn-opt examples/llama2_gqa.mlir --attn-fuse-repeat-kv
//
//===----------------------------------------------------------------------===//

func.func @llama2_attention(
    // xq = xq.view(bsz, seqlen, self.n_local_heads, self.head_dim)
    %xq: tensor<1x256x32x128xf16>,
    // xk = xk.view(bsz, seqlen, self.n_local_kv_heads, self.head_dim)
    %xk: tensor<1x256x8x128xf16>,
    // xv = xv.view(bsz, seqlen, self.n_local_kv_heads, self.head_dim)
    %xv: tensor<1x256x8x128xf16>) -> tensor<1x256x32x128xf16> {
  // keys = self.cache_k[:bsz, : start_pos + seqlen]      (= xk: start_pos is 0)
  // values = self.cache_v[:bsz, : start_pos + seqlen]    (= xv)
  //
  // keys = repeat_kv(keys, self.n_rep)  # (bs, cache_len + seqlen, n_local_heads, head_dim)
  %keys = attn.repeat_kv %xk, n_rep = 4
      : tensor<1x256x8x128xf16> -> tensor<1x256x32x128xf16>
  // values = repeat_kv(values, self.n_rep)  # (bs, cache_len + seqlen, n_local_heads, head_dim)
  %values = attn.repeat_kv %xv, n_rep = 4
      : tensor<1x256x8x128xf16> -> tensor<1x256x32x128xf16>

  // xq = xq.transpose(1, 2)  # (bs, n_local_heads, seqlen, head_dim)
  %q_init = tensor.empty() : tensor<1x32x256x128xf16>
  %q = linalg.transpose ins(%xq : tensor<1x256x32x128xf16>)
      outs(%q_init : tensor<1x32x256x128xf16>) permutation = [0, 2, 1, 3]
  // keys = keys.transpose(1, 2)  # (bs, n_local_heads, cache_len + seqlen, head_dim)
  %k_init = tensor.empty() : tensor<1x32x256x128xf16>
  %k = linalg.transpose ins(%keys : tensor<1x256x32x128xf16>)
      outs(%k_init : tensor<1x32x256x128xf16>) permutation = [0, 2, 1, 3]
  // values = values.transpose(1, 2)  # (bs, n_local_heads, cache_len + seqlen, head_dim)
  %v_init = tensor.empty() : tensor<1x32x256x128xf16>
  %v = linalg.transpose ins(%values : tensor<1x256x32x128xf16>)
      outs(%v_init : tensor<1x32x256x128xf16>) permutation = [0, 2, 1, 3]

  // scores = torch.matmul(xq, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
  // if mask is not None:
  //     scores = scores + mask  # (bs, n_local_heads, seqlen, cache_len + seqlen)
  // scores = F.softmax(scores.float(), dim=-1).type_as(xq)
  // output = torch.matmul(scores, values)  # (bs, n_local_heads, seqlen, head_dim)
  //
  // llama2's mask is torch.triu(full(-inf), diagonal=1) shifted right by
  // start_pos: exactly {causal} (bottom-right aligned). The default scale is
  // 1 / sqrt(head_dim), and softmax runs in f32 as .float() asks.
  %o = attn.attention %q, %k, %v {causal, layout = #attn.layout<bhsd>}
      : tensor<1x32x256x128xf16>, tensor<1x32x256x128xf16>,
        tensor<1x32x256x128xf16> -> tensor<1x32x256x128xf16>

  // output = output.transpose(1, 2).contiguous().view(bsz, seqlen, -1)
  // (the view to [bsz, seqlen, 4096] is left to the caller, before self.wo)
  %out_init = tensor.empty() : tensor<1x256x32x128xf16>
  %out = linalg.transpose ins(%o : tensor<1x32x256x128xf16>)
      outs(%out_init : tensor<1x256x32x128xf16>) permutation = [0, 2, 1, 3]
  return %out : tensor<1x256x32x128xf16>
}
