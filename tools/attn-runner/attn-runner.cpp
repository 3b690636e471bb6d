//===- attn-runner.cpp - run attn-mlir modules on a GPU or the CPU --------===//
//
// Command-line front of lib/Runner: JIT-compiles one entry function of a
// module for a CUDA GPU or the CPU, runs it on seeded random or .npy inputs
// (and, for a model graph from attn-compile, a checkpoint's weights and
// token ids), optionally writes each result as .npy, with --check verifies
// each attention result against a float64 reference, and with --benchmark
// times it. Every failure is one "attn-runner: error:" line and a non-zero exit
// status.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines/Pipelines.h"
#include "attn/Runner/Runner.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <utility>

namespace cl = llvm::cl;

static cl::OptionCategory category("attn-runner options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<module.mlir | ->"),
                                      cl::init("-"), cl::cat(category));
static cl::opt<std::string>
    entry("entry", cl::desc("Function to run (default: the only public one)"),
          cl::value_desc("name"), cl::cat(category));
static cl::opt<std::string>
    target("target",
           cl::desc("Where to run: cuda or cpu (default: cuda when a CUDA "
                    "driver and device are found, cpu otherwise)"),
           cl::value_desc("cuda|cpu"), cl::cat(category));
static cl::opt<bool> check("check",
                           cl::desc("Check each returned attention against a "
                                    "float64 reference; exit 1 on FAIL"),
                           cl::cat(category));
static cl::opt<uint64_t>
    seed("seed", cl::desc("Seed of the N(0,1) inputs not given by --input"),
         cl::init(0), cl::cat(category));
static cl::list<std::string>
    inputs("input",
           cl::desc("Read argument ARGINDEX from an .npy file; an integer "
                    "argument takes ARGINDEX=value, an i64 tensor (token "
                    "ids, per-sequence lengths) also ARGINDEX=a,b,..."),
           cl::value_desc("ARGINDEX=path.npy"), cl::cat(category));
static cl::opt<std::string> weights(
    "weights",
    cl::desc("Bind every argument that carries attn.weight = \"name\" to "
             "that tensor of the model directory's safetensors checkpoint"),
    cl::value_desc("model-dir"), cl::cat(category));
static cl::opt<std::string> tokens(
    "tokens",
    cl::desc("Token ids, row-major, for the i64 tensor argument (ids are "
             "checked against its attn.vocab_size)"),
    cl::value_desc("id,id,..."), cl::cat(category));
static cl::opt<std::string>
    output("output",
           cl::desc("Write the result as .npy, only when the run (and "
                    "--check) succeeds: after a failure no file is written. "
                    "With several results, result i goes to path.i.npy"),
           cl::value_desc("path.npy"), cl::cat(category));
// The defaults are the pipelines'; the help quotes them.
static const std::string qTileHelp =
    "Query positions per tile (default: " +
    std::to_string(mlir::attn::kDefaultQTile) + ")";
static const std::string kvTileHelp =
    "Keys per KV tile (default: " +
    std::to_string(mlir::attn::kDefaultCPUKVTile) + " on the CPU, " +
    std::to_string(mlir::attn::kDefaultGPUKVTile) + " on a GPU)";
static const std::string threadsHelp =
    "GPU threads per block of the scalar schedule (default: " +
    std::to_string(mlir::attn::kDefaultGPUThreads) + ")";
static cl::opt<int64_t> qTile("q-tile", cl::desc(qTileHelp),
                              cl::cat(category));
static cl::opt<int64_t> kvTile("kv-tile", cl::desc(kvTileHelp),
                               cl::cat(category));
static cl::opt<int64_t> threads("gpu-threads", cl::desc(threadsHelp),
                                cl::cat(category));
static cl::opt<std::string> schedule(
    "schedule",
    cl::desc("GPU kernel schedule: auto (the default: sm90-decode on sm_90a "
             "for KV groups of at most 4 query heads, then decode, then sm90 "
             "on sm_90a, then sm80, where they cover the op, else scalar), "
             "scalar, sm80, sm90, decode, sm90-decode (decode on wgmma and "
             "TMA) or sm90-decode-alternate (its consumers on alternate "
             "tiles; experimental)"),
    cl::init("auto"), cl::cat(category));
