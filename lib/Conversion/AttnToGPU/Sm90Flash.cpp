//===- Sm90Flash.cpp - FlashAttention on Hopper wgmma tensor cores --------===//
//
// The Hopper schedule (sm_90a): FlashAttention-3's structure on
// `wgmma.mma_async` (f16 or bf16 in, f32 accumulation).
//
// A block of three warpgroups owns 128 query positions of one query head.
// Warpgroup 0 is the producer: it copies Q, then the K and V tiles, into a
// ring of shared-memory stages, and signals each tile's arrival on an
// mbarrier; it keeps few registers (setmaxnreg) and gives the rest to the
// consumers. Its copies are either every thread's cp.async (16 bytes each)
// or, with `tma`, one thread's TMA copies (one instruction per 64-column
// box of a tile, from tensor maps the host builds before the launch), which
// leave the SM's issue slots and load units to the consumers. Warpgroups 1 and
// 2 are the consumers: each owns 64 query rows as the M of its products (warp w
// of it the 16 rows 16w..16w+15, in its accumulator fragments) and hands each
// stage back on an mbarrier once its products have read it, so neither waits
// for the other at a block barrier.
//
// K/V tiles are 128 keys (64 above head_dim 128, whose accumulators would
// not fit), laid out the way wgmma reads them: each tile is column blocks
// of 64 elements (128 bytes a row), 128-byte swizzled (16-byte chunk c of
// row r stored at chunk c ^ (r % 8)), so that descriptors address them
// directly and the reads hit every bank once.
//
// A consumer issues S = Q Kᵀ of tile t (Q and K from shared memory,
// K-major), then acc += P V of tile t - 1 (P from registers: its
// accumulator fragments are the A fragments of m64k16; V N-major; or, with
// `pInShared` or above head_dim 128, P stored by the softmax into a
// swizzled tile of the consumer's own, both operands then from shared
// memory), and
// runs the online softmax of tile t on the accumulator fragments while that
// P·V runs. The two consumers take turns issuing their products (named
// barriers), so one's softmax runs under the other's products.
//
// From four K/V tiles of keys (and up to head_dim 128, unless the copies
// are TMA's, whose consumers have more registers) the grid is persistent:
// at most one block per SM, each looping over the (q-tile, head, batch)
// items that one block per item would take (where items differ in length
// and the grid falls on their period, every other round of them in
// reverse), with the stage ring, Q's barriers
// and the turns running on from item to item, so that the producer copies the
// next item's Q and first tiles while the consumers finish the last P·V and
// store. With `itemOverlap` (TMA, head dims up to 128) Q has two buffers,
// so the next item's Q lands during the current item's tiles, and each
// consumer issues the next item's first S before storing the current
// item's output.
//
// The same kernel has a decode form (Sm90Kernel.h, the sm90-decode
// schedule of Sm90Decode.cpp): one block a split of one KV head's keys,
// its Q tile the 64 rows of the group's packed query heads, which both
// consumers read; each consumer accumulates half of V's columns and
// stores its half of the block's partial for the combine kernel. In its
// alternate form (sm90-decode-alternate) the consumers take alternate
// 64-key tiles instead, each over all of V's columns, without turns, and
// each stores a partial of its own, so that no S is computed twice.
//
//===----------------------------------------------------------------------===//

#include "Sm90Kernel.h"
#include "SplitCombine.h"
#include "WgmmaBuilder.h"

#include "attn/Runtime/DependentLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>
#include <queue>

using namespace mlir;
using namespace mlir::attn;

namespace {
/// Warpgroups that compute; each owns 64 query rows of the block.
constexpr int64_t kConsumers = 2;
constexpr int64_t kBlockRows = 64 * kConsumers;
constexpr int64_t kThreads = 128 * (1 + kConsumers);
static_assert(kThreads == kSm90Threads);
/// Registers a thread: the producer warpgroup gives back what its copies
/// do not need, the consumers take it (128 x 56 + 2 x 128 x 224 = 384 x
/// 168, the registers a thread has at entry). One thread issuing TMA
/// copies needs fewer than 128 computing cp.async addresses: 128 x 24 +
/// 2 x 128 x 240 is the same total.
constexpr int64_t kProducerRegisters = 56, kTmaProducerRegisters = 24;
constexpr int64_t kConsumerRegisters = 224, kTmaConsumerRegisters = 240;
/// The fewest K/V tiles a split last round must take off the round's time
/// (TailSplit): a guess of the partials' and the combine's cost, about
/// four tiles' time; not yet tuned on a GPU.
constexpr int64_t kMinTailTilesSaved = 4;
/// The most items a planned order's table takes (4 bytes each).
constexpr int64_t kMaxPlanItems = 1 << 16;
/// The least share of the largest block's cost that plan-items=auto takes
/// a plan for. A plan costs something the model does not see: on an H200
/// (2026-12-07, bench/NOTES.md) it gained 2.1-2.3% at causal B4 x 4k and
/// B1 x 16k, where the model gains 3%, and lost 2.9% at B16 x 1k, where the
/// model gains 0.6%.
constexpr double kMinPlanGain = 0.02;

/// The block's tiles: head dims, keys per K/V tile and stages of the ring,
/// and whether each consumer stages its P in shared memory.
struct Shape {
  int64_t headDim, valueDim, keys, stages;
  bool pInShared;
  /// Q buffers: 2 with item overlap, so that the next item's Q lands while
  /// the current one's is read.
  int64_t qBuffers;
  /// Decode: the packed query rows of a KV group (its query heads at one
  /// position) that both consumers read, in a Q tile of 64 rows; each
  /// consumer takes half of V's columns. 0 for prefill, where each
  /// consumer owns 64 of the block's 128 query rows and all of V.
  int64_t packedRows = 0;
  /// Decode with alternate tiles: each consumer takes every other tile,
  /// all of V's columns, its own softmax and partial, and no turns.
  bool alternate = false;
  /// Prefill: each consumer writes its output rows into a buffer of its own
  /// after the tiles, from which one TMA copy a 64-column block stores
  /// them (see storeStagedItem).
  bool oStaged = false;

  /// Decode's shape: 128-key tiles, three stages (a memory-bound kernel
  /// keeps more bytes in flight), one Q buffer, P in registers. With
  /// alternate tiles each consumer holds a stage while it computes, so the
  /// same bytes go in 64-key tiles of six stages, four of them free to fill.
  static constexpr Shape decode(int64_t headDim, int64_t valueDim,
                                int64_t packedRows, bool alternate = false) {
    int64_t keys = sm90DecodeTileKeys(alternate), stages = alternate ? 6 : 3;
    return {headDim, valueDim, keys, stages, false, 1, packedRows, alternate};
  }

  static constexpr Shape of(int64_t headDim, int64_t valueDim, bool pInShared,
                            int64_t qBuffers = 1, bool oStaged = false) {
    // Tiles of 128 keys up to head_dim 128: the f32 accumulators of S
    // (64 x 128) and of the output (64 x 128) then take 128 registers a
    // thread.
    // Two stages: a third measured 5-10% slower on the H200 (bench/NOTES.md).
    int64_t keys = headDim <= 128 && valueDim <= 128 ? 128 : 64;
    // Above head_dim 128, P in registers spilled (68-132 bytes) and ran
    // 0.5% (full) to 5% (causal) slower than P in shared memory (H100,
    // 2026-12-06), so P always goes through shared memory there.
    Shape shape{headDim, valueDim, keys, 2, pInShared || keys == 64, qBuffers};
    shape.oStaged = oStaged;
    return shape;
  }

  constexpr bool isDecode() const { return packedRows > 0; }
  /// Rows of a Q tile, and the value columns each consumer accumulates.
  constexpr int64_t qRows() const { return isDecode() ? 64 : kBlockRows; }
  constexpr int64_t outColumns() const {
    return isDecode() && !alternate ? valueDim / 2 : valueDim;
  }
  /// Whether the consumers take turns issuing their products (they work on
  /// the same tiles, or on their own rows of them).
  constexpr bool turns() const { return !alternate; }
  // 2-byte elements throughout. qBytes is one Q buffer's; qLoadBytes what
  // its copy brings (decode's packed rows, the rest zeros).
  constexpr int64_t qBytes() const { return qRows() * headDim * 2; }
  constexpr int64_t qLoadBytes() const {
    return isDecode() ? packedRows * headDim * 2 : qBytes();
  }
  constexpr int64_t kStageBytes() const { return keys * headDim * 2; }
  constexpr int64_t vStageBytes() const { return keys * valueDim * 2; }
  /// One consumer's P: its 64 rows by the tile's keys.
  constexpr int64_t pBytes() const { return pInShared ? 64 * keys * 2 : 0; }
  /// One consumer's staged output: its 64 rows by V's columns.
  constexpr int64_t oBytes() const { return oStaged ? 64 * valueDim * 2 : 0; }
  constexpr int64_t dataBytes() const {
    return qBuffers * qBytes() + stages * (kStageBytes() + vStageBytes()) +
           kConsumers * (pBytes() + oBytes());
  }
  /// The mbarriers after the tiles: Q-full, each stage's K-full, V-full,
  /// K-empty and V-empty, then Q-empty; with a second Q buffer, its Q-full
  /// and Q-empty.
  constexpr int64_t barriers() const { return 2 * qBuffers + 4 * stages; }
  constexpr int64_t qFullBarrier(int64_t buffer) const {
    return buffer == 0 ? 0 : 2 + 4 * stages;
  }
  constexpr int64_t qEmptyBarrier(int64_t buffer) const {
    return buffer == 0 ? 1 + 4 * stages : 3 + 4 * stages;
  }
  /// Q, the K stages, the V stages and the barriers, plus the slack that
  /// lets the base be rounded up to a swizzle atom.
  constexpr int64_t sharedBytes() const {
    return kSwizzleAtomBytes + dataBytes() + 8 * barriers();
  }
};
// The largest head dims fit a block's shared memory, so no accepted op
// can exceed it.
static_assert(Shape::of(256, 256, true).sharedBytes() <= kMaxSharedBytes);
static_assert(Shape::of(128, 128, true).sharedBytes() <= kMaxSharedBytes);
static_assert(Shape::of(128, 128, true, 2).sharedBytes() <= kMaxSharedBytes);
static_assert(Shape::of(128, 128, false, 2, true).sharedBytes() <=
              kMaxSharedBytes);
static_assert(Shape::decode(128, 128, 64).sharedBytes() <= kMaxSharedBytes);
static_assert(Shape::decode(128, 128, 64, true).sharedBytes() <=
              kMaxSharedBytes);

/// The split last round of a persistent grid. Where every item costs the
/// same (no causal mask, window or per-sequence lengths) and the grid's last
/// round is at most half full, that round leaves most blocks idle: 4096
/// items (B16 x 1k, B4 x 4k or B1 x 16k at 32 query heads) on 132 SMs are
/// 31 whole rounds and then 4 items, one item's time in 32 during which 128
/// blocks wait. Instead, each item of that round is split over its keys
/// into parts that the otherwise idle blocks take, each writing a partial
/// (max, sum, unnormalized accumulator) that a second kernel, the decode
/// combine (SplitCombine.h), merges into the output: stream-K's idea, for
/// the one round where it matters.
struct TailSplit {
  /// Items of the whole rounds, taken as before; items of the last round;
  /// the parts each of those is split into, and the K/V tiles of a part
  /// (an item's last part may have fewer).
  int64_t fullItems, items, parts, partTiles;
  /// The grid's loop numbers: the whole items, then the parts, part j of
  /// split item i being number fullItems + j x items + i, so that the
  /// last round's blocks take the first part of every item first.
  int64_t work() const { return fullItems + items * parts; }
};

/// A planned order of a persistent grid's items. Where items differ in
/// length (causal masking, a window), every grid-th item leaves the blocks
/// unequal shares: 4096 causal items on 132 SMs give some blocks 32 items
/// and others 31 whatever their lengths, and the largest block 3% above
/// the mean (bench/balance_model.py). A grid whose blocks each took the
/// next item of the same order as they finished (a shared counter) would
/// balance them; with every extent static, the kernel's builder runs that
/// grid's schedule instead, on a cost of each item's K/V tiles plus one,
/// and compiles each block's items into a table the kernel reads: no
/// counter to zero before each call, the same order on every call, and
/// blocks running at once still near each other in the order (sharing
/// K/V tiles in L2).
struct ItemPlan {
  /// The table, a constant global of the module: entry b (b <= grid) is
  /// where block b's items start in it (block b's end is entry b + 1),
  /// then the item numbers.
  std::string symbol;
  int64_t size;
};

/// The type of a plan's table of `size` entries: i32 in global memory.
static MemRefType planType(MLIRContext *context, int64_t size) {
  return MemRefType::get(
      {size}, IntegerType::get(context, 32), MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(context, gpu::AddressSpace::Global));
}

/// What decides whether a persistent grid's items are known when the
/// kernel is built, and their lengths: the problem's buffers when the
/// kernel is built, or the op's types when a tool asks what it will be.
struct ItemsShape {
  ShapedType query, key, value;
  Layout layout;
  bool causal;
  std::optional<int64_t> window;
  /// Keys that are the first seqK of a KV cache's rows, read in place, and
  /// per-sequence lengths: either way the keys are known at run time only.
  bool keysInPlace, kvLengths;

