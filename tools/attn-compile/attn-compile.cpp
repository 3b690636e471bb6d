//===- attn-compile.cpp - compile a Hugging Face Llama model --------------===//
//
// Command-line front of lib/Frontend. Today it reads a model directory
// written by `LlamaForCausalLM.save_pretrained()` (config.json plus one or
// more safetensors files), checks every tensor against the config, and with
// --emit=summary prints what it found. Building the decoder graph
// (--emit=mlir) and the GPU binary (--emit=object) are named so that scripts
// can be written against the final interface, and fail until they exist.
// Every failure is one "attn-compile: error:" line and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/LlamaModel.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::attn::frontend;
namespace cl = llvm::cl;

namespace {
enum class Emit { Summary, MLIR, Object };
} // namespace

static cl::OptionCategory category("attn-compile options");

static cl::opt<std::string> modelDir(cl::Positional, cl::Required,
                                     cl::desc("<model-dir>"),
                                     cl::cat(category));
static cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Summary),
    cl::values(clEnumValN(Emit::Summary, "summary",
                          "Check the model and print its figures"),
               clEnumValN(Emit::MLIR, "mlir",
                          "The decoder graph in MLIR (not implemented yet)"),
               clEnumValN(Emit::Object, "object",
                          "A host object with the GPU binary (not "
                          "implemented yet)")),
    cl::cat(category));

static int error(const llvm::Twine &message) {
  llvm::errs() << "attn-compile: error: " << message << "\n";
  return 1;
}

static void printSummary(const LlamaModel &model, llvm::raw_ostream &os) {
  const LlamaConfig &c = model.config;
  unsigned bytes = getByteSize(c.dtype);
  os << "model: " << modelDir << "\n";
  os << "checkpoint: ";
  if (model.checkpoint.isSharded())
    os << model.checkpoint.getNumFiles() << " shards\n";
  else
    os << "1 file\n";
  os << "layers: " << c.numLayers << "\n";
  os << "hidden_size: " << c.hiddenSize << "\n";
  os << "heads: " << c.numHeads << "\n";
  os << "kv_heads: " << c.numKVHeads << " (" << c.numHeads / c.numKVHeads
     << " query heads per KV head)\n";
  os << "head_dim: " << c.headDim << "\n";
  os << "intermediate_size: " << c.intermediateSize << "\n";
  os << "vocab_size: " << c.vocabSize << "\n";
  os << "tie_word_embeddings: " << (c.tieWordEmbeddings ? "true" : "false")
     << "\n";
  os << "cla_sharing_factor: " << c.claSharingFactor << "\n";
  os << "kv_caches: " << c.getNumCaches() << " (ceil(" << c.numLayers << " / "
     << c.claSharingFactor << "))\n";
  os << "dtype: " << c.dtypeName << " (" << bytes << " bytes)\n";
  os << "parameters: " << model.numParameters << "\n";
  os << "kv_bytes_per_token: " << model.kvBytesPerToken << " (2 x "
     << c.numKVHeads << " KV heads x head_dim " << c.headDim << " x " << bytes
     << " bytes x " << c.getNumCaches() << " caches)\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-compile: read and check a Hugging Face Llama model directory\n");

  llvm::Expected<LlamaModel> model = loadLlamaModel(modelDir);
  if (!model)
    return error(llvm::toString(model.takeError()));
  switch (emit) {
  case Emit::Summary:
    printSummary(*model, llvm::outs());
    return 0;
  case Emit::MLIR:
    return error("--emit=mlir is not implemented yet (the front end reads and "
                 "checks the model; building the decoder graph comes next)");
  case Emit::Object:
    return error("--emit=object is not implemented yet (the front end reads "
                 "and checks the model; the GPU binary comes later)");
  }
  return error("unknown --emit value");
}
