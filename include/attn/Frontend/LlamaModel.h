//===- LlamaModel.h - a validated Llama model directory ---------*- C++ -*-===//
//
// What attn-compile starts from: a Hugging Face model directory read and
// checked as a whole (config.json, then the safetensors checkpoint against
// it), with the figures that follow from it. Holding a LlamaModel means
// every standard tensor is present with the config's shape and dtype.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_FRONTEND_LLAMAMODEL_H
#define ATTN_FRONTEND_LLAMAMODEL_H

#include "attn/Frontend/Checkpoint.h"
#include "attn/Frontend/LlamaConfig.h"

namespace mlir::attn::frontend {

struct LlamaModel {
  LlamaConfig config;
  Checkpoint checkpoint;
  /// Elements of all the model's tensors (the tied LM head counted once).
  uint64_t numParameters = 0;
  /// 2 (K and V) x kv_heads x head_dim x bytes per element, summed over the
  /// ceil(layers / sharing) caches.
  uint64_t kvBytesPerToken = 0;
};

/// Reads `directory`/config.json and the checkpoint beside it and checks
/// them against each other.
llvm::Expected<LlamaModel> loadLlamaModel(llvm::StringRef directory);

} // namespace mlir::attn::frontend

#endif // ATTN_FRONTEND_LLAMAMODEL_H
