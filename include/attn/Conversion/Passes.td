//===- Passes.td - attn-mlir conversion passes -------------*- tablegen -*-===//
//
// Conversions out of the attn dialect, one folder each under lib/Conversion.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToGPUPass : Pass<"convert-attn-to-gpu"> {
  let summary = "Lower attention to a FlashAttention-2 gpu.launch kernel";
  let description = [{
    Replaces every `attn.attention` with one `gpu.launch` that runs the same
    FlashAttention-2 algorithm as `attn-tile-attention`:

    * one block per (q-tile, KV head, batch), `threads` threads per block;
    * each thread owns one query row of the tile at a time (the rows of the
      tile are the q-tile rows of every query head of the group), keeping its
      running max, sum and accumulator in private memory;
    * the block loads each K/V tile into workgroup (shared) memory, in the
      element type, and every row of the group reads it from there; when the
      group has more rows (group * q-tile) than `threads`, the rows are taken
      `threads` at a time and the K/V tiles are loaded once per such chunk;
    * causal and window attention skip whole KV tiles outside the tile's
      range, and only boundary tiles mask.

    Inputs are read in place (the function's memrefs must live in device
    memory) and the output is allocated with `gpu.alloc`. head_dim and the
    value head_dim must be static: they size the shared and private buffers.

    This is a scalar (CUDA-core) schedule, written for correctness and as the
    baseline that tensor-core schedules are measured against.
  }];
  let options = [
    Option<"qTile", "q-tile", "int64_t", /*default=*/"64",
           "Query positions per tile">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"32",
           "Keys per K/V tile in shared memory">,
    Option<"threads", "threads", "int64_t", /*default=*/"128",
           "Threads per block">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

#endif // ATTN_CONVERSION_PASSES_TD
