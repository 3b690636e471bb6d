//===- Sm80Flash.cpp - FlashAttention-2 on mma.sync tensor cores ----------===//
//
// The Ampere-style schedule (it runs on sm_80 and later, Hopper included):
// FlashAttention-2 with the matrix products on `mma.sync.m16n8k16` (f16 or
// bf16 in, f32 accumulation).
//
// A block of 4 warps owns 128 query positions of one query head (64 for
// head dims above 128, whose accumulators would not fit); warp w owns 32
// (16) consecutive rows, as two (one) m16 tiles, so each K and V fragment a
// warp reads from shared memory feeds two matrix products. K/V tiles of 32
// keys are copied with cp.async (16 bytes per copy, zero-filled past the
// sequence) into shared memory two stages deep, so the copy of tile j+1 runs
// under the arithmetic of tile j. Rows of the shared buffers are padded by
// 16 bytes: the 8 row addresses an `ldmatrix` reads then fall in 8
// different bank groups.
//
// Per tile a warp computes S = Q Kᵀ (32x32, or 16x32) into accumulator
// fragments, masks only tiles that cross a boundary, runs the online
// softmax on the fragments (a row's scores sit in the 4 threads of a quad,
// reduced with two shuffles), and feeds P straight from registers as the A
// operand of P·V: the accumulator layout of two m16n8 tiles is the A layout
// of one m16k16 tile, so P never touches shared memory. Where the scale is
// known positive the scores stay unscaled and the scale rides in the FMA of
// the exponential.
//
// Every fragment is an SSA value (the loops over fragments are unrolled
// here), so that they all live in registers.
//
//===----------------------------------------------------------------------===//

#include "FlashSchedule.h"
#include "MmaSyncBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr int64_t kWarps = 4;
constexpr int64_t kThreads = 32 * kWarps;
constexpr int64_t kStages = 2;
constexpr int64_t kPad = kSharedPad;
/// The widest head dims for which a warp owns two m16 tiles: their f32
/// output accumulators (2 x 16 x 128 per warp) take 128 registers a lane.
constexpr int64_t kTwoTileMaxDim = 128;

struct Shape {
  int64_t headDim, valueDim, eltBytes;
  /// m16 tiles of query rows per warp.
  constexpr int64_t mTiles() const {
    return headDim <= kTwoTileMaxDim && valueDim <= kTwoTileMaxDim ? 2 : 1;
  }
  constexpr int64_t warpRows() const { return 16 * mTiles(); }
  /// Keys per K/V tile. With two m16 tiles, 64 keys spill; with one (head
  /// dims above 128), 64 keys would take 169 KB of shared memory at head_dim
  /// 256 and so one block of 4 warps per SM, where 32 keys allow two.
  constexpr int64_t tileKeys() const { return 32; }
  constexpr int64_t blockRows() const { return kWarps * warpRows(); }
  constexpr int64_t qRow() const { return headDim + kPad; }
  constexpr int64_t vRow() const { return valueDim + kPad; }
  constexpr int64_t qBytes() const { return blockRows() * qRow() * eltBytes; }
  constexpr int64_t kBytes() const {
    return kStages * tileKeys() * qRow() * eltBytes;
  }
  constexpr int64_t vBytes() const {
    return kStages * tileKeys() * vRow() * eltBytes;
  }
  constexpr int64_t sharedBytes() const {
    return qBytes() + kBytes() + vBytes();
  }
};
// The largest head dims of each tiling fit a block's shared memory, so no
// accepted op can exceed it; those of two m16 tiles leave room for two
// blocks per SM (228 KiB, 1 KiB of it reserved per block).
static_assert(Shape{256, 256, 2}.sharedBytes() <= kMaxSharedBytes);
static_assert(2 * (Shape{kTwoTileMaxDim, kTwoTileMaxDim, 2}.sharedBytes() +
                   1024) <=
              228 * 1024);

static Shape shapeOf(MemRefType query, MemRefType value) {
  return {query.getDimSize(3), value.getDimSize(3),
          query.getElementTypeBitWidth() / 8};
}

