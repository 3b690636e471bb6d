//===- Sm90Flash.cpp - FlashAttention on Hopper wgmma tensor cores --------===//
//
// The Hopper schedule (sm_90a): FlashAttention-2's loop with both products
// on `wgmma.mma_async` (f16 or bf16 in, f32 accumulation), issued by whole
// warpgroups.
//
// A block of two warpgroups owns 128 query positions of one query head;
// warpgroup g owns rows 64g..64g+63 as the M of its products, and warp w of
// it the 16 rows 16w..16w+15 of those, in its accumulator fragments. K/V
// tiles of 128 keys (64 above head_dim 128, whose accumulators would not
// fit) are copied with cp.async, two stages deep, into shared memory laid
// out the way wgmma reads it: each tile is column blocks of 64 elements
// (128 bytes a row), 128-byte swizzled (16-byte chunk c of row r stored at
// chunk c ^ (r % 8)), so that the descriptors address them directly and the
// reads hit every bank once.
//
// Per tile, warpgroup g computes S = Q Kᵀ (64 x keys) with Q and K from
// shared memory (K-major), runs the online softmax on the accumulator
// fragments exactly as the mma.sync schedule does, and accumulates P·V with
// P from registers (its accumulator fragments are the A fragments of
// m64k16) and V from shared memory, N-major. The copies of tile j + 1 run
// under both products of tile j; the two warpgroups, out of step with each
// other, keep the tensor cores busy while the other runs its softmax.
//
//===----------------------------------------------------------------------===//

#include "FlashSchedule.h"
#include "WgmmaBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr int64_t kWarpgroups = 2;
constexpr int64_t kThreads = 128 * kWarpgroups;
constexpr int64_t kBlockRows = 64 * kWarpgroups;
constexpr int64_t kStages = 2;
/// The widest head dims for tiles of 128 keys: the f32 accumulators of S
/// (64 x 128) and of the output (64 x 128) take 128 registers a thread.
constexpr int64_t kWideTileMaxDim = 128;

struct Shape {
  int64_t headDim, valueDim;
  constexpr int64_t tileKeys() const {
    return headDim <= kWideTileMaxDim && valueDim <= kWideTileMaxDim ? 128 : 64;
  }
  // 2-byte elements throughout.
  constexpr int64_t qBytes() const { return kBlockRows * headDim * 2; }
  constexpr int64_t kStageBytes() const { return tileKeys() * headDim * 2; }
  constexpr int64_t vStageBytes() const { return tileKeys() * valueDim * 2; }
  /// Q, the K stages and the V stages, plus the slack that lets the base
  /// be rounded up to a swizzle atom.
  constexpr int64_t sharedBytes() const {
    return kSwizzleAtomBytes + qBytes() +
           kStages * (kStageBytes() + vStageBytes());
  }
};
// The largest head dims fit a block's shared memory, so no accepted op
// can exceed it.
static_assert(Shape{256, 256}.sharedBytes() <= kMaxSharedBytes);

/// Builds the kernel body; one instance per launch.
class Sm90Kernel : public WgmmaBuilder {
public:
  Sm90Kernel(ImplicitLocOpBuilder &b, const FlashProblem &p)
      : WgmmaBuilder(b, cast<MemRefType>(p.query.getType()).getElementType()),
        p(p), shape{cast<MemRefType>(p.query.getType()).getDimSize(3),
                    cast<MemRefType>(p.value.getType()).getDimSize(3)} {}

  void build(gpu::LaunchOp launch);

private:
  /// Issues this thread's cp.async copies of `rows` rows of `width`
  /// elements into the swizzled tile at flat element `base` of `smem`. Row
  /// i is sequence position pos0 + i, read from row `sourceRow(pos)` of
  /// the flat `source`; where `valid(pos)` is false nothing is read and the
  /// row is zero-filled.
  void copyTile(Value smem, Value base, Value source, int64_t rows,
                int64_t width, Value pos0, function_ref<Value(Value)> sourceRow,
                function_ref<Value(Value)> valid);
  /// Copies the K and V tile at `kvStart` into `stage` (an index value).
  void copyKV(Value kvStart, Value stage, Value enabled);

