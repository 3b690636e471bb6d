//===- SafeTensorsReader.cpp - checkpoint tensors for the runtime ---------===//
//
// Headers are untrusted input: every length and offset is checked against
// the file before it is used, element counts and byte sizes are computed
// with overflow checks, and the JSON parser (StrictJson.h) is strict and
// bounded (header size, nesting depth), so that a truncated, corrupt or
// hostile checkpoint gives a message naming the file and the tensor rather
// than a bad read.
// Tensors are checked in name order, so the first error reported does not
// depend on the order a writer chose.
//
// The rules follow lib/Frontend/SafeTensors.cpp and Checkpoint.cpp, which
// the compiler used to read the same checkpoint: tensors may not overlap;
// for a sharded checkpoint the index is the authority, and shard names are
// plain file names, so an index cannot point outside the model directory.
//
//===----------------------------------------------------------------------===//

#include "SafeTensorsReader.h"
#include "StrictJson.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

using namespace mlir::attn::rt;
using namespace mlir::attn::rt::json;

namespace {

/// Larger headers are refused before they are read: real ones are a few
/// hundred bytes per tensor, and the bound keeps a corrupt length from
/// asking for gigabytes. The safetensors library has a similar limit.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
/// The same bound for a sharded checkpoint's index.
constexpr uint64_t kMaxIndexBytes = 100ull << 20;

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string systemError() { return std::strerror(errno); }

/// Sets `out` to a * b, or returns false if that overflows 64 bits.
bool multiply(uint64_t a, uint64_t b, uint64_t &out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
    return false;
  out = a * b;
  return true;
}

std::string join(const std::string &dir, const std::string &name) {
  if (dir.empty())
    return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// A file opened for reading with its size; closed when it goes out of
/// scope. Reads use pread, which needs no shared position.
class File {
public:
  File() = default;
  File(const File &) = delete;
  File &operator=(const File &) = delete;
  ~File() {
    if (fd >= 0)
      ::close(fd);
  }

  /// Opens `path`, which must be a regular file.
  std::string open(const std::string &path) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return "cannot open: " + systemError();
    struct stat st;
    if (::fstat(fd, &st) != 0)
      return "cannot stat: " + systemError();
    if (!S_ISREG(st.st_mode))
      return "not a regular file";
    fileSize = static_cast<uint64_t>(st.st_size);
    return "";
  }

  uint64_t size() const { return fileSize; }

  /// Reads exactly `bytes` bytes at `offset` into `dst`; a file that ends
  /// first (it shrank after it was opened) is an error, not a short copy.
  std::string readAt(uint64_t offset, void *dst, uint64_t bytes) const {
    constexpr uint64_t kMaxOffset =
        static_cast<uint64_t>(std::numeric_limits<off_t>::max());
    if (offset > kMaxOffset || bytes > kMaxOffset - offset)
      return "bytes [" + std::to_string(offset) + ", " +
             std::to_string(offset) + " + " + std::to_string(bytes) +
             ") are beyond the largest file offset";
    char *out = static_cast<char *>(dst);
    uint64_t done = 0;
    while (done < bytes) {
      // Linux transfers at most about 2 GiB per call; smaller chunks keep
      // the count within size_t and ssize_t everywhere.
      size_t chunk =
          static_cast<size_t>(std::min<uint64_t>(bytes - done, 1ull << 30));
      ssize_t n =
          ::pread(fd, out + done, chunk, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return "read error at byte " + std::to_string(offset + done) + ": " +
               systemError();
      }
      if (n == 0)
        return "short read: the file ends after " + std::to_string(done) +
               " of the " + std::to_string(bytes) + " bytes at offset " +
               std::to_string(offset);
      done += static_cast<uint64_t>(n);
    }
    return "";
  }

private:
  int fd = -1;
  uint64_t fileSize = 0;
};

//===----------------------------------------------------------------------===//
// Headers
//===----------------------------------------------------------------------===//

/// Parses header entry `name` of `path` into `t` and checks it against the
/// data section, which starts at `dataStart` and holds `dataSize` bytes.
std::string parseEntry(const std::string &path, const std::string &name,
                       const Value &entry, uint64_t dataStart,
                       uint64_t dataSize, StoredTensor &t) {
  std::string prefix = path + ": tensor " + quote(name) + ": ";
  if (entry.kind != Value::Object)
    return prefix +
           "expected an object with dtype, shape and data_offsets, "
           "found " +
           describe(entry);
  const Value *dtype = entry.get("dtype");
  const Value *shape = entry.get("shape");
  const Value *offsets = entry.get("data_offsets");
  if (!dtype)
    return prefix + "missing 'dtype'";
  if (dtype->kind != Value::String)
    return prefix + "'dtype' is " + describe(*dtype) + ", not a string";
  if (!shape)
    return prefix + "missing 'shape'";
  if (shape->kind != Value::Array)
    return prefix + "'shape' is " + describe(*shape) + ", not an array";
  if (!offsets)
    return prefix + "missing 'data_offsets'";
  if (offsets->kind != Value::Array || offsets->items.size() != 2)
    return prefix + "'data_offsets' must be an array [begin, end]";

  t.name = name;
  t.dtype = dtype->text;
  t.file = path;
  constexpr uint64_t kMaxDim =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  bool empty = false;
  for (size_t i = 0; i < shape->items.size(); ++i) {
    const Value &dim = shape->items[i];
    uint64_t size = 0;
    std::string why = getUnsigned(dim, kMaxDim, size);
    if (!why.empty()) {
      if (dim.kind == Value::Number && dim.integral && dim.negative)
        return prefix + "shape[" + std::to_string(i) + "] is " + dim.text +
               ", a negative dimension";
      return prefix + "shape[" + std::to_string(i) + "] is " + why;
    }
    t.shape.push_back(static_cast<int64_t>(size));
    empty |= size == 0;
  }
  // A zero dimension makes the tensor empty, however large the others are,
  // so it is not an overflow.
  uint64_t count = empty ? 0 : 1;
  for (int64_t dim : t.shape)
    if (!empty && !multiply(count, static_cast<uint64_t>(dim), count))
      return prefix + "the element count of shape " + formatShape(t.shape) +
             " overflows 64 bits";
  unsigned elementSize = safeTensorsElementSize(t.dtype);
  uint64_t bytes = 0;
  if (elementSize && !multiply(count, elementSize, bytes))
    return prefix + "the byte size of " + t.dtype + " " + formatShape(t.shape) +
           " overflows 64 bits";

  uint64_t begin = 0, end = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  std::string why = getUnsigned(offsets->items[0], kMax, begin);
  if (!why.empty())
    return prefix + "data_offsets[0] is " + why;
  why = getUnsigned(offsets->items[1], kMax, end);
  if (!why.empty())
    return prefix + "data_offsets[1] is " + why;
  std::string range = "data_offsets [" + std::to_string(begin) + ", " +
                      std::to_string(end) + "]";
  if (begin > end)
    return prefix + range + " end before they begin";
  if (end > dataSize)
    return prefix + range + " run past the end of the data (" +
           std::to_string(dataSize) +
           " bytes); the file is truncated or its header is wrong";
  // A dtype this reader does not know is kept, with the size the header
  // gives it: the loader refuses it if the model needs it, and a checkpoint
  // may well hold tensors the model does not use.
  if (elementSize && end - begin != bytes)
    return prefix + range + " hold " + std::to_string(end - begin) +
           " bytes, but " + t.dtype + " " + formatShape(t.shape) + " needs " +
           std::to_string(bytes);
  t.offset = dataStart + begin;
  t.bytes = end - begin;
  return "";
}

/// Opens the safetensors file at `path` and parses and validates its
/// header into `tensors`, in name order.
std::string readHeader(const std::string &path,
                       std::vector<StoredTensor> &tensors) {
  File file;
  std::string error = file.open(path);
  if (!error.empty())
    return path + ": " + error;
  uint64_t fileSize = file.size();
  if (fileSize < 8)
    return path + ": file of " + std::to_string(fileSize) +
           " bytes is too short for the 8-byte header length";
  unsigned char prefix[8];
  error = file.readAt(0, prefix, 8);
  if (!error.empty())
    return path + ": " + error;
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = (headerSize << 8) | prefix[i];
  if (headerSize > fileSize - 8)
    return path + ": header length " + std::to_string(headerSize) +
           " runs past the end of the file (" + std::to_string(fileSize - 8) +
           " bytes after the length)";
  if (headerSize > kMaxHeaderBytes)
    return path + ": header length " + std::to_string(headerSize) +
           " is over the limit of " + std::to_string(kMaxHeaderBytes) +
           " bytes";
  std::string header(static_cast<size_t>(headerSize), '\0');
  error = file.readAt(8, &header[0], headerSize);
  if (!error.empty())
    return path + ": " + error;

  Value root;
  size_t at = 0;
  std::string why;
  if (!json::parse(header, root, at, why))
    return path + ": malformed JSON header at byte " + std::to_string(at) +
           " of the header (byte " + std::to_string(at + 8) +
           " of the file): " + why;
  if (root.kind != Value::Object)
    return path + ": the header is " + describe(root) + ", not a JSON object";

  uint64_t dataStart = 8 + headerSize;
  uint64_t dataSize = fileSize - dataStart;
  std::vector<size_t> order(root.keys.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return root.keys[a] < root.keys[b]; });
  tensors.clear();
  for (size_t i : order) {
    const std::string &name = root.keys[i];
    const Value &value = root.values[i];
    if (name == "__metadata__") {
      // Free-form strings for the writer's use; only checked to have the
      // form the format gives them.
      if (value.kind != Value::Object)
        return path + ": '__metadata__' is " + describe(value) +
               ", not an object";
      for (size_t j = 0; j < value.keys.size(); ++j)
        if (value.values[j].kind != Value::String)
          return path + ": '__metadata__' value of " + quote(value.keys[j]) +
                 " is " + describe(value.values[j]) + ", not a string";
      continue;
    }
    tensors.emplace_back();
    error = parseEntry(path, name, value, dataStart, dataSize, tensors.back());
    if (!error.empty())
      return error;
  }