/// Builds the kernel body; one instance per launch.
class Sm80Kernel : public MmaSyncBuilder {
public:
  Sm80Kernel(ImplicitLocOpBuilder &b, const FlashProblem &p)
      : MmaSyncBuilder(b,
                       cast<MemRefType>(p.query.getType()).getElementType()),
        p(p), shape(shapeOf(cast<MemRefType>(p.query.getType()),
                            cast<MemRefType>(p.value.getType()))) {}

  void build(gpu::LaunchOp launch);

private:
  /// Issues the cp.async copies of this block's query rows into qSmem;
  /// rows past Sq are zero-filled instead of read.
  void copyQuery();

  /// Where this thread's copies of a K (`value` false) or V tile come from
  /// and go to, as flat element indices: the source of its first row (of
  /// the tile starting at key `kvStart`) and its slot in `stage`. Its other
  /// copies lie a constant number of rows further, and in the loop the
  /// cursors are loop-carried, so every copy address is a cursor plus an
  /// immediate; computed afresh from the tile start, LLVM hoists one
  /// register pair per copy out of the loop and the kernel spills.
  struct Cursor {
    Value source, slot;
  };
  Cursor copyCursor(Value kvStart, Value stage, bool value);
  /// Issues the copies of the K and V tile starting at key `kvStart`; keys
  /// past Sk, or all where `enabled` is false, are zero-filled.
  void copyTile(const Cursor &k, const Cursor &v, Value kvStart, Value enabled);
  /// The flat index of the first element this lane's ldmatrix reads of K
  /// or V in `stage`.
  Value readSlot(Value stage, bool value);
  int64_t rowElements(bool value) const {
    return value ? shape.vRow() : shape.qRow();
  }
  int64_t stageElements(bool value) const {
    return shape.tileKeys() * rowElements(value);
  }
  Value rowStride(bool value) {
    int64_t width = value ? shape.valueDim : shape.headDim;
    return p.layout == Layout::BSHD ? mul(p.headsKV, idx(width)) : idx(width);
  }

  /// S = Q Kᵀ of this warp against the K tile this lane's reads start at.
  Scores scores(Value kRead);

  const FlashProblem &p;
  Shape shape;

  // Set up by build().
  Value lane, warp, bi, head, kvHead, qStart, warpRow;
  Value qSmem, qFlat, kSmem, vSmem, kFlat, vFlat;
};
} // namespace

//===----------------------------------------------------------------------===//
// Global to shared memory
//===----------------------------------------------------------------------===//

void Sm80Kernel::copyQuery() {
  Value tid = add(mul(warp, idx(32)), lane);
  int64_t perRow = shape.headDim / kCopyElements;
  Value last = arith::SubIOp::create(b, p.seqQ, idx(1));
  for (int64_t i = 0; i < shape.blockRows() * perRow / kThreads; ++i) {
    Value chunk = add(tid, idx(i * kThreads));
    Value row = div(chunk, perRow);
    Value col = mul(rem(chunk, perRow), idx(kCopyElements));
    Value pos = add(qStart, row);
    // The address stays in bounds even where nothing is read.
    Value at = min(pos, last);
    SmallVector<Value> from = p.layout == Layout::BSHD
                                  ? SmallVector<Value>{bi, at, head, col}
                                  : SmallVector<Value>{bi, head, at, col};
    copy16(qSmem, {row, col}, p.query, from, lt(pos, p.seqQ));
  }
}

Sm80Kernel::Cursor Sm80Kernel::copyCursor(Value kvStart, Value stage,
                                          bool value) {
  int64_t width = value ? shape.valueDim : shape.headDim;
  int64_t perRow = width / kCopyElements;
  // Thread t copies column t % perRow of rows t / perRow + i rowsPerCopy
  // (see copyTile).
  Value tid = add(mul(warp, idx(32)), lane);
  Value row = div(tid, perRow);
  Value col = mul(rem(tid, perRow), idx(kCopyElements));
  Value pos = add(kvStart, row);
  Value srcRow = kvSourceRow(p, bi, kvHead, pos);
  Value slot = add(
      mul(add(mul(stage, idx(shape.tileKeys())), row), idx(rowElements(value))),
      col);
  return {add(mul(srcRow, idx(width)), col), slot};
}

