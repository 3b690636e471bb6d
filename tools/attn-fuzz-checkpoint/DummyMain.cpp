//===- DummyMain.cpp - attn-fuzz-checkpoint without libFuzzer -------------===//
//
// Runs each file named on the command line through LLVMFuzzerTestOneInput
// once, so that the lit suite can replay inputs.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "attn-fuzz-checkpoint: cannot read %s\n", argv[i]);
      return 1;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                           bytes.size());
    std::printf("attn-fuzz-checkpoint: ran %s\n", argv[i]);
  }
  return 0;
}
