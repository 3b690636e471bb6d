//===- Target.cpp - attn-runner: the one driver of every target -----------===//
//
// The calls the runner makes, in order, whatever the target: the checked
// call (timed by wall clock, compilation excluded), the --steps calls, and
// the warm-up and benchmark calls, which the target times.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/Target.h"
#include "attn/Runtime/CudaRuntime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

double runner::millisecondsSince(
    std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

llvm::Expected<std::unique_ptr<Target>>
runner::createTarget(const RunnerOptions &options) {
  std::string name = options.target;
  if (name.empty())
    name = cuda::isAvailable() ? "cuda" : "cpu";
  if (name == "cpu")
    return createCPUTarget(options);
  if (name == "cuda")
    return createGPUTarget(options);
  return error("unknown target '" + options.target + "'; expected cpu or cuda");
}

/// Makes `runs - 1` more checked calls and fails at the first whose results
/// differ in any bit from those in `results` (the first call's).
static llvm::Error repeatCalls(Target &target,
                               llvm::MutableArrayRef<HostTensor> results,
                               unsigned runs) {
  std::vector<HostTensor> first(results.begin(), results.end());
  for (unsigned run = 1; run < runs; ++run) {
    // Poisoned again, so that an element a later call leaves unwritten
    // (where the CPU writes in place) cannot pass as the first call's.
    for (HostTensor &result : results)
      result.fill(std::nan(""));
    if (llvm::Error err = target.callChecked())
      return err;
    if (llvm::Error err = target.fetchResults())
      return err;
    for (auto [i, result] : llvm::enumerate(results)) {
      const HostTensor &want = first[i];
      if (std::memcmp(want.data(), result.data(), want.byteSize()) == 0)
        continue;
      size_t width = elementSize(want.type());
      int64_t differ = 0, firstAt = -1;
      for (int64_t e = 0; e < want.size(); ++e) {
        const char *a = static_cast<const char *>(want.data()) + e * width;
        const char *b = static_cast<const char *>(result.data()) + e * width;
        if (std::memcmp(a, b, width) != 0 && differ++ == 0)
          firstAt = e;
      }
      return error(llvm::formatv(
          "--repeat: call {0} of {1} gave result {2} other bits than the "
          "first call in {3} of {4} elements (the first at flat index {5}: "
          "{6:e} then {7:e}): the entry is not deterministic, or it changes "
          "an input it reads (such as a cache it writes in place)",
          run + 1, runs, i, differ, want.size(), firstAt, want.get(firstAt),
          result.get(firstAt)));
    }
  }
  // The results are the first call's.
  return llvm::Error::success();
}

llvm::Expected<RunReport>
runner::runOnTarget(Target &target, ModuleOp module, func::FuncOp entry,
                    std::vector<EntryArgument> &inputs,
                    llvm::MutableArrayRef<HostTensor> results,
                    const RunnerOptions &options, const StepPlan &plan) {
  auto start = std::chrono::steady_clock::now();
  if (llvm::Error err = target.load(module, entry, inputs, results))
    return std::move(err);
  RunReport report;
  report.loadMs = millisecondsSince(start);
  report.compile = target.describeCompile();
  report.target = target.describe();
  report.peaks = target.peaks();

  start = std::chrono::steady_clock::now();
  if (llvm::Error err = target.callChecked())
    return std::move(err);
  report.firstCallMs = millisecondsSince(start);

  if (options.steps > 1) {
    start = std::chrono::steady_clock::now();
    for (unsigned step = 1; step < options.steps; ++step)
      if (llvm::Error err = target.step(plan))
        return std::move(err);
    report.stepsMs = millisecondsSince(start);
  }
  if (llvm::Error err = target.fetchResults())
    return std::move(err);
  if (llvm::Error err = repeatCalls(target, results, options.repeatRuns))
    return std::move(err);
  report.identicalRuns = options.repeatRuns;

  if (options.benchmarkRuns == 0)
    return report;
  if (llvm::Error err = target.startTiming())
    return std::move(err);
  // The runs are counted on from the warm-up: a target rotating its inputs
  // then gives the first timed run the set after the last warm-up's, not
  // the one still in the cache.
  for (unsigned i = 0; i < options.warmupRuns; ++i)
    if (auto ms = target.timedCall(i); !ms)
      return ms.takeError();
  for (unsigned i = 0; i < options.benchmarkRuns; ++i) {
    auto ms = target.timedCall(options.warmupRuns + i);
    if (!ms)
      return ms.takeError();
    report.benchmarkMs.push_back(*ms);
  }
  report.benchmarkWhat = target.timingWhat();
  return report;
}