void Sm80Kernel::copyTile(const Cursor &k, const Cursor &v, Value kvStart,
                          Value enabled) {
  // A copy of a row past Sk reads nothing (its source size is 0), so its
  // address, which may lie past the end, is never dereferenced; not
  // clamping it keeps the addresses a cursor plus an immediate.
  Value tid = add(mul(warp, idx(32)), lane);
  for (auto [c, src, dst, value] : {std::tuple{k, kFlat, kSmem, false},
                                    std::tuple{v, vFlat, vSmem, true}}) {
    int64_t perRow = (value ? shape.valueDim : shape.headDim) / kCopyElements;
    // Each round of copies covers rowsPerCopy whole rows. Where perRow does
    // not divide the 128 threads, or a round reaches past the tile (head
    // dim 16: 64 rows a round, 32 keys a tile), the threads without a row
    // of the tile skip the copy: zero-filling it would write into the other
    // stage or past the buffer.
    int64_t rowsPerCopy = kThreads / perRow;
    int64_t rounds = llvm::divideCeil(shape.tileKeys(), rowsPerCopy);
    Value row = div(tid, perRow);
    Value left = sub(sub(p.seqK, kvStart), row);
    Value stride = rowStride(value);
    for (int64_t i = 0; i < rounds; ++i) {
      int64_t rows = i * rowsPerCopy;
      // Structured bindings are captured by name only from C++20 on.
      auto issue = [&, c = c, src = src, dst = dst, value = value] {
        copy16(dst, {add(c.slot, idx(rows * rowElements(value)))}, src,
               {add(c.source, mul(stride, idx(rows)))},
               both(enabled, lt(idx(rows), left)), /*bypassL1=*/true);
      };
      bool everyThread =
          kThreads % perRow == 0 && rows + rowsPerCopy <= shape.tileKeys();
      if (everyThread) {
        issue();
        continue;
      }
      Value inTile = both(lt(row, idx(rowsPerCopy)),
                          lt(row, idx(shape.tileKeys() - rows)));
      scf::IfOp::create(b, inTile, [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        issue();
        scf::YieldOp::create(b);
      });
    }
  }
}

Value Sm80Kernel::readSlot(Value stage, bool value) {
  // ldmatrix row addresses: for K, the B operand of two n8 tiles, lanes
  // 8-15 and 24-31 take the second 8 columns and lanes 16-31 the second 8
  // keys; for V (transposed) lanes 0-15 give keys 0-15 at column 0 and
  // lanes 16-31 the same keys at column 8.
  Value row =
      value ? rem(lane, 16) : add(rem(lane, 8), mul(div(lane, 16), idx(8)));
  Value col =
      value ? mul(div(lane, 16), idx(8)) : mul(rem(div(lane, 8), 2), idx(8));
  return add(
      mul(add(mul(stage, idx(shape.tileKeys())), row), idx(rowElements(value))),
      col);
}

//===----------------------------------------------------------------------===//
// One KV tile
//===----------------------------------------------------------------------===//

