//===- Engine.cpp - attn-runner: JIT compilation and calls ----------------===//
//
// What the CPU and GPU targets share once their module is lowered to the
// LLVM dialect: the ExecutionEngine, and calls through the C interface with
// memref descriptors.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/Runner.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::vector<int64_t> runner::denseDescriptor(void *data,
                                             llvm::ArrayRef<int64_t> shape) {
  size_t rank = shape.size();
  std::vector<int64_t> desc(3 + 2 * rank);
  desc[0] = desc[1] = reinterpret_cast<intptr_t>(data);
  desc[2] = 0;
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    desc[3 + i] = shape[i];
    desc[3 + rank + i] = stride;
    stride *= shape[i];
  }
  return desc;
}

llvm::Expected<std::unique_ptr<ExecutionEngine>> runner::createEngine(
    ModuleOp module,
    llvm::function_ref<llvm::orc::SymbolMap(llvm::orc::MangleAndInterner)>
        symbols) {
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
  if (symbols)
    (*engine)->registerSymbols(symbols);
  return std::move(*engine);
}

llvm::Error runner::invokeCInterface(ExecutionEngine &engine,
                                     llvm::StringRef name,
                                     llvm::ArrayRef<void *> addresses) {
  std::vector<void *> packed(addresses.begin(), addresses.end());
  std::string symbol = ("_mlir_ciface_" + name).str();
  if (llvm::Error err = engine.invokePacked(symbol, packed))
    return error("calling " + symbol +
                 " failed: " + llvm::toString(std::move(err)));
  return llvm::Error::success();
}
