//===- attn-fuzz.cpp - libFuzzer target for the attn passes --------------===//
//
// Each input is MLIR source. What parses and verifies goes, on a fresh
// copy each, through attn-fuse-repeat-kv, attn-raise-attention,
// attn-tile-attention, the CPU pipeline and the NVVM pipeline (to PTX, no
// GPU needed). A pass may fail, with a diagnostic; it may not crash, hang
// or trip a sanitizer. Built with libFuzzer when LLVM_USE_SANITIZE_COVERAGE
// is on (utils/fuzz.sh), and otherwise with a main that runs the files it
// is given once each, which test/Fuzz uses to replay past crashes.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Support/ParserGuard.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mlir;

/// The pipelines each input goes through, one at a time, on the top-level
/// module.
static const char *const kPipelines[] = {
    "attn-fuse-repeat-kv",
    "attn-raise-attention",
    "attn-tile-attention",
    "attn-to-llvm-pipeline",
    "attn-to-nvvm-pipeline{format=isa}",
};

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  attn::registerAttnPasses();
  attn::registerAttnConversionPasses();
  attn::registerAttnPipelines();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<attn::AttnDialect>();
  // A context per input, so that nothing one input interns or loads changes
  // how the next one runs.
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  // Diagnostics are expected (most mutated inputs are invalid): drop them,
  // unless ATTN_FUZZ_VERBOSE is set, to see why an input stopped where it
  // did.
  static const bool verbose = std::getenv("ATTN_FUZZ_VERBOSE");
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &diag) {
    if (verbose)
      llvm::errs() << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  // The tools parse null-terminated buffers (MemoryBuffer); MLIR's lexer
  // may look one past the end for the terminator, so give it one too.
  std::string source(reinterpret_cast<const char *>(data), size);
  StringRef text(source);
  // What would crash MLIR's own parser the tools refuse before parsing
  // (ParserGuard.h); the fuzzer looks for the project's crashes.
  if (std::optional<std::string> unsafe = attn::findUnsafeIntegerList(text)) {
    if (verbose)
      llvm::errs() << "attn-fuzz: skipped, " << *unsafe << "\n";
    return 0;
  }
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module) {
    if (verbose)
      llvm::errs() << "attn-fuzz: does not parse or verify\n";
    return 0;
  }
  for (const char *pipeline : kPipelines) {
    OwningOpRef<ModuleOp> copy = module->clone();
    PassManager pm(&context);
    if (failed(parsePassPipeline(pipeline, pm)))
      llvm::report_fatal_error(llvm::Twine("attn-fuzz: bad pipeline ") +
                               pipeline);
    LogicalResult result = pm.run(*copy);
    if (verbose)
      llvm::errs() << "attn-fuzz: " << pipeline << ": "
                   << (succeeded(result) ? "ok" : "failed") << "\n";
  }
  return 0;
}