  // Overlapping tensors would alias one another's weights: a sign of a
  // corrupt header, refused rather than loaded. Empty tensors occupy no
  // bytes and cannot overlap anything.
  std::vector<const StoredTensor *> byOffset;
  for (const StoredTensor &t : tensors)
    if (t.bytes)
      byOffset.push_back(&t);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const StoredTensor *a, const StoredTensor *b) {
              return a->offset != b->offset ? a->offset < b->offset
                                            : a->name < b->name;
            });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const StoredTensor &prev = *byOffset[i - 1];
    const StoredTensor &cur = *byOffset[i];
    if (cur.offset < prev.offset + prev.bytes) {
      auto span = [&](const StoredTensor &t) {
        uint64_t begin = t.offset - dataStart;
        return "[" + std::to_string(begin) + ", " +
               std::to_string(begin + t.bytes) + "]";
      };
      return path + ": tensors " + quote(prev.name) + " " + span(prev) +
             " and " + quote(cur.name) + " " + span(cur) + " overlap";
    }
  }
  return "";
}

/// Reads all of the file at `path`, which may hold at most `limit` bytes.
std::string readWholeFile(const std::string &path, uint64_t limit,
                          std::string &contents) {
  File file;
  std::string error = file.open(path);
  if (!error.empty())
    return path + ": " + error;
  if (file.size() > limit)
    return path + ": file of " + std::to_string(file.size()) +
           " bytes is over the limit of " + std::to_string(limit) + " bytes";
  contents.assign(static_cast<size_t>(file.size()), '\0');
  error = file.readAt(0, &contents[0], file.size());
  if (!error.empty())
    return path + ": " + error;
  return "";
}

