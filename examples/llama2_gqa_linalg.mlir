//===- llama2_gqa_linalg.mlir - llama2 GQA attention in upstream ops only -===//
//
// The computation of llama2_gqa.mlir (32 query heads, 8 KV heads, head dim
// 128, f16, 256 tokens) written entirely in upstream linalg, tensor, arith
// and math ops, the way a PyTorch importer lowers Attention.forward:
//
//   keys = repeat_kv(keys, self.n_rep)
//   values = repeat_kv(values, self.n_rep)
//   xq = xq.transpose(1, 2); keys = keys.transpose(1, 2); values = values.transpose(1, 2)
//   scores = torch.matmul(xq, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
//   scores = scores + mask
//   scores = F.softmax(scores.float(), dim=-1).type_as(xq)
//   output = torch.matmul(scores, values)
//   output = output.transpose(1, 2)
//
// torch.matmul on rank-4 tensors becomes linalg.batch_matmul on [B*H, M, K]
// between reshapes, and F.softmax its decomposition (max, exp(x - max),
// sum, divide). The mask is an argument, [1, 1, Sq, Sk] as Hugging Face
// builds it (llama2's own [Sq, Sk] mask is read the same way by the pass);
// an additive causal mask (-inf above the diagonal) makes this the causal
// attention of llama2_gqa.mlir, up to the scale, which here is
// 1 / f16(sqrt(128)) = 1 / 11.3125 as the division in f16 computes it.
//
// attn-raise-attention turns the chain into one bhsd attn.attention on the
// transposed, repeated K/V; attn-fuse-repeat-kv then folds repeat_kv and the
// transposes into one grouped bshd attention on xq, xk and xv:
//   attn-opt examples/llama2_gqa_linalg.mlir --attn-raise-attention --attn-fuse-repeat-kv
// The pipelines and attn-runner raise and fuse first. Compile for an H100:
//   attn-opt examples/llama2_gqa_linalg.mlir --attn-to-nvvm-pipeline="format=isa"
// Run on the CPU and check against a float64 reference (the mask is random
// like every argument unless given, e.g. a causal one, with --input 3=...npy):
//   attn-runner examples/llama2_gqa_linalg.mlir --target=cpu --check
//
//===----------------------------------------------------------------------===//

#map_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map_mask = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
#map_row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

