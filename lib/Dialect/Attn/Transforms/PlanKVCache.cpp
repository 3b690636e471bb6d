//===- PlanKVCache.cpp - CLA KV cache buffers, checks and bytes -----------===//
//
// attn-plan-kv-cache: reads each function as one model, a stack of layers
// that attend over caches shared by cross-layer attention (CLA) groups,
// gives every cache a buffer, checks the sharing across the whole function
// (the op verifiers see one op at a time), and reports what the caches cost:
// KV bytes per token, bytes per sequence at a length, and the largest batch
// that fits a memory budget. Serving engines size their caches from numbers
// like these, so every figure is exact 64-bit integer arithmetic, and an
// overflow is reported instead of wrapping.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir::attn {
#define GEN_PASS_DEF_PLANKVCACHEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// The attribute that records a cache's buffer on its create op.
static constexpr llvm::StringLiteral kBufferAttr = "attn.buffer";

/// Bytes in a GiB, the unit of `budget-gib`.
static constexpr int64_t kGiB = int64_t(1) << 30;

/// The budget when none is given: a round figure of the size of one
/// datacenter GPU's memory. Pass the memory the caches really get.
static constexpr int64_t kDefaultBudgetGiB = 80;

namespace {
/// One CLA group: a cache, the layers that share it and the ops that use it.
struct Group {
  CacheCreateOp create;
  /// Layers [first, end) share the cache; `first` writes it.
  int64_t first = 0, end = 0;
  /// The appends in program order; each writes the state the previous made.
  SmallVector<CacheAppendOp> appends;
  SmallVector<CacheAttendOp> attends;
  /// The layers that attend, sorted and unique.
  SmallVector<int64_t> readers;
  int64_t bytesPerElement = 0;
  /// 2 x kv_heads x head_dim x bytes_per_element: keys and values.
  int64_t bytesPerToken = 0;
  /// A quantized cache's scales: 2 x kv_heads x bytes_per_scale (one scale
  /// per token and KV head for the keys, one for the values); 0 otherwise.
  int64_t bytesPerScale = 0, scaleBytesPerToken = 0;
  /// Position of the create in the function's walk.
  unsigned order = 0;

  KVCacheType type() { return create.getResult().getType(); }
};

/// Streams a group as `layers [0, 2)`.
struct LayersOf {
  const Group &group;
};
Diagnostic &operator<<(Diagnostic &diag, LayersOf l) {
  return diag << "layers [" << l.group.first << ", " << l.group.end << ")";
}

/// Streams `1 KV head` or `4 KV heads`.
struct Count {
  int64_t n;
  StringRef one, many;
};
Diagnostic &operator<<(Diagnostic &diag, Count c) {
  return diag << c.n << " " << (c.n == 1 ? c.one : c.many);
}

/// What one function's caches cost.
struct Plan {
  func::FuncOp func;
  /// In layer order; a group's index is its buffer.
  SmallVector<Group> groups;
  int64_t layers = 0;
  /// The sharing factor when every group has the same one.
  std::optional<int64_t> sharing;
  int64_t seqLen = 0, bytesPerToken = 0, bytesPerSequence = 0, maxBatch = 0;
  /// The quantized caches' scale bytes, apart from bytesPerToken;
  /// bytesPerSequence counts both.
  int64_t scaleBytesPerToken = 0;
};

/// The options once checked.
struct Sizing {
  int64_t seqLen = 0, budget = 0;
  /// The budget in GiB when it was given in GiB, for the report.
  std::optional<int64_t> budgetGiB;
};
} // namespace

static std::optional<int64_t> getLayer(Operation *op) {
  if (auto append = dyn_cast<CacheAppendOp>(op))
    return append.getLayer();
  return cast<CacheAttendOp>(op).getLayer();
}

//===----------------------------------------------------------------------===//
// Checks on the function as a whole
//===----------------------------------------------------------------------===//

