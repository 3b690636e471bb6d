//===- LlamaGraph.cpp - a Llama model's forward pass as MLIR --------------===//
//
// Assembles LlamaForCausalLM's forward pass from the pieces of
// LlamaLayers.h, layer by layer, in transformers' order. Activations are kept
// as [B * S, width] matrices, so every projection is one matmul against the
// stored [out, in] weight; only attention sees [B, S, heads, head_dim].
//
// In @prefill, cross-layer KV sharing needs nothing beyond SSA: a consumer
// layer's attention takes the K and V values its group's producer computed
// (after RoPE, which depends only on the position). @generate keeps one KV
// cache per CLA group instead, which its steps take and return: the
// producer appends to it, and every layer of the group attends over it.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/LlamaGraph.h"

#include "LlamaLayers.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Frontend/LlamaWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::frontend;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

void mlir::attn::frontend::registerLlamaGraphDialects(
    DialectRegistry &registry) {
  registry.insert<AttnDialect, arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, math::MathDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
}

static Type elementTypeOf(MLIRContext &context, DType dtype) {
  switch (dtype) {
  case DType::F16:
    return Float16Type::get(&context);
  case DType::BF16:
    return BFloat16Type::get(&context);
  default:
    // LlamaConfig accepts float32, float16 and bfloat16 only.
    return Float32Type::get(&context);
  }
}

/// The options against the config: what the graph's static shapes need.
static llvm::Error checkOptions(const LlamaConfig &config,
                                const LlamaGraphOptions &options,
                                llvm::StringRef configName) {
  if (options.batch < 1)
    return fail(llvm::formatv("--batch must be at least 1, got {0}",
                              options.batch));
  if (options.seqLen < 1)
    return fail(llvm::formatv("--seq-len must be at least 1, got {0}",
                              options.seqLen));
  if (options.seqLen > config.maxPositionEmbeddings)
    return fail(llvm::formatv("--seq-len ({0}) exceeds "
                              "'max_position_embeddings' ({1}) of {2}",
                              options.seqLen, config.maxPositionEmbeddings,
                              configName));
  if (options.generate < 0)
    return fail(llvm::formatv("--generate must be at least 0, got {0}",
                              options.generate));
  // The model sees the prompt and every generated token but the last.
  int64_t positions;
  if (llvm::AddOverflow(options.seqLen, options.generate - 1, positions) ||
      (options.generate > 0 && positions > config.maxPositionEmbeddings))
    return fail(llvm::formatv("--seq-len ({0}) + --generate ({1}) - 1 "
                              "exceeds 'max_position_embeddings' ({2}) of {3}",
                              options.seqLen, options.generate,
                              config.maxPositionEmbeddings, configName));
  if (config.headDim % 2 != 0)
    return fail(llvm::formatv("{0}: head_dim ({1}) must be even: RoPE "
                              "rotates the two halves of each head",
                              configName, config.headDim));
  // The widest activation is [B * S, max(vocab, intermediate, heads x D)];
  // every size is below 2^31 but three of them need not fit int64.
  int64_t widest = std::max({config.vocabSize, config.intermediateSize,
                             config.numHeads * config.headDim,
                             config.hiddenSize});
  int64_t rows, elements;
  if (llvm::MulOverflow(options.batch, options.seqLen, rows) ||
      llvm::MulOverflow(rows, widest, elements))
    return fail(llvm::formatv("--batch ({0}) x --seq-len ({1}) x {2} (the "
                              "widest activation row) elements overflow int64",
                              options.batch, options.seqLen, widest));
  return llvm::Error::success();
}

namespace {
/// The attention of one layer: its RoPE'd query [B, T, Hq, D] and, for a
/// layer that keeps its own KV, its key (after RoPE) and value [B, T, Hkv,
/// D], null for a CLA consumer; returns [B, T, Hq, D].
using AttendFn =
    llvm::function_ref<Value(int64_t layer, Value query, Value key,
                             Value value)>;

/// Builds the model's functions: @prefill, and with --generate the steps
/// over KV caches and @generate that calls them.
class GraphBuilder {
public:
  GraphBuilder(OpBuilder &b, const LlamaConfig &config,
               const LlamaGraphOptions &options, Type elementType)
      : b(b), config(config), options(options), elementType(elementType),
        layers(b, b.getUnknownLoc(), elementType) {}

