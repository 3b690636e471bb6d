// RUN: attn-opt %s --convert-attn-to-gpu="schedule=scalar" -split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="schedule=decode chip=sm_90a" -split-input-file | FileCheck %s --check-prefix=DECODE

// Keys and values that are the first %len positions of a cache (what
// attn-lower-kv-cache makes of attn.cache.attend) are read in place: the
// kernel gets the whole cache buffer, rows strided by its capacity (64),
// and sees %len keys, so bufferization has no prefix to copy.
// CHECK-LABEL: func.func @prefix
// CHECK-SAME: %[[KC:[a-z0-9]+]]: tensor<1x64x2x64xf16>, %[[VC:[a-z0-9]+]]: tensor<1x64x2x64xf16>, %[[LEN:[a-z0-9]+]]: index
// CHECK-DAG: bufferization.to_buffer %[[KC]] read_only : tensor<1x64x2x64xf16> to memref<1x64x2x64xf16>
// CHECK-DAG: bufferization.to_buffer %[[VC]] read_only : tensor<1x64x2x64xf16> to memref<1x64x2x64xf16>
// CHECK-NOT: to memref<1x?x2x64xf16>
// CHECK: gpu.launch
// The tensor-core schedules address rows through the capacity as well.
// DECODE-LABEL: func.func @prefix
// DECODE: memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : memref<1x64x2x64xf16> into memref<8192xf16>
// DECODE-NOT: memref<1x?x2x64xf16>
// DECODE: attn.schedule = "decode"
func.func @prefix(%q: tensor<1x1x8x64xf16>, %kc: tensor<1x64x2x64xf16>,
                  %vc: tensor<1x64x2x64xf16>, %len: index) -> tensor<1x1x8x64xf16> {
  %k = tensor.extract_slice %kc[0, 0, 0, 0] [1, %len, 2, 64] [1, 1, 1, 1]
      : tensor<1x64x2x64xf16> to tensor<1x?x2x64xf16>
  %v = tensor.extract_slice %vc[0, 0, 0, 0] [1, %len, 2, 64] [1, 1, 1, 1]
      : tensor<1x64x2x64xf16> to tensor<1x?x2x64xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x1x8x64xf16>, tensor<1x?x2x64xf16>, tensor<1x?x2x64xf16>
        -> tensor<1x1x8x64xf16>
  return %o : tensor<1x1x8x64xf16>
}

// -----

// Not a prefix (the slice starts at position 1): the slice is its own
// buffer, which bufferization will copy.
// CHECK-LABEL: func.func @offset
// CHECK: %[[K:.*]] = tensor.extract_slice
// CHECK: bufferization.to_buffer %[[K]] read_only : tensor<1x?x2x64xf16> to memref<1x?x2x64xf16>
// DECODE-LABEL: func.func @offset
// DECODE: memref.collapse_shape %{{.*}} : memref<1x?x2x64xf16> into memref<?xf16>
func.func @offset(%q: tensor<1x1x8x64xf16>, %kc: tensor<1x64x2x64xf16>,
                  %vc: tensor<1x64x2x64xf16>, %len: index) -> tensor<1x1x8x64xf16> {
  %k = tensor.extract_slice %kc[0, 1, 0, 0] [1, %len, 2, 64] [1, 1, 1, 1]
      : tensor<1x64x2x64xf16> to tensor<1x?x2x64xf16>
  %v = tensor.extract_slice %vc[0, 1, 0, 0] [1, %len, 2, 64] [1, 1, 1, 1]
      : tensor<1x64x2x64xf16> to tensor<1x?x2x64xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x1x8x64xf16>, tensor<1x?x2x64xf16>, tensor<1x?x2x64xf16>
        -> tensor<1x1x8x64xf16>
  return %o : tensor<1x1x8x64xf16>
}

// -----

// Capacities known only at run time could differ between key and value,
// which share one row stride: no in-place read.
// CHECK-LABEL: func.func @dynamic_capacity
// CHECK: %[[K:.*]] = tensor.extract_slice
// CHECK: bufferization.to_buffer %[[K]] read_only : tensor<1x?x2x64xf16> to memref<1x?x2x64xf16>
// DECODE-LABEL: func.func @dynamic_capacity
func.func @dynamic_capacity(%q: tensor<1x1x8x64xf16>, %kc: tensor<1x?x2x64xf16>,
                            %vc: tensor<1x?x2x64xf16>, %len: index)
    -> tensor<1x1x8x64xf16> {
  %k = tensor.extract_slice %kc[0, 0, 0, 0] [1, %len, 2, 64] [1, 1, 1, 1]
      : tensor<1x?x2x64xf16> to tensor<1x?x2x64xf16>
  %v = tensor.extract_slice %vc[0, 0, 0, 0] [1, %len, 2, 64] [1, 1, 1, 1]
      : tensor<1x?x2x64xf16> to tensor<1x?x2x64xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x1x8x64xf16>, tensor<1x?x2x64xf16>, tensor<1x?x2x64xf16>
        -> tensor<1x1x8x64xf16>
  return %o : tensor<1x1x8x64xf16>
}
