//===- Sm80Decode.cpp - split-KV decode attention on mma.sync -------------===//
//
// The decode schedule: few query rows per KV head (one new token of each
// query head, or a short chunk) against a long cache. The cost is reading
// K and V once, so the schedule is built to keep the memory system busy:
//
// * The rows of a block are every query row of one KV group (query heads
//   times query positions, at most 64), packed into the M of mma.sync
//   m16n8k16 (padded to a multiple of 16 with zero rows), so each K/V tile
//   is read once for all of them (GQA packing). MQA's 32 rows per KV head
//   give 32 FLOP per byte of KV, more than CUDA cores could keep up with at
//   memory speed; tensor cores do.
// * The keys of a (batch, KV head) are split over the blocks along x
//   (flash-decoding) so that the grid fills the device even at batch 1, and
//   within a block over its streams of tiles, tile by tile (a block has 4
//   warps, or 8 with kv-warps). Each stream takes its own 32-key tiles (16
//   from 17 rows on, two m-tiles, unless the cache is quantized) through a
//   3-stage cp.async pipeline of its own (kv-stages sets 2 to 8) and keeps
//   its own online softmax, so streams never wait on each other inside the
//   loop. A stream is one warp, or, with kv-pair-warps and two m-tiles
//   (MQA's 32 rows), a pair of warps that each copy half of every tile and
//   take one m-tile of its products and softmax, meeting at a named
//   barrier a tile. From two m-tiles on, the softmax rescales lazily
//   (MmaSyncBuilder::lazyOnlineSoftmax).
// * At the end the streams' partial (max, sum, accumulator) are combined in
//   shared memory. With one block per (batch, KV head) the block writes the
//   output; otherwise it writes its partials to a scratch buffer and a
//   second kernel combines the blocks (SplitCombine.cpp).
//
// * A quantized cache (int8 or fp8 codes with per-token, per-head scales)
//   is copied as codes, half the bytes of bf16, into the stages, and the
//   products read the codes straight into registers: each lane loads whole
//   words of codes and turns them into f16 operand fragments of mma.sync
//   with byte permutes and one conversion per pair (the values are exact);
//   the scales multiply each key's scores and probabilities. No
//   dequantized copy of the cache is made, not even in shared memory.
//   For that, the reduction dimensions are permuted, which a sum does not
//   see: lane (g, t) owns the head_dim run t D/4 .. t D/4 + D/4 - 1 of a
//   key, and takes its word ks (4 codes) as k = 2t, 2t+1, 2t+8, 2t+9 of
//   the ks-th 16 of head_dim (Q's fragments are read the same way); within
//   each 16 keys, it takes keys t, t+4, t+8, t+12 as k = 2t, 2t+1, 2t+8,
//   2t+9 of P V (the keys of K's n8 tiles are ordered to match), and the
//   value columns g (D/8) + nt as column g of n8 tile nt, so that each
//   lane's codes of a row are one contiguous run. The stages are
//   XOR-swizzled in 16-byte chunks so that the reads of K at head_dim 128
//   and of V are free of bank conflicts (K at head_dim 32 and 64, and the
//   8-byte reads of Q, are 2-way).
//
// The fragment layouts and the masking are those of Sm80Flash.cpp.
//
//===----------------------------------------------------------------------===//

#include "FlashSchedule.h"
#include "MmaSyncBuilder.h"
#include "SplitCombine.h"

#include "attn/Runtime/DependentLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
/// Warps of a block unless kv-warps says otherwise.
constexpr int64_t kWarps = 4;
/// An SM's 32-bit registers.
constexpr int64_t kRegistersPerSM = 65536;
/// Stages of each stream's cp.async ring unless kv-stages says otherwise.
constexpr int64_t kDefaultStages = 3;
/// The most packed query rows a block takes.
constexpr int64_t kMaxRows = 64;
/// Accumulator columns per thread row set (m-tiles x value head_dim): 256
/// is 128 f32 registers of accumulator per thread.
constexpr int64_t kMaxAccColumns = 256;

/// How far (log2) a row's running max may fall behind its scores before
/// the warp moves its maxes and rescales its accumulators: exponentials up
/// to 2^8 stay far from f16's largest value even times the value scales
/// (valueScales), and sums of them from f32's.
constexpr double kLazyMaxBound = 8.0;

/// Codes a 16-byte copy of a quantized cache moves.
constexpr int64_t kCodesPerCopy = 16;

struct DecodeShape {
  /// Packed query rows: group x query positions.
  int64_t rows, seqQ, group;
  int64_t headDim, valueDim;
  /// Whether K and V are one-byte codes with scales: the stages then hold
  /// codes, which the products read into registers.
  bool quantized = false;
  /// Whether the scales are f32 and come through the stages with the codes
  /// (one 4-byte cp.async a key); 2-byte scales are loaded from global
  /// memory in the loop, since cp.async moves no fewer than 4 bytes and a
  /// cache's scales of consecutive keys are a head count apart. Only from
  /// two m-tiles on: with one (GQA 4:1), the stages took the kernel from
  /// 168 registers to 254 and int8 decode at batch 1, 128k keys ran 6-7%
  /// slower (H100, 2026-12-05); with two (MQA) the kernel has 254
  /// registers either way, and ran 7-10% faster.
  bool stagedScales = false;
  /// Tiles in each stream's ring: all but one are in flight while the
  /// stream works on that one.
  int64_t stages = kDefaultStages;
  /// Whether a shape of 32-key tiles takes 16-key ones, where 32 would not
  /// fit (see tileKeys).
  bool shortTiles = false;
  /// Warps that share one stream of tiles, each taking its own m-tiles of
  /// every tile (see makeShape).
  int64_t rowWarps = 1;
  /// Warps of a block (see makeShape).
  int64_t warps = kWarps;
  constexpr int64_t threads() const { return 32 * warps; }
  constexpr int64_t mTiles() const { return (rows + 15) / 16; }
  /// The m-tiles of each warp, and the tile streams of a block.
  constexpr int64_t warpMTiles() const { return mTiles() / rowWarps; }
  constexpr int64_t streams() const { return warps / rowWarps; }
  /// Keys per tile: 32, or 16 from 2 m-tiles on in f16/bf16 (and in pairs
  /// of warps), and 16 wherever more stages or warps of 32 keys would not
  /// fit. At one block an SM (MQA's split count), 32-key tiles ran
  /// two-m-tile bf16 decode 4% slower and int8 5-7% faster (H100,
  /// 2026-12-07; bench/NOTES.md): a quantized tile's products and
  /// conversions are longer chains, which a longer tile amortizes.
  constexpr int64_t tileKeys() const {
    return (mTiles() >= 2 && (!quantized || rowWarps > 1)) || shortTiles
               ? 16
               : 32;
  }
  constexpr int64_t mRows() const { return 16 * mTiles(); }
  constexpr int64_t kRow() const { return headDim + kSharedPad; }
  constexpr int64_t vRow() const { return valueDim + kSharedPad; }
  constexpr int64_t qBytes() const { return mRows() * kRow() * 2; }
  /// Tiles of the products' layout per stream: one per stage, none for
  /// codes.
  constexpr int64_t tileBuffers() const { return quantized ? 0 : stages; }
  constexpr int64_t kBytes() const {
    return streams() * tileBuffers() * tileKeys() * kRow() * 2;
  }
  constexpr int64_t vBytes() const {
    return streams() * tileBuffers() * tileKeys() * vRow() * 2;
  }
  /// The stages of codes, unpadded (swizzled instead).
  constexpr int64_t kCodeBytes() const {
    return quantized ? streams() * stages * tileKeys() * headDim : 0;
  }
  constexpr int64_t vCodeBytes() const {
    return quantized ? streams() * stages * tileKeys() * valueDim : 0;
  }
  /// The stages of K's scales (V's are as many).
  constexpr int64_t scaleBytes() const {
    return stagedScales ? streams() * stages * tileKeys() * 4 : 0;
  }
  /// Whether Q's A fragments are staged in the order of their registers
  /// (storeQueryFragments): for a quantized cache of two m-tiles or more.
  /// With MQA's two, int8 decode ran 4-12% faster; with GQA's one, ptxas
  /// scheduled the tile loop worse and int8 ran 13-27% slower at batch 64
  /// and 8 (H100, 2026-12-07), so one m-tile reads Q's rows as before.
  constexpr bool stagedQueryFragments() const {
    return quantized && mTiles() >= 2;
  }
  /// The staged fragments: 16 bytes a lane a (m-tile, k16 step).
  constexpr int64_t qFragmentBytes() const {
    return stagedQueryFragments() ? mTiles() * (headDim / 16) * 32 * 16 : 0;
  }
  constexpr int64_t pipelineBytes() const {
    return qBytes() + kBytes() + vBytes() + kCodeBytes() + vCodeBytes() +
           2 * scaleBytes() + qFragmentBytes();
  }
  /// A row of a stream's partial accumulators in shared memory, in f32s:
  /// 8 more than the value head_dim, so that the 8-byte stores of a quad's
  /// 8 rows fall in distinct banks, and rows stay 16-byte aligned.
  constexpr int64_t combineRow() const { return valueDim + 8; }
  /// The streams' partials, over the pipeline's buffers once it is
  /// drained.
  constexpr int64_t combineAccBytes() const {
    return streams() * mRows() * combineRow() * 4;
  }
  constexpr int64_t combineBytes() const {
    return combineAccBytes() + streams() * mRows() * kSplitStats * 4;
  }
  constexpr int64_t sharedBytes() const {
    return std::max(pipelineBytes(), combineBytes());
  }
};
// The largest shapes the schedule accepts fit a block's shared memory.
static_assert(DecodeShape{32, 1, 32, 128, 128}.sharedBytes() <=
              kMaxSharedBytes);
static_assert(DecodeShape{64, 1, 64, 64, 64}.sharedBytes() <=
              kMaxSharedBytes);
static_assert(DecodeShape{32, 1, 32, 128, 128, true}.sharedBytes() <=
              kMaxSharedBytes);
static_assert(DecodeShape{64, 1, 64, 64, 64, true}.sharedBytes() <=
              kMaxSharedBytes);
// With f32 scales through the stages (two m-tiles and more).
static_assert(DecodeShape{32, 1, 32, 128, 128, true, true}.sharedBytes() <=
              kMaxSharedBytes);
static_assert(DecodeShape{64, 1, 64, 64, 64, true, true}.sharedBytes() <=
              kMaxSharedBytes);

