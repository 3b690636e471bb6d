//===- SafeTensorsReader.h - checkpoint tensors for the runtime -*- C++ -*-===//
//
// Plain C++ (no LLVM or MLIR): a compiled model's loader links this, and a
// program that links the runtime must not need LLVM. The compiler reads
// checkpoints with lib/Frontend/SafeTensors; this is the runtime's own
// reader of the same format, with the same checks, except that a dtype it
// does not know is kept (with the byte count its header gives) for the
// loader to refuse if the model needs that tensor.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes
// of JSON mapping each tensor name to its dtype, shape and [begin, end)
// byte offsets into the data that follows (plus an optional "__metadata__"
// string map), then the data. Opening a checkpoint parses and validates
// every header it needs against the files' sizes, but reads no tensor
// data; read() fetches one tensor's bytes when the loader wants them, so
// that weights can go straight to their destination.
//
// Functions that return std::string return "" on success and a message
// naming the file (and the tensor, where there is one) otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_RUNTIME_SAFETENSORSREADER_H
#define ATTN_LIB_RUNTIME_SAFETENSORSREADER_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir::attn::rt {

struct StoredTensor {
  std::string name;
  /// As stored: "F32", "BF16", "F16", "I64", ...
  std::string dtype;
  std::vector<int64_t> shape;
  /// The full path of the .safetensors file that holds the data.
  std::string file;
  /// The absolute byte offset of the data in `file`.
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

/// The size in bytes of one element of safetensors dtype `dtype`, or 0 if
/// the dtype is not one this reader knows.
unsigned safeTensorsElementSize(const std::string &dtype);

class SafeTensorsReader {
public:
  /// Opens the checkpoint in directory `dir`: the sharded form, whose
  /// `model.safetensors.index.json` "weight_map" maps each tensor name to a
  /// shard file in the same directory, or if that is absent
  /// `model.safetensors` (the order attn-compile reads them in). Parses
  /// every header needed, each shard's once. Forgets any checkpoint opened
  /// before, also when it fails.
  std::string open(const std::string &dir);

  /// The tensor named `name`, or nullptr.
  const StoredTensor *find(const std::string &name) const;

  /// Every tensor of the checkpoint, by name.
  const std::map<std::string, StoredTensor> &tensors() const { return byName; }

  /// Reads the tensor's bytes into `dst`, which must have room for exactly
  /// `t.bytes` bytes.
  std::string read(const StoredTensor &t, void *dst) const;

private:
  std::map<std::string, StoredTensor> byName;
};

} // namespace mlir::attn::rt

#endif // ATTN_LIB_RUNTIME_SAFETENSORSREADER_H
