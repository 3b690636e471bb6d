//===- HostTensor.cpp - host-side tensors of attn-runner ------------------===//
//
// Storage and element conversions for HostTensor. Reading widens exactly;
// writing rounds to nearest, ties to even, the rounding the compiled code's
// arith.truncf performs, so the runner's inputs and its naive low-precision
// reference round the way the hardware path does.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/HostTensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

std::optional<ElementType> runner::elementTypeFor(Type type) {
  if (type.isF16())
    return ElementType::F16;
  if (type.isBF16())
    return ElementType::BF16;
  if (type.isF32())
    return ElementType::F32;
  if (type.isF64())
    return ElementType::F64;
  if (type.isSignlessInteger(64))
    return ElementType::I64;
  if (type.isSignlessInteger(8))
    return ElementType::I8;
  if (isa<Float8E4M3FNType>(type))
    return ElementType::F8E4M3FN;
  return std::nullopt;
}

llvm::StringRef runner::elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  case ElementType::F32:
    return "f32";
  case ElementType::F64:
    return "f64";
  case ElementType::I64:
    return "i64";
  case ElementType::I8:
    return "i8";
  case ElementType::F8E4M3FN:
    return "f8E4M3FN";
  }
  llvm_unreachable("unknown element type");
}

unsigned runner::elementSize(ElementType type) {
  switch (type) {
  case ElementType::F16:
  case ElementType::BF16:
    return 2;
  case ElementType::F32:
    return 4;
  case ElementType::F64:
  case ElementType::I64:
    return 8;
  case ElementType::I8:
  case ElementType::F8E4M3FN:
    return 1;
  }
  llvm_unreachable("unknown element type");
}

static const llvm::fltSemantics &semantics(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return llvm::APFloat::IEEEhalf();
  case ElementType::BF16:
    return llvm::APFloat::BFloat();
  case ElementType::F32:
    return llvm::APFloat::IEEEsingle();
  case ElementType::F8E4M3FN:
    return llvm::APFloat::Float8E4M3FN();
  case ElementType::F64:
  case ElementType::I64:
  case ElementType::I8:
    return llvm::APFloat::IEEEdouble();
  }
  llvm_unreachable("unknown element type");
}

/// Rounds through APFloat: exact, but too slow for the inner loops.
static llvm::APFloat roundAPFloat(ElementType type, double v) {
  llvm::APFloat a(v);
  bool lost;
  a.convert(semantics(type), llvm::APFloat::rmNearestTiesToEven, &lost);
  return a;
}

double runner::roundTo(ElementType type, double v) {
  if (type == ElementType::F64)
    return v;
  if (type == ElementType::I64)
    return std::trunc(v);
  if (type == ElementType::I8)
    return std::clamp(std::trunc(v), -128.0, 127.0);
  return roundAPFloat(type, v).convertToDouble();
}

static float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) { // Zero or subnormal: mant * 2^-24, exact in float.
    float v = float(mant) * 0x1p-24f;
    return sign ? -v : v;
  }
  if (exp == 0x1f)
    return llvm::bit_cast<float>(sign | 0x7f800000 | (mant << 13));
  return llvm::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

static uint16_t floatToHalf(float f) {
  uint32_t x = llvm::bit_cast<uint32_t>(f);
  uint16_t sign = (x >> 16) & 0x8000;
  uint32_t abs = x & 0x7fffffff;
  if (abs > 0x7f800000)
    return sign | 0x7e00;
  // 65520 is halfway between 65504 (the largest half) and 2^16: it and
  // everything above round to infinity.
  if (abs >= 0x477ff000)
    return sign | 0x7c00;
  if (abs < 0x38800000) {
    // Below 2^-14 the result is a multiple of 2^-24; scaling by 2^24 is exact
    // and nearbyint rounds ties to even in the default rounding mode. A
    // result of 0x400 is correctly the smallest normal.
    float scaled = llvm::bit_cast<float>(abs) * 0x1p24f;
    return sign | uint16_t(std::nearbyint(scaled));
  }
  uint32_t h = ((((abs >> 23) - 112) << 10) | ((abs >> 13) & 0x3ff));
  uint32_t rest = abs & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent.
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h;
  return sign | uint16_t(h);
}

