//===- attn-runner.cpp - run attn-mlir modules on the CPU -----------------===//
//
// Command-line front of lib/Runner: JIT-compiles one entry function of a
// module, runs it on seeded random or .npy inputs, optionally writes the
// result as .npy, and with --check verifies an attention result against a
// float64 reference. Every failure is one "attn-runner: error:" line and a
// non-zero exit status.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/Runner.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

static cl::OptionCategory category("attn-runner options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<module.mlir | ->"),
                                      cl::init("-"), cl::cat(category));
static cl::opt<std::string>
    entry("entry", cl::desc("Function to run (default: the only public one)"),
          cl::value_desc("name"), cl::cat(category));
static cl::opt<std::string> target("target",
                                   cl::desc("Where to run: cpu (default) or "
                                            "cuda (not built yet)"),
                                   cl::init("cpu"), cl::cat(category));
static cl::opt<bool> check("check",
                           cl::desc("Check the returned attention against a "
                                    "float64 reference; exit 1 on FAIL"),
                           cl::cat(category));
static cl::opt<uint64_t>
    seed("seed", cl::desc("Seed of the N(0,1) inputs not given by --input"),
         cl::init(0), cl::cat(category));
static cl::list<std::string>
    inputs("input", cl::desc("Read argument ARGINDEX from an .npy file"),
           cl::value_desc("ARGINDEX=path.npy"), cl::cat(category));
static cl::opt<std::string> output("output",
                                   cl::desc("Write the result as .npy"),
                                   cl::value_desc("path.npy"),
                                   cl::cat(category));
static cl::opt<int64_t> qTile("q-tile", cl::desc("Query positions per tile"),
                              cl::init(64), cl::cat(category));
static cl::opt<int64_t> kvTile("kv-tile", cl::desc("Keys per KV tile"),
                               cl::init(64), cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-runner: run an attn-mlir module on the CPU and check it\n\n"
      "  .npy dtypes: f16 '<f2', f32 '<f4', f64 '<f8'; bf16 '<u2' holding "
      "the raw bf16 bits\n");

  mlir::attn::runner::RunnerOptions options;
  options.inputFile = inputFile;
  options.entry = entry;
  options.target = target;
  options.check = check;
  options.seed = seed;
  options.inputs = inputs;
  options.output = output;
  options.qTile = qTile;
  options.kvTile = kvTile;

  if (llvm::Error err =
          mlir::attn::runner::runAttnRunner(options, llvm::outs())) {
    llvm::outs().flush();
    llvm::errs() << "attn-runner: error: " << llvm::toString(std::move(err))
                 << "\n";
    return 1;
  }
  return 0;
}
