//===- Runner.h - attn-runner: parse, lower, JIT, run, check ----*- C++ -*-===//
//
// The library behind the attn-runner tool: it runs one entry function of a
// module on a CUDA GPU or on the CPU through the MLIR ExecutionEngine, with
// random or .npy inputs, optionally checks each attention result against a
// float64 reference, and optionally benchmarks it. Kept out of the tool's main
// so that it can be reused and so that the tool stays a thin command-line
// layer.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_RUNNER_H
#define ATTN_RUNNER_RUNNER_H

#include "attn/Runner/Benchmark.h"
#include "attn/Runner/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>

#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class DialectRegistry;
class ExecutionEngine;
namespace func {
class FuncOp;
} // namespace func

namespace attn::runner {

struct RunnerOptions {
  /// The module to run; "-" reads stdin.
  std::string inputFile = "-";
  /// The function to run; empty picks the only public func.func.
  std::string entry;
  /// "cpu" or "cuda"; empty picks cuda when a CUDA device is usable.
  std::string target;
  bool check = false;
  uint64_t seed = 0;
  /// "ARGINDEX=path.npy" items, or "ARGINDEX=integer" for scalars.
  std::vector<std::string> inputs;
  /// A model directory whose safetensors tensors the arguments carrying
  /// `attn.weight` take; empty binds none.
  std::string weights;
  /// Comma-separated token ids for the one i64 tensor argument that no
  /// --input gives; empty binds none.
  std::string tokens;
  /// Where to write the result as .npy; empty writes nothing. An entry
  /// with several results writes result i to this path with ".i" inserted
  /// before its ".npy" (outputPath).
  std::string output;
  /// Tile sizes; unset takes the target's pipeline default (as does an
  /// unset `threads`): the pipelines' options hold every default.
  std::optional<int64_t> qTile, kvTile;
  /// GPU: kernel schedule (one of kScheduleNames), threads per block of the
  /// scalar schedule, blocks per (batch, KV head) of the decode schedules
  /// (0 picks them for the device), binary format and CUDA toolkit of
  /// libdevice. smCount sizes the persistent and split-KV grids (0: the
  /// device's own); fewer than the device has gives each block more work,
  /// which is how tests reach the multi-item paths at small sizes.
  std::string schedule = "auto";
  std::optional<int64_t> threads;
  int64_t kvSplits = 0;
  int64_t kvStages = 0;
  /// GPU: the decode schedule's warps a block (kv-warps; 0: its default).
  int64_t kvWarps = 0;
  /// GPU: the decode schedule's paired warps (kv-pair-warps).
  bool kvPairWarps = false;
  int64_t smCount = 0;
  /// GPU: the sm90 schedule copies its tiles with TMA; its P·V reads P from
  /// shared memory; its persistent grid overlaps items (two Q buffers) and
  /// splits a last round at most half full over the keys.
  bool tma = false;
  bool pInShared = false;
  bool itemOverlap = false;
  bool tailSplit = false;
  /// GPU: the sm90 schedule's overlapped items store their output with TMA.
  bool tmaStore = false;
  /// GPU: where the sm90 schedule's persistent grid takes causal items in
  /// a planned order: auto, always or never.
  std::string planItems = "auto";
  std::string gpuFormat = "isa";
  std::string cudaPath;
  /// GPU: a model graph's projections, "warp" kernels or "cublas" calls.
  std::string matmul = "warp";
  /// Calls of an entry that takes and returns KV caches, each fed the
  /// caches the previous one returned, with its integer arguments one
  /// larger (decode positions); 1 is a single call.
  unsigned steps = 1;
  /// Checked calls made on the same inputs, each of whose results must
  /// equal the first call's bit for bit (a determinism test); 1 makes one.
  unsigned repeatRuns = 1;
  /// Timed runs after the checked one; 0 runs no benchmark.
  unsigned benchmarkRuns = 0;
  unsigned warmupRuns = 3;
  /// GPU: microseconds each timed call's stream spins before its first
  /// kernel, so that the kernels' spans hold no host launch time
  /// (cuda::setLaunchHold); 0 spins not at all.
  double holdMicroseconds = 0;
  /// GPU: a split decode's combine kernel is launched as a programmatic
  /// dependent of its attention kernel (cuda::setDependentLaunch).
  bool dependentLaunch = true;
  /// Device peaks for the benchmark's floor; 0 takes the device's own
  /// (devicePeaks).
  double peakTflops = 0, peakGbps = 0;
};

/// One argument of the entry: a tensor, or a 64-bit integer (`index` or
/// `i64`, such as a KV cache position) given on the command line.
struct EntryArgument {
  std::optional<HostTensor> tensor;
  int64_t scalar = 0;
};

/// How --steps feeds one call's KV caches to the next: each returned cache
/// tensor (a result index) is the next call's argument (an argument index)
/// of the same type. Set by the runner from the entry's signature.
struct StepPlan {
  SmallVector<std::pair<unsigned, unsigned>> feed;
  /// The arguments that are KV cache tensors.
  SmallVector<unsigned> cacheArgs;
};

/// What one target reports of its runs.
struct RunReport {
  /// How the entry ran, for the summary's "target:" line.
  std::string target;
  /// Wall time of lowering and loading the entry, and where it went.
  double loadMs = 0;
  std::string compile;
  /// Wall time of the first (checked) call.
  double firstCallMs = 0;
  /// What the benchmark timed, and one time per timed run.
  std::string benchmarkWhat;
  std::vector<double> benchmarkMs;
  /// The peaks of the device the entry ran on (none for the CPU).
  std::optional<DevicePeaks> peaks;
  /// Wall time of the --steps calls after the first, all together.
  double stepsMs = 0;
  /// Calls whose results were all the first call's, bit for bit (--repeat).
  unsigned identicalRuns = 0;
};

/// Registers every dialect, bufferization model and LLVM IR translation the
/// runner needs to parse and lower its input.
void registerRunnerDialects(DialectRegistry &registry);

/// Runs the entry as `options` say and prints a summary (and the check line)
/// to `os`. Every failure, including a failed check, comes back as an error.
llvm::Error runAttnRunner(const RunnerOptions &options, llvm::raw_ostream &os);

/// The file --output=`output` names for result `index` of `numResults`:
/// `output` itself for one result; for several, `output` with ".<index>"
/// inserted before a trailing ".npy" (out.npy -> out.0.npy, out.1.npy), or
/// appended where there is none (out -> out.0, out.1).
std::string outputPath(llvm::StringRef output, unsigned index,
                       unsigned numResults);

/// JIT-compiles a module lowered to the LLVM dialect at -O3. `symbols`, if
/// given, resolves functions the module calls but does not define.
llvm::Expected<std::unique_ptr<ExecutionEngine>> createEngine(
    ModuleOp module,
    llvm::function_ref<llvm::orc::SymbolMap(llvm::orc::MangleAndInterner)>
        symbols = nullptr);

/// A memref descriptor as the C interface lays it out for any rank:
/// allocated and aligned pointers, offset, sizes[rank], strides[rank], for a
/// dense row-major buffer.
std::vector<int64_t> denseDescriptor(void *data, llvm::ArrayRef<int64_t> shape);

/// Calls `_mlir_ciface_<name>` with the address of each C-interface
/// argument: of the descriptor pointer for a memref, of the value for an
/// integer.
llvm::Error invokeCInterface(ExecutionEngine &engine, llvm::StringRef name,
                             llvm::ArrayRef<void *> addresses);

} // namespace attn::runner
} // namespace mlir

#endif // ATTN_RUNNER_RUNNER_H
