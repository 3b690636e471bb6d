// Entries with several results: each is poisoned with NaN, copied back,
// checked on its own and written to its own file (--output=out.npy writes
// out.0.npy, out.1.npy, ...); nothing is written when the run or any check
// fails.

// RUN: rm -rf %t && split-file %s %t

// The CLA example (two layers sharing one KV cache) runs, and its two
// layers compute the causal attention of their own query over layer 0's
// keys and values: the same as two attn.attention on the same seeded inputs
// (arguments 0-3 get the same values in both entries), with the same tiles,
// so bit for bit.
// RUN: attn-runner --target=cpu %attn_src_root/examples/cla_two_layers.mlir --seed=7 --input 4=0 --output=%t/cla.npy | FileCheck %s --check-prefix=CLA
// CLA: entry: @cla_two_layers(tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>, index) -> (tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>)
// CLA: argument 4 = 0
// CLA: target: cpu ({{.*}}), result 0 written in place into the caller's buffer, result 1 written in place into the caller's buffer
// CLA: output: {{.*}}cla.0.npy
// CLA-NEXT: output: {{.*}}cla.1.npy
// RUN: attn-runner --target=cpu %t/direct.mlir --seed=7 --check --output=%t/direct.npy | FileCheck %s --check-prefix=DIRECT
// DIRECT: entry: @direct({{.*}}) -> (tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>)
// DIRECT: check: result 0: max_abs_err={{.*}} PASS
// DIRECT-NEXT: check: result 1: max_abs_err={{.*}} PASS
// DIRECT-NEXT: output: {{.*}}direct.0.npy
// DIRECT-NEXT: output: {{.*}}direct.1.npy
// RUN: python3 %S/Inputs/npy_diff.py %t/cla.0.npy %t/direct.0.npy 0 | FileCheck %s --check-prefix=SAME
// RUN: python3 %S/Inputs/npy_diff.py %t/cla.1.npy %t/direct.1.npy 0 | FileCheck %s --check-prefix=SAME
// SAME: within
// The two layers' outputs differ (their queries do), so the comparison
// above would catch results written in the wrong order.
// RUN: not python3 %S/Inputs/npy_diff.py %t/cla.0.npy %t/direct.1.npy 0.5

// A path without .npy gets the index appended.
// RUN: attn-runner --target=cpu %t/direct.mlir --seed=7 --output=%t/plain | FileCheck %s --check-prefix=PLAIN
// PLAIN: output: {{.*}}plain.0
// PLAIN-NEXT: output: {{.*}}plain.1
// RUN: python3 %S/Inputs/npy_diff.py %t/plain.1 %t/direct.1.npy 0

// --benchmark counts the work of both attentions: each 16 x 16 causal
// (136 visible scores) x 32 heads x (2 x 128 + 2 x 128) FLOPs = 2228224,
// twice.
// RUN: attn-runner --target=cpu %t/direct.mlir --benchmark=2 --warmup=0 | FileCheck %s --check-prefix=BENCH
// BENCH: benchmark: wall time per call on the CPU: {{.*}} over 2 runs
// BENCH-NEXT: benchmark: 0.004456 GFLOP
// The CLA example's two cache attends at position 0 (16 tokens) do the
// same work.
// RUN: attn-runner --target=cpu %attn_src_root/examples/cla_two_layers.mlir --input 4=0 --benchmark=2 --warmup=0 | FileCheck %s --check-prefix=BENCH
// An entry whose results are not all attentions of its arguments reports
// times only.
// RUN: attn-runner --target=cpu %t/computed.mlir --benchmark=1 --warmup=0 | FileCheck %s --check-prefix=TIMES
// TIMES: benchmark: wall time per call on the CPU
// TIMES-NOT: GFLOP

// A result returned twice, and an argument returned as a result (twice),
// each get their own buffer and the same values.
// RUN: attn-runner --target=cpu %t/twice.mlir --output=%t/twice.npy | FileCheck %s --check-prefix=TWICE
// TWICE: entry: @twice(tensor<1x3x1x64xf32>, tensor<4xf32>) -> (tensor<1x3x1x64xf32>, tensor<4xf32>, tensor<1x3x1x64xf32>, tensor<4xf32>)
// TWICE: output: {{.*}}twice.3.npy
// RUN: python3 %S/Inputs/npy_diff.py %t/twice.0.npy %t/twice.2.npy 0
// RUN: python3 %S/Inputs/npy_diff.py %t/twice.1.npy %t/twice.3.npy 0

// A NaN in the key of result 1 fails its check alone; both check lines are
// printed, and no file is written.
// RUN: python3 %S/Inputs/npy.py %t/k.npy f32 1x3x1x64 nan 133
// RUN: not attn-runner --target=cpu %t/pair.mlir --check --input 3=%t/k.npy --output=%t/bad.npy 2>&1 | FileCheck %s --check-prefix=FAIL1
// FAIL1: check: result 0: {{.*}} PASS
// FAIL1-NEXT: check: result 1: {{.*}} nan={{[0-9]+}} FAIL
// FAIL1-NOT: output:
// FAIL1: attn-runner: error: check failed: result 1: {{[0-9]+}} result elements are NaN
// With the NaN in the query both read, both fail, and the error names both.
// RUN: not attn-runner --target=cpu %t/pair.mlir --check --input 0=%t/k.npy --output=%t/bad.npy 2>&1 | FileCheck %s --check-prefix=FAIL2
// FAIL2: attn-runner: error: check failed: result 0: {{[0-9]+}} result elements are NaN; result 1: {{[0-9]+}} result elements are NaN
// RUN: not test -e %t/bad.0.npy
// RUN: not test -e %t/bad.1.npy
// RUN: not test -e %t/bad.npy

