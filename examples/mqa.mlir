//===- mqa.mlir - multi-query attention (Falcon / PaLM style) --------------===//
//
// Multi-query attention as in Falcon and PaLM: every query head shares one
// key head and one value head. 16 query heads, head_dim 64, bf16, 512 tokens,
// causal, in the bshd layout the models keep their projections in. The
// attention groups heads natively (Hkv = 1 is MQA), so no K/V copy appears.
//
// Compile for an H100 (PTX in a gpu.binary; format=bin or fatbin needs ptxas):
//   attn-opt examples/mqa.mlir --attn-to-nvvm-pipeline="format=isa"
// Run on the CPU and check against a float64 reference:
//   attn-runner examples/mqa.mlir --target=cpu --check
//
//===----------------------------------------------------------------------===//

func.func @mqa_attention(%q: tensor<1x512x16x64xbf16>,
                         %k: tensor<1x512x1x64xbf16>,
                         %v: tensor<1x512x1x64xbf16>)
    -> tensor<1x512x16x64xbf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x512x16x64xbf16>, tensor<1x512x1x64xbf16>,
        tensor<1x512x1x64xbf16> -> tensor<1x512x16x64xbf16>
  return %o : tensor<1x512x16x64xbf16>
}
