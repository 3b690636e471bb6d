//===- Target.h - attn-runner: where an entry runs --------------*- C++ -*-===//
//
// A target lowers the entry and loads it (the CPU through the JIT, a CUDA
// GPU through attn-to-nvvm-pipeline and the GPU runtime) and then makes the
// calls the runner asks for. The runner has one driver for every target
// (runOnTarget): the checked call and its --repeat calls, the --steps
// calls, and the warm-up and timed benchmark calls; a target only says how
// a call is made and timed.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_TARGET_H
#define ATTN_RUNNER_TARGET_H

#include "attn/Runner/Runner.h"

#include <chrono>

namespace mlir::attn::runner {

class Target {
public:
  virtual ~Target() = default;

  /// Lowers `entry` of `module` (in place) and loads it. `inputs` are the
  /// entry's arguments and `results` one host tensor per result, which
  /// every call below fills; both outlive the target.
  virtual llvm::Error load(ModuleOp module, func::FuncOp entry,
                           std::vector<EntryArgument> &inputs,
                           llvm::MutableArrayRef<HostTensor> results) = 0;

  /// How the entry runs, for the summary's "target:" line; after load.
  virtual std::string describe() const = 0;
  /// Where load()'s time went, for the summary's "compile:" line (empty
  /// where the target does not break it down); after load.
  virtual std::string describeCompile() const { return ""; }

  /// The checked call. The results were poisoned with NaN by the caller,
  /// and a target poisons its own allocations too, so that an element no
  /// kernel writes shows.
  virtual llvm::Error callChecked() = 0;

  /// One --steps call after the previous one: the caches it returned are
  /// this call's arguments as `plan` says, and every integer argument is
  /// one larger.
  virtual llvm::Error step(const StepPlan &plan) = 0;

  /// Puts the last call's results into `results` (a GPU copies them back;
  /// the CPU's calls write them in place). Not timed.
  virtual llvm::Error fetchResults() { return llvm::Error::success(); }

  /// Readies the benchmark (a GPU makes rotating copies of the inputs).
  virtual llvm::Error startTiming() { return llvm::Error::success(); }
  /// One benchmark call, the `run`-th (the warm-up runs first, the timed
  /// ones counted on from them); its time in milliseconds.
  virtual llvm::Expected<double> timedCall(unsigned run) = 0;
  /// What timedCall times, for the benchmark line.
  virtual std::string timingWhat() const = 0;

  /// The device's peaks for the benchmark's floor; none for the CPU.
  virtual std::optional<DevicePeaks> peaks() const { return std::nullopt; }
};

/// The CPU: the entry's results become out-parameters, so that the runner
/// owns their buffers; timed by wall clock.
std::unique_ptr<Target> createCPUTarget(const RunnerOptions &options);

/// A CUDA GPU: inputs copied to the device, results allocated there by the
/// compiled code and copied back; timed by CUDA events from a call's first
/// kernel's start to its last kernel's end.
std::unique_ptr<Target> createGPUTarget(const RunnerOptions &options);

/// The target `options.target` names ("cpu" or "cuda"), or for none cuda
/// where a CUDA device is usable and the CPU otherwise.
llvm::Expected<std::unique_ptr<Target>>
createTarget(const RunnerOptions &options);

/// Wall-clock milliseconds since `start`, for the targets' timings.
double millisecondsSince(std::chrono::steady_clock::time_point start);

/// Loads the entry on `target`, makes the checked call, the --steps calls
/// and the benchmark calls, and reports their times.
llvm::Expected<RunReport> runOnTarget(Target &target, ModuleOp module,
                                      func::FuncOp entry,
                                      std::vector<EntryArgument> &inputs,
                                      llvm::MutableArrayRef<HostTensor> results,
                                      const RunnerOptions &options,
                                      const StepPlan &plan);

} // namespace mlir::attn::runner

#endif // ATTN_RUNNER_TARGET_H
