//===- Runner.h - attn-runner: parse, lower, JIT, run, check ----*- C++ -*-===//
//
// The library behind the attn-runner tool: it runs one entry function of a
// module on the CPU through the MLIR ExecutionEngine, with random or .npy
// inputs, and optionally checks an attention result against a float64
// reference. Kept out of the tool's main so that it can be reused and so that
// the tool stays a thin command-line layer.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_RUNNER_H
#define ATTN_RUNNER_RUNNER_H

#include "attn/Runner/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class DialectRegistry;
namespace func {
class FuncOp;
} // namespace func

namespace attn::runner {

struct RunnerOptions {
  /// The module to run; "-" reads stdin.
  std::string inputFile = "-";
  /// The function to run; empty picks the only public func.func.
  std::string entry;
  std::string target = "cpu";
  bool check = false;
  uint64_t seed = 0;
  /// "ARGINDEX=path.npy" items.
  std::vector<std::string> inputs;
  /// Where to write the result as .npy; empty writes nothing.
  std::string output;
  int64_t qTile = 64;
  int64_t kvTile = 64;
};

/// Registers every dialect, bufferization model and LLVM IR translation the
/// runner needs to parse and lower its input.
void registerRunnerDialects(DialectRegistry &registry);

/// Runs the entry as `options` say and prints a summary (and the check line)
/// to `os`. Every failure, including a failed check, comes back as an error.
llvm::Error runAttnRunner(const RunnerOptions &options, llvm::raw_ostream &os);

/// Result of lowering the entry: how the compiled code takes its result.
struct LoweredEntry {
  /// Position of the result's out-parameter in the C interface.
  unsigned outParam;
  /// True when the result's allocation was hoisted into the caller, so the
  /// kernel writes straight into the caller's buffer; false when it writes a
  /// temporary and copies it there.
  bool inPlace;
};

/// Lowers `module` to the LLVM dialect for the CPU, with `entry` taking its
/// result as an out-parameter through an `_mlir_ciface_` wrapper.
llvm::Expected<LoweredEntry> lowerForCPU(ModuleOp module, func::FuncOp entry,
                                         unsigned numInputs,
                                         const RunnerOptions &options);

/// JIT-compiles the lowered `module` at -O3 and calls `entryName` once with
/// `inputs` and `result`; returns the seconds the call took.
llvm::Expected<double> jitAndRun(ModuleOp module, llvm::StringRef entryName,
                                 const LoweredEntry &lowered,
                                 std::vector<HostTensor> &inputs,
                                 HostTensor &result);

} // namespace attn::runner
} // namespace mlir

#endif // ATTN_RUNNER_RUNNER_H