/// Blocks of `shape` an SM holds: as many as its shared memory takes (1 KiB
/// of each block's share is reserved by the hardware), and no more than its
/// registers do (ptxas gives two m-tiles 254 registers a thread, one m-tile
/// at most 168, as does one m-tile a warp of a pair).
int64_t residentBlocks(const DecodeShape &shape) {
  int64_t byShared = (kMaxSharedBytes + 1024) / (shape.sharedBytes() + 1024);
  int64_t registers = shape.warpMTiles() >= 2 ? 256 : 168;
  int64_t byRegisters = kRegistersPerSM / (registers * shape.threads());
  return std::max<int64_t>(1, std::min(byShared, byRegisters));
}

/// Blocks an SM is given when the keys are split: all it holds (above)
/// where a warp has one m-tile, one where it has two or more. MQA decode
/// (two m-tiles a warp) ran 6% (bf16) and 1% (int8) faster at batch 64 and
/// 8 with one block an SM (128 blocks: 2 and 16 splits) than with the two
/// an SM holds (256 and 264 blocks), and at batch 1 the 128 blocks its key
/// floor allows were already the fastest count; GQA's one-m-tile int8
/// kernel ran 59% slower with one block an SM (H100, 2026-12-07;
/// bench/NOTES.md).
int64_t splitBlocksPerSM(const DecodeShape &shape) {
  return shape.warpMTiles() >= 2 ? 1 : residentBlocks(shape);
}

/// The shape of the kernel for `rows` packed query rows (`seqQ` positions of
/// `group` heads) with `kvStages` stages and `kvWarps` warps a block (0:
/// the defaults), with paired warps where `pairWarps` allows them. Shapes
/// of 32-key tiles (see tileKeys) keep them unless the stages or warps
/// would not fit them. 16-key tiles for one m-tile by default, which let
/// two or three blocks share an SM rather than one or two, ran int8 GQA
/// decode up to 16% slower and bf16 no faster on the whole (H100,
/// 2026-12-05; bench/NOTES.md).
DecodeShape makeShape(int64_t rows, int64_t seqQ, int64_t group,
                      int64_t headDim, int64_t valueDim, bool quantized,
                      bool f32Scales, int64_t kvStages, int64_t kvWarps,
                      bool pairWarps) {
  DecodeShape shape{rows,
                    seqQ,
                    group,
                    headDim,
                    valueDim,
                    quantized,
                    quantized && f32Scales && rows > 16};
  // With kv-pair-warps, two m-tiles (MQA's 32 rows) go to a pair of warps
  // that share each K/V tile, one m-tile each: a warp alone on both waits
  // out the chain of two m-tiles' products and softmax a tile, at 254
  // registers, two blocks an SM (128 registers and three blocks for the
  // pair's bf16 kernel). Each warp of a pair copies half of each tile,
  // which needs rows of at least four 16-byte copies. Off by default: it
  // ran no faster, and racecheck reports hazards in it (bench/NOTES.md).
  auto copyRows = [&](int64_t width) {
    return width * (quantized ? 1 : 2) / 16;
  };
  if (pairWarps && shape.mTiles() == 2 && copyRows(headDim) >= 4 &&
      copyRows(valueDim) >= 4)
    shape.rowWarps = 2;
  if (kvWarps > 0)
    shape.warps = kvWarps;
  if (kvStages > 0)
    shape.stages = kvStages;
  shape.shortTiles = shape.sharedBytes() > kMaxSharedBytes;
  return shape;
}

DecodeShape shapeOf(const FlashProblem &p, int64_t kvStages, int64_t kvWarps,
                    bool pairWarps) {
  auto q = cast<MemRefType>(p.query.getType());
  auto k = cast<MemRefType>(p.key.getType());
  auto v = cast<MemRefType>(p.value.getType());
  unsigned s = p.layout == Layout::BSHD ? 1 : 2, h = 3 - s;
  int64_t group = q.getDimSize(h) / k.getDimSize(h);
  bool f32Scales =
      p.keyScale &&
      cast<MemRefType>(p.keyScale.getType()).getElementType().isF32();
  return makeShape(group * q.getDimSize(s), q.getDimSize(s), group,
                   q.getDimSize(3), v.getDimSize(3), bool(p.keyScale),
                   f32Scales, kvStages, kvWarps, pairWarps);
}

/// Builds the split-KV kernel body; one instance per launch.
class DecodeKernel : public MmaSyncBuilder {
public:
  DecodeKernel(ImplicitLocOpBuilder &b, const FlashProblem &p,
               const FlashLaunch &launch, DecodeShape shape)
      : MmaSyncBuilder(b, productType(b, p)), p(p), launchShape(launch),
        shape(shape) {}

  /// The operand type of the products: the query's, but f16 where K and V
  /// are codes. Codes become f16 pairs in 1-1.5 instructions a code, bf16
  /// ones in 2.5-2.75; and the query converts exactly (a bf16 value has 8
  /// significant bits, f16 11), unless it lies outside f16's normal range
  /// (see convertQuery). P, times the value scales over a power of two
  /// (valueScales), lies in [0, 2), where f16 is finer than bf16.
  static Type productType(OpBuilder &b, const FlashProblem &p) {
    if (p.keyScale)
      return b.getF16Type();
    return cast<MemRefType>(p.query.getType()).getElementType();
  }

  /// Builds the kernel; with `signalDependents`, it lets the kernel
  /// launched after it as a dependent (the combine) start once every block
  /// is past its tile loop.
  void build(gpu::LaunchOp launch, bool signalDependents);

private:
  /// Indices of [bi, pos, head, col] in the op's layout.
  SmallVector<Value> at(Value pos, Value h, Value col) {
    if (p.layout == Layout::BSHD)
      return {bi, pos, h, col};
    return {bi, h, pos, col};
  }
  /// The query head and position of packed row `row` (clamped to the last
  /// real row, so that padding rows address real memory).
  std::pair<Value, Value> headAndPos(Value row) {
    Value r = min(row, idx(shape.rows - 1));
    return {add(mul(kvHead, idx(shape.group)), div(r, shape.seqQ)),
            rem(r, shape.seqQ)};
  }
  /// Where this lane's copies of one K or V tile go, as element offsets:
  /// the key position and the flat source index of its first copy, and the
  /// flat shared-memory index it lands at. Its other copies lie a constant
  /// number of rows further, so inside the loop the cursors are loop-carried
  /// and every copy address is a cursor plus an immediate; computed afresh
  /// from the tile index, LLVM would hoist one register pair per copy.
  struct Cursor {
    Value pos, source, slot;
  };
  /// The cursor of this lane's share of its stream's tile `j` of K
  /// (`value` false) or V.
  Cursor cursorOf(Value j, bool value);
  /// The next tile's cursor: a tile per stream further, one stage on
  /// (`stage` is the stage of `c`).
  Cursor advance(const Cursor &c, Value stage, bool value);
  /// Issues this warp's copies of its stream's tile `j` of K and of V (and
  /// of their scales, with stagedScales), zero-filling keys past Sk, or all
  /// of them where `enabled` is false.
  void copyTile(const Cursor &k, const Cursor &v, Value j, Value enabled);
  /// With stagedScales, issues the copies of the K and V scales of this
  /// stream's tile `j` into its stage, zero-filling keys past Sk, or all of
  /// them where `enabled` is false. A tile's scale of key k goes to index
  /// (k % 4) (keys / 4) + k / 4 of the stage, so that the keys of a lane's
  /// scores (keyOf: t, t + 4, ...) are one contiguous run (stagedScales).
  void copyScales(Value j, Value enabled);
  /// This lane's keys' scales of the tile in `stage`, from the staged
  /// `scales`, in keyScales' order.
  SmallVector<Value> stagedKeyScales(Value scales, Value stage);
  /// Elements of a row of K or V in the products' layout (padded), and in
  /// a stage of copies (codes are not padded).
  int64_t tileRow(bool value) const {
    return value ? shape.vRow() : shape.kRow();
  }
  int64_t copyRow(bool value) const {
    if (!shape.quantized)
      return tileRow(value);
    return value ? shape.valueDim : shape.headDim;
  }
  /// Elements a 16-byte copy moves.
  int64_t perCopy() const {
    return shape.quantized ? kCodesPerCopy : kCopyElements;
  }
  /// Elements of a shared-memory stage of copies of K or V, and of a tile
  /// of the products' layout.
  int64_t stageElements(bool value) const {
    return shape.tileKeys() * copyRow(value);
  }
  int64_t tileElements(bool value) const {
    return shape.tileKeys() * tileRow(value);
  }
  Value rowStride(bool value) {
    int64_t width = value ? shape.valueDim : shape.headDim;
    return p.layout == Layout::BSHD ? mul(p.headsKV, idx(width)) : idx(width);
  }
  /// The flat index of [bi, pos, kvHead, col] of K or V.
  Value flatIndex(Value pos, Value col, bool value);
  /// The flat shared-memory index that this lane's ldmatrix reads of K
  /// (rows lane % 8 + 8 (lane / 16), columns 8 ((lane / 8) % 2)) or V
  /// (rows lane % 16, columns 8 (lane / 16)) start at in `stage`; for
  /// codes, the 32-bit word its run of codes starts at (scoresFromCodes,
  /// accumulatePVFromCodes).
  Value readSlot(Value stage, bool value);
  /// Converts the packed query rows, landed in `qIn` in the query's type,
  /// to the products' type in qSmem (the same bytes): magnitudes above
  /// f16's largest finite value are clamped to it, and below 2^-14 keep
  /// f16's subnormal precision (2^-24 absolute).
  void convertQuery(Value qIn);
  /// Calls `body` with the row and column of each 16-byte chunk of the
  /// packed query rows' real columns, each chunk on one thread: threads
  /// past the last chunk do nothing (two cp.async copies to one place, even
  /// of the same bytes, would race).
  void forEachQueryChunk(function_ref<void(Value row, Value col)> body);
  /// For a quantized cache: the XOR applied to 16-byte chunk indices of
  /// row `row` of a stage of K or V codes (see the file comment), and the
  /// offset of a lane's odd copies of K rows (their rows' chunks swap).
  Value chunkSwizzle(Value row, bool value);
  Value oddCopyShift();
  /// Two codes as the f16 pair of an operand register: byte `ia` of word
  /// `a` and byte `ib` of word `b`. Two codes of one word (of K) come
  /// biased (biased()), codes of two words (of V) as they are.
  Value decodePair(Value a, int64_t ia, Value b2, int64_t ib);
  /// `words` with each int8 code moved to unsigned (x + 128); fp8 words as
  /// they are.
  SmallVector<Value> biased(ValueRange words);
  /// For a quantized cache: stores Q's A fragments, read from qSmem, into
  /// qFragments in the order of their registers, so that the products take
  /// each fragment with one 16-byte load. Read from qSmem in the products'
  /// permuted order, a fragment's registers came as two 8-byte loads whose
  /// halves interleave, and ptxas moved about 105 registers a tile into
  /// place (int8 MQA, 770 instructions a tile; bench/NOTES.md, 2026-12-07).
  /// The first stream's warps write (each member of a pair its own
  /// m-tiles); a barrier must follow.
  void storeQueryFragments();
  /// The element index of this lane's A fragment of m-tile mt (of the
  /// warp's) and k16 step ks in qFragments.
  Value queryFragmentAt(int64_t mt, int64_t ks);
  /// This lane's A fragment of m-tile mt (of the warp's) and k16 step ks:
  /// from qFragments where staged, else from Q's rows in qSmem.
  Frag queryFragment(int64_t mt, int64_t ks);
  /// The two halves of that fragment in qSmem: rows g and g + 8 of lane
  /// (g, t), each at the four columns t D/4 + 4 ks .. + 3 of the permuted
  /// order, as two 8-byte loads. `at` is queryRowsAt(), built where the
  /// loads' region can see it.
  std::array<Value, 2> queryRows(int64_t mt, int64_t ks,
                                 std::pair<Value, Value> at);
  /// Row g and column t D/4 of lane (g, t) in qSmem.
  std::pair<Value, Value> queryRowsAt();
  /// S = Q Kᵀ from the codes of the K tile at `kAt` (flat code index of the
  /// tile in its stage), unscaled.
  Scores scoresFromCodes(Value kAt);
  /// acc += P V from the codes of the V tile at `vAt`.
  void accumulatePVFromCodes(const Scores &s, MutableArrayRef<Value> acc,
                             Value vAt);
  /// The key of this lane's score c (0, 1) of n8 tile nt of a tile that
  /// starts at `kvStart`.
  Value keyOf(Value kvStart, int64_t nt, int64_t c) {
    if (shape.quantized)
      return add(kvStart, add(rem(lane, 4), idx(8 * nt + 4 * c)));
    return add(kvStart, add(mul(rem(lane, 4), idx(2)), idx(8 * nt + c)));
  }
  /// This lane's keys' scales from `scales` (of the tile at `kvStart`), at
  /// index 2 nt + c for its scores c of n8 tile nt.
  SmallVector<Value> keyScales(Value scales, Value kvStart);
  /// Multiplies each score or probability in `s` by its key's `perKey`.
  void scaleByKey(Scores &s, ArrayRef<Value> perKey);
  /// A tile's value `scales` (keyScales of the value scales) over a power
  /// of two, `unit`: the running one, raised to the tile's largest scale's
  /// power of two if that is larger. P times them then lies in [0, 2), so
  /// that in f16 the probabilities of a cache of small values keep their
  /// precision (scales far below 2^-14 would make them subnormal); the
  /// accumulators are kept in units of `unit` and rescaled by `shrink` (old
  /// over new unit).
  struct ValueScales {
    SmallVector<Value> perKey;
    Value unit, shrink;
  };
  ValueScales valueScales(SmallVector<Value> scales, Value unit);
  /// First key of this stream's tile `j`.
  Value tileStart(Value j) {
    return add(kvBegin,
               mul(add(blockFirst, add(stream, mul(j, idx(shape.streams())))),
                   idx(shape.tileKeys())));
  }
  /// S = Q Kᵀ of every m-tile against the K tile this lane's ldmatrix reads
  /// start at (`kRead`, from readSlot).
  Scores scores(Value kRead);
  Scores maskScores(const Scores &s, Value kvStart);
  /// The per-stream loop over tiles; returns its results (accumulators, then
  /// max and sum per (m-tile, row half)).
  scf::ForOp buildLoop(Value streamTiles);
  /// Combines the streams' partials and writes the output or the scratch.
  void buildCombine(scf::ForOp loop);
  /// The same, an element of the block's rows a thread at a time: each
  /// takes the streams' maxes, sums and accumulators from shared memory.
  void buildCombineByElement(scf::ForOp loop);
  /// Stores the block's combined columns `o` of `row` from column `d` on
  /// (an f32, or a vector of them) with the row's max `mx` and sum `l`:
  /// into the scratch partials where the keys are split over blocks, else,
  /// divided by the sum, into the output.
  void storeCombined(Value row, Value d, Value o, Value mx, Value l);
  /// A view of `dims` elements of `type` at byte `offset` of the block's
  /// dynamic shared memory.
  Value sharedView(int64_t offset, ArrayRef<int64_t> dims, Type type) {
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                                gpu::AddressSpace::Workgroup);
    return memref::ViewOp::create(
        b, MemRefType::get(dims, type, MemRefLayoutAttrInterface(), workgroup),
        smem, idx(offset), ValueRange());
  }
  /// A barrier for the warps of this warp's stream: the warp's own where
  /// it is alone, else the stream's named barrier (1 + stream; 0 is the
  /// block's).
  void syncStream();

  const FlashProblem &p;
  const FlashLaunch &launchShape;
  DecodeShape shape;

  Value tid, lane, warp, split, kvHead, bi;
  /// The warp's stream of tiles, its place in the stream's warps, and the
  /// first packed row of its m-tiles.
  Value stream, member, memberRow;
  Value kvBegin, blockFirst;
  Value smem, qSmem, kSmem, vSmem, kFlat, vFlat;
  /// The packed query rows in the query's type, where the products take
  /// another (productType); else qSmem.
  Value qIn;
  /// For a quantized cache: the code stages, typed as the codes (for the
  /// copies) and as 32-bit words (for the products' reads).
  Value kCodes, vCodes, kCodeWords, vCodeWords;
  /// For a quantized cache: Q's A fragments (storeQueryFragments).
  Value qFragments;
  /// With stagedScales, the stages of the K and V scales (f32).
  Value kScaleStages, vScaleStages;
  /// oddCopyShift() where K's rows are swizzled, else null.
  Value kOddShift;
};
} // namespace

Value DecodeKernel::flatIndex(Value pos, Value col, bool value) {
  Value width = idx(value ? shape.valueDim : shape.headDim);
  return add(mul(kvSourceRow(p, bi, kvHead, pos), width), col);
}

DecodeKernel::Cursor DecodeKernel::cursorOf(Value j, bool value) {
  int64_t perRow = (value ? shape.valueDim : shape.headDim) / perCopy();
  int64_t rowElements = copyRow(value);
  // Lane l copies column l % perRow of rows l / perRow + i * (32 / perRow).
  // Each warp of a stream copies its own rows of the tile.
  Value laneRow = add(div(lane, perRow),
                      mul(member, idx(shape.tileKeys() / shape.rowWarps)));
  Value laneCol = mul(rem(lane, perRow), idx(perCopy()));
  Value pos = add(tileStart(j), laneRow);
  Value stage = rem(j, shape.stages);
  // Codes land in their swizzled chunk; the lane's rows keep its chunk
  // (but for K's odd copies, see copyTile).
  Value slotCol = laneCol;
  if (shape.quantized)
    slotCol = mul(arith::XOrIOp::create(b, rem(lane, perRow),
                                        chunkSwizzle(laneRow, value)),
                  idx(kCodesPerCopy));
  Value slot = add(mul(add(mul(add(mul(stream, idx(shape.stages)), stage),
                               idx(shape.tileKeys())),
                           laneRow),
                       idx(rowElements)),
                   slotCol);
  return {pos, flatIndex(pos, laneCol, value), slot};
}

DecodeKernel::Cursor DecodeKernel::advance(const Cursor &c, Value stage,
                                           bool value) {
  int64_t keys = shape.streams() * shape.tileKeys();
  Value lastStage = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, stage,
                                          idx(shape.stages - 1));
  int64_t elements = stageElements(value);
  return {add(c.pos, idx(keys)),
          add(c.source, mul(rowStride(value), idx(keys))),
          add(c.slot, select(lastStage, idx(-(shape.stages - 1) * elements),
                             idx(elements)))};
}

Value DecodeKernel::readSlot(Value stage, bool value) {
  if (shape.quantized) {
    // The 32-bit word where this lane's run of codes starts in `stage`
    // (see scoresFromCodes and accumulatePVFromCodes).
    Value g = div(lane, 4), t = rem(lane, 4);
    int64_t width = value ? shape.valueDim : shape.headDim;
    Value row = value ? t : add(div(g, 2), mul(rem(g, 2), idx(4)));
    Value first = value ? mul(g, idx(width / 8)) : mul(t, idx(width / 4));
    Value chunk = arith::XOrIOp::create(b, div(first, kCodesPerCopy),
                                        chunkSwizzle(row, value));
    Value at = add(mul(add(mul(stream, idx(shape.stages)), stage),
                       idx(stageElements(value))),
                   add(mul(row, idx(width)), add(mul(chunk, idx(kCodesPerCopy)),
                                                 rem(first, kCodesPerCopy))));
    return div(at, 4);
  }
  Value row = value ? rem(lane, 16)
                    : add(rem(lane, 8), mul(div(lane, 16), idx(8)));
  Value col = value ? mul(div(lane, 16), idx(8))
                    : mul(rem(div(lane, 8), 2), idx(8));
  return add(mul(add(mul(add(mul(stream, idx(shape.tileBuffers())), stage),
                         idx(shape.tileKeys())),
                     row),
                 idx(tileRow(value))),
             col);
}

void DecodeKernel::copyTile(const Cursor &k, const Cursor &v, Value j,
                            Value enabled) {
  // A copy of a row past Sk reads nothing (its source size is 0), so its
  // address, which may lie past the end, is never dereferenced; not
  // clamping it keeps the addresses a cursor plus an immediate.
  Value kDst = shape.quantized ? kCodes : kSmem;
  Value vDst = shape.quantized ? vCodes : vSmem;
  for (auto [c, src, dst, value] :
       {std::tuple{k, kFlat, kDst, false}, std::tuple{v, vFlat, vDst, true}}) {
    int64_t perRow = (value ? shape.valueDim : shape.headDim) / perCopy();
    int64_t rowElements = copyRow(value);
    int64_t rowsPerCopy = 32 / perRow;
    Value left = sub(p.seqK, c.pos);
    Value stride = rowStride(value);
    // Rows lane / perRow + rowsPerCopy i of this warp's share; K's odd
    // copies are the rows whose bit 2 is set (oddCopyShift), since a
    // share starts at a multiple of 8.
    for (int64_t i = 0; i < shape.tileKeys() / shape.rowWarps / rowsPerCopy;
         ++i) {
      int64_t rows = i * rowsPerCopy;
      Value slot = c.slot;
      if (!value && kOddShift && i % 2 == 1)
        slot = add(slot, kOddShift);
      copy16(dst, {add(slot, idx(rows * rowElements))}, src,
             {add(c.source, mul(stride, idx(rows)))},
             both(enabled, lt(idx(rows), left)), /*bypassL1=*/true,
             perCopy());
    }
  }
  if (!shape.stagedScales)
    return;
  if (shape.rowWarps == 1) {
    copyScales(j, enabled);
    return;
  }
  // The first warp of a stream copies the scales.
  scf::IfOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, member, idx(0)),
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        copyScales(j, enabled);
        scf::YieldOp::create(b);
      });
}

void DecodeKernel::copyScales(Value j, Value enabled) {
  int64_t keys = shape.tileKeys();
  Value first = tileStart(j);
  Value base =
      mul(add(mul(stream, idx(shape.stages)), rem(j, shape.stages)), idx(keys));
  auto copyOne = [&](Value scales, Value stages, Value k) {
    Value key = add(first, k);
    Value slot = add(base, add(mul(rem(k, 4), idx(keys / 4)), div(k, 4)));
    // As for the codes, a key past Sk reads nothing, so its address is
    // never dereferenced.
    copy16(stages, {slot}, scales,
           p.layout == Layout::BSHD ? ValueRange{bi, key, kvHead}
                                    : ValueRange{bi, kvHead, key},
           both(enabled, lt(key, p.seqK)), /*bypassL1=*/false,
           /*elements=*/1);
  };
  // A lane a key: of 32 keys, K's and V's scales; of 16, half the warp
  // copies K's, the other half V's.
  if (keys == 32) {
    copyOne(p.keyScale, kScaleStages, lane);
    copyOne(p.valueScale, vScaleStages, lane);
    return;
  }
  assert(keys == 16 && "staged scales need 16- or 32-key tiles");
  Value k = rem(lane, 16);
  scf::IfOp::create(
      b, lt(lane, idx(16)),
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        copyOne(p.keyScale, kScaleStages, k);
        scf::YieldOp::create(b);
      },
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        copyOne(p.valueScale, vScaleStages, k);
        scf::YieldOp::create(b);
      });
}

SmallVector<Value> DecodeKernel::stagedKeyScales(Value scales, Value stage) {
  int64_t keys = shape.tileKeys(), run = keys / 4;
  Value at = add(mul(add(mul(stream, idx(shape.stages)), stage), idx(keys)),
                 mul(rem(lane, 4), idx(run)));
  Value all = vector::LoadOp::create(
      b, VectorType::get({run}, b.getF32Type()), scales, ValueRange{at},
      /*nontemporal=*/false, llvm::MaybeAlign(16));
  SmallVector<Value> out;
  for (int64_t i = 0; i < run; ++i)
    out.push_back(vector::ExtractOp::create(b, all, i));
  return out;
}

void DecodeKernel::forEachQueryChunk(
    function_ref<void(Value row, Value col)> body) {
  int64_t perRow = shape.headDim / kCopyElements;
  int64_t chunks = shape.mRows() * perRow, threads = shape.threads();
  for (int64_t i = 0; i < (chunks + threads - 1) / threads; ++i) {
    Value chunk = add(tid, idx(i * threads));
    auto atChunk = [&] {
      body(div(chunk, perRow), mul(rem(chunk, perRow), idx(kCopyElements)));
    };
    if ((i + 1) * threads <= chunks) {
      atChunk();
      continue;
    }
    scf::IfOp::create(b, lt(chunk, idx(chunks)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      atChunk();
      scf::YieldOp::create(b);
    });
  }
}

void DecodeKernel::convertQuery(Value qIn) {
  // Each thread converts whole 16-byte chunks of real columns in place
  // (padding columns are never written, so never read).
  auto wide = VectorType::get({kCopyElements}, b.getF32Type());
  auto splat = [&](double v) {
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(wide, b.getF32FloatAttr(float(v))));
  };
  double largest = 65504.0;
  forEachQueryChunk([&](Value row, Value col) {
    Value in = vector::LoadOp::create(
        b,
        VectorType::get({kCopyElements},
                        cast<MemRefType>(qIn.getType()).getElementType()),
        qIn, ValueRange{row, col}, /*nontemporal=*/false,
        llvm::MaybeAlign(16));
    Value x = arith::ExtFOp::create(b, wide, in);
    x = arith::MinimumFOp::create(b, x, splat(largest));
    x = arith::MaximumFOp::create(b, x, splat(-largest));
    vector::StoreOp::create(
        b, arith::TruncFOp::create(b, VectorType::get({kCopyElements}, elt), x),
        qSmem, ValueRange{row, col}, /*nontemporal=*/false,
        llvm::MaybeAlign(16));
  });
}

Value DecodeKernel::chunkSwizzle(Value row, bool value) {
  // K (head_dim 128): a quarter-warp reads two keys 4 apart, 16 bytes at
  // each of 4 lanes' 32-byte runs; keys with bit 2 set swap the chunks of
  // each run. V: a phase reads 4 keys t + 4i (i fixed) at each lane's run;
  // their chunks are XORed apart so the 4 rows cover every bank once.
  int64_t width = value ? shape.valueDim : shape.headDim;
  if (!value && width == 128)
    return rem(div(row, 4), 2);
  if (value && width == 128)
    return mul(rem(row, 4), idx(2));
  if (value && width == 64)
    return mul(rem(div(row, 2), 2), idx(2));
  return idx(0);
}

Value DecodeKernel::oddCopyShift() {
  // A lane copies chunk lane % 8 of rows lane / 8 + 4 i; rows of odd i have
  // bit 2 set, and their chunk pairs swapped.
  Value chunk = rem(lane, 8);
  return mul(sub(arith::XOrIOp::create(b, chunk, idx(1)), chunk),
             idx(kCodesPerCopy));
}

SmallVector<Value> DecodeKernel::biased(ValueRange words) {
  SmallVector<Value> out(words);
  if (isa<Float8E4M3FNType>(
          cast<MemRefType>(p.key.getType()).getElementType()))
    return out;
  Value bias = arith::ConstantIntOp::create(b, b.getI32Type(), 0x80808080);
  for (Value &w : out)
    w = arith::XOrIOp::create(b, w, bias);
  return out;
}

Value DecodeKernel::decodePair(Value a, int64_t ia, Value b2, int64_t ib) {
  // The products take f16 wherever K and V are codes (productType).
  assert(elt.isF16() && "codes decode to f16 pairs");
  bool fp8 = isa<Float8E4M3FNType>(
      cast<MemRefType>(p.key.getType()).getElementType());
  Type i32 = b.getI32Type();
  auto constant = [&](uint32_t v) {
    return arith::ConstantIntOp::create(b, i32, int64_t(int32_t(v)));
  };
  // prmt picks bytes of {b2, a} (a: bytes 0-3, b2: 4-7) by the nibbles of
  // the selector, result byte 0 first.
  auto permute = [&](Value lo, Value hi, std::array<int64_t, 4> bytes) {
    uint32_t sel = 0;
    for (int64_t i = 0; i < 4; ++i)
      sel |= uint32_t(bytes[i]) << (4 * i);
    return NVVM::PermuteOp::create(b, i32, lo, hi, constant(sel),
                                   NVVM::PermuteMode::DEFAULT)
        .getResult();
  };
  auto f16x2 = VectorType::get({2}, b.getF16Type());
  bool sameWord = a == b2;
  if (fp8) {
    // The two codes as the low half of a word, then the hardware's e4m3x2
    // to f16x2 (exact, subnormals included).
    Value pair;
    if (sameWord && ib == ia + 1 && ia % 2 == 0)
      pair = ia == 0 ? a : arith::ShRUIOp::create(b, a, constant(16));
    else
      pair = permute(a, b2, {ia, 4 + ib, ia, 4 + ib});
    Value codes = vector::BitCastOp::create(
        b, VectorType::get({2}, b.getI8Type()),
        vector::FromElementsOp::create(
            b, VectorType::get({1}, b.getI16Type()),
            ValueRange{arith::TruncIOp::create(b, b.getI16Type(), pair)}));
    return NVVM::ConvertF8x2ToF16x2Op::create(b, f16x2, codes, /*relu=*/false,
                                              b.getType<Float8E4M3FNType>());
  }
  // 0x64uu is the f16 1024 + u. With u the code biased to unsigned (x +
  // 128), subtracting 1152 leaves x, exactly. A word of K comes biased
  // (biased(), once for its 4 codes) and one permute builds the pair; the
  // codes of V come from two words, so the bias is an XOR of the pair,
  // which the mask folds into (one LOP3).
  Value halves;
  if (sameWord) {
    halves = permute(a, constant(0x64646464), {ia, 4, ib, 4});
  } else {
    Value codes = permute(a, b2, {ia, ia, 4 + ib, 4 + ib});
    halves = arith::XOrIOp::create(
        b, arith::AndIOp::create(b, codes, constant(0x00FF00FF)),
        constant(0x64806480));
  }
  Value magic = arith::ConstantOp::create(
      b, DenseElementsAttr::get(f16x2, b.getF16FloatAttr(1152.0f)));
  Value pair = vector::BitCastOp::create(
      b, f16x2,
      vector::FromElementsOp::create(b, VectorType::get({1}, i32),
                                     ValueRange{halves}));
  return arith::SubFOp::create(b, pair, magic);
}

Scores DecodeKernel::scoresFromCodes(Value kAt) {
  Value zero = f32(0.0);
  int64_t width = shape.headDim, runWords = width / 16;
  Scores s(shape.warpMTiles(),
           SmallVector<Acc>(shape.tileKeys() / 8, Acc{zero, zero, zero, zero}));
  // Lane (g, t) reads key 8 nt + g / 2 + 4 (g % 2) of n8 tile nt (kAt is
  // at its row in tile 0): its run of head_dim, t D/4 .. t D/4 + D/4 - 1,
  // whose word ks serves the ks-th 16 of head_dim. At head_dim 128 the run
  // is two chunks, swapped in the rows whose bit 2 is set.
  Value second;
  if (width == 128) {
    Value g = div(lane, 4);
    second = add(kAt, select(arith::CmpIOp::create(
                                 b, arith::CmpIPredicate::eq, rem(g, 2), idx(0)),
                             idx(kCodesPerCopy / 4), idx(-kCodesPerCopy / 4)));
  }
  SmallVector<SmallVector<Value>> words;
  for (int64_t nt = 0; nt < shape.tileKeys() / 8; ++nt) {
    int64_t row = 8 * nt * width / 4;
    SmallVector<Value> run;
    for (Value at : width == 128 ? SmallVector<Value>{kAt, second}
                                 : SmallVector<Value>{kAt}) {
      int64_t count = std::min<int64_t>(runWords, 4);
      Value v = vector::LoadOp::create(
          b, VectorType::get({count}, b.getI32Type()), kCodeWords,
          ValueRange{add(at, idx(row))}, /*nontemporal=*/false,
          llvm::MaybeAlign(4 * count));
      for (int64_t w = 0; w < count; ++w)
        run.push_back(vector::ExtractOp::create(b, v, w));
    }
    words.push_back(biased(run));
  }
  for (int64_t ks = 0; ks < runWords; ++ks) {
    SmallVector<Frag> kFrag;
    for (auto &run : words)
      kFrag.push_back({decodePair(run[ks], 0, run[ks], 1),
                       decodePair(run[ks], 2, run[ks], 3)});
    for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt) {
      Frag a = queryFragment(mt, ks);
      for (int64_t nt = 0; nt < int64_t(kFrag.size()); ++nt)
        s[mt][nt] = mma(a, kFrag[nt], s[mt][nt]);
    }
  }
  return s;
}

Frag DecodeKernel::queryFragment(int64_t mt, int64_t ks) {
  auto half = [&](Value v, int64_t first) {
    return vector::ShuffleOp::create(b, v, v,
                                     ArrayRef<int64_t>{first, first + 1})
        .getResult();
  };
  if (shape.stagedQueryFragments()) {
    Value q =
        vector::LoadOp::create(b, VectorType::get({8}, elt), qFragments,
                               ValueRange{queryFragmentAt(mt, ks)},
                               /*nontemporal=*/false, llvm::MaybeAlign(16));
    return {half(q, 0), half(q, 2), half(q, 4), half(q, 6)};
  }
  auto rows = queryRows(mt, ks, queryRowsAt());
  return {half(rows[0], 0), half(rows[1], 0), half(rows[0], 2),
          half(rows[1], 2)};
}

std::pair<Value, Value> DecodeKernel::queryRowsAt() {
  return {add(div(lane, 4), memberRow),
          mul(rem(lane, 4), idx(shape.headDim / 4))};
}

std::array<Value, 2> DecodeKernel::queryRows(int64_t mt, int64_t ks,
                                             std::pair<Value, Value> at) {
  auto [qRow, qCol] = at;
  std::array<Value, 2> rows;
  for (int64_t r = 0; r < 2; ++r)
    rows[r] = vector::LoadOp::create(
        b, VectorType::get({4}, elt), qSmem,
        ValueRange{add(qRow, idx(16 * mt + 8 * r)), add(qCol, idx(4 * ks))},
        /*nontemporal=*/false, llvm::MaybeAlign(8));
  return rows;
}

Value DecodeKernel::queryFragmentAt(int64_t mt, int64_t ks) {
  int64_t steps = shape.headDim / 16;
  Value tile = add(mul(member, idx(shape.warpMTiles())), idx(mt));
  return mul(add(mul(add(mul(tile, idx(steps)), idx(ks)), idx(32)), lane),
             idx(8));
}

void DecodeKernel::storeQueryFragments() {
  // Registers a0, a1, a2, a3 of a fragment are (row g, columns 0-1), (row
  // g + 8, 0-1), (row g, 2-3), (row g + 8, 2-3) of queryRows' four.
  std::pair<Value, Value> at = queryRowsAt();
  scf::IfOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, stream, idx(0)),
      [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        for (int64_t ks = 0; ks < shape.headDim / 16; ++ks)
          for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt) {
            auto rows = queryRows(mt, ks, at);
            Value fragment = vector::ShuffleOp::create(
                b, rows[0], rows[1], ArrayRef<int64_t>{0, 1, 4, 5, 2, 3, 6, 7});
            vector::StoreOp::create(
                b, fragment, qFragments, ValueRange{queryFragmentAt(mt, ks)},
                /*nontemporal=*/false, llvm::MaybeAlign(16));
          }
        scf::YieldOp::create(b);
      });
}

void DecodeKernel::accumulatePVFromCodes(const Scores &s,
                                         MutableArrayRef<Value> acc,
                                         Value vAt) {
  // Lane (g, t) reads keys t + 4i of each 16 (vAt is at key t of tile 0),
  // value columns g (D/8) .. g (D/8) + D/8 - 1: byte nt of its run is
  // column g of n8 tile nt.
  int64_t mTiles = s.size(), width = shape.valueDim;
  int64_t accTiles = width / 8, runWords = width / 32;
  for (int64_t kk = 0; kk < shape.tileKeys() / 16; ++kk) {
    SmallVector<Frag, 2> pa;
    for (int64_t mt = 0; mt < mTiles; ++mt) {
      const Acc &lo = s[mt][2 * kk], &hi = s[mt][2 * kk + 1];
      pa.push_back({pack(lo[0], lo[1]), pack(lo[2], lo[3]), pack(hi[0], hi[1]),
                    pack(hi[2], hi[3])});
    }
    SmallVector<SmallVector<Value>, 4> keys;
    for (int64_t i = 0; i < 4; ++i) {
      Value v = vector::LoadOp::create(
          b, VectorType::get({runWords}, b.getI32Type()), vCodeWords,
          ValueRange{add(vAt, idx((16 * kk + 4 * i) * width / 4))},
          /*nontemporal=*/false, llvm::MaybeAlign(4 * runWords));
      SmallVector<Value> run;
      for (int64_t w = 0; w < runWords; ++w)
        run.push_back(vector::ExtractOp::create(b, v, w));
      keys.push_back(run);
    }
    for (int64_t nt = 0; nt < accTiles; ++nt) {
      int64_t w = nt / 4, byte = nt % 4;
      Frag v{decodePair(keys[0][w], byte, keys[1][w], byte),
             decodePair(keys[2][w], byte, keys[3][w], byte)};
      for (int64_t mt = 0; mt < mTiles; ++mt) {
        int64_t at = (mt * accTiles + nt) * 4;
        Acc o{acc[at], acc[at + 1], acc[at + 2], acc[at + 3]};
        o = mma(pa[mt], v, o);
        for (int64_t c = 0; c < 4; ++c)
          acc[at + c] = o[c];
      }
    }
  }
}

SmallVector<Value> DecodeKernel::keyScales(Value scales, Value kvStart) {
  // A key past Sk reads the last key's scale, in bounds (its score is
  // masked, its probability zero).
  Value lastKey = sub(p.seqK, idx(1));
  SmallVector<Value> out;
  for (int64_t nt = 0; nt < shape.tileKeys() / 8; ++nt)
    for (int64_t c = 0; c < 2; ++c) {
      Value key = min(keyOf(kvStart, nt, c), lastKey);
      out.push_back(castFloat(
          b, b.getLoc(),
          memref::LoadOp::create(b, scales,
                                 p.layout == Layout::BSHD
                                     ? ValueRange{bi, key, kvHead}
                                     : ValueRange{bi, kvHead, key}),
          b.getF32Type()));
    }
  return out;
}

void DecodeKernel::scaleByKey(Scores &s, ArrayRef<Value> perKey) {
  for (auto &row : s)
    for (int64_t nt = 0; nt < int64_t(row.size()); ++nt)
      for (int64_t r = 0; r < 2; ++r)
        for (int64_t c = 0; c < 2; ++c)
          row[nt][2 * r + c] = fmul(row[nt][2 * r + c], perKey[2 * nt + c]);
}

DecodeKernel::ValueScales
DecodeKernel::valueScales(SmallVector<Value> scales, Value unit) {
  // The tile's largest scale: this lane's keys, then its quad's (lanes
  // 4g + t hold keys by t only).
  Value largest = scales.front();
  for (Value v : ArrayRef(scales).drop_front())
    largest = fmax(largest, v);
  largest = quadReduce(largest, [&](Value x, Value y) { return fmax(x, y); });
  // Powers of two by their bits: clearing the mantissa rounds a positive
  // float down to one, and 2^-e's bits are 0x7F000000 minus 2^e's.
  Type i32 = b.getI32Type();
  auto bits = [&](Value x) { return arith::BitcastOp::create(b, i32, x); };
  auto fromBits = [&](Value x) {
    return arith::BitcastOp::create(b, b.getF32Type(), x);
  };
  auto constant = [&](uint32_t v) {
    return arith::ConstantIntOp::create(b, i32, int64_t(int32_t(v)));
  };
  Value power =
      fromBits(arith::AndIOp::create(b, bits(largest), constant(0xFF800000)));
  Value next = fmax(unit, power);
  Value inverse =
      fromBits(arith::SubIOp::create(b, constant(0x7F000000), bits(next)));
  for (Value &v : scales)
    v = fmul(v, inverse);
  return {scales, next, fmul(unit, inverse)};
}

Scores DecodeKernel::scores(Value kRead) {
  Value zero = f32(0.0);
  Scores s(shape.warpMTiles(),
           SmallVector<Acc>(shape.tileKeys() / 8, Acc{zero, zero, zero, zero}));
  // ldmatrix row addresses as in Sm80Flash.cpp: Q is the A operand of
  // m16k16, each 16 keys of K the B operands of two n8 tiles.
  Value qRow = add(rem(lane, 16), memberRow);
  Value qCol = mul(div(lane, 16), idx(8));
  for (int64_t ks = 0; ks < shape.headDim / 16; ++ks) {
    SmallVector<Frag> k;
    for (int64_t np = 0; np < shape.tileKeys() / 16; ++np)
      k.push_back(ldmatrix(
          kSmem, {add(kRead, idx(np * 16 * shape.kRow() + ks * 16))}, false));
    for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt) {
      Frag a = ldmatrix(
          qSmem, {add(qRow, idx(16 * mt)), add(qCol, idx(ks * 16))}, false);
      for (int64_t np = 0; np < shape.tileKeys() / 16; ++np) {
        s[mt][2 * np] = mma(a, {k[np][0], k[np][1]}, s[mt][2 * np]);
        s[mt][2 * np + 1] = mma(a, {k[np][2], k[np][3]}, s[mt][2 * np + 1]);
      }
    }
  }
  return s;
}

Scores DecodeKernel::maskScores(const Scores &s, Value kvStart) {
  Value negInf = f32(-std::numeric_limits<double>::infinity());
  Value quadRow = add(div(lane, 4), memberRow);
  Value lastKey = sub(p.seqK, idx(1));
  Scores out = s;
  for (int64_t mt = 0; mt < shape.warpMTiles(); ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      auto [h, qi] = headAndPos(add(quadRow, idx(16 * mt + 8 * r)));
      Value diag = add(qi, p.diagonal);
      for (int64_t nt = 0; nt < shape.tileKeys() / 8; ++nt)
        for (int64_t c = 0; c < 2; ++c) {
          Value key = keyOf(kvStart, nt, c);
          Value keep = lt(key, p.seqK);
          if (p.causal)
            keep = both(keep, lt(key, add(diag, idx(1))));
          if (p.window)
            keep = both(keep, lt(sub(diag, key), idx(*p.window)));
          Value v = out[mt][nt][2 * r + c];
          if (p.mask) {
            v = fadd(v, maskValue(p, bi, h, qi,
                                  arith::MaxSIOp::create(b, min(key, lastKey),
                                                         idx(0))));
          }
          out[mt][nt][2 * r + c] = select(keep, v, negInf);
        }
    }
  return out;
}

scf::ForOp DecodeKernel::buildLoop(Value streamTiles) {
  int64_t mTiles = shape.warpMTiles(), accTiles = shape.valueDim / 8;
  int64_t accValues = mTiles * accTiles * 4;
  double inf = std::numeric_limits<double>::infinity();
  Value zero = f32(0.0), negInf = f32(-inf);
  Value factor = softmaxFactor(p);
  SmallVector<Value> init(accValues, zero);
  init.append(2 * mTiles, negInf);
  init.append(2 * mTiles, zero);
  // Then the cursors: of the K and V copies of tile j + 2, and of the
  // ldmatrix reads of tile j.
  int64_t cursors = init.size();
  for (bool value : {false, true}) {
    Cursor c = cursorOf(idx(shape.stages - 1), value);
    init.append({c.pos, c.source, c.slot});
  }
  init.append({readSlot(idx(0), false), readSlot(idx(0), true)});
  // The accumulators' unit (valueScales), from the smallest normal float.
  if (shape.quantized)
    init.push_back(f32(std::numeric_limits<float>::min()));
  Value yes = arith::ConstantIntOp::create(b, b.getI1Type(), 1);

  return scf::ForOp::create(
      b, idx(0), streamTiles, idx(1), init,
      [&](OpBuilder &nb, Location, Value j, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        // Tile j has landed (for every lane of the stream: the barrier
        // orders the lanes' copies), and every lane is done with tile j -
        // 1, whose stage the copy of tile j + stages - 1 overwrites.
        NVVM::CpAsyncWaitGroupOp::create(b, shape.stages - 2);
        syncStream();
        Value ahead = add(j, idx(shape.stages - 1));
        Cursor kCopy{carried[cursors], carried[cursors + 1],
                     carried[cursors + 2]};
        Cursor vCopy{carried[cursors + 3], carried[cursors + 4],
                     carried[cursors + 5]};
        Value kRead = carried[cursors + 6], vRead = carried[cursors + 7];
        copyTile(kCopy, vCopy, ahead, lt(ahead, streamTiles));
        NVVM::CpAsyncCommitGroupOp::create(b);

        Value stage = rem(j, shape.stages),
              aheadStage = rem(ahead, shape.stages);
        Value kvStart = tileStart(j);
        // The tile's scales: staged ones (f32, two m-tiles) landed with its
        // codes (V's are read where they are used, so as not to hold
        // registers across S); the others come from global memory, their
        // loads first, so that their latency passes under the products of
        // S rather than after them.
        SmallVector<Value> kScales, vScalesRead;
        if (shape.stagedScales) {
          kScales = stagedKeyScales(kScaleStages, stage);
        } else if (shape.quantized) {
          kScales = keyScales(p.keyScale, kvStart);
          vScalesRead = keyScales(p.valueScale, kvStart);
        }
        Scores s = shape.quantized ? scoresFromCodes(kRead) : scores(kRead);
        // Q times the codes of K, times each key's scale.
        if (shape.quantized)
          scaleByKey(s, kScales);
        if (!foldsScale(p))
          for (auto &row : s)
            for (Acc &frag : row)
              for (Value &v : frag)
                v = fmul(v, p.scale);
        // Only tiles that cross the end of the keys, the causal diagonal
        // or the window's start for some row, or that add a mask, pay for
        // masking.
        Value tileEnd = add(kvStart, idx(shape.tileKeys()));
        Value needMask = lt(p.seqK, tileEnd);
        if (p.causal)
          needMask = either(needMask, lt(add(p.diagonal, idx(1)), tileEnd));
        if (p.window) {
          Value lastDiag = add(p.diagonal, idx(shape.seqQ - 1));
          needMask = either(
              needMask,
              lt(kvStart, add(sub(lastDiag, idx(*p.window)), idx(1))));
        }
        if (p.mask)
          needMask = yes;
        maskIf(needMask, s, [&] { return maskScores(s, kvStart); });

        SmallVector<Value> acc(carried.begin(), carried.begin() + accValues);
        std::optional<ValueScales> vScales;
        if (shape.stagedScales)
          vScalesRead = stagedKeyScales(vScaleStages, stage);
        if (shape.quantized)
          vScales = valueScales(vScalesRead, carried[cursors + 8]);
        // The lazy rescale pays where the accumulators are many (two
        // m-tiles and more: 128 multiplies a lane a tile); with one m-tile,
        // ptxas gave its branch's extra live values spills (bf16 GQA: 128
        // registers and 20 bytes of spills against 168 and none). A warp of
        // a pair keeps it (one m-tile, 16-key tiles: 128 registers, no
        // spills).
        bool lazy = shape.mTiles() >= 2;
        ValueRange maxes = carried.slice(accValues, 2 * mTiles);
        ValueRange sums = carried.slice(accValues + 2 * mTiles, 2 * mTiles);
        Value accFactor = vScales ? vScales->shrink : Value();
        auto [newMax, newSum] =
            lazy ? lazyOnlineSoftmax(s, maxes, sums, acc, factor, accFactor,
                                     kLazyMaxBound)
                 : onlineSoftmax(s, maxes, sums, acc, factor, accFactor);
        // P times each key's value scale, times the codes of V.
        if (vScales)
          scaleByKey(s, vScales->perKey);
        if (shape.quantized)
          accumulatePVFromCodes(s, acc, vRead);
        else
          accumulatePV(s, acc, vSmem, vRead, shape.vRow());
        SmallVector<Value> results = acc;
        results.append(newMax);
        results.append(newSum);
        for (auto [c, value] : {std::pair{kCopy, false}, {vCopy, true}}) {
          Cursor next = advance(c, aheadStage, value);
          results.append({next.pos, next.source, next.slot});
        }
        Value lastStage = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                                stage, idx(shape.stages - 1));
        for (auto [read, value] : {std::pair{kRead, false}, {vRead, true}}) {
          // The products read the stage itself (in words) where it holds
          // codes, else the tile of the products' layout.
          int64_t elements = shape.quantized ? stageElements(value) / 4
                                             : tileElements(value);
          results.push_back(
              add(read, select(lastStage, idx(-(shape.stages - 1) * elements),
                               idx(elements))));
        }
        if (vScales)
          results.push_back(vScales->unit);
        scf::YieldOp::create(b, results);
      });
}

void DecodeKernel::syncStream() {
  Type i32 = b.getI32Type();
  if (shape.rowWarps == 1) {
    NVVM::SyncWarpOp::create(b, arith::ConstantIntOp::create(b, i32, -1));
    return;
  }
  Value id = arith::IndexCastOp::create(b, i32, add(stream, idx(1)));
  NVVM::BarrierOp::create(
      b, /*res=*/Type(), id,
      arith::ConstantIntOp::create(b, i32, 32 * shape.rowWarps),
      /*reductionOp=*/NVVM::BarrierReductionAttr(),
      /*reductionPredicate=*/Value());
}

/// From two m-tiles a warp on: the streams' maxes go first, each warp
/// weighs its own accumulators in registers, and the threads add the
/// streams' rows four columns at a time, where buildCombineByElement loads
/// every stream's max and sum and takes its exponentials again for each
/// element (about 1450 instructions a warp in MQA's SASS): MQA decode ran
/// 5% (bf16) and 13-21% (int8) faster. With one m-tile ptxas scheduled the int8 loop
/// itself differently (the same instructions, in another order) and it ran
/// 11-18% slower, so one m-tile keeps the other form (H100, 2026-12-06;
/// bench/NOTES.md).
void DecodeKernel::buildCombine(scf::ForOp loop) {
  if (shape.warpMTiles() < 2)
    return buildCombineByElement(loop);
  int64_t mTiles = shape.warpMTiles(), accTiles = shape.valueDim / 8;
  int64_t accValues = mTiles * accTiles * 4;
  Value accS = sharedView(
      0, {shape.streams(), shape.mRows(), shape.combineRow()}, b.getF32Type());
  Value statS =
      sharedView(shape.combineAccBytes(),
                 {shape.streams(), shape.mRows(), kSplitStats}, b.getF32Type());
  Value log2e = f32(M_LOG2E);
  // exp2 of each max against `base` (a row's max times log2 e, 0 for -inf).
  auto baseOf = [&](Value mx) {
    return fmul(select(isNegInf(mx), f32(0.0), mx), log2e);
  };

  // Every warp has drained its pipeline before any overwrites the buffers.
  gpu::BarrierOp::create(b);
  Value quadRow = add(div(lane, 4), memberRow), quadLane = rem(lane, 4);
  auto rowOf = [&](int64_t mt, int64_t r) {
    return add(quadRow, idx(16 * mt + 8 * r));
  };
  // The streams' maxes first: the four lanes of a quad store the same one.
  // The combines take maxes of scaled scores; the loop's may be of
  // unscaled ones.
  SmallVector<Value> ownMax;
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value mx = loop.getResult(accValues + 2 * mt + r);
      if (foldsScale(p))
        mx = fmul(mx, p.scale);
      ownMax.push_back(mx);
      memref::StoreOp::create(b, mx, statS,
                              ValueRange{stream, rowOf(mt, r), idx(0)});
    }
  gpu::BarrierOp::create(b);

  // Each warp weighs its own accumulators by exp2 of its max against the
  // block's, in registers, so that the sum across streams below is adds
  // only; the weighted sums replace the streams' sums.
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value row = rowOf(mt, r);
      Value mx = ownMax[2 * mt + r];
      Value blockMax = mx;
      for (int64_t w = 0; w < shape.streams(); ++w)
        blockMax = fmax(
            blockMax,
            memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(0)}));
      Value weight = exp2(fsub(fmul(mx, log2e), baseOf(blockMax)));
      Value sum =
          quadReduce(loop.getResult(accValues + 2 * mTiles + 2 * mt + r),
                     [&](Value x, Value y) { return fadd(x, y); });
      memref::StoreOp::create(b, fmul(weight, sum), statS,
                              ValueRange{stream, row, idx(1)});
      // Back from the value scales' unit (valueScales) in the same multiply.
      Value accWeight =
          shape.quantized ? fmul(weight, loop.getResults().back()) : weight;
      for (int64_t nt = 0; nt < accTiles; ++nt) {
        auto acc = [&](int64_t c) {
          return fmul(loop.getResult((mt * accTiles + nt) * 4 + 2 * r + c),
                      accWeight);
        };
        Value n = mul(quadLane, idx(2));
        if (shape.quantized) {
          // Column n of n8 tile nt is value column n (D/8) + nt where the
          // products read codes (accumulatePVFromCodes).
          for (int64_t c = 0; c < 2; ++c)
            memref::StoreOp::create(
                b, acc(c), accS,
                ValueRange{stream, row,
                           add(mul(add(n, idx(c)), idx(accTiles)), idx(nt))});
          continue;
        }
        // Else columns 8 nt + n and the next: one 8-byte store.
        Value pair = vector::FromElementsOp::create(
            b, VectorType::get({2}, b.getF32Type()),
            ValueRange{acc(0), acc(1)});
        vector::StoreOp::create(b, pair, accS,
                                ValueRange{stream, row, add(n, idx(8 * nt))},
                                /*nontemporal=*/false, llvm::MaybeAlign(8));
      }
    }
  gpu::BarrierOp::create(b);

  // Four columns a thread: the streams' weighted accumulators and sums add
  // up to the block's partial (or, unsplit, its output).
  constexpr int64_t vec = 4;
  auto vecType = VectorType::get({vec}, b.getF32Type());
  int64_t rowVecs = shape.valueDim / vec;
  int64_t vecs = shape.mRows() * rowVecs;
  int64_t threads = shape.threads();
  for (int64_t i = 0; i < (vecs + threads - 1) / threads; ++i) {
    Value e = add(tid, idx(i * threads));
    auto body = [&] {
      Value row = div(e, rowVecs), d = mul(rem(e, rowVecs), idx(vec));
      Value o, l, mx;
      for (int64_t w = 0; w < shape.streams(); ++w) {
        Value a = vector::LoadOp::create(
            b, vecType, accS, ValueRange{idx(w), row, d},
            /*nontemporal=*/false, llvm::MaybeAlign(4 * vec));
        Value m =
            memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(0)});
        Value s =
            memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(1)});
        o = w ? arith::AddFOp::create(b, o, a).getResult() : a;
        l = w ? fadd(l, s) : s;
        mx = w ? fmax(mx, m) : m;
      }
      storeCombined(row, d, o, mx, l);
    };
    if (vecs % threads == 0) {
      body();
      continue;
    }
    scf::IfOp::create(b, lt(e, idx(vecs)), [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      enter(nb);
      body();
      scf::YieldOp::create(b);
    });
  }
}

void DecodeKernel::buildCombineByElement(scf::ForOp loop) {
  int64_t mTiles = shape.warpMTiles(), accTiles = shape.valueDim / 8;
  int64_t accValues = mTiles * accTiles * 4;
  Value accS = sharedView(
      0, {shape.streams(), shape.mRows(), shape.combineRow()}, b.getF32Type());
  Value statS =
      sharedView(shape.combineAccBytes(),
                 {shape.streams(), shape.mRows(), kSplitStats}, b.getF32Type());

  // Every warp has drained its pipeline before any overwrites the buffers.
  gpu::BarrierOp::create(b);
  Value quadRow = add(div(lane, 4), memberRow), quadLane = rem(lane, 4);
  for (int64_t mt = 0; mt < mTiles; ++mt)
    for (int64_t r = 0; r < 2; ++r) {
      Value row = add(quadRow, idx(16 * mt + 8 * r));
      Value sum =
          quadReduce(loop.getResult(accValues + 2 * mTiles + 2 * mt + r),
                     [&](Value x, Value y) { return fadd(x, y); });
      // The four lanes of a quad store the same max and sum. The combines
      // take maxes of scaled scores; the loop's may be of unscaled ones.
      Value mx = loop.getResult(accValues + 2 * mt + r);
      if (foldsScale(p))
        mx = fmul(mx, p.scale);
      memref::StoreOp::create(b, mx, statS, ValueRange{stream, row, idx(0)});
      memref::StoreOp::create(b, sum, statS, ValueRange{stream, row, idx(1)});
      for (int64_t nt = 0; nt < accTiles; ++nt)
        for (int64_t c = 0; c < 2; ++c) {
          // Column n of n8 tile nt is value column n (D/8) + nt where the
          // products read codes (accumulatePVFromCodes), else 8 nt + n.
          Value n = add(mul(quadLane, idx(2)), idx(c));
          Value column = shape.quantized ? add(mul(n, idx(accTiles)), idx(nt))
                                         : add(n, idx(8 * nt));
          Value a = loop.getResult((mt * accTiles + nt) * 4 + 2 * r + c);
          // Back from the value scales' unit (valueScales).
          if (shape.quantized)
            a = fmul(a, loop.getResults().back());
          memref::StoreOp::create(b, a, accS, ValueRange{stream, row, column});
        }
    }
  gpu::BarrierOp::create(b);

  Value zero = f32(0.0), log2e = f32(M_LOG2E);
  int64_t elements = shape.mRows() * shape.valueDim;
  for (int64_t i = 0; i < elements / shape.threads(); ++i) {
    Value e = add(tid, idx(i * shape.threads()));
    Value row = div(e, shape.valueDim), d = rem(e, shape.valueDim);
    SmallVector<Value> maxes, sums;
    Value mx = f32(-std::numeric_limits<double>::infinity());
    for (int64_t w = 0; w < shape.streams(); ++w) {
      maxes.push_back(
          memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(0)}));
      sums.push_back(
          memref::LoadOp::create(b, statS, ValueRange{idx(w), row, idx(1)}));
      mx = fmax(mx, maxes.back());
    }
    Value base = fmul(select(isNegInf(mx), zero, mx), log2e);
    Value o = zero, l = zero;
    for (int64_t w = 0; w < shape.streams(); ++w) {
      Value weight = exp2(fsub(fmul(maxes[w], log2e), base));
      Value a = memref::LoadOp::create(b, accS, ValueRange{idx(w), row, d});
      o = fadd(o, fmul(weight, a));
      l = fadd(l, fmul(weight, sums[w]));
    }
    storeCombined(row, d, o, mx, l);
  }
}

void DecodeKernel::storeCombined(Value row, Value d, Value o, Value mx,
                                 Value l) {
  auto vector = dyn_cast<VectorType>(o.getType());
  if (!launchShape.scratch.empty()) {
    Value partial = launchShape.scratch[0], stats = launchShape.scratch[1];
    SmallVector<Value> at{bi, kvHead, split, row, d};
    if (vector)
      vector::StoreOp::create(b, o, partial, at, /*nontemporal=*/false,
                              llvm::MaybeAlign(4 * vector.getNumElements()));
    else
      memref::StoreOp::create(b, o, partial, at);
    scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, d, idx(0)),
        [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard guard(b);
          enter(nb);
          storeSplitStats(b, b.getLoc(), stats, bi, kvHead, split, row, mx, l);
          scf::YieldOp::create(b);
        });
    return;
  }
  // A row that saw no key (sum 0) writes zeros.
  scf::IfOp::create(b, lt(row, idx(shape.rows)), [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard guard(b);
    enter(nb);
    Value zero = f32(0.0);
    Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, zero);
    Value inv = select(empty, zero, arith::DivFOp::create(b, f32(1.0), l));
    auto [h, qi] = headAndPos(row);
    int64_t columns = vector ? vector.getNumElements() : 1;
    for (int64_t j = 0; j < columns; ++j) {
      Value x = vector ? vector::ExtractOp::create(b, o, j).getResult() : o;
      p.store(b, b.getLoc(), fmul(x, inv), bi, qi, h, j ? add(d, idx(j)) : d);
    }
    scf::YieldOp::create(b);
  });
}

void DecodeKernel::build(gpu::LaunchOp launch, bool signalDependents) {
  gpu::KernelDim3 blockId = launch.getBlockIds();
  tid = launch.getThreadIds().x;
  lane = rem(tid, 32);
  warp = div(tid, 32);
  stream = div(warp, shape.rowWarps);
  member = rem(warp, shape.rowWarps);
  memberRow = mul(member, idx(16 * shape.warpMTiles()));
  split = blockId.x;
  kvHead = blockId.y;
  bi = blockId.z;
  Value splits = launch.getGridSize().x;

  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                              gpu::AddressSpace::Workgroup);
  smem = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), workgroup));
  // K and V are addressed through flat indices (see Cursor).
  qSmem = sharedView(0, {shape.mRows(), shape.kRow()}, elt);
  Type queryType = cast<MemRefType>(p.query.getType()).getElementType();
  qIn = queryType == elt
            ? qSmem
            : sharedView(0, {shape.mRows(), shape.kRow()}, queryType);
  kSmem = sharedView(shape.qBytes(), {shape.kBytes() / 2}, elt);
  vSmem =
      sharedView(shape.qBytes() + shape.kBytes(), {shape.vBytes() / 2}, elt);
  if (shape.quantized) {
    auto typedView = [&](int64_t offset, int64_t bytes, Type type) {
      return sharedView(offset, {bytes * 8 / type.getIntOrFloatBitWidth()},
                        type);
    };
    Type code = cast<MemRefType>(p.key.getType()).getElementType();
    int64_t kAt = shape.qBytes() + shape.kBytes() + shape.vBytes();
    int64_t vAt = kAt + shape.kCodeBytes();
    kCodes = typedView(kAt, shape.kCodeBytes(), code);
    vCodes = typedView(vAt, shape.vCodeBytes(), code);
    kCodeWords = typedView(kAt, shape.kCodeBytes(), b.getI32Type());
    vCodeWords = typedView(vAt, shape.vCodeBytes(), b.getI32Type());
    int64_t scalesAt = vAt + shape.vCodeBytes();
    if (shape.stagedScales) {
      kScaleStages = typedView(scalesAt, shape.scaleBytes(), b.getF32Type());
      vScaleStages = typedView(scalesAt + shape.scaleBytes(),
                               shape.scaleBytes(), b.getF32Type());
    }
    if (shape.stagedQueryFragments())
      qFragments = typedView(scalesAt + 2 * shape.scaleBytes(),
                             shape.qFragmentBytes(), elt);
    if (shape.headDim == 128)
      kOddShift = oddCopyShift();
  }
  auto flat = [&](Value m) -> Value {
    return memref::CollapseShapeOp::create(
        b, m, ArrayRef<ReassociationIndices>{{0, 1, 2, 3}});
  };
  kFlat = flat(p.key);
  vFlat = flat(p.value);

  // The packed query rows; padding rows are zero-filled.
  forEachQueryChunk([&](Value row, Value col) {
    auto [h, qi] = headAndPos(row);
    copy16(qIn, {row, col}, p.query, at(qi, h, col), lt(row, idx(shape.rows)));
  });
  NVVM::CpAsyncCommitGroupOp::create(b);

  // This block's share of the KV range, in whole tiles; stream w takes
  // the block's tiles w, w + streams, ...
  Value kvEnd;
  std::tie(kvBegin, kvEnd) = buildKVRange(
      b, b.getLoc(), p, FlashTiles{shape.seqQ, shape.tileKeys()}, idx(0));
  Value span = arith::MaxSIOp::create(b, sub(kvEnd, kvBegin), idx(0));
  Value tiles = arith::CeilDivUIOp::create(b, span, idx(shape.tileKeys()));
  Value perBlock = arith::CeilDivUIOp::create(b, tiles, splits);
  blockFirst = mul(split, perBlock);
  Value blockTiles = min(
      arith::MaxSIOp::create(b, sub(tiles, blockFirst), idx(0)), perBlock);
  Value streamTiles = arith::CeilDivUIOp::create(
      b, arith::MaxSIOp::create(b, sub(blockTiles, stream), idx(0)),
      idx(shape.streams()));

  for (int64_t st = 0; st < shape.stages - 1; ++st) {
    copyTile(cursorOf(idx(st), false), cursorOf(idx(st), true), idx(st),
             lt(idx(st), streamTiles));
    NVVM::CpAsyncCommitGroupOp::create(b);
  }
  // Q has landed for every thread's copies; the barrier shares them.
  NVVM::CpAsyncWaitGroupOp::create(b, shape.stages - 1);
  gpu::BarrierOp::create(b);
  if (qIn != qSmem) {
    convertQuery(qIn);
    gpu::BarrierOp::create(b);
  }
  if (shape.stagedQueryFragments()) {
    storeQueryFragments();
    gpu::BarrierOp::create(b);
  }

  scf::ForOp loop = buildLoop(streamTiles);
  // The combine kernel's blocks may be placed once every block is past its
  // loop: what is left (the in-block combine, the partials' stores) is
  // short, and they wait for this grid's end before reading.
  if (signalDependents)
    NVVM::GriddepcontrolOp::create(b,
                                   NVVM::GridDepActionKind::launch_dependents);
  // No copy may be in flight when the buffers are reused.
  NVVM::CpAsyncWaitGroupOp::create(b, 0);
  buildCombine(loop);
}

//===----------------------------------------------------------------------===//
// Splitting the keys
//===----------------------------------------------------------------------===//

/// The fewest key tiles per stream a split leaves. Each block pays for its Q
/// copy, pipeline fill, in-block combine and partials; on the H200 (MQA,
/// batch 1, 128k keys) 33 tiles per block ran 1.25x slower than 62 or 124.
/// Where that floor would leave half the SMs idle (batch 1 below 128k keys
/// for MQA, below 32k for GQA), a block keeps kIdleMinStreamTiles a stream
/// at least.
constexpr int64_t kMinStreamTiles = 16, kIdleMinStreamTiles = 4;

namespace {
class Sm80DecodeSchedule : public FlashSchedule {
public:
  Sm80DecodeSchedule(int64_t kvSplits, int64_t kvStages, int64_t kvWarps,
                     bool pairWarps, int64_t smCount, bool dependentLaunch)
      : kvSplits(kvSplits), kvStages(kvStages), kvWarps(kvWarps),
        pairWarps(pairWarps), smCount(smCount),
        dependentLaunch(dependentLaunch) {}

  StringRef getName() const override { return "decode"; }

  std::string getSummary() const override {
    std::string summary =
        kvSplits > 0
            ? "decode, kv-splits " + std::to_string(kvSplits)
            : "decode, kv-splits for " + std::to_string(smCount) + " SMs";
    if (kvStages > 0)
      summary += ", kv-stages " + std::to_string(kvStages);
    if (kvWarps > 0)
      summary += ", kv-warps " + std::to_string(kvWarps);
    if (pairWarps)
      summary += ", kv-pair-warps";
    return summary;
  }

  std::optional<std::string> whyUnsupported(AttentionOp op) const override {
    if (std::optional<std::string> why =
            MmaSyncBuilder::whyNotHalf(op, "mma.sync"))
      return why;
    RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType(),
                     v = op.getValue().getType();
    unsigned s = op.getSeqDim(), h = op.getHeadDim();
    if (q.isDynamicDim(s) || q.isDynamicDim(h) || k.isDynamicDim(h))
      return std::string("it packs the query rows of a KV group, so it needs "
                         "a static query length and head counts");
    int64_t rows = q.getDimSize(s) * (q.getDimSize(h) / k.getDimSize(h));
    if (rows == 0)
      return std::string("there are no query rows");
    if (rows > kMaxRows)
      return "a KV group has " + std::to_string(rows) +
             " query rows (query heads per KV head x query length), more "
             "than the " +
             std::to_string(kMaxRows) + " it packs";
    for (auto [what, d] : {std::pair<const char *, int64_t>{
                               "head_dim", q.getDimSize(3)},
                           {"value head_dim", v.getDimSize(3)}})
      if (!llvm::is_contained({16, 32, 64, 128}, d))
        return std::string(what) + " " +
               (ShapedType::isDynamic(d) ? std::string("?")
                                         : std::to_string(d)) +
               " is not 16, 32, 64 or 128 (a row must be a whole number of "
               "a warp's 16-byte copies)";
    // A lane reads at least a 32-bit word of codes of a V row, D/8 codes.
    if (op.hasScales() && (q.getDimSize(3) < 32 || v.getDimSize(3) < 32))
      return std::string("a quantized cache needs head_dim 32, 64 or 128 "
                         "(each lane reads whole 32-bit words of codes of a "
                         "row, an eighth of it)");
    int64_t columns = (rows + 15) / 16 * v.getDimSize(3);
    if (columns > kMaxAccColumns)
      return std::to_string((rows + 15) / 16) + " m-tiles of value head_dim " +
             std::to_string(v.getDimSize(3)) + " need " +
             std::to_string(columns / 2) +
             " accumulator registers per thread, more than " +
             std::to_string(kMaxAccColumns / 2);
    bool f32Scales =
        op.hasScales() &&
        cast<ShapedType>(op.getKeyScale().getType()).getElementType().isF32();
    DecodeShape shape =
        makeShape(rows, q.getDimSize(s), q.getDimSize(h) / k.getDimSize(h),
                  q.getDimSize(3), v.getDimSize(3), op.hasScales(), f32Scales,
                  kvStages, kvWarps, pairWarps);
    if (shape.sharedBytes() > kMaxSharedBytes)
      return std::to_string(shape.stages) + " copy stages (kv-stages) need " +
             std::to_string(shape.sharedBytes()) +
             " bytes of shared memory a block of " +
             std::to_string(shape.warps) + " warps (kv-warps), more than the " +
             std::to_string(kMaxSharedBytes) + " there are";
    return std::nullopt;
  }

  FlashLaunch buildLaunch(OpBuilder &b, Location loc,
                          const FlashProblem &p) const override {
    DecodeShape shape = shapeOf(p, kvStages, kvWarps, pairWarps);
    FlashLaunch launch;
    launch.threads = shape.threads();
    launch.dynamicSharedBytes = shape.sharedBytes();
    auto c = [&](int64_t x) -> Value {
      return arith::ConstantIndexOp::create(b, loc, x);
    };
    // How finely the keys may be split, and the blocks a wave of them
    // takes.
    SplitFloor floor{kMinStreamTiles * shape.streams(), shape.tileKeys(),
                     kIdleMinStreamTiles * shape.streams(), smCount,
                     splitBlocksPerSM(shape) * smCount};
    auto k = cast<MemRefType>(p.key.getType());
    unsigned s = p.layout == Layout::BSHD ? 1 : 2, h = 3 - s;
    std::optional<int64_t> splits;
    if (kvSplits > 0)
      splits = kvSplits;
    // A KV cache read in place has its capacity as the static extent, not
    // the length it is attended over, which is known at run time only.
    else if (p.seqK == p.kvRows && !k.isDynamicDim(0) && !k.isDynamicDim(s) &&
             !k.isDynamicDim(h))
      splits = pickSplits(
          k.getDimSize(0) * k.getDimSize(h),
          (k.getDimSize(s) + shape.tileKeys() - 1) / shape.tileKeys(), floor);
    if (splits) {
      launch.gridX = c(*splits);
    } else {
      // Known only at run time: at least kMinStreamTiles tiles per
      // stream, or kIdleMinStreamTiles where that leaves SMs idle.
      launch.gridX = runtimeSplits(b, loc, p, floor);
    }
    if (splits == 1)
      return launch;
    allocSplitScratch(b, loc, p, launch.gridX, shape.mRows(), shape.valueDim,
                      launch);
    return launch;
  }

  void buildBody(OpBuilder &b, Location loc, const FlashProblem &p,
                 const FlashLaunch &shape,
                 gpu::LaunchOp launch) const override {
    ImplicitLocOpBuilder ib(loc, b);
    // With per-sequence lengths, the block's sequence (block z) has its own
    // key range and causal diagonal; the split count stays the one sized
    // for the longest.
    FlashProblem seq = p.forSequence(b, loc, launch.getBlockIds().z);
    bool signal = dependentLaunch && !shape.scratch.empty();
    if (signal)
      nameKernel(launch, kPrimarySuffix);
    DecodeKernel(ib, seq, shape, shapeOf(p, kvStages, kvWarps, pairWarps))
        .build(launch, signal);
  }

  /// The combine kernel (SplitCombine.cpp), over the blocks' partials.
  void buildEpilogue(OpBuilder &b, Location loc, const FlashProblem &p,
                     const FlashLaunch &shape) const override {
    if (shape.scratch.empty())
      return;
    DecodeShape ds = shapeOf(p, kvStages, kvWarps, pairWarps);
    buildSplitCombine(b, loc, p, shape, shape.gridX, ds.seqQ, ds.group,
                      ds.valueDim, dependentLaunch);
  }

private:
  int64_t kvSplits, kvStages, kvWarps;
  bool pairWarps;
  int64_t smCount;
  bool dependentLaunch;
};
} // namespace

std::unique_ptr<FlashSchedule>
mlir::attn::createSm80DecodeSchedule(int64_t kvSplits, int64_t kvStages,
                                     int64_t kvWarps, bool pairWarps,
                                     int64_t smCount, bool dependentLaunch) {
  return std::make_unique<Sm80DecodeSchedule>(
      kvSplits, kvStages, kvWarps, pairWarps, smCount, dependentLaunch);
}
