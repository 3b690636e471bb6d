//===- attn-fuzz-checkpoint.cpp - libFuzzer target for the runtime reader
//--===//
//
// The runtime library reads checkpoints a compiled model's user points it
// at, which may be anything: each input here is written as a model
// directory's `model.safetensors` (or, when it starts with '{', as its
// `model.safetensors.index.json`, next to a small valid shard) and opened
// with the runtime's SafeTensorsReader, which then reads every tensor of up
// to 1 MiB. It may reject the input with a message; it may not crash, hang,
// read out of bounds or trip a sanitizer. Built with libFuzzer when
// LLVM_USE_SANITIZE_COVERAGE is on (utils/fuzz.sh), and otherwise with a
// main that runs the files it is given once each (test/Fuzz).
//
//===----------------------------------------------------------------------===//

#include "SafeTensorsReader.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

using mlir::attn::rt::SafeTensorsReader;

/// A private directory for the inputs, made once.
static const std::string &directory() {
  static const std::string dir = [] {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/attn-fuzz-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!mkdtemp(name.data())) {
      std::perror("attn-fuzz-checkpoint: mkdtemp");
      std::abort();
    }
    return std::string(name.data());
  }();
  return dir;
}

static void writeFile(const std::string &path, const void *data, size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(("attn-fuzz-checkpoint: " + path).c_str());
    std::abort();
  }
}

/// A valid shard of one f32 tensor "w" of shape [2], for the index inputs
/// to point at.
static void writeShard(const std::string &path) {
  std::string header =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string file(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    file[i] = char(n >> (8 * i));
  file += header;
  file += std::string(8, '\0');
  writeFile(path, file.data(), file.size());
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &dir = directory();
  std::string single = dir + "/model.safetensors";
  std::string index = dir + "/model.safetensors.index.json";
  std::remove(single.c_str());
  std::remove(index.c_str());
  if (size > 0 && data[0] == '{') {
    writeFile(index, data, size);
    writeShard(dir + "/shard.safetensors");
  } else {
    writeFile(single, data, size);
  }
  SafeTensorsReader reader;
  if (!reader.open(dir).empty())
    return 0;
  std::vector<char> buffer;
  for (const auto &[name, tensor] : reader.tensors()) {
    if (tensor.bytes > (1u << 20))
      continue;
    buffer.resize(tensor.bytes);
    (void)reader.read(tensor, buffer.data());
  }
  return 0;
}
