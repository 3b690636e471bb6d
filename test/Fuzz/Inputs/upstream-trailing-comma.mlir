// MLIR 22 crashes parsing this (a trailing comma in the permutation); attn-fuzz skips it.
func.func @f(%x: tensor<4x5xf32>, %y: tensor<5x4xf32>) -> tensor<5x4xf32> {
  %t = linalg.transpose ins(%x : tensor<4x5xf32>) outs(%y : tensor<5x4xf32>) permutation = [1, ]0
  return %t : tensor<5x4xf32>
}
