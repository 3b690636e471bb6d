//===- CheckLowered.cpp - a reason for every attn op left unlowered -------===//
//
// Bufferization reports an op it cannot handle as `op was not bufferized`,
// which tells a user nothing about why their attn op is still there. The
// pipelines run this check just before it, so that an op with no lowering
// gets an error that says what is not supported and what would be.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CHECKLOWEREDPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
struct CheckLoweredPass
    : public attn::impl::CheckLoweredPassBase<CheckLoweredPass> {
  void runOnOperation() override {
    bool failedAny = false;
    getOperation()->walk([&](Operation *op) {
      if (!isa_and_nonnull<AttnDialect>(op->getDialect()))
        return;
      failedAny = true;
      if (isa<RepeatKVOp>(op)) {
        op->emitOpError()
            << "was not fused into an attention and has no lowering of its "
               "own: the repeated K/V is never materialised, so repeat_kv "
               "is supported only as the key and value (repeated by the "
               "same factor) of an attn.attention, where "
               "attn-fuse-repeat-kv folds it away";
        return;
      }
      if (isa<CacheCreateOp, CacheAppendOp, CacheAttendOp>(op)) {
        op->emitOpError()
            << "has no lowering in this pipeline: KV cache ops lower "
               "through attn-lower-kv-cache, which both "
               "--attn-to-llvm-pipeline and --attn-to-nvvm-pipeline run "
               "first";
        return;
      }
      op->emitOpError() << "has no lowering in this pipeline";
    });
    if (failedAny)
      signalPassFailure();
  }
};
} // namespace
