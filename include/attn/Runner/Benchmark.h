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
#include <string>
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
  /// Where the figures come from, for the benchmark's floor line.
  std::string source;
};

/// The peaks of a GPU the driver describes: bench/ceilings.py's
/// measurements where the device is one they were taken on (H100 SXM,
/// H200), else the data-sheet arithmetic from the driver's SM count, clocks
/// and memory bus (dense bf16 tensor-core FLOP per clock and SM by compute
/// capability; two transfers per memory clock), which overstates what a
/// kernel can reach.
DevicePeaks devicePeaks(llvm::StringRef name, int computeMajor,
                        int computeMinor, int multiprocessors, int clockKHz,
                        int memoryClockKHz, int memoryBusBits);

/// Prints median and minimum of `milliseconds`; with a cost, the achieved
/// TFLOP/s and GB/s at the median; and with peaks too, the floor
/// max(flops / peak, bytes / bandwidth).
void printBenchmark(llvm::raw_ostream &os, llvm::StringRef what,
                    std::vector<double> milliseconds,
                    const std::optional<AttentionCost> &cost,
                    const std::optional<DevicePeaks> &peaks);

} // namespace mlir::attn::runner

#endif // ATTN_RUNNER_BENCHMARK_H
