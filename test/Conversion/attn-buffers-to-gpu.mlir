// RUN: attn-opt %s --attn-buffers-to-gpu -split-input-file -verify-diagnostics | FileCheck %s

// A cache as bufferization leaves it: allocated, zeroed, and written in
// place through a strided view. The allocation moves to the device, and
// the fill and the copy become one-thread-per-element kernels, whose
// threads past the shape do nothing. Nothing waits: the pipeline's
// gpu-async-region queues the allocation and the kernels on one stream.
// CHECK-LABEL: func.func @cache
// CHECK-SAME: (%[[K:.*]]: memref<2x4x8x64xf16>, %[[POS:.*]]: index)
// CHECK-NOT: gpu.wait
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f16
// CHECK: %[[C:.*]] = gpu.alloc () : memref<2x64x8x64xf16>
// CHECK-NOT: memref.alloc
// CHECK-NOT: scf.if
// CHECK: gpu.launch
// CHECK: scf.if
// CHECK: memref.store %[[ZERO]], %[[C]][
// CHECK: %[[VIEW:.*]] = memref.subview %[[C]][0, %[[POS]], 0, 0]
// CHECK-NOT: scf.if
// CHECK: gpu.launch
// CHECK: %[[X:.*]] = memref.load %[[K]][
// CHECK: memref.store %[[X]], %[[VIEW]][
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.fill
// CHECK: return %[[C]]
func.func @cache(%k: memref<2x4x8x64xf16>, %pos: index) -> memref<2x64x8x64xf16> {
  %zero = arith.constant 0.0 : f16
  %c = memref.alloc() : memref<2x64x8x64xf16>
  linalg.fill ins(%zero : f16) outs(%c : memref<2x64x8x64xf16>)
  %s = memref.subview %c[0, %pos, 0, 0] [2, 4, 8, 64] [1, 1, 1, 1]
      : memref<2x64x8x64xf16> to memref<2x4x8x64xf16, strided<[32768, 512, 64, 1], offset: ?>>
  memref.copy %k, %s : memref<2x4x8x64xf16> to memref<2x4x8x64xf16, strided<[32768, 512, 64, 1], offset: ?>>
  return %c : memref<2x64x8x64xf16>
}

// -----

// A dynamic allocation keeps its sizes, and a dealloc frees on the device;
// kernels already in a gpu.launch are left alone.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[N:.*]]: index)
// CHECK: gpu.alloc (%[[N]]) : memref<?x64xf32>
// CHECK: gpu.launch
// CHECK: memref.store
// CHECK: gpu.dealloc %
// CHECK-NOT: memref.dealloc
func.func @dynamic(%n: index) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %b = memref.alloc(%n) : memref<?x64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
      threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    memref.store %one, %b[%c0, %c0] : memref<?x64xf32>
    gpu.terminator
  }
  memref.dealloc %b : memref<?x64xf32>
  return
}

// -----

// A host read of an element of a small buffer of static shape (per-sequence
// lengths a guard checks) copies the whole buffer back to the host stack
// and reads the copy (gpu-async-region makes the host wait for the copy
// before the load).
// CHECK-LABEL: func.func @small_load(
// CHECK-SAME:      %[[B:[^:]+]]: memref<4xi64>
// CHECK:         %[[V:.+]] = memref.alloca_scope -> (i64) {
// CHECK:           %[[H:.+]] = memref.alloca() : memref<4xi64>
// CHECK:           gpu.memcpy %[[H]], %[[B]] : memref<4xi64>, memref<4xi64>
// CHECK:           %[[X:.+]] = memref.load %[[H]][%{{.*}}] : memref<4xi64>
// CHECK:           memref.alloca_scope.return %[[X]] : i64
// CHECK:         return %[[V]]
func.func @small_load(%b: memref<4xi64>) -> i64 {
  %c1 = arith.constant 1 : index
  %x = memref.load %b[%c1] : memref<4xi64>
  return %x : i64
}

// -----