static float bf16ToFloat(uint16_t b) {
  return llvm::bit_cast<float>(uint32_t(b) << 16);
}

static uint16_t floatToBF16(float f) {
  uint32_t x = llvm::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffff) > 0x7f800000)
    return uint16_t((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return uint16_t(x >> 16);
}

float runner::roundFloatTo(ElementType type, float v) {
  switch (type) {
  case ElementType::F16:
    return halfToFloat(floatToHalf(v));
  case ElementType::BF16:
    return bf16ToFloat(floatToBF16(v));
  case ElementType::F32:
  case ElementType::F64:
    return v;
  case ElementType::I64:
    return std::trunc(v);
  case ElementType::I8:
  case ElementType::F8E4M3FN:
    return float(roundTo(type, v));
  }
  llvm_unreachable("unknown element type");
}

int64_t TensorSignature::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::optional<int64_t> TensorSignature::checkedByteSize() const {
  int64_t n = elementSize(type);
  for (int64_t d : shape)
    if (llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

std::string TensorSignature::str() const {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + elementTypeName(type).str() + ">";
}

HostTensor::HostTensor(TensorSignature sig)
    : sig(std::move(sig)),
      storage((this->sig.numElements() * elementSize(this->sig.type) + 7) / 8) {
}

double HostTensor::get(int64_t i) const {
  switch (sig.type) {
  case ElementType::F16:
    return halfToFloat(static_cast<const uint16_t *>(data())[i]);
  case ElementType::BF16:
    return bf16ToFloat(static_cast<const uint16_t *>(data())[i]);
  case ElementType::F32:
    return static_cast<const float *>(data())[i];
  case ElementType::F64:
    return static_cast<const double *>(data())[i];
  case ElementType::I64:
    return double(static_cast<const int64_t *>(data())[i]);
  case ElementType::I8:
    return double(static_cast<const int8_t *>(data())[i]);
  case ElementType::F8E4M3FN:
    return llvm::APFloat(llvm::APFloat::Float8E4M3FN(),
                         llvm::APInt(8, static_cast<const uint8_t *>(data())[i]))
        .convertToDouble();
  }
  llvm_unreachable("unknown element type");
}

void HostTensor::set(int64_t i, double v) {
  switch (sig.type) {
  case ElementType::F16:
  case ElementType::BF16:
    static_cast<uint16_t *>(data())[i] =
        uint16_t(roundAPFloat(sig.type, v).bitcastToAPInt().getZExtValue());
    return;
  case ElementType::F32:
    static_cast<float *>(data())[i] = float(v);
    return;
  case ElementType::F64:
    static_cast<double *>(data())[i] = v;
    return;
  case ElementType::I64:
    // A NaN poison, or a value int64 cannot hold, would be undefined
    // behaviour to convert.
    static_cast<int64_t *>(data())[i] =
        v >= -0x1p63 && v < 0x1p63 ? int64_t(v)
                                   : std::numeric_limits<int64_t>::min();
    return;
  case ElementType::I8:
    // NaN (a poison) becomes the code no quantizer makes, -128.
    static_cast<int8_t *>(data())[i] =
        std::isnan(v) ? int8_t(-128) : int8_t(roundTo(sig.type, v));
    return;
  case ElementType::F8E4M3FN:
    static_cast<uint8_t *>(data())[i] =
        uint8_t(roundAPFloat(sig.type, v).bitcastToAPInt().getZExtValue());
    return;
  }
}

void HostTensor::fill(double v) {
  if (size() == 0)
    return;
  set(0, v);
  unsigned width = elementSize(sig.type);
  auto *bytes = static_cast<char *>(data());
  for (int64_t i = 1, e = size(); i < e; ++i)
    std::memcpy(bytes + i * width, bytes, width);
}
