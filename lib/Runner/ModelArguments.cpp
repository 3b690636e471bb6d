//===- ModelArguments.cpp - attn-runner: weights and token ids ------------===//
//
// Weights are copied out of the memory-mapped checkpoint rather than passed
// in place: safetensors aligns the data section but not each tensor, and
// the compiled code's loads assume the element type's alignment. Every
// mismatch names the argument, the tensor, its file and both sides.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/ModelArguments.h"

#include "attn/Frontend/Checkpoint.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace mlir::attn;
using namespace mlir::attn::runner;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The checkpoint dtype whose bytes are those of `type`.
static frontend::DType dtypeOf(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return frontend::DType::F16;
  case ElementType::BF16:
    return frontend::DType::BF16;
  case ElementType::F32:
    return frontend::DType::F32;
  case ElementType::F64:
    return frontend::DType::F64;
  case ElementType::I64:
    return frontend::DType::I64;
  case ElementType::I8:
    return frontend::DType::I8;
  case ElementType::F8E4M3FN:
    return frontend::DType::F8E4M3;
  }
  llvm_unreachable("unknown element type");
}

llvm::Expected<HostTensor>
runner::loadWeight(const frontend::Checkpoint &checkpoint,
                   llvm::StringRef name, const TensorSignature &sig,
                   unsigned argIndex) {
  std::optional<frontend::Checkpoint::Entry> entry = checkpoint.lookup(name);
  if (!entry)
    return error(llvm::formatv("argument {0} takes tensor '{1}' "
                               "(attn.weight), which {2} does not hold",
                               argIndex, name, checkpoint.getSource()));
  const frontend::TensorInfo &info = *entry->info;
  if (info.dtype != dtypeOf(sig.type) ||
      llvm::ArrayRef<int64_t>(info.shape) != llvm::ArrayRef<int64_t>(sig.shape))
    return error(llvm::formatv(
        "argument {0} is {1}, but tensor '{2}' in {3} is {4} of {5}",
        argIndex, sig.str(), name, entry->file->getPath(),
        frontend::formatShape(info.shape),
        frontend::getSafeTensorsName(info.dtype)));
  HostTensor tensor(sig);
  llvm::ArrayRef<uint8_t> bytes = entry->file->getData(info);
  // SafeTensorsFile checked the offsets against dtype and shape; this is
  // the copy's own guard.
  if (bytes.size() != tensor.byteSize())
    return error(llvm::formatv("tensor '{0}' in {1} has {2} bytes, argument "
                               "{3} ({4}) needs {5}",
                               name, entry->file->getPath(), bytes.size(),
                               argIndex, sig.str(), tensor.byteSize()));
  if (!bytes.empty())
    std::memcpy(tensor.data(), bytes.data(), bytes.size());
  return tensor;
}

llvm::Expected<HostTensor> runner::parseTokens(llvm::StringRef list,
                                               const TensorSignature &sig,
                                               unsigned argIndex,
                                               llvm::StringRef option) {
  llvm::SmallVector<llvm::StringRef> items;
  list.split(items, ',');
  if (int64_t(items.size()) != sig.numElements())
    return error(llvm::formatv("{0} gives {1} values, but argument {2} ({3}) "
                               "holds {4}",
                               option, items.size(), argIndex, sig.str(),
                               sig.numElements()));
  HostTensor tensor(sig);
  for (auto [i, item] : llvm::enumerate(items)) {
    int64_t id;
    if (item.trim().getAsInteger(10, id))
      return error(llvm::formatv("{0}: item {1} ('{2}') is not an integer",
                                 option, i, item));
    static_cast<int64_t *>(tensor.data())[i] = id;
  }
  return tensor;
}

llvm::Error runner::checkTokenIds(const HostTensor &ids, int64_t vocabSize,
                                  unsigned argIndex) {
  const auto *data = static_cast<const int64_t *>(ids.data());
  for (int64_t i = 0, e = ids.size(); i < e; ++i)
    if (data[i] < 0 || data[i] >= vocabSize)
      return error(llvm::formatv("argument {0}: token id {1} at index {2} "
                                 "lies outside [0, {3}) (attn.vocab_size)",
                                 argIndex, data[i], i, vocabSize));
  return llvm::Error::success();
}
