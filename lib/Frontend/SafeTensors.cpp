//===- SafeTensors.cpp - one .safetensors file ----------------------------===//
//
// The header is untrusted input: every length and offset is checked against
// the mapped file before it is used, and byte counts are computed with
// overflow checks, so that a truncated or lying file gives a message naming
// the file and the tensor rather than an out-of-bounds read. Tensors are
// checked in name order, so the first error reported does not depend on
// hash order.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/SafeTensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir::attn::frontend;
namespace json = llvm::json;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string mlir::attn::frontend::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

uint64_t TensorInfo::getNumElements() const {
  uint64_t count = 1;
  for (int64_t dim : shape)
    count *= static_cast<uint64_t>(dim);
  return count;
}

/// Reads a non-negative integer; JSON numbers are doubles in general, so
/// 1.5 or -1 are refused here rather than truncated.
static std::optional<uint64_t> getUnsigned(const json::Value &value) {
  std::optional<int64_t> number = value.getAsInteger();
  if (!number || *number < 0)
    return std::nullopt;
  return static_cast<uint64_t>(*number);
}

/// Parses one header entry and checks it against the data section.
static llvm::Expected<TensorInfo> parseTensor(llvm::StringRef path,
                                              llvm::StringRef name,
                                              const json::Value &value,
                                              uint64_t dataSize) {
  auto bad = [&](const llvm::Twine &what) {
    return fail(
        llvm::formatv("{0}: tensor '{1}': {2}", path, name, what.str()));
  };
  const json::Object *entry = value.getAsObject();
  if (!entry)
    return bad("expected an object with dtype, shape and data_offsets");

  TensorInfo info;
  std::optional<llvm::StringRef> dtypeName = entry->getString("dtype");
  if (!dtypeName)
    return bad("missing or non-string 'dtype'");
  std::optional<DType> dtype = parseSafeTensorsDType(*dtypeName);
  if (!dtype)
    return bad("unknown dtype '" + *dtypeName + "'");
  info.dtype = *dtype;

  const json::Array *shape = entry->getArray("shape");
  if (!shape)
    return bad("missing or non-array 'shape'");
  // The element count must fit the data section, which is in turn no larger
  // than the file; checking as we go keeps the product from overflowing.
  uint64_t bytes = getByteSize(info.dtype);
  for (const json::Value &dim : *shape) {
    std::optional<uint64_t> size = getUnsigned(dim);
    if (!size || *size > static_cast<uint64_t>(INT64_MAX))
      return bad(
          llvm::formatv("shape entry {0} is not a non-negative integer", dim));
    info.shape.push_back(static_cast<int64_t>(*size));
    bool overflow = false;
    bytes = llvm::SaturatingMultiply(bytes, *size, &overflow);
    if (overflow)
      return bad("shape's byte size overflows 64 bits");
  }

  const json::Array *offsets = entry->getArray("data_offsets");
  if (!offsets || offsets->size() != 2)
    return bad("'data_offsets' must be an array [begin, end]");
  std::optional<uint64_t> begin = getUnsigned((*offsets)[0]);
  std::optional<uint64_t> end = getUnsigned((*offsets)[1]);
  if (!begin || !end)
    return bad("'data_offsets' must be non-negative integers");
  if (*begin > *end)
    return bad(llvm::formatv("data_offsets [{0}, {1}] end before they begin",
                             *begin, *end));
  if (*end > dataSize)
    return bad(llvm::formatv("data_offsets [{0}, {1}] run past the end of the "
                             "data ({2} bytes); the file is truncated or its "
                             "header is wrong",
                             *begin, *end, dataSize));
  if (*end - *begin != bytes)
    return bad(llvm::formatv(
        "data_offsets [{0}, {1}] hold {2} bytes, but {3} {4} needs {5}", *begin,
        *end, *end - *begin, getSafeTensorsName(info.dtype),
        formatShape(info.shape), bytes));
  info.begin = *begin;
  info.end = *end;
  return info;
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::open(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(llvm::formatv("{0}: cannot read: {1}", path,
                              buffer.getError().message()));
  std::unique_ptr<SafeTensorsFile> file(new SafeTensorsFile());
  file->path = path.str();
  file->buffer = std::move(*buffer);

  llvm::StringRef contents = file->buffer->getBuffer();
  uint64_t fileSize = contents.size();
  if (fileSize < 8)
    return fail(llvm::formatv(
        "{0}: file of {1} bytes is too short for the 8-byte header length",
        path, fileSize));
  uint64_t headerSize = llvm::support::endian::read64le(contents.data());
  if (headerSize > fileSize - 8)
    return fail(llvm::formatv("{0}: header length {1} runs past the end of "
                              "the file ({2} bytes after the length)",
                              path, headerSize, fileSize - 8));
  file->dataStart = 8 + headerSize;
  uint64_t dataSize = fileSize - file->dataStart;

  llvm::Expected<json::Value> header =
      json::parse(contents.substr(8, headerSize));
  if (!header)
    return fail(llvm::formatv("{0}: invalid JSON header: {1}", path,
                              llvm::toString(header.takeError())));
  const json::Object *entries = header->getAsObject();
  if (!entries)
    return fail(llvm::formatv("{0}: the header is not a JSON object", path));

  llvm::SmallVector<llvm::StringRef> names;
  for (const auto &entry : *entries)
    names.push_back(entry.first);
  llvm::sort(names);
  for (llvm::StringRef name : names) {
    const json::Value &value = *entries->get(name);
    if (name == "__metadata__") {
      const json::Object *metadata = value.getAsObject();
      if (!metadata)
        return fail(
            llvm::formatv("{0}: '__metadata__' is not an object", path));
      for (const auto &item : *metadata) {
        std::optional<llvm::StringRef> text = item.second.getAsString();
        if (!text)
          return fail(llvm::formatv(
              "{0}: '__metadata__' value of '{1}' is not a string", path,
              llvm::StringRef(item.first)));
        file->metadata[item.first] = text->str();
      }
      continue;
    }
    llvm::Expected<TensorInfo> info = parseTensor(path, name, value, dataSize);
    if (!info)
      return info.takeError();
    file->tensors[name] = std::move(*info);
  }

  // Overlapping tensors would alias one another's weights: a sign of a
  // corrupt header, refused rather than loaded. Empty tensors occupy no
  // bytes and cannot overlap anything.
  std::vector<std::pair<const TensorInfo *, llvm::StringRef>> byOffset;
  for (const auto &entry : file->tensors)
    if (entry.second.begin != entry.second.end)
      byOffset.push_back({&entry.second, entry.first()});
  llvm::sort(byOffset, [](const auto &a, const auto &b) {
    return std::tie(a.first->begin, a.second) <
           std::tie(b.first->begin, b.second);
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const auto &[prev, prevName] = byOffset[i - 1];
    const auto &[cur, curName] = byOffset[i];
    if (cur->begin < prev->end)
      return fail(llvm::formatv(
          "{0}: tensors '{1}' [{2}, {3}] and '{4}' [{5}, {6}] overlap", path,
          prevName, prev->begin, prev->end, curName, cur->begin, cur->end));
  }
  return file;
}

const TensorInfo *SafeTensorsFile::lookup(llvm::StringRef name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

llvm::ArrayRef<uint8_t>
SafeTensorsFile::getData(const TensorInfo &tensor) const {
  const auto *start = reinterpret_cast<const uint8_t *>(
      buffer->getBufferStart() + dataStart + tensor.begin);
  return llvm::ArrayRef<uint8_t>(start, tensor.end - tensor.begin);
}