func.func @llama2_attention(%xq: tensor<1x256x32x128xf16>,
                            %xk: tensor<1x256x8x128xf16>,
                            %xv: tensor<1x256x8x128xf16>,
                            %mask: tensor<1x1x256x256xf16>)
    -> tensor<1x256x32x128xf16> {
  %zero = arith.constant 0.000000e+00 : f16
  %zero_f32 = arith.constant 0.000000e+00 : f32
  %minus_inf = arith.constant 0xFF800000 : f32
  // math.sqrt(self.head_dim), rounded to f16 for the division in f16.
  %sqrt_d = arith.constant 1.131250e+01 : f16

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

  // scores = torch.matmul(xq, keys.transpose(2, 3))
  %kt_init = tensor.empty() : tensor<1x32x128x256xf16>
  %kt = linalg.transpose ins(%k : tensor<1x32x256x128xf16>)
      outs(%kt_init : tensor<1x32x128x256xf16>) permutation = [0, 1, 3, 2]
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]]
      : tensor<1x32x256x128xf16> into tensor<32x256x128xf16>
  %kt3 = tensor.collapse_shape %kt [[0, 1], [2], [3]]
      : tensor<1x32x128x256xf16> into tensor<32x128x256xf16>
  %s_init = tensor.empty() : tensor<32x256x256xf16>
  %s_zero = linalg.fill ins(%zero : f16) outs(%s_init : tensor<32x256x256xf16>)
      -> tensor<32x256x256xf16>
  %s3 = linalg.batch_matmul ins(%q3, %kt3 : tensor<32x256x128xf16>, tensor<32x128x256xf16>)
      outs(%s_zero : tensor<32x256x256xf16>) -> tensor<32x256x256xf16>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [1, 32, 256, 256]
      : tensor<32x256x256xf16> into tensor<1x32x256x256xf16>

  // ... / math.sqrt(self.head_dim)
  %scaled_init = tensor.empty() : tensor<1x32x256x256xf16>
  %scaled = linalg.generic {indexing_maps = [#map_id, #map_id],
                            iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x32x256x256xf16>) outs(%scaled_init : tensor<1x32x256x256xf16>) {
  ^bb0(%in: f16, %out: f16):
    %d = arith.divf %in, %sqrt_d : f16
    linalg.yield %d : f16
  } -> tensor<1x32x256x256xf16>

  // scores = scores + mask  (broadcast over the heads)
  %masked_init = tensor.empty() : tensor<1x32x256x256xf16>
  %masked = linalg.generic {indexing_maps = [#map_id, #map_mask, #map_id],
                            iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scaled, %mask : tensor<1x32x256x256xf16>, tensor<1x1x256x256xf16>)
      outs(%masked_init : tensor<1x32x256x256xf16>) {
  ^bb0(%in: f16, %m: f16, %out: f16):
    %a = arith.addf %in, %m : f16
    linalg.yield %a : f16
  } -> tensor<1x32x256x256xf16>

  // scores.float()
  %x_init = tensor.empty() : tensor<1x32x256x256xf32>
  %x = linalg.generic {indexing_maps = [#map_id, #map_id],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked : tensor<1x32x256x256xf16>) outs(%x_init : tensor<1x32x256x256xf32>) {
  ^bb0(%in: f16, %out: f32):
    %e = arith.extf %in : f16 to f32
    linalg.yield %e : f32
  } -> tensor<1x32x256x256xf32>

  // F.softmax(..., dim=-1): max over the keys ...
  %max_init = tensor.empty() : tensor<1x32x256xf32>
  %max_start = linalg.fill ins(%minus_inf : f32) outs(%max_init : tensor<1x32x256xf32>)
      -> tensor<1x32x256xf32>
  %max = linalg.generic {indexing_maps = [#map_id, #map_row],
                         iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : tensor<1x32x256x256xf32>) outs(%max_start : tensor<1x32x256xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %in, %acc : f32
    linalg.yield %m : f32
  } -> tensor<1x32x256xf32>
  // ... exp(x - max) ...
  %exp_init = tensor.empty() : tensor<1x32x256x256xf32>
  %exp = linalg.generic {indexing_maps = [#map_id, #map_row, #map_id],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %max : tensor<1x32x256x256xf32>, tensor<1x32x256xf32>)
      outs(%exp_init : tensor<1x32x256x256xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    linalg.yield %e : f32
  } -> tensor<1x32x256x256xf32>
  // ... their sum ...
  %sum_init = tensor.empty() : tensor<1x32x256xf32>
  %sum_start = linalg.fill ins(%zero_f32 : f32) outs(%sum_init : tensor<1x32x256xf32>)
      -> tensor<1x32x256xf32>
  %sum = linalg.generic {indexing_maps = [#map_id, #map_row],
                         iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<1x32x256x256xf32>) outs(%sum_start : tensor<1x32x256xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %in, %acc : f32
    linalg.yield %a : f32
  } -> tensor<1x32x256xf32>
  // ... and the quotient.
  %probs_init = tensor.empty() : tensor<1x32x256x256xf32>
  %probs = linalg.generic {indexing_maps = [#map_id, #map_row, #map_id],
                           iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<1x32x256x256xf32>, tensor<1x32x256xf32>)
      outs(%probs_init : tensor<1x32x256x256xf32>) {
  ^bb0(%e: f32, %l: f32, %out: f32):
    %p = arith.divf %e, %l : f32
    linalg.yield %p : f32
  } -> tensor<1x32x256x256xf32>

  // .type_as(xq)
  %p_init = tensor.empty() : tensor<1x32x256x256xf16>
  %p = linalg.generic {indexing_maps = [#map_id, #map_id],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%probs : tensor<1x32x256x256xf32>) outs(%p_init : tensor<1x32x256x256xf16>) {
  ^bb0(%in: f32, %out: f16):
    %t = arith.truncf %in : f32 to f16
    linalg.yield %t : f16
  } -> tensor<1x32x256x256xf16>

  // output = torch.matmul(scores, values)
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]]
      : tensor<1x32x256x256xf16> into tensor<32x256x256xf16>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]]
      : tensor<1x32x256x128xf16> into tensor<32x256x128xf16>
  %o_init = tensor.empty() : tensor<32x256x128xf16>
  %o_zero = linalg.fill ins(%zero : f16) outs(%o_init : tensor<32x256x128xf16>)
      -> tensor<32x256x128xf16>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<32x256x256xf16>, tensor<32x256x128xf16>)
      outs(%o_zero : tensor<32x256x128xf16>) -> tensor<32x256x128xf16>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [1, 32, 256, 128]
      : tensor<32x256x128xf16> into tensor<1x32x256x128xf16>

  // output = output.transpose(1, 2)
  %out_init = tensor.empty() : tensor<1x256x32x128xf16>
  %out = linalg.transpose ins(%o : tensor<1x32x256x128xf16>)
      outs(%out_init : tensor<1x256x32x128xf16>) permutation = [0, 2, 1, 3]
  return %out : tensor<1x256x32x128xf16>
}
