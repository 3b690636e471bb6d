//===- MmaSyncBuilder.h - warp-level mma.sync building blocks ----*- C++ -*-===//
//
// What the mma.sync kernels (Sm80Flash.cpp, DecodeKernel.h) share: index
// and f32 arithmetic on an ImplicitLocOpBuilder, ldmatrix fragments, the
// m16n8k16 product, quad reductions of accumulator rows and 16-byte
// cp.async copies. Each kernel class derives from it and keeps only its own
// schedule.
//
// Fragment layouts are those of the PTX ISA for m16n8k16: thread t of a warp
// holds, of an m16n8 accumulator, elements (t/4, 2(t%4) + {0,1}) in c0, c1
// and the same columns of row t/4 + 8 in c2, c3.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_MMASYNCBUILDER_H
#define LIB_CONVERSION_ATTNTOGPU_MMASYNCBUILDER_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/FlashBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <array>
#include <optional>
#include <string>

namespace mlir::attn {

/// An m16n8 accumulator fragment: c0, c1 (row g) and c2, c3 (row g + 8).
using Acc = std::array<Value, 4>;
/// A fragments of m16k16 (four 2-element vectors) or B of k16n8 (two).
using Frag = SmallVector<Value, 4>;
/// A warp's scores of one K tile: [m16 tile of rows][n8 tile of keys].
using Scores = SmallVector<SmallVector<Acc>, 2>;

/// Elements per cp.async of 16 bytes, for 2-byte elements.
inline constexpr int64_t kCopyElements = 8;
/// Elements of padding per shared-memory row (16 bytes): the 8 row
/// addresses an ldmatrix reads then fall in 8 different bank groups.
inline constexpr int64_t kSharedPad = 8;
/// The most dynamic shared memory a block may have on sm_80..sm_90.
inline constexpr int64_t kMaxSharedBytes = 227 * 1024;

class MmaSyncBuilder {
public:
  /// `elt` is the f16 or bf16 element type of the matrix operands.
  MmaSyncBuilder(ImplicitLocOpBuilder &b, Type elt) : b(b), elt(elt) {}

  // For the schedules, outside any kernel.
  /// Blocks along x of a prefill launch: q-tiles times the group.
  static Value prefillGridX(OpBuilder &b, Location loc, const FlashProblem &p,
                            int64_t blockRows);
  /// prefillBlock (below), built with `b`: for a kernel that has no
  /// MmaSyncBuilder, such as a combine kernel writing a block's rows.
  static std::pair<Value, Value> prefillBlock(OpBuilder &b, Location loc,
                                              const FlashProblem &p,
                                              Value blockX, Value kvHead,
                                              int64_t blockRows);
  /// Why a matrix instruction (`instruction`) cannot take the operands of
  /// `op`, or nullopt for f16 and bf16.
  static std::optional<std::string> whyNotHalf(AttentionOp op,
                                               StringRef instruction);

protected:
  /// Moves `b` to where a region builder callback is building.
  void enter(OpBuilder &nb) {
    b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
  }

