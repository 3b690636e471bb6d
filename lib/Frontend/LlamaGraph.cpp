//===- LlamaGraph.cpp - a Llama model's forward pass as MLIR --------------===//
//
// Assembles LlamaForCausalLM's forward pass from the pieces of
// LlamaLayers.h, layer by layer, in transformers' order. Activations are kept
// as [B * S, width] matrices, so every projection is one matmul against the
// stored [out, in] weight; only attention sees [B, S, heads, head_dim].
//
// Cross-layer KV sharing needs nothing beyond SSA: a consumer layer's
// attention takes the K and V values its group's producer computed (after
// RoPE, which depends only on the position). With no state carried across
// calls, a KV cache would only be a copy that attention reads back, so the
// cache ops wait for the decode function.
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
                  linalg::LinalgDialect, math::MathDialect,
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
/// Builds @prefill's body; one instance per function.
class PrefillBuilder {
public:
  PrefillBuilder(OpBuilder &b, const LlamaConfig &config,
                 const LlamaGraphOptions &options, Type elementType)
      : b(b), config(config), options(options), elementType(elementType),
        layers(b, b.getUnknownLoc(), elementType) {}

  /// The function, with one weight argument per required tensor of
  /// `tensors`.
  func::FuncOp build(ModuleOp module,
                     const std::vector<ExpectedTensor> &tensors);

private:
  Value weight(llvm::StringRef name) const { return weights.lookup(name); }
  Value decoderLayer(int64_t layer, Value hidden, Value cos, Value sin);

  OpBuilder &b;
  const LlamaConfig &config;
  const LlamaGraphOptions &options;
  Type elementType;
  LayerBuilder layers;
  llvm::StringMap<Value> weights;
  /// K and V (after RoPE) of the latest producer layer, which the
  /// consumers of its CLA group read.
  Value sharedKey, sharedValue;
};
} // namespace

func::FuncOp PrefillBuilder::build(ModuleOp module,
                                   const std::vector<ExpectedTensor> &tensors) {
  MLIRContext *ctx = b.getContext();
  int64_t batch = options.batch, seqLen = options.seqLen;
  SmallVector<Type> argTypes{
      RankedTensorType::get({batch, seqLen}, b.getI64Type())};
  SmallVector<const ExpectedTensor *> weightArgs;
  for (const ExpectedTensor &tensor : tensors) {
    if (!tensor.required)
      continue;
    argTypes.push_back(RankedTensorType::get(tensor.shape, elementType));
    weightArgs.push_back(&tensor);
  }
  auto logitsType =
      RankedTensorType::get({batch, seqLen, config.vocabSize}, b.getF32Type());

  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, b.getUnknownLoc(), "prefill",
                                   b.getFunctionType(argTypes, logitsType));
  func.setArgAttr(0, kVocabSizeAttrName,
                  b.getI64IntegerAttr(config.vocabSize));
  Block *entry = func.addEntryBlock();
  for (auto [i, tensor] : llvm::enumerate(weightArgs)) {
    func.setArgAttr(i + 1, kWeightAttrName, b.getStringAttr(tensor->name));
    weights[tensor->name] = entry->getArgument(i + 1);
  }
  b.setInsertionPointToStart(entry);

  auto at = [&](llvm::StringRef name) {
    layers.setLoc(NameLoc::get(StringAttr::get(ctx, name)));
  };
  at("model.embed_tokens");
  Value tokens =
      layers.reshape(entry->getArgument(0), {batch * seqLen}, {{0, 1}});
  Value hidden = layers.embed(tokens, weight("model.embed_tokens.weight"));

  at("model.rotary_emb");
  auto [cos, sin] = layers.ropeTables(seqLen, config.headDim,
                                      config.ropeTheta);
  for (int64_t layer = 0; layer < config.numLayers; ++layer)
    hidden = decoderLayer(layer, hidden, cos, sin);

  at("model.norm");
  hidden = layers.rmsNorm(hidden, weight("model.norm.weight"),
                          config.rmsNormEps);
  at("lm_head");
  Value head = config.tieWordEmbeddings ? weight("model.embed_tokens.weight")
                                        : weight("lm_head.weight");
  // The f32 accumulator is the result: logits are not rounded to the dtype.
  Value logits = layers.matmulTransposed(hidden, head);
  logits = layers.reshape(logits, logitsType.getShape(), {{0, 1}, {2}});
  func::ReturnOp::create(b, b.getUnknownLoc(), logits);
  return func;
}

Value PrefillBuilder::decoderLayer(int64_t layer, Value hidden, Value cos,
                                   Value sin) {
  MLIRContext *ctx = b.getContext();
  std::string prefix = llvm::formatv("model.layers.{0}.", layer).str();
  auto at = [&](llvm::StringRef module) {
    layers.setLoc(NameLoc::get(StringAttr::get(ctx, prefix + module.str())));
  };
  auto w = [&](llvm::StringRef name) { return weight(prefix + name.str()); };
  int64_t batch = options.batch, seqLen = options.seqLen;
  int64_t headDim = config.headDim;
  auto toHeads = [&](Value x, int64_t heads) {
    return layers.reshape(x, {batch, seqLen, heads, headDim},
                          {{0, 1}, {2, 3}});
  };

  at("input_layernorm");
  Value normed = layers.rmsNorm(hidden, w("input_layernorm.weight"),
                                config.rmsNormEps);
  at("self_attn");
  Value query = toHeads(layers.linear(normed, w("self_attn.q_proj.weight")),
                        config.numHeads);
  query = layers.applyRope(query, cos, sin);
  if (config.isKVProducer(layer)) {
    Value key = toHeads(layers.linear(normed, w("self_attn.k_proj.weight")),
                        config.numKVHeads);
    sharedKey = layers.applyRope(key, cos, sin);
    sharedValue =
        toHeads(layers.linear(normed, w("self_attn.v_proj.weight")),
                config.numKVHeads);
  }
  // Query heads h * G .. h * G + G - 1 read KV head h, as repeat_kv would
  // copy it, without the copy. The scale defaults to 1 / sqrt(head_dim).
  Value attended = AttentionOp::create(
      b, NameLoc::get(StringAttr::get(ctx, prefix + "self_attn")),
      query.getType(), query, sharedKey, sharedValue, /*mask=*/Value(),
      /*scale=*/FloatAttr(), /*causal=*/true, /*window=*/IntegerAttr());
  attended = layers.reshape(attended,
                            {batch * seqLen, config.numHeads * headDim},
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
  PrefillBuilder builder(b, config, options, elementType);
  builder.build(*module, getLlamaTensors(config));
  // Reaching this means a bug in the builder, not in the model; the
  // verifier's diagnostics say where.
  if (failed(verify(*module)))
    return fail("internal error: the built graph does not verify");
  return module;
}
