//===- AttnDialect.h - attn dialect ------------------------------*- C++ -*-===//
//
// Declares the attn dialect, its enums, attributes and types. Include
// AttnOps.h for the operations.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNDIALECT_H
#define ATTN_DIALECT_ATTN_IR_ATTNDIALECT_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "attn/Dialect/Attn/IR/AttnOpsDialect.h.inc"

#include "attn/Dialect/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnOpsTypes.h.inc"

namespace mlir::attn {

/// Whether attention and the KV cache accept `type` as their element type.
/// Only f16, bf16, f32 and f64: every lowering widens them to the f32 (or
/// f64) accumulator and rounds back, and the CPU and NVVM paths can do that.
/// tf32, f80, f128 and the f8/f6/f4 families have no such path everywhere
/// (they end in unlowered ops or in backend crashes), so the verifiers
/// reject them up front.
inline bool isSupportedElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}

/// The supported element types as the diagnostics list them.
inline constexpr const char *kSupportedElementTypes = "f16, bf16, f32 or f64";

/// Whether a quantized KV cache stores elements of `type`: i8, or fp8 e4m3
/// (the range-favouring fp8 that KV caches use).
inline bool isQuantizedStorageType(Type type) {
  return type.isSignlessInteger(8) || isa<Float8E4M3FNType>(type);
}

/// Whether a quantized KV cache's scales may be of `type`.
inline bool isScaleType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32();
}

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_IR_ATTNDIALECT_H
