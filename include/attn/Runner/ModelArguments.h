//===- ModelArguments.h - attn-runner: weights and token ids ----*- C++ -*-===//
//
// The entry arguments of a model graph that the runner binds by meaning
// rather than by position: an argument carrying `attn.weight = "name"` takes
// that tensor of a safetensors checkpoint (`--weights=<model-dir>`), and an
// argument carrying `attn.vocab_size = V` holds token ids that must lie in
// [0, V) (`--tokens=` or an .npy file). attn-compile --emit=mlir writes
// both attributes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_MODELARGUMENTS_H
#define ATTN_RUNNER_MODELARGUMENTS_H

#include "attn/Runner/HostTensor.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace mlir::attn {
namespace frontend {
class Checkpoint;
} // namespace frontend

namespace runner {

/// What an entry argument's attributes say it is.
struct ModelArgument {
  /// The checkpoint tensor it takes (attn.weight), or empty.
  std::string weight;
  /// The vocabulary its token ids index (attn.vocab_size).
  std::optional<int64_t> vocabSize;
  /// Whether it is a tensor of a KV cache the entry takes, which starts
  /// empty (zeros).
  bool cache = false;
};

/// The tensor `name` of `checkpoint`, copied into a host tensor of `sig`;
/// its dtype and shape must be the argument's. `argIndex` is for messages.
llvm::Expected<HostTensor> loadWeight(const frontend::Checkpoint &checkpoint,
                                      llvm::StringRef name,
                                      const TensorSignature &sig,
                                      unsigned argIndex);

/// Integers (token ids, lengths) from a comma-separated list ("1,2,3"), as
/// many as `sig` (an i64 tensor) holds, in row-major order. `option` names
/// where the list came from, in messages.
llvm::Expected<HostTensor> parseTokens(llvm::StringRef list,
                                       const TensorSignature &sig,
                                       unsigned argIndex,
                                       llvm::StringRef option = "--tokens");

/// Fails on the first id of `ids` outside [0, vocabSize).
llvm::Error checkTokenIds(const HostTensor &ids, int64_t vocabSize,
                          unsigned argIndex);

} // namespace runner
} // namespace mlir::attn

#endif // ATTN_RUNNER_MODELARGUMENTS_H
