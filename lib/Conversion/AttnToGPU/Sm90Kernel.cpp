//===- Sm90Kernel.cpp - the wgmma kernel's body ---------------------------===//
//
// The Hopper kernel's body (its shared memory, barriers and warpgroups'
// roles), and the entry points of its decode form (Sm90Kernel.h).
//
//===----------------------------------------------------------------------===//

#include "Sm90KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::sm90;

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
