//===- DecodeShape.cpp - the decode kernel's shape ------------------------===//
//
// The decode kernel's tiles, stages, warps and shared memory for a
// problem, and the blocks an SM holds of it.
//
//===----------------------------------------------------------------------===//

#include "DecodeKernel.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::decode;

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

int64_t mlir::attn::decode::residentBlocks(const DecodeShape &shape) {
  int64_t byShared = (kMaxSharedBytes + 1024) / (shape.sharedBytes() + 1024);
  int64_t registers = shape.warpMTiles() >= 2 ? 256 : 168;
  int64_t byRegisters = kRegistersPerSM / (registers * shape.threads());
  return std::max<int64_t>(1, std::min(byShared, byRegisters));
}

int64_t mlir::attn::decode::splitBlocksPerSM(const DecodeShape &shape) {
  return shape.warpMTiles() >= 2 ? 1 : residentBlocks(shape);
}

DecodeShape mlir::attn::decode::makeShape(int64_t rows, int64_t seqQ,
                                          int64_t group, int64_t headDim,
                                          int64_t valueDim, bool quantized,
                                          bool f32Scales, int64_t kvStages,
                                          int64_t kvWarps, bool pairWarps) {
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

DecodeShape mlir::attn::decode::shapeOf(const FlashProblem &p,
                                        int64_t kvStages, int64_t kvWarps,
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
