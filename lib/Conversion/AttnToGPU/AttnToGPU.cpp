//===- AttnToGPU.cpp - attention as a FlashAttention-2 GPU kernel ----------===//
//
// convert-attn-to-gpu: replaces each attn.attention with a gpu.launch (and,
// for schedules that split the work, the launches after it). The pass does
// what every kernel shares, turning the operands into buffers, allocating the
// output on the device, building the launch over (blocks, KV heads, batch)
// and freeing the schedule's scratch buffers, and leaves the launch shape,
// the body and any epilogue to the schedule that selectSchedule picks. The
// upstream outlining and NVVM lowering take the launches from there.
//
//===----------------------------------------------------------------------===//

#include "FlashSchedule.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

MemRefType mlir::attn::gpuBufferType(ArrayRef<int64_t> shape, Type elt,
                                     gpu::AddressSpace space) {
  return MemRefType::get(
      shape, elt, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(elt.getContext(), space));
}

Value mlir::attn::allocDevice(OpBuilder &b, Location loc, MemRefType type,
                              ValueRange dynamicSizes) {
  // The synchronous form: the GPU pipeline's gpu-async-region puts it on
  // the stream of the kernels around it, so it waits for nothing.
  return gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(),
                              /*asyncDependencies=*/ValueRange(), dynamicSizes,
                              /*symbolOperands=*/ValueRange(),
                              /*hostShared=*/false)
      .getMemref();
}

void mlir::attn::freeDevice(OpBuilder &b, Location loc, Value buffer) {
  gpu::DeallocOp::create(b, loc, /*asyncToken=*/Type(),
                         /*asyncDependencies=*/ValueRange(), buffer);
}

std::optional<PlanItems> mlir::attn::parsePlanItems(StringRef name) {
  return llvm::StringSwitch<std::optional<PlanItems>>(name)
      .Case("auto", PlanItems::Auto)
      .Case("always", PlanItems::Always)
      .Case("never", PlanItems::Never)
      .Default(std::nullopt);
}

std::optional<int> mlir::attn::parseChip(StringRef chip) {
  if (!chip.consume_front("sm_"))
    return std::nullopt;
  if (chip.ends_with("a") || chip.ends_with("f"))
    chip = chip.drop_back();
  int version;
  if (chip.empty() || chip.getAsInteger(10, version) || version < 10 ||
      version > 1300)
    return std::nullopt;
  return version;
}