  static ItemsShape of(const FlashProblem &p) {
    return {cast<ShapedType>(p.query.getType()),
            cast<ShapedType>(p.key.getType()),
            cast<ShapedType>(p.value.getType()),
            p.layout,
            p.causal,
            p.window,
            p.seqK != p.kvRows,
            bool(p.kvLengths)};
  }
  static ItemsShape of(AttentionOp op, bool keysInPlace) {
    std::optional<int64_t> window = op.getWindow();
    if (window) // As FlashProblem::build bounds it.
      window = std::min<int64_t>(*window, int64_t(1) << 62);
    return {op.getQuery().getType(),
            op.getKey().getType(),
            op.getValue().getType(),
            op.getLayout(),
            op.getCausal(),
            window,
            keysInPlace,
            bool(op.getKvLengths())};
  }
};

/// Builds the kernel body; one instance per launch.
class Sm90Kernel : public WgmmaBuilder {
public:
  /// `launch.kernelArguments` are the global addresses (i64) of the TMA
  /// tensor maps of Q, K and V (and of the output, where `shape` stages
  /// it), or empty for cp.async copies. A decode
  /// shape (TMA only, one item a block) writes each block's partials to
  /// `launch.scratch`, its split being block x of gridX; with
  /// `signalDependents` its threads let the combine kernel launch once
  /// their loops are done. A persistent prefill grid with `tail` splits its
  /// last round, writing those items' partials to `launch.scratch`
  /// (allocPartials: [item of the round, 0, part, row, :], 128 rows); with
  /// `signalDependents` it lets the combine kernel launch at once.
  /// A persistent grid with `plan` takes its items from the plan's table.
  Sm90Kernel(ImplicitLocOpBuilder &b, const FlashProblem &p,
             const FlashLaunch &launch, Shape shape, bool persistent,
             bool signalDependents = false,
             std::optional<TailSplit> tail = std::nullopt,
             std::optional<ItemPlan> plan = std::nullopt)
      : WgmmaBuilder(b, cast<MemRefType>(p.query.getType()).getElementType()),
        p(p), persistent(persistent), tma(!launch.kernelArguments.empty()),
        signalDependents(signalDependents), shape(shape), tail(tail),
        plan(plan), scratch(launch.scratch) {
    if (tma)
      std::tie(qMap, kMap, vMap) =
          std::tuple(launch.kernelArguments[0], launch.kernelArguments[1],
                     launch.kernelArguments[2]);
    if (shape.oStaged)
      oMap = launch.kernelArguments[3];
  }

  void build(gpu::LaunchOp launch);

private:
  /// Issues this thread's cp.async copies of `rows` rows of `width`
  /// elements into the swizzled tile at flat element `at` of `smem`. Row i
  /// is sequence position pos0 + i, read from row `sourceRow(pos)` of the
  /// flat `source`; where `valid(pos)` is false nothing is read and the row
  /// is zero-filled. The producer's 128 threads share the rows.
  void copyTile(Value at, Value source, int64_t rows, int64_t width, Value pos0,
                function_ref<Value(Value)> sourceRow,
                function_ref<Value(Value)> valid);
  void copyQ();
  /// Copies the K or V tile at `kvStart`, rows of `width` elements of the
  /// flat `source`, into `stage` (an index value) of the ring at element
  /// `ringAt`.
  void copyKV(Value source, int64_t ringAt, int64_t width, Value kvStart,
              Value stage);

  /// Issues the TMA copies of the tile at flat element `at` of shared
  /// memory: `rows` rows of `width` elements from positions pos0... of
  /// head `headId` of the tensor map `map`, completing on mbarrier `bar`.
  void loadTile(Value at, Value map, int64_t rows, int64_t width, Value pos0,
                Value headId, Value bar);

  /// `desc` (of stage 0) moved to `stage`, stages `stageBytes` apart.
  Value stageDesc(Value desc, Value stage, int64_t stageBytes);
  /// Issues and commits S = Q Kᵀ of this warpgroup against the K tile of
  /// descriptor `kDesc`; returns its accumulators, to be waited for.
  SmallVector<Value> issueScores(Value kDesc);
  /// S's accumulators as n8 fragments.
  Scores asScores(ArrayRef<Value> acc);
  /// The exponentials `s` as the registers of P, the A operand of P·V.
  SmallVector<Value> pRegisters(const Scores &s);
  /// With P in shared memory: stores this warpgroup's P (`pRegs`) into its
  /// swizzled tile, K-major as Q is, and makes the stores visible to the
  /// warpgroup's next products. The products that read the previous P must
  /// have completed.
  void storeP(ArrayRef<Value> pRegs);
  /// Stores this thread's 32-bit `words` of its rows, in the order of a P
  /// fragment (storeP), into the consumer's swizzled 64-row tile at
  /// element `at` of shared memory, the consumers' tiles `groupBytes`
  /// apart.
  void storeRowsShared(int64_t at, int64_t groupBytes, ArrayRef<Value> words);
  /// Issues and commits acc + P V, with P from `pRegs` or, with P in shared
  /// memory, from this warpgroup's P tile; returns the accumulators, to be
  /// waited for.
  SmallVector<Value> issuePV(ArrayRef<Value> acc, ArrayRef<Value> pRegs,
                             Value vDesc);
  /// The online-softmax step of the scores `s` of the tile at `kvStart`
  /// (scaled and masked first, then replaced by their exponentials) for
  /// rows g and g + 8: the new maxes and sums, and the corrections the
  /// output must be rescaled by.
  struct Softmax {
    SmallVector<Value, 2> maxes, sums, corrections;
  };
  Softmax softmax(Scores &s, Value kvStart, ValueRange maxes, ValueRange sums);
  /// Output accumulators times the correction of their row.
  void rescale(MutableArrayRef<Value> acc, ValueRange corrections);
  /// The stage of the tile at `kvStart` and the parity (an i32) of its
  /// round of the stages.
  std::pair<Value, Value> stageOf(Value kvStart);

  // The mbarriers.
  enum StageBarrier : int64_t { kFull = 0, vFull = 1, kEmpty = 2, vEmpty = 3 };
  /// The shared address of mbarrier `i`.
  Value barrier(int64_t i);
  Value stageBarrier(StageBarrier kind, Value stage);
  /// This warp's arrival on mbarrier `bar` (at a shared address): it is
  /// done reading what the barrier guards.
  void release(Value bar);
  void releaseStage(StageBarrier kind, Value stage) {
    release(stageBarrier(kind, stage));
  }
  /// The current item's Q buffer: its full and empty barriers, its first
  /// element in shared memory and its descriptor (of this consumer's rows).
  Value qFull() {
    return qBarrier(shape.qFullBarrier(0), shape.qFullBarrier(1));
  }
  Value qEmpty() {
    return qBarrier(shape.qEmptyBarrier(0), shape.qEmptyBarrier(1));
  }
  Value qBarrier(int64_t first, int64_t second) {
    if (shape.qBuffers == 1)
      return barrier(first);
    return arith::SelectOp::create(b, isSecondQ(), barrier(second),
                                   barrier(first));
  }
  Value qElement() {
    if (shape.qBuffers == 1)
      return idx(qAt);
    return add(idx(qAt), mul(qBuffer, idx(shape.qRows() * shape.headDim)));
  }
  Value itemQDesc() {
    if (shape.qBuffers == 1)
      return qDesc;
    return arith::AddIOp::create(
        b, qDesc,
        arith::MulIOp::create(
            b, arith::IndexCastOp::create(b, b.getI64Type(), qBuffer),
            arith::ConstantIntOp::create(b, b.getI64Type(),
                                         shape.qBytes() >> 4)));
  }
  Value isSecondQ() {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::eq, qBuffer, idx(1));
  }
  void releaseQ() { release(qEmpty()); }
  Value idx32(int64_t v) {
    return arith::ConstantIntOp::create(b, b.getI32Type(), v);
  }