/// Caches must be made by create or append, used only by append or attend,
/// and stay in the block of their create: program order within that block
/// is then what decides whether a cache can be updated in place.
static LogicalResult checkFlow(func::FuncOp func) {
  WalkResult result = func.walk([&](Operation *op) {
    if (!isa<CacheCreateOp, CacheAppendOp>(op) &&
        llvm::any_of(op->getResultTypes(), llvm::IsaPred<KVCacheType>)) {
      op->emitOpError() << "yields a KV cache; attn-plan-kv-cache plans only "
                           "caches made by attn.cache.create and "
                           "attn.cache.append";
      return WalkResult::interrupt();
    }
    bool isCacheOp = isa<CacheAppendOp, CacheAttendOp>(op);
    for (Value operand : op->getOperands()) {
      if (!isa<KVCacheType>(operand.getType()))
        continue;
      if (!isCacheOp) {
        op->emitOpError() << "uses a KV cache; attn-plan-kv-cache plans only "
                             "caches that attn.cache.append and "
                             "attn.cache.attend alone use";
        return WalkResult::interrupt();
      }
      if (isa<BlockArgument>(operand) ||
          operand.getDefiningOp()->getBlock() != op->getBlock()) {
        op->emitOpError() << "uses a KV cache from outside its block; "
                             "attn-plan-kv-cache plans caches created and "
                             "used in one block";
        return WalkResult::interrupt();
      }
    }
    if (isCacheOp && !getLayer(op)) {
      op->emitOpError() << "has no layer; attn-plan-kv-cache needs the layer "
                           "of every cache op";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

static void sortByProgramOrder(SmallVectorImpl<Operation *> &ops) {
  llvm::sort(ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
}

/// Follows a cache from its create through its appends. A cache is one
/// buffer updated in place, which is only possible when each state of it is
/// written at most once and read before it is overwritten; anything else
/// would need a copy, which CLA exists to avoid.
static FailureOr<Group> traceGroup(CacheCreateOp create) {
  Group group;
  group.create = create;
  group.first = create.getFirstLayer();
  // The op verifier rejects a group end that overflows; this only keeps a
  // pass run on unverified IR from reading an empty optional.
  std::optional<int64_t> end = create.getGroupEnd();
  if (!end)
    return create.emitOpError()
           << "first_layer (" << group.first << ") + sharing ("
           << create.getSharing() << ") overflows int64";
  group.end = *end;

  Value state = create.getResult();
  while (state) {
    SmallVector<Operation *> writers, readers;
    for (Operation *user : state.getUsers())
      (isa<CacheAppendOp>(user) ? writers : readers).push_back(user);
    sortByProgramOrder(writers);
    sortByProgramOrder(readers);
    if (writers.size() > 1) {
      InFlightDiagnostic diag =
          writers[1]->emitOpError()
          << "(layer " << *getLayer(writers[1])
          << ") writes the same state of the cache of " << LayersOf{group}
          << " as another append (layer " << *getLayer(writers[0])
          << "); a cache has one writer per state, and a second would need "
             "a copy";
      diag.attachNote(writers[0]->getLoc()) << "the other append";
      return diag;
    }
    Operation *next = writers.empty() ? nullptr : writers.front();
    for (Operation *reader : readers) {
      auto attend = cast<CacheAttendOp>(reader);
      if (next && next->isBeforeInBlock(reader)) {
        InFlightDiagnostic diag =
            attend.emitOpError()
            << "(layer " << *attend.getLayer() << ") reads the cache of "
            << LayersOf{group} << " as it was before the append by layer "
            << *getLayer(next)
            << " overwrote it; a consumer must come after its producer's "
               "latest append, or the cache would need a copy";
        diag.attachNote(next->getLoc()) << "the append that overwrites it";
        return diag;
      }
      group.attends.push_back(attend);
      group.readers.push_back(*attend.getLayer());
    }
    if (!next)
      break;
    auto append = cast<CacheAppendOp>(next);
    group.appends.push_back(append);
    state = append.getResult();
  }
  llvm::sort(group.readers);
  group.readers.erase(llvm::unique(group.readers), group.readers.end());

  if (group.attends.empty() && group.appends.empty())
    return create.emitOpError()
           << "makes the cache of " << LayersOf{group}
           << ", which no layer uses; attn-plan-kv-cache gives a buffer only "
              "to caches the model uses";
  if (group.attends.empty())
    return create.emitOpError()
           << "makes the cache of " << LayersOf{group} << ", which layer "
           << group.first << " writes but no layer reads";
  return group;
}

/// Checks that the groups, sorted by first layer, are disjoint and that
/// every layer of the model reads a cache.
/// Together these make the groups tile layers [0, L), which is why one
/// sharing factor s gives ceil(L / s) caches.
static LogicalResult checkLayers(Plan &plan) {
  SmallVectorImpl<Group> &groups = plan.groups;
  for (unsigned i = 1; i < groups.size(); ++i) {
    Group &prev = groups[i - 1], &cur = groups[i];
    if (cur.first >= prev.end)
      continue;
    InFlightDiagnostic diag = cur.create.emitOpError()
                              << "makes the cache of " << LayersOf{cur}
                              << ", which overlaps the cache of "
                              << LayersOf{prev} << " at layer " << cur.first
                              << "; each layer belongs to one CLA group";
    diag.attachNote(prev.create.getLoc()) << "the other cache";
    return diag;
  }

  // The op verifier keeps every attend inside its cache's group, so with
  // disjoint groups no layer can read two caches.
  SmallVector<int64_t> readers;
  int64_t lastLayer = 0;
  for (Group &group : groups) {
    readers.append(group.readers);
    lastLayer = std::max({lastLayer, group.first, group.readers.back()});
  }
  llvm::sort(readers);
  // Layers are non-negative and unique here, so the first index that
  // differs from its layer is the lowest layer that reads nothing.
  int64_t missing = readers.size();
  for (auto [index, layer] : llvm::enumerate(readers))
    if (layer != int64_t(index)) {
      missing = index;
      break;
    }
  if (missing <= lastLayer)
    return plan.func.emitOpError()
           << "has layers up to " << lastLayer << ", but layer " << missing
           << " reads no cache; attn-plan-kv-cache plans a stack of layers "
              "0 to L-1 that each attend";
  plan.layers = readers.size();

  int64_t batch = groups.front().type().getBatch();
  for (Group &group : groups)
    if (int64_t b = group.type().getBatch(); b != batch) {
      InFlightDiagnostic diag =
          group.create.emitOpError()
          << "makes the cache of " << LayersOf{group} << " with batch (" << b
          << ") unlike the batch (" << batch << ") of the cache of "
          << LayersOf{groups.front()}
          << "; the layers of one model run one batch";
      diag.attachNote(groups.front().create.getLoc()) << "the other cache";
      return diag;
    }
  return success();
}

//===----------------------------------------------------------------------===//
// Bytes
//===----------------------------------------------------------------------===//

/// 2 x kv_heads x head_dim x bytes_per_element, checked: keys and values
/// of one token in every KV head. This is the one place that turns a cache
/// type into bytes; a quantized cache's scales are a figure of their own,
/// 2 x kv_heads x bytes_per_scale, so that the element bytes keep the
/// formula.
static LogicalResult countBytes(Group &group) {
  KVCacheType type = group.type();
  // Every element type the cache type admits is a whole number of bytes;
  // the check keeps a narrower storage type from being counted as zero.
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  if (bits == 0 || bits % 8 != 0)
    return group.create.emitOpError()
           << "makes a cache of " << type.getElementType() << ", whose " << bits
           << "-bit elements are not whole bytes; attn-plan-kv-cache counts "
              "bytes";
  group.bytesPerElement = bits / 8;
  std::optional<int64_t> bytes =
      llvm::checkedMul<int64_t>(2, type.getKvHeads());
  if (bytes)
    bytes = llvm::checkedMul<int64_t>(*bytes, type.getHeadDim());
  if (bytes)
    bytes = llvm::checkedMul<int64_t>(*bytes, group.bytesPerElement);
  if (!bytes)
    return group.create.emitOpError()
           << "makes the cache of " << LayersOf{group}
           << " whose KV bytes per token (2 x "
           << Count{type.getKvHeads(), "KV head", "KV heads"} << " x head_dim "
           << type.getHeadDim() << " x "
           << Count{group.bytesPerElement, "byte", "bytes"}
           << ") overflow int64";
  group.bytesPerToken = *bytes;
  if (Type scale = type.getScaleType()) {
    group.bytesPerScale = scale.getIntOrFloatBitWidth() / 8;
    // The type's verified size bounds kv_heads x bytes_per_scale, not
    // twice that.
    std::optional<int64_t> scales = llvm::checkedMul<int64_t>(
        2 * group.bytesPerScale, type.getKvHeads());
    if (!scales)
      return group.create.emitOpError()
             << "makes the cache of " << LayersOf{group}
             << " whose scale bytes per token (2 x "
             << Count{type.getKvHeads(), "KV head", "KV heads"} << " x "
             << Count{group.bytesPerScale, "byte", "bytes"}
             << ") overflow int64";
    group.scaleBytesPerToken = *scales;
  }
  return success();
}

/// The model's figures: the sum over its caches, then the length and the
/// budget.
static LogicalResult sizeModel(Plan &plan, const Sizing &sizing) {
  SmallVectorImpl<Group> &groups = plan.groups;
  for (Group &group : groups) {
    if (failed(countBytes(group)))
      return failure();
    std::optional<int64_t> sum =
        llvm::checkedAdd(plan.bytesPerToken, group.bytesPerToken);
    if (!sum)
      return plan.func.emitOpError()
             << "has KV bytes per token that overflow int64 at the cache of "
             << LayersOf{group} << " (" << plan.bytesPerToken << " + "
             << group.bytesPerToken << ")";
    plan.bytesPerToken = *sum;
    // Both sums are parts of their total: checking the total checks both.
    std::optional<int64_t> scales =
        llvm::checkedAdd(plan.scaleBytesPerToken, group.scaleBytesPerToken);
    if (!scales || !llvm::checkedAdd(plan.bytesPerToken, *scales))
      return plan.func.emitOpError()
             << "has KV and scale bytes per token that overflow int64 at the "
                "cache of "
             << LayersOf{group} << " (" << plan.bytesPerToken << " + "
             << plan.scaleBytesPerToken << " + " << group.scaleBytesPerToken
             << ")";
    plan.scaleBytesPerToken = *scales;
  }
  int64_t perToken = plan.bytesPerToken + plan.scaleBytesPerToken;

  int64_t seqLen = sizing.seqLen;
  if (seqLen == 0) {
    seqLen = groups.front().type().getCapacity();
    for (Group &group : groups)
      if (int64_t c = group.type().getCapacity(); c != seqLen) {
        InFlightDiagnostic diag =
            group.create.emitOpError()
            << "makes the cache of " << LayersOf{group} << " with capacity ("
            << c << ") unlike the capacity (" << seqLen << ") of the cache of "
            << LayersOf{groups.front()}
            << "; give seq-len to plan for one length";
        diag.attachNote(groups.front().create.getLoc()) << "the other cache";
        return diag;
      }
  }
  for (Group &group : groups)
    if (int64_t c = group.type().getCapacity(); c < seqLen)
      return group.create.emitOpError()
             << "makes the cache of " << LayersOf{group} << " with capacity ("
             << c << "), less than seq-len (" << seqLen << ")";
  plan.seqLen = seqLen;

  std::optional<int64_t> perSequence = llvm::checkedMul(perToken, seqLen);
  if (!perSequence)
    return plan.func.emitOpError()
           << "needs more bytes per sequence than int64 holds (" << perToken
           << " KV bytes per token x " << seqLen << " tokens)";
  plan.bytesPerSequence = *perSequence;
  plan.maxBatch = sizing.budget / plan.bytesPerSequence;

  plan.sharing = int64_t(groups.front().create.getSharing());
  for (Group &group : groups)
    if (int64_t(group.create.getSharing()) != *plan.sharing)
      plan.sharing.reset();
  return success();
}

/// Plans one function's caches; the plan has no groups when it has none.
static FailureOr<Plan> planFunction(func::FuncOp func, const Sizing &sizing) {
  Plan plan;
  plan.func = func;
  SmallVector<CacheCreateOp> creates;
  bool anyCacheOp = false;
  func.walk([&](Operation *op) {
    if (auto create = dyn_cast<CacheCreateOp>(op))
      creates.push_back(create);
    anyCacheOp |= isa<CacheCreateOp, CacheAppendOp, CacheAttendOp>(op);
  });
  if (!anyCacheOp)
    return plan;
  if (failed(checkFlow(func)))
    return failure();
  for (auto [order, create] : llvm::enumerate(creates)) {
    FailureOr<Group> group = traceGroup(create);
    if (failed(group))
      return failure();
    group->order = order;
    plan.groups.push_back(std::move(*group));
  }
  // Ties in the first layer are overlaps, which checkLayers rejects; going
  // by the creates' order among equals keeps that message deterministic.
  llvm::sort(plan.groups, [](const Group &a, const Group &b) {
    return std::pair(a.first, a.order) < std::pair(b.first, b.order);
  });
  if (failed(checkLayers(plan)) || failed(sizeModel(plan, sizing)))
    return failure();
  return plan;
}

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

static std::string typeName(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The remarks are emitted at the ops' locations rather than on the ops:
/// an op's own remark carries a note that prints the op, which for the
/// model's remark is the whole function, burying the figures.
static void emitRemarks(Plan &plan, const Sizing &sizing) {
  for (auto [buffer, group] : llvm::enumerate(plan.groups)) {
    KVCacheType type = group.type();
    InFlightDiagnostic remark = mlir::emitRemark(group.create.getLoc());
    remark << "buffer " << buffer << " holds the cache of " << LayersOf{group}
           << ": layer " << group.first << " writes it, and "
           << (group.readers.size() == 1 ? "layer " : "layers ");
    llvm::interleaveComma(group.readers, remark);
    remark << (group.readers.size() == 1 ? " reads" : " read")
           << " it in place; 2 x "
           << Count{type.getKvHeads(), "KV head", "KV heads"} << " x head_dim "
           << type.getHeadDim() << " x "
           << Count{group.bytesPerElement, "byte", "bytes"} << " ("
           << typeName(type.getElementType()) << ") = " << group.bytesPerToken
           << " KV bytes per token";
    if (group.scaleBytesPerToken)
      remark << ", and 2 x "
             << Count{type.getKvHeads(), "KV head", "KV heads"} << " x "
             << Count{group.bytesPerScale, "byte", "bytes"} << " ("
             << typeName(type.getScaleType())
             << " scales) = " << group.scaleBytesPerToken
             << " scale bytes per token";
  }
  InFlightDiagnostic remark = mlir::emitRemark(plan.func.getLoc());
  remark << Count{plan.layers, "layer", "layers"}
         << (plan.layers == 1 ? " keeps " : " keep ")
         << Count{int64_t(plan.groups.size()), "KV cache", "KV caches"} << " (";
  if (plan.sharing)
    remark << "sharing " << *plan.sharing << ": ceil(" << plan.layers << " / "
           << *plan.sharing << ") = " << plan.groups.size();
  else
    remark << "sharing factors differ";
  remark << "): " << plan.bytesPerToken << " KV bytes per token, ";
  if (plan.scaleBytesPerToken)
    remark << plan.scaleBytesPerToken << " scale bytes per token, ";
  remark << plan.bytesPerSequence << " bytes per sequence at " << plan.seqLen
         << " tokens; a budget of " << sizing.budget << " bytes";
  if (sizing.budgetGiB)
    remark << " (" << *sizing.budgetGiB << " GiB)";
  remark << " fits a batch of " << plan.maxBatch;
}

static void writeJson(llvm::json::OStream &json, Plan &plan,
                      const Sizing &sizing) {
  json.object([&] {
    json.attribute("function", plan.func.getSymName());
    json.attribute("layers", plan.layers);
    json.attribute("caches", int64_t(plan.groups.size()));
    json.attribute("sharing", plan.sharing ? llvm::json::Value(*plan.sharing)
                                           : llvm::json::Value(nullptr));
    json.attribute("kv_bytes_per_token", plan.bytesPerToken);
    json.attribute("scale_bytes_per_token", plan.scaleBytesPerToken);
    json.attribute("seq_len", plan.seqLen);
    json.attribute("bytes_per_sequence", plan.bytesPerSequence);
    json.attribute("budget_bytes", sizing.budget);
    json.attribute("max_batch", plan.maxBatch);
    json.attributeArray("buffers", [&] {
      for (unsigned buffer = 0; buffer < plan.groups.size(); ++buffer) {
        Group &group = plan.groups[buffer];
        KVCacheType type = group.type();
        json.object([&] {
          json.attribute("buffer", int64_t(buffer));
          json.attribute("first_layer", group.first);
          json.attribute("sharing", int64_t(group.create.getSharing()));
          json.attribute("writer", group.first);
          json.attributeArray("readers", [&] {
            for (int64_t layer : group.readers)
              json.value(layer);
          });
          json.attribute("batch", type.getBatch());
          json.attribute("kv_heads", type.getKvHeads());
          json.attribute("capacity", type.getCapacity());
          json.attribute("head_dim", type.getHeadDim());
          json.attribute("element_type", typeName(type.getElementType()));
          json.attribute("bytes_per_element", group.bytesPerElement);
          json.attribute("kv_bytes_per_token", group.bytesPerToken);
          json.attribute("scale_type",
                         type.getScaleType()
                             ? llvm::json::Value(typeName(type.getScaleType()))
                             : llvm::json::Value(nullptr));
          json.attribute("bytes_per_scale", group.bytesPerScale);
          json.attribute("scale_bytes_per_token", group.scaleBytesPerToken);
        });
      }
    });
  });
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct PlanKVCachePass
    : public attn::impl::PlanKVCachePassBase<PlanKVCachePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<Sizing> sizing = checkOptions(module);
    if (!sizing)
      return signalPassFailure();

    std::vector<Plan> plans;
    for (auto func : module.getOps<func::FuncOp>()) {
      FailureOr<Plan> plan = planFunction(func, *sizing);
      if (failed(plan))
        return signalPassFailure();
      if (!plan->groups.empty())
        plans.push_back(std::move(*plan));
    }

    Builder b(module.getContext());
    for (Plan &plan : plans)
      for (auto [buffer, group] : llvm::enumerate(plan.groups))
        group.create->setAttr(kBufferAttr, b.getI64IntegerAttr(buffer));

    if (report == "remarks") {
      for (Plan &plan : plans)
        emitRemarks(plan, *sizing);
    } else if (report == "json" &&
               failed(writeReport(module, plans, *sizing))) {
      return signalPassFailure();
    }
  }

  /// Prints the JSON report to stdout or to `report-file`. A file keeps the
  /// report apart from the IR that attn-opt prints on stdout.
  LogicalResult writeReport(ModuleOp module, MutableArrayRef<Plan> plans,
                            const Sizing &sizing) {
    std::unique_ptr<llvm::ToolOutputFile> file;
    if (reportFile != "-") {
      std::string message;
      file = openOutputFile(reportFile, &message);
      if (!file)
        return module.emitError()
               << "attn-plan-kv-cache: cannot write report-file '"
               << reportFile.getValue() << "': " << message;
    }
    llvm::raw_ostream &os = file ? file->os() : llvm::outs();
    {
      llvm::json::OStream json(os, /*IndentSize=*/2);
      json.object([&] {
        json.attributeArray("models", [&] {
          for (Plan &plan : plans)
            writeJson(json, plan, sizing);
        });
      });
    }
    os << "\n";
    os.flush();
    if (file)
      file->keep();
    return success();
  }

  /// Range-checks the options; the errors name the option and what it
  /// allows.
  std::optional<Sizing> checkOptions(ModuleOp module) {
    auto fail = [&]() { return module.emitError() << "attn-plan-kv-cache: "; };
    if (report != "remarks" && report != "json" && report != "none") {
      fail() << "report '" << report.getValue()
             << "' must be one of remarks, json, none";
      return std::nullopt;
    }
    if (reportFile != "-" && report != "json") {
      fail() << "report-file ('" << reportFile.getValue()
             << "') needs report=json, not report=" << report.getValue();
      return std::nullopt;
    }
    Sizing sizing;
    if (seqLen < 0) {
      fail() << "seq-len (" << seqLen.getValue()
             << ") must be a positive number of tokens, or 0 for the caches' "
                "capacity";
      return std::nullopt;
    }
    sizing.seqLen = seqLen;
    // 0 stands for "not given" in both budget options: a default value
    // cannot be told apart from one given, once a pass is built in code.
    if (budgetBytes != 0 && budgetGiB != 0) {
      fail() << "give budget-bytes or budget-gib, not both";
      return std::nullopt;
    }
    if (budgetBytes != 0) {
      if (budgetBytes < 0) {
        fail() << "budget-bytes (" << budgetBytes.getValue()
               << ") must lie in [1, " << std::numeric_limits<int64_t>::max()
               << "], or be 0 for budget-gib";
        return std::nullopt;
      }
      sizing.budget = budgetBytes;
      return sizing;
    }
    int64_t gib = budgetGiB == 0 ? kDefaultBudgetGiB : budgetGiB.getValue();
    int64_t maxGiB = std::numeric_limits<int64_t>::max() / kGiB;
    if (gib < 1 || gib > maxGiB) {
      fail() << "budget-gib (" << gib << ") must lie in [1, " << maxGiB
             << "], so that the budget in bytes fits 64 bits, or be 0 for "
             << kDefaultBudgetGiB << " GiB";
      return std::nullopt;
    }
    sizing.budget = gib * kGiB;
    sizing.budgetGiB = gib;
    return sizing;
  }
};
} // namespace
