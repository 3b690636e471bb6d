//===- WarpKernels.h - pieces of the warp-per-output kernels ----*- C++ -*-===//
//
// What attn-matmul-to-gpu and attn-reductions-to-gpu share: both give each
// output element a warp whose lanes stride the reduced dimension, fold the
// lanes' partial sums with shuffles, and let lane 0 write; both can take
// over the zero fill the graph puts before the op.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_WARPKERNELS_H
#define LIB_CONVERSION_ATTNTOGPU_WARPKERNELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::attn {

/// The zero fill of `out` (the output of `op`) that the graph issues right
/// before `op` (`linalg.fill` of 0.0 into a fresh allocation, only
/// allocations and ops without memory effects in between), which a kernel
/// can take over by storing its sums instead of adding them; null if there
/// is none.
linalg::FillOp zeroFillBefore(Operation *op, Value out);

/// The f32 `partial` summed over the 32 lanes of the warp (xor shuffles);
/// every lane gets the sum.
Value warpSum(ImplicitLocOpBuilder &b, Value partial);

} // namespace mlir::attn

#endif // LIB_CONVERSION_ATTNTOGPU_WARPKERNELS_H
