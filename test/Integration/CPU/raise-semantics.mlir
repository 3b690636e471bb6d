// The raise preserves semantics: a small attention written in upstream ops
// runs to the same numbers lowered as it is (linalg to loops, no attn op
// anywhere) and raised to attn.attention and lowered through the
// FlashAttention-2 CPU pipeline. The chain is the llama2 spelling in f32:
// batch_matmul between reshapes on a transposed K, a division by 2, a causal
// [1, 1, Sq, Sk] mask broadcast over the heads, and the decomposed softmax
// with linalg.reduce. Sq (3) < Sk (5), so the mask is bottom-right aligned.

// RUN: attn-opt %s --attn-raise-attention | FileCheck %s --check-prefix=RAISED
// RAISED-LABEL: func.func @attention(
// RAISED-NOT:     linalg.
// RAISED:         attn.attention %arg0, %arg1, %arg2 mask(%arg3 : tensor<1x1x3x5xf32>) {layout = #attn.layout<bhsd>, scale = 5.000000e-01 : f32}
// RAISED-NOT:     linalg.
// RAISED-LABEL: func.func @main(

// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:     --convert-linalg-to-loops --expand-strided-metadata --lower-affine --convert-scf-to-cf \
// RUN:     --convert-math-to-llvm --convert-arith-to-llvm --finalize-memref-to-llvm \
// RUN:     --convert-func-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts \
// RUN:   | mlir-runner -e main -entry-point-result=void \
// RUN:       -shared-libs=%mlir_lib_dir/libmlir_runner_utils.so,%mlir_lib_dir/libmlir_c_runner_utils.so > %t/unraised.txt
// RUN: attn-opt %s --attn-raise-attention --attn-to-llvm-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void \
// RUN:       -shared-libs=%mlir_lib_dir/libmlir_runner_utils.so,%mlir_lib_dir/libmlir_c_runner_utils.so > %t/raised.txt
// RUN: python3 %S/Inputs/memref_diff.py %t/unraised.txt %t/raised.txt 1e-5 | FileCheck %s --check-prefix=SAME
// SAME: 24 elements max_abs_diff={{.*}} within

// The comparison can tell: raised with a division by 4 instead of 2, the
// results differ.
// RUN: sed -e 's/arith.constant 2.0 : f32/arith.constant 4.0 : f32/' %s \
// RUN:   | attn-opt --attn-raise-attention --attn-to-llvm-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void \
// RUN:       -shared-libs=%mlir_lib_dir/libmlir_runner_utils.so,%mlir_lib_dir/libmlir_c_runner_utils.so > %t/rescaled.txt
// RUN: not python3 %S/Inputs/memref_diff.py %t/unraised.txt %t/rescaled.txt 1e-5 | FileCheck %s --check-prefix=DIFFER
// DIFFER: EXCEEDS

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#mask = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

