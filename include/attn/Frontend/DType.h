//===- DType.h - element types of checkpoint tensors ------------*- C++ -*-===//
//
// The element types a safetensors file can declare, with their byte sizes and
// the two spellings the front end meets: safetensors' own ("BF16") and the
// torch names that Hugging Face configs use ("bfloat16"). Kept apart from the
// readers so that the config, the tensor files and the weight check agree on
// one list.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_FRONTEND_DTYPE_H
#define ATTN_FRONTEND_DTYPE_H

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::attn::frontend {

enum class DType {
  Bool,
  U8,
  I8,
  F8E5M2,
  F8E4M3,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  I64,
  U64,
  F64,
};

/// Bytes per element.
unsigned getByteSize(DType type);

/// The safetensors name of `type`, e.g. "BF16".
llvm::StringRef getSafeTensorsName(DType type);

/// Parses a safetensors dtype name; std::nullopt for an unknown one.
std::optional<DType> parseSafeTensorsDType(llvm::StringRef name);

/// Parses the torch dtype name of a model config ("float32", "float16",
/// "bfloat16"); std::nullopt for any other, since only these are model
/// weight types the compiler will support.
std::optional<DType> parseTorchDType(llvm::StringRef name);

} // namespace mlir::attn::frontend

#endif // ATTN_FRONTEND_DTYPE_H
