//===- WgmmaBuilder.h - warpgroup-level wgmma building blocks ----*- C++
//-*-===//
//
// What a Hopper schedule adds to the mma.sync building blocks: shared-memory
// matrix descriptors of 128-byte-swizzled tiles, `wgmma.mma_async` with A
// from shared memory or from registers, and the fences that order it.
//
// wgmma is emitted as inline PTX, not as nvvm.wgmma.mma_async: that op takes
// A only from shared memory, and P·V wants P straight from the registers
// the softmax left it in. Every asynchronous step (the product, the wait for
// it, the fence before registers feed it) takes the registers it touches as
// tied operands, so LLVM can move no use or definition of them across it.
//
// Layouts are those of the PTX ISA for wgmma .m64nNk16: warp w of the
// warpgroup holds rows 16w..16w+15 of the m64 accumulator, in the fragment
// order of mma.sync m16n8 repeated along N (n8 tile j in values 4j..4j+3),
// and a register A operand is the m16k16 A fragment of mma.sync.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_ATTNTOGPU_WGMMABUILDER_H
#define LIB_CONVERSION_ATTNTOGPU_WGMMABUILDER_H

#include "MmaSyncBuilder.h"

namespace mlir::attn {

/// Bytes of one row of a 128-byte-swizzled tile: 64 2-byte elements. A tile
/// of width W is W / 64 column blocks, each its rows back to back.
inline constexpr int64_t kSwizzleBytes = 128;
inline constexpr int64_t kSwizzleElements = 64;
/// Bytes of one swizzle atom (8 rows), the alignment the swizzle needs.
inline constexpr int64_t kSwizzleAtomBytes = 8 * kSwizzleBytes;

class WgmmaBuilder : public MmaSyncBuilder {
public:
  using MmaSyncBuilder::MmaSyncBuilder;

protected:
  /// The wgmma descriptor of a 128-byte-swizzled operand starting at shared
  /// byte address `address` (an i64): `leading` and `stride` are the byte
  /// offsets between core matrices along the leading and strided dimension
  /// as the PTX ISA defines them for the operand's major-ness.
  Value descriptor(Value address, int64_t leading, int64_t stride);
  /// `desc` moved `bytes` further into shared memory.
  Value advance(Value desc, int64_t bytes);

  /// One wgmma.mma_async.m64nNk16 (f32 accumulation) of this warpgroup:
  /// returns A B + `acc` (A B where `acc` is empty), N / 2 values a thread.
  /// A comes from the descriptor `aDesc` or, where `aRegs` is not empty,
  /// from four 32-bit registers (the m16k16 fragment); B from `bDesc`,
  /// K-major or, with `transposeB`, N-major.
  SmallVector<Value> wgmma(ArrayRef<Value> acc, Value aDesc,
                           ArrayRef<Value> aRegs, Value bDesc, int64_t n,
                           bool transposeB);
  /// wgmma.commit_group: the products issued since the last commit form a
  /// group that wait() can wait for.
  void commit();
  /// wgmma.wait_group `pending` over `values`: every group but the
  /// `pending` most recently committed has completed. Returns `values` (the
  /// accumulators of the completed groups, now safe to read, and registers
  /// that in-flight products may still read, kept from reuse until here).
  SmallVector<Value> wait(ArrayRef<Value> values, int64_t pending = 0);
  /// wgmma.fence over `values` (accumulators and A registers the next
  /// products take, written since the last product): returns them.
  SmallVector<Value> fence(ArrayRef<Value> values);
  /// A 2-element vector of the operand type as one 32-bit register.
  Value asRegister(Value pair);
  /// The shared byte address of `smem` (a memref in workgroup space) as
  /// an i64.
  Value sharedAddress(Value smem);

  /// st.shared.b32 of the 32-bit `word` at shared address `address`.
  void storeShared(Value address, Value word);

  /// fence.proxy.async.shared::cta: orders this thread's view of shared
  /// memory (its own writes and those it has synchronised with) before the
  /// async proxy's reads, such as wgmma's.
  void fenceAsyncShared();

  // mbarriers: 8-byte objects in shared memory, at i64 shared addresses,
  // that count arrivals per phase. They let warpgroups hand tiles to each
  // other without stopping the whole block at a barrier.
  /// mbarrier.init: phases of `count` arrivals.
  void barrierInit(Value bar, int64_t count);
  /// mbarrier.arrive, with release semantics: one arrival of this thread.
  void barrierArrive(Value bar);
  /// cp.async.mbarrier.arrive.noinc: one of the phase's arrivals, made when
  /// every cp.async this thread has issued so far has landed.
  void barrierArriveOnCopies(Value bar);
  /// Waits, with acquire semantics, until the phase of `bar` of parity
  /// `parity` (an i32, 0 or 1) has completed. A fresh barrier is in phase
  /// 0, so waiting on parity 1 returns at once.
  void barrierWait(Value bar, Value parity);
  /// mbarrier.arrive.expect_tx: one arrival of this thread, and `bytes`
  /// more that asynchronous copies (TMA) must complete on `bar` before its
  /// phase can.
  void barrierArriveExpectTx(Value bar, int64_t bytes);

  // TMA: copies of a box of a tensor, described by a tensor map in global
  // memory (CUtensorMap, built on the host), that complete on an mbarrier.
  /// Makes the map at global address `map` (an i64), written by the host
  /// before the launch, visible to the copies that read it (a tensormap
  /// proxy acquire fence, PTX 8.3), and prefetches it into the cache they
  /// read it from.
  void acquireTensorMap(Value map);
  /// cp.async.bulk.tensor.4d: the box of the 4-D tensor map `map` at
  /// element coordinates `coords` (four i32, innermost first) into shared
  /// memory at `dst` (an i64 shared address), completing its bytes on
  /// mbarrier `bar`. Elements outside the tensor arrive as zeros.
  void tmaLoad4d(Value dst, Value map, ArrayRef<Value> coords, Value bar);
  /// cp.async.bulk.tensor.4d from shared memory at `src` (an i64 shared
  /// address) to the box of `map` at `coords`, in this thread's current
  /// bulk group. Elements outside the tensor are not written.
  void tmaStore4d(Value map, ArrayRef<Value> coords, Value src);
  /// cp.async.bulk.commit_group: closes this thread's current bulk group.
  void bulkCommit();
  /// cp.async.bulk.wait_group.read: waits until at most `pending` of this
  /// thread's bulk groups still read their shared memory, which the others
  /// have done with (their global writes may still be in flight).
  void bulkWaitRead(int64_t pending);
  /// cp.async.bulk.wait_group: waits until at most `pending` of this
  /// thread's bulk groups are incomplete, writes included.
  void bulkWait(int64_t pending);

  // Named barriers (bar.sync/bar.arrive with an id and a thread count) let
  // two warpgroups take turns without stopping the rest of the block.
  /// bar.sync `id` (an i32), `threads`: arrives and waits for the others.
  void namedBarrierSync(Value id, int64_t threads);
  /// bar.arrive `id`, `threads`: arrives without waiting.
  void namedBarrierArrive(Value id, int64_t threads);

private:
  /// Inline PTX `text` with side effects over `operands`.
  Value inlinePtx(StringRef text, StringRef constraints, ValueRange operands,
                  Type result = {});
  /// Inline PTX `text` that takes `values` and gives them back tied.
  SmallVector<Value> tied(StringRef text, ArrayRef<Value> values);
};

} // namespace mlir::attn

#endif // LIB_CONVERSION_ATTNTOGPU_WGMMABUILDER_H
