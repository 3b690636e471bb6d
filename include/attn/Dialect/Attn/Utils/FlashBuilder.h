//===- FlashBuilder.h - FlashAttention-2 building blocks ---------*- C++ -*-===//
//
// The pieces of the FlashAttention-2 algorithm on memrefs, shared by the
// passes that lay the algorithm out for a target: loading a K/V tile, the
// online-softmax update of one query row against a tile, and the final
// normalisation. The passes decide which loop (or thread) runs each piece.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_UTILS_FLASHBUILDER_H
#define ATTN_DIALECT_ATTN_UTILS_FLASHBUILDER_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {

/// The tensor `value` as a read-only memref of the same shape (null for a
/// null value, e.g. an absent mask): how the attention operands enter the
/// memref form that both the CPU and the GPU layouts work on.
Value toReadOnlyBuffer(OpBuilder &b, Location loc, Value value);

/// Converts a float value to `type`, widening or narrowing as needed.
Value castFloat(OpBuilder &b, Location loc, Value v, FloatType type);

/// One attention problem on memrefs, with every extent as an index value.
/// Query, key, value, mask and output are indexed through `load`/`store`,
/// which apply the op's layout.
struct FlashProblem {
  Value query, key, value, mask, output;
  /// Per-token, per-head scales of quantized key and value ([B, Sk, Hkv] in
  /// bshd), or null when key and value are floats.
  Value keyScale, valueScale;
  /// Per-sequence key lengths ([B] of i64), or null when every sequence
  /// sees seqK keys; forSequence applies them.
  Value kvLengths;
  Layout layout;
  Value batch, seqQ, seqK, headsQ, headsKV, headDim, valueDim;
  /// Extent of the key and value buffers along the sequence, the stride
  /// their rows are addressed with: seqK, except for a KV cache read in
  /// place, whose first seqK positions of `kvRows` (its capacity) are seen.
  Value kvRows;
  /// Query heads per KV head.
  Value group;
  /// Sk - Sq: the bottom-right offset of the causal diagonal.
  Value diagonal;
  /// The factor on Q Kᵀ, of `accType`.
  Value scale;
  /// Whether `scale` is known to be positive (the default 1/sqrt(head_dim)
  /// or a positive attribute), so that the max of raw scores is the max of
  /// scaled ones and kernels may scale inside the exponential.
  bool positiveScale;
  bool causal;
  std::optional<int64_t> window;
  /// Type of every running sum: f32, or f64 for f64 inputs.
  FloatType accType;
  /// Element type of the K/V tile buffers: the key's element type, or
  /// `accType` for quantized keys, which the tile load dequantizes.
  Type tileType;

  /// Builds the problem for `op`, whose operands are given as memrefs.
  /// `keyScale` and `valueScale` are the scale memrefs of a scaled op.
  static FlashProblem build(OpBuilder &b, Location loc, AttentionOp op,
                            Value query, Value key, Value value, Value mask,
                            Value output, Value keyScale = {},
                            Value valueScale = {});

  /// Sees only the first `length` keys of the key and value buffers (a KV
  /// cache attended in place): sets seqK and the causal diagonal, and keeps
  /// kvRows, the buffers' own extent.
  void setKeyLength(OpBuilder &b, Location loc, Value length);

  /// The problem of sequence `bi`: with kvLengths, its own key length
  /// (clamped into [0, seqK], and 0 for a sequence past a shorter lengths
  /// buffer, so that no key outside the buffers is read) and causal
  /// diagonal; otherwise this problem.
  FlashProblem forSequence(OpBuilder &b, Location loc, Value bi) const;

  /// Loads element [b, s, h, d] of a query/key/value memref, in the op's
  /// layout, as stored.
  Value loadRaw(OpBuilder &b, Location loc, Value memref, Value bi, Value s,
                Value h, Value d) const;
  /// Same, widened to `accType`.
  Value load(OpBuilder &b, Location loc, Value memref, Value bi, Value s,
             Value h, Value d) const;
  /// Stores `v` (of `accType`) into [b, s, h, d] of the output.
  void store(OpBuilder &b, Location loc, Value v, Value bi, Value s, Value h,
             Value d) const;
};

/// State of the online softmax for a set of query rows, indexed by a state
/// row: the running max, the running sum and the unnormalised output, plus a
/// scratch row of scores. The tile buffers hold one K/V tile as stored (in
/// the element type), shared by all rows.
///
/// A row (in [0, group * q-tile)) names query head `kvHead * group + row
/// floordiv q-tile` at position `qStart + row mod q-tile`: the rows of one
/// tile are the q-tile rows of every query head of the KV head's group, which
/// is what lets them share each K/V tile (GQA packing). The CPU keeps a state
/// row per row; a GPU thread keeps one state row for the row it works on.
struct FlashState {
  Value rowMax, rowSum, acc, scores;
  Value keyTile, valueTile;
};

/// Tile sizes of the blockwise algorithm.
struct FlashTiles {
  int64_t q;
  int64_t kv;
};

/// The largest tile the passes accept. A block's scratch holds (q-tile x
/// group) x kv-tile scores, so past this a tile buys no reuse and only risks
/// index arithmetic that wraps and allocations that cannot succeed.
inline constexpr int64_t kMaxFlashTile = 4096;

/// Fills the running max with -inf and the sums and accumulator with 0 for
/// state row `stateRow`.
void buildInitRow(OpBuilder &b, Location loc, const FlashProblem &p,
                  const FlashState &st, Value stateRow);

/// Copies keys and values [kvStart, kvStart + tiles.kv) of KV head `kvHead`
/// (those below Sk) into the tile buffers; only tile entries in [first,
/// first + count) are copied, so that threads can share the copy. Quantized
/// keys and values are dequantized on the way (code times its token's
/// scale, in `accType`), so the tile is the only dequantized copy.
void buildLoadTile(OpBuilder &b, Location loc, const FlashProblem &p,
                   const FlashState &st, const FlashTiles &tiles, Value bi,
                   Value kvHead, Value kvStart, Value first, Value step);

/// The online-softmax update of `row`, kept in `stateRow`, against the K/V
/// tile that starts at `kvStart`. Keys outside the row's causal/window
/// range, or past Sk, are never visited, so only tiles that cross a boundary
/// do any masking.
void buildUpdateRow(OpBuilder &b, Location loc, const FlashProblem &p,
                    const FlashState &st, const FlashTiles &tiles, Value bi,
                    Value kvHead, Value qStart, Value kvStart, Value row,
                    Value stateRow);

/// Writes acc / sum of `row` (kept in `stateRow`) to the output; a row that
/// saw no key (sum 0) gets zeros.
void buildFinalizeRow(OpBuilder &b, Location loc, const FlashProblem &p,
                      const FlashState &st, const FlashTiles &tiles, Value bi,
                      Value kvHead, Value qStart, Value row, Value stateRow);

/// The KV range a q-tile starting at `qStart` must visit, rounded out to
/// whole KV tiles: tiles entirely past the causal diagonal or before the
/// window are skipped. Returns {first tile start, end}.
std::pair<Value, Value> buildKVRange(OpBuilder &b, Location loc,
                                     const FlashProblem &p,
                                     const FlashTiles &tiles, Value qStart);

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_UTILS_FLASHBUILDER_H
