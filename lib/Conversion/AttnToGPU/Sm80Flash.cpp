//===- Sm80Flash.cpp - FlashAttention-2 on mma.sync tensor cores ----------===//
//
// The Ampere-style schedule (it runs on sm_80 and later, Hopper included):
// FlashAttention-2 with the matrix products on `mma.sync.m16n8k16` (f16 or
// bf16 in, f32 accumulation).
//
// A block of 4 warps owns 64 query positions of one query head; warp w owns
// rows 16w..16w+15. K/V tiles of 64 keys are copied with cp.async (16 bytes
// per copy, zero-filled past the sequence) into shared memory two stages
// deep, so the copy of tile j+1 runs under the arithmetic of tile j. Rows of
// the shared buffers are padded by 16 bytes: the 8 row addresses an
// `ldmatrix` reads then fall in 8 different bank groups.
//
// Per tile a warp computes S = Q Kᵀ (16x64) into accumulator fragments,
// masks only tiles that cross a boundary, runs the online softmax on the
// fragments (a row's 64 scores sit in the 4 threads of a quad, reduced with
// two shuffles), and feeds P straight from registers as the A operand of
// P·V: the accumulator layout of two m16n8 tiles is the A layout of one
// m16k16 tile, so P never touches shared memory.
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
/// Query rows per warp: the M of mma.sync m16n8k16.
constexpr int64_t kWarpRows = 16;
constexpr int64_t kBlockRows = kWarps * kWarpRows;
/// Keys per K/V tile.
constexpr int64_t kTileKeys = 64;
constexpr int64_t kStages = 2;
constexpr int64_t kPad = kSharedPad;

struct Shape {
  int64_t headDim, valueDim, eltBytes;
  constexpr int64_t qRow() const { return headDim + kPad; }
  constexpr int64_t vRow() const { return valueDim + kPad; }
  constexpr int64_t qBytes() const { return kBlockRows * qRow() * eltBytes; }
  constexpr int64_t kBytes() const {
    return kStages * kTileKeys * qRow() * eltBytes;
  }
  constexpr int64_t vBytes() const {
    return kStages * kTileKeys * vRow() * eltBytes;
  }
  constexpr int64_t sharedBytes() const {
    return qBytes() + kBytes() + vBytes();
  }
};
// The largest head dims the schedule accepts fit a block's shared memory,
// so no accepted op can exceed it.
static_assert(Shape{256, 256, 2}.sharedBytes() <= kMaxSharedBytes);

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
  /// Issues the cp.async copies of rows [first, first + rows) of `src`
  /// (sequence positions, head `head`) into `dst` (indexed by `prefix`,
  /// row, column); rows at or past `limit`, or all rows when `enabled` is
  /// false, are zero-filled instead of read.
  void copyRows(Value src, Value head, Value first, Value limit, Value enabled,
                Value dst, ValueRange prefix, int64_t rows, int64_t width);

  /// S = Q Kᵀ of this warp against the K tile of `stage`.
  SmallVector<Acc> scores(Value stage);
  /// Applies the causal/window/sequence-end limits and the additive mask.
  SmallVector<Acc> maskScores(const SmallVector<Acc> &s, Value kvStart);

  const FlashProblem &p;
  Shape shape;

  // Set up by build().
  Value lane, warp, bi, head, kvHead, qStart, warpRow;
  Value qSmem, kSmem, vSmem;
};
} // namespace

//===----------------------------------------------------------------------===//
// Global to shared memory
//===----------------------------------------------------------------------===//

void Sm80Kernel::copyRows(Value src, Value head, Value first, Value limit,
                          Value enabled, Value dst, ValueRange prefix,
                          int64_t rows, int64_t width) {
  Value tid = add(mul(warp, idx(32)), lane);
  int64_t perRow = width / kCopyElements;
  Value last = arith::SubIOp::create(b, limit, idx(1));
  for (int64_t i = 0; i < rows * perRow / kThreads; ++i) {
    Value chunk = add(tid, idx(i * kThreads));
    Value row = div(chunk, perRow);
    Value col = mul(rem(chunk, perRow), idx(kCopyElements));
    Value pos = add(first, row);
    Value valid = arith::AndIOp::create(b, enabled, lt(pos, limit));
    // The address stays in bounds even where nothing is read.
    Value at = arith::MinSIOp::create(b, pos, last);
    SmallVector<Value> from = p.layout == Layout::BSHD
                                  ? SmallVector<Value>{bi, at, head, col}
                                  : SmallVector<Value>{bi, head, at, col};
    SmallVector<Value> to(prefix);
    to.append({row, col});
    copy16(dst, to, src, from, valid);
  }
}

