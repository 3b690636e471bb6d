//===- ModelObject.cpp - a model graph as a linkable host object ----------===//
//
// The object holds, besides the lowered steps:
//  - `attn_model_<step>(void **args)`: a packed wrapper of each step's C
//    interface, so that the runtime calls a step with any number of weights
//    through one fixed signature (each args[i] points to the i-th argument
//    of `_mlir_ciface_<step>`, the results pointer first);
//  - `attn_model_info`: the text that tells the runtime what each argument
//    is (lib/Runtime/ModelInfo.h gives the format).
// It is compiled position-independent for a generic CPU of the host's
// architecture, so that it links into executables and shared libraries and
// runs on other machines of that architecture, or (`native`) for this
// machine's CPU and its vector units.
//
//===----------------------------------------------------------------------===//

#include "ModelObject.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace mlir::attn;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static constexpr llvm::StringLiteral kSteps[] = {"prefill_step", "decode_step"};

static std::string typeName(Type type) {
  if (type.isIndex())
    return "index";
  if (type.isInteger(64))
    return "i64";
  if (type.isF32())
    return "f32";
  if (type.isBF16())
    return "bf16";
  if (type.isF16())
    return "f16";
  return "";
}

static void describeValue(llvm::raw_ostream &os, llvm::StringRef kind,
                          llvm::StringRef role, Type type,
                          llvm::StringRef name = "") {
  os << kind << " " << role << " ";
  auto shaped = dyn_cast<ShapedType>(type);
  os << typeName(shaped ? shaped.getElementType() : type);
  if (shaped)
    for (int64_t dim : shaped.getShape())
      os << " " << dim;
  if (!name.empty())
    os << " " << name;
  os << "\n";
}

/// The description of the steps' arguments after their KV caches are
/// lowered to tensors, which is what the runtime passes: tokens, position,
/// each cache's keys and values, the weights (named by attn.weight); the
/// results are the logits and the caches.
static llvm::Expected<std::string> describe(ModuleOp module,
                                            const ModelObjectOptions &options) {
  OwningOpRef<ModuleOp> lowered = module.clone();
  PassManager pm(module.getContext());
  pm.addPass(createLowerKVCachePass());
  if (failed(pm.run(*lowered)))
    return error("lowering the KV caches of the model's steps failed");
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "attn-model 1\n";
  os << "target " << (options.gpu ? "cuda" : "cpu") << "\n";
  os << "batch " << options.batch << "\n";
  os << "prompt " << options.prompt << "\n";
  os << "capacity " << options.capacity << "\n";
  os << "vocab " << options.vocab << "\n";
  for (llvm::StringRef name : kSteps) {
    auto step = lowered->lookupSymbol<func::FuncOp>(name);
    if (!step)
      return error("the model graph has no @" + name);
    os << "entry " << name << "\n";
    FunctionType type = step.getFunctionType();
    for (auto [i, arg] : llvm::enumerate(type.getInputs())) {
      auto weight = step.getArgAttrOfType<StringAttr>(i, "attn.weight");
      if (typeName(getElementTypeOrSelf(arg)).empty())
        return error("@" + name + " argument " + llvm::Twine(i) +
                     " has an element type the runtime does not pass");
      llvm::StringRef role = i == 0   ? "tokens"
                             : i == 1 ? "position"
                             : weight ? "weight"
                                      : "cache";
      describeValue(os, "arg", role, arg, weight ? weight.getValue() : "");
    }
    for (auto [i, result] : llvm::enumerate(type.getResults())) {
      if (typeName(getElementTypeOrSelf(result)).empty())
        return error("@" + name + " result " + llvm::Twine(i) +
                     " has an element type the runtime does not read");
      describeValue(os, "result", i == 0 ? "logits" : "cache", result);
    }
  }
  os << "end\n";
  return text;
}

/// `attn_model_<step>(ptr args)`, calling `_mlir_ciface_<step>` with the
/// value each args[i] points to.
static LogicalResult addPackedWrapper(ModuleOp module, llvm::StringRef step) {
  auto ciface =
      module.lookupSymbol<LLVM::LLVMFuncOp>(("_mlir_ciface_" + step).str());
  if (!ciface)
    return module.emitError("lowering left no C interface for @") << step;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto wrapper = LLVM::LLVMFuncOp::create(
      b, loc, ("attn_model_" + step).str(),
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
  Block *body = wrapper.addEntryBlock(b);
  b.setInsertionPointToStart(body);
  SmallVector<Value> values;
  for (auto [i, type] : llvm::enumerate(ciface.getFunctionType().getParams())) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    Value address = LLVM::LoadOp::create(b, loc, ptr, slot);
    values.push_back(LLVM::LoadOp::create(b, loc, type, address));
  }
  LLVM::CallOp::create(b, loc, ciface, values);
  LLVM::ReturnOp::create(b, loc, ValueRange());
  return success();
}

static void addDescription(ModuleOp module, llvm::StringRef text) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  std::string withNull = text.str();
  withNull.push_back('\0');
  auto type =
      LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), withNull.size());
  LLVM::GlobalOp::create(b, module.getLoc(), type, /*isConstant=*/true,
                         LLVM::Linkage::External, "attn_model_info",
                         b.getStringAttr(withNull));
}

static llvm::Error writeObject(ModuleOp module, bool nativeCPU,
                               llvm::raw_pwrite_stream &os) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string why;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, why);
  if (!target)
    return error("no code generator for " + triple.str() + ": " + why);
  std::string cpu = "generic", features;
  if (nativeCPU) {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures list;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      list.AddFeature(feature.getKey(), feature.getValue());
    features = list.getString();
  }
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(triple, cpu, features, llvm::TargetOptions(),
                                  llvm::Reloc::PIC_));
  if (!machine)
    return error("cannot create a code generator for " + triple.str());

  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "attn-model");
  if (!llvmModule)
    return error("translating the lowered model to LLVM IR failed");
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  auto optimize =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return error("optimizing the model's LLVM IR failed: " +
                 llvm::toString(std::move(err)));
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return error("the code generator for " + triple.str() +
                 " cannot write object files");
  codegen.run(*llvmModule);
  return llvm::Error::success();
}

llvm::Error mlir::attn::emitModelObject(ModuleOp module,
                                        const ModelObjectOptions &options,
                                        llvm::raw_pwrite_stream &os) {
  MLIRContext *ctx = module.getContext();
  // Only the steps go into the object; @prefill and @generate are for
  // whole-graph runs.
  for (func::FuncOp func :
       llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
    if (!llvm::is_contained(kSteps, func.getSymName())) {
      func.erase();
      continue;
    }
    func.setPublic();
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(ctx));
  }
  auto text = describe(module, options);
  if (!text)
    return text.takeError();

  PassManager pm(ctx);
  if (options.gpu) {
    buildAttnToNVVMPipeline(pm, *options.gpuPipeline);
  } else {
    CPUPipelineOptions cpu;
    cpu.genericAllocation = true;
    buildAttnToLLVMPipeline(pm, cpu);
  }
  if (failed(pm.run(module)))
    return error(llvm::Twine("lowering the model for the ") +
                 (options.gpu ? "GPU" : "CPU") + " failed");
  for (llvm::StringRef step : kSteps)
    if (failed(addPackedWrapper(module, step)))
      return error("building the packed call of @" + step + " failed");
  addDescription(module, *text);
  return writeObject(module, options.nativeCPU, os);
}
