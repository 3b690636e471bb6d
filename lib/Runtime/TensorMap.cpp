//===- TensorMap.cpp - TMA tensor maps for compiled kernels ---------------===//
//
// attnGpuTensorMap4d, which the sm90 schedule's `tma` calls on the host
// before each launch: it encodes a CUtensorMap with the driver and returns
// the device address of a copy of it, which the kernel's TMA copies read.
//
// A map depends only on its arguments (an address, extents, strides and a
// box), and a program calls the same kernel on the same buffers again and
// again (a benchmark's repetitions, a model's steps drawing from the same
// memory pool), so maps are kept on the device, keyed by their arguments,
// and written once. A map in use by a kernel in flight is never rewritten:
// when the store is full, the runtime waits for the device before it starts
// over.
//
//===----------------------------------------------------------------------===//

#include "GpuRuntime.h"

#include "CudaDriver.h"

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <vector>

using namespace mlir::attn;
using namespace mlir::attn::cuda;

namespace {
using Key = std::array<int64_t, 13>;

/// Maps kept on the device, in slabs of kSlabMaps maps.
struct Store {
  static constexpr size_t kSlabMaps = 256;
  static constexpr size_t kMaxMaps = 16 * kSlabMaps;
  std::mutex lock;
  std::map<Key, CUdeviceptr> maps;
  std::vector<CUdeviceptr> slabs;
  /// Slots handed out since the store last started over.
  size_t used = 0;
};

Store &store() {
  // Never destroyed, like the runtime's state: compiled code may call in
  // from a global destructor's teardown.
  static Store &s = *new Store;
  return s;
}

/// Why the arguments cannot describe a map, naming the first bad one; ""
/// when they can. The driver checks the same and more, but says only
/// CUDA_ERROR_INVALID_VALUE.
std::string whyInvalid(const Key &k) {
  int64_t address = k[0], elementBytes = k[1];
  auto name = [](const char *what, int i) {
    return std::string(what) + std::to_string(i);
  };
  if (elementBytes != 1 && elementBytes != 2 && elementBytes != 4)
    return "element size " + std::to_string(elementBytes) +
           " is not 1, 2 or 4 bytes";
  if (address == 0 || address % 16)
    return "address " + std::to_string(address) +
           " is not a non-null multiple of 16";
  for (int i = 0; i < 4; ++i)
    if (k[2 + i] < 1 || k[2 + i] > (int64_t(1) << 32))
      return name("dim", i) + " " + std::to_string(k[2 + i]) +
             " is not in [1, 2^32]";
  for (int i = 1; i < 4; ++i)
    if (int64_t s = k[5 + i]; s < 16 || s % 16 || s >= (int64_t(1) << 40))
      return name("stride", i) + " " + std::to_string(s) +
             " is not a multiple of 16 bytes in [16, 2^40)";
  for (int i = 0; i < 4; ++i)
    if (k[9 + i] < 1 || k[9 + i] > 256)
      return name("box", i) + " " + std::to_string(k[9 + i]) +
             " is not in [1, 256]";
  if (k[9] * elementBytes > 128)
    return "a box row of " + std::to_string(k[9] * elementBytes) +
           " bytes is wider than the 128-byte swizzle";
  return "";
}

/// The device address of a fresh slot; waits for the device and starts
/// over when the store is full.
CUdeviceptr takeSlot(const Driver &d, Store &s, std::string &why) {
  if (s.used == Store::kMaxMaps) {
    // Kernels in flight may still read any map: let them finish first.
    if (std::string err =
            checkResult(d, d.cuCtxSynchronize(), "cuCtxSynchronize");
        !err.empty()) {
      why = err;
      return 0;
    }
    s.maps.clear();
    s.used = 0;
  }
  size_t slab = s.used / Store::kSlabMaps;
  if (slab == s.slabs.size()) {
    CUdeviceptr p = 0;
    if (std::string err = checkResult(
            d, d.cuMemAlloc(&p, Store::kSlabMaps * sizeof(CUtensorMap)),
            "cuMemAlloc");
        !err.empty()) {
      why = err + " for TMA tensor maps";
      return 0;
    }
    s.slabs.push_back(p);
  }
  return s.slabs[slab] + (s.used++ % Store::kSlabMaps) * sizeof(CUtensorMap);
}
} // namespace

