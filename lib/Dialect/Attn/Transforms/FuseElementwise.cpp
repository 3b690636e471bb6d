//===- FuseElementwise.cpp - elementwise fusion that keeps named ops ------===//
//
// attn-fuse-elementwise: upstream linalg-fuse-elementwise-ops, less its
// expansion of named ops. Folding a reshape into a linalg op rewrites the
// op as a generic over the expanded iteration space; for a projection's
// linalg.matmul followed by the reshape into heads, that hides the matmul
// from attn-matmul-to-gpu, and the projection becomes a kernel with one
// thread per output element.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct FuseElementwisePass
    : public attn::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // A producer whose every use is in the one consumer, so that no other
    // op computes it again (upstream asks for one use; a consumer that reads
    // the producer at two places, as RoPE reads each element and its
    // partner, recomputes it for each, which for an elementwise chain costs
    // less than a kernel launch). And neither side a named op, so that none
    // is rewritten as a generic.
    auto named = [](Operation *op) {
      return op && isa<linalg::LinalgOp>(op) && !isa<linalg::GenericOp>(op);
    };
    linalg::ControlFusionFn control = [&](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      Operation *consumer = fused->getOwner();
      return producer && !named(producer) && !named(consumer) &&
             llvm::all_of(producer->getUsers(),
                          [&](Operation *user) { return user == consumer; });
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
