//===- DType.cpp - element types of checkpoint tensors --------------------===//
//
// One table of the safetensors element types, so that every name and size
// lookup reads the same data.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/DType.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir::attn::frontend;

namespace {
struct DTypeInfo {
  DType type;
  const char *name;
  unsigned bytes;
};
} // namespace

// The order follows the enum, so an entry is found by index.
static constexpr DTypeInfo kDTypes[] = {
    {DType::Bool, "BOOL", 1},      {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},          {DType::F8E5M2, "F8_E5M2", 1},
    {DType::F8E4M3, "F8_E4M3", 1}, {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},        {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},      {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},        {DType::F32, "F32", 4},
    {DType::I64, "I64", 8},        {DType::U64, "U64", 8},
    {DType::F64, "F64", 8},
};

static const DTypeInfo &info(DType type) {
  return kDTypes[static_cast<unsigned>(type)];
}

unsigned mlir::attn::frontend::getByteSize(DType type) {
  return info(type).bytes;
}

llvm::StringRef mlir::attn::frontend::getSafeTensorsName(DType type) {
  return info(type).name;
}

std::optional<DType>
mlir::attn::frontend::parseSafeTensorsDType(llvm::StringRef name) {
  for (const DTypeInfo &entry : kDTypes)
    if (name == entry.name)
      return entry.type;
  return std::nullopt;
}

std::optional<DType>
mlir::attn::frontend::parseTorchDType(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<DType>>(name)
      .Case("float32", DType::F32)
      .Case("float16", DType::F16)
      .Case("bfloat16", DType::BF16)
      .Default(std::nullopt);
}