  /// Sets the work item's members: the query block `blockX` (as
  /// prefillBlock numbers them) of KV head `kvHeadId` of batch row `row`.
  void setItem(Value blockX, Value kvHeadId, Value row);
  /// Decode: sets the members for split `splitId` of `splits` of the keys
  /// of KV head `kvHeadId` of batch row `row`: its share of whole tiles.
  void setDecodeItem(Value splitId, Value splits, Value kvHeadId, Value row);
  /// Decode: zeroes the Q tile's rows past the packed ones, which no copy
  /// writes, so that their scores are finite (and unused).
  void zeroQPadding();
  /// Decode: stores this consumer's columns of the item's partial
  /// accumulator, unnormalized, and (the first consumer) each row's max of
  /// scaled scores and sum, for the combine kernel.
  void storePartial(ArrayRef<Value> results);
  /// Stores this thread's rows of a partial: row `firstRow` + 16 warp +
  /// lane / 4 (+ 8) of [outer, inner, slot, row, :] from column
  /// `firstColumn` on, the accumulator unnormalized, and where
  /// `writesStats` holds the row's max of scaled scores and sum; only rows
  /// below `rowLimit` (0: every row).
  void storePartialRows(ArrayRef<Value> results, Value outer, Value inner,
                        Value slot, Value firstRow, Value firstColumn,
                        Value writesStats, int64_t rowLimit);
  /// Where the item's output goes: its rows, or, for a part of a split
  /// item, its partial.
  struct Target {
    Rows rows;
    Value isPart, item, part; // null without a split last round
  };
  Target target() {
    return {Rows{bi, head, warpFirst, lane, 16}, isPart, tailItem, split};
  }
  /// Stores an item's `results` (consume's) where `to` says.
  void storeItem(ArrayRef<Value> results, const Target &to);
  /// With a staged output: stores the item's normalized rows into this
  /// consumer's output tile, and its first thread copies the tile to `to`
  /// with TMA.
  void storeStagedItem(ArrayRef<Value> results, const Target &to);
  /// Decode with a dependent combine: this thread is past its loop.
  void signalDone() {
    if (signalDependents && !tail)
      NVVM::GriddepcontrolOp::create(
          b, NVVM::GridDepActionKind::launch_dependents);
  }
  /// Sets the item of loop number `w`, the block's item number `count`
  /// (from 0), of a persistent grid of `grid` blocks over `items` items,
  /// whose blocks start at `first` (blockIdx.x): item x of the grid that
  /// one block per item would launch, block (x % blocksX, x / blocksX %
  /// headsKV, x / perRow), perRow being blocksX x headsKV. Where `reverse`
  /// (reversesRounds) holds, round `count` (loop numbers count x grid on,
  /// the items that blocks take at once) runs in reverse where `count` is
  /// odd, so that a block that took one of a round's longest causal items
  /// takes one of the next round's shortest. The round's start comes from
  /// `count`, not from dividing by the grid, a runtime value
  /// (bench/NOTES.md measured that division's cost).
  void setItemNumber(Value w, Value count, Value first, Value blocksX,
                     Value perRow, Value items, Value grid, Value reverse) {
    if (reverse)
      w = reverseOddRounds(w, count, first, items, grid, reverse);
    // With a split last round, loop numbers from fullItems on are parts:
    // number fullItems + j x items + i is part j of item fullItems + i.
    Value part;
    if (tail) {
      Value full = idx(tail->fullItems);
      Value v = sub(arith::MaxUIOp::create(b, w, full), full);
      isPart = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, w, full);
      tailItem = rem(v, tail->items);
      part = div(v, tail->items);
      w = select(isPart, add(full, tailItem), w);
    }
    setItem(arith::RemUIOp::create(b, w, blocksX),
            arith::DivUIOp::create(b, arith::RemUIOp::create(b, w, perRow),
                                   blocksX),
            arith::DivUIOp::create(b, w, perRow));
    if (tail) {
      // A part's keys: its share of whole tiles (the item's are all of them).
      int64_t partKeys = tail->partTiles * shape.keys;
      Value begin = mul(part, idx(partKeys));
      kvBegin = select(isPart, begin, kvBegin);
      kvEnd = select(isPart, min(add(begin, idx(partKeys)), p.seqK), kvEnd);
      split = part;
    }
  }
  /// The end of the grid's loop numbers over `items` items: with a split
  /// last round, the whole items' and the parts'.
  Value loopEnd(Value items) { return tail ? idx(tail->work()) : items; }
  /// The block's loop over its items: positions from `begin` to `end` by
  /// `step`, position i taking item itemAt(i). In plain order the
  /// positions are the item numbers blockIdx.x, blockIdx.x + gridDim.x,
  /// ...; with a plan, the block's run of the plan's table.
  struct ItemLoop {
    Value begin, end, step;
  };
  ItemLoop itemLoop(gpu::LaunchOp launch, Value items) {
    Value block = launch.getBlockIds().x, grid = launch.getGridSize().x;
    if (!plan)
      return {block, loopEnd(items), grid};
    return {planAt(block), planAt(add(block, idx(1))), idx(1)};
  }
  Value itemAt(Value i) { return plan ? planAt(i) : i; }
  /// Entry i of the plan's table, clamped into it (a position past the
  /// block's last item is read but not used).
  Value planAt(Value i) {
    Value at = arith::MinUIOp::create(b, i, idx(plan->size - 1));
    return arith::IndexCastOp::create(b, b.getIndexType(),
                                      memref::LoadOp::create(b, planTable, at));
  }
  /// Whether a persistent grid of `grid` blocks reverses its odd rounds,
  /// or null where it never does: only where items differ in tile count
  /// (causal masking, a window, per-sequence lengths), and only where the
  /// grid falls on the period of the item lengths, blocksX. Block b takes
  /// items b, b + grid, ..., whose query blocks (x % blocksX) are those
  /// congruent to b modulo g = gcd(grid, blocksX): where g is a large part
  /// of blocksX (132 SMs and 132 query blocks of a 4-head group, 4224
  /// keys: g = blocksX) each block keeps the same few query tiles in every
  /// round, and causal prefill took as long as without the mask; where g is
  /// small (blocksX 512, 16k keys: g = 4, the heads of one query tile) the
  /// blocks cycle through every tile, and reversal upsets that balance
  /// (causal B1 16k 3.27 -> 3.86 ms, bench/NOTES.md). The threshold, 8 g >
  /// blocksX, is the one a model of the blocks' tile counts picked.
  Value reversesRounds(Value blocksX, Value grid) {
    if (!(p.causal || p.window || p.kvLengths))
      return {};
    // Euclid, once a thread before the items.
    auto loop = scf::WhileOp::create(
        b, TypeRange{b.getIndexType(), b.getIndexType()},
        ValueRange{grid, blocksX},
        [&](OpBuilder &nb, Location loc, ValueRange ab) {
          Value more = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::ne,
                                             ab[1], idx(0));
          scf::ConditionOp::create(nb, loc, more, ab);
        },
        [&](OpBuilder &nb, Location loc, ValueRange ab) {
          scf::YieldOp::create(
              nb, loc,
              ValueRange{ab[1], arith::RemUIOp::create(nb, loc, ab[0], ab[1])});
        });
    return lt(blocksX, mul(loop.getResult(0), idx(8)));
  }
  /// The item number that loop number `w` takes with odd rounds reversed
  /// where `reverse` holds.
  Value reverseOddRounds(Value w, Value count, Value first, Value items,
                         Value grid, Value reverse) {
    Value start = sub(w, first);
    Value size = min(grid, sub(items, start));
    Value reversed = sub(add(start, sub(size, idx(1))), first);
    Value odd = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                      rem(count, 2), idx(1));
    // A number past the last item (the overlapped loop's lookahead) is
    // kept as it is: its round may be partial or empty.
    return select(both(both(reverse, odd), lt(w, items)), reversed, w);
  }
  /// Runs `body` for each of the block's work items, with the item's
  /// members, tileBase and itemParity set: once for the block's own item,
  /// or, in a persistent grid, for loop numbers blockIdx.x, blockIdx.x +
  /// gridDim.x, ... over the items of the grid that one block per item
  /// would launch, in its order (so blocks running at once share K/V tiles
  /// in L2, and under causal masking the longest items come first), with
  /// every other round reversed where reversesRounds says so.
  void forEachItem(gpu::LaunchOp launch, function_ref<void()> body);
  /// Sets tileBase, qBuffer and itemParity for the block's item number
  /// `count` (from 0), after `base` tiles of the ring: forEachItem and the
  /// consumers' overlapped loop number items alike through it.
  void setRound(Value base, Value count);

  /// The producer warpgroup's copies, with cp.async or with TMA.
  void produce(gpu::LaunchOp launch);
  void produceWithTma(gpu::LaunchOp launch);
  /// After a wait on a full barrier: orders the tile's cp.async writes
  /// (generic proxy) before the products' reads (async proxy). TMA writes
  /// through the async proxy already.
  void fenceCopies() {
    if (!tma)
      fenceAsyncShared();
  }
  /// A consumer warpgroup's loop over the K/V tiles of the current item:
  /// returns the output fragments, then the maxes and the sums of rows g
  /// and g + 8 (for an item without keys, -inf and 0). With
  /// `s0`, the item's first S has been issued and waited for already
  /// (firstScores).
  SmallVector<Value> consume(std::optional<ValueRange> s0 = std::nullopt);
  /// S of the current item's first K tile (or this consumer's first, the
  /// tile at `start`), issued in this consumer's turn and waited for (with
  /// `meanwhile` built between the two), its stage released.
  SmallVector<Value> firstTileScores(function_ref<void()> meanwhile = {},
                                     Value start = {});
  /// With item overlap: S of the current item's first K tile, waited for,
  /// its stage released, where `ready` holds and the item has keys, with
  /// `meanwhile` built between its issue and its wait; else zeros, after
  /// `meanwhile`. The issue and the wait lie in one branch, so that no
  /// accumulator in flight crosses a region.
  SmallVector<Value> firstScores(Value ready, function_ref<void()> meanwhile);
  /// The consumer warpgroup's items; with item overlap (two Q buffers),
  /// each item's output is stored while the next item's first S runs.
  void consumeItems(gpu::LaunchOp launch);
  /// This consumer's turn to issue products begins (the other's issue has
  /// ended) and ends (the other's may begin).
  void turnBegin() {
    if (shape.turns())
      namedBarrierSync(myTurn, 256);
  }
  void turnEnd() {
    if (shape.turns())
      namedBarrierArrive(theirTurn, 256);
  }

  const FlashProblem &p;
  /// One block per SM, looping over the work items, rather than one block
  /// per item: the producer copies the next item's Q and first tiles while
  /// the consumers finish the last product and store.
  bool persistent;
  /// Whether the producer copies with TMA, from these tensor maps.
  bool tma;
  /// Decode: whether the combine kernel is a programmatic dependent.
  bool signalDependents;
  Value qMap, kMap, vMap, oMap;
  Shape shape;
  /// Prefill: the split last round, if any, and the planned order, if any
  /// (planTable, set up by build(), is its table).
  std::optional<TailSplit> tail;
  std::optional<ItemPlan> plan;
  Value planTable;
  /// Decode, and a split last round: the partial accumulators and their
  /// (max, sum), as allocPartials lays them out.
  ArrayRef<Value> scratch;

  // Set up by build().
  Value tid, lane, group, warp;
  Value smem, kFlat, vFlat, qFlat;
  Value myTurn, theirTurn; // the named barriers of this consumer's turns
  /// With a staged output: whether this thread issues its warpgroup's
  /// copies (the warpgroup's first), set up by consumeItems.
  Value storeIssuer;
  // Set up per work item by setItem() and forEachItem().
  Value bi, head, kvHead, qStart, split;
  /// With a split last round: whether the item is a part, and which of the
  /// round's items it is part `split` of.
  Value isPart, tailItem;
  Value warpFirst; // the first of this warp's 16 query rows
  Value kvBegin, kvEnd;
  /// The block's tiles before this item's (the stage ring runs on across
  /// items), the item's Q buffer (an index) and the parity (an i32) of its
  /// use of that buffer's barriers.
  Value tileBase, qBuffer, itemParity;
  int64_t qAt = 0, kAt = 0, vAt = 0, pAt = 0, oAt = 0; // elements in smem
  Value base; // shared byte address of element 0
  Value qDesc, kDesc0, vDesc0;
  Value pDesc;  // this consumer's P tile, with P in shared memory
  Value factor; // softmaxFactor(p)
};
} // namespace

//===----------------------------------------------------------------------===//
// Global to shared memory
//===----------------------------------------------------------------------===//

void Sm90Kernel::copyTile(Value at, Value source, int64_t rows, int64_t width,
                          Value pos0, function_ref<Value(Value)> sourceRow,
                          function_ref<Value(Value)> valid) {
  // Producer thread t copies chunk t % perRow of rows t / perRow + i
  // rowsPerRound. Rows 8 apart share their swizzle, so a copier's slots take
  // `period` distinct bases (1 where rowsPerRound is a multiple of 8) and
  // constant offsets from them, which keeps few addresses live.
  int64_t perRow = width / kCopyElements;
  Value copier = rem(tid, 128);
  int64_t rowsPerRound = 128 / perRow;
  int64_t period = rowsPerRound % 8 == 0 ? 1 : 8 / rowsPerRound;
  Value chunk = rem(copier, perRow), row = div(copier, perRow);
  Value blockAt = add(at, mul(div(chunk, 8), idx(rows * kSwizzleElements)));
  SmallVector<Value> slots;
  for (int64_t j = 0; j < period; ++j) {
    Value r = add(row, idx(j * rowsPerRound));
    Value swizzled = arith::XOrIOp::create(b, rem(chunk, 8), rem(r, 8));
    slots.push_back(add(blockAt, add(mul(r, idx(kSwizzleElements)),
                                     mul(swizzled, idx(kCopyElements)))));
  }
  Value col = mul(chunk, idx(kCopyElements));
  for (int64_t i = 0; i < rows / rowsPerRound; ++i) {
    Value slot = add(slots[i % period], idx((i / period) * period *
                                            rowsPerRound * kSwizzleElements));
    Value pos = add(pos0, add(row, idx(i * rowsPerRound)));
    Value from = add(mul(sourceRow(pos), idx(width)), col);
    copy16(smem, {slot}, source, {from}, valid(pos), /*bypassL1=*/true);
  }
}

void Sm90Kernel::copyQ() {
  // Q rows past Sq are zero-filled; their address is clamped into bounds.
  Value lastQuery = sub(p.seqQ, idx(1));
  copyTile(
      qElement(), qFlat, kBlockRows, shape.headDim, qStart,
      [&](Value pos) {
        return querySourceRow(p, bi, head, min(pos, lastQuery));
      },
      [&](Value pos) { return lt(pos, p.seqQ); });
}

// A row past Sk reads nothing (its source size is 0), so its address,
// which may lie past the end, is never dereferenced.
void Sm90Kernel::copyKV(Value source, int64_t ringAt, int64_t width,
                        Value kvStart, Value stage) {
  copyTile(
      add(idx(ringAt), mul(stage, idx(shape.keys * width))), source, shape.keys,
      width, kvStart,
      [&](Value pos) { return kvSourceRow(p, bi, kvHead, pos); },
      [&](Value pos) { return lt(pos, p.seqK); });
}

void Sm90Kernel::loadTile(Value at, Value map, int64_t rows, int64_t width,
                          Value pos0, Value headId, Value bar) {
  // A box is one 64-column block of the tile: `rows` rows of 128 bytes,
  // which the copy swizzles the way copyTile does (the tensor map's 128-byte
  // swizzle). Rows past the tensor's extent arrive as zeros.
  auto i32 = [&](Value v) {
    return arith::IndexCastOp::create(b, b.getI32Type(), v);
  };
  Value pos = i32(pos0), headAt = i32(headId), row = i32(bi);
  for (int64_t block = 0; block < width / kSwizzleElements; ++block) {
    Value dst = arith::AddIOp::create(
        b, base,
        arith::IndexCastOp::create(
            b, b.getI64Type(),
            mul(add(at, idx(block * rows * kSwizzleElements)), idx(2))));
    Value column = idx32(block * kSwizzleElements);
    SmallVector<Value> coords =
        p.layout == Layout::BSHD ? SmallVector<Value>{column, headAt, pos, row}
                                 : SmallVector<Value>{column, pos, headAt, row};
    tmaLoad4d(dst, map, coords, bar);
  }
}

//===----------------------------------------------------------------------===//
// One KV tile
//===----------------------------------------------------------------------===//

Value Sm90Kernel::stageDesc(Value desc, Value stage, int64_t stageBytes) {
  Value stage64 = arith::IndexCastOp::create(b, b.getI64Type(), stage);
  return arith::AddIOp::create(
      b, desc,
      arith::MulIOp::create(
          b, stage64,
          arith::ConstantIntOp::create(b, b.getI64Type(), stageBytes >> 4)));
}

SmallVector<Value> Sm90Kernel::issueScores(Value kDesc) {
  // K-major operands: a k16 step is 32 bytes into a 128-byte row, and every
  // 4 steps the next column block; 8-row core matrices lie 1024 bytes apart
  // (the leading offset is unused for swizzled K-major operands).
  int64_t keys = shape.keys;
  fence({});
  SmallVector<Value> acc;
  for (int64_t ks = 0; ks < shape.headDim / 16; ++ks) {
    int64_t block = ks / 4, within = (ks % 4) * 32;
    acc = wgmma(
        acc,
        advance(itemQDesc(), block * shape.qRows() * kSwizzleBytes + within),
        {}, advance(kDesc, block * keys * kSwizzleBytes + within), keys,
        /*transposeB=*/false);
  }
  commit();
  return acc;
}

