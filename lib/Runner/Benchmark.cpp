//===- Benchmark.cpp - attn-runner --benchmark: cost model, report --------===//
//
// The FLOPs count only the score entries causal and window masking leave
// visible, so that a causal kernel is not credited with work it may skip.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/Benchmark.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir::attn::runner;

/// Keys query row i sees: those j with (causal) j <= i + Sk - Sq and
/// (window) j > i + Sk - Sq - window, clipped to [0, Sk); the same
/// bottom-right alignment as the op and the reference.
static int64_t visibleKeys(const AttentionProblem &p, int64_t i) {
  int64_t diagonal = i + p.seqK - p.seqQ;
  int64_t end = p.causal ? std::min(p.seqK, diagonal + 1) : p.seqK;
  int64_t begin = p.window ? std::max<int64_t>(0, diagonal - *p.window + 1) : 0;
  return std::max<int64_t>(0, end - begin);
}

AttentionCost mlir::attn::runner::attentionCost(const AttentionProblem &p) {
  double entries = 0;
  for (int64_t i = 0; i < p.seqQ; ++i)
    entries += double(visibleKeys(p, i));
  entries *= double(p.batch) * double(p.headsQ);
  double flops = entries * 2.0 * double(p.headDim + p.valueDim);
  double elt = elementSize(p.type);
  double elements = double(p.batch) * p.headsQ * p.seqQ * p.headDim +
                    double(p.batch) * p.headsKV * p.seqK * p.headDim +
                    double(p.batch) * p.headsKV * p.seqK * p.valueDim +
                    double(p.batch) * p.headsQ * p.seqQ * p.valueDim;
  double bytes = elements * elt;
  if (p.maskBatch)
    bytes += double(p.maskBatch) * p.maskHeads * p.seqQ * p.seqK *
             elementSize(p.maskType);
  return {flops, bytes};
}

void mlir::attn::runner::printBenchmark(
    llvm::raw_ostream &os, llvm::StringRef what,
    std::vector<double> milliseconds, const std::optional<AttentionCost> &cost,
    const std::optional<DevicePeaks> &peaks) {
  if (milliseconds.empty())
    return;
  std::sort(milliseconds.begin(), milliseconds.end());
  size_t n = milliseconds.size();
  double median = n % 2 ? milliseconds[n / 2]
                        : 0.5 * (milliseconds[n / 2 - 1] + milliseconds[n / 2]);
  os << llvm::format(
      "benchmark: %s: median %.4f ms, min %.4f ms over %zu runs\n",
      what.str().c_str(), median, milliseconds.front(), n);
  if (!cost)
    return;
  double seconds = median * 1e-3;
  os << llvm::format("benchmark: %.4g GFLOP, %.4g MB moved at least: "
                     "%.4g TFLOP/s, %.4g GB/s at the median\n",
                     cost->flops * 1e-9, cost->bytes * 1e-6,
                     cost->flops / seconds * 1e-12,
                     cost->bytes / seconds * 1e-9);
  if (!peaks)
    return;
  double floorMs = std::max(cost->flops / (peaks->tflops * 1e12),
                            cost->bytes / (peaks->gbps * 1e9)) *
                   1e3;
  os << llvm::format("benchmark: floor %.4f ms at %.0f TFLOP/s and %.0f GB/s "
                     "(%s); the median is %.1fx the floor\n",
                     floorMs, peaks->tflops, peaks->gbps,
                     peaks->source.c_str(), median / floorMs);
}

DevicePeaks mlir::attn::runner::devicePeaks(llvm::StringRef name,
                                            int computeMajor, int computeMinor,
                                            int multiprocessors, int clockKHz,
                                            int memoryClockKHz,
                                            int memoryBusBits) {
  // bf16 8192^3 matmul and 1 GiB device-to-device copy (bytes read plus
  // written), bench/ceilings.py on each device.
  if (name.contains("H200"))
    return {790, 4265, "measured on an H200 by bench/ceilings.py"};
  if (name.contains("H100") && name.contains("HBM3"))
    return {788, 2982, "measured on an H100 SXM by bench/ceilings.py"};
  // Dense bf16 FLOP per clock and SM: 4096 on Hopper and Blackwell, 2048
  // on the A100, 1024 on the other Ampere and Ada parts.
  double flopPerClock = computeMajor >= 9                         ? 4096
                        : computeMajor == 8 && computeMinor == 0 ? 2048
                                                                 : 1024;
  double tflops = flopPerClock * multiprocessors * clockKHz * 1e3 * 1e-12;
  double gbps = 2.0 * memoryClockKHz * 1e3 * memoryBusBits / 8 * 1e-9;
  return {tflops, gbps, "data-sheet arithmetic from the driver's clocks"};
}
