//===- Npy.h - .npy reading and writing for attn-runner ---------*- C++ -*-===//
//
// Reads and writes NumPy's .npy format (versions 1.0 to 3.0, C order,
// little-endian) for the runner's element types. Every failure is returned
// as a message naming the file, the expected and the actual value.
//
// dtypes: f16 is '<f2', f32 '<f4', f64 '<f8', i64 (token ids) '<i8'. NumPy
// has no bfloat16, so a bf16 tensor is stored as '<u2' holding the raw bf16
// bit patterns (the upper 16 bits of the float32 encoding); from PyTorch,
// `t.view(torch.int16).numpy().view('<u2')` produces such a file, and
// `torch.from_numpy(a.view('<i2')).view(torch.bfloat16)` reads one.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNNER_NPY_H
#define ATTN_RUNNER_NPY_H

#include "attn/Runner/HostTensor.h"

#include "llvm/Support/Error.h"

namespace mlir::attn::runner {

/// The .npy descr this runner uses for `type`.
llvm::StringRef npyDescr(ElementType type);

/// Reads `path` into a tensor of signature `expected`, failing if the file's
/// dtype or shape differ from it.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path,
                                   const TensorSignature &expected);

/// Writes `tensor` to `path` in format version 1.0.
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor);

} // namespace mlir::attn::runner

#endif // ATTN_RUNNER_NPY_H
