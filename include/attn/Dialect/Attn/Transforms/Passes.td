//===- Passes.td - attn dialect passes ---------------------*- tablegen -*-===//
//
// Passes over the attn dialect. Each pass lives in its own file under
// lib/Dialect/Attn/Transforms and has its own lit test.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseRepeatKVPass : Pass<"attn-fuse-repeat-kv"> {
  let summary = "Fold repeat_kv into attention so the repeated K/V never exists";
  let description = [{
    Attention whose key and value come through `attn.repeat_kv` (by the same
    factor) becomes grouped attention over the un-repeated key and value: a
    query head `h` that read repeated head `h floordiv g` now reads KV head
    `h floordiv (g * n_rep)`, which is the same data.

    The pass sees through what the llama2 code wraps around the helper:

    * `linalg.transpose` with permutation `[0, 2, 1, 3]` between
      `repeat_kv` and the attention (llama2's `.transpose(1, 2)`). When the
      query, key and value of a `bhsd` attention are all such transposes, the
      transposes fold into the layout instead (`bshd`) and the result is
      transposed back, which cancels llama2's final `.transpose(1, 2)`.
    * the expansion written in upstream ops: `tensor.collapse_shape` of a
      `linalg.broadcast` that adds a dimension after the KV-head dimension
      (`x[:, :, :, None, :].expand(...).reshape(...)`) is recognised as
      `attn.repeat_kv` first.

    Attention whose key and value are repeated by different factors, or only
    one of them, is left alone.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
