//===- Checkpoint.h - the safetensors files of a model ----------*- C++ -*-===//
//
// The weights `save_pretrained()` writes: one `model.safetensors`, or the
// sharded form, a `model.safetensors.index.json` whose `weight_map` names the
// shard that holds each tensor. Either way a Checkpoint answers "where is
// tensor X" with the file and its header entry.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_FRONTEND_CHECKPOINT_H
#define ATTN_FRONTEND_CHECKPOINT_H

#include "attn/Frontend/SafeTensors.h"

#include <optional>
#include <vector>

namespace mlir::attn::frontend {

class Checkpoint {
public:
  struct Entry {
    const SafeTensorsFile *file;
    const TensorInfo *info;
  };

  /// Opens the checkpoint in `directory`, preferring the index when both
  /// forms are present, as transformers does.
  static llvm::Expected<Checkpoint> open(llvm::StringRef directory);

  std::optional<Entry> lookup(llvm::StringRef name) const;
  bool isSharded() const { return sharded; }
  /// The file that lists the tensors: model.safetensors or the index.
  llvm::StringRef getSource() const { return source; }
  size_t getNumFiles() const { return files.size(); }

private:
  bool sharded = false;
  std::string source;
  std::vector<std::unique_ptr<SafeTensorsFile>> files;
  llvm::StringMap<Entry> tensors;
};

} // namespace mlir::attn::frontend

#endif // ATTN_FRONTEND_CHECKPOINT_H
