// RUN: attn-opt %s --attn-hoist-cache-checks -split-input-file | FileCheck %s
// KV cache bounds checks (an scf.if calling attnKVCacheError and otherwise
// only computing) move, with the arithmetic they read, ahead of their
// block's first GPU operation, in their order; checks that read what GPU
// work produced, and other host code, stay.

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @k() kernel { gpu.return }
  }
  func.func private @attnKVCacheError(i64, i64, i64, i64)
  func.func private @other()

  // CHECK-LABEL: func.func @step(
  // CHECK-SAME:      %[[POS:.*]]: index)
  // CHECK:         %[[ROOM:.*]] = arith.constant 63 : index
  // CHECK:         %[[BAD:.*]] = arith.cmpi sgt, %[[POS]], %[[ROOM]]
  // CHECK:         scf.if %[[BAD]] {
  // CHECK:           func.call @attnKVCacheError(%c0_i64,
  // CHECK:         %[[LEN:.*]] = arith.addi %[[POS]], %{{.*}}
  // CHECK:         %[[BAD2:.*]] = arith.cmpi sgt, %[[LEN]], %{{.*}}
  // CHECK:         scf.if %[[BAD2]] {
  // CHECK:           func.call @attnKVCacheError(%c1_i64,
  // CHECK:         gpu.launch_func @k::@k
  // CHECK:         gpu.launch_func @k::@k
  // CHECK:         call @other()
  // CHECK:         return
  func.func @step(%pos: index) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    %room = arith.constant 63 : index
    %bad = arith.cmpi sgt, %pos, %room : index
    scf.if %bad {
      %op = arith.constant 0 : i64
      %p = arith.index_cast %pos : index to i64
      func.call @attnKVCacheError(%op, %p, %p, %p) : (i64, i64, i64, i64) -> ()
    }
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    %len = arith.addi %pos, %c1 : index
    %cap = arith.constant 64 : index
    %bad2 = arith.cmpi sgt, %len, %cap : index
    scf.if %bad2 {
      %op = arith.constant 1 : i64
      %l = arith.index_cast %len : index to i64
      func.call @attnKVCacheError(%op, %l, %l, %l) : (i64, i64, i64, i64) -> ()
    }
    func.call @other() : () -> ()
    return
  }
}

// -----

// A check whose condition reads device memory brought back (a copy, then
// a host load) must wait for that GPU work: it stays. So does an scf.if
// that calls anything else.
module attributes {gpu.container_module} {
  func.func private @attnKVCacheError(i64, i64, i64, i64)
  func.func private @other()

  // CHECK-LABEL: func.func @reads_device(
  // CHECK:         gpu.memcpy
  // CHECK:         memref.load
  // CHECK:         scf.if
  // CHECK:           func.call @attnKVCacheError
  // CHECK:         gpu.memcpy
  // CHECK:         scf.if
  // CHECK:           func.call @other
  func.func @reads_device(%lengths: memref<4xi64>, %host: memref<4xi64>, %i: index) {
    gpu.memcpy %host, %lengths : memref<4xi64>, memref<4xi64>
    %n = memref.load %host[%i] : memref<4xi64>
    %zero = arith.constant 0 : i64
    %bad = arith.cmpi slt, %n, %zero : i64
    scf.if %bad {
      func.call @attnKVCacheError(%n, %n, %n, %n) : (i64, i64, i64, i64) -> ()
    }
    gpu.memcpy %host, %lengths : memref<4xi64>, memref<4xi64>
    %t = arith.constant true
    scf.if %t {
      func.call @other() : () -> ()
    }
    return
  }
}