Scores Sm80Kernel::scores(Value kRead) {
  Value zero = f32(0.0);
  int64_t mTiles = shape.mTiles();
  Scores s(mTiles,
           SmallVector<Acc>(shape.tileKeys() / 8, Acc{zero, zero, zero, zero}));
  // ldmatrix.x4 row addresses of Q: lanes 0-15 give rows 0-15 at column 0,
  // lanes 16-31 the same rows at column 8 (the A fragment of m16k16).
  Value qRead = opaque(add(mul(add(warpRow, rem(lane, 16)), idx(shape.qRow())),
                           mul(div(lane, 16), idx(8))));
  for (int64_t ks = 0; ks < shape.headDim / 16; ++ks) {
    SmallVector<Frag, 2> a;
    for (int64_t mt = 0; mt < mTiles; ++mt)
      a.push_back(ldmatrix(
          qFlat, {add(qRead, idx(16 * mt * shape.qRow() + ks * 16))}, false));
    for (int64_t np = 0; np < shape.tileKeys() / 16; ++np) {
      Frag k = ldmatrix(
          kSmem, {add(kRead, idx(np * 16 * shape.qRow() + ks * 16))}, false);
      for (int64_t mt = 0; mt < mTiles; ++mt) {
        s[mt][2 * np] = mma(a[mt], {k[0], k[1]}, s[mt][2 * np]);
        s[mt][2 * np + 1] = mma(a[mt], {k[2], k[3]}, s[mt][2 * np + 1]);
      }
    }
  }
  return s;
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

void Sm80Kernel::build(gpu::LaunchOp launch) {
  gpu::KernelDim3 blockId = launch.getBlockIds();
  Value tid = launch.getThreadIds().x;
  int64_t mTiles = shape.mTiles(), blockRows = shape.blockRows();
  lane = rem(tid, 32);
  warp = div(tid, 32);
  kvHead = blockId.y;
  bi = blockId.z;
  std::tie(head, qStart) = prefillBlock(p, blockId.x, kvHead, blockRows);
  warpRow = mul(warp, idx(shape.warpRows()));
  // Built where used: a first row computed before the loop is one more
  // value live across it (a spill at head_dim 128).
  auto rows = [&] {
    return Rows{bi, head, add(qStart, warpRow), lane, shape.warpRows()};
  };

  // Shared memory: Q, then the K stages, then the V stages.
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                              gpu::AddressSpace::Workgroup);
  Value dyn = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), workgroup));
  auto view = [&](int64_t offset, ArrayRef<int64_t> dims) {
    return memref::ViewOp::create(
        b,
        MemRefType::get(dims, elt, MemRefLayoutAttrInterface(), workgroup),
        dyn, idx(offset), ValueRange());
  };
  qSmem = view(0, {blockRows, shape.qRow()});
  qFlat = view(0, {blockRows * shape.qRow()});
  // K and V are addressed through flat indices (see Cursor).
  kSmem = view(shape.qBytes(), {kStages * stageElements(false)});
  vSmem =
      view(shape.qBytes() + shape.kBytes(), {kStages * stageElements(true)});
  auto flat = [&](Value m) -> Value {
    return memref::CollapseShapeOp::create(
        b, m, ArrayRef<ReassociationIndices>{{0, 1, 2, 3}});
  };
  kFlat = flat(p.key);
  vFlat = flat(p.value);

  FlashTiles tiles{blockRows, shape.tileKeys()};
  Value kvBegin, kvEnd;
  std::tie(kvBegin, kvEnd) = buildKVRange(b, b.getLoc(), p, tiles, qStart);
  copyQuery();
  copyTile(copyCursor(kvBegin, idx(0), false),
           copyCursor(kvBegin, idx(0), true), kvBegin, lt(kvBegin, kvEnd));
  NVVM::CpAsyncCommitGroupOp::create(b);

  double inf = std::numeric_limits<double>::infinity();
  int64_t accTiles = shape.valueDim / 8;
  int64_t accValues = mTiles * accTiles * 4;
  Value zero = f32(0.0), negInf = f32(-inf);
  Value factor = softmaxFactor(p);
  // Loop-carried: the output fragments, then the max and then the sum of
  // rows g and g + 8 of each m-tile.
  SmallVector<Value> init(accValues, zero);
  init.append(2 * mTiles, negInf);
  init.append(2 * mTiles, zero);
  // Then the cursors: the K and V copies of tile j + 1 and the K and V reads
  // of tile j. Each alternates between its two stages' values, whose sum is
  // loop-invariant.
  int64_t cursors = init.size();
  SmallVector<Value> stageSums;
  for (bool value : {false, true}) {
    Value next = add(kvBegin, idx(shape.tileKeys()));
    Cursor c = copyCursor(next, idx(1), value);
    init.append({c.source, c.slot});
    stageSums.push_back(add(c.slot, copyCursor(next, idx(0), value).slot));
  }
  init.append({readSlot(idx(0), false), readSlot(idx(0), true)});
  for (bool value : {false, true})
    stageSums.push_back(add(readSlot(idx(0), value), readSlot(idx(1), value)));

  auto loop = scf::ForOp::create(
      b, kvBegin, kvEnd, idx(shape.tileKeys()), init,
      [&](OpBuilder &nb, Location, Value kvStart, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        Cursor kCopy{carried[cursors], carried[cursors + 1]};
        Cursor vCopy{carried[cursors + 2], carried[cursors + 3]};
        Value kRead = carried[cursors + 4], vRead = carried[cursors + 5];
        // Tile j has landed, and every warp is done with tile j - 1, whose
        // stage the copy of tile j + 1 overwrites.
        NVVM::CpAsyncWaitGroupOp::create(b, 0);
        gpu::BarrierOp::create(b);
        Value next = add(kvStart, idx(shape.tileKeys()));
        copyTile(kCopy, vCopy, next, lt(next, kvEnd));
        NVVM::CpAsyncCommitGroupOp::create(b);

        Scores s = scores(kRead);
        if (!foldsScale(p))
          for (auto &row : s)
            for (Acc &frag : row)
              for (Value &v : frag)
                v = fmul(v, p.scale);
        Value needMask = tileNeedsMask(p, rows(), kvStart, shape.tileKeys());
        maskIf(needMask, s, [&] { return maskScores(p, rows(), s, kvStart); });

        SmallVector<Value> acc(carried.begin(), carried.begin() + accValues);
        auto [newMax, newSum] = onlineSoftmax(
            s, carried.slice(accValues, 2 * mTiles),
            carried.slice(accValues + 2 * mTiles, 2 * mTiles), acc, factor);
        accumulatePV(s, acc, vSmem, vRead, shape.vRow());
        SmallVector<Value> results = acc;
        results.append(newMax);
        results.append(newSum);
        for (auto [c, value] : {std::pair{kCopy, false}, {vCopy, true}})
          results.append(
              {add(c.source, mul(rowStride(value), idx(shape.tileKeys()))),
               sub(stageSums[value], c.slot)});
        results.append({sub(stageSums[2], kRead), sub(stageSums[3], vRead)});
        scf::YieldOp::create(b, results);
      });
  // No copy may be in flight when the block exits.
  NVVM::CpAsyncWaitGroupOp::create(b, 0);

  SmallVector<Value> results(loop.getResults());
  storeRows(p, rows(), ArrayRef(results).take_front(accValues),
            ArrayRef(results).slice(accValues + 2 * mTiles, 2 * mTiles));
}

