//===- CopiesToLinalg.cpp - memref.copy as linalg.copy --------------------===//
//
// attn-copies-to-linalg: a non-contiguous memref.copy lowers to a call of the MLIR
// C runner utilities' memrefCopy, which neither the JIT of attn-runner nor
// a program linking the CPU pipeline's output has; a linalg.copy becomes
// loops instead.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_COPIESTOLINALGPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct CopiesToLinalgPass
    : public attn::impl::CopiesToLinalgPassBase<CopiesToLinalgPass> {
  void runOnOperation() override {
    // finalize-memref-to-llvm copies a contiguous pair with one memcpy;
    // only the others would call memrefCopy.
    auto contiguous = [](Type type) {
      auto memref = dyn_cast<MemRefType>(type);
      return memref && (memref.getLayout().isIdentity() ||
                        memref::isStaticShapeAndContiguousRowMajor(memref));
    };
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp op) {
      bool ranked = isa<MemRefType>(op.getSource().getType()) &&
                    isa<MemRefType>(op.getTarget().getType());
      if (ranked && !(contiguous(op.getSource().getType()) &&
                      contiguous(op.getTarget().getType())))
        copies.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp op : copies) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                  op.getTarget());
    }
  }
};
} // namespace
