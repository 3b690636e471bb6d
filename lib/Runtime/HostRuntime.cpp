//===- HostRuntime.cpp - host functions compiled code calls ---------------===//
//
// attnKVCacheError's sticky message and the tracked heap of the generic
// allocation functions; see HostRuntime.h.
//
//===----------------------------------------------------------------------===//

#include "HostRuntime.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_set>

using namespace mlir::attn;

static std::string &firstCacheError() {
  static std::string error;
  return error;
}

/// Called by compiled code in place of an out-of-range access. `op` is 0 for
/// attn.cache.append (a = position, b = tokens; c is the capacity), 1 for
/// attn.cache.attend (a = length; c is the capacity) and 2 for a sequence's
/// length in attn.cache.attend's lengths (a = sequence, b = its length; c is
/// the attend's length). The codes are attn-lower-kv-cache's.
void attnKVCacheError(int64_t op, int64_t a, int64_t b, int64_t c) {
  std::string &error = firstCacheError();
  if (!error.empty())
    return;
  if (op == 0)
    error =
        "KV cache overflow: attn.cache.append of " + std::to_string(b) +
        " tokens at position " + std::to_string(a) +
        " needs 0 <= position and position + tokens <= " + std::to_string(c) +
        ", the capacity; nothing was written";
  else if (op == 2)
    error = "KV cache out of range: attn.cache.attend of sequence " +
            std::to_string(a) + " over length " + std::to_string(b) +
            " needs 0 <= length <= " + std::to_string(c) +
            ", the attend's length; no key was read";
  else
    error = "KV cache out of range: attn.cache.attend over length " +
            std::to_string(a) + " needs 0 <= length <= " + std::to_string(c) +
            ", the capacity; no key was read";
}

std::string rt::takeKVCacheError() {
  std::string error = std::move(firstCacheError());
  firstCacheError().clear();
  return error;
}

static std::unordered_set<void *> &liveBlocks() {
  static std::unordered_set<void *> blocks;
  return blocks;
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  void *block = std::malloc(bytes ? bytes : 1);
  if (block)
    liveBlocks().insert(block);
  return block;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  // aligned_alloc wants a power-of-two alignment of at least a pointer and
  // a size that is a multiple of it.
  size_t align = std::max(alignment, sizeof(void *));
  size_t size = std::max<size_t>(bytes, 1);
  if (size > SIZE_MAX - (align - 1))
    return nullptr;
  size_t rounded = (size + align - 1) / align * align;
  void *block = std::aligned_alloc(align, rounded);
  if (block)
    liveBlocks().insert(block);
  return block;
}

void _mlir_memref_to_llvm_free(void *block) {
  if (block && liveBlocks().erase(block))
    std::free(block);
}

void rt::freeHostBlocksExcept(const std::vector<const void *> &keep) {
  std::vector<void *> dead;
  for (void *block : liveBlocks())
    if (std::find(keep.begin(), keep.end(), block) == keep.end())
      dead.push_back(block);
  for (void *block : dead) {
    liveBlocks().erase(block);
    std::free(block);
  }
}
