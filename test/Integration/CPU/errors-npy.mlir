// Bad .npy inputs: each is one "attn-runner: error:" line naming the file,
// the argument, and what was expected against what was found, and a
// non-zero exit status.

// RUN: rm -rf %t && mkdir -p %t
// RUN: not attn-runner --target=cpu %s --input 0=%t/missing.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: attn-runner: error: argument 0: '{{.*}}missing.npy': cannot open: {{[Nn]}}o such file or directory

// RUN: python3 %S/Inputs/npy.py %t/magic.npy f32 1x97x4x64 badmagic
// RUN: not attn-runner --target=cpu %s --input 0=%t/magic.npy 2>&1 | FileCheck %s --check-prefix=MAGIC
// MAGIC: attn-runner: error: argument 0: '{{.*}}magic.npy': malformed npy: missing the \x93NUMPY magic

// RUN: python3 %S/Inputs/npy.py %t/header.npy f32 1x97x4x64 badheader
// RUN: not attn-runner --target=cpu %s --input 0=%t/header.npy 2>&1 | FileCheck %s --check-prefix=HEADER
// HEADER: attn-runner: error: argument 0: '{{.*}}header.npy': malformed npy header: expected '{'

// RUN: python3 %S/Inputs/npy.py %t/short.npy f32 1x97x4x64 truncated
// RUN: not attn-runner --target=cpu %s --input 0=%t/short.npy 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// TRUNCATED: attn-runner: error: argument 0: '{{.*}}short.npy': malformed npy: expected 99328 bytes of data but the file has 99325

// A text file is not an .npy file either.
// RUN: not attn-runner --target=cpu %s --input 0=%s 2>&1 | FileCheck %s --check-prefix=TEXT
// TEXT: attn-runner: error: argument 0: '{{.*}}errors-npy.mlir': malformed npy: missing the \x93NUMPY magic

// RUN: python3 %S/Inputs/npy.py %t/shape.npy f32 1x97x4x32 normal 0
// RUN: not attn-runner --target=cpu %s --input 0=%t/shape.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: attn-runner: error: argument 0: '{{.*}}shape.npy': shape mismatch: expected (1, 97, 4, 64) but the file has (1, 97, 4, 32)

// RUN: python3 %S/Inputs/npy.py %t/dtype.npy f16 1x97x1x64 normal 0
// RUN: not attn-runner --target=cpu %s --input 1=%t/dtype.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: attn-runner: error: argument 1: '{{.*}}dtype.npy': dtype mismatch: expected '<f4' (f32) but the file has '<f2'

// RUN: not attn-runner --target=cpu %s --input 3=%t/dtype.npy 2>&1 | FileCheck %s --check-prefix=INDEX
// INDEX: attn-runner: error: --input 3={{.*}}dtype.npy: the entry has 3 arguments
// RUN: not attn-runner --target=cpu %s --input q.npy 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: attn-runner: error: --input expects ARGINDEX=path.npy (or ARGINDEX=integer for an integer argument, ARGINDEX=id,id,... for an i64 tensor), got 'q.npy'

// Nothing is written when the inputs are bad.
// RUN: not attn-runner --target=cpu %s --input 0=%t/shape.npy --output=%t/out.npy 2>&1
// RUN: not test -e %t/out.npy

func.func @attention(%q: tensor<1x97x4x64xf32>, %k: tensor<1x97x1x64xf32>,
                     %v: tensor<1x97x1x64xf32>) -> tensor<1x97x4x64xf32> {
  %o = attn.attention %q, %k, %v
      : tensor<1x97x4x64xf32>, tensor<1x97x1x64xf32>, tensor<1x97x1x64xf32> -> tensor<1x97x4x64xf32>
  return %o : tensor<1x97x4x64xf32>
}
