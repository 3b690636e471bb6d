//===- GPUModulesToBinaries.cpp - serialize gpu.modules in parallel -------===//
//
// Upstream gpu-module-to-binary serializes a module's gpu.modules one
// after another. Serializing one (LLVM IR translation, the NVPTX back end,
// ptxas) reads only that module and touches no shared IR, so here the
// serializations run on the context's thread pool, and only the edits of
// the IR (a gpu.binary in place of each module) are made on this thread,
// in the modules' order, so the output does not depend on scheduling.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/CompilationInterfaces.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Threading.h"

#include "llvm/ADT/StringSwitch.h"

#include <atomic>

namespace mlir::attn {
#define GEN_PASS_DEF_GPUMODULESTOBINARIESPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
class GPUModulesToBinaries
    : public attn::impl::GPUModulesToBinariesPassBase<GPUModulesToBinaries> {
public:
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void GPUModulesToBinaries::runOnOperation() {
  ModuleOp top = getOperation();
  std::optional<gpu::CompilationTarget> target =
      llvm::StringSwitch<std::optional<gpu::CompilationTarget>>(format)
          .Cases({"offload", "llvm"}, gpu::CompilationTarget::Offload)
          .Cases({"isa", "assembly"}, gpu::CompilationTarget::Assembly)
          .Cases({"bin", "binary"}, gpu::CompilationTarget::Binary)
          .Cases({"fatbin", "fatbinary"}, gpu::CompilationTarget::Fatbin)
          .Default(std::nullopt);
  if (!target) {
    top.emitError() << "attn-gpu-modules-to-binaries: format must be isa, "
                       "bin, fatbin or offload, not '"
                    << format << "'";
    return signalPassFailure();
  }

  SmallVector<gpu::GPUModuleOp> modules;
  for (Block &block : top.getBodyRegion())
    for (auto module : block.getOps<gpu::GPUModuleOp>())
      modules.push_back(module);
  for (gpu::GPUModuleOp module : modules)
    if (!module.getTargetsAttr() || module.getTargetsAttr().empty()) {
      module.emitError("the module has no target attributes");
      return signalPassFailure();
    }

  // Built before the threads start: a target may ask for the symbol table,
  // and building it lazily from several threads would race.
  SymbolTable table(top);
  auto tableOf = [&]() -> SymbolTable * { return &table; };
  gpu::TargetOptions options(toolkitPath, /*librariesToLink=*/{},
                             /*cmdOptions=*/"", /*elfSection=*/"", *target,
                             tableOf);

  // One slot per (module, target), filled by whichever thread serializes
  // that module.
  SmallVector<SmallVector<std::optional<SmallVector<char, 0>>>> objects(
      modules.size());
  for (auto [i, module] : llvm::enumerate(modules))
    objects[i].resize(module.getTargetsAttr().size());
  // A failed module does not stop the others, so that every failure is
  // reported at once (parallelFor orders the threads' diagnostics by
  // module).
  std::atomic<bool> failed = false;
  parallelFor(&getContext(), 0, modules.size(), [&](size_t i) {
    gpu::GPUModuleOp module = modules[i];
    for (auto [t, attr] : llvm::enumerate(module.getTargetsAttr())) {
      auto target = cast<gpu::TargetAttrInterface>(attr);
      objects[i][t] = target.serializeToObject(module, options);
      if (!objects[i][t]) {
        module.emitError("serializing the module for ")
            << attr << " failed";
        failed = true;
      }
    }
  });
  if (failed)
    return signalPassFailure();

  // The objects and the binaries, in the modules' order.
  for (auto [i, module] : llvm::enumerate(modules)) {
    SmallVector<Attribute> made;
    for (auto [t, attr] : llvm::enumerate(module.getTargetsAttr())) {
      auto target = cast<gpu::TargetAttrInterface>(attr);
      Attribute object = target.createObject(module, *objects[i][t], options);
      if (!object) {
        module.emitError("making the object of the module for ")
            << attr << " failed";
        return signalPassFailure();
      }
      made.push_back(object);
    }
    OpBuilder builder(module);
    builder.setInsertionPointAfter(module);
    gpu::BinaryOp::create(
        builder, module.getLoc(), module.getName(),
        dyn_cast_or_null<gpu::OffloadingLLVMTranslationAttrInterface>(
            module.getOffloadingHandlerAttr()),
        builder.getArrayAttr(made));
    module->erase();
  }
}