std::optional<std::string>
mlir::attn::validateScheduleOptions(const FlashScheduleOptions &options) {
  auto in = [](int64_t v, int64_t hi) { return v >= 1 && v <= hi; };
  if (!in(options.qTile, kMaxScheduleTile) ||
      !in(options.kvTile, kMaxScheduleTile) ||
      !in(options.threads, kMaxScheduleThreads))
    return "q-tile (" + std::to_string(options.qTile) + ") and kv-tile (" +
           std::to_string(options.kvTile) + ") must lie in [1, " +
           std::to_string(kMaxScheduleTile) + "] and threads (" +
           std::to_string(options.threads) + ") in [1, " +
           std::to_string(kMaxScheduleThreads) + "]";
  if (options.kvSplits < 0 || options.kvSplits > kMaxKVSplits ||
      options.smCount < 0 || options.smCount > kMaxKVSplits)
    return "kv-splits (" + std::to_string(options.kvSplits) +
           ") and sm-count (" + std::to_string(options.smCount) +
           ") must lie in [0, " + std::to_string(kMaxKVSplits) +
           "]; 0 picks them from the shape and chip";
  if (options.kvStages != 0 &&
      (options.kvStages < kMinKVStages || options.kvStages > kMaxKVStages))
    return "kv-stages (" + std::to_string(options.kvStages) +
           ") must be 0 (the default) or lie in [" +
           std::to_string(kMinKVStages) + ", " + std::to_string(kMaxKVStages) +
           "]";
  if (!llvm::is_contained({0, 4, 8}, options.kvWarps))
    return "kv-warps (" + std::to_string(options.kvWarps) +
           ") must be 0 (the default), 4 or 8";
  if (!isScheduleName(options.schedule))
    return "unknown schedule '" + options.schedule + "'; expected one of " +
           kScheduleNames;
  if (!parsePlanItems(options.planItems))
    return "plan-items '" + options.planItems +
           "' is not one of auto, always and never";
  if (!parseChip(options.chip))
    return "chip '" + options.chip +
           "' is not an NVIDIA architecture: expected sm_<version>, "
           "optionally followed by a or f (e.g. sm_80, sm_90a)";
  // Only the sm90 schedule has P in shared memory; asking for it where it
  // cannot run would silently change nothing. (tma and item-overlap, on by
  // default, are how the sm90 schedule copies and overlaps items, and mean
  // nothing to the others.)
  if (options.pInShared && options.schedule != "sm90" &&
      options.schedule != "auto")
    return "p-in-shared applies to the sm90 schedule only, not to schedule '" +
           options.schedule + "'";
  if (options.pInShared && options.chip != "sm_90a")
    return "p-in-shared needs chip sm_90a (the sm90 schedule), not " +
           options.chip;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Choosing the schedule
//===----------------------------------------------------------------------===//

/// Streaming multiprocessors of the usual part of each generation, for
/// sizing split-KV grids when the device is not known: A100 (108), H100/H200
/// SXM (132), and a conservative count otherwise.
static int64_t defaultSMCount(int sm) {
  if (sm == 80)
    return 108;
  if (sm == 90)
    return 132;
  return 64;
}

namespace {
/// A schedule, or the message that says why none could be built.
struct Choice {
  std::unique_ptr<FlashSchedule> schedule;
  std::string note;  // why auto fell back
  std::string error; // set when nothing can be built
};
} // namespace

/// The largest KV group (query heads a KV head) that auto gives to
/// sm90-decode.
constexpr int64_t kSm90DecodeMaxAutoGroup = 4;

/// Query heads a KV head, or a number larger than any group where a head
/// count is dynamic.
static int64_t kvGroup(AttentionOp op) {
  unsigned h = op.getHeadDim();
  int64_t q = op.getQuery().getType().getDimSize(h),
          k = op.getKey().getType().getDimSize(h);
  if (ShapedType::isDynamic(q) || ShapedType::isDynamic(k) || k == 0)
    return std::numeric_limits<int64_t>::max();
  return q / k;
}

static Choice choose(AttentionOp op, const FlashScheduleOptions &options) {
  Choice choice;
  std::optional<int> sm = parseChip(options.chip);
  auto scalar = [&]() -> Choice & {
    choice.schedule = createScalarFlashSchedule(
        FlashTiles{options.qTile, options.kvTile}, options.threads);
    if (std::optional<std::string> why =
            choice.schedule->whyUnsupported(op)) {
      choice.schedule.reset();
      choice.error = "schedule scalar cannot run this attention: " + *why;
    }
    return choice;
  };
  StringRef name = options.schedule;
  if (name == "scalar")
    return std::move(scalar());
  // Why a tensor-core schedule cannot run this op or on this chip at all.
  auto chipLacks = [&](StringRef candidate) -> std::optional<std::string> {
    // The scalar schedule dequantizes in FlashBuilder's per-element loads,
    // the decode schedule each warp's tile; per-sequence lengths need a
    // block's key range and diagonal computed from its own sequence, which
    // the scalar and decode kernels do (FlashProblem::forSequence).
    if (op.hasScales() && candidate != "decode")
      return std::string("quantized key and value (scales) run on the "
                         "decode and scalar schedules only");
    if (op.getKvLengths() && candidate != "decode")
      return std::string("per-sequence key lengths (kv_lengths) run on the "
                         "decode and scalar schedules only");
    // The decode schedule turns fp8 codes into f16 pairs with
    // cvt.rn.f16x2.e4m3x2, which sm_89 brought; on older chips the NVPTX
    // backend cannot select it.
    if (candidate == "decode" && op.hasScales() &&
        isa<Float8E4M3FNType>(op.getKey().getType().getElementType()) &&
        (!sm || *sm < 89))
      return "fp8 (f8E4M3FN) codes need chip sm_89 or later (cvt.rn.f16x2."
             "e4m3x2), not " +
             options.chip;
    // wgmma exists only in the arch-specific sm_90a target.
    if (candidate.starts_with("sm90") && options.chip != "sm_90a")
      return "it needs chip sm_90a (wgmma), not " + options.chip;
    if (!sm || *sm < 80)
      return "chip " + options.chip +
             " has no mma.sync m16n8k16 (sm_80 or later needed)";
    return std::nullopt;
  };
  // auto tries sm90-decode (on sm_90a, for small KV groups), decode, then
  // sm90 (on sm_90a), then sm80, then scalar; a named schedule is used or
  // is an error.
  auto tryOne = [&](std::unique_ptr<FlashSchedule> candidate) {
    StringRef candidateName = candidate->getName();
    std::optional<std::string> why = chipLacks(candidateName);
    if (!why)
      why = candidate->whyUnsupported(op);
    if (!why) {
      choice.schedule = std::move(candidate);
      return true;
    }
    if (name == candidateName)
      choice.error = ("schedule " + candidateName +
                      " cannot run this attention: " + *why)
                         .str();
    // Decode not covering an op is the rule for prefill, so auto says why
    // only where the user gave it stages; where sm90-decode does not cover
    // a decode, decode takes it.
    else if (candidateName == "decode" ? options.kvStages > 0
                                       : candidateName != "sm90-decode")
      choice.note += (choice.note.empty() ? "" : "; ") +
                     (candidateName + " does not cover it: " + *why).str();
    return false;
  };
  int64_t smCount = options.smCount > 0 ? options.smCount
                                        : defaultSMCount(sm.value_or(0));
  auto sm90Decode = [&](bool alternate) {
    return createSm90DecodeSchedule(options.kvSplits, smCount, options.tma,
                                    alternate, /*dependentLaunch=*/true);
  };
  if (name == "sm90-decode" || name == "sm90-decode-alternate") {
    tryOne(sm90Decode(name == "sm90-decode-alternate"));
    return choice;
  }
  // On an H100, sm90-decode ran KV groups of 1 to 4 query heads 1-5% faster
  // than decode, 8:1 about even and larger groups slower (bench/NOTES.md).
  // Stages, warps and paired warps are decode's options, so asking for them
  // keeps decode.
  if (name == "auto" && options.chip == "sm_90a" && options.kvStages == 0 &&
      options.kvWarps == 0 && !options.kvPairWarps &&
      kvGroup(op) <= kSm90DecodeMaxAutoGroup &&
      tryOne(sm90Decode(/*alternate=*/false)))
    return choice;
  if (name == "auto" || name == "decode")
    if (tryOne(createSm80DecodeSchedule(options.kvSplits, options.kvStages,
                                        options.kvWarps, options.kvPairWarps,
                                        smCount,
                                        /*dependentLaunch=*/sm >= 90)) ||
        name == "decode")
      return choice;
  if (name == "sm90" || (name == "auto" && options.chip == "sm_90a"))
    if (tryOne(createSm90FlashSchedule(
            smCount, options.tma, options.pInShared, options.itemOverlap,
            options.tailSplit,
            parsePlanItems(options.planItems).value_or(PlanItems::Auto),
            options.tmaStore)) ||
        name == "sm90")
      return choice;
  if (tryOne(createSm80FlashSchedule()) || name == "sm80")
    return choice;
  return std::move(scalar());
}

FailureOr<std::unique_ptr<FlashSchedule>>
mlir::attn::selectSchedule(AttentionOp op,
                           const FlashScheduleOptions &options) {
  Choice choice = choose(op, options);
  if (!choice.schedule)
    return op.emitOpError() << "convert-attn-to-gpu: " << choice.error;
  return std::move(choice.schedule);
}

//===----------------------------------------------------------------------===//
// The shared prologue and epilogue
//===----------------------------------------------------------------------===//

/// The tensor that `value` is a leading slice of along the sequence
/// (dimension `seqDim`, offsets 0, unit strides, every other dimension
/// whole), as attn-lower-kv-cache reads the first N positions of a cache;
/// null otherwise. Its size along the sequence is in `length`.
static Value sequencePrefixOf(Value value, unsigned seqDim,
                              OpFoldResult &length) {
  auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || slice.getSourceType().getRank() != 4 ||
      slice.getResultType().getRank() != 4 || !slice.hasUnitStride() ||
      !llvm::all_of(slice.getMixedOffsets(), isZeroInteger))
    return {};
  for (unsigned d = 0; d < 4; ++d) {
    if (d == seqDim)
      continue;
    int64_t size = slice.getStaticSizes()[d];
    if (ShapedType::isDynamic(size) ||
        size != slice.getSourceType().getDimSize(d))
      return {};
  }
  length = slice.getMixedSizes()[seqDim];
  return slice.getSource();
}

