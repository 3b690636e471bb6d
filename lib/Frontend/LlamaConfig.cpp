//===- LlamaConfig.cpp - a Hugging Face Llama config.json -----------------===//
//
// Reads config.json with llvm::json and checks it field by field, then the
// fields against each other. Every message names the file, the field and the
// numbers, because the user's fix is an edit to that file. Sizes are capped
// at 2^31 - 1 so that the product of any two fits in int64 later on.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/LlamaConfig.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <limits>

using namespace mlir::attn::frontend;
namespace json = llvm::json;

static constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

namespace {
/// Typed access to the fields of one JSON object, with messages that name
/// the file and the field as the user wrote it (`path` is dotted for nested
/// objects, e.g. "rope_parameters.rope_theta").
class FieldReader {
public:
  FieldReader(const json::Object &object, llvm::StringRef fileName,
              llvm::StringRef prefix = "")
      : object(object), fileName(fileName), prefix(prefix) {}

  /// The value of `key`, or null when it is absent or JSON null: transformers
  /// writes null for "use the default".
  const json::Value *find(llvm::StringRef key) const {
    const json::Value *value = object.get(key);
    if (!value || value->kind() == json::Value::Null)
      return nullptr;
    return value;
  }

  std::string path(llvm::StringRef key) const { return (prefix + key).str(); }

  llvm::Error missing(llvm::StringRef key) const {
    return fail(llvm::formatv("{0}: missing field '{1}'", fileName, path(key)));
  }
  llvm::Error mistyped(llvm::StringRef key, llvm::StringRef what) const {
    return fail(llvm::formatv("{0}: field '{1}' must be {2}, got {3}", fileName,
                              path(key), what, *object.get(key)));
  }

  /// A positive size no larger than kMaxSize; `fallback` when absent, or a
  /// "missing field" error when there is no fallback.
  llvm::Expected<int64_t> getSize(llvm::StringRef key,
                                  std::optional<int64_t> fallback = {}) const {
    const json::Value *value = find(key);
    if (!value) {
      if (fallback)
        return *fallback;
      return missing(key);
    }
    std::optional<int64_t> size = value->getAsInteger();
    if (!size)
      return mistyped(key, "an integer");
    if (*size <= 0)
      return fail(llvm::formatv("{0}: field '{1}' must be positive, got {2}",
                                fileName, path(key), *size));
    if (*size > kMaxSize)
      return fail(llvm::formatv("{0}: field '{1}' ({2}) exceeds {3}", fileName,
                                path(key), *size, kMaxSize));
    return *size;
  }

  /// A positive number, or std::nullopt when absent.
  llvm::Expected<std::optional<double>>
  getPositiveNumber(llvm::StringRef key) const {
    const json::Value *value = find(key);
    if (!value)
      return std::nullopt;
    std::optional<double> number = value->getAsNumber();
    if (!number)
      return mistyped(key, "a number");
    if (!(*number > 0))
      return fail(llvm::formatv("{0}: field '{1}' must be positive, got {2}",
                                fileName, path(key), *value));
    return number;
  }

  llvm::Expected<std::optional<std::string>>
  getString(llvm::StringRef key) const {
    const json::Value *value = find(key);
    if (!value)
      return std::nullopt;
    std::optional<llvm::StringRef> text = value->getAsString();
    if (!text)
      return mistyped(key, "a string");
    return text->str();
  }

  llvm::Expected<bool> getBool(llvm::StringRef key, bool fallback) const {
    const json::Value *value = find(key);
    if (!value)
      return fallback;
    std::optional<bool> flag = value->getAsBoolean();
    if (!flag)
      return mistyped(key, "a boolean");
    return *flag;
  }

  /// A nested object, or null when absent.
  llvm::Expected<const json::Object *> getObject(llvm::StringRef key) const {
    const json::Value *value = find(key);
    if (!value)
      return nullptr;
    const json::Object *nested = value->getAsObject();
    if (!nested)
      return mistyped(key, "an object");
    return nested;
  }

private:
  const json::Object &object;
  llvm::StringRef fileName;
  std::string prefix;
};
} // namespace

