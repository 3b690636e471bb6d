//===- WarpKernels.cpp - pieces of the warp-per-output kernels ------------===//

#include "WarpKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

linalg::FillOp mlir::attn::zeroFillBefore(Operation *op, Value out) {
  if (!out.getDefiningOp<memref::AllocOp>())
    return {};
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
      if (fill.getOutputs()[0] != out)
        return {};
      auto zero = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
      auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
      if (!value || !value.getValue().isZero())
        return {};
      return fill;
    }
    if (!isa<memref::AllocOp>(prev) && !isMemoryEffectFree(prev))
      return {};
  }
  return {};
}

Value mlir::attn::warpSum(ImplicitLocOpBuilder &b, Value partial) {
  Value sum = partial;
  for (int32_t offset : {16, 8, 4, 2, 1})
    sum = arith::AddFOp::create(
        b, sum,
        gpu::ShuffleOp::create(b, sum, offset, 32, gpu::ShuffleMode::XOR)
            .getShuffleResult());
  return sum;
}