/// Whether `path` names nothing (as opposed to something unreadable, which
/// opening it will report).
bool isAbsent(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) != 0 && errno == ENOENT;
}

/// Whether `name` is a plain file name, so that joining it to the model
/// directory stays inside it. A NUL byte (possible through a \u0000
/// escape) would cut the path short when it reaches the system.
bool isPlainFileName(const std::string &name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string("/\\\0", 3)) == std::string::npos;
}

} // namespace

unsigned mlir::attn::rt::safeTensorsElementSize(const std::string &dtype) {
  static const struct {
    const char *name;
    unsigned bytes;
  } kSizes[] = {
      {"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2},    {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U64", 8},     {"U32", 4},
      {"U16", 2}, {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
  };
  for (const auto &entry : kSizes)
    if (dtype == entry.name)
      return entry.bytes;
  return 0;
}

std::string SafeTensorsReader::open(const std::string &dir) {
  byName.clear();
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return dir + ": cannot open the model directory: " + systemError();
  if (!S_ISDIR(st.st_mode))
    return dir + ": not a directory";

  // The index first, as attn-compile reads a checkpoint, so that both read
  // the same files from a directory that holds both forms.
  std::string indexPath = join(dir, "model.safetensors.index.json");
  if (isAbsent(indexPath)) {
    std::string single = join(dir, "model.safetensors");
    if (isAbsent(single))
      return dir + ": no model.safetensors or model.safetensors.index.json";
    std::vector<StoredTensor> tensors;
    std::string error = readHeader(single, tensors);
    if (!error.empty())
      return error;
    for (StoredTensor &t : tensors) {
      std::string name = t.name;
      byName.emplace(std::move(name), std::move(t));
    }
    return "";
  }
  std::string contents;
  std::string error = readWholeFile(indexPath, kMaxIndexBytes, contents);
  if (!error.empty())
    return error;
  Value root;
  size_t at = 0;
  std::string why;
  if (!json::parse(contents, root, at, why))
    return indexPath + ": malformed JSON at byte " + std::to_string(at) + ": " +
           why;
  const Value *weightMap =
      root.kind == Value::Object ? root.get("weight_map") : nullptr;
  if (!weightMap)
    return indexPath + ": missing object 'weight_map'";
  if (weightMap->kind != Value::Object)
    return indexPath + ": 'weight_map' is " + describe(*weightMap) +
           ", not an object";

  // Sorted so that the first error does not depend on the index's order.
  std::vector<size_t> order(weightMap->keys.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return weightMap->keys[a] < weightMap->keys[b];
  });

  // Each shard's header is parsed once, however many tensors map to it.
  std::map<std::string, std::vector<StoredTensor>> shards;
  for (size_t i : order) {
    const std::string &name = weightMap->keys[i];
    const Value &shard = weightMap->values[i];
    if (shard.kind != Value::String)
      return indexPath + ": weight_map entry of " + quote(name) + " is " +
             describe(shard) + ", not a file name";
    if (!isPlainFileName(shard.text))
      return indexPath + ": weight_map entry of " + quote(name) + " (" +
             quote(shard.text) + ") is not a file name in the model directory";
    if (shards.count(shard.text))
      continue;
    std::string shardPath = join(dir, shard.text);
    if (isAbsent(shardPath))
      return indexPath + ": weight_map puts " + quote(name) + " in " +
             quote(shard.text) + ", but " + shardPath + " does not exist";
    error = readHeader(shardPath, shards[shard.text]);
    if (!error.empty())
      return error;
  }

  // A tensor held by two shards would be loaded from whichever the index
  // happens to name: a sign of a mixed-up checkpoint, refused.
  std::map<std::string, const std::string *> owner;
  for (const auto &[shard, tensors] : shards)
    for (const StoredTensor &t : tensors) {
      auto [it, inserted] = owner.emplace(t.name, &shard);
      if (!inserted)
        return indexPath + ": tensor " + quote(t.name) + " is in both " +
               quote(*it->second) + " and " + quote(shard);
    }
  for (size_t i : order) {
    const std::string &name = weightMap->keys[i];
    const std::string &shard = weightMap->values[i].text;
    auto it = owner.find(name);
    if (it == owner.end() || *it->second != shard)
      return indexPath + ": weight_map puts " + quote(name) + " in " +
             quote(shard) + ", which has no such tensor" +
             (it == owner.end() ? std::string()
                                : " (it is in " + quote(*it->second) + ")");
  }

  // The index is the authority: a tensor a shard holds but the index does
  // not name is not part of the checkpoint.
  std::set<std::string> mapped(weightMap->keys.begin(), weightMap->keys.end());
  for (auto &[shard, tensors] : shards)
    for (StoredTensor &t : tensors)
      if (mapped.count(t.name)) {
        std::string name = t.name;
        byName.emplace(std::move(name), std::move(t));
      }
  return "";
}

const StoredTensor *SafeTensorsReader::find(const std::string &name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &it->second;
}

std::string SafeTensorsReader::read(const StoredTensor &t, void *dst) const {
  std::string prefix = t.file + ": tensor " + quote(t.name) + ": ";
  if (!dst && t.bytes)
    return prefix + "no destination to read into";
  File file;
  std::string error = file.open(t.file);
  if (!error.empty())
    return prefix + error;
  // The header was checked against the file's size when it was opened; a
  // file that has shrunk since is reported here rather than read short.
  if (t.offset > file.size() || t.bytes > file.size() - t.offset)
    return prefix + "bytes [" + std::to_string(t.offset) + ", " +
           std::to_string(t.offset + t.bytes) + ") are past the end of the " +
           std::to_string(file.size()) +
           "-byte file; it changed after it was opened";
  error = file.readAt(t.offset, dst, t.bytes);
  if (!error.empty())
    return prefix + error;
  return "";
}
