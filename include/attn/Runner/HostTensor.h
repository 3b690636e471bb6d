//===- HostTensor.h - host-side tensors of attn-runner ----------*- C++ -*-===//
//
// The dense, row-major host buffers that attn-runner feeds to and reads back
// from JIT-compiled code, with the element types it supports (f16, bf16, f32,
// f64, and i64 for token ids) and the exact roundings between them and
// double. Low-precision values
// are kept as their raw bits, so a buffer is byte-for-byte what the compiled
// code reads and writes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_HOSTTENSOR_H
#define ATTN_RUNNER_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class Type;
namespace attn::runner {

/// I64 holds integer ids (a model's tokens), not numbers to round. I8 and
/// F8E4M3FN are the codes of a quantized KV cache, which the runner
/// passes to an entry that takes one.
enum class ElementType { F16, BF16, F32, F64, I64, I8, F8E4M3FN };

/// The runner's element type for an MLIR type, if it is one of the seven.
std::optional<ElementType> elementTypeFor(Type type);
llvm::StringRef elementTypeName(ElementType type);
unsigned elementSize(ElementType type);

/// Rounds `v` to the nearest value of `type` (ties to even) and back. Exact
/// for every input, so f64 -> f16 never double-rounds through f32.
double roundTo(ElementType type, double v);
/// The same from float, without APFloat: the naive reference calls this once
/// per intermediate value, millions of times.
float roundFloatTo(ElementType type, float v);

/// A ranked tensor's element type and static shape.
struct TensorSignature {
  ElementType type;
  llvm::SmallVector<int64_t> shape;

  int64_t numElements() const;
  /// The size in bytes, or nullopt when it (or the element count) does not
  /// fit in int64: the runner checks this before it allocates anything.
  std::optional<int64_t> checkedByteSize() const;
  /// e.g. "tensor<1x97x4x64xf16>".
  std::string str() const;
};

/// A dense row-major tensor on the host.
class HostTensor {
public:
  explicit HostTensor(TensorSignature sig);

  const TensorSignature &signature() const { return sig; }
  ElementType type() const { return sig.type; }
  llvm::ArrayRef<int64_t> shape() const { return sig.shape; }
  int64_t size() const { return sig.numElements(); }
  size_t byteSize() const { return size() * elementSize(sig.type); }

  /// Element `i` (row-major), widened exactly to double.
  double get(int64_t i) const;
  /// Stores `v` rounded to the element type (for i64: truncated, and
  /// INT64_MIN where `v` is not finite or out of range).
  void set(int64_t i, double v);
  /// Sets every element to `v` rounded to the element type.
  void fill(double v);

  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }

private:
  TensorSignature sig;
  // uint64_t words keep the data aligned for every element type.
  std::vector<uint64_t> storage;
};

} // namespace attn::runner
} // namespace mlir

#endif // ATTN_RUNNER_HOSTTENSOR_H
