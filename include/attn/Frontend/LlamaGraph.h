//===- LlamaGraph.h - a Llama model's forward pass as MLIR ------*- C++ -*-===//
//
// Builds the forward pass of LlamaForCausalLM over a whole prompt (prefill)
// as one func.func in upstream tensor dialects plus `attn`: every layer's
// attention is an `attn.attention` with grouped KV heads and `causal`, and
// the weights are function arguments named after their safetensors tensors,
// so that the graph is independent of the weights' values and a runner binds
// them by name.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_FRONTEND_LLAMAGRAPH_H
#define ATTN_FRONTEND_LLAMAGRAPH_H

#include "attn/Frontend/LlamaConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
class DialectRegistry;
namespace attn::frontend {

/// The argument attribute that names the safetensors tensor an argument
/// takes, e.g. "model.layers.0.self_attn.q_proj.weight".
inline constexpr llvm::StringLiteral kWeightAttrName = "attn.weight";
/// The argument attribute of the token ids: the vocabulary size V, every id
/// lying in [0, V).
inline constexpr llvm::StringLiteral kVocabSizeAttrName = "attn.vocab_size";

struct LlamaGraphOptions {
  /// Static batch and prompt length of @prefill.
  int64_t batch = 1;
  int64_t seqLen = 8;
  /// Greedy tokens @generate produces after the prompt; 0 builds no
  /// @generate.
  int64_t generate = 0;
};

/// Registers the dialects the graph is built in.
void registerLlamaGraphDialects(DialectRegistry &registry);

/// Builds a module holding
///
///   func.func @prefill(%tokens: tensor<BxSxi64> {attn.vocab_size = V},
///                      %w...: tensor<...xT> {attn.weight = "name"}, ...)
///       -> tensor<BxSxVxf32>
///
/// which returns the logits of every position. The weights come in the
/// order getLlamaTensors lists them, in the config's dtype T and the stored
/// [out, in] layout; a tied model's LM head is the embed_tokens argument.
///
/// With `options.generate` = N > 0 the module also holds
///
///   func.func @generate(%tokens: tensor<BxSxi64> {attn.vocab_size = V},
///                       %w...) -> tensor<BxNxi64>
///
/// greedy decoding: it creates one KV cache per CLA group (capacity S + N - 1),
/// runs the prompt through the private @prefill_step, which appends every
/// layer's K and V, and then each new token through @decode_step at its
/// position; both take the caches and return them updated in place.
/// `configName` names the config in messages about options it rejects.
llvm::Expected<OwningOpRef<ModuleOp>>
buildLlamaPrefill(MLIRContext &context, const LlamaConfig &config,
                  const LlamaGraphOptions &options,
                  llvm::StringRef configName);

} // namespace attn::frontend
} // namespace mlir

#endif // ATTN_FRONTEND_LLAMAGRAPH_H
