// --output is written only when the run and --check succeed; a failed check
// leaves no file behind (and does not replace an old one with a bad result).
// Empty --target= and --output= are errors, not the flags' defaults.

// RUN: rm -rf %t && split-file %s %t
// Key 2 is NaN in one element, so the check fails (see check-fail.mlir).
// RUN: python3 %S/Inputs/npy.py %t/k.npy f32 1x3x1x64 nan 133
// RUN: not attn-runner --target=cpu %t/one.mlir --check --input 1=%t/k.npy --output=%t/bad.npy 2>&1 | FileCheck %s --check-prefix=FAIL
// FAIL: check: {{.*}} FAIL
// FAIL-NOT: output:
// FAIL: attn-runner: error: check failed: {{[0-9]+}} result elements are NaN
// RUN: not test -e %t/bad.npy

// An old file stays as it was.
// RUN: echo old > %t/old.npy
// RUN: not attn-runner --target=cpu %t/one.mlir --check --input 1=%t/k.npy --output=%t/old.npy
// RUN: grep -qx old %t/old.npy

// A run that fails before the check writes nothing either.
// RUN: not attn-runner --target=cpu %t/one.mlir --input 0=%t/missing.npy --output=%t/early.npy
// RUN: not test -e %t/early.npy

// The same run with good inputs writes the file after the check.
// RUN: attn-runner --target=cpu %t/one.mlir --check --output=%t/good.npy | FileCheck %s --check-prefix=GOOD
// GOOD: check: {{.*}} PASS
// GOOD-NEXT: output: {{.*}}good.npy
// RUN: test -s %t/good.npy

// RUN: not attn-runner %t/one.mlir --target= 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: attn-runner: error: --target= needs a value: cpu or cuda
// RUN: not attn-runner --target=cpu %t/one.mlir --output= 2>&1 | FileCheck %s --check-prefix=OUTPUT
// OUTPUT: attn-runner: error: --output= needs a value: a path

// --help says when the file is written.
// RUN: attn-runner --help | FileCheck %s --check-prefix=HELP
// HELP: --output=<path.npy> {{.*}}only when the run (and --check) succeeds

//--- one.mlir
func.func @one(%q: tensor<1x3x1x64xf32>, %k: tensor<1x3x1x64xf32>, %v: tensor<1x3x1x64xf32>) -> tensor<1x3x1x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32> -> tensor<1x3x1x64xf32>
  return %o : tensor<1x3x1x64xf32>
}
