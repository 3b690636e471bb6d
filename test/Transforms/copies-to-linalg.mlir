// RUN: attn-opt %s --attn-copies-to-linalg | FileCheck %s

// A strided copy (an append into a cache of batch 2) becomes a linalg.copy,
// which convert-linalg-to-loops turns into loops, rather than a call of the
// runner utilities' memrefCopy.
// CHECK-LABEL: func.func @append
// CHECK-SAME: (%[[K:.*]]: memref<2x4x8x64xf16>, %[[C:.*]]: memref<2x64x8x64xf16>, %[[POS:.*]]: index)
// CHECK: %[[VIEW:.*]] = memref.subview %[[C]]
// CHECK: linalg.copy ins(%[[K]] : memref<2x4x8x64xf16>) outs(%[[VIEW]] : memref<2x4x8x64xf16, strided<[32768, 512, 64, 1], offset: ?>>)
// CHECK-NOT: memref.copy
func.func @append(%k: memref<2x4x8x64xf16>, %c: memref<2x64x8x64xf16>, %pos: index) {
  %s = memref.subview %c[0, %pos, 0, 0] [2, 4, 8, 64] [1, 1, 1, 1]
      : memref<2x64x8x64xf16> to memref<2x4x8x64xf16, strided<[32768, 512, 64, 1], offset: ?>>
  memref.copy %k, %s : memref<2x4x8x64xf16> to memref<2x4x8x64xf16, strided<[32768, 512, 64, 1], offset: ?>>
  return
}

// A contiguous copy lowers to one memcpy, and is left alone.
// CHECK-LABEL: func.func @contiguous
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x4x8x64xf16> to memref<2x4x8x64xf16>
// CHECK-NOT: linalg.copy
func.func @contiguous(%a: memref<2x4x8x64xf16>, %b: memref<2x4x8x64xf16>) {
  memref.copy %a, %b : memref<2x4x8x64xf16> to memref<2x4x8x64xf16>
  return
}