Scores Sm90Kernel::asScores(ArrayRef<Value> acc) {
  Scores s(1);
  for (int64_t nt = 0; nt < shape.keys / 8; ++nt)
    s[0].push_back(
        {acc[4 * nt], acc[4 * nt + 1], acc[4 * nt + 2], acc[4 * nt + 3]});
  return s;
}

SmallVector<Value> Sm90Kernel::pRegisters(const Scores &s) {
  // Two n8 tiles of exponentials make one m64k16 A fragment.
  SmallVector<Value> regs;
  for (int64_t kk = 0; kk < shape.keys / 16; ++kk) {
    const Acc &lo = s[0][2 * kk], &hi = s[0][2 * kk + 1];
    for (Value pair : {pack(lo[0], lo[1]), pack(lo[2], lo[3]),
                       pack(hi[0], hi[1]), pack(hi[2], hi[3])})
      regs.push_back(asRegister(pair));
  }
  return regs;
}

SmallVector<Value> Sm90Kernel::issuePV(ArrayRef<Value> acc,
                                       ArrayRef<Value> pRegs, Value vDesc) {
  // The fence orders the rescaled accumulators and P before the products.
  SmallVector<Value> both(acc);
  both.append(pRegs.begin(), pRegs.end());
  both = fence(both);
  SmallVector<Value> out(both.begin(), both.begin() + acc.size());
  // V is N-major: a k16 step is 16 rows (2048 bytes) down every column
  // block, the column blocks lie a whole block apart (the leading offset)
  // and 8-row core matrices 1024 bytes apart (the stride offset). P in
  // shared memory is K-major, as Q is: a k16 step is 32 bytes into a row,
  // every 4 steps the next column block of 64 rows.
  for (int64_t kk = 0; kk < shape.keys / 16; ++kk) {
    Value vStep = advance(vDesc, kk * 16 * kSwizzleBytes);
    if (shape.pInShared)
      out =
          wgmma(out, advance(pDesc, kk / 4 * 64 * kSwizzleBytes + kk % 4 * 32),
                {}, vStep, shape.outColumns(), /*transposeB=*/true);
    else
      out = wgmma(out, Value(), ArrayRef(both).slice(acc.size() + 4 * kk, 4),
                  vStep, shape.outColumns(), /*transposeB=*/true);
  }
  commit();
  return out;
}

void Sm90Kernel::storeP(ArrayRef<Value> pRegs) {
  storeRowsShared(pAt, shape.pBytes(), pRegs);
  // Each thread's stores before the async proxy's reads, then every warp's
  // stores before any warp's products: barrier 3 + g is warpgroup g's own.
  fenceAsyncShared();
  namedBarrierSync(
      arith::IndexCastOp::create(b, b.getI32Type(), add(group, idx(3))), 128);
}

void Sm90Kernel::storeRowsShared(int64_t at, int64_t groupBytes,
                                 ArrayRef<Value> words) {
  // words[4 kk + j] holds, for the k16 step kk, row g (j even) or g + 8 (j
  // odd) and columns 16 kk + 8 (j / 2) + 2 (lane % 4) and the next: n8
  // tile nt = 2 kk + j / 2. Its 16-byte chunk in the row is nt % 8,
  // swizzled by the row's low three bits, which are g's for both rows.
  Value g = div(lane, 4);
  Value row = add(mul(warp, idx(16)), g);
  Value rowAt =
      add(add(idx(at * 2), mul(group, idx(groupBytes))),
          add(mul(row, idx(kSwizzleBytes)), mul(rem(lane, 4), idx(4))));
  Value rowBase = arith::AddIOp::create(
      b, base, arith::IndexCastOp::create(b, b.getI64Type(), rowAt));
  Value swizzle =
      arith::IndexCastOp::create(b, b.getI64Type(), mul(g, idx(16)));
  auto i64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, b.getI64Type(), v);
  };
  for (auto [i, reg] : llvm::enumerate(words)) {
    int64_t kk = i / 4, j = i % 4, nt = 2 * kk + j / 2;
    Value chunk = arith::XOrIOp::create(b, i64(nt % 8 * 16), swizzle);
    Value address = arith::AddIOp::create(
        b, rowBase,
        arith::AddIOp::create(
            b, i64(nt / 8 * 64 * kSwizzleBytes + j % 2 * 8 * kSwizzleBytes),
            chunk));
    storeShared(address, reg);
  }
}

Sm90Kernel::Softmax Sm90Kernel::softmax(Scores &s, Value kvStart,
                                        ValueRange maxes, ValueRange sums) {
  if (!foldsScale(p))
    for (Acc &frag : s[0])
      for (Value &v : frag)
        v = fmul(v, p.scale);
  Rows rows{bi, head, warpFirst, lane, 16};
  // Every tile starts at a multiple of the tile's keys: kvBegin is 0, a
  // window's start rounded down, or a split's or a part's whole tiles.
  Value needMask =
      tileNeedsMask(p, rows, kvStart, shape.keys, /*alignedStarts=*/true);
  maskIf(needMask, s, [&] { return maskScores(p, rows, s, kvStart); });
  Softmax out;
  for (int64_t r = 0; r < 2; ++r) {
    SoftmaxStep step = softmaxStep(s[0], r, maxes[r], factor);
    out.maxes.push_back(step.max);
    out.sums.push_back(fadd(fmul(sums[r], step.correction), step.sum));
    out.corrections.push_back(step.correction);
  }
  return out;
}

void Sm90Kernel::rescale(MutableArrayRef<Value> acc, ValueRange corrections) {
  // Values 4 nt + 2 r + c hold row g + 8 r.
  for (int64_t i = 0, e = acc.size(); i < e; ++i)
    acc[i] = fmul(acc[i], corrections[(i % 4) / 2]);
}

std::pair<Value, Value> Sm90Kernel::stageOf(Value kvStart) {
  // Tile t of the block lies in stage t % shape.stages, in its round
  // t / shape.stages; a round's phase parity is the round's low bit.
  Value t = add(tileBase, div(sub(kvStart, kvBegin), shape.keys));
  Value round = div(t, shape.stages);
  Value parity = arith::IndexCastOp::create(b, b.getI32Type(), rem(round, 2));
  return {rem(t, shape.stages), parity};
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

Value Sm90Kernel::barrier(int64_t i) {
  return arith::AddIOp::create(
      b, base,
      arith::ConstantIntOp::create(b, b.getI64Type(),
                                   shape.dataBytes() + 8 * i));
}

Value Sm90Kernel::stageBarrier(StageBarrier kind, Value stage) {
  Value at = arith::AddIOp::create(
      b,
      arith::ConstantIntOp::create(
          b, b.getI64Type(), shape.dataBytes() + 8 + 8 * kind * shape.stages),
      arith::MulIOp::create(
          b, arith::IndexCastOp::create(b, b.getI64Type(), stage),
          arith::ConstantIntOp::create(b, b.getI64Type(), 8)));
  return arith::AddIOp::create(b, base, at);
}

void Sm90Kernel::release(Value bar) {
  // One arrival per warp, from its first lane, once the warp's products
  // that read what the barrier guards have completed.
  Value leader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, idx(0));
  scf::IfOp::create(b, leader, [&](OpBuilder &ib, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(ib);
    barrierArrive(bar);
    scf::YieldOp::create(b);
  });
}

void Sm90Kernel::produce(gpu::LaunchOp launch) {
  NVVM::SetMaxRegisterOp::create(
      b, tma ? kTmaProducerRegisters : kProducerRegisters,
      NVVM::SetMaxRegisterAction::decrease);
  if (tma) {
    produceWithTma(launch);
    signalDone();
    return;
  }
  // Each thread's copies of Q and of every K or V tile are a cp.async
  // group. Before a thread copies into a buffer again it waits for its own
  // last copies into it, although the empty barrier it waited on already
  // orders them (they landed before the consumers could release the
  // buffer), so the wait returns at once: the copies' completion is then
  // ordered in the thread itself, which is what compute-sanitizer's
  // racecheck tracks for cp.async. Between a stage's copy and the next
  // copy into it lie the other 2 x stages - 1 K and V groups (and, across
  // items, a Q group, which makes the wait stricter, not wrong).
  int64_t laterGroups = 2 * shape.stages - 1;
  forEachItem(launch, [&] {
    // The consumers are done with the previous item's Q (before the first
    // there is none, and the wait on the fresh barrier's parity 1 returns
    // at once). At least its K and V groups of one tile followed its Q
    // group, so all but the last group have landed.
    barrierWait(qEmpty(), arith::XOrIOp::create(b, itemParity, idx32(1)));
    NVVM::CpAsyncWaitGroupOp::create(b, 1);
    copyQ();
    barrierArriveOnCopies(qFull());
    NVVM::CpAsyncCommitGroupOp::create(b);
    scf::ForOp::create(b, kvBegin, kvEnd, idx(shape.keys), ValueRange{},
                       [&](OpBuilder &lb, Location, Value kvStart, ValueRange) {
                         OpBuilder::InsertionGuard guard(b);
                         enter(lb);
                         auto [stage, parity] = stageOf(kvStart);
                         // The consumers are done with the stage's previous
                         // round (in the first round there is none, and the
                         // wait on a fresh barrier's parity 1 returns at once).
                         Value previous =
                             arith::XOrIOp::create(b, parity, idx32(1));
                         barrierWait(stageBarrier(kEmpty, stage), previous);
                         NVVM::CpAsyncWaitGroupOp::create(b, laterGroups);
                         copyKV(kFlat, kAt, shape.headDim, kvStart, stage);
                         barrierArriveOnCopies(stageBarrier(kFull, stage));
                         NVVM::CpAsyncCommitGroupOp::create(b);
                         barrierWait(stageBarrier(vEmpty, stage), previous);
                         NVVM::CpAsyncWaitGroupOp::create(b, laterGroups);
                         copyKV(vFlat, vAt, shape.valueDim, kvStart, stage);
                         barrierArriveOnCopies(stageBarrier(vFull, stage));
                         NVVM::CpAsyncCommitGroupOp::create(b);
                         scf::YieldOp::create(b);
                       });
  });
  // No copy may be in flight when the warpgroup exits.
  NVVM::CpAsyncWaitGroupOp::create(b, 0);
}

void Sm90Kernel::produceWithTma(gpu::LaunchOp launch) {
  // The first thread issues every copy; a full barrier's phase is its one
  // arrival (with the tile's bytes expected) and the copies' bytes. The
  // other producer threads have nothing to do.
  Value issuer =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, idx(0));
  scf::IfOp::create(b, issuer, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    for (Value map : {qMap, kMap, vMap})
      acquireTensorMap(map);
    forEachItem(launch, [&] {
      // The consumers are done with the previous item's Q (before the
      // first there is none, and the wait on a fresh barrier's parity 1
      // returns at once).
      barrierWait(qEmpty(), arith::XOrIOp::create(b, itemParity, idx32(1)));
      barrierArriveExpectTx(qFull(), shape.qLoadBytes());
      loadTile(qElement(), qMap, shape.qRows(), shape.headDim, qStart, head,
               qFull());
      scf::ForOp::create(
          b, kvBegin, kvEnd, idx(shape.keys), ValueRange{},
          [&](OpBuilder &lb, Location, Value kvStart, ValueRange) {
            OpBuilder::InsertionGuard guard(b);
            enter(lb);
            Value stage, parity;
            std::tie(stage, parity) = stageOf(kvStart);
            Value previous = arith::XOrIOp::create(b, parity, idx32(1));
            auto copy = [&](StageBarrier empty, StageBarrier full, Value map,
                            int64_t ringAt, int64_t width) {
              barrierWait(stageBarrier(empty, stage), previous);
              Value bar = stageBarrier(full, stage);
              barrierArriveExpectTx(bar, shape.keys * width * 2);
              loadTile(add(idx(ringAt), mul(stage, idx(shape.keys * width))),
                       map, shape.keys, width, kvStart, kvHead, bar);
            };
            copy(kEmpty, kFull, kMap, kAt, shape.headDim);
            copy(vEmpty, vFull, vMap, vAt, shape.valueDim);
            scf::YieldOp::create(b);
          });
    });
    scf::YieldOp::create(b);
  });
}

SmallVector<Value> Sm90Kernel::firstTileScores(function_ref<void()> meanwhile,
                                               Value start) {
  auto [stage0, parity0] = stageOf(start ? start : kvBegin);
  barrierWait(stageBarrier(kFull, stage0), parity0);
  fenceCopies();
  turnBegin();
  SmallVector<Value> s0 =
      issueScores(stageDesc(kDesc0, stage0, shape.kStageBytes()));
  turnEnd();
  if (meanwhile)
    meanwhile();
  SmallVector<Value> done = wait(s0);
  releaseStage(kEmpty, stage0);
  return done;
}

SmallVector<Value> Sm90Kernel::firstScores(Value ready,
                                           function_ref<void()> meanwhile) {
  SmallVector<Type> types(shape.keys / 2, b.getF32Type());
  auto some = scf::IfOp::create(
      b, types, arith::AndIOp::create(b, ready, lt(kvBegin, kvEnd)),
      /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.thenBlock());
    barrierWait(qFull(), itemParity);
    fenceCopies();
    scf::YieldOp::create(b, firstTileScores(meanwhile));
  }
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.elseBlock());
    meanwhile();
    scf::YieldOp::create(b, SmallVector<Value>(types.size(), f32(0.0)));
  }
  return some.getResults();
}

