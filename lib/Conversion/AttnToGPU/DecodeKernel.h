//===- DecodeKernel.h - the decode schedule's kernel ------------*- C++ -*-===//
//
// The kernel of the decode schedule (Sm80Decode.cpp, whose file comment
// describes it): its shape (the tiles, stages, warps and shared memory of a
// problem) and the builder of its body, whose parts live in
// DecodeShape.cpp (the shape), DecodeCopies.cpp (the stages' copies and
// layouts), DecodeCodes.cpp (a quantized cache's codes and scales),
// DecodeLoop.cpp (the tile loop and the kernel's body) and
// DecodeCombine.cpp (the streams' combine and the partials).
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_DECODEKERNEL_H
#define LIB_CONVERSION_ATTNTOGPU_DECODEKERNEL_H

#include "FlashSchedule.h"
#include "MmaSyncBuilder.h"
#include "SplitCombine.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <optional>

namespace mlir::attn::decode {

/// Warps of a block unless kv-warps says otherwise.
inline constexpr int64_t kWarps = 4;
/// An SM's 32-bit registers.
inline constexpr int64_t kRegistersPerSM = 65536;
/// Stages of each stream's cp.async ring unless kv-stages says otherwise.
inline constexpr int64_t kDefaultStages = 3;
/// The most packed query rows a block takes.
inline constexpr int64_t kMaxRows = 64;
/// Accumulator columns per thread row set (m-tiles x value head_dim): 256
/// is 128 f32 registers of accumulator per thread.
inline constexpr int64_t kMaxAccColumns = 256;

/// How far (log2) a row's running max may fall behind its scores before
/// the warp moves its maxes and rescales its accumulators: exponentials up
/// to 2^8 stay far from f16's largest value even times the value scales
/// (valueScales), and sums of them from f32's.
inline constexpr double kLazyMaxBound = 8.0;

/// Codes a 16-byte copy of a quantized cache moves.
inline constexpr int64_t kCodesPerCopy = 16;

/// The tiles, stages and warps of one problem's decode kernel, and the
/// shared memory they take.
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

/// Blocks of `shape` an SM holds: as many as its shared memory takes (1 KiB
/// of each block's share is reserved by the hardware), and no more than its
/// registers do (ptxas gives two m-tiles 254 registers a thread, one m-tile
/// at most 168, as does one m-tile a warp of a pair).
int64_t residentBlocks(const DecodeShape &shape);

/// Blocks an SM is given when the keys are split: all it holds (above)
/// where a warp has one m-tile, one where it has two or more. MQA decode
/// (two m-tiles a warp) ran 6% (bf16) and 1% (int8) faster at batch 64 and
/// 8 with one block an SM (128 blocks: 2 and 16 splits) than with the two
/// an SM holds (256 and 264 blocks), and at batch 1 the 128 blocks its key
/// floor allows were already the fastest count; GQA's one-m-tile int8
/// kernel ran 59% slower with one block an SM (H100, 2026-12-07;
/// bench/NOTES.md).
int64_t splitBlocksPerSM(const DecodeShape &shape);

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
                      bool pairWarps);

/// The shape of the kernel for the problem `p` (see makeShape).
DecodeShape shapeOf(const FlashProblem &p, int64_t kvStages, int64_t kvWarps,
                    bool pairWarps);

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

} // namespace mlir::attn::decode

#endif // LIB_CONVERSION_ATTNTOGPU_DECODEKERNEL_H
