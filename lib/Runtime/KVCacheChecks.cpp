//===- KVCacheChecks.cpp - run-time KV cache bounds errors ----------------===//
//
// attn-runner's view of attnKVCacheError (HostRuntime.h): the hook as a JIT
// symbol, and its sticky message as an llvm::Error.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/KVCacheChecks.h"

#include "HostRuntime.h"

#include "llvm/ExecutionEngine/Orc/Core.h"

llvm::orc::SymbolMap
mlir::attn::kvCacheCheckSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  symbols[interner("attnKVCacheError")] = {
      llvm::orc::ExecutorAddr::fromPtr(&attnKVCacheError),
      llvm::JITSymbolFlags::Exported};
  return symbols;
}

llvm::Error mlir::attn::takeKVCacheCheckError() {
  std::string error = rt::takeKVCacheError();
  if (error.empty())
    return llvm::Error::success();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
}
