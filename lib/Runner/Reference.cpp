//===- Reference.cpp - attention references and the error criterion -------===//
//
// Both references are one straightforward loop nest over (batch, query head,
// query row), templated on the accumulation type and a rounding step: double
// with no rounding gives the exact reference, float rounding to the element
// type after each stage gives the naive low-precision one. They implement the
// semantics of attn.attention literally (head grouping, bottom-right causal
// alignment, one-sided sliding window, additive broadcast mask, zeros for a
// fully masked row) and share nothing with the compiled kernel.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/Reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

/// Offset of element [b, s, h, d] of a tensor with the given extents, in the
/// problem's layout.
static int64_t offset(const AttentionProblem &p, int64_t seq, int64_t heads,
                      int64_t dim, int64_t b, int64_t s, int64_t h, int64_t d) {
  if (p.bhsd)
    return ((b * heads + h) * seq + s) * dim + d;
  return ((b * seq + s) * heads + h) * dim + d;
}

/// `t` widened to Acc in [b][h][s][d] order, so the inner products below walk
/// contiguous memory whatever the layout.
template <typename Acc>
static std::vector<Acc> canonical(const AttentionProblem &p,
                                  const HostTensor &t, int64_t seq,
                                  int64_t heads, int64_t dim) {
  std::vector<Acc> out(p.batch * heads * seq * dim);
  size_t n = 0;
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t s = 0; s < seq; ++s)
        for (int64_t d = 0; d < dim; ++d)
          out[n++] = Acc(t.get(offset(p, seq, heads, dim, b, s, h, d)));
  return out;
}

template <typename Acc, typename Round>
static std::vector<double> attention(const AttentionProblem &p,
                                     const AttentionOperands &in, Round round) {
  const Acc inf = std::numeric_limits<Acc>::infinity();
  auto q = canonical<Acc>(p, in.query, p.seqQ, p.headsQ, p.headDim);
  auto k = canonical<Acc>(p, in.key, p.seqK, p.headsKV, p.headDim);
  auto v = canonical<Acc>(p, in.value, p.seqK, p.headsKV, p.valueDim);
  std::vector<double> out(p.batch * p.seqQ * p.headsQ * p.valueDim);
  std::vector<Acc> score(p.seqK), acc(p.valueDim);
  std::vector<char> visible(p.seqK);
  const int64_t group = p.headsQ / p.headsKV;
  const Acc scale = Acc(p.scale);

  for (int64_t b = 0; b < p.batch; ++b) {
    // This sequence's key length: its keys past it are never seen, and the
    // causal diagonal aligns to it.
    const int64_t seqK =
        p.kvLengths.empty()
            ? p.seqK
            : std::clamp<int64_t>(p.kvLengths[b], 0, p.seqK);
    for (int64_t h = 0; h < p.headsQ; ++h) {
      const int64_t kvHead = h / group;
      // data() + offset, not &k[offset]: with no keys the vectors are empty.
      const Acc *kBase =
          k.data() + (b * p.headsKV + kvHead) * p.seqK * p.headDim;
      const Acc *vBase =
          v.data() + (b * p.headsKV + kvHead) * p.seqK * p.valueDim;
      for (int64_t i = 0; i < p.seqQ; ++i) {
        const Acc *qRow = &q[((b * p.headsQ + h) * p.seqQ + i) * p.headDim];
        Acc rowMax = -inf;
        bool any = false;
        for (int64_t j = 0; j < p.seqK; ++j) {
          // How far key j lies behind query i's (bottom-right) diagonal.
          int64_t behind = i + (seqK - p.seqQ) - j;
          visible[j] = j < seqK && (!p.causal || behind >= 0) &&
                       (!p.window || behind < *p.window);
          if (!visible[j])
            continue;
          Acc dot = 0;
          for (int64_t d = 0; d < p.headDim; ++d)
            dot += qRow[d] * kBase[j * p.headDim + d];
          Acc s = dot * scale;
          if (in.mask) {
            int64_t mb = p.maskBatch == 1 ? 0 : b;
            int64_t mh = p.maskHeads == 1 ? 0 : h;
            s += Acc(in.mask->get(
                ((mb * p.maskHeads + mh) * p.seqQ + i) * p.seqK + j));
          }
          s = round(s);
          // A -inf mask entry hides the key like causal masking does.
          visible[j] = s != -inf;
          if (!visible[j])
            continue;
          score[j] = s;
          rowMax = any ? std::max(rowMax, s) : s;
          any = true;
        }

        std::fill(acc.begin(), acc.end(), Acc(0));
        if (any) {
          Acc sum = 0;
          for (int64_t j = 0; j < p.seqK; ++j) {
            if (!visible[j])
              continue;
            score[j] = std::exp(score[j] - rowMax);
            sum += score[j];
          }
          for (int64_t j = 0; j < p.seqK; ++j) {
            if (!visible[j])
              continue;
            Acc prob = round(score[j] / sum);
            for (int64_t d = 0; d < p.valueDim; ++d)
              acc[d] += prob * vBase[j * p.valueDim + d];
          }
        }
        for (int64_t d = 0; d < p.valueDim; ++d)
          out[offset(p, p.seqQ, p.headsQ, p.valueDim, b, i, h, d)] =
              double(round(acc[d]));
      }
    }
  }
  return out;
}

