//===- Benchmark.h - attn-runner --benchmark: cost and report ---*- C++ -*-===//
//
// The work an attention must do (FLOPs and the bytes it must move at
// least), the floor those set on a device with a given peak, and the
// report of measured times against that floor.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_BENCHMARK_H
#define ATTN_RUNNER_BENCHMARK_H

#include "attn/Runner/Reference.h"

#include <optional>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::attn::runner {

struct AttentionCost {
  /// 2·D FLOPs (D multiply-adds) for Q·Kᵀ plus 2·Dv for P·V, per visible
  /// score entry;
  /// entries hidden by causal or window masking are not counted (a mask
  /// operand hides nothing statically, so its entries all count).
  double flops;
  /// Q, K, V and the mask read once, the result written once.
  double bytes;
};

AttentionCost attentionCost(const AttentionProblem &p);

/// The device peaks the floor is computed from.
struct DevicePeaks {
  double tflops;
  double gbps;
};

/// Prints median and minimum of `milliseconds`; with a cost, the achieved
/// TFLOP/s and GB/s at the median; and with peaks too, the floor
/// max(flops / peak, bytes / bandwidth).
void printBenchmark(llvm::raw_ostream &os, llvm::StringRef what,
                    std::vector<double> milliseconds,
                    const std::optional<AttentionCost> &cost,
                    const std::optional<DevicePeaks> &peaks);

} // namespace mlir::attn::runner

#endif // ATTN_RUNNER_BENCHMARK_H
