//===- CPUPipeline.cpp - attn dialect to LLVM for the CPU ------------------===//
//
// attn-to-llvm-pipeline: lowers KV caches to tensors, raises attention
// written in upstream ops, fuses repeat_kv, tiles attention into the
// FlashAttention-2 loop form, bufferizes with identity layouts at function
// boundaries (so a caller passes plain strided memrefs), and lowers
// everything to the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::addAttentionFrontPasses(OpPassManager &pm) {
  pm.addPass(createLowerKVCachePass());
  pm.addPass(createRaiseAttentionPass());
  pm.addPass(createFuseRepeatKVPass());
}

void mlir::attn::buildAttnToCPULoopsPipeline(
    OpPassManager &pm, const CPUPipelineOptions &options) {
  addAttentionFrontPasses(pm);
  TileAttentionPassOptions tile;
  tile.qTile = options.qTile;
  tile.kvTile = options.kvTile;
  pm.addPass(createTileAttentionPass(tile));
  pm.addPass(createCanonicalizerPass());

  addBufferizationPasses(pm);
}

void mlir::attn::buildCPULoopsToLLVMPipeline(OpPassManager &pm,
                                              bool genericAllocation) {
  // fp8 KV caches convert to and from f8E4M3FN, which LLVM has no type for.
  pm.addPass(createExpandF8E4M3FNPass());
  // bf16 conversions become integer arithmetic (the same round to nearest
  // even): x86 has no bf16 instruction without AVX512-BF16, and the library
  // function LLVM would call instead (__truncsfbf2) is missing from older
  // libgcc, so a compiled model would not link there.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addNestedPass<func::FuncOp>(arith::createArithExpandOpsPass(expand));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = genericAllocation;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::attn::buildAttnToLLVMPipeline(OpPassManager &pm,
                                         const CPUPipelineOptions &options) {
  buildAttnToCPULoopsPipeline(pm, options);
  buildCPULoopsToLLVMPipeline(pm, options.genericAllocation);
}