  /// @prefill, with one weight argument per required tensor of `tensors`.
  func::FuncOp buildPrefill(ModuleOp module,
                            const std::vector<ExpectedTensor> &tensors);
  /// @<name>: `tokens` new tokens of each sequence at a run-time position,
  /// through the model's KV caches, which it takes and returns.
  func::FuncOp buildStep(ModuleOp module, llvm::StringRef name,
                         int64_t tokens,
                         const std::vector<ExpectedTensor> &tensors);
  /// @generate: the prompt through @prefill_step, then options.generate
  /// greedy tokens, each through @decode_step.
  func::FuncOp buildGenerate(ModuleOp module, func::FuncOp prompt,
                             func::FuncOp step,
                             const std::vector<ExpectedTensor> &tensors);

private:
  Value weight(llvm::StringRef name) const { return weights.lookup(name); }
  /// A function whose leading arguments are `leading`, followed by one
  /// weight argument per required tensor (named by attn.weight, and
  /// recorded in `weights`); its body is started.
  func::FuncOp startFunction(ModuleOp module, llvm::StringRef name,
                             ArrayRef<Type> leading, TypeRange results,
                             const std::vector<ExpectedTensor> &tensors);
  /// The embeddings ([B * T, H]) of `tokens` ([B, T] of i64).
  Value embed(Value tokens, int64_t count);
  /// The layers from the embeddings `hidden` to the logits ([B * T, V] of
  /// f32), with RoPE tables `cos` and `sin` ([T, D]).
  Value forward(Value hidden, int64_t count, Value cos, Value sin,
                AttendFn attend);
  Value decoderLayer(int64_t layer, Value hidden, int64_t count, Value cos,
                     Value sin, AttendFn attend);
  KVCacheType cacheType() const;

  OpBuilder &b;
  const LlamaConfig &config;
  const LlamaGraphOptions &options;
  Type elementType;
  LayerBuilder layers;
  llvm::StringMap<Value> weights;
  SmallVector<Value> weightArgs;
};
} // namespace

func::FuncOp
GraphBuilder::startFunction(ModuleOp module, llvm::StringRef name,
                            ArrayRef<Type> leading, TypeRange results,
                            const std::vector<ExpectedTensor> &tensors) {
  SmallVector<Type> argTypes(leading);
  SmallVector<const ExpectedTensor *> named;
  for (const ExpectedTensor &tensor : tensors) {
    if (!tensor.required)
      continue;
    argTypes.push_back(RankedTensorType::get(tensor.shape, elementType));
    named.push_back(&tensor);
  }
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, b.getUnknownLoc(), name,
                                   b.getFunctionType(argTypes, results));
  Block *entry = func.addEntryBlock();
  weights.clear();
  weightArgs.clear();
  for (auto [i, tensor] : llvm::enumerate(named)) {
    unsigned at = leading.size() + i;
    func.setArgAttr(at, kWeightAttrName, b.getStringAttr(tensor->name));
    weights[tensor->name] = entry->getArgument(at);
    weightArgs.push_back(entry->getArgument(at));
  }
  b.setInsertionPointToStart(entry);
  return func;
}

KVCacheType GraphBuilder::cacheType() const {
  // The prompt and every generated token but the last, which is only
  // recorded.
  return KVCacheType::get(b.getContext(), options.batch, config.numKVHeads,
                          options.seqLen + options.generate - 1,
                          config.headDim, elementType, Type());
}

Value GraphBuilder::embed(Value tokens, int64_t count) {
  layers.setLoc(NameLoc::get(b.getStringAttr("model.embed_tokens")));
  Value ids = layers.reshape(tokens, {options.batch * count}, {{0, 1}});
  return layers.embed(ids, weight("model.embed_tokens.weight"));
}

