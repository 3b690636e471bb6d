//===- DeviceInfo.h - what the runtime reports about its GPU ----*- C++ -*-===//
//
// Plain C++ (no LLVM), shared by the runtime library that compiled models
// link and by attn-runner.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_DEVICEINFO_H
#define ATTN_RUNTIME_DEVICEINFO_H

#include <cstdint>
#include <string>

namespace mlir::attn::cuda {

/// The device the runtime was initialised with.
struct DeviceInfo {
  std::string name;
  int computeMajor = 0, computeMinor = 0;
  int multiprocessors = 0;
  /// Peak clocks (kHz) and the memory bus width (bits), as the driver
  /// reports them.
  int clockKHz = 0, memoryClockKHz = 0, memoryBusBits = 0;
  int driverVersion = 0;
  int64_t l2Bytes = 0;
  int64_t totalMemoryBytes = 0;
};

} // namespace mlir::attn::cuda

#endif // ATTN_RUNTIME_DEVICEINFO_H
