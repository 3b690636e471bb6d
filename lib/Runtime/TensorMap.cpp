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
// and written once. Maps live in generations of slabs: when the current
// generation is full, a new one starts, and the one before it is freed
// once the device is idle. So a map stays valid until 4096 more have been
// made: through the rest of its launch's setup (the launch's other maps
// are made after it), and for every kernel in flight.
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
  static constexpr size_t kGenerationMaps = 16 * kSlabMaps;
  std::mutex lock;
  /// The maps of the current generation.
  std::map<Key, CUdeviceptr> maps;
  /// The current generation's slabs and the previous one's.
  std::vector<CUdeviceptr> slabs, previous;
  /// Slots of the current generation handed out.
  size_t used = 0;
  /// The map that stands for an empty tensor, and its tensor's memory.
  CUdeviceptr emptyMap = 0, emptyTensor = 0;
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
  // An empty tensor's address may be null (nothing was allocated).
  bool empty = !k[2] || !k[3] || !k[4] || !k[5];
  if ((address == 0 && !empty) || address % 16)
    return "address " + std::to_string(address) +
           " is not a non-null multiple of 16";
  for (int i = 0; i < 4; ++i)
    if (k[2 + i] < 0 || k[2 + i] > (int64_t(1) << 32))
      return name("dim", i) + " " + std::to_string(k[2 + i]) +
             " is not in [0, 2^32]";
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

/// Frees `slabs` once the device is idle (kernels in flight may read
/// their maps).
std::string freeSlabs(const Driver &d, std::vector<CUdeviceptr> &slabs) {
  if (slabs.empty())
    return "";
  if (std::string err =
          checkResult(d, d.cuCtxSynchronize(), "cuCtxSynchronize");
      !err.empty())
    return err;
  for (CUdeviceptr slab : slabs)
    if (std::string err = checkResult(d, d.cuMemFree(slab), "cuMemFree");
        !err.empty())
      return err;
  slabs.clear();
  return "";
}

/// The device address of a fresh slot; starts a new generation when the
/// current one is full, freeing the one before it.
CUdeviceptr takeSlot(const Driver &d, Store &s, std::string &why) {
  if (s.used == Store::kGenerationMaps) {
    if (std::string err = freeSlabs(d, s.previous); !err.empty()) {
      why = err;
      return 0;
    }
    s.previous = std::move(s.slabs);
    s.slabs.clear();
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
/// Encodes the map of `k` and writes it to the device at `slot`, waiting
/// until it has landed.
std::string writeMap(const Driver &d, const Key &k, CUdeviceptr slot) {
  CUtensorMap map;
  uint64_t dims[4] = {uint64_t(k[2]), uint64_t(k[3]), uint64_t(k[4]),
                      uint64_t(k[5])};
  uint64_t strides[3] = {uint64_t(k[6]), uint64_t(k[7]), uint64_t(k[8])};
  unsigned box[4] = {unsigned(k[9]), unsigned(k[10]), unsigned(k[11]),
                     unsigned(k[12])};
  unsigned unitStrides[4] = {1, 1, 1, 1};
  int type = k[1] == 1   ? CU_TENSOR_MAP_DATA_TYPE_UINT8
             : k[1] == 2 ? CU_TENSOR_MAP_DATA_TYPE_UINT16
                         : CU_TENSOR_MAP_DATA_TYPE_UINT32;
  if (std::string err = checkResult(
          d,
          d.cuTensorMapEncodeTiled(
              &map, type, 4, reinterpret_cast<void *>(k[0]), dims, strides, box,
              unitStrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
              CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
              CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE),
          "cuTensorMapEncodeTiled");
      !err.empty())
    return err;
  // A copy from pageable memory may return before it lands; the copy runs
  // on the legacy stream, whose synchronisation waits for it alone (the
  // streams of compiled code do not block on it).
  if (std::string err = checkResult(d, d.cuMemcpyHtoD(slot, &map, sizeof(map)),
                                    "cuMemcpyHtoD");
      !err.empty())
    return err;
  rt::countSynchronization();
  return checkResult(d, d.cuStreamSynchronize(nullptr), "cuStreamSynchronize");
}

/// The map that stands for every empty tensor (an extent of 0, such as a
/// KV cache attended at length 0): a kernel copies nothing from an empty
/// tensor, but it still fences and prefetches the map, so the map must be
/// a real one. It describes a tensor of one element of its own.
CUdeviceptr emptyMap(const Driver &d, Store &s, std::string &why) {
  if (s.emptyMap)
    return s.emptyMap;
  CUdeviceptr tensor = 0, map = 0;
  if ((why = checkResult(d, d.cuMemAlloc(&tensor, 256), "cuMemAlloc"))
          .empty() &&
      (why = checkResult(d, d.cuMemAlloc(&map, sizeof(CUtensorMap)),
                         "cuMemAlloc"))
          .empty() &&
      (why = writeMap(
           d, {int64_t(tensor), 2, 1, 1, 1, 1, 128, 128, 128, 1, 1, 1, 1}, map))
          .empty()) {
    s.emptyTensor = tensor;
    s.emptyMap = map;
    return map;
  }
  for (CUdeviceptr p : {tensor, map})
    if (p)
      d.cuMemFree(p);
  return 0;
}
} // namespace

std::string rt::releaseTensorMaps() {
  Store &s = store();
  std::lock_guard<std::mutex> guard(s.lock);
  if (s.slabs.empty() && s.previous.empty() && !s.emptyTensor)
    return "";
  // Only the driver's own state matters here, not a failure of compiled
  // code: the memory is the runtime's.
  std::string why;
  const Driver *d = loadDriver(why);
  if (!d)
    return why;
  if (s.emptyMap)
    s.slabs.push_back(s.emptyMap);
  if (s.emptyTensor)
    s.slabs.push_back(s.emptyTensor);
  s.emptyMap = s.emptyTensor = 0;
  for (auto *slabs : {&s.previous, &s.slabs})
    if (std::string err = freeSlabs(*d, *slabs); !err.empty())
      return err;
  s.maps.clear();
  s.used = 0;
  return "";
}

int64_t attnGpuTensorMap4d(int64_t address, int64_t elementBytes, int64_t dim0,
                           int64_t dim1, int64_t dim2, int64_t dim3,
                           int64_t stride1, int64_t stride2, int64_t stride3,
                           int64_t box0, int64_t box1, int64_t box2,
                           int64_t box3) {
  const Driver *d = rt::usableDriver();
  if (!d)
    return 0;
  Key key{address, elementBytes, dim0, dim1, dim2, dim3, stride1,
          stride2, stride3,      box0, box1, box2, box3};
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
  std::string why;
  if (!dim0 || !dim1 || !dim2 || !dim3) {
    CUdeviceptr map = emptyMap(*d, s, why);
    if (!map)
      rt::recordFailure(why);
    return static_cast<int64_t>(map);
  }
  if (auto it = s.maps.find(key); it != s.maps.end())
    return static_cast<int64_t>(it->second);
  CUdeviceptr slot = takeSlot(*d, s, why);
  if (!slot || !(why = writeMap(*d, key, slot)).empty()) {
    rt::recordFailure(why);
    return 0;
  }
  s.maps[key] = slot;
  return static_cast<int64_t>(slot);
}