/// Refuses RoPE variants other than the default (llama3, yarn, linear, ...):
/// their frequencies differ, and silently using the default would give a
/// model that runs and is wrong. `rope_type` is the current key, `type` the
/// one older configs wrote.
static llvm::Error checkDefaultRope(const FieldReader &reader,
                                    llvm::StringRef fileName,
                                    llvm::StringRef what) {
  for (llvm::StringRef key : {"rope_type", "type"}) {
    llvm::Expected<std::optional<std::string>> type = reader.getString(key);
    if (!type)
      return type.takeError();
    if (*type && **type != "default")
      return fail(llvm::formatv("{0}: '{1}' of type '{2}' is not supported "
                                "yet (only the default RoPE is)",
                                fileName, what, **type));
  }
  return llvm::Error::success();
}

/// Reads a field that transformers 4.x and 5.x spell differently. Both may
/// be present only with the same value, since either could be the one a
/// user edited.
template <typename T>
static llvm::Expected<std::optional<T>>
getEitherSpelling(llvm::StringRef fileName, llvm::StringRef oldName,
                  llvm::Expected<std::optional<T>> oldValue,
                  llvm::StringRef newName,
                  llvm::Expected<std::optional<T>> newValue) {
  if (!oldValue) {
    llvm::consumeError(newValue.takeError());
    return oldValue.takeError();
  }
  if (!newValue)
    return newValue.takeError();
  if (*oldValue && *newValue && **oldValue != **newValue)
    return fail(llvm::formatv("{0}: '{1}' ({2}) and '{3}' ({4}) disagree",
                              fileName, oldName, json::Value(**oldValue),
                              newName, json::Value(**newValue)));
  return *oldValue ? *oldValue : *newValue;
}