  /// S = Q Kᵀ of this warpgroup against the K tile of descriptor `kDesc`.
  Scores scores(Value kDesc);
  /// acc += P V, P being the exponentials `s`.
  void accumulatePV(const Scores &s, SmallVector<Value> &acc, Value vDesc);

  const FlashProblem &p;
  Shape shape;

  // Set up by build().
  Value tid, lane, bi, head, kvHead, qStart;
  Value smem, kFlat, vFlat;
  int64_t qAt = 0, kAt = 0, vAt = 0; // element offsets in smem
  Value qDesc;
};
} // namespace

//===----------------------------------------------------------------------===//
// Global to shared memory
//===----------------------------------------------------------------------===//

void Sm90Kernel::copyTile(Value smem, Value base, Value source, int64_t rows,
                          int64_t width, Value pos0,
                          function_ref<Value(Value)> sourceRow,
                          function_ref<Value(Value)> valid) {
  // Thread t copies chunk t % perRow of rows t / perRow + i rowsPerRound.
  // rowsPerRound is a multiple of 8, so a thread's rows share r % 8 and so
  // the chunk they are swizzled to.
  int64_t perRow = width / kCopyElements;
  int64_t rowsPerRound = kThreads / perRow;
  Value chunk = rem(tid, perRow), row = div(tid, perRow);
  Value block = div(chunk, 8);
  Value swizzled = arith::XOrIOp::create(b, rem(chunk, 8), rem(row, 8));
  Value slot = add(
      add(base, mul(block, idx(rows * kSwizzleElements))),
      add(mul(row, idx(kSwizzleElements)), mul(swizzled, idx(kCopyElements))));
  Value col = mul(chunk, idx(kCopyElements));
  for (int64_t i = 0; i < rows / rowsPerRound; ++i) {
    Value pos = add(pos0, add(row, idx(i * rowsPerRound)));
    Value from = add(mul(sourceRow(pos), idx(width)), col);
    copy16(smem, {add(slot, idx(i * rowsPerRound * kSwizzleElements))}, source,
           {from}, valid(pos), /*bypassL1=*/true);
  }
}

void Sm90Kernel::copyKV(Value kvStart, Value stage, Value enabled) {
  // A row past Sk reads nothing (its source size is 0), so its address,
  // which may lie past the end, is never dereferenced.
  auto valid = [&](Value pos) { return both(enabled, lt(pos, p.seqK)); };
  auto row = [&](Value pos) { return kvSourceRow(p, bi, kvHead, pos); };
  int64_t keys = shape.tileKeys();
  copyTile(smem, add(idx(kAt), mul(stage, idx(keys * shape.headDim))), kFlat,
           keys, shape.headDim, kvStart, row, valid);
  copyTile(smem, add(idx(vAt), mul(stage, idx(keys * shape.valueDim))), vFlat,
           keys, shape.valueDim, kvStart, row, valid);
}

//===----------------------------------------------------------------------===//
// One KV tile
//===----------------------------------------------------------------------===//

Scores Sm90Kernel::scores(Value kDesc) {
  // K-major operands: a k16 step is 32 bytes into a 128-byte row, and every
  // 4 steps the next column block; 8-row core matrices lie 1024 bytes apart
  // (the leading offset is unused for swizzled K-major operands).
  int64_t keys = shape.tileKeys();
  fence({});
  SmallVector<Value> acc;
  for (int64_t ks = 0; ks < shape.headDim / 16; ++ks) {
    int64_t block = ks / 4, within = (ks % 4) * 32;
    acc =
        wgmma(acc, advance(qDesc, block * kBlockRows * kSwizzleBytes + within),
              {}, advance(kDesc, block * keys * kSwizzleBytes + within), keys,
              /*transposeB=*/false);
  }
  commit();
  acc = wait(acc);
  Scores s(1);
  for (int64_t nt = 0; nt < keys / 8; ++nt)
    s[0].push_back(
        {acc[4 * nt], acc[4 * nt + 1], acc[4 * nt + 2], acc[4 * nt + 3]});
  return s;
}