SmallVector<Value> Sm90Kernel::consume(std::optional<ValueRange> first) {
  // FlashAttention-3's order: S of tile t is issued, then P·V of tile
  // t - 1, and the softmax of tile t runs while that P·V does. Each
  // warpgroup issues its products in a turn that the other's issue ends,
  // so one warpgroup's softmax runs under the other's products.
  int64_t keys = shape.keys, accValues = shape.outColumns() / 2;
  // P rides in registers from one tile to the next, unless it is staged in
  // shared memory.
  int64_t pValues = shape.pInShared ? 0 : keys / 16 * 4;

  // With alternate tiles, this consumer's first tile is `group` tiles in,
  // and it steps over the other consumer's.
  Value begin = kvBegin;
  int64_t step = keys;
  if (shape.alternate) {
    begin = add(kvBegin, mul(group, idx(keys)));
    step = 2 * keys;
  }

  double inf = std::numeric_limits<double>::infinity();
  Value zero = f32(0.0), negInf = f32(-inf);
  SmallVector<Type> types(accValues + 4, b.getF32Type());
  auto some = scf::IfOp::create(b, types, lt(begin, kvEnd),
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.thenBlock());
    // Tile 0: S and its softmax; its P·V waits for the next turn.
    // (The ring runs on across items: the item's first tile is in any
    // stage.)
    Scores s;
    if (first) {
      s = asScores(SmallVector<Value>(*first));
    } else {
      s = asScores(firstTileScores({}, begin));
    }
    Softmax sm = softmax(s, begin, {negInf, negInf}, {zero, zero});
    SmallVector<Value> init(accValues, zero);
    init.append(sm.maxes);
    init.append(sm.sums);
    init.append(sm.corrections);
    if (shape.pInShared)
      storeP(pRegisters(s));
    else
      init.append(pRegisters(s));

    // Where the keys' range is not known when the kernel is built (causal
    // items, windows, splits, lengths), the loop counts its tiles and
    // carries the tile's first key through a copy LLVM cannot see through
    // (opaque), made at the top of the body and the only use of the
    // carried value. As the loop's induction instead, the key was used
    // after its increment (the masks' compares, a mask block's keys), and
    // ptxas then left the whole loop off the uniform datapath: every wgmma
    // descriptor built in vector registers and moved over before each
    // wgmma (causal: 739 SASS instructions in the loop against 666 in this
    // form; bench/NOTES.md, 2026-12-07). A static range keeps the plain
    // loop, which ptxas already keeps uniform.
    bool staticRange = staticIndex(begin) && staticIndex(kvEnd);
    Value second = add(begin, idx(step));
    Value lower = second, upper = kvEnd, stride = idx(step);
    if (!staticRange) {
      lower = idx(0);
      upper = arith::CeilDivUIOp::create(
          b, sub(arith::MaxUIOp::create(b, kvEnd, second), second), stride);
      stride = idx(1);
      init.push_back(second);
    }
    auto loop = scf::ForOp::create(
        b, lower, upper, stride, init,
        [&](OpBuilder &nb, Location, Value iv, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          enter(nb);
          Value kvStart = staticRange ? iv : opaque(carried.back());
          SmallVector<Value> acc(carried.take_front(accValues));
          ValueRange maxes = carried.slice(accValues, 2),
                     sums = carried.slice(accValues + 2, 2),
                     corrections = carried.slice(accValues + 4, 2),
                     pRegs = carried.slice(accValues + 6, pValues);
          auto [stage, parity] = stageOf(kvStart);
          auto [before, beforeParity] = stageOf(sub(kvStart, idx(step)));
          barrierWait(stageBarrier(kFull, stage), parity);
          fenceCopies();
          turnBegin();
          SmallVector<Value> sAcc =
              issueScores(stageDesc(kDesc0, stage, shape.kStageBytes()));
          rescale(acc, corrections);
          barrierWait(stageBarrier(vFull, before), beforeParity);
          fenceCopies();
          acc = issuePV(acc, SmallVector<Value>(pRegs),
                        stageDesc(vDesc0, before, shape.vStageBytes()));
          turnEnd();
          Scores s = asScores(wait(sAcc, /*pending=*/1));
          releaseStage(kEmpty, stage);
          Softmax sm = softmax(s, kvStart, maxes, sums);
          SmallVector<Value> next = pRegisters(s);
          // The old P stays in its registers until its product is done.
          SmallVector<Value> done(acc);
          done.append(pRegs.begin(), pRegs.end());
          done = wait(done);
          releaseStage(vEmpty, before);
          SmallVector<Value> results(done.begin(), done.begin() + accValues);
          results.append(sm.maxes);
          results.append(sm.sums);
          results.append(sm.corrections);
          // The product that read the previous P is done: the tile is free.
          if (shape.pInShared)
            storeP(next);
          else
            results.append(next);
          if (!staticRange)
            results.push_back(add(kvStart, idx(step)));
          scf::YieldOp::create(b, results);
        });
    // Every S has completed: Q is free for the next item.
    releaseQ();
    // The last tile's P·V.
    ValueRange last = loop.getResults();
    SmallVector<Value> acc(last.take_front(accValues));
    rescale(acc, last.slice(accValues + 4, 2));
    Value lastTile = sub(kvEnd, idx(1));
    if (shape.alternate)
      lastTile = add(begin, mul(div(sub(lastTile, begin), step), idx(step)));
    auto [stage, parity] = stageOf(lastTile);
    barrierWait(stageBarrier(vFull, stage), parity);
    fenceCopies();
    SmallVector<Value> pRegs(last.slice(accValues + 6, pValues));
    SmallVector<Value> done =
        issuePV(acc, pRegs, stageDesc(vDesc0, stage, shape.vStageBytes()));
    done.append(pRegs);
    done = wait(done);
    releaseStage(vEmpty, stage);
    SmallVector<Value> results(done.begin(), done.begin() + accValues);
    llvm::append_range(results, last.slice(accValues, 4));
    scf::YieldOp::create(b, results);
  }
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(some.elseBlock());
    releaseQ();
    SmallVector<Value> empty(accValues, zero);
    llvm::append_range(empty, ValueRange{negInf, negInf, zero, zero});
    scf::YieldOp::create(b, empty);
  }
  return some.getResults();
}

void Sm90Kernel::setItem(Value blockX, Value kvHeadId, Value row) {
  kvHead = kvHeadId;
  bi = row;
  std::tie(head, qStart) = prefillBlock(p, blockX, kvHead, kBlockRows);
  warpFirst = add(add(qStart, mul(group, idx(64))), mul(warp, idx(16)));
  std::tie(kvBegin, kvEnd) = buildKVRange(
      b, b.getLoc(), p, FlashTiles{kBlockRows, shape.keys}, qStart);
}

void Sm90Kernel::setDecodeItem(Value splitId, Value splits, Value kvHeadId,
                               Value row) {
  kvHead = kvHeadId;
  bi = row;
  split = splitId;
  // The group's first query head; one query position, which every key
  // precedes or equals (a causal decode sees them all), so the rows'
  // positions are taken as 0.
  head = mul(kvHead, p.group);
  qStart = idx(0);
  warpFirst = idx(0);
  Value tiles = arith::CeilDivUIOp::create(b, p.seqK, idx(shape.keys));
  Value perSplit = arith::CeilDivUIOp::create(b, tiles, splits);
  kvBegin = mul(mul(split, perSplit), idx(shape.keys));
  kvEnd = min(add(kvBegin, mul(perSplit, idx(shape.keys))), p.seqK);
}

void Sm90Kernel::forEachItem(gpu::LaunchOp launch, function_ref<void()> body) {
  gpu::KernelDim3 blockId = launch.getBlockIds();
  if (!persistent) {
    // One item, one Q buffer (item overlap needs a persistent grid).
    if (shape.isDecode())
      setDecodeItem(blockId.x, launch.getGridSize().x, blockId.y, blockId.z);
    else
      setItem(blockId.x, blockId.y, blockId.z);
    tileBase = idx(0);
    itemParity = idx32(0);
    body();
    return;
  }
  Value blocksX = prefillGridX(b, b.getLoc(), p, kBlockRows);
  Value items = mul(mul(blocksX, p.headsKV), p.batch);
  // A planned order is already balanced.
  Value reverse =
      plan ? Value() : reversesRounds(blocksX, launch.getGridSize().x);
  ItemLoop loop = itemLoop(launch, items);
  scf::ForOp::create(
      b, loop.begin, loop.end, loop.step, ValueRange{idx(0), idx(0)},
      [&](OpBuilder &lb, Location, Value i, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(lb);
        setItemNumber(itemAt(i), carried[1], blockId.x, blocksX,
                      mul(blocksX, p.headsKV), items, launch.getGridSize().x,
                      reverse);
        setRound(carried[0], carried[1]);
        body();
        Value span = arith::MaxSIOp::create(b, sub(kvEnd, kvBegin), idx(0));
        Value tiles = arith::CeilDivUIOp::create(b, span, idx(shape.keys));
        scf::YieldOp::create(
            b, ValueRange{add(carried[0], tiles), add(carried[1], idx(1))});
      });
}

void Sm90Kernel::setRound(Value base, Value count) {
  tileBase = base;
  if (shape.qBuffers == 1) {
    itemParity = arith::IndexCastOp::create(b, b.getI32Type(), rem(count, 2));
    return;
  }
  qBuffer = rem(count, shape.qBuffers);
  itemParity = arith::IndexCastOp::create(b, b.getI32Type(),
                                          rem(div(count, shape.qBuffers), 2));
}

void Sm90Kernel::consumeItems(gpu::LaunchOp launch) {
  // The tensor cores read shared memory through the async proxy: each wait
  // is followed by a proxy fence that orders the copies this thread has
  // seen land before the products' reads. Every item waits for its Q, also
  // one without keys (whose Q is released at once), so that Q's buffer is
  // not refilled before its copy has landed.
  auto consumeItem = [&](std::optional<ValueRange> s0) {
    barrierWait(qFull(), itemParity);
    fenceCopies();
    return consume(s0);
  };
  if (shape.isDecode()) {
    forEachItem(launch, [&] {
      SmallVector<Value> results = consumeItem(std::nullopt);
      signalDone();
      storePartial(results);
    });
    return;
  }
  // With a staged output, the warpgroup's first thread issues its
  // copies: it acquires their tensor map first, and waits for them before
  // the block exits, which frees the shared memory they read.
  if (shape.oStaged) {
    storeIssuer = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                        rem(tid, 128), idx(0));
    scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      acquireTensorMap(oMap);
      scf::YieldOp::create(b);
    });
  }
  auto drainStores = [&] {
    if (!shape.oStaged)
      return;
    scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      bulkWait(0);
      scf::YieldOp::create(b);
    });
  };
  if (shape.qBuffers == 1) {
    forEachItem(launch,
                [&] { storeItem(consumeItem(std::nullopt), target()); });
    drainStores();
    return;
  }
  // Item overlap (a persistent grid): the block's first item's first S,
  // then per item its tiles, and the next item's first S issued before
  // this item's output is stored, so that the stores and the sums'
  // shuffles run under that product. The next item's Q has its own
  // buffer, copied while this item's tiles ran. Items are numbered as in
  // forEachItem; the divisors are kept positive so that an item past the
  // last one (or an empty grid) divides by none.
  gpu::KernelDim3 blockId = launch.getBlockIds();
  Value blocksX = prefillGridX(b, b.getLoc(), p, kBlockRows);
  Value items = mul(mul(blocksX, p.headsKV), p.batch);
  Value safeX = arith::MaxSIOp::create(b, blocksX, idx(1));
  Value perRow = arith::MaxSIOp::create(b, mul(safeX, p.headsKV), idx(1));
  Value grid = launch.getGridSize().x;
  Value reverse = plan ? Value() : reversesRounds(safeX, grid);
  // Position i of the block's loop takes item itemAt(i). A plan's table
  // is read an item ahead: the loop carries the numbers of this item and
  // the next, and loads the one after, so that no item waits on a global
  // load between its predecessor's tiles and its own.
  auto takeItem = [&](Value i, Value count) {
    setItemNumber(i, count, blockId.x, safeX, perRow, items, grid, reverse);
  };
  ItemLoop loop = itemLoop(launch, items);
  int64_t state = plan ? 4 : 2;
  SmallVector<Value> init{idx(0), idx(0)};
  if (plan)
    init.append({itemAt(loop.begin), itemAt(add(loop.begin, loop.step))});
  takeItem(plan ? init[2] : loop.begin, idx(0));
  setRound(idx(0), idx(0));
  llvm::append_range(init, firstScores(lt(loop.begin, loop.end), [] {}));
  scf::ForOp::create(
      b, loop.begin, loop.end, loop.step, init,
      [&](OpBuilder &lb, Location, Value w, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(lb);
        Value after;
        if (plan)
          after = itemAt(add(w, mul(loop.step, idx(2))));
        takeItem(plan ? carried[2] : w, carried[1]);
        setRound(carried[0], carried[1]);
        SmallVector<Value> results = consumeItem(carried.drop_front(state));
        // Where this item's output goes, before the next item replaces
        // the members.
        Target to = target();
        Value span = arith::MaxSIOp::create(b, sub(kvEnd, kvBegin), idx(0));
        Value nextBase =
            add(tileBase, arith::CeilDivUIOp::create(b, span, idx(shape.keys)));
        Value count = add(carried[1], idx(1));
        Value next = add(w, loop.step);
        takeItem(plan ? carried[3] : next, count);
        setRound(nextBase, count);
        SmallVector<Value> yielded{nextBase, count};
        if (plan)
          yielded.append({carried[3], after});
        llvm::append_range(yielded, firstScores(lt(next, loop.end), [&] {
                             storeItem(results, to);
                           }));
        scf::YieldOp::create(b, yielded);
      });
  drainStores();
}