static cl::opt<int64_t> kvSplits(
    "kv-splits",
    cl::desc("Blocks per (batch, KV head) of the decode schedules (default: "
             "0, picked from the shape and the device's SM count)"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> kvStages(
    "kv-stages",
    cl::desc("Stages of each warp's copy ring in the decode schedule, 2 to "
             "8 (default: 0, the schedule's own)"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> kvWarps(
    "kv-warps",
    cl::desc("Warps of a block of the decode schedule, 4 or 8, each its own "
             "stream of key tiles (default: 0, the schedule's own)"),
    cl::init(0), cl::cat(category));
static cl::opt<bool> kvPairWarps(
    "kv-pair-warps",
    cl::desc("The decode schedule gives two m-tiles (17 to 32 packed rows, "
             "MQA's 32) a pair of warps per stream of tiles, one m-tile each "
             "(experimental: no faster, and racecheck reports hazards in it)"),
    cl::init(false), cl::cat(category));
static cl::opt<bool> tma(
    "tma",
    cl::desc("The sm90 schedule copies its tiles with TMA (tensor maps built "
             "on the host); --tma=false copies them with cp.async. Other "
             "schedules ignore it"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> pInShared(
    "p-in-shared",
    cl::desc("The sm90 schedule's P·V reads P from shared memory rather than "
             "from registers, at every head dim (above 128 it always does)"),
    cl::init(false), cl::cat(category));
static cl::opt<bool> itemOverlap(
    "item-overlap",
    cl::desc("The sm90 schedule's persistent grid (TMA, head dims up to 128) "
             "keeps two Q buffers and issues each item's first S while the "
             "previous item's output is stored; --item-overlap=false stores "
             "first. Other schedules ignore it"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> tmaStore(
    "tma-store",
    cl::desc("The sm90 schedule's overlapped items (two Q buffers, P in "
             "registers) write each consumer's output rows of a whole item "
             "into shared memory, from which one thread stores them with "
             "TMA. Other schedules ignore it"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> tailSplit(
    "tail-split",
    cl::desc("The sm90 schedule's persistent grid, where its items cost the "
             "same (no causal mask, window or per-sequence lengths) and "
             "every extent is static, splits a last round at most half full "
             "over the keys of its items across the idle blocks, and a "
             "combine kernel merges their partials. Other schedules ignore "
             "it"),
    cl::init(false), cl::cat(category));
static cl::opt<std::string> planItems(
    "plan-items",
    cl::desc("The sm90 schedule's persistent grid, for causal or windowed "
             "prefill with static extents: always gives each block the "
             "items that a grid taking the next item as each block frees "
             "would give it, from a table built with the kernel, rather "
             "than every grid-th item; auto (the default) does so where "
             "that makes the largest block's cost 2% smaller or more; "
             "never. Other schedules ignore it"),
    cl::init("auto"), cl::value_desc("auto|always|never"), cl::cat(category));
static cl::opt<int64_t> smCount(
    "sm-count",
    cl::desc("Streaming multiprocessors the persistent and split-KV grids "
             "are sized for (default: 0, the device's own); fewer makes "
             "each block take several work items"),
    cl::init(0), cl::cat(category));
static cl::opt<std::string>
    matmul("matmul",
           cl::desc("GPU: a model graph's projections as warp kernels "
                    "(warp, the default), cuBLAS calls (cublas; cuBLAS is "
                    "opened at run time), or cuBLAS for those of 16 rows or "
                    "more and warp kernels for the others (auto)"),
           cl::init("warp"), cl::cat(category));
static cl::opt<std::string> gpuFormat(
    "gpu-format",
    cl::desc("How kernels are shipped: isa (PTX, compiled by the driver when "
             "loaded; the default, needs no CUDA toolkit), bin (cubin) or "
             "fatbin, both from the toolkit's ptxas"),
    cl::init("isa"), cl::cat(category));
static cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("CUDA toolkit whose libdevice (and ptxas) the kernels "
                      "use (default: $CUDA_HOME, then /usr/local/cuda)"),
             cl::cat(category));
static cl::opt<unsigned> steps(
    "steps",
    cl::desc("Call an entry that takes and returns KV caches this many "
             "times, each call fed the caches the previous one returned and "
             "its integer arguments (decode positions) one larger; prints "
             "calls and tokens per second (default 1)"),
    cl::init(1), cl::cat(category));
static cl::opt<unsigned> repeat(
    "repeat",
    cl::desc("Make the checked call N times on the same inputs and fail "
             "unless every result of every call is the first call's bit for "
             "bit (a determinism test; not with --steps)"),
    cl::value_desc("N"), cl::init(1), cl::cat(category));
static cl::opt<unsigned> benchmark(
    "benchmark",
    cl::desc("After the checked run, time N more runs (GPU: CUDA events "
             "around every kernel, over rotating input copies) and print "
             "median, minimum, TFLOP/s, GB/s and the floor"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
static cl::opt<unsigned> warmup("warmup",
                                cl::desc("Untimed runs before the benchmark"),
                                cl::init(3), cl::cat(category));
static cl::opt<double> benchmarkHold(
    "benchmark-hold",
    cl::desc("GPU: keep the device busy this many microseconds at the start "
             "of each timed call, while the host queues its kernels, so that "
             "their timed spans hold no host launch time (default: 0, none)"),
    cl::value_desc("us"), cl::init(0), cl::cat(category));
static cl::opt<bool> dependentLaunch(
    "dependent-launch",
    cl::desc("GPU (sm_90 and later): launch a split decode's combine kernel "
             "as a programmatic dependent of its attention kernel, so that "
             "its blocks are placed while the attention kernel ends; "
             "--dependent-launch=false launches it after, in stream order"),
    cl::init(true), cl::cat(category));
static cl::opt<double> peakTflops(
    "peak-tflops",
    cl::desc("Arithmetic peak (TFLOP/s) for the benchmark's floor (default: "
             "the device's: bench/ceilings.py's bf16 matmul where it was "
             "measured on that GPU, else from the driver's SM count and "
             "clock)"),
    cl::init(0), cl::cat(category));
static cl::opt<double> peakGbps(
    "peak-gbps",
    cl::desc("Memory bandwidth (GB/s) for the benchmark's floor (default: "
             "the device's: bench/ceilings.py's device copy where it was "
             "measured on that GPU, else from the driver's memory clock and "
             "bus width)"),
    cl::init(0), cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-runner: run an attn-mlir module on a GPU or the CPU and check "
      "it\n\n"
      "  .npy dtypes: f16 '<f2', f32 '<f4', f64 '<f8'; bf16 '<u2' holding "
      "the raw bf16 bits\n");

  // An empty value would otherwise read as the flag's absence: --target=
  // would pick a target, --output= would write nothing, both silently.
  for (auto [flag, expected] : {std::pair{&target, "cpu or cuda"},
                                 std::pair{&output, "a path"},
                                 std::pair{&weights, "a model directory"},
                                 std::pair{&tokens, "token ids"}})
    if (flag->getNumOccurrences() && flag->empty()) {
      llvm::errs() << "attn-runner: error: --" << flag->ArgStr
                   << "= needs a value: " << expected << "\n";
      return 1;
    }

  mlir::attn::runner::RunnerOptions options;
  options.inputFile = inputFile;
  options.entry = entry;
  options.target = target;
  options.check = check;
  options.seed = seed;
  options.inputs = inputs;
  options.output = output;
  options.weights = weights;
  options.tokens = tokens;
  if (qTile.getNumOccurrences())
    options.qTile = qTile;
  if (kvTile.getNumOccurrences())
    options.kvTile = kvTile;
  if (threads.getNumOccurrences())
    options.threads = threads;
  options.schedule = schedule;
  options.kvSplits = kvSplits;
  options.kvStages = kvStages;
  options.kvWarps = kvWarps;
  options.kvPairWarps = kvPairWarps;
  options.smCount = smCount;
  options.tma = tma;
  options.pInShared = pInShared;
  options.itemOverlap = itemOverlap;
  options.tailSplit = tailSplit;
  options.tmaStore = tmaStore;
  options.planItems = planItems;
  options.steps = steps;
  options.repeatRuns = repeat;
  options.gpuFormat = gpuFormat;
  options.cudaPath = cudaPath;
  options.matmul = matmul;
  options.benchmarkRuns = benchmark;
  options.warmupRuns = warmup;
  options.holdMicroseconds = benchmarkHold;
  options.dependentLaunch = dependentLaunch;
  options.peakTflops = peakTflops;
  options.peakGbps = peakGbps;

  if (llvm::Error err =
          mlir::attn::runner::runAttnRunner(options, llvm::outs())) {
    llvm::outs().flush();
    llvm::errs() << "attn-runner: error: " << llvm::toString(std::move(err))
                 << "\n";
    return 1;
  }
  return 0;
}
