//===- LlamaConfig.h - a Hugging Face Llama config.json ---------*- C++ -*-===//
//
// The model hyper-parameters of a Llama-style checkpoint as
// `LlamaForCausalLM.save_pretrained()` writes them to config.json, in both
// the transformers 4.x spelling (top-level `rope_theta`, `torch_dtype`) and
// the 5.x one (`rope_parameters.rope_theta`, `dtype`), plus the project's
// cross-layer KV sharing factor `cla_sharing_factor`. Parsing validates the
// fields against each other, so a config that comes back is one whose
// weight shapes can be derived without further checks.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_FRONTEND_LLAMACONFIG_H
#define ATTN_FRONTEND_LLAMACONFIG_H

#include "attn/Frontend/DType.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::attn::frontend {

struct LlamaConfig {
  int64_t hiddenSize = 0;
  int64_t numHeads = 0;
  int64_t numKVHeads = 0;
  int64_t headDim = 0;
  int64_t numLayers = 0;
  int64_t intermediateSize = 0;
  int64_t vocabSize = 0;
  int64_t maxPositionEmbeddings = 0;
  double rmsNormEps = 0;
  double ropeTheta = 0;
  DType dtype = DType::F32;
  /// The torch name the config gave ("bfloat16"), for messages.
  std::string dtypeName;
  bool tieWordEmbeddings = false;
  /// Layers [k*s, (k+1)*s) share the KV cache that layer k*s writes.
  int64_t claSharingFactor = 1;

  /// KV caches the model keeps: ceil(layers / sharing).
  int64_t getNumCaches() const {
    return (numLayers + claSharingFactor - 1) / claSharingFactor;
  }
  /// Whether `layer` computes (and so has weights for) its own K and V.
  bool isKVProducer(int64_t layer) const {
    return layer % claSharingFactor == 0;
  }
};

/// Parses and validates the text of a config.json; `fileName` prefixes every
/// message.
llvm::Expected<LlamaConfig> parseLlamaConfig(llvm::StringRef text,
                                             llvm::StringRef fileName);

/// Reads and parses the config.json at `path`.
llvm::Expected<LlamaConfig> readLlamaConfig(llvm::StringRef path);

} // namespace mlir::attn::frontend

#endif // ATTN_FRONTEND_LLAMACONFIG_H