//===----------------------------------------------------------------------===//
// One KV tile
//===----------------------------------------------------------------------===//

SmallVector<Acc> Sm80Kernel::scores(Value stage) {
  Value zero = f32(0.0);
  SmallVector<Acc> s(kTileKeys / 8, Acc{zero, zero, zero, zero});
  // ldmatrix.x4 row addresses: lanes 0-15 give rows 0-15 at column 0, lanes
  // 16-31 the same rows at column 8 (the A fragment of m16k16). For K, which
  // is the B operand of two n8 tiles, lanes 8-15 and 24-31 take the second
  // 8 columns and lanes 16-31 the second 8 keys.
  Value qRow = add(warpRow, rem(lane, 16));
  Value qCol = mul(div(lane, 16), idx(8));
  Value kRow = add(rem(lane, 8), mul(div(lane, 16), idx(8)));
  Value kCol = mul(rem(div(lane, 8), 2), idx(8));
  for (int64_t ks = 0; ks < shape.headDim / 16; ++ks) {
    Frag a = ldmatrix(qSmem, {qRow, add(qCol, idx(ks * 16))}, false);
    for (int64_t np = 0; np < kTileKeys / 16; ++np) {
      Frag k = ldmatrix(kSmem,
                        {stage, add(kRow, idx(np * 16)),
                         add(kCol, idx(ks * 16))},
                        false);
      s[2 * np] = mma(a, {k[0], k[1]}, s[2 * np]);
      s[2 * np + 1] = mma(a, {k[2], k[3]}, s[2 * np + 1]);
    }
  }
  return s;
}

SmallVector<Acc> Sm80Kernel::maskScores(const SmallVector<Acc> &s,
                                        Value kvStart) {
  Value negInf = f32(-std::numeric_limits<double>::infinity());
  Value quadRow = div(lane, 4), quadLane = rem(lane, 4);
  SmallVector<Acc> out = s;
  for (int64_t r = 0; r < 2; ++r) {
    Value qi = add(add(qStart, warpRow), add(quadRow, idx(8 * r)));
    Value diag = add(qi, p.diagonal);
    Value lastQuery = arith::SubIOp::create(b, p.seqQ, idx(1));
    Value maskRow = arith::MinSIOp::create(b, qi, lastQuery);
    for (int64_t nt = 0; nt < kTileKeys / 8; ++nt) {
      for (int64_t c = 0; c < 2; ++c) {
        Value key = add(kvStart, add(mul(quadLane, idx(2)), idx(nt * 8 + c)));
        Value keep = lt(key, p.seqK);
        if (p.causal)
          keep = arith::AndIOp::create(b, keep,
                                       lt(key, add(diag, idx(1))));
        if (p.window)
          keep = arith::AndIOp::create(
              b, keep, lt(arith::SubIOp::create(b, diag, key),
                          idx(*p.window)));
        Value v = out[nt][2 * r + c];
        if (p.mask) {
          // A mask dimension of extent 1 broadcasts; keys and rows past the
          // end are clamped into bounds and masked out above.
          auto pick = [&](int64_t d, Value i) -> Value {
            Value isOne = arith::CmpIOp::create(
                b, arith::CmpIPredicate::eq,
                memref::DimOp::create(b, p.mask, d), idx(1));
            return select(isOne, idx(0), i);
          };
          Value lastKey = arith::SubIOp::create(b, p.seqK, idx(1));
          Value m = memref::LoadOp::create(
              b, p.mask,
              ValueRange{pick(0, bi), pick(1, head), maskRow,
                         arith::MinSIOp::create(b, key, lastKey)});
          v = fadd(v, castFloat(b, b.getLoc(), m, b.getF32Type()));
        }
        out[nt][2 * r + c] = select(keep, v, negInf);
      }
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

void Sm80Kernel::build(gpu::LaunchOp launch) {
  gpu::KernelDim3 blockId = launch.getBlockIds();
  Value tid = launch.getThreadIds().x;
  lane = rem(tid, 32);
  warp = div(tid, 32);
  kvHead = blockId.y;
  bi = blockId.z;
  // Blocks run the heads of a group for one q-tile back to back, so those
  // read the same K/V tiles from L2; the q-tiles go last to first, so under
  // causal masking the longest blocks start first.
  Value qTiles = arith::CeilDivUIOp::create(b, p.seqQ, idx(kBlockRows));
  Value tile = arith::SubIOp::create(
      b, arith::SubIOp::create(b, qTiles, idx(1)),
      arith::DivUIOp::create(b, blockId.x, p.group));
  head = add(mul(kvHead, p.group), arith::RemUIOp::create(b, blockId.x, p.group));
  qStart = mul(tile, idx(kBlockRows));
  warpRow = mul(warp, idx(kWarpRows));

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
  qSmem = view(0, {kBlockRows, shape.qRow()});
  kSmem = view(shape.qBytes(), {kStages, kTileKeys, shape.qRow()});
  vSmem = view(shape.qBytes() + shape.kBytes(),
               {kStages, kTileKeys, shape.vRow()});

  FlashTiles tiles{kBlockRows, kTileKeys};
  Value kvBegin, kvEnd;
  std::tie(kvBegin, kvEnd) = buildKVRange(b, b.getLoc(), p, tiles, qStart);
  Value yes = arith::ConstantIntOp::create(b, b.getI1Type(), 1);
  auto copyTile = [&](Value kvStart, Value stage, Value enabled) {
    copyRows(p.key, kvHead, kvStart, p.seqK, enabled, kSmem, stage, kTileKeys,
             shape.headDim);
    copyRows(p.value, kvHead, kvStart, p.seqK, enabled, vSmem, stage,
             kTileKeys, shape.valueDim);
  };
  copyRows(p.query, head, qStart, p.seqQ, yes, qSmem, {}, kBlockRows,
           shape.headDim);
  copyTile(kvBegin, idx(0), lt(kvBegin, kvEnd));
  NVVM::CpAsyncCommitGroupOp::create(b);

  double inf = std::numeric_limits<double>::infinity();
  int64_t accTiles = shape.valueDim / 8;
  Value zero = f32(0.0), negInf = f32(-inf);
  // Loop-carried: the output fragments, then max and sum of rows g, g + 8.
  SmallVector<Value> init(4 * accTiles, zero);
  init.append({negInf, negInf, zero, zero});

  auto loop = scf::ForOp::create(
      b, kvBegin, kvEnd, idx(kTileKeys), init,
      [&](OpBuilder &nb, Location, Value kvStart, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        Value stage = rem(div(arith::SubIOp::create(b, kvStart, kvBegin),
                              kTileKeys),
                          kStages);
        // Tile j has landed, and every warp is done with tile j - 1, whose
        // stage the copy of tile j + 1 overwrites.
        NVVM::CpAsyncWaitGroupOp::create(b, 0);
        gpu::BarrierOp::create(b);
        Value next = add(kvStart, idx(kTileKeys));
        copyTile(next, arith::SubIOp::create(b, idx(1), stage),
                 lt(next, kvEnd));
        NVVM::CpAsyncCommitGroupOp::create(b);

        SmallVector<Acc> s = scores(stage);
        for (Acc &frag : s)
          for (Value &v : frag)
            v = fmul(v, p.scale);
        // Only tiles that cross the end of the keys, the causal diagonal
        // or the window's start (for some row of this warp), or that add a
        // mask, pay for masking.
        Value firstRow = add(add(qStart, warpRow), p.diagonal);
        Value lastRow = add(firstRow, idx(kWarpRows - 1));
        Value tileEnd = add(kvStart, idx(kTileKeys));
        Value needMask = lt(p.seqK, tileEnd);
        if (p.causal)
          needMask = arith::OrIOp::create(
              b, needMask, lt(add(firstRow, idx(1)), tileEnd));
        if (p.window)
          needMask = arith::OrIOp::create(
              b, needMask,
              lt(kvStart, add(arith::SubIOp::create(b, lastRow,
                                                    idx(*p.window)),
                              idx(1))));
        if (p.mask)
          needMask = yes;
        SmallVector<Type> types(4 * s.size(), b.getF32Type());
        auto masked = scf::IfOp::create(b, types, needMask,
                                        /*withElseRegion=*/true);
        auto yieldScores = [&](Block *block,
                               function_ref<SmallVector<Acc>()> make) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToEnd(block);
          SmallVector<Value> flat;
          for (const Acc &frag : make())
            flat.append(frag.begin(), frag.end());
          scf::YieldOp::create(b, flat);
        };
        yieldScores(masked.thenBlock(),
                    [&] { return maskScores(s, kvStart); });
        yieldScores(masked.elseBlock(), [&] { return s; });
        for (auto [i, frag] : llvm::enumerate(s))
          for (int64_t c = 0; c < 4; ++c)
            frag[c] = masked.getResult(4 * i + c);

        // Online softmax, per row r (g and g + 8) of this thread.
        SmallVector<Value> acc(carried.begin(),
                               carried.begin() + 4 * accTiles);
        SmallVector<Value> results;
        std::array<Value, 2> newMax, newSum;
        for (int64_t r = 0; r < 2; ++r) {
          Value oldMax = carried[4 * accTiles + r];
          Value oldSum = carried[4 * accTiles + 2 + r];
          SoftmaxStep step = softmaxStep(s, r, oldMax);
          Value mx = step.max, correction = step.correction, sum = step.sum;
          newMax[r] = mx;
          newSum[r] = fadd(fmul(oldSum, correction), sum);
          for (int64_t nt = 0; nt < accTiles; ++nt)
            for (int64_t c = 0; c < 2; ++c) {
              Value &a = acc[4 * nt + 2 * r + c];
              a = fmul(a, correction);
            }
        }

        // O += P V: P's accumulator fragments are the A fragments.
        Value vRow = rem(lane, 16);
        Value vCol = mul(div(lane, 16), idx(8));
        for (int64_t kk = 0; kk < kTileKeys / 16; ++kk) {
          Frag pa = {pack(s[2 * kk][0], s[2 * kk][1]),
                     pack(s[2 * kk][2], s[2 * kk][3]),
                     pack(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                     pack(s[2 * kk + 1][2], s[2 * kk + 1][3])};
          for (int64_t np = 0; np < shape.valueDim / 16; ++np) {
            Frag v = ldmatrix(vSmem,
                              {stage, add(vRow, idx(kk * 16)),
                               add(vCol, idx(np * 16))},
                              true);
            for (int64_t h = 0; h < 2; ++h) {
              int64_t nt = 2 * np + h;
              Acc o{acc[4 * nt], acc[4 * nt + 1], acc[4 * nt + 2],
                    acc[4 * nt + 3]};
              o = mma(pa, {v[2 * h], v[2 * h + 1]}, o);
              for (int64_t c = 0; c < 4; ++c)
                acc[4 * nt + c] = o[c];
            }
          }
        }
        results = acc;
        results.append({newMax[0], newMax[1], newSum[0], newSum[1]});
        scf::YieldOp::create(b, results);
      });
  // No copy may be in flight when the block exits.
  NVVM::CpAsyncWaitGroupOp::create(b, 0);

  // acc / sum; a row that saw no key (sum 0) writes zeros.
  Value quadRow = div(lane, 4), quadLane = rem(lane, 4);
  for (int64_t r = 0; r < 2; ++r) {
    Value sum = quadReduce(loop.getResult(4 * accTiles + 2 + r),
                           [&](Value x, Value y) { return fadd(x, y); });
    Value empty =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, zero);
    Value inv = select(empty, zero, arith::DivFOp::create(b, f32(1.0), sum));
    Value qi = add(add(qStart, warpRow), add(quadRow, idx(8 * r)));
    scf::IfOp::create(b, lt(qi, p.seqQ), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      for (int64_t nt = 0; nt < accTiles; ++nt)
        for (int64_t c = 0; c < 2; ++c) {
          Value d = add(mul(quadLane, idx(2)), idx(nt * 8 + c));
          p.store(b, b.getLoc(), fmul(loop.getResult(4 * nt + 2 * r + c), inv),
                  bi, qi, head, d);
        }
      scf::YieldOp::create(b);
    });
  }
}

//===----------------------------------------------------------------------===//
// The schedule
//===----------------------------------------------------------------------===//

namespace {
class Sm80FlashSchedule : public FlashSchedule {
public:
  StringRef getName() const override { return "sm80"; }

  std::optional<std::string> whyUnsupported(AttentionOp op) const override {
    Type elt = op.getQuery().getType().getElementType();
    if (!elt.isF16() && !elt.isBF16()) {
      std::string name;
      llvm::raw_string_ostream(name) << elt;
      return "its mma.sync takes f16 or bf16, not " + name;
    }
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
    Value qTiles = arith::CeilDivUIOp::create(
        b, loc, p.seqQ, arith::ConstantIndexOp::create(b, loc, kBlockRows));
    launch.gridX = arith::MulIOp::create(b, loc, qTiles, p.group);
    launch.threads = kThreads;
    launch.dynamicSharedBytes =
        shapeOf(cast<MemRefType>(p.query.getType()),
                cast<MemRefType>(p.value.getType()))
            .sharedBytes();
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
