// Command-line and module errors: one "attn-runner: error:" line each and a
// non-zero exit status, before anything is compiled or run.

// RUN: rm -rf %t && split-file %s %t

// Unstructured control flow has no GPU lowering; the host code would read
// device memory.
// Checked before the driver is needed, so this runs everywhere.
// RUN: not attn-runner %t/branch.mlir --target=cuda 2>&1 | FileCheck %s --check-prefix=CUDA
// CUDA: attn-runner: error: --target=cuda runs attention, KV caches, linalg and tensor ops, calls and structured control flow (after raising and fusion), but @branch also has 'cf.br', which would run on the host over device memory; use --target=cpu
// RUN: not attn-runner --target=cpu %t/one.mlir --gpu-format=ptx 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: attn-runner: error: --gpu-format must be isa, bin or fatbin, not 'ptx'
// RUN: not attn-runner --target=cpu %t/one.mlir --schedule=fast 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// SCHEDULE: attn-runner: error: --schedule must be one of auto, scalar, sm80, decode, sm90, sm90-decode, sm90-decode-alternate, not 'fast'
// RUN: not attn-runner --target=cpu %t/one.mlir --gpu-threads=2048 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: attn-runner: error: --gpu-threads (2048) must lie in [1, 1024]
// RUN: not attn-runner --target=cpu %t/one.mlir --sm-count=-1 2>&1 | FileCheck %s --check-prefix=SMCOUNT
// SMCOUNT: attn-runner: error: --sm-count (-1) must lie in [0, 4096]; 0 takes the device's own
// RUN: not attn-runner --target=cpu %t/one.mlir --kv-stages=9 2>&1 | FileCheck %s --check-prefix=STAGES
// STAGES: attn-runner: error: --kv-stages (9) must be 0 (the schedule's own) or lie in [2, 8]
// RUN: not attn-runner --target=cpu %t/one.mlir --kv-warps=6 2>&1 | FileCheck %s --check-prefix=WARPS
// WARPS: attn-runner: error: --kv-warps (6) must be 0 (the schedule's own), 4 or 8
// RUN: not attn-runner --target=cpu %t/one.mlir --benchmark-hold=-1 2>&1 | FileCheck %s --check-prefix=HOLD
// HOLD: attn-runner: error: --benchmark-hold (-1.000000) must lie in [0, 1000000] microseconds
// RUN: not attn-runner --target=cpu %t/one.mlir --peak-gbps=-1 2>&1 | FileCheck %s --check-prefix=PEAK
// PEAK: attn-runner: error: --peak-gbps (-1.000000) must be positive, or 0 for the device's own
// RUN: not attn-runner --target=cpu %t/one.mlir --peak-tflops=nan 2>&1 | FileCheck %s --check-prefix=PEAKNAN
// PEAKNAN: attn-runner: error: --peak-tflops ({{.*}}) must be positive, or 0 for the device's own
// RUN: not attn-runner %t/one.mlir --target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: attn-runner: error: unknown target 'tpu'; expected cpu or cuda

// RUN: not attn-runner --target=cpu %t/two.mlir 2>&1 | FileCheck %s --check-prefix=AMBIGUOUS
// AMBIGUOUS: attn-runner: error: the module has 2 public functions (@first, @second); choose one with --entry
// RUN: not attn-runner --target=cpu %t/two.mlir --entry=third 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: attn-runner: error: no func.func with a body named @third (--entry)
// RUN: not attn-runner --target=cpu %t/private.mlir 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: attn-runner: error: the module has no public func.func to run
// The private function runs when named.
// RUN: attn-runner --target=cpu %t/private.mlir --entry=hidden | FileCheck %s --check-prefix=NAMED
// NAMED: entry: @hidden(tensor<4xf32>) -> tensor<4xf32>

// RUN: not attn-runner --target=cpu %t/dynamic.mlir 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: attn-runner: error: argument 0 of @dynamic has type tensor<1x?x4x64xf32>; attn-runner needs static shapes (dynamic extents are not supported)
// RUN: not attn-runner --target=cpu %t/int.mlir 2>&1 | FileCheck %s --check-prefix=INT
// INT: attn-runner: error: the result of @int has type tensor<4xi32>; attn-runner needs ranked tensors of f16, bf16, f32, f64, i64 (token ids), or i8 or f8E4M3FN (a quantized KV cache's codes)
// RUN: not attn-runner --target=cpu %t/noresult.mlir 2>&1 | FileCheck %s --check-prefix=NORESULT
// NORESULT: attn-runner: error: @noresult returns nothing; attn-runner needs at least one tensor result
// Several results run (multi-result.mlir has the rest).
// RUN: attn-runner --target=cpu %t/results.mlir | FileCheck %s --check-prefix=RESULTS
// RESULTS: entry: @results(tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)

// RUN: not attn-runner --target=cpu %t/syntax.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: syntax.mlir:2:10: error: use of undeclared SSA value name
// SYNTAX: attn-runner: error: cannot parse '{{.*}}syntax.mlir'
// RUN: not attn-runner --target=cpu %t/nonexistent.mlir 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: attn-runner: error: cannot open input file '{{.*}}nonexistent.mlir': {{[Nn]}}o such file or directory

// RUN: not attn-runner --target=cpu %t/one.mlir --q-tile=0 2>&1 | FileCheck %s --check-prefix=TILE
// TILE: attn-runner: error: --q-tile (0) must lie in [1, 4096]
// RUN: not attn-runner --target=cpu %t/one.mlir --kv-tile=-4 2>&1 | FileCheck %s --check-prefix=KVTILE
// KVTILE: attn-runner: error: --kv-tile (-4) must lie in [1, 4096]
// RUN: not attn-runner --target=cpu %t/one.mlir --q-tile=4097 2>&1 | FileCheck %s --check-prefix=BIGTILE
// BIGTILE: attn-runner: error: --q-tile (4097) must lie in [1, 4096]

//--- one.mlir
func.func @one(%q: tensor<1x3x1x64xf32>) -> tensor<1x3x1x64xf32> {
  %o = attn.attention %q, %q, %q : tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32> -> tensor<1x3x1x64xf32>
  return %o : tensor<1x3x1x64xf32>
}

//--- two.mlir
func.func @first(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @second(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

//--- private.mlir
func.func private @hidden(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %y = linalg.copy ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

//--- dynamic.mlir
func.func @dynamic(%q: tensor<1x?x4x64xf32>) -> tensor<1x?x4x64xf32> {
  %o = attn.attention %q, %q, %q : tensor<1x?x4x64xf32>, tensor<1x?x4x64xf32>, tensor<1x?x4x64xf32> -> tensor<1x?x4x64xf32>
  return %o : tensor<1x?x4x64xf32>
}

//--- int.mlir
func.func @int(%x: tensor<4xf32>) -> tensor<4xi32> {
  %y = arith.fptosi %x : tensor<4xf32> to tensor<4xi32>
  return %y : tensor<4xi32>
}

//--- results.mlir
func.func @results(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  return %x, %x : tensor<4xf32>, tensor<4xf32>
}

//--- noresult.mlir
func.func @noresult(%x: tensor<4xf32>) {
  return
}

//--- syntax.mlir
func.func @syntax(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %y : tensor<4xf32>
}

//--- branch.mlir
func.func @branch(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  cf.br ^next
^next:
  return %x : tensor<4x4xf32>
}
