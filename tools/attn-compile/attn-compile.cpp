//===- attn-compile.cpp - compile a Hugging Face Llama model --------------===//
//
// Command-line front of lib/Frontend. It reads a model directory written by
// `LlamaForCausalLM.save_pretrained()` (config.json plus one or more
// safetensors files) and checks every tensor against the config; then
// --emit=summary prints what it found, and --emit=mlir prints the forward
// pass over a prompt of --batch x --seq-len tokens as func.func @prefill,
// and with --generate=N a @generate that decodes N greedy tokens through KV
// caches; their weights are arguments that name their tensors
// (`attn.weight`), for attn-opt's pipelines or
// `attn-runner --weights=<model-dir>`. --emit=object compiles the prefill
// and decode steps, for the CPU or the GPU (--target), to a host object
// that a program links with the runtime library and drives through
// attn-c/Model.h (ModelObject.h). Every failure is one "attn-compile:
// error:" line and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "ModelObject.h"

#include "attn/Frontend/LlamaGraph.h"
#include "attn/Frontend/LlamaModel.h"
#include "attn/Runner/Runner.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
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
                          "The forward pass over a prompt (func.func "
                          "@prefill) in MLIR"),
               clEnumValN(Emit::Object, "object",
                          "A host object with the prefill and decode steps "
                          "(and, for --target=cuda, their GPU binary), "
                          "for a program that links the runtime library "
                          "(attn-c/Model.h); needs --generate")),
    cl::cat(category));
static cl::opt<int64_t> batch("batch",
                              cl::desc("Sequences per call of @prefill "
                                       "(--emit=mlir)"),
                              cl::init(1), cl::cat(category));
static cl::opt<int64_t>
    seqLen("seq-len",
           cl::desc("Tokens per sequence of @prefill (--emit=mlir); at most "
                    "max_position_embeddings"),
           cl::init(8), cl::cat(category));
static cl::opt<int64_t> generate(
    "generate",
    cl::desc("Also build @generate, which runs the prompt and then this many "
             "greedy decode steps through KV caches, whose capacity is the "
             "prompt plus this many minus one tokens (--emit=mlir, and "
             "--emit=object, which needs it; default 0: @prefill only)"),
    cl::init(0), cl::cat(category));
static cl::opt<std::string>
    target("target",
           cl::desc("What --emit=object compiles for: cpu, or cuda (the "
                    "kernels for --gpu-pipeline's chip, sm_90a by default, "
                    "embedded in the object)"),
           cl::init("cpu"), cl::cat(category));
static cl::opt<bool> nativeCPU(
    "native-cpu",
    cl::desc("--emit=object: host code for this machine's CPU and its "
             "vector units (default: any CPU of its architecture)"),
    cl::init(false), cl::cat(category));
static cl::opt<std::string> gpuPipeline(
    "gpu-pipeline",
    cl::desc("Options of attn-to-nvvm-pipeline for --target=cuda, e.g. "
             "\"chip=sm_90a schedule=auto\""),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> outputFile("o",
                                       cl::desc("Output file (default: "
                                                "stdout)"),
                                       cl::value_desc("path"), cl::init("-"),
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
      "attn-compile: read and check a Hugging Face Llama model directory, "
      "and build its forward pass in MLIR\n");

  llvm::Expected<LlamaModel> model = loadLlamaModel(modelDir);
  if (!model)
    return error(llvm::toString(model.takeError()));
  if (target != "cpu" && target != "cuda")
    return error("--target must be cpu or cuda, not '" + target + "'");
  if (emit == Emit::Object && generate < 1)
    return error("--emit=object needs --generate N (N >= 1): the KV caches "
                 "hold the prompt and N - 1 decoded tokens");
  mlir::attn::GPUPipelineOptions gpuOptions;
  if (mlir::failed(gpuOptions.parseFromString(gpuPipeline, llvm::errs())))
    return error("cannot parse --gpu-pipeline=\"" + gpuPipeline + "\"");
  if (std::optional<std::string> why = gpuOptions.validate())
    return error("--gpu-pipeline: " + *why);

  // Built before the output is opened, so a rejected option leaves no file.
  mlir::DialectRegistry registry;
  mlir::attn::runner::registerRunnerDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (emit != Emit::Summary) {
    llvm::SmallString<256> configPath(modelDir);
    llvm::sys::path::append(configPath, "config.json");
    LlamaGraphOptions options;
    options.batch = batch;
    options.seqLen = seqLen;
    options.generate = generate;
    auto built = buildLlamaPrefill(context, model->config, options, configPath);
    if (!built)
      return error(llvm::toString(built.takeError()));
    module = std::move(*built);
  }
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFile, &message);
  if (!output)
    return error(message);
  if (emit == Emit::Object) {
    mlir::attn::ModelObjectOptions options;
    options.gpu = target == "cuda";
    options.gpuPipeline = &gpuOptions;
    options.batch = batch;
    options.prompt = seqLen;
    options.capacity = seqLen + generate - 1;
    options.vocab = model->config.vocabSize;
    options.nativeCPU = nativeCPU;
    if (llvm::Error err =
            mlir::attn::emitModelObject(*module, options, output->os()))
      return error(llvm::toString(std::move(err)));
  } else if (module) {
    module->print(output->os());
    output->os() << "\n";
  } else {
    printSummary(*model, output->os());
  }
  output->keep();
  return 0;
}