llvm::Expected<LlamaConfig>
mlir::attn::frontend::parseLlamaConfig(llvm::StringRef text,
                                       llvm::StringRef fileName) {
  llvm::Expected<json::Value> root = json::parse(text);
  if (!root)
    return fail(llvm::formatv("{0}: invalid JSON: {1}", fileName,
                              llvm::toString(root.takeError())));
  const json::Object *object = root->getAsObject();
  if (!object)
    return fail(llvm::formatv("{0}: expected a JSON object", fileName));
  FieldReader reader(*object, fileName);
  LlamaConfig config;

  // Each size on its own line so that the first bad field is the one named.
  auto readSize = [&](int64_t &into, llvm::StringRef key,
                      std::optional<int64_t> fallback = {}) -> llvm::Error {
    llvm::Expected<int64_t> size = reader.getSize(key, fallback);
    if (!size)
      return size.takeError();
    into = *size;
    return llvm::Error::success();
  };
  if (llvm::Error err = readSize(config.hiddenSize, "hidden_size"))
    return std::move(err);
  if (llvm::Error err = readSize(config.numHeads, "num_attention_heads"))
    return std::move(err);
  if (llvm::Error err =
          readSize(config.numKVHeads, "num_key_value_heads", config.numHeads))
    return std::move(err);
  if (llvm::Error err = readSize(config.numLayers, "num_hidden_layers"))
    return std::move(err);
  if (llvm::Error err = readSize(config.intermediateSize, "intermediate_size"))
    return std::move(err);
  if (llvm::Error err = readSize(config.vocabSize, "vocab_size"))
    return std::move(err);
  if (llvm::Error err =
          readSize(config.maxPositionEmbeddings, "max_position_embeddings"))
    return std::move(err);
  if (llvm::Error err =
          readSize(config.claSharingFactor, "cla_sharing_factor", 1))
    return std::move(err);

  if (config.numHeads % config.numKVHeads != 0)
    return fail(llvm::formatv(
        "{0}: 'num_key_value_heads' ({1}) must divide 'num_attention_heads' "
        "({2})",
        fileName, config.numKVHeads, config.numHeads));
  // transformers lets head_dim differ from hidden_size / heads when it is
  // given; only the derived value needs an exact division.
  if (!reader.find("head_dim") && config.hiddenSize % config.numHeads != 0)
    return fail(llvm::formatv("{0}: 'num_attention_heads' ({1}) must divide "
                              "'hidden_size' ({2}) when 'head_dim' is absent",
                              fileName, config.numHeads, config.hiddenSize));
  if (llvm::Error err = readSize(config.headDim, "head_dim",
                                 config.hiddenSize / config.numHeads))
    return std::move(err);
  if (config.claSharingFactor > config.numLayers)
    return fail(llvm::formatv(
        "{0}: 'cla_sharing_factor' ({1}) exceeds 'num_hidden_layers' ({2})",
        fileName, config.claSharingFactor, config.numLayers));

  llvm::Expected<std::optional<double>> eps =
      reader.getPositiveNumber("rms_norm_eps");
  if (!eps)
    return eps.takeError();
  if (!*eps)
    return reader.missing("rms_norm_eps");
  config.rmsNormEps = **eps;

  llvm::Expected<bool> tied = reader.getBool("tie_word_embeddings", false);
  if (!tied)
    return tied.takeError();
  config.tieWordEmbeddings = *tied;

  // RoPE: 4.x has top-level rope_theta and an optional rope_scaling; 5.x
  // folds both into rope_parameters.
  llvm::Expected<const json::Object *> scaling =
      reader.getObject("rope_scaling");
  if (!scaling)
    return scaling.takeError();
  if (*scaling)
    if (llvm::Error err =
            checkDefaultRope(FieldReader(**scaling, fileName, "rope_scaling."),
                             fileName, "rope_scaling"))
      return std::move(err);
  llvm::Expected<const json::Object *> ropeParams =
      reader.getObject("rope_parameters");
  if (!ropeParams)
    return ropeParams.takeError();
  std::optional<double> nestedTheta;
  if (*ropeParams) {
    FieldReader nested(**ropeParams, fileName, "rope_parameters.");
    if (llvm::Error err = checkDefaultRope(nested, fileName, "rope_parameters"))
      return std::move(err);
    llvm::Expected<std::optional<double>> value =
        nested.getPositiveNumber("rope_theta");
    if (!value)
      return value.takeError();
    nestedTheta = *value;
  }
  llvm::Expected<std::optional<double>> theta = getEitherSpelling<double>(
      fileName, "rope_theta", reader.getPositiveNumber("rope_theta"),
      "rope_parameters.rope_theta", nestedTheta);
  if (!theta)
    return theta.takeError();
  if (!*theta)
    return fail(llvm::formatv(
        "{0}: missing field 'rope_theta' (or 'rope_parameters.rope_theta')",
        fileName));
  config.ropeTheta = **theta;

  llvm::Expected<std::optional<std::string>> dtype =
      getEitherSpelling<std::string>(fileName, "torch_dtype",
                                     reader.getString("torch_dtype"), "dtype",
                                     reader.getString("dtype"));
  if (!dtype)
    return dtype.takeError();
  if (!*dtype)
    return fail(llvm::formatv("{0}: missing field 'torch_dtype' (or 'dtype')",
                              fileName));
  std::optional<DType> type = parseTorchDType(**dtype);
  if (!type)
    return fail(llvm::formatv(
        "{0}: field '{1}' has unsupported dtype '{2}' "
        "(expected float32, float16 or bfloat16)",
        fileName, reader.find("torch_dtype") ? "torch_dtype" : "dtype",
        **dtype));
  config.dtype = *type;
  config.dtypeName = **dtype;
  return config;
}

llvm::Expected<LlamaConfig>
mlir::attn::frontend::readLlamaConfig(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return fail(llvm::formatv("{0}: cannot read: {1}", path,
                              buffer.getError().message()));
  return parseLlamaConfig((*buffer)->getBuffer(), path);
}