void Sm90Kernel::accumulatePV(const Scores &s, SmallVector<Value> &acc,
                              Value vDesc) {
  // P's registers: two n8 tiles of exponentials make one m64k16 A fragment.
  SmallVector<Value> regs;
  for (int64_t kk = 0; kk < shape.tileKeys() / 16; ++kk) {
    const Acc &lo = s[0][2 * kk], &hi = s[0][2 * kk + 1];
    for (Value pair : {pack(lo[0], lo[1]), pack(lo[2], lo[3]),
                       pack(hi[0], hi[1]), pack(hi[2], hi[3])})
      regs.push_back(asRegister(pair));
  }
  // The fence orders the rescaled accumulators and P before the products.
  SmallVector<Value> both(acc);
  both.append(regs);
  both = fence(both);
  acc.assign(both.begin(), both.begin() + acc.size());
  // V is N-major: a k16 step is 16 rows (2048 bytes) down every column
  // block, the column blocks lie a whole block apart (the leading offset)
  // and 8-row core matrices 1024 bytes apart (the stride offset).
  for (int64_t kk = 0; kk < shape.tileKeys() / 16; ++kk)
    acc = wgmma(acc, Value(), ArrayRef(both).slice(acc.size() + 4 * kk, 4),
                advance(vDesc, kk * 16 * kSwizzleBytes), shape.valueDim,
                /*transposeB=*/true);
  commit();
  acc = wait(acc);
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

void Sm90Kernel::build(gpu::LaunchOp launch) {
  gpu::KernelDim3 blockId = launch.getBlockIds();
  tid = launch.getThreadIds().x;
  lane = rem(tid, 32);
  Value group = div(tid, 128), warp = rem(div(tid, 32), 4);
  kvHead = blockId.y;
  bi = blockId.z;
  std::tie(head, qStart) = prefillBlock(p, blockId.x, kvHead, kBlockRows);

  // Shared memory, from its first swizzle atom: Q, the K stages, the V
  // stages, all atom-aligned.
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
  int64_t elements = (shape.sharedBytes() - kSwizzleAtomBytes) / 2;
  smem = memref::ViewOp::create(
      b,
      MemRefType::get({elements}, elt, MemRefLayoutAttrInterface(), workgroup),
      dyn, shift, ValueRange());
  int64_t keys = shape.tileKeys();
  qAt = 0;
  kAt = kBlockRows * shape.headDim;
  vAt = kAt + kStages * keys * shape.headDim;
  Value base =
      add(address, arith::IndexCastOp::create(b, b.getI64Type(), shift));
  auto descAt = [&](int64_t element, int64_t leading, int64_t stride) {
    return descriptor(
        arith::AddIOp::create(
            b, base,
            arith::ConstantIntOp::create(b, b.getI64Type(), element * 2)),
        leading, stride);
  };
  // Q and K are K-major (their leading offset, 16, is unused); V is
  // N-major, its 64-column blocks a whole block apart. This warpgroup's 64
  // rows of Q start 64 rows into each column block.
  qDesc = arith::AddIOp::create(
      b, descAt(qAt, 16, kSwizzleAtomBytes),
      arith::MulIOp::create(
          b, arith::IndexCastOp::create(b, b.getI64Type(), group),
          arith::ConstantIntOp::create(b, b.getI64Type(),
                                       64 * kSwizzleBytes >> 4)));
  Value kDesc0 = descAt(kAt, 16, kSwizzleAtomBytes);
  Value vDesc0 = descAt(vAt, keys * kSwizzleBytes, kSwizzleAtomBytes);

  auto flat = [&](Value m) -> Value {
    return memref::CollapseShapeOp::create(
        b, m, ArrayRef<ReassociationIndices>{{0, 1, 2, 3}});
  };
  kFlat = flat(p.key);
  vFlat = flat(p.value);
  Value qFlat = flat(p.query);

  FlashTiles tiles{kBlockRows, keys};
  Value kvBegin, kvEnd;
  std::tie(kvBegin, kvEnd) = buildKVRange(b, b.getLoc(), p, tiles, qStart);
  // Q rows past Sq are zero-filled; their address is clamped into bounds.
  Value lastQuery = sub(p.seqQ, idx(1));
  copyTile(
      smem, idx(qAt), qFlat, kBlockRows, shape.headDim, qStart,
      [&](Value pos) {
        return querySourceRow(p, bi, head, min(pos, lastQuery));
      },
      [&](Value pos) { return lt(pos, p.seqQ); });
  copyKV(kvBegin, idx(0), lt(kvBegin, kvEnd));
  NVVM::CpAsyncCommitGroupOp::create(b);

  double inf = std::numeric_limits<double>::infinity();
  int64_t accValues = shape.valueDim / 2;
  Value zero = f32(0.0), negInf = f32(-inf);
  Value factor = softmaxFactor(p);
  // Loop-carried: the output fragments, the max and the sum of rows g and
  // g + 8, and the stage the tile lies in.
  SmallVector<Value> init(accValues, zero);
  init.append({negInf, negInf, zero, zero, idx(0)});
  Value warpFirst = add(add(qStart, mul(group, idx(64))), mul(warp, idx(16)));
  Rows rows{bi, head, warpFirst, lane, 16};

  auto loop = scf::ForOp::create(
      b, kvBegin, kvEnd, idx(keys), init,
      [&](OpBuilder &nb, Location, Value kvStart, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        Value stage = carried[accValues + 4];
        // Tile j has landed and is visible to the tensor cores (which read
        // shared memory through the async proxy), and both warpgroups are
        // done with tile j - 1, whose stage the copy of tile j + 1
        // overwrites.
        NVVM::CpAsyncWaitGroupOp::create(b, 0);
        NVVM::FenceProxyOp::create(
            b, NVVM::ProxyKind::async_shared,
            NVVM::SharedSpaceAttr::get(b.getContext(),
                                       NVVM::SharedSpace::shared_cta));
        gpu::BarrierOp::create(b);
        Value other = sub(idx(1), stage);
        Value next = add(kvStart, idx(keys));
        copyKV(next, other, lt(next, kvEnd));
        NVVM::CpAsyncCommitGroupOp::create(b);

        Value stage64 = arith::IndexCastOp::create(b, b.getI64Type(), stage);
        auto stageDesc = [&](Value desc, int64_t bytes) {
          return arith::AddIOp::create(
              b, desc,
              arith::MulIOp::create(
                  b, stage64,
                  arith::ConstantIntOp::create(b, b.getI64Type(), bytes >> 4)));
        };
        Scores s = scores(stageDesc(kDesc0, shape.kStageBytes()));
        if (!foldsScale(p))
          for (Acc &frag : s[0])
            for (Value &v : frag)
              v = fmul(v, p.scale);
        Value needMask = tileNeedsMask(p, rows, kvStart, keys);
        maskIf(needMask, s, [&] { return maskScores(p, rows, s, kvStart); });

        SmallVector<Value> acc(carried.begin(), carried.begin() + accValues);
        auto [newMax, newSum] =
            onlineSoftmax(s, carried.slice(accValues, 2),
                          carried.slice(accValues + 2, 2), acc, factor);
        accumulatePV(s, acc, stageDesc(vDesc0, shape.vStageBytes()));
        SmallVector<Value> results = acc;
        results.append(newMax);
        results.append(newSum);
        results.push_back(other);
        scf::YieldOp::create(b, results);
      });
  // No copy may be in flight when the block exits.
  NVVM::CpAsyncWaitGroupOp::create(b, 0);

  SmallVector<Value> results(loop.getResults());
  storeRows(p, rows, ArrayRef(results).take_front(accValues),
            ArrayRef(results).slice(accValues + 2, 2));
}

//===----------------------------------------------------------------------===//
// The schedule
//===----------------------------------------------------------------------===//

namespace {
class Sm90FlashSchedule : public FlashSchedule {
public:
  StringRef getName() const override { return "sm90"; }

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
               "256 threads copy evenly)";
    return std::nullopt;
  }

  FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                          const FlashProblem &p) const override {
    FlashLaunch launch;
    Shape shape{cast<MemRefType>(p.query.getType()).getDimSize(3),
                cast<MemRefType>(p.value.getType()).getDimSize(3)};
    launch.gridX = MmaSyncBuilder::prefillGridX(b, loc, p, kBlockRows);
    launch.threads = kThreads;
    launch.dynamicSharedBytes = shape.sharedBytes();
    return launch;
  }

  void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                 const FlashLaunch &, gpu::LaunchOp launch) const override {
    ImplicitLocOpBuilder ib(loc, b);
    Sm90Kernel(ib, p).build(launch);
  }
};
} // namespace

std::unique_ptr<FlashSchedule> mlir::attn::createSm90FlashSchedule() {
  return std::make_unique<Sm90FlashSchedule>();
}
