//===- Reference.h - attention references, error criterion ------*- C++ -*-===//
//
// What `attn-runner --check` compares a compiled attention against: the exact
// result computed in float64, and a naive computation in the element type's
// own precision whose error against float64 calibrates how much error an
// honest low-precision kernel may show.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_REFERENCE_H
#define ATTN_RUNNER_REFERENCE_H

#include "attn/Runner/HostTensor.h"

#include <optional>
#include <vector>

namespace mlir::attn::runner {

/// Shapes and attributes of one attn.attention, in the op's semantics.
struct AttentionProblem {
  int64_t batch, seqQ, seqK, headsQ, headsKV, headDim, valueDim;
  bool bhsd = false;
  double scale;
  bool causal = false;
  std::optional<int64_t> window;
  /// Mask extents along batch and heads (each 1 or full), if there is one.
  int64_t maskBatch = 0, maskHeads = 0;
  /// The mask's own element type.
  ElementType maskType = ElementType::F32;
  /// The element type of query, key, value and result.
  ElementType type;
  /// Per-sequence key lengths (kv_lengths), one per batch row, each clamped
  /// into [0, seqK] as the op clamps them; empty when all rows see seqK.
  std::vector<int64_t> kvLengths;
};

struct AttentionOperands {
  const HostTensor &query, &key, &value;
  const HostTensor *mask;
};

/// The attention computed in double, one value per result element in the
/// result's row-major order.
std::vector<double> referenceAttention(const AttentionProblem &p,
                                       const AttentionOperands &in);

/// The attention computed naively in low precision: scores accumulated in
/// f32 and rounded to the element type, softmax in f32 rounded to the element
/// type, P.V accumulated in f32 and rounded (f64 throughout for f64).
std::vector<double> naiveAttention(const AttentionProblem &p,
                                   const AttentionOperands &in);

/// Quantizes one token's KV head `row` the way a quantized KV cache's
/// append does (attn-lower-kv-cache: scale = max |x| / QMAX in f32,
/// rounded to `scaleType`, 1 where that is 0; code = clamp(x / scale,
/// -QMAX, QMAX) in f32, rounded to nearest even in `storage`, i8 or
/// f8E4M3FN), and replaces each element with what attention reads:
/// code * scale, exact in double.
void quantizeDequantize(std::vector<double> &row, ElementType storage,
                        ElementType scaleType);

/// The absolute slack allowed on top of twice the naive error, per type.
double errorFloor(ElementType type);

struct CheckResult {
  double maxAbsErr, naiveErr, relErr, bound;
  int64_t nanCount;
  bool pass;
};

/// Compares `out` with the references: PASS iff it holds no NaN and
/// max|out - ref64| <= 2 * max|naive - ref64| + errorFloor(type).
CheckResult checkAttention(const HostTensor &out,
                           const std::vector<double> &ref64,
                           const std::vector<double> &naive, ElementType type);

} // namespace mlir::attn::runner

#endif // ATTN_RUNNER_REFERENCE_H