// Host code that reads a large or dynamic buffer, or writes one, would
// dereference a device pointer on the CPU.
func.func @load(%b: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op in host code of the GPU pipeline reads or writes a buffer on the host, but every buffer there is in device memory; only attention, KV caches, slices, copies, fills, parallel loops (linalg ops, through convert-linalg-to-parallel-loops) and reads of small buffers have a GPU lowering (run it on the CPU with attn-to-llvm-pipeline)}}
  %x = memref.load %b[%c0] : memref<?xf32>
  return %x : f32
}

// -----

func.func @large_load(%b: memref<8192xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op in host code of the GPU pipeline reads or writes a buffer on the host}}
  %x = memref.load %b[%c0] : memref<8192xf32>
  return %x : f32
}

// -----

func.func @store(%b: memref<4xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.store' op in host code of the GPU pipeline reads or writes a buffer on the host}}
  memref.store %x, %b[%c0] : memref<4xf32>
  return
}

// -----

func.func @add(%a: memref<4xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{'linalg.add' op in host code of the GPU pipeline computes on buffers on the host (as the GPU pipeline runs it, convert-linalg-to-parallel-loops has made parallel loops of such ops first)}}
  linalg.add ins(%a, %a : memref<4xf32>, memref<4xf32>) outs(%b : memref<4xf32>)
  return
}

// -----

// A constant tensor bufferizes to a global in host memory, out of the
// kernels' reach: they get a device copy of it.
// CHECK-LABEL: func.func @global
// CHECK: %[[D:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: %[[G:.*]] = memref.get_global @table
// CHECK: gpu.memcpy %[[D]], %[[G]]
// CHECK: gpu.launch
// CHECK: memref.load %[[D]][
memref.global "private" constant @table : memref<4xf32> = dense<1.0>
func.func @global(%b: memref<4xf32>) {
  %g = memref.get_global @table : memref<4xf32>
  memref.copy %g, %b : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A parallel loop (what convert-linalg-to-parallel-loops makes of a linalg
// op) becomes a kernel with a thread per iteration: its induction
// variables from the thread's flat index, the last dimension fastest.
// CHECK-LABEL: func.func @loop
// CHECK-SAME: (%[[A:.*]]: memref<8x16xf32>, %[[B:.*]]: memref<8x16xf32>)
// CHECK: gpu.launch
// CHECK: %[[FLAT:.*]] = arith.addi
// CHECK: %[[J:.*]] = arith.remui %[[FLAT]]
// CHECK: %[[I:.*]] = arith.divui %[[FLAT]]
// CHECK: %[[X:.*]] = memref.load %[[A]][%{{.*}}, %{{.*}}]
// CHECK: math.exp %[[X]]
// CHECK: memref.store
// CHECK-NOT: scf.parallel
func.func @loop(%a: memref<8x16xf32>, %b: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c16) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<8x16xf32>
    %y = math.exp %x : f32
    memref.store %y, %b[%i, %j] : memref<8x16xf32>
    scf.reduce
  }
  return
}

// -----

func.func @atomic(%b: memref<4xf32>, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.atomic_rmw' op in host code of the GPU pipeline reads or writes a buffer on the host}}
  %old = memref.atomic_rmw addf %x, %b[%c0] : (f32, memref<4xf32>) -> f32
  return %old : f32
}

// -----

// A parallel loop with a reduction has no kernel here
// (convert-linalg-to-parallel-loops makes none).
func.func @reduce(%a: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.parallel' op in host code of the GPU pipeline is a parallel loop with reductions, which has no kernel here}}
  %s = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<8xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %sum = arith.addf %l, %r : f32
      scf.reduce.return %sum : f32
    }
  }
  return %s : f32
}

// -----

#strided = affine_map<(d0)[s0] -> (d0 + s0)>
func.func @symbols(%off: index) {
  // expected-error @+1 {{'memref.alloc' op in host code of the GPU pipeline allocates a buffer whose layout takes symbols, which gpu.alloc here does not}}
  %b = memref.alloc()[%off] : memref<4xf32, #strided>
  return
}

// -----

func.func @tensor_fill(%x: f32) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @+1 {{'linalg.fill' op in host code of the GPU pipeline was not bufferized}}
  %f = linalg.fill ins(%x : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %f : tensor<4xf32>
}