//===----------------------------------------------------------------------===//
// The schedule
//===----------------------------------------------------------------------===//

namespace {
class Sm80FlashSchedule : public FlashSchedule {
public:
  StringRef getName() const override { return "sm80"; }

  std::optional<std::string> whyUnsupported(AttentionOp op) const override {
    if (std::optional<std::string> why =
            MmaSyncBuilder::whyNotHalf(op, "mma.sync"))
      return why;
    for (auto [what, d] :
         {std::pair<const char *, int64_t>{"head_dim",
                                           op.getQuery().getType().getDimSize(
                                               3)},
          {"value head_dim", op.getValue().getType().getDimSize(3)}})
      if (ShapedType::isDynamic(d) || d <= 0 || d % 16 != 0 || d > 256)
        return std::string(what) + " " +
               (ShapedType::isDynamic(d) ? std::string("?")
                                         : std::to_string(d)) +
               " is not a multiple of 16 up to 256";
    return std::nullopt;
  }

  FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                          const FlashProblem &p) const override {
    FlashLaunch launch;
    Shape shape = shapeOf(cast<MemRefType>(p.query.getType()),
                          cast<MemRefType>(p.value.getType()));
    launch.gridX = MmaSyncBuilder::prefillGridX(b, loc, p, shape.blockRows());
    launch.threads = kThreads;
    launch.dynamicSharedBytes = shape.sharedBytes();
    return launch;
  }

  void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                 const FlashLaunch &, gpu::LaunchOp launch) const override {
    ImplicitLocOpBuilder ib(loc, b);
    Sm80Kernel(ib, p).build(launch);
  }
};
} // namespace

std::unique_ptr<FlashSchedule> mlir::attn::createSm80FlashSchedule() {
  return std::make_unique<Sm80FlashSchedule>();
}