func.func @attention(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x5x4xf32>,
                     %mask: tensor<1x1x3x5xf32>) -> tensor<1x2x3x4xf32> {
  %zero = arith.constant 0.0 : f32
  %minus_inf = arith.constant 0xFF800000 : f32
  %two = arith.constant 2.0 : f32
  %kt_init = tensor.empty() : tensor<1x2x4x5xf32>
  %kt = linalg.transpose ins(%k : tensor<1x2x5x4xf32>) outs(%kt_init : tensor<1x2x4x5xf32>) permutation = [0, 1, 3, 2]
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x2x3x4xf32> into tensor<2x3x4xf32>
  %kt3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<1x2x4x5xf32> into tensor<2x4x5xf32>
  %s_init = tensor.empty() : tensor<2x3x5xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %s3 = linalg.batch_matmul ins(%q3, %kt3 : tensor<2x3x4xf32>, tensor<2x4x5xf32>) outs(%s_zero : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [1, 2, 3, 5] : tensor<2x3x5xf32> into tensor<1x2x3x5xf32>
  %x_init = tensor.empty() : tensor<1x2x3x5xf32>
  %x = linalg.generic {indexing_maps = [#id, #mask, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<1x2x3x5xf32>, tensor<1x1x3x5xf32>) outs(%x_init : tensor<1x2x3x5xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.divf %in, %two : f32
    %a = arith.addf %d, %m : f32
    linalg.yield %a : f32
  } -> tensor<1x2x3x5xf32>
  %max_init = tensor.empty() : tensor<1x2x3xf32>
  %max_start = linalg.fill ins(%minus_inf : f32) outs(%max_init : tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  %max = linalg.reduce ins(%x : tensor<1x2x3x5xf32>) outs(%max_start : tensor<1x2x3xf32>) dimensions = [3]
    (%in: f32, %acc: f32) {
      %m = arith.maximumf %in, %acc : f32
      linalg.yield %m : f32
    }
  %exp_init = tensor.empty() : tensor<1x2x3x5xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %max : tensor<1x2x3x5xf32>, tensor<1x2x3xf32>) outs(%exp_init : tensor<1x2x3x5xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    linalg.yield %e : f32
  } -> tensor<1x2x3x5xf32>
  %sum_init = tensor.empty() : tensor<1x2x3xf32>
  %sum_start = linalg.fill ins(%zero : f32) outs(%sum_init : tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  %sum = linalg.reduce ins(%exp : tensor<1x2x3x5xf32>) outs(%sum_start : tensor<1x2x3xf32>) dimensions = [3]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %p_init = tensor.empty() : tensor<1x2x3x5xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<1x2x3x5xf32>, tensor<1x2x3xf32>) outs(%p_init : tensor<1x2x3x5xf32>) {
  ^bb0(%e: f32, %l: f32, %out: f32):
    %r = arith.divf %e, %l : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x5xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x2x3x5xf32> into tensor<2x3x5xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x2x5x4xf32> into tensor<2x5x4xf32>
  %o_init = tensor.empty() : tensor<2x3x4xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<2x3x5xf32>, tensor<2x5x4xf32>) outs(%o_zero : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [1, 2, 3, 4] : tensor<2x3x4xf32> into tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

func.func private @printMemrefF32(memref<*xf32>)

func.func @main() {
  %q = arith.constant dense<[[[[1.487, 0.76, -0.554, -1.441], [-1.214, -0.05, 1.153, 1.465], [0.645, -0.673, -1.471, -1.133]], [[0.08, 1.232, 1.432, 0.526], [-0.787, -1.491, -1.044, 0.21], [1.301, 1.388, 0.402, -0.894]]]]> : tensor<1x2x3x4xf32>
  %k = arith.constant dense<[[[[-0.383, -1.38, -1.311, -0.229], [1.03, 1.493, 0.803, -0.508], [-1.426, -1.243, -0.099, 1.121], [1.475, 0.69, -0.628, -1.461], [-1.165, 0.031, 1.203, 1.446]], [[0.572, -0.744, -1.485, -1.079], [0.161, 1.276, 1.406, 0.449], [-0.854, -1.498, -0.984, 0.289], [1.34, 1.355, 0.324, -0.958], [-1.499, -0.883, 0.416, 1.393]]]]> : tensor<1x2x5x4xf32>
  %v = arith.constant dense<[[[[-1.389, -0.405, 0.892, 1.5], [0.949, -0.335, -1.36, -1.334], [-0.278, 0.993, 1.497, 0.844], [-0.46, -1.41, -1.27, -0.149], [1.087, 1.483, 0.734, -0.583]], [[-1.449, -1.196, -0.019, 1.172], [1.458, 0.618, -0.7, -1.477], [-1.113, 0.111, 1.249, 1.422], [0.497, -0.813, -1.494, -1.021], [0.24, 1.316, 1.376, 0.372]]]]> : tensor<1x2x5x4xf32>
  %m = arith.constant dense<[[[[0.0, 0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0, 0.0]]]]> : tensor<1x1x3x5xf32>
  %o = call @attention(%q, %k, %v, %m) : (tensor<1x2x3x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>, tensor<1x1x3x5xf32>) -> tensor<1x2x3x4xf32>
  %b = bufferization.to_buffer %o : tensor<1x2x3x4xf32> to memref<1x2x3x4xf32>
  %u = memref.cast %b : memref<1x2x3x4xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