std::string rt::releaseTensorMaps() {
  Store &s = store();
  std::lock_guard<std::mutex> guard(s.lock);
  if (s.slabs.empty())
    return "";
  // Only the driver's own state matters here, not a failure of compiled
  // code: the memory is the runtime's.
  std::string why;
  const Driver *d = loadDriver(why);
  if (!d)
    return why;
  if (std::string err =
          checkResult(*d, d->cuCtxSynchronize(), "cuCtxSynchronize");
      !err.empty())
    return err;
  for (CUdeviceptr slab : s.slabs)
    if (std::string err = checkResult(*d, d->cuMemFree(slab), "cuMemFree");
        !err.empty())
      return err;
  s.slabs.clear();
  s.maps.clear();
  s.used = 0;
  return "";
}

int64_t attnGpuTensorMap4d(int64_t address, int64_t elementBytes,
                           int64_t dim0, int64_t dim1, int64_t dim2,
                           int64_t dim3, int64_t stride1, int64_t stride2,
                           int64_t stride3, int64_t box0, int64_t box1,
                           int64_t box2, int64_t box3) {
  const Driver *d = rt::usableDriver();
  if (!d)
    return 0;
  Key key{address, elementBytes, dim0,  dim1, dim2, dim3, stride1,
          stride2, stride3,      box0,  box1, box2, box3};
  if (std::string why = whyInvalid(key); !why.empty()) {
    rt::recordFailure("attnGpuTensorMap4d: " + why);
    return 0;
  }
  if (!d->cuTensorMapEncodeTiled) {
    rt::recordFailure("attnGpuTensorMap4d: the CUDA driver lacks "
                      "cuTensorMapEncodeTiled (TMA needs CUDA 12.0 or later)");
    return 0;
  }
  Store &s = store();
  std::lock_guard<std::mutex> guard(s.lock);
  if (auto it = s.maps.find(key); it != s.maps.end())
    return static_cast<int64_t>(it->second);

  CUtensorMap map;
  uint64_t dims[4] = {uint64_t(dim0), uint64_t(dim1), uint64_t(dim2),
                      uint64_t(dim3)};
  uint64_t strides[3] = {uint64_t(stride1), uint64_t(stride2),
                         uint64_t(stride3)};
  unsigned box[4] = {unsigned(box0), unsigned(box1), unsigned(box2),
                     unsigned(box3)};
  unsigned unitStrides[4] = {1, 1, 1, 1};
  int type = elementBytes == 1   ? CU_TENSOR_MAP_DATA_TYPE_UINT8
             : elementBytes == 2 ? CU_TENSOR_MAP_DATA_TYPE_UINT16
                                 : CU_TENSOR_MAP_DATA_TYPE_UINT32;
  if (std::string err = checkResult(
          *d,
          d->cuTensorMapEncodeTiled(
              &map, type, 4, reinterpret_cast<void *>(address), dims, strides,
              box, unitStrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
              CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
              CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE),
          "cuTensorMapEncodeTiled");
      !err.empty()) {
    rt::recordFailure(err);
    return 0;
  }
  std::string why;
  CUdeviceptr slot = takeSlot(*d, s, why);
  if (!slot) {
    rt::recordFailure(why);
    return 0;
  }
  // A copy from pageable memory may return before it lands; the copy runs
  // on the legacy stream, whose synchronisation waits for it alone (the
  // streams of compiled code do not block on it).
  if (std::string err = checkResult(
          *d, d->cuMemcpyHtoD(slot, &map, sizeof(map)), "cuMemcpyHtoD");
      !err.empty()) {
    rt::recordFailure(err);
    return 0;
  }
  if (std::string err = checkResult(*d, d->cuStreamSynchronize(nullptr),
                                    "cuStreamSynchronize");
      !err.empty()) {
    rt::recordFailure(err);
    return 0;
  }
  s.maps[key] = slot;
  return static_cast<int64_t>(slot);
}