void Sm90Kernel::storePartial(ArrayRef<Value> results) {
  // Halves of V's columns are the consumers' halves of the block's
  // partial, whose stats the first consumer writes; with alternate tiles
  // each consumer's partial is a split of its own.
  Value quadLane = rem(lane, 4);
  Value firstColumn = mul(quadLane, idx(2)), slot = split;
  Value writesStats =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, quadLane, idx(0));
  if (shape.alternate) {
    slot = add(mul(split, idx(2)), group);
  } else {
    firstColumn = add(mul(group, idx(shape.outColumns())), firstColumn);
    writesStats = arith::AndIOp::create(
        b, writesStats,
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, group, idx(0)));
  }
  storePartialRows(results, bi, kvHead, slot, idx(0), firstColumn, writesStats,
                   shape.packedRows);
}

void Sm90Kernel::storePartialRows(ArrayRef<Value> results, Value outer,
                                  Value inner, Value slot, Value firstRow,
                                  Value firstColumn, Value writesStats,
                                  int64_t rowLimit) {
  // Thread (warp w, lane l) holds rows 16 w + l / 4 (r = 0) and 8 below
  // (r = 1), columns nt * 8 + 2 (l % 4) and the next of each n8 tile nt of
  // this consumer's columns: values 4 nt + 2 r and 4 nt + 2 r + 1.
  int64_t columns = shape.outColumns(), accValues = columns / 2;
  Value partial = scratch[0], stats = scratch[1];
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t r = 0; r < 2; ++r) {
    Value row =
        add(firstRow, add(add(mul(warp, idx(16)), div(lane, 4)), idx(8 * r)));
    Value mx = results[accValues + r];
    // The running max is of unscaled scores where the scale rides in the
    // exponential; the combine takes it scaled.
    if (foldsScale(p))
      mx = fmul(mx, p.scale);
    Value sum = quadReduce(results[accValues + 2 + r],
                           [&](Value x, Value y) { return fadd(x, y); });
    auto storeRow = [&] {
      for (int64_t nt = 0; nt < columns / 8; ++nt) {
        Value pair = vector::FromElementsOp::create(
            b, pairType,
            ValueRange{results[4 * nt + 2 * r], results[4 * nt + 2 * r + 1]});
        vector::StoreOp::create(
            b, pair, partial,
            ValueRange{outer, inner, slot, row, add(firstColumn, idx(nt * 8))},
            /*nontemporal=*/false, llvm::MaybeAlign(8));
      }
      scf::IfOp::create(b, writesStats, [&](OpBuilder &sb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(sb);
        storeSplitStats(b, b.getLoc(), stats, outer, inner, slot, row, mx, sum);
        scf::YieldOp::create(b);
      });
    };
    if (rowLimit == 0) {
      storeRow();
      continue;
    }
    scf::IfOp::create(b, lt(row, idx(rowLimit)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      storeRow();
      scf::YieldOp::create(b);
    });
  }
}

void Sm90Kernel::storeStagedItem(ArrayRef<Value> results, const Target &to) {
  // The stores are asynchronous copies that one thread issues: no thread
  // waits for global stores of its own. Each consumer thread's 32 4-byte
  // stores at head_dim 128 kept its address registers busy until the
  // memory system took them, and the next write of those registers waited
  // (B16x1k: 5% of the consumers' time; bench/NOTES.md, 2026-12-07). The
  // tile is written in a TMA box's layout (the 128-byte swizzle of Q's),
  // and the copies clip the rows past the last query.
  int64_t accValues = shape.outColumns() / 2;
  // Barrier 5 + g is warpgroup g's own: 3 + g serves P in shared memory.
  Value barrierId =
      arith::IndexCastOp::create(b, b.getI32Type(), add(group, idx(5)));
  // The previous item's copies have read the tile (the issuer waits, then
  // the warpgroup meets), so that no thread overwrites it under them.
  scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    bulkWaitRead(0);
    scf::YieldOp::create(b);
  });
  namedBarrierSync(barrierId, 128);
  Value inv[2] = {inverseRowSum(results[accValues + 2]),
                  inverseRowSum(results[accValues + 3])};
  // Accumulator value 4 nt + 2 r (+1) is row g + 8 r, columns nt 8 +
  // 2 (lane % 4) (+1): word 4 (nt / 2) + 2 (nt % 2) + r of a P fragment.
  SmallVector<Value> words(accValues / 2);
  for (int64_t nt = 0; nt < accValues / 4; ++nt)
    for (int64_t r = 0; r < 2; ++r)
      words[4 * (nt / 2) + 2 * (nt % 2) + r] =
          asRegister(pack(fmul(results[4 * nt + 2 * r], inv[r]),
                          fmul(results[4 * nt + 2 * r + 1], inv[r])));
  storeRowsShared(oAt, shape.oBytes(), words);
  // Every thread's stores before the copies read them.
  fenceAsyncShared();
  namedBarrierSync(barrierId, 128);
  scf::IfOp::create(b, storeIssuer, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    auto i32 = [&](Value v) {
      return arith::IndexCastOp::create(b, b.getI32Type(), v);
    };
    // This consumer's first row: the warp's rows start 16 warp in.
    Value pos = i32(sub(to.rows.first, mul(warp, idx(16))));
    Value headAt = i32(to.rows.head), row = i32(to.rows.bi);
    for (int64_t block = 0; block < shape.valueDim / kSwizzleElements;
         ++block) {
      Value src = arith::AddIOp::create(
          b, base,
          arith::IndexCastOp::create(
              b, b.getI64Type(),
              add(mul(group, idx(shape.oBytes())),
                  idx((oAt + block * 64 * kSwizzleElements) * 2))));
      Value column = idx32(block * kSwizzleElements);
      SmallVector<Value> coords =
          p.layout == Layout::BSHD
              ? SmallVector<Value>{column, headAt, pos, row}
              : SmallVector<Value>{column, pos, headAt, row};
      tmaStore4d(oMap, coords, src);
    }
    bulkCommit();
    scf::YieldOp::create(b);
  });
}

void Sm90Kernel::storeItem(ArrayRef<Value> results, const Target &to) {
  int64_t accValues = shape.outColumns() / 2;
  // A whole item's rows go through the staged tile where there is one;
  // isPart is the same for the whole block, so either branch's named
  // barriers see all of a warpgroup.
  auto whole = [&] {
    if (shape.oStaged)
      storeStagedItem(results, to);
    else
      storeRows(p, to.rows, results.take_front(accValues),
                results.slice(accValues + 2, 2));
  };
  if (!to.isPart) {
    whole();
    return;
  }
  // A part stores all 128 rows of the item, also those past the last query
  // position, so that the combine reads nothing unwritten; its rows are
  // this consumer's 64, its columns all of V's.
  scf::IfOp::create(
      b, to.isPart,
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        Value quadLane = rem(lane, 4);
        storePartialRows(
            results, to.item, idx(0), to.part, mul(group, idx(64)),
            mul(quadLane, idx(2)),
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, quadLane,
                                  idx(0)),
            /*rowLimit=*/0);
        scf::YieldOp::create(b);
      },
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        whole();
        scf::YieldOp::create(b);
      });
}

void Sm90Kernel::zeroQPadding() {
  // Rows packedRows.. of each 64-column block of each Q buffer, 16 bytes
  // a store, shared by all the block's threads.
  int64_t chunksPerRow = kSwizzleBytes / 16;
  int64_t paddingRows = shape.qRows() - shape.packedRows;
  int64_t blocks = shape.qBuffers * shape.headDim / kSwizzleElements;
  int64_t chunks = blocks * paddingRows * chunksPerRow;
  auto chunkType = VectorType::get({8}, elt);
  Value zeros = arith::ConstantOp::create(
      b, chunkType, DenseElementsAttr::get(chunkType, b.getZeroAttr(elt)));
  for (int64_t i = 0; i < chunks; i += kThreads) {
    Value c = add(tid, idx(i));
    scf::IfOp::create(b, lt(c, idx(chunks)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      Value block = div(c, paddingRows * chunksPerRow);
      Value within = rem(c, paddingRows * chunksPerRow);
      Value row = add(div(within, chunksPerRow), idx(shape.packedRows));
      Value at = add(
          add(mul(block, idx(shape.qRows() * kSwizzleElements)),
              mul(row, idx(kSwizzleElements))),
          mul(rem(within, chunksPerRow), idx(8)));
      vector::StoreOp::create(b, zeros, smem, ValueRange{add(idx(qAt), at)},
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
      scf::YieldOp::create(b);
    });
  }
  // The products read them through the async proxy.
  fenceAsyncShared();
}

void Sm90Kernel::build(gpu::LaunchOp launch) {
  // A prefill grid lets the combine of its split last round launch at once:
  // the combine waits for this kernel to complete before it reads, and
  // none of its blocks can take an SM that a block of this one holds (each
  // takes most of the registers), so its blocks become resident, their
  // launch paid, as this grid's blocks retire.
  if (tail && signalDependents)
    NVVM::GriddepcontrolOp::create(b,
                                   NVVM::GridDepActionKind::launch_dependents);
  if (plan)
    planTable = memref::GetGlobalOp::create(
        b, planType(b.getContext(), plan->size), plan->symbol);
  tid = launch.getThreadIds().x;
  lane = rem(tid, 32);
  factor = softmaxFactor(p);
  // The consumer warpgroup's 64 rows of the block, and the warp's 16 of
  // them: the producer warpgroup comes first (its `group` is -1 and
  // unused). The warpgroup's index is broadcast from lane 0, here where
  // every thread runs: ptxas takes a value that a warp's lanes receive
  // from one lane as warp-uniform, and then keeps Q's wgmma descriptors,
  // which depend on it, on the uniform datapath instead of moving each
  // over (two R2UR) before its wgmma: 16 instructions of a causal tile's
  // 616 (bench/NOTES.md, 2026-12-07). Not above head_dim 128, where it
  // saved nothing (P's descriptors stay per thread) and ptxas spilled 60
  // bytes with it.
  Value warpgroup =
      arith::IndexCastOp::create(b, b.getI32Type(), div(tid, 128));
  if (shape.headDim <= 128)
    warpgroup =
        gpu::ShuffleOp::create(b, warpgroup, 0, 32, gpu::ShuffleMode::IDX)
            .getShuffleResult();
  group =
      sub(arith::IndexCastOp::create(b, b.getIndexType(), warpgroup), idx(1));
  warp = rem(div(tid, 32), 4);

  // Shared memory, from its first swizzle atom: Q, the K stages, the V
  // stages, all atom-aligned, then the barriers.
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Value dyn = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), workgroup));
  Value address = sharedAddress(dyn);
  Value addressIdx = arith::IndexCastOp::create(b, b.getIndexType(), address);
  Value shift =
      rem(sub(idx(kSwizzleAtomBytes), rem(addressIdx, kSwizzleAtomBytes)),
          kSwizzleAtomBytes);
  smem = memref::ViewOp::create(b,
                                MemRefType::get({shape.dataBytes() / 2}, elt,
                                                MemRefLayoutAttrInterface(),
                                                workgroup),
                                dyn, shift, ValueRange());
  int64_t keys = shape.keys;
  qAt = 0;
  kAt = shape.qBuffers * shape.qRows() * shape.headDim;
  vAt = kAt + shape.stages * keys * shape.headDim;
  pAt = vAt + shape.stages * keys * shape.valueDim;
  oAt = pAt + kConsumers * shape.pBytes() / 2;
  base = add(address, arith::IndexCastOp::create(b, b.getI64Type(), shift));
  auto descAt = [&](int64_t element, int64_t leading, int64_t stride) {
    return descriptor(
        arith::AddIOp::create(
            b, base,
            arith::ConstantIntOp::create(b, b.getI64Type(), element * 2)),
        leading, stride);
  };
  // Q and K are K-major (their leading offset, 16, is unused); V is
  // N-major, its 64-column blocks a whole block apart. In prefill this
  // warpgroup's 64 rows of Q start 64 rows into each column block; in
  // decode both read the same 64 rows, and this warpgroup's half of V's
  // columns starts that many column blocks in.
  auto groupOffset = [&](int64_t bytes) -> Value {
    return arith::MulIOp::create(
        b, arith::IndexCastOp::create(b, b.getI64Type(), group),
        arith::ConstantIntOp::create(b, b.getI64Type(), bytes >> 4));
  };
  qDesc = descAt(qAt, 16, kSwizzleAtomBytes);
  kDesc0 = descAt(kAt, 16, kSwizzleAtomBytes);
  vDesc0 = descAt(vAt, keys * kSwizzleBytes, kSwizzleAtomBytes);
  if (shape.isDecode() && !shape.alternate)
    vDesc0 = arith::AddIOp::create(
        b, vDesc0,
        groupOffset(shape.outColumns() / kSwizzleElements * keys *
                    kSwizzleBytes));
  else if (!shape.isDecode())
    qDesc = arith::AddIOp::create(b, qDesc, groupOffset(64 * kSwizzleBytes));
  // Each consumer's P tile, K-major like Q, after the V stages.
  if (shape.pInShared)
    pDesc = arith::AddIOp::create(
        b, descAt(pAt, 16, kSwizzleAtomBytes),
        arith::MulIOp::create(
            b, arith::IndexCastOp::create(b, b.getI64Type(), group),
            arith::ConstantIntOp::create(b, b.getI64Type(),
                                         shape.pBytes() >> 4)));

  auto flat = [&](Value m) -> Value {
    return memref::CollapseShapeOp::create(
        b, m, ArrayRef<ReassociationIndices>{{0, 1, 2, 3}});
  };
  kFlat = flat(p.key);
  vFlat = flat(p.value);
  qFlat = flat(p.query);

  // The barriers, after the tiles: Q's full barrier, then per stage the K
  // tile's and the V tile's full barriers (complete when the producer's
  // copies have landed: each producer thread's cp.async, or the one TMA
  // issuer's bytes) and their empty barriers (complete when every
  // consumer warp is done with them), then Q's empty barrier.
  // With alternate tiles only one consumer's warps read a stage; both read
  // Q.
  int64_t consumerWarps = 4 * kConsumers;
  int64_t stageReaders = shape.alternate ? 4 : consumerWarps;
  Value first = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, idx(0));
  scf::IfOp::create(b, first, [&](OpBuilder &nb, Location loc) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    for (int64_t i = 0; i < shape.barriers(); ++i) {
      bool full = i <= 2 * shape.stages ||
                  (shape.qBuffers == 2 && i == shape.qFullBarrier(1));
      bool qEmpty = i == shape.qEmptyBarrier(0) ||
                    (shape.qBuffers == 2 && i == shape.qEmptyBarrier(1));
      barrierInit(barrier(i), full     ? (tma ? 1 : 128)
                              : qEmpty ? consumerWarps
                                       : stageReaders);
    }
    scf::YieldOp::create(b);
  });
  if (shape.isDecode())
    zeroQPadding();
  // The barriers are initialised (and decode's Q padding zeroed) before
  // any thread uses them.
  gpu::BarrierOp::create(b);

  Value isProducer =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, div(tid, 128), idx(0));
  scf::IfOp::create(
      b, isProducer,
      [&](OpBuilder &nb, Location loc) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        produce(launch);
        scf::YieldOp::create(b);
      },
      [&](OpBuilder &nb, Location loc) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        NVVM::SetMaxRegisterOp::create(
            b, tma ? kTmaConsumerRegisters : kConsumerRegisters,
            NVVM::SetMaxRegisterAction::increase);
        // Barrier 1 + g is warpgroup g's turn to issue products; 256
        // threads: its 128 syncing and the other's 128 arriving. The turns
        // run on across items.
        Value groupId = arith::IndexCastOp::create(b, b.getI32Type(), group);
        myTurn = arith::AddIOp::create(b, groupId, idx32(1));
        theirTurn = arith::SubIOp::create(b, idx32(2), groupId);
        Value isFirst =
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, group, idx(0));
        // Warpgroup 0 takes the first turn.
        if (shape.turns()) {
          Value isSecond = arith::XOrIOp::create(
              b, isFirst, arith::ConstantIntOp::create(b, b.getI1Type(), 1));
          scf::IfOp::create(b, isSecond, [&](OpBuilder &nb, Location) {
            OpBuilder::InsertionGuard guard(b);
            enter(nb);
            namedBarrierArrive(idx32(1), 256);
            scf::YieldOp::create(b);
          });
        }
        consumeItems(launch);
        // Warpgroup 1's last turn ends with an arrival that warpgroup 0
        // takes here, so no barrier is left half-arrived.
        if (shape.turns())
          scf::IfOp::create(b, isFirst, [&](OpBuilder &nb, Location) {
            OpBuilder::InsertionGuard guard(b);
            enter(nb);
            namedBarrierSync(idx32(1), 256);
            scf::YieldOp::create(b);
          });
        scf::YieldOp::create(b);
      });
}

//===----------------------------------------------------------------------===//
// The decode form's entry points (Sm90Kernel.h)
//===----------------------------------------------------------------------===//

int64_t mlir::attn::sm90DecodeSharedBytes(int64_t headDim, int64_t valueDim,
                                          int64_t packedRows, bool alternate) {
  return Shape::decode(headDim, valueDim, packedRows, alternate).sharedBytes();
}

void mlir::attn::buildSm90DecodeKernel(OpBuilder &b, Location loc,
                                       const FlashProblem &p,
                                       const FlashLaunch &shape,
                                       gpu::LaunchOp launch, int64_t packedRows,
                                       bool alternate, bool signalDependents) {
  static_assert(Shape::decode(128, 128, 1).keys == kSm90DecodeTileKeys);
  ImplicitLocOpBuilder ib(loc, b);
  Sm90Kernel(ib, p, shape,
             Shape::decode(cast<MemRefType>(p.query.getType()).getDimSize(3),
                           cast<MemRefType>(p.value.getType()).getDimSize(3),
                           packedRows, alternate),
             /*persistent=*/false, signalDependents)
      .build(launch);
}

//===----------------------------------------------------------------------===//
// The schedule
//===----------------------------------------------------------------------===//

/// The runtime function that builds a tensor map on the host and returns
/// its global address (GpuRuntime.h).
static constexpr llvm::StringLiteral kTensorMapCall = "attnGpuTensorMap4d";

Value mlir::attn::buildSm90TensorMap(OpBuilder &b, Location loc,
                                    const FlashProblem &p, Value buffer,
                                    Value seq, Value rows, Value heads,
                                    int64_t width, int64_t boxRows,
                                    int64_t boxHeads) {
  auto i64 = [&](Value v) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
  };
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
  };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulIOp::create(b, loc, x, y);
  };
  // The first element's address: the buffer's aligned pointer plus its
  // offset, in bytes.
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  Value address = arith::AddIOp::create(
      b, loc,
      i64(memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer)),
      mul(i64(metadata.getOffset()), c(2)));
  // Dimensions innermost first, strides in bytes of every dimension but
  // the innermost.
  Value rowBytes = c(width * 2);
  SmallVector<Value> dims, strides, box;
  if (p.layout == Layout::BSHD) {
    dims = {c(width), i64(heads), i64(seq), i64(p.batch)};
    Value position = mul(rowBytes, i64(heads));
    strides = {rowBytes, position, mul(position, i64(rows))};
    box = {c(kSwizzleElements), c(boxHeads), c(boxRows), c(1)};
  } else {
    dims = {c(width), i64(seq), i64(heads), i64(p.batch)};
    Value head = mul(rowBytes, i64(rows));
    strides = {rowBytes, head, mul(head, i64(heads))};
    box = {c(kSwizzleElements), c(boxRows), c(boxHeads), c(1)};
  }
  SmallVector<Value> args{address, c(2)};
  args.append(dims);
  args.append(strides);
  args.append(box);
  return func::CallOp::create(b, loc, kTensorMapCall, b.getI64Type(), args)
      .getResult(0);
}

void mlir::attn::declareSm90TensorMapCall(OpBuilder &b, Location loc) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  if (!module || module.lookupSymbol(kTensorMapCall))
    return;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto decl = func::FuncOp::create(
      b, loc, kTensorMapCall,
      b.getFunctionType(SmallVector<Type>(13, b.getI64Type()), b.getI64Type()));
  decl.setPrivate();
}

namespace {
class Sm90FlashSchedule : public FlashSchedule {
public:
  Sm90FlashSchedule(int64_t smCount, bool tma, bool pInShared, bool itemOverlap,
                    bool tailSplit, PlanItems planItems, bool tmaStore)
      : smCount(smCount), tma(tma), pInShared(pInShared),
        itemOverlap(itemOverlap), tailSplit(tailSplit), tmaStore(tmaStore),
        planItems(planItems) {}

  StringRef getName() const override { return "sm90"; }

  std::string getSummary() const override {
    std::string summary = "sm90";
    if (smCount > 0)
      summary += ", persistent over " + std::to_string(smCount) + " SMs (" +
                 (tma ? "" : "head_dim <= 128, ") + "four K/V tiles or more)";
    summary += tma ? ", TMA copies" : ", cp.async copies";
    summary += pInShared ? ", P in shared memory"
                         : ", P in shared memory above head_dim 128";
    if (itemOverlap)
      summary += ", item overlap";
    return summary;
  }

  std::string describeFor(AttentionOp op, bool keysInPlace) const override {
    std::string summary = getSummary();
    ItemsShape items = ItemsShape::of(op, keysInPlace);
    if (tailOf(items))
      summary += ", split last round";
    if (planOf(items))
      summary += ", planned order";
    if (stagesOutput(items, op.getType().getElementType()))
      summary += ", output stored with TMA";
    return summary;
  }

  std::optional<std::string> whyUnsupported(AttentionOp op) const override {
    if (std::optional<std::string> why =
            MmaSyncBuilder::whyNotHalf(op, "wgmma"))
      return why;
    for (auto [what, d] :
         {std::pair<const char *, int64_t>{
              "head_dim", op.getQuery().getType().getDimSize(3)},
          {"value head_dim", op.getValue().getType().getDimSize(3)}})
      if (d != 64 && d != 128 && d != 256)
        return std::string(what) + " " +
               (ShapedType::isDynamic(d) ? std::string("?")
                                         : std::to_string(d)) +
               " is not 64, 128 or 256 (whole 128-byte swizzled rows that "
               "128 threads copy evenly)";
    return std::nullopt;
  }

  FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                          const FlashProblem &p) const override {
    FlashLaunch launch;
    Shape shape = shapeOf(p);
    launch.gridX = MmaSyncBuilder::prefillGridX(b, loc, p, kBlockRows);
    if (isPersistent(p)) {
      // One block per SM (a block takes most of an SM's shared memory),
      // fewer where there are fewer items.
      Value items = arith::MulIOp::create(
          b, loc, arith::MulIOp::create(b, loc, launch.gridX, p.headsKV),
          p.batch);
      launch.gridX = arith::MinUIOp::create(
          b, loc, items, arith::ConstantIndexOp::create(b, loc, smCount));
      launch.gridY = launch.gridZ = arith::ConstantIndexOp::create(b, loc, 1);
    }
    launch.threads = kThreads;
    launch.dynamicSharedBytes = shape.sharedBytes();
    if (std::optional<TailSplit> tail = tailOf(ItemsShape::of(p)))
      allocPartials(b, loc, arith::ConstantIndexOp::create(b, loc, tail->items),
                    arith::ConstantIndexOp::create(b, loc, 1),
                    arith::ConstantIndexOp::create(b, loc, tail->parts),
                    kBlockRows, shape.valueDim, launch);
    if (tma) {
      // Q in boxes of the block's rows, K and V of a tile's keys; K and V
      // are seen over seqK positions of their kvRows.
      declareSm90TensorMapCall(b, loc);
      launch.kernelArguments = {
          buildSm90TensorMap(b, loc, p, p.query, p.seqQ, p.seqQ, p.headsQ,
                         shape.headDim, kBlockRows),
          buildSm90TensorMap(b, loc, p, p.key, p.seqK, p.kvRows, p.headsKV,
                         shape.headDim, shape.keys),
          buildSm90TensorMap(b, loc, p, p.value, p.seqK, p.kvRows, p.headsKV,
                         shape.valueDim, shape.keys)};
      // The output in boxes of a consumer's rows.
      if (shape.oStaged)
        launch.kernelArguments.push_back(
            buildSm90TensorMap(b, loc, p, p.output, p.seqQ, p.seqQ, p.headsQ,
                               shape.valueDim, 64));
    }
    return launch;
  }

  void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                 const FlashLaunch &launchShape,
                 gpu::LaunchOp launch) const override {
    ImplicitLocOpBuilder ib(loc, b);
    Shape shape = shapeOf(p);
    std::optional<TailSplit> tail = tailOf(ItemsShape::of(p));
    if (tail)
      nameKernel(launch, kPrimarySuffix);
    std::optional<ItemPlan> plan;
    if (std::optional<SmallVector<int32_t>> table = planOf(ItemsShape::of(p)))
      plan = addPlanTable(b, loc, launch, *table);
    Sm90Kernel(ib, p, launchShape, shape, isPersistent(p),
               /*signalDependents=*/tail.has_value(), tail, plan)
        .build(launch);
  }

  void buildEpilogue(OpBuilder &b, Location loc, const FlashProblem &p,
                     const FlashLaunch &launch) const override {
    std::optional<TailSplit> tail = tailOf(ItemsShape::of(p));
    if (!tail)
      return;
    // Block (row, 0, i) writes row `row` of item fullItems + i, numbered
    // as the kernel's forEachItem numbers them.
    auto itemRow = [&](ImplicitLocOpBuilder &ib, Value row, Value,
                       Value i) -> CombineRow {
      auto c = [&](int64_t x) -> Value {
        return arith::ConstantIndexOp::create(ib, x);
      };
      Value blocksX =
          MmaSyncBuilder::prefillGridX(ib, ib.getLoc(), p, kBlockRows);
      Value perRow = arith::MulIOp::create(ib, blocksX, p.headsKV);
      Value w = arith::AddIOp::create(ib, c(tail->fullItems), i);
      Value kvHead = arith::DivUIOp::create(
          ib, arith::RemUIOp::create(ib, w, perRow), blocksX);
      auto [head, qStart] = MmaSyncBuilder::prefillBlock(
          ib, ib.getLoc(), p, arith::RemUIOp::create(ib, w, blocksX), kvHead,
          kBlockRows);
      Value position = arith::AddIOp::create(ib, qStart, row);
      return {arith::DivUIOp::create(ib, w, perRow), position, head,
              arith::CmpIOp::create(ib, arith::CmpIPredicate::ult, position,
                                    p.seqQ)};
    };
    auto c = [&](int64_t x) -> Value {
      return arith::ConstantIndexOp::create(b, loc, x);
    };
    buildCombine(b, loc, p, launch, c(tail->parts), c(kBlockRows), c(1),
                 c(tail->items),
                 cast<MemRefType>(p.value.getType()).getDimSize(3),
                 /*dependentLaunch=*/true, "tail-combine", itemRow);
  }

private:
  /// A persistent grid's items where every extent is known when the kernel
  /// is built and the keys are the whole K/V buffers (no per-sequence
  /// lengths, no cache read in place): what the split last round and the
  /// planned order are computed from.
  struct StaticItems {
    int64_t seqQ, seqK, qTiles, group;
    /// Items (q-tiles x group x KV heads x batch, as forEachItem counts
    /// them), the grid over them, and the keys of a K/V tile.
    int64_t items, grid, keys;
  };
  std::optional<StaticItems> staticItems(const ItemsShape &p) const {
    if (!isPersistent(p) || p.kvLengths || p.keysInPlace)
      return std::nullopt;
    ShapedType q = p.query, k = p.key;
    unsigned s = p.layout == Layout::BSHD ? 1 : 2, h = 3 - s;
    int64_t batch = q.getDimSize(0), seqQ = q.getDimSize(s),
            headsQ = q.getDimSize(h), seqK = k.getDimSize(s),
            headsKV = k.getDimSize(h);
    if (ShapedType::isDynamic(batch) || ShapedType::isDynamic(seqQ) ||
        ShapedType::isDynamic(headsQ) || ShapedType::isDynamic(seqK) ||
        ShapedType::isDynamic(headsKV) || headsKV == 0)
      return std::nullopt;
    int64_t qTiles = llvm::divideCeil(seqQ, kBlockRows),
            group = headsQ / headsKV;
    int64_t items = qTiles * group * headsKV * batch;
    int64_t keys =
        Shape::of(q.getDimSize(3), p.value.getDimSize(3), pInShared).keys;
    return StaticItems{seqQ,  seqK, qTiles, group, items,
                       std::min(items, smCount), keys};
  }

  /// The split last round (TailSplit) where `tail-split` is on, the grid is
  /// persistent, every item costs the same and every extent is static, and
  /// splitting saves at least kMinTailTilesSaved tiles of the last round:
  /// below that the partials and the combine kernel (a few microseconds)
  /// would cost about what they save.
  std::optional<TailSplit> tailOf(const ItemsShape &p) const {
    if (!tailSplit || p.causal || p.window)
      return std::nullopt;
    std::optional<StaticItems> st = staticItems(p);
    if (!st)
      return std::nullopt;
    int64_t items = st->items, grid = st->grid;
    int64_t last = grid > 0 ? items % grid : 0;
    if (last == 0)
      return std::nullopt;
    int64_t tiles = llvm::divideCeil(st->seqK, st->keys);
    // As many parts as the idle blocks allow, each of whole tiles and none
    // empty.
    int64_t parts = std::min(grid / last, tiles);
    if (parts < 2)
      return std::nullopt;
    int64_t partTiles = llvm::divideCeil(tiles, parts);
    parts = llvm::divideCeil(tiles, partTiles);
    if (tiles - partTiles < kMinTailTilesSaved)
      return std::nullopt;
    return TailSplit{items - last, last, parts, partTiles};
  }

  /// The planned order's table (ItemPlan) where the grid is persistent,
  /// the items differ in length by a causal mask or a window (not
  /// per-sequence lengths, known only at run time), every extent is static
  /// and `plan-items` is always, or auto and the plan's largest block costs
  /// kMinPlanGain less than the grid's own order's: entries 0..grid the
  /// blocks' starts, then each block's items in plain order, as a grid
  /// taking the next item as each block frees would give them, an item
  /// costing its K/V tiles (as buildKVRange bounds them) plus one.
  std::optional<SmallVector<int32_t>> planOf(const ItemsShape &p) const {
    if (planItems == PlanItems::Never || !(p.causal || p.window))
      return std::nullopt;
    std::optional<StaticItems> st = staticItems(p);
    if (!st || st->items == 0 || st->items > kMaxPlanItems)
      return std::nullopt;
    int64_t seqQ = st->seqQ, seqK = st->seqK, keys = st->keys,
            qTiles = st->qTiles, group = st->group, items = st->items,
            grid = st->grid, blocksX = qTiles * group;
    // Item x's query tile is qTiles - 1 - (x % blocksX) / group
    // (prefillBlock); its keys are [begin, end) as buildKVRange bounds them.
    auto cost = [&](int64_t x) {
      int64_t qStart = (qTiles - 1 - (x % blocksX) / group) * kBlockRows;
      int64_t begin = 0, end = seqK;
      if (p.causal)
        end = std::clamp<int64_t>(
            std::min(qStart + kBlockRows, seqQ) + seqK - seqQ, 0, seqK);
      if (p.window)
        begin = std::max<int64_t>(qStart + seqK - seqQ + 1 - *p.window, 0) /
                keys * keys;
      return llvm::divideCeil(std::max<int64_t>(end - begin, 0), keys) + 1;
    };
    // Each item to the block that frees first (the lowest such block on a
    // tie, so that the plan is the same on every build).
    using Free = std::pair<int64_t, int64_t>; // (time, block)
    std::priority_queue<Free, std::vector<Free>, std::greater<Free>> free;
    for (int64_t b = 0; b < grid; ++b)
      free.push({0, b});
    std::vector<SmallVector<int32_t>> blockItems(grid);
    int64_t planLargest = 0;
    for (int64_t x = 0; x < items; ++x) {
      auto [time, b] = free.top();
      free.pop();
      blockItems[b].push_back(x);
      int64_t freed = time + cost(x);
      free.push({freed, b});
      planLargest = std::max(planLargest, freed);
    }
    if (planItems == PlanItems::Auto &&
        double(planLargest) >
            (1 - kMinPlanGain) * double(orderLargest(*st, cost)))
      return std::nullopt;
    SmallVector<int32_t> table;
    int64_t at = grid + 1;
    for (const SmallVector<int32_t> &list : blockItems) {
      table.push_back(at);
      at += list.size();
    }
    table.push_back(at);
    for (const SmallVector<int32_t> &list : blockItems)
      llvm::append_range(table, list);
    return table;
  }

  /// The largest block's cost in the grid's own order: block b takes
  /// items b, b + grid, ..., every other round reversed where the kernel's
  /// rule (reversesRounds) says so.
  static int64_t orderLargest(const StaticItems &st,
                              function_ref<int64_t(int64_t)> cost) {
    int64_t blocksX = st.qTiles * st.group, grid = st.grid;
    bool reverse = blocksX < 8 * std::gcd(grid, blocksX);
    int64_t largest = 0;
    for (int64_t b = 0; b < grid; ++b) {
      int64_t total = 0;
      for (int64_t w = b, count = 0; w < st.items; w += grid, ++count) {
        int64_t start = w - b;
        total += cost(reverse && count % 2
                          ? start + std::min(grid, st.items - start) - 1 - b
                          : w);
      }
      largest = std::max(largest, total);
    }
    return largest;
  }

  /// Adds `table` to the module around `launch` as a constant global in
  /// device memory (kernel outlining copies it into the kernel's module).
  static ItemPlan addPlanTable(OpBuilder &b, Location loc, gpu::LaunchOp launch,
                               ArrayRef<int32_t> table) {
    auto module = launch->getParentOfType<ModuleOp>();
    MemRefType type = planType(b.getContext(), table.size());
    auto values = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(table.size())}, b.getI32Type()), table);
    // Built outside the module, then inserted under a name of its own.
    OpBuilder detached(b.getContext());
    auto global = memref::GlobalOp::create(
        detached, loc, "attn_sm90_item_plan", b.getStringAttr("private"), type,
        values, /*constant=*/true,
        /*alignment=*/b.getI64IntegerAttr(16));
    SymbolTable(module).insert(global, module.getBody()->begin());
    return {global.getSymName().str(), int64_t(table.size())};
  }

  /// One block per item above head_dim 128 with cp.async copies, where the
  /// item loop's state does not fit the consumers' 224 registers (it
  /// spilled; with TMA they have 240, and it fits), and where a static key
  /// length of fewer than four tiles lets LLVM unroll the tile loop into
  /// code that spills once the stage ring's position is a loop value.
  bool isPersistent(const ItemsShape &p) const {
    int64_t keys = p.key.getDimSize(p.layout == Layout::BSHD ? 1 : 2);
    Shape shape =
        Shape::of(p.query.getDimSize(3), p.value.getDimSize(3), pInShared);
    // A KV cache read in place is attended over a run-time length, however
    // static its capacity: no unrolled tile loop.
    bool runTimeLength = p.keysInPlace || ShapedType::isDynamic(keys);
    bool fits = tma || (shape.headDim <= 128 && shape.valueDim <= 128);
    return smCount > 0 && fits && (runTimeLength || keys >= 4 * shape.keys);
  }
  bool isPersistent(const FlashProblem &p) const {
    return isPersistent(ItemsShape::of(p));
  }

  /// Two Q buffers where item overlap applies: a persistent grid (items
  /// to overlap), TMA copies (the producer's cp.async waits count one Q
  /// group between the tiles') and head dims up to 128 (at 256 the output
  /// and the next S together spill).
  int64_t qBuffers(const ItemsShape &items) const {
    bool applies = itemOverlap && tma && isPersistent(items) &&
                   items.query.getDimSize(3) <= 128 &&
                   items.value.getDimSize(3) <= 128;
    return applies ? 2 : 1;
  }
  int64_t qBuffers(const FlashProblem &p) const {
    return qBuffers(ItemsShape::of(p));
  }

  /// The output staged in shared memory and stored with TMA, with
  /// `tmaStore`: where Q has two buffers (with one, the stores are not
  /// under a product anyway), P stays in registers (its tiles and the
  /// output's do not fit together), and the output is an identity-layout
  /// buffer of Q's element type, which a tensor map can describe. With a
  /// split last round, its parts store partials as before.
  bool stagesOutput(const ItemsShape &items, Type outputElement) const {
    return tmaStore && qBuffers(items) == 2 && !pInShared &&
           outputElement == items.query.getElementType();
  }
  bool stagesOutput(const FlashProblem &p) const {
    auto out = cast<MemRefType>(p.output.getType());
    return out.getLayout().isIdentity() &&
           stagesOutput(ItemsShape::of(p), out.getElementType());
  }

  Shape shapeOf(const FlashProblem &p) const {
    return Shape::of(cast<MemRefType>(p.query.getType()).getDimSize(3),
                     cast<MemRefType>(p.value.getType()).getDimSize(3),
                     pInShared, qBuffers(p), stagesOutput(p));
  }

  int64_t smCount;
  bool tma, pInShared, itemOverlap, tailSplit, tmaStore;
  PlanItems planItems;
};
} // namespace

std::unique_ptr<FlashSchedule>
mlir::attn::createSm90FlashSchedule(int64_t smCount, bool tma, bool pInShared,
                                    bool itemOverlap, bool tailSplit,
                                    PlanItems planItems, bool tmaStore) {
  return std::make_unique<Sm90FlashSchedule>(
      smCount, tma, pInShared, itemOverlap, tailSplit, planItems, tmaStore);
}