namespace {
/// The KV cache whose first `length` positions an op's keys and values are.
struct CachePrefix {
  Value key, value;
  OpFoldResult length;
};
} // namespace

/// Keys and values that are the first N positions of a KV cache are read
/// where they lie, with the cache's capacity as their row stride: as
/// buffers of their own, bufferization would copy the prefix first. The
/// mask, sized by N, rules this out.
static std::optional<CachePrefix> cachePrefixOf(AttentionOp op) {
  OpFoldResult keyLength, valueLength;
  Value key = sequencePrefixOf(op.getKey(), op.getSeqDim(), keyLength);
  Value value = sequencePrefixOf(op.getValue(), op.getSeqDim(), valueLength);
  // One row stride serves both, so their capacities must be the same,
  // which only static extents show.
  auto capacity = [&](Value source) {
    return cast<RankedTensorType>(source.getType()).getDimSize(op.getSeqDim());
  };
  if (!key || !value || op.getMask() ||
      !isEqualConstantIntOrValue(keyLength, valueLength) ||
      ShapedType::isDynamic(capacity(key)) || capacity(key) != capacity(value))
    return std::nullopt;
  return CachePrefix{key, value, keyLength};
}

std::string mlir::attn::describeSchedule(AttentionOp op,
                                         const FlashScheduleOptions &options) {
  Choice choice = choose(op, options);
  if (!choice.schedule)
    return "error: " + choice.error;
  std::string text =
      choice.schedule->describeFor(op, cachePrefixOf(op).has_value());
  if (!choice.note.empty())
    text += " (" + choice.note + ")";
  return text;
}

