//===- AttnTypes.cpp - attn dialect types ----------------------------------===//
//
// The KV cache type: `!attn.kv_cache<BxHxCxDxT>`, written like a static
// shape so that it reads the way memref and tensor types do, and its
// quantized form `!attn.kv_cache<BxHxCxDxi8, scales = f32>`.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::attn;

#define GET_TYPEDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnOpsTypes.cpp.inc"

void AttnDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "attn/Dialect/Attn/IR/AttnOpsTypes.cpp.inc"
      >();
}

Type KVCacheType::parse(AsmParser &parser) {
  SmallVector<int64_t, 4> dims;
  Type elementType, scaleType;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false) ||
      parser.parseType(elementType))
    return {};
  if (succeeded(parser.parseOptionalComma()) &&
      (parser.parseKeyword("scales") || parser.parseEqual() ||
       parser.parseType(scaleType)))
    return {};
  if (parser.parseGreater())
    return {};
  if (dims.size() != 4) {
    parser.emitError(loc) << "expected 4 dimensions (batch x kv_heads x "
                             "capacity x head_dim), got "
                          << dims.size();
    return {};
  }
  return parser.getChecked<KVCacheType>(loc, parser.getContext(), dims[0],
                                        dims[1], dims[2], dims[3],
                                        elementType, scaleType);
}

void KVCacheType::print(AsmPrinter &printer) const {
  printer << "<" << getBatch() << "x" << getKvHeads() << "x" << getCapacity()
          << "x" << getHeadDim() << "x" << getElementType();
  if (Type scales = getScaleType())
    printer << ", scales = " << scales;
  printer << ">";
}

LogicalResult
KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                    int64_t batch, int64_t kvHeads, int64_t capacity,
                    int64_t headDim, Type elementType, Type scaleType) {
  auto check = [&](int64_t v, StringRef name) -> LogicalResult {
    if (v > 0)
      return success();
    return emitError() << "KV cache " << name << " (" << v
                       << ") must be positive";
  };
  if (failed(check(batch, "batch")) || failed(check(kvHeads, "kv_heads")) ||
      failed(check(capacity, "capacity")) ||
      failed(check(headDim, "head_dim")))
    return failure();
  if (isQuantizedStorageType(elementType)) {
    if (!scaleType) {
      // Spelled out unquoted, so that it can be pasted.
      std::string example;
      llvm::raw_string_ostream os(example);
      os << "!attn.kv_cache<" << batch << "x" << kvHeads << "x" << capacity
         << "x" << headDim << "x" << elementType << ", scales = f32>";
      return emitError() << "KV cache element type (" << elementType
                         << ") is a quantized storage type and needs "
                            "per-token scales, as in "
                         << example;
    }
    if (!isScaleType(scaleType))
      return emitError() << "KV cache scale type (" << scaleType
                         << ") must be f16, bf16 or f32";
  } else if (!isSupportedElementType(elementType)) {
    return emitError() << "KV cache element type (" << elementType
                       << ") must be " << kSupportedElementTypes
                       << ", or i8 or f8E4M3FN with scales";
  } else if (scaleType) {
    return emitError() << "KV cache scales (" << scaleType
                       << ") belong to quantized storage (i8 or f8E4M3FN "
                          "elements), not to "
                       << elementType << " elements";
  }
  // Lowered, the cache is a [B, C, H, D] buffer whose size in elements and
  // in bytes the generated code computes in 64 bits, and a quantized one
  // adds [B, C, H] scales.
  int64_t width = elementType.getIntOrFloatBitWidth() / 8;
  int64_t elements = batch, bytes, scaleBytes;
  if (llvm::MulOverflow(elements, kvHeads, elements) ||
      llvm::MulOverflow(elements, capacity, elements) ||
      (scaleType &&
       llvm::MulOverflow(elements,
                         int64_t(scaleType.getIntOrFloatBitWidth() / 8),
                         scaleBytes)) ||
      llvm::MulOverflow(elements, headDim, elements) ||
      llvm::MulOverflow(elements, width, bytes))
    return emitError() << "KV cache size (" << batch << " x " << kvHeads
                       << " x " << capacity << " x " << headDim
                       << " elements of " << width << " bytes) overflows int64";
  return success();
}