std::vector<double> runner::referenceAttention(const AttentionProblem &p,
                                               const AttentionOperands &in) {
  return attention<double>(p, in, [](double x) { return x; });
}

std::vector<double> runner::naiveAttention(const AttentionProblem &p,
                                           const AttentionOperands &in) {
  if (p.type == ElementType::F64)
    return attention<double>(p, in, [](double x) { return x; });
  ElementType type = p.type;
  return attention<float>(p, in,
                          [type](float x) { return roundFloatTo(type, x); });
}

void runner::quantizeDequantize(std::vector<double> &row, ElementType storage,
                                ElementType scaleType) {
  const float qmax = storage == ElementType::I8 ? 127.0f : 448.0f;
  // In f32 throughout, as the append computes it (an f64 element is
  // narrowed to f32 first); a NaN element makes the maximum NaN, as
  // arith.maximumf does.
  float absMax = 0;
  for (double x : row) {
    float a = std::abs(float(x));
    absMax = std::isnan(a) || a > absMax ? a : absMax;
  }
  float scale = roundFloatTo(scaleType, absMax / qmax);
  if (scale == 0)
    scale = 1;
  for (double &x : row) {
    float q = std::clamp(float(x) / scale, -qmax, qmax);
    // nearbyint rounds to nearest even in the default rounding mode.
    double code = storage == ElementType::I8
                      ? double(std::nearbyint(q))
                      : roundTo(ElementType::F8E4M3FN, q);
    x = code * double(scale);
  }
}

double runner::errorFloor(ElementType type) {
  // Results are convex combinations of value rows, which the runner draws
  // from N(0, 1), so they are O(1). The floor covers the cases where the
  // naive computation is exact or rounds luckily (one visible key, tiny
  // problems) while the kernel, summing in another order, is a rounding or
  // two away: one ulp at 1.0 for the 16-bit types; 64 ulps at 1.0 for f32,
  // which also absorbs the reordered sums over head_dim and over up to a
  // thousand keys; and the same 2^-40 margin in spirit for f64.
  switch (type) {
  case ElementType::F16:
    return 0x1p-10;
  case ElementType::BF16:
    return 0x1p-7;
  case ElementType::F32:
    return 0x1p-17;
  case ElementType::F64:
    return 0x1p-40;
  case ElementType::I64:
  case ElementType::I8:
  case ElementType::F8E4M3FN:
    // Ids and codes are exact; attention never has these types.
    return 0;
  }
  return 0;
}

CheckResult runner::checkAttention(const HostTensor &out,
                                   const std::vector<double> &ref64,
                                   const std::vector<double> &naive,
                                   ElementType type) {
  CheckResult r{0, 0, 0, 0, 0, false};
  double refMax = 0;
  bool nonFinite = false;
  for (int64_t i = 0, e = out.size(); i < e; ++i) {
    double o = out.get(i);
    if (std::isnan(o)) {
      ++r.nanCount;
      continue;
    }
    double err = std::abs(o - ref64[i]);
    double naiveErr = std::abs(naive[i] - ref64[i]);
    // A NaN difference (e.g. a NaN reference) must not vanish in std::max.
    nonFinite |= !std::isfinite(err) || !std::isfinite(naiveErr);
    r.maxAbsErr = std::max(r.maxAbsErr, err);
    r.naiveErr = std::max(r.naiveErr, naiveErr);
    refMax = std::max(refMax, std::abs(ref64[i]));
  }
  r.relErr = refMax > 0 ? r.maxAbsErr / refMax : r.maxAbsErr;
  r.bound = 2 * r.naiveErr + errorFloor(type);
  r.pass = r.nanCount == 0 && !nonFinite && r.maxAbsErr <= r.bound;
  return r;
}
