//===- WgmmaBuilder.cpp - warpgroup-level wgmma building blocks -----------===//

#include "WgmmaBuilder.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;

static Value i64(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantIntOp::create(b, b.getI64Type(), v);
}

Value WgmmaBuilder::sharedAddress(Value smem) {
  Value at = memref::ExtractAlignedPointerAsIndexOp::create(b, smem);
  return arith::IndexCastOp::create(b, b.getI64Type(), at);
}

Value WgmmaBuilder::descriptor(Value address, int64_t leading, int64_t stride) {
  // Bits 0-13: address / 16 (shared addresses fit 18 bits); 16-29 and
  // 32-45: the two offsets / 16; 62-63: 1, the 128-byte swizzle. The base
  // offset (bits 49-51) stays 0: every tile starts on a swizzle atom.
  Value start = arith::ShRUIOp::create(
      b, arith::AndIOp::create(b, address, i64(b, (1 << 18) - 1)), i64(b, 4));
  int64_t fixed = (leading >> 4) << 16 | (stride >> 4) << 32 | int64_t(1) << 62;
  return arith::OrIOp::create(b, start, i64(b, fixed));
}

Value WgmmaBuilder::advance(Value desc, int64_t bytes) {
  // The address field cannot carry into the next: shared memory ends well
  // below 2^18 bytes.
  return arith::AddIOp::create(b, desc, i64(b, bytes >> 4));
}

SmallVector<Value> WgmmaBuilder::tied(StringRef text, ArrayRef<Value> values) {
  SmallVector<Type> types;
  std::string constraints;
  for (Value v : values) {
    types.push_back(v.getType());
    constraints += v.getType().isF32() ? "=f," : "=r,";
  }
  for (size_t i = 0; i < values.size(); ++i)
    constraints += std::to_string(i) + ",";
  constraints += "~{memory}";
  Type result;
  if (!values.empty())
    result = LLVM::LLVMStructType::getLiteral(b.getContext(), types);
  auto op = LLVM::InlineAsmOp::create(
      b, result, values, text, constraints, /*has_side_effects=*/true,
      /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr(), ArrayAttr());
  SmallVector<Value> out;
  for (size_t i = 0; i < values.size(); ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, op.getResult(0), i));
  return out;
}

void WgmmaBuilder::commit() { tied("wgmma.commit_group.sync.aligned;", {}); }

SmallVector<Value> WgmmaBuilder::wait(ArrayRef<Value> values, int64_t pending) {
  return tied("wgmma.wait_group.sync.aligned " + std::to_string(pending) + ";",
              values);
}

SmallVector<Value> WgmmaBuilder::fence(ArrayRef<Value> values) {
  return tied("wgmma.fence.sync.aligned;", values);
}

Value WgmmaBuilder::asRegister(Value pair) {
  return LLVM::BitcastOp::create(b, b.getI32Type(), pair);
}

SmallVector<Value> WgmmaBuilder::wgmma(ArrayRef<Value> acc, Value aDesc,
                                       ArrayRef<Value> aRegs, Value bDesc,
                                       int64_t n, bool transposeB) {
  int64_t values = n / 2;
  bool accumulate = !acc.empty();
  assert((!accumulate || int64_t(acc.size()) == values) &&
         "one accumulator value per output value");
  std::string outs, constraints;
  for (int64_t i = 0; i < values; ++i) {
    outs += (i ? ", $" : "$") + std::to_string(i);
    constraints += "=f,";
  }
  SmallVector<Value> operands;
  if (accumulate)
    for (int64_t i = 0; i < values; ++i) {
      operands.push_back(acc[i]);
      constraints += std::to_string(i) + ",";
    }
  int64_t next = values + operands.size();
  std::string a;
  if (aRegs.empty()) {
    a = "$" + std::to_string(next++);
    operands.push_back(aDesc);
    constraints += "l,";
  } else {
    for (Value r : aRegs) {
      a += (a.empty() ? "{$" : ", $") + std::to_string(next++);
      operands.push_back(r);
      constraints += "r,";
    }
    a += "}";
  }
  std::string bOperand = "$" + std::to_string(next++);
  operands.push_back(bDesc);
  constraints += "l,~{memory}";
  std::string type = elt.isBF16() ? "bf16" : "f16";
  // scale-d (whether D is added) is a predicate; the immediates after it
  // scale A and B by 1 and give their major-ness (A from registers has
  // none).
  std::string text = "{\n.reg .pred p;\nsetp.ne.b32 p, " +
                     std::string(accumulate ? "1" : "0") +
                     ", 0;\nwgmma.mma_async.sync.aligned.m64n" +
                     std::to_string(n) + "k16.f32." + type + "." + type + " {" +
                     outs + "}, " + a + ", " + bOperand + ", p, 1, 1, " +
                     (aRegs.empty() ? "0, " : "") + (transposeB ? "1" : "0") +
                     ";\n}";
  SmallVector<Type> types(values, b.getF32Type());
  auto op = LLVM::InlineAsmOp::create(
      b, LLVM::LLVMStructType::getLiteral(b.getContext(), types), operands,
      text, constraints, /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
      ArrayAttr());
  SmallVector<Value> out;
  for (int64_t i = 0; i < values; ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, op.getResult(0), i));
  return out;
}