Value GraphBuilder::forward(Value hidden, int64_t count, Value cos,
                            Value sin, AttendFn attend) {
  MLIRContext *ctx = b.getContext();
  auto at = [&](llvm::StringRef name) {
    layers.setLoc(NameLoc::get(StringAttr::get(ctx, name)));
  };
  for (int64_t layer = 0; layer < config.numLayers; ++layer)
    hidden = decoderLayer(layer, hidden, count, cos, sin, attend);
  at("model.norm");
  hidden = layers.rmsNorm(hidden, weight("model.norm.weight"),
                          config.rmsNormEps);
  at("lm_head");
  Value head = config.tieWordEmbeddings ? weight("model.embed_tokens.weight")
                                        : weight("lm_head.weight");
  // The f32 accumulator is the result: logits are not rounded to the dtype.
  return layers.matmulTransposed(hidden, head);
}

func::FuncOp
GraphBuilder::buildPrefill(ModuleOp module,
                           const std::vector<ExpectedTensor> &tensors) {
  int64_t batch = options.batch, seqLen = options.seqLen;
  auto logitsType =
      RankedTensorType::get({batch, seqLen, config.vocabSize}, b.getF32Type());
  func::FuncOp func = startFunction(
      module, "prefill", {RankedTensorType::get({batch, seqLen}, b.getI64Type())},
      logitsType, tensors);
  func.setArgAttr(0, kVocabSizeAttrName,
                  b.getI64IntegerAttr(config.vocabSize));
  Value hidden = embed(func.getArgument(0), seqLen);
  layers.setLoc(NameLoc::get(b.getStringAttr("model.rotary_emb")));
  auto [cos, sin] = layers.ropeTables(seqLen, config.headDim,
                                      config.ropeTheta);
  // A CLA consumer's attention takes the K and V its group's producer
  // computed (after RoPE, which depends only on the position).
  Value sharedKey, sharedValue;
  auto attend = [&](int64_t layer, Value query, Value key,
                    Value value) -> Value {
    if (key) {
      sharedKey = key;
      sharedValue = value;
    }
    // Query heads h * G .. h * G + G - 1 read KV head h, as repeat_kv would
    // copy it, without the copy. The scale defaults to 1 / sqrt(head_dim).
    return AttentionOp::create(
        b,
        NameLoc::get(b.getStringAttr(
            llvm::formatv("model.layers.{0}.self_attn", layer).str())),
        query.getType(), query, sharedKey, sharedValue, /*mask=*/Value(),
        /*scale=*/FloatAttr(), /*causal=*/true, /*window=*/IntegerAttr());
  };
  Value logits = forward(hidden, seqLen, cos, sin, attend);
  logits = layers.reshape(logits, logitsType.getShape(), {{0, 1}, {2}});
  func::ReturnOp::create(b, b.getUnknownLoc(), logits);
  return func;
}

Value GraphBuilder::decoderLayer(int64_t layer, Value hidden, int64_t count,
                                 Value cos, Value sin, AttendFn attend) {
  MLIRContext *ctx = b.getContext();
  std::string prefix = llvm::formatv("model.layers.{0}.", layer).str();
  auto at = [&](llvm::StringRef module) {
    layers.setLoc(NameLoc::get(StringAttr::get(ctx, prefix + module.str())));
  };
  auto w = [&](llvm::StringRef name) { return weight(prefix + name.str()); };
  int64_t batch = options.batch;
  int64_t headDim = config.headDim;
  auto toHeads = [&](Value x, int64_t heads) {
    return layers.reshape(x, {batch, count, heads, headDim},
                          {{0, 1}, {2, 3}});
  };

  at("input_layernorm");
  Value normed = layers.rmsNorm(hidden, w("input_layernorm.weight"),
                                config.rmsNormEps);
  at("self_attn");
  Value query = toHeads(layers.linear(normed, w("self_attn.q_proj.weight")),
                        config.numHeads);
  query = layers.applyRope(query, cos, sin);
  Value key, value;
  if (config.isKVProducer(layer)) {
    key = toHeads(layers.linear(normed, w("self_attn.k_proj.weight")),
                  config.numKVHeads);
    key = layers.applyRope(key, cos, sin);
    value = toHeads(layers.linear(normed, w("self_attn.v_proj.weight")),
                    config.numKVHeads);
  }
  Value attended = attend(layer, query, key, value);
  at("self_attn");
  attended = layers.reshape(attended,
                            {batch * count, config.numHeads * headDim},
                            {{0, 1}, {2, 3}});
  Value projected = layers.linear(attended, w("self_attn.o_proj.weight"));
  hidden = layers.add(hidden, projected);

  at("post_attention_layernorm");
  normed = layers.rmsNorm(hidden, w("post_attention_layernorm.weight"),
                          config.rmsNormEps);
  at("mlp");
  Value gate = layers.linear(normed, w("mlp.gate_proj.weight"));
  Value up = layers.linear(normed, w("mlp.up_proj.weight"));
  Value down =
      layers.linear(layers.swiglu(gate, up), w("mlp.down_proj.weight"));
  return layers.add(hidden, down);
}

