//===- DummyAttnFuzz.cpp - attn-fuzz without libFuzzer -------------------===//
//
// The main of attn-fuzz when it is not built with libFuzzer: runs each file
// named on the command line through LLVMFuzzerTestOneInput once, so that
// the lit suite can replay inputs that once crashed a pass.
//
//===----------------------------------------------------------------------===//

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; ++i) {
    auto buffer = llvm::MemoryBuffer::getFile(argv[i]);
    if (!buffer) {
      llvm::errs() << "attn-fuzz: cannot read " << argv[i] << ": "
                   << buffer.getError().message() << "\n";
      return 1;
    }
    LLVMFuzzerTestOneInput(
        reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
        (*buffer)->getBufferSize());
    llvm::outs() << "attn-fuzz: ran " << argv[i] << "\n";
  }
  return 0;
}
