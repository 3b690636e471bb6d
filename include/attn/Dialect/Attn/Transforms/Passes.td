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
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TileAttentionPass : Pass<"attn-tile-attention"> {
  let summary = "Rewrite attention as the FlashAttention-2 blockwise algorithm";
  let description = [{
    Replaces every `attn.attention` with FlashAttention-2 on memrefs: for each
    batch, KV head and tile of `q-tile` query positions (an `scf.parallel`),
    the pass walks the KV sequence `kv-tile` keys at a time, keeping for every
    query row a running max and sum and rescaling its accumulator, so the
    `Sq x Sk` score matrix never exists.

    * GQA packing: the rows of a tile are the q-tile rows of every query head
      of the KV head's group, so each K/V tile is loaded once for the group.
    * Causal and sliding-window attention skip the KV tiles that lie
      entirely outside every row's range; inside a tile, each row visits only
      its own range, so only tiles crossing a boundary do any masking.
    * Lengths that are not multiples of the tile sizes are handled by
      bounds, never by padding.

    Inputs enter through `bufferization.to_buffer` and the result leaves
    through `bufferization.to_tensor`, so the surrounding tensor IR is
    bufferized as usual afterwards. This form is the semantic reference: the
    CPU pipeline lowers it to LLVM as it is.
  }];
  let options = [
    Option<"qTile", "q-tile", "int64_t", /*default=*/"64",
           "Query positions per tile">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"64",
           "Keys per KV tile">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