func::FuncOp
GraphBuilder::buildStep(ModuleOp module, llvm::StringRef name, int64_t count,
                        const std::vector<ExpectedTensor> &tensors) {
  Location loc = b.getUnknownLoc();
  int64_t batch = options.batch, numCaches = config.getNumCaches();
  KVCacheType cache = cacheType();
  SmallVector<Type> leading{
      RankedTensorType::get({batch, count}, b.getI64Type()),
      b.getIndexType()};
  leading.append(numCaches, cache);
  auto logitsType =
      RankedTensorType::get({batch, count, config.vocabSize}, b.getF32Type());
  SmallVector<Type> results{logitsType};
  results.append(numCaches, cache);
  func::FuncOp func = startFunction(module, name, leading, results, tensors);
  func.setPrivate();
  Block &entry = func.getBody().front();
  Value position = entry.getArgument(1);
  SmallVector<Value> caches(entry.getArguments().slice(2, numCaches));

  Value hidden = embed(entry.getArgument(0), count);
  // The RoPE rows of positions [position, position + count), computed for
  // them alone: a position the caches cannot hold reads nothing (the
  // append's guard reports it).
  layers.setLoc(NameLoc::get(b.getStringAttr("model.rotary_emb")));
  auto [cos, sin] = layers.ropeTables(count, config.headDim,
                                      config.ropeTheta, position);
  Value length = arith::AddIOp::create(
      b, loc, position, arith::ConstantIndexOp::create(b, loc, count));

  // A producer appends its K and V to its group's cache; every layer of
  // the group then attends over the cache's first position + count
  // positions, causally (bottom-right aligned: the new tokens see every
  // earlier one).
  auto attend = [&](int64_t layer, Value query, Value key,
                    Value value) -> Value {
    int64_t group = layer / config.claSharingFactor;
    Location at = NameLoc::get(b.getStringAttr(
        llvm::formatv("model.layers.{0}.self_attn", layer).str()));
    if (key)
      caches[group] = CacheAppendOp::create(b, at, caches[group].getType(),
                                            key, value, caches[group],
                                            position,
                                            b.getI64IntegerAttr(layer));
    return CacheAttendOp::create(b, at, query.getType(), query, caches[group],
                                 length, /*lengths=*/Value(),
                                 /*scale=*/FloatAttr(),
                                 /*causal=*/true, /*window=*/IntegerAttr(),
                                 b.getI64IntegerAttr(layer));
  };
  Value logits = forward(hidden, count, cos, sin, attend);
  logits = layers.reshape(logits, logitsType.getShape(), {{0, 1}, {2}});
  SmallVector<Value> returned{logits};
  returned.append(caches);
  func::ReturnOp::create(b, loc, returned);
  return func;
}

