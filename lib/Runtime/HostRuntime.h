//===- HostRuntime.h - host functions compiled code calls -------*- C++ -*-===//
//
// Plain C++ (no LLVM or MLIR). A model compiled ahead of time calls these
// by name, so they have C linkage:
//
//  - attnKVCacheError: attn-lower-kv-cache's guards call it in place of an
//    out-of-range cache access; it records an error naming the numbers.
//  - _mlir_memref_to_llvm_alloc/_aligned_alloc/_free: the allocation
//    functions memref-to-llvm calls with `use-generic-functions`. The CPU
//    lowering does not free every buffer it allocates (a result computed
//    out of place, a temporary of a model graph), so the runtime keeps the
//    blocks compiled code has not freed and frees them after each call.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_RUNTIME_HOSTRUNTIME_H
#define ATTN_LIB_RUNTIME_HOSTRUNTIME_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" {
void attnKVCacheError(int64_t op, int64_t a, int64_t b, int64_t c);
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
void _mlir_memref_to_llvm_free(void *block);
}

namespace mlir::attn::rt {

/// The first out-of-range cache access since the last call, or "".
std::string takeKVCacheError();

/// Frees every block compiled code allocated through the generic functions
/// and has not freed, except those in `keep`.
void freeHostBlocksExcept(const std::vector<const void *> &keep);

} // namespace mlir::attn::rt

#endif // ATTN_LIB_RUNTIME_HOSTRUNTIME_H