static LogicalResult convertAttention(IRRewriter &rewriter, AttentionOp op,
                                      const FlashScheduleOptions &options) {
  Location loc = op.getLoc();
  int64_t headDim = op.getQuery().getType().getDimSize(3);
  int64_t valueDim = op.getValue().getType().getDimSize(3);
  if (ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim)) {
    auto dim = [](int64_t d) {
      return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
    };
    return op.emitOpError()
           << "convert-attn-to-gpu needs a static head_dim (" << dim(headDim)
           << ") and value head_dim (" << dim(valueDim)
           << "): they size the shared-memory tiles";
  }
  FailureOr<std::unique_ptr<FlashSchedule>> schedule =
      selectSchedule(op, options);
  if (failed(schedule))
    return failure();

  rewriter.setInsertionPoint(op);
  std::optional<CachePrefix> inPlace = cachePrefixOf(op);
  Value q = toReadOnlyBuffer(rewriter, loc, op.getQuery());
  Value k =
      toReadOnlyBuffer(rewriter, loc, inPlace ? inPlace->key : op.getKey());
  Value v =
      toReadOnlyBuffer(rewriter, loc, inPlace ? inPlace->value : op.getValue());
  Value mask = toReadOnlyBuffer(rewriter, loc, op.getMask());
  Value keyScale = toReadOnlyBuffer(rewriter, loc, op.getKeyScale());
  Value valueScale = toReadOnlyBuffer(rewriter, loc, op.getValueScale());
  Value kvLengths = toReadOnlyBuffer(rewriter, loc, op.getKvLengths());

  RankedTensorType resultType = op.getResult().getType();
  SmallVector<Value> dynamicSizes;
  for (auto [i, size] : llvm::enumerate(resultType.getShape()))
    if (ShapedType::isDynamic(size))
      dynamicSizes.push_back(memref::DimOp::create(rewriter, loc, q, i));
  auto outType =
      MemRefType::get(resultType.getShape(), resultType.getElementType());
  Value out = allocDevice(rewriter, loc, outType, dynamicSizes);

  FlashProblem p = FlashProblem::build(rewriter, loc, op, q, k, v, mask, out,
                                       keyScale, valueScale);
  p.kvLengths = kvLengths;
  if (inPlace)
    p.setKeyLength(
        rewriter, loc,
        getValueOrCreateConstantIndexOp(rewriter, loc, inPlace->length));
  FlashLaunch shape = (*schedule)->buildLaunch(rewriter, loc, p);
  auto c = [&](int64_t x) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, x);
  };
  Value sharedBytes;
  if (shape.dynamicSharedBytes > 0)
    sharedBytes = arith::ConstantIntOp::create(rewriter, loc,
                                               rewriter.getI32Type(),
                                               shape.dynamicSharedBytes);
  Value one = c(1);
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, shape.gridX, shape.gridY ? shape.gridY : p.headsKV,
      shape.gridZ ? shape.gridZ : p.batch, c(shape.threads), one,
      one, sharedBytes, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, shape.workgroupBuffers, shape.privateBuffers);
  // Tools and tests read which schedule built the kernel from here.
  launch->setAttr("attn.schedule",
                  rewriter.getStringAttr((*schedule)->getName()));

  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    (*schedule)->buildBody(rewriter, loc, p, shape, launch);
    gpu::TerminatorOp::create(rewriter, loc);
  }

  rewriter.setInsertionPointAfter(launch);
  (*schedule)->buildEpilogue(rewriter, loc, p, shape);
  for (Value buffer : shape.scratch)
    freeDevice(rewriter, loc, buffer);
  Value result = bufferization::ToTensorOp::create(
      rewriter, loc, resultType, out, /*restrict=*/true, /*writable=*/true);
  rewriter.replaceOp(op, result);
  return success();
}

namespace {
struct ConvertAttnToGPUPass
    : public attn::impl::ConvertAttnToGPUPassBase<ConvertAttnToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    FlashScheduleOptions options;
    options.schedule = schedule;
    options.chip = chip;
    options.qTile = qTile;
    options.kvTile = kvTile;
    options.threads = threads;
    options.kvSplits = kvSplits;
    options.kvStages = kvStages;
    options.kvWarps = kvWarps;
    options.kvPairWarps = kvPairWarps;
    options.smCount = smCount;
    options.tma = tma;
    options.pInShared = pInShared;
    options.itemOverlap = itemOverlap;
    options.tailSplit = tailSplit;
    options.tmaStore = tmaStore;
    options.planItems = planItems;
    if (std::optional<std::string> why = validateScheduleOptions(options)) {
      getOperation()->emitError() << "convert-attn-to-gpu: " << *why;
      return signalPassFailure();
    }

    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (AttentionOp op : ops)
      if (failed(convertAttention(rewriter, op, options)))
        return signalPassFailure();
  }
};
} // namespace