func::FuncOp
GraphBuilder::buildGenerate(ModuleOp module, func::FuncOp prompt,
                            func::FuncOp step,
                            const std::vector<ExpectedTensor> &tensors) {
  Location loc = b.getUnknownLoc();
  int64_t batch = options.batch, seqLen = options.seqLen;
  int64_t steps = options.generate, numCaches = config.getNumCaches();
  Type i64 = b.getI64Type();
  auto outType = RankedTensorType::get({batch, steps}, i64);
  func::FuncOp func = startFunction(
      module, "generate", {RankedTensorType::get({batch, seqLen}, i64)},
      outType, tensors);
  func.setArgAttr(0, kVocabSizeAttrName,
                  b.getI64IntegerAttr(config.vocabSize));
  Value tokens = func.getArgument(0);
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };

  // One cache per group of claSharingFactor layers, written by its first.
  SmallVector<Value> caches;
  for (int64_t g = 0; g < numCaches; ++g)
    caches.push_back(CacheCreateOp::create(
        b, loc, cacheType(), b.getI64IntegerAttr(config.claSharingFactor),
        b.getI64IntegerAttr(g * config.claSharingFactor)));

  // The greedy token after the logits of `count` positions: the argmax of
  // each sequence's last row.
  auto lastToken = [&](Value logits, int64_t count) -> Value {
    auto rowsType = RankedTensorType::get({batch, config.vocabSize},
                                          b.getF32Type());
    Value last = tensor::ExtractSliceOp::create(
        b, loc, rowsType, logits,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(count - 1),
                               b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(batch), b.getIndexAttr(1),
                               b.getIndexAttr(config.vocabSize)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                               b.getIndexAttr(1)});
    return layers.argmax(last);
  };
  auto call = [&](func::FuncOp callee, Value ids, Value position,
                  ValueRange state) -> func::CallOp {
    SmallVector<Value> args{ids, position};
    args.append(state.begin(), state.end());
    args.append(weightArgs.begin(), weightArgs.end());
    return func::CallOp::create(b, loc, callee, args);
  };

  layers.setLoc(loc);
  func::CallOp first = call(prompt, tokens, c(0), caches);
  Value next = lastToken(first.getResult(0), seqLen);
  // Step i < steps - 1 records token i and runs it through the model at
  // position seqLen + i for token i + 1; the last token is recorded after
  // the loop, so no forward pass is wasted and the caches hold seqLen +
  // steps - 1 positions.
  auto record = [&](Value out, Value token, OpFoldResult column) -> Value {
    Value asColumn = layers.reshape(token, {batch, 1}, {{0, 1}});
    return tensor::InsertSliceOp::create(
        b, loc, asColumn, out, ArrayRef<OpFoldResult>{b.getIndexAttr(0), column},
        ArrayRef<OpFoldResult>{b.getIndexAttr(batch), b.getIndexAttr(1)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  };
  SmallVector<Value> init{tensor::EmptyOp::create(b, loc, outType.getShape(),
                                                  i64),
                          next};
  init.append(first.getResults().begin() + 1, first.getResults().end());
  auto loop = scf::ForOp::create(b, loc, c(0), c(steps - 1), c(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    ValueRange carried = loop.getRegionIterArgs();
    Value out = record(carried[0], carried[1], i);
    Value column = layers.reshape(carried[1], {batch, 1}, {{0, 1}});
    Value position = arith::AddIOp::create(b, loc, i, c(seqLen));
    func::CallOp next = call(step, column, position, carried.drop_front(2));
    SmallVector<Value> yielded{out, lastToken(next.getResult(0), 1)};
    yielded.append(next.getResults().begin() + 1, next.getResults().end());
    scf::YieldOp::create(b, loc, yielded);
  }
  Value out = record(loop.getResult(0), loop.getResult(1),
                     b.getIndexAttr(steps - 1));
  func::ReturnOp::create(b, loc, out);
  return func;
}

llvm::Expected<OwningOpRef<ModuleOp>> mlir::attn::frontend::buildLlamaPrefill(
    MLIRContext &context, const LlamaConfig &config,
    const LlamaGraphOptions &options, llvm::StringRef configName) {
  if (llvm::Error err = checkOptions(config, options, configName))
    return std::move(err);
  DialectRegistry registry;
  registerLlamaGraphDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();

  OpBuilder b(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  Type elementType = elementTypeOf(context, config.dtype);
  GraphBuilder builder(b, config, options, elementType);
  std::vector<ExpectedTensor> tensors = getLlamaTensors(config);
  builder.buildPrefill(*module, tensors);
  if (options.generate > 0) {
    func::FuncOp prompt = builder.buildStep(*module, "prefill_step",
                                            options.seqLen, tensors);
    func::FuncOp step = builder.buildStep(*module, "decode_step", 1, tensors);
    builder.buildGenerate(*module, prompt, step, tensors);
  }
  // Reaching this means a bug in the builder, not in the model; the
  // verifier's diagnostics say where.
  if (failed(verify(*module)))
    return fail("internal error: the built graph does not verify");
  return module;
}
