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
// This file holds the sm90 schedule (what it covers, the persistent grid's
// items and plans, the launch) and the host's tensor maps. The kernel is
// Sm90KernelBuilder.h's, built in the Sm90Tiles, Sm90Pipeline, Sm90Items
// and Sm90Kernel files.
//
//===----------------------------------------------------------------------===//

#include "Sm90KernelBuilder.h"

#include "attn/Runtime/DependentLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <queue>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::sm90;

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
