// RUN: attn-opt %s --attn-to-llvm-pipeline | FileCheck %s --implicit-check-not="attn." --implicit-check-not="scf." --implicit-check-not="memref." --implicit-check-not="linalg." --implicit-check-not="tensor." --implicit-check-not="bufferization." --implicit-check-not="arith." --implicit-check-not="math." --implicit-check-not="cf." --implicit-check-not="func.func" --implicit-check-not="unrealized_conversion_cast"
// RUN: attn-opt %s --attn-to-llvm-pipeline="q-tile=24 kv-tile=40" | FileCheck %s --check-prefix=TILES
// attn-to-llvm-pipeline on llama2-style GQA (repeat_kv, transposes, bhsd causal attention): only LLVM dialect ops remain, and the only heap buffers are the output and the tile scratch, never a repeated K/V.

// The entry keeps plain strided memref descriptors: 3 x (2 ptrs, offset,
// 4 sizes, 4 strides), and returns one.
// CHECK:       llvm.func @free(!llvm.ptr)
// CHECK:       llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-LABEL: llvm.func @llama2_chunk(
// CHECK-SAME:      -> !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// 1 / sqrt(128)
// CHECK:         llvm.mlir.constant(0.0883883461 : f32) : f32
// The output, then the six per-tile scratch buffers (row max, row sum,
// accumulator, scores, K tile, V tile); no repeated K or V.
// CHECK-COUNT-7: llvm.call @malloc
// CHECK-NOT:     llvm.call @malloc
// The running max (arith.maximumf, expanded with the bf16 conversions into
// a compare and select that keep NaN).
// CHECK:         llvm.fcmp "ugt"
// CHECK:         llvm.fcmp "uno"
// CHECK:         llvm.intr.exp
// CHECK-COUNT-6: llvm.call @free
// CHECK:         llvm.return

// The tile options reach attn-tile-attention: 4 heads x 24 positions = 96
// rows per tile, and KV tiles of 40 keys (neither constant exists otherwise).
// TILES-LABEL: llvm.func @llama2_chunk(
// TILES-DAG:     llvm.mlir.constant(96 : index) : i64
// TILES-DAG:     llvm.mlir.constant(40 : index) : i64
func.func @llama2_chunk(%xq: tensor<2x16x32x128xf16>, %keys: tensor<2x32x8x128xf16>,
                        %values: tensor<2x32x8x128xf16>) -> tensor<2x16x32x128xf16> {
  %k = attn.repeat_kv %keys, n_rep = 4 : tensor<2x32x8x128xf16> -> tensor<2x32x32x128xf16>
  %v = attn.repeat_kv %values, n_rep = 4 : tensor<2x32x8x128xf16> -> tensor<2x32x32x128xf16>
  %e0 = tensor.empty() : tensor<2x32x16x128xf16>
  %qt = linalg.transpose ins(%xq : tensor<2x16x32x128xf16>) outs(%e0 : tensor<2x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<2x32x32x128xf16>
  %kt = linalg.transpose ins(%k : tensor<2x32x32x128xf16>) outs(%e1 : tensor<2x32x32x128xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<2x32x32x128xf16>
  %vt = linalg.transpose ins(%v : tensor<2x32x32x128xf16>) outs(%e2 : tensor<2x32x32x128xf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt {causal, layout = #attn.layout<bhsd>}
      : tensor<2x32x16x128xf16>, tensor<2x32x32x128xf16>, tensor<2x32x32x128xf16>
      -> tensor<2x32x16x128xf16>
  %e3 = tensor.empty() : tensor<2x16x32x128xf16>
  %ot = linalg.transpose ins(%o : tensor<2x32x16x128xf16>) outs(%e3 : tensor<2x16x32x128xf16>) permutation = [0, 2, 1, 3]
  return %ot : tensor<2x16x32x128xf16>
}
