//===- LlamaModel.cpp - a validated Llama model directory -----------------===//
//
// The order of the checks is the order a user fixes things in: the config
// first (nothing else can be judged without it), then the files' headers,
// then the tensors against the config.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/LlamaModel.h"
#include "attn/Frontend/LlamaWeights.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

using namespace mlir::attn::frontend;

llvm::Expected<LlamaModel>
mlir::attn::frontend::loadLlamaModel(llvm::StringRef directory) {
  if (!llvm::sys::fs::is_directory(directory))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("{0}: not a model directory", directory));
  llvm::SmallString<256> configPath(directory);
  llvm::sys::path::append(configPath, "config.json");
  llvm::Expected<LlamaConfig> config = readLlamaConfig(configPath);
  if (!config)
    return config.takeError();
  llvm::Expected<Checkpoint> checkpoint = Checkpoint::open(directory);
  if (!checkpoint)
    return checkpoint.takeError();
  llvm::Expected<uint64_t> parameters =
      checkLlamaWeights(*config, *checkpoint, configPath);
  if (!parameters)
    return parameters.takeError();

  // The factors are each below 2^31 but their product need not fit.
  bool overflow = false;
  uint64_t kvBytes = 2;
  for (uint64_t factor :
       {uint64_t(config->numKVHeads), uint64_t(config->headDim),
        uint64_t(getByteSize(config->dtype)), uint64_t(config->getNumCaches())})
    kvBytes = llvm::SaturatingMultiply(kvBytes, factor, &overflow);
  if (overflow)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("{0}: KV bytes per token overflow 64 bits", configPath));

  LlamaModel model{std::move(*config), std::move(*checkpoint), *parameters,
                   kvBytes};
  return model;
}
