// A KV cache passed to and returned from a function lives across calls:
// attn-lower-kv-cache gives the function the cache's tensors as arguments
// and results, and bufferization keeps them in the caller's buffers, so
// each call appends in place. Two calls of one step give, bit for bit, the
// result of the same appends in one body, which --check verifies.
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-calls.mlir --entry=inline --seed=2 --check --output=%t.inline.npy | FileCheck %s --check-prefix=CHECKED
// CHECKED: check: {{.*}} PASS
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-calls.mlir --entry=two_calls --seed=2 --output=%t.calls.npy | FileCheck %s --check-prefix=CALLS
// CALLS: entry: @two_calls(
// RUN: python3 %S/Inputs/npy_diff.py %t.calls.npy %t.inline.npy 0 | FileCheck %s --check-prefix=SAME
// SAME: within

// The cache stays in place: at the call boundary it is the caller's two
// buffers, and only the appended tokens are copied.
// RUN: attn-opt %S/../CUDA/Inputs/cache-calls.mlir --attn-to-llvm-pipeline --mlir-print-ir-after=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s --check-prefix=INPLACE
// INPLACE-LABEL: func.func private @step
// INPLACE-SAME: %[[K:[a-z0-9]+]]: memref<1x64x2x64xf16>, %[[V:[a-z0-9]+]]: memref<1x64x2x64xf16>, %{{.*}}: index)
// INPLACE-SAME: -> (memref<1x16x8x64xf16>, memref<1x64x2x64xf16>, memref<1x64x2x64xf16>)
// INPLACE: memref.subview %[[K]]
// INPLACE: memref.copy %{{.*}}, %{{.*}} : memref<1x?x2x64xf16, strided<[2048, 128, 64, 1]>> to memref<1x?x2x64xf16, strided<[8192, 128, 64, 1], offset: ?>>
// INPLACE-NOT: memref<1x64x2x64xf16> to memref<1x64x2x64xf16>
// INPLACE-LABEL: func.func @two_calls

// An entry may take and return the cache itself; attn-runner passes it an
// empty one (see kv-cache-steps.mlir).
// RUN: sed 's/func.func private @step/func.func @step/' %S/../CUDA/Inputs/cache-calls.mlir > %t.public.mlir
// RUN: attn-runner --target=cpu %t.public.mlir --entry=step --input 5=0 | FileCheck %s --check-prefix=ENTRY
// ENTRY: entry: @step(tensor<1x16x8x64xf16>, tensor<1x16x2x64xf16>, tensor<1x16x2x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>, index) -> (tensor<1x16x8x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>)
// ENTRY: time:
