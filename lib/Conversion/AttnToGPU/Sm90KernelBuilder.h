//===- Sm90KernelBuilder.h - the wgmma/TMA kernel's builder -----*- C++ -*-===//
//
// The builder of the Hopper kernel (Sm90Flash.cpp's file comment describes
// it): the block's tiles and ring (Shape), the persistent grid's items
// and their plans, and the Sm90Kernel class, whose parts live in
// Sm90Tiles.cpp (copies into the ring, and the products and softmax of one
// K/V tile), Sm90Pipeline.cpp (the producer and the consumers),
// Sm90Items.cpp (the work items and the stores of their results) and
// Sm90Kernel.cpp (the kernel's body, and the decode form's entry points of
// Sm90Kernel.h).
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_SM90KERNELBUILDER_H
#define LIB_CONVERSION_ATTNTOGPU_SM90KERNELBUILDER_H

#include "Sm90Kernel.h"
#include "SplitCombine.h"
#include "WgmmaBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <optional>

namespace mlir::attn::sm90 {

/// Warpgroups that compute; each owns 64 query rows of the block.
inline constexpr int64_t kConsumers = 2;
inline constexpr int64_t kBlockRows = 64 * kConsumers;
inline constexpr int64_t kThreads = 128 * (1 + kConsumers);
static_assert(kThreads == kSm90Threads);
/// Registers a thread: the producer warpgroup gives back what its copies
/// do not need, the consumers take it (128 x 56 + 2 x 128 x 224 = 384 x
/// 168, the registers a thread has at entry). One thread issuing TMA
/// copies needs fewer than 128 computing cp.async addresses: 128 x 24 +
/// 2 x 128 x 240 is the same total.
inline constexpr int64_t kProducerRegisters = 56, kTmaProducerRegisters = 24;
inline constexpr int64_t kConsumerRegisters = 224, kTmaConsumerRegisters = 240;
/// The fewest K/V tiles a split last round must take off the round's time
/// (TailSplit): a guess of the partials' and the combine's cost, about
/// four tiles' time; not yet tuned on a GPU.
inline constexpr int64_t kMinTailTilesSaved = 4;
/// The most items a planned order's table takes (4 bytes each).
inline constexpr int64_t kMaxPlanItems = 1 << 16;
/// The least share of the largest block's cost that plan-items=auto takes
/// a plan for. A plan costs something the model does not see: on an H200
/// (2026-12-07, bench/NOTES.md) it gained 2.1-2.3% at causal B4 x 4k and
/// B1 x 16k, where the model gains 3%, and lost 2.9% at B16 x 1k, where the
/// model gains 0.6%.
inline constexpr double kMinPlanGain = 0.02;

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
inline MemRefType planType(MLIRContext *context, int64_t size) {
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

} // namespace mlir::attn::sm90

#endif // LIB_CONVERSION_ATTNTOGPU_SM90KERNELBUILDER_H