// --check refuses, before running, a result that is not an attention of the
// entry's arguments, and says which and why.
// RUN: not attn-runner --target=cpu %t/computed.mlir --check --output=%t/none.npy 2>&1 | FileCheck %s --check-prefix=OPERANDS
// RUN: not test -e %t/none.0.npy
// RUN: not attn-runner --target=cpu %t/twice.mlir --check 2>&1 | FileCheck %s --check-prefix=ARG
// ARG: attn-runner: error: --check needs each of the 4 results of @twice to be an attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but result 1 is argument 1 of the entry, not an attn.attention
// RUN: not attn-runner --target=cpu %t/computed.mlir --check 2>&1 | FileCheck %s --check-prefix=OPERANDS
// OPERANDS: attn-runner: error: --check needs each of the 2 results of @computed to be an attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but the operands of the attention of result 1 are not all entry arguments (after raising and fusion)
// RUN: not attn-runner --target=cpu %t/sum.mlir --check 2>&1 | FileCheck %s --check-prefix=SUM
// SUM: attn-runner: error: --check needs each of the 2 results of @sum to be an attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but result 1 is computed by 'linalg.add', not by an attn.attention
// RUN: attn-runner --target=cpu %t/computed.mlir | FileCheck %s --check-prefix=RUNS
// RUNS: time:

// Each result's type is checked, and named.
// RUN: not attn-runner --target=cpu %t/int.mlir 2>&1 | FileCheck %s --check-prefix=INT
// INT: attn-runner: error: result 1 of @int has type tensor<4xi32>; attn-runner needs ranked tensors of f16, bf16, f32, f64, i64 (token ids), or i8 or f8E4M3FN (a quantized KV cache's codes)

//--- direct.mlir
func.func @direct(%q0: tensor<1x16x32x128xf16>, %q1: tensor<1x16x32x128xf16>,
                  %k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>)
    -> (tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>) {
  %o0 = attn.attention %q0, %k, %v {causal}
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>
        -> tensor<1x16x32x128xf16>
  %o1 = attn.attention %q1, %k, %v {causal}
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>
        -> tensor<1x16x32x128xf16>
  return %o0, %o1 : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>
}

//--- twice.mlir
func.func @twice(%q: tensor<1x3x1x64xf32>, %x: tensor<4xf32>)
    -> (tensor<1x3x1x64xf32>, tensor<4xf32>, tensor<1x3x1x64xf32>,
        tensor<4xf32>) {
  %o = attn.attention %q, %q, %q
      : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
        -> tensor<1x3x1x64xf32>
  return %o, %x, %o, %x
      : tensor<1x3x1x64xf32>, tensor<4xf32>, tensor<1x3x1x64xf32>,
        tensor<4xf32>
}

//--- pair.mlir
func.func @pair(%q: tensor<1x3x1x64xf32>, %k: tensor<1x3x1x64xf32>,
                %v: tensor<1x3x1x64xf32>, %k2: tensor<1x3x1x64xf32>)
    -> (tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) {
  %o0 = attn.attention %q, %k, %v
      : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
        -> tensor<1x3x1x64xf32>
  %o1 = attn.attention %q, %k2, %v
      : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
        -> tensor<1x3x1x64xf32>
  return %o0, %o1 : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
}

//--- computed.mlir
func.func @computed(%q: tensor<1x3x1x64xf32>, %k: tensor<1x3x1x64xf32>)
    -> (tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) {
  %o0 = attn.attention %q, %k, %k
      : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
        -> tensor<1x3x1x64xf32>
  %e = tensor.empty() : tensor<1x3x1x64xf32>
  %k2 = linalg.add ins(%k, %k : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>)
      outs(%e : tensor<1x3x1x64xf32>) -> tensor<1x3x1x64xf32>
  %o1 = attn.attention %q, %k2, %k2
      : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
        -> tensor<1x3x1x64xf32>
  return %o0, %o1 : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
}

//--- int.mlir
func.func @int(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %y = arith.fptosi %x : tensor<4xf32> to tensor<4xi32>
  return %x, %y : tensor<4xf32>, tensor<4xi32>
}

//--- sum.mlir
func.func @sum(%q: tensor<1x3x1x64xf32>, %k: tensor<1x3x1x64xf32>)
    -> (tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) {
  %o = attn.attention %q, %k, %k
      : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
        -> tensor<1x3x1x64xf32>
  %e = tensor.empty() : tensor<1x3x1x64xf32>
  %s = linalg.add ins(%q, %k : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>)
      outs(%e : tensor<1x3x1x64xf32>) -> tensor<1x3x1x64xf32>
  return %o, %s : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>
}