  // Scalars.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(float(v)));
  }
  // Index arithmetic in a kernel never wraps (the verifier bounds every
  // size), and saying so lets LLVM fold constant offsets into addresses.
  Value add(Value x, Value y) {
    return arith::AddIOp::create(b, x, y, arith::IntegerOverflowFlags::nsw);
  }
  Value sub(Value x, Value y) {
    return arith::SubIOp::create(b, x, y, arith::IntegerOverflowFlags::nsw);
  }
  Value mul(Value x, Value y) {
    return arith::MulIOp::create(b, x, y, arith::IntegerOverflowFlags::nsw);
  }
  Value div(Value x, int64_t y) { return arith::DivUIOp::create(b, x, idx(y)); }
  Value rem(Value x, int64_t y) { return arith::RemUIOp::create(b, x, idx(y)); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::slt, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, x, y); }
  Value either(Value x, Value y) { return arith::OrIOp::create(b, x, y); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, c, x, y);
  }
  Value fmax(Value x, Value y) { return arith::MaximumFOp::create(b, x, y); }
  // f32 arithmetic may contract into FMAs: the exponent of each score is
  // then one FMA (x * factor - base), as in FlashAttention, and the sums and
  // rescalings are as accurate or more.
  Value fmul(Value x, Value y) {
    return arith::MulFOp::create(b, x, y, arith::FastMathFlags::contract);
  }
  Value fadd(Value x, Value y) {
    return arith::AddFOp::create(b, x, y, arith::FastMathFlags::contract);
  }
  Value fsub(Value x, Value y) {
    return arith::SubFOp::create(b, x, y, arith::FastMathFlags::contract);
  }
  /// 2^x on the SFU (ex2.approx.ftz.f32). Flushing results below 2^-126 to
  /// zero changes nothing a softmax can see next to its max term of 1, and
  /// saves the denormal handling of the non-flushing form.
  Value exp2(Value x);
  Value isNegInf(Value x);
  /// x combined with the other lanes of its quad by `op`.
  Value quadReduce(Value x, function_ref<Value(Value, Value)> op);
  /// The factor that normalizes a row whose quad lanes hold `sum` of its
  /// exponentials: 1 over their total, or 0 for a row that saw no key.
  Value inverseRowSum(Value sum);

  /// The online-softmax step of one row of this thread's scores `s` (`r`
  /// 0: row g, 1: row g + 8, in every fragment) against the running max
  /// `oldMax`: replaces the row's scores x by exp2(factor (x - max)) and
  /// returns the new max, the factor that rescales what was summed before,
  /// and the sum of this thread's new exponentials. `factor` is log2(e)
  /// times whatever scale the scores still lack, and must be positive.
  struct SoftmaxStep {
    Value max, correction, sum;
  };
  SoftmaxStep softmaxStep(MutableArrayRef<Acc> s, int64_t r, Value oldMax,
                          Value factor);
  /// softmaxStep's two halves: the row's new max (at least `oldMax`, over
  /// the quad), and the exponentials and sum against a given max `mx`.
  Value rowMax(ArrayRef<Acc> s, int64_t r, Value oldMax);
  SoftmaxStep exponentiate(MutableArrayRef<Acc> s, int64_t r, Value mx,
                           Value oldMax, Value factor);
  /// Replaces `s` by `masked()` where `needMask` holds, through one scf.if,
  /// so that only tiles that cross a boundary pay for masking.
  void maskIf(Value needMask, Scores &s, function_ref<Scores()> masked);

  /// The row of K/V position `pos` of KV head `kvHead` of batch `bi`, in
  /// K or V flattened to rows of one head's elements.
  Value kvSourceRow(const FlashProblem &p, Value bi, Value kvHead, Value pos);
  /// The same for query position `pos` of query head `head` in Q.
  Value querySourceRow(const FlashProblem &p, Value bi, Value head, Value pos);

  /// The query head and first query position of the prefill block `blockX`
  /// of KV head `kvHead` (blocks of `blockRows` positions, prefillGridX of
  /// them along x). The heads of a group run one q-tile back to back, so
  /// those read the same K/V tiles from L2; the q-tiles go last to first,
  /// so under causal masking the longest blocks start first.
  std::pair<Value, Value> prefillBlock(const FlashProblem &p, Value blockX,
                                       Value kvHead, int64_t blockRows);
  /// The additive mask's element (as f32) at query row `row` and key `key`
  /// of head `head` of batch `bi`, both clamped into bounds by the caller;
  /// a mask dimension of extent 1 broadcasts.
  Value maskValue(const FlashProblem &p, Value bi, Value head, Value row,
                  Value key);

  /// Where a warp's query rows are: m-tile mt's row half r of lane l is
  /// query row `first + l / 4 + 16 mt + 8 r` of head `head` of batch `bi`.
  struct Rows {
    Value bi, head, first, lane;
    int64_t count; // rows the warp owns
  };
  /// The value of `index` where it is known when the kernel is built: a
  /// constant, or the extent of a static dimension.
  static std::optional<int64_t> staticIndex(Value index);
  /// Whether the K tile of `tileKeys` keys at `kvStart` crosses the end of
  /// the keys, the causal diagonal or the window's start for some row of
  /// `rows`, or adds a mask: only those tiles pay for masking. With
  /// `alignedStarts` (every tile starts at a multiple of `tileKeys`), no
  /// tile crosses a static key count that is a multiple of `tileKeys`, so
  /// that test is left out even where `kvStart` is opaque to LLVM.
  Value tileNeedsMask(const FlashProblem &p, const Rows &rows, Value kvStart,
                      int64_t tileKeys, bool alignedStarts = false);
  /// `s` (the scores of `rows` against the tile at `kvStart`) with the
  /// causal, window and sequence-end limits and the additive mask applied.
  Scores maskScores(const FlashProblem &p, const Rows &rows, const Scores &s,
                    Value kvStart);
  /// Writes acc / sum for each row of `rows` below Sq; `sums` holds this
  /// thread's partial sum of each row (index 2 mt + r) and `acc` the output
  /// fragments (as in onlineSoftmax). A row that saw no key writes zeros.
  void storeRows(const FlashProblem &p, const Rows &rows, ValueRange acc,
                 ValueRange sums);
  /// Stores `pair` (f32) into columns d and d + 1 (d even) of row [bi, s, h]
  /// of the output: one 4-byte store in f16 or bf16, where two element
  /// stores would each write half a word.
  void storePair(const FlashProblem &p, Value pair[2], Value bi, Value s,
                 Value h, Value d);

  /// The online-softmax step of a whole tile: softmaxStep for each row of
  /// `s` (m-tile mt, row half r at index 2 mt + r of `maxes` and `sums`),
  /// the accumulators `acc` (fragment c of value n8 tile nt of m-tile mt at
  /// (mt * tiles + nt) * 4 + c) rescaled, times `accFactor` too where
  /// given. Returns the new maxes and sums.
  std::pair<SmallVector<Value>, SmallVector<Value>>
  onlineSoftmax(Scores &s, ValueRange maxes, ValueRange sums,
                MutableArrayRef<Value> acc, Value factor,
                Value accFactor = {});
  /// onlineSoftmax, but a row's max moves only when some row of the warp
  /// has outgrown its max by more than 2^`bound` in the exponentials (or
  /// `accFactor` is not 1): otherwise every row keeps its max, its new
  /// exponentials may reach 2^`bound`, and the accumulators are left as
  /// they are, through one warp-uniform branch. The result is the same
  /// softmax (sums and accumulators are kept against the same max); what
  /// is saved is the rescale of every accumulator on most tiles, once the
  /// maxes have settled.
  std::pair<SmallVector<Value>, SmallVector<Value>>
  lazyOnlineSoftmax(Scores &s, ValueRange maxes, ValueRange sums,
                    MutableArrayRef<Value> acc, Value factor, Value accFactor,
                    double bound);

  /// acc += P V, P being the tile's exponentials `s`: their accumulator
  /// fragments are the A fragments of m16k16, so P never leaves registers.
  /// This lane's ldmatrix reads of V start at flat index `vRead` of `vSmem`,
  /// whose rows are `vRow` elements; each V fragment serves every m-tile.
  void accumulatePV(const Scores &s, MutableArrayRef<Value> acc, Value vSmem,
                    Value vRead, int64_t vRow);

  /// Whether the kernel leaves Q Kᵀ of `p` unscaled and lets the scale ride
  /// in the exponential's FMA (one multiply less per score); the running
  /// max is then of unscaled scores. Not where a mask adds to scaled scores
  /// or where the scale may be negative.
  static bool foldsScale(const FlashProblem &p) {
    return p.positiveScale && !p.mask;
  }
  /// The `factor` of softmaxStep for scores scaled as foldsScale says.
  Value softmaxFactor(const FlashProblem &p);

  /// `index`, through a move LLVM cannot see through or hoist. Addresses
  /// computed from a loop-invariant base are hoisted out of the loop one
  /// register pair each; from this copy, made inside the loop, they are one
  /// register plus immediates.
  Value opaque(Value index);
  /// The i32 `word`, through a move LLVM cannot see through or hoist.
  Value opaque32(Value word);

  // Fragments.
  /// ldmatrix.x4 of `smem` at `indices` (this lane's row address).
  Frag ldmatrix(Value smem, ValueRange indices, bool transpose);
  /// D = A B + C on mma.sync.m16n8k16 with f32 accumulation.
  Acc mma(ArrayRef<Value> a, ArrayRef<Value> bFrag, const Acc &c);
  /// Two f32 values as one 2-element vector of the operand type.
  Value pack(Value x, Value y);

  /// One cp.async of 16 bytes (`elements` elements: 8 of f16 or bf16, 16
  /// of a one-byte code) from `src` at `from` to `dst` at `to`; where
  /// `valid` is false nothing is read and the destination is zero-filled.
  /// `bypassL1` streams data read once past the L1 cache.
  void copy16(Value dst, ValueRange to, Value src, ValueRange from,
              Value valid, bool bypassL1 = false,
              int64_t elements = kCopyElements);

  ImplicitLocOpBuilder &b;
  Type elt;
};

} // namespace mlir::attn

#endif // LIB_CONVERSION_ATTNTOGPU_MMASYNCBUILDER_H
