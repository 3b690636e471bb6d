//===- KVCacheChecks.h - run-time KV cache bounds errors --------*- C++ -*-===//
//
// attn-lower-kv-cache guards every append and attend whose position or
// length is only known at run time; when one is out of range, the compiled
// code skips the access and calls attnKVCacheError, defined here, which
// records an error naming the numbers for the caller to report.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_KVCACHECHECKS_H
#define ATTN_RUNTIME_KVCACHECHECKS_H

#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/Error.h"

namespace mlir::attn {

/// attnKVCacheError, for ExecutionEngine::registerSymbols.
llvm::orc::SymbolMap kvCacheCheckSymbols(llvm::orc::MangleAndInterner interner);

/// The first out-of-range cache access since the last call, or success.
llvm::Error takeKVCacheCheckError();

} // namespace mlir::attn

#endif // ATTN_RUNTIME_KVCACHECHECKS_H
