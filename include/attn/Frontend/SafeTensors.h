//===- SafeTensors.h - one .safetensors file --------------------*- C++ -*-===//
//
// A reader for the safetensors format: an 8-byte little-endian header
// length, a JSON header mapping each tensor name to its dtype, shape and
// [begin, end) byte offsets into the data that follows, and an optional
// "__metadata__" string map. Opening a file validates the whole header
// against the file's size; tensor data is only mapped, and read when a
// caller asks for it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_FRONTEND_SAFETENSORS_H
#define ATTN_FRONTEND_SAFETENSORS_H

#include "attn/Frontend/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace mlir::attn::frontend {

struct TensorInfo {
  DType dtype;
  llvm::SmallVector<int64_t, 4> shape;
  /// Byte offsets into the data section (after the header).
  uint64_t begin = 0;
  uint64_t end = 0;

  uint64_t getNumElements() const;
};

/// "[a, b, c]", the way messages show a shape.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

class SafeTensorsFile {
public:
  /// Maps `path` and validates its header.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  open(llvm::StringRef path);

  llvm::StringRef getPath() const { return path; }
  /// The tensor called `name`, or null.
  const TensorInfo *lookup(llvm::StringRef name) const;
  const llvm::StringMap<TensorInfo> &getTensors() const { return tensors; }
  const llvm::StringMap<std::string> &getMetadata() const { return metadata; }
  /// The raw little-endian bytes of `tensor`, which must be one of this
  /// file's.
  llvm::ArrayRef<uint8_t> getData(const TensorInfo &tensor) const;

private:
  SafeTensorsFile() = default;

  std::string path;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  /// Offset of the data section in the file: 8 + header length.
  uint64_t dataStart = 0;
  llvm::StringMap<TensorInfo> tensors;
  llvm::StringMap<std::string> metadata;
};

} // namespace mlir::attn::frontend

#endif // ATTN_FRONTEND_SAFETENSORS_H