Value WgmmaBuilder::inlinePtx(StringRef text, StringRef constraints,
                              ValueRange operands, Type result) {
  auto op = LLVM::InlineAsmOp::create(
      b, result, operands, text, constraints, /*has_side_effects=*/true,
      /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr(), ArrayAttr());
  return result ? op.getResult(0) : Value();
}

void WgmmaBuilder::barrierInit(Value bar, int64_t count) {
  inlinePtx("mbarrier.init.shared::cta.b64 [$0], " + std::to_string(count) +
                ";",
            "l,~{memory}", bar);
}

void WgmmaBuilder::barrierArrive(Value bar) {
  inlinePtx("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, "
            "[$0];\n}",
            "l,~{memory}", bar);
}

void WgmmaBuilder::barrierArriveOnCopies(Value bar) {
  inlinePtx("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [$0];",
            "l,~{memory}", bar);
}

void WgmmaBuilder::barrierWait(Value bar, Value parity) {
  // try_wait may give up after a time the hardware picks; retry until the
  // phase is complete.
  scf::WhileOp::create(
      b, TypeRange{}, ValueRange{},
      [&](OpBuilder &nb, Location loc, ValueRange) {
        OpBuilder::InsertionGuard guard(b);
        enter(nb);
        Value done = inlinePtx(
            "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, "
            "[$1], $2;\nselp.u32 $0, 1, 0, p;\n}",
            "=r,l,r,~{memory}", {bar, parity}, b.getI32Type());
        Value waiting = arith::CmpIOp::create(
            b, arith::CmpIPredicate::eq, done,
            arith::ConstantIntOp::create(b, b.getI32Type(), 0));
        scf::ConditionOp::create(b, waiting, ValueRange{});
      },
      [&](OpBuilder &nb, Location loc, ValueRange) {
        scf::YieldOp::create(nb, loc);
      });
}

void WgmmaBuilder::barrierArriveExpectTx(Value bar, int64_t bytes) {
  inlinePtx("{\n.reg .b64 state;\nmbarrier.arrive.expect_tx.shared::cta.b64 "
            "state, [$0], " +
                std::to_string(bytes) + ";\n}",
            "l,~{memory}", bar);
}

void WgmmaBuilder::acquireTensorMap(Value map) {
  // The runtime may reuse a map's memory for another map between launches
  // (its store of maps starts over when full): the fence keeps a copy the
  // tensormap proxy cached from being read.
  inlinePtx("fence.proxy.tensormap::generic.acquire.gpu [$0], 128;\n"
            "prefetch.tensormap [$0];",
            "l,~{memory}", map);
}

void WgmmaBuilder::tmaLoad4d(Value dst, Value map, ArrayRef<Value> coords,
                             Value bar) {
  assert(coords.size() == 4 && "a 4-D box has four coordinates");
  // Without a cluster, the block's own shared::cta addresses are its
  // shared::cluster addresses.
  SmallVector<Value> operands{dst, map};
  operands.append(coords.begin(), coords.end());
  operands.push_back(bar);
  inlinePtx("cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::"
            "complete_tx::bytes [$0], [$1, {$2, $3, $4, $5}], [$6];",
            "l,l,r,r,r,r,l,~{memory}", operands);
}

void WgmmaBuilder::storeShared(Value address, Value word) {
  inlinePtx("st.shared.b32 [$0], $1;", "l,r,~{memory}", {address, word});
}

void WgmmaBuilder::fenceAsyncShared() {
  NVVM::FenceProxyOp::create(
      b, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(),
                                 NVVM::SharedSpace::shared_cta));
}

void WgmmaBuilder::tmaStore4d(Value map, ArrayRef<Value> coords, Value src) {
  assert(coords.size() == 4 && "a 4-D box has four coordinates");
  SmallVector<Value> operands{map};
  operands.append(coords.begin(), coords.end());
  operands.push_back(src);
  inlinePtx("cp.async.bulk.tensor.4d.global.shared::cta.tile.bulk_group "
            "[$0, {$1, $2, $3, $4}], [$5];",
            "l,r,r,r,r,l,~{memory}", operands);
}

void WgmmaBuilder::bulkCommit() {
  inlinePtx("cp.async.bulk.commit_group;", "~{memory}", {});
}

void WgmmaBuilder::bulkWaitRead(int64_t pending) {
  inlinePtx("cp.async.bulk.wait_group.read " + std::to_string(pending) + ";",
            "~{memory}", {});
}

void WgmmaBuilder::bulkWait(int64_t pending) {
  inlinePtx("cp.async.bulk.wait_group " + std::to_string(pending) + ";",
            "~{memory}", {});
}

void WgmmaBuilder::namedBarrierSync(Value id, int64_t threads) {
  inlinePtx("bar.sync $0, " + std::to_string(threads) + ";", "r,~{memory}", id);
}

void WgmmaBuilder::namedBarrierArrive(Value id, int64_t threads) {
  inlinePtx("bar.arrive $0, " + std::to_string(threads) + ";", "r,~{memory}",
            id);
}
