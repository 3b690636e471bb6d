//===- LlamaWeights.cpp - the tensors a Llama checkpoint must hold --------===//
//
// Shapes follow torch.nn.Linear's [out_features, in_features] layout, as
// transformers stores them. The first problem found, in model order, is the
// one reported, with the tensor's name, its file and both shapes or dtypes.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/LlamaWeights.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir::attn::frontend;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::vector<ExpectedTensor>
mlir::attn::frontend::getLlamaTensors(const LlamaConfig &config) {
  // LlamaConfig caps every size at 2^31 - 1, so these products fit int64.
  int64_t hidden = config.hiddenSize;
  int64_t qWidth = config.numHeads * config.headDim;
  int64_t kvWidth = config.numKVHeads * config.headDim;
  int64_t inter = config.intermediateSize;
  std::vector<ExpectedTensor> tensors;
  tensors.push_back({"model.embed_tokens.weight", {config.vocabSize, hidden}});
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    std::string prefix = llvm::formatv("model.layers.{0}.", layer).str();
    bool producer = config.isKVProducer(layer);
    tensors.push_back({prefix + "input_layernorm.weight", {hidden}});
    tensors.push_back({prefix + "self_attn.q_proj.weight", {qWidth, hidden}});
    tensors.push_back({prefix + "self_attn.k_proj.weight",
                       {kvWidth, hidden},
                       producer,
                       layer});
    tensors.push_back({prefix + "self_attn.v_proj.weight",
                       {kvWidth, hidden},
                       producer,
                       layer});
    tensors.push_back({prefix + "self_attn.o_proj.weight", {hidden, qWidth}});
    tensors.push_back({prefix + "post_attention_layernorm.weight", {hidden}});
    tensors.push_back({prefix + "mlp.gate_proj.weight", {inter, hidden}});
    tensors.push_back({prefix + "mlp.up_proj.weight", {inter, hidden}});
    tensors.push_back({prefix + "mlp.down_proj.weight", {hidden, inter}});
  }
  tensors.push_back({"model.norm.weight", {hidden}});
  // Tied embeddings reuse embed_tokens as the LM head, and save_pretrained
  // leaves lm_head out; an untied model must have its own.
  if (!config.tieWordEmbeddings)
    tensors.push_back({"lm_head.weight", {config.vocabSize, hidden}});
  return tensors;
}

llvm::Expected<uint64_t>
mlir::attn::frontend::checkLlamaWeights(const LlamaConfig &config,
                                        const Checkpoint &checkpoint,
                                        llvm::StringRef configName) {
  uint64_t parameters = 0;
  for (const ExpectedTensor &expected : getLlamaTensors(config)) {
    std::optional<Checkpoint::Entry> entry = checkpoint.lookup(expected.name);
    if (!expected.required) {
      if (entry)
        return fail(llvm::formatv(
            "{0}: tensor '{1}' must not exist: with cla_sharing_factor {2}, "
            "layer {3} reads the KV cache of layer {4} and has no K/V "
            "projections",
            entry->file->getPath(), expected.name, config.claSharingFactor,
            expected.layer,
            expected.layer - expected.layer % config.claSharingFactor));
      continue;
    }
    if (!entry)
      return fail(llvm::formatv(
          "{0}: missing tensor '{1}' (expected shape {2})",
          checkpoint.getSource(), expected.name, formatShape(expected.shape)));
    const TensorInfo &info = *entry->info;
    if (llvm::ArrayRef<int64_t>(info.shape) !=
        llvm::ArrayRef<int64_t>(expected.shape))
      return fail(llvm::formatv(
          "{0}: tensor '{1}' has shape {2}, expected {3} from {4}",
          entry->file->getPath(), expected.name, formatShape(info.shape),
          formatShape(expected.shape), configName));
    if (info.dtype != config.dtype)
      return fail(llvm::formatv(
          "{0}: tensor '{1}' has dtype {2}, but {3} says {4} ({5})",
          entry->file->getPath(), expected.name, getSafeTensorsName(info.dtype),
          configName, config.dtypeName, getSafeTensorsName(config.dtype)));
    parameters += info.getNumElements();
  }
  return parameters;
}
