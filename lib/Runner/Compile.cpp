//===- Compile.cpp - attn-runner: lowering and JIT execution --------------===//
//
// Takes the entry from tensors to a JIT-compiled function and calls it. The
// result becomes an out-parameter before lowering, so the caller owns the
// result buffer: the runner can poison it, bound every write to it, and
// free it, none of which it could do with a buffer the callee allocates.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Runner/Runner.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

void runner::registerRunnerDialects(DialectRegistry &registry) {
  registry.insert<AttnDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, linalg::LinalgDialect, LLVM::LLVMDialect,
                  math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  // buffer-results-to-out-params hoists only allocations that implement
  // AllocationOpInterface; without this model it silently copies instead.
  memref::registerAllocationOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<LoweredEntry> runner::lowerForCPU(ModuleOp module,
                                                 func::FuncOp entry,
                                                 unsigned numInputs,
                                                 const RunnerOptions &options) {
  MLIRContext *ctx = module.getContext();
  entry->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(ctx));

  // attn-to-llvm-pipeline goes from tensors to LLVM in one go, leaving no
  // point at which to turn the result into an out-parameter. So the runner
  // takes the IR through the pipeline's own tiling and bufferization, adds
  // buffer-results-to-out-params, and then runs the whole pipeline, whose
  // tensor-level steps find nothing left to do. Were the pipeline split into
  // a bufferizing half and a lowering half, this would call the halves.
  PassManager front(ctx);
  TileAttentionPassOptions tile;
  tile.qTile = options.qTile;
  tile.kvTile = options.kvTile;
  front.addPass(createTileAttentionPass(tile));
  front.addPass(createCanonicalizerPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  front.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  // Hoisting replaces the result's allocation by the caller's buffer, so
  // the kernel stores straight into it instead of into a copied temporary.
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  front.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  if (failed(front.run(module)))
    return error("tiling and bufferizing @" + entry.getSymName() + " failed");

  FunctionType type = entry.getFunctionType();
  if (type.getNumResults() != 0 || type.getNumInputs() != numInputs + 1 ||
      !isa<MemRefType>(type.getInput(numInputs)))
    return error("after bufferization @" + entry.getSymName() +
                 " does not take its result as a trailing memref "
                 "out-parameter");
  LoweredEntry lowered{numInputs, true};
  Value out = entry.getArgument(numInputs);
  for (Operation *user : out.getUsers())
    if (auto copy = dyn_cast<memref::CopyOp>(user);
        copy && copy.getTarget() == out)
      lowered.inPlace = false;

  PassManager lower(ctx);
  CPUPipelineOptions cpu;
  cpu.qTile = options.qTile;
  cpu.kvTile = options.kvTile;
  buildAttnToLLVMPipeline(lower, cpu);
  if (failed(lower.run(module)))
    return error("lowering @" + entry.getSymName() + " to LLVM failed");
  return lowered;
}

/// A strided memref descriptor as the C interface lays it out for any rank:
/// allocated and aligned pointers, offset, sizes[rank], strides[rank].
static std::vector<int64_t> descriptor(HostTensor &t) {
  size_t rank = t.shape().size();
  std::vector<int64_t> desc(3 + 2 * rank);
  desc[0] = desc[1] = reinterpret_cast<intptr_t>(t.data());
  desc[2] = 0;
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    desc[3 + i] = t.shape()[i];
    desc[3 + rank + i] = stride;
    stride *= t.shape()[i];
  }
  return desc;
}

llvm::Expected<double> runner::jitAndRun(ModuleOp module,
                                         llvm::StringRef entryName,
                                         const LoweredEntry &lowered,
                                         std::vector<HostTensor> &inputs,
                                         HostTensor &result) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto transformer = makeOptimizingTransformer(/*optLevel=*/3,
                                               /*sizeLevel=*/0,
                                               /*targetMachine=*/nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return error("JIT compilation failed: " +
                 llvm::toString(engine.takeError()));

  // The C interface takes a pointer to each descriptor; the packed wrapper
  // takes a pointer to each of those pointers.
  std::vector<std::vector<int64_t>> descs;
  for (HostTensor &t : inputs)
    descs.push_back(descriptor(t));
  descs.insert(descs.begin() + lowered.outParam, descriptor(result));
  std::vector<void *> descPtrs, packed;
  for (auto &d : descs)
    descPtrs.push_back(d.data());
  for (void *&p : descPtrs)
    packed.push_back(&p);

  std::string name = ("_mlir_ciface_" + entryName).str();
  auto start = std::chrono::steady_clock::now();
  if (llvm::Error err = (*engine)->invokePacked(name, packed))
    return error("calling " + name +
                 " failed: " + llvm::toString(std::move(err)));
  auto stop = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(stop - start).count();
}
