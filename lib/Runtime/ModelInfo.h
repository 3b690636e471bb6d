//===- ModelInfo.h - what a compiled model's object says it takes -*- C++ -*-===//
//
// `attn-compile --emit=object` embeds, as the string `attn_model_info`, a
// line-based description of the model's two steps, so that the runtime can
// call them without knowing the model:
//
//   attn-model 1
//   target cpu                      (or cuda)
//   batch 1
//   prompt 8
//   capacity 15
//   vocab 64
//   entry prefill_step              (then decode_step)
//   arg tokens i64 1 8              (role, element type, shape)
//   arg position index
//   arg cache f32 1 15 2 16         (each cache's keys, then its values)
//   arg weight f32 64 64 model.embed_tokens.weight
//   result logits f32 1 8 64
//   result cache f32 1 15 2 16      (the i-th result cache is the i-th
//   ...                              cache argument, updated)
//   end
//
// The arguments are in the order of the step's packed call, after its
// results pointer.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_RUNTIME_MODELINFO_H
#define ATTN_LIB_RUNTIME_MODELINFO_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn::rt {

struct ValueSpec {
  enum class Role { Tokens, Position, Cache, Weight, Logits };
  Role role;
  /// "i64", "index", "f32", "bf16" or "f16".
  std::string type;
  std::vector<int64_t> shape;
  /// The tensor a weight takes.
  std::string name;

  int64_t numElements() const;
  /// Bytes per element of `type` (index: 8).
  int64_t elementBytes() const;
};

struct EntryInfo {
  std::string name;
  std::vector<ValueSpec> args, results;
};

struct ModelInfo {
  std::string target;
  int64_t batch = 0, prompt = 0, capacity = 0, vocab = 0;
  EntryInfo prefill, decode;
};

/// Parses and checks `text` (with checkEntries); "" on success, else the
/// line and what is wrong.
std::string parseModelInfo(const char *text, ModelInfo &info);

/// Checks that the steps take and return what the runtime passes and reads:
/// token ids [batch, tokens] of i64 and the position, then caches, then
/// weights; logits [batch, tokens, vocab] of f32 first, then each cache as
/// taken; and that the figures size buffers without overflow.
std::string checkEntries(const ModelInfo &info);

} // namespace mlir::attn::rt

#endif // ATTN_LIB_RUNTIME_MODELINFO_H
