//===- KVCacheChecks.cpp - run-time KV cache bounds errors ----------------===//
//
// The hook attn-lower-kv-cache's guards call, and the sticky error it
// leaves for the runner. Host code only: it works for every target.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/KVCacheChecks.h"

#include "llvm/ADT/Twine.h"
#include "llvm/ExecutionEngine/Orc/Core.h"

#include <string>

static std::string &firstError() {
  static std::string error;
  return error;
}

/// Called by compiled code in place of an out-of-range access. `op` is 0 for
/// attn.cache.append (a = position, b = tokens) and 1 for attn.cache.attend
/// (a = length); c is the capacity. The codes are attn-lower-kv-cache's.
static void attnKVCacheError(int64_t op, int64_t a, int64_t b, int64_t c) {
  std::string &error = firstError();
  if (!error.empty())
    return;
  if (op == 0)
    error = ("KV cache overflow: attn.cache.append of " + llvm::Twine(b) +
             " tokens at position " + llvm::Twine(a) +
             " needs 0 <= position and position + tokens <= " + llvm::Twine(c) +
             ", the capacity; nothing was written")
                .str();
  else
    error = ("KV cache out of range: attn.cache.attend over length " +
             llvm::Twine(a) + " needs 0 <= length <= " + llvm::Twine(c) +
             ", the capacity; no key was read")
                .str();
}

llvm::orc::SymbolMap
mlir::attn::kvCacheCheckSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  symbols[interner("attnKVCacheError")] = {
      llvm::orc::ExecutorAddr::fromPtr(&attnKVCacheError),
      llvm::JITSymbolFlags::Exported};
  return symbols;
}

llvm::Error mlir::attn::takeKVCacheCheckError() {
  std::string error = std::move(firstError());
  firstError().clear();
  if (error.empty())
    return llvm::Error::success();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
}
