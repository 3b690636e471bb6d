// MLIR 22 crashes parsing this (a null dimensions attribute); attn-fuzz skips it.
func.func @f(%x: tensor<4xf32>, %y: tensor<4x5xf32>) -> tensor<4x5xf32> {
  %b = linalg.broadcast ins(%x : tensor<4xf32>) outs(%y : tensor<4x5xf32>) dimensions = x[1]
  return %b : tensor<4x5xf32>
}
