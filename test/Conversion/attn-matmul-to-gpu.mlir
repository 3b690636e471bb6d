// RUN: attn-opt %s --attn-matmul-to-gpu -split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-matmul-to-gpu=cublas -split-input-file | FileCheck %s --check-prefix=BLAS
// attn-matmul-to-gpu: a projection C[m, n] += A[m, k] * B[n, k] on static
// buffers becomes a kernel with a warp per output column (4 to a block),
// lanes striding k by 32, up to 8 rows of A at a time, sums folded by
// shuffles and added into C by lane 0; other matmuls are left alone.

// 130 columns: 33 blocks of 4 warps, the last block's last two warps idle.
// 10 rows: a chunk of 8, then a chunk of 2, each reading B[n, :] again.
// CHECK-LABEL: func.func @projection(
// CHECK-SAME:      %[[A:[^:]+]]: memref<10x64xbf16>, %[[B:[^:]+]]: memref<130x64xbf16>, %[[C:[^:]+]]: memref<10x130xf32>
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C33:.+]] = arith.constant 33 : index
// CHECK-DAG:     %[[C128:.+]] = arith.constant 128 : index
// CHECK:         gpu.launch blocks(%[[BX:[^,]+]], %{{[^,]+}}, %{{[^)]+}}) in (%{{[^ ]+}} = %[[C33]], %{{[^ ]+}} = %[[C1]], %{{[^ ]+}} = %[[C1]]) threads(%[[TX:[^,]+]], %{{[^,]+}}, %{{[^)]+}}) in (%{{[^ ]+}} = %[[C128]],
// CHECK:           %[[LANE:.+]] = arith.remui %[[TX]], %{{.+}} : index
// CHECK:           %[[WARP:.+]] = arith.divui %[[TX]], %{{.+}} : index
// CHECK:           %[[N:.+]] = arith.addi %{{.+}}, %[[WARP]] : index
// CHECK:           %[[REAL:.+]] = arith.cmpi ult, %[[N]], %{{.+}} : index
// CHECK:           scf.if %[[REAL]] {
// CHECK:             %{{.+}}:8 = scf.for %[[K:.+]] = %[[LANE]] to %{{.+}} step %{{.+}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:               memref.load %[[B]][%[[N]], %[[K]]] : memref<130x64xbf16>
// CHECK:               memref.load %[[A]][%{{.+}}, %[[K]]] : memref<10x64xbf16>
// CHECK-COUNT-5:     gpu.shuffle xor
// CHECK:             scf.if
// CHECK:               %[[OLD:.+]] = memref.load %[[C]][%{{.+}}, %[[N]]] : memref<10x130xf32>
// CHECK:               %[[NEW:.+]] = arith.addf %[[OLD]], %{{.+}} : f32
// CHECK:               memref.store %[[NEW]], %[[C]][%{{.+}}, %[[N]]] : memref<10x130xf32>
// CHECK:             %{{.+}}:2 = scf.for %{{.+}} = %[[LANE]] to %{{.+}} step %{{.+}} iter_args({{.*}}) -> (f32, f32) {
// CHECK:         } {attn.schedule = "matmul-warp"}
// CHECK-NOT:     linalg.matmul
// With cublas: one host call of the runtime's cublasGemmEx, with m, n, k,
// the three buffers' addresses and the input type (2: bf16).
// BLAS:       func.func private @attnGpuMatmulTransposedB(i64, i64, i64, i64, i64, i64, i64)
// BLAS-LABEL: func.func @projection(
// BLAS-SAME:      %[[A:[^:]+]]: memref<10x64xbf16>, %[[B:[^:]+]]: memref<130x64xbf16>, %[[C:[^:]+]]: memref<10x130xf32>
// BLAS-DAG:     %[[M:.+]] = arith.constant 10 : i64
// BLAS-DAG:     %[[N:.+]] = arith.constant 130 : i64
// BLAS-DAG:     %[[K:.+]] = arith.constant 64 : i64
// BLAS-DAG:     %[[T:.+]] = arith.constant 2 : i64
// BLAS-DAG:     %[[PA:.+]] = memref.extract_aligned_pointer_as_index %[[A]]
// BLAS-DAG:     %[[IA:.+]] = arith.index_cast %[[PA]] : index to i64
// BLAS-DAG:     %[[PB:.+]] = memref.extract_aligned_pointer_as_index %[[B]]
// BLAS-DAG:     %[[IB:.+]] = arith.index_cast %[[PB]] : index to i64
// BLAS-DAG:     %[[PC:.+]] = memref.extract_aligned_pointer_as_index %[[C]]
// BLAS-DAG:     %[[IC:.+]] = arith.index_cast %[[PC]] : index to i64
// BLAS:         call @attnGpuMatmulTransposedB(%[[M]], %[[N]], %[[K]], %[[IA]], %[[IB]], %[[IC]], %[[T]])
// BLAS-NOT:     gpu.launch
// BLAS-NOT:     linalg.matmul
func.func @projection(%a: memref<10x64xbf16>, %b: memref<130x64xbf16>, %c: memref<10x130xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<10x64xbf16>, memref<130x64xbf16>)
      outs(%c : memref<10x130xf32>)
  return
}

// -----

// B not transposed, a dynamic shape, an f16 result, tensors: left for
// convert-linalg-to-parallel-loops.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-4: linalg.matmul
// BLAS-LABEL:   func.func @left_alone(
// BLAS-NOT:       call
// BLAS-COUNT-4:   linalg.matmul
func.func @left_alone(%a: memref<4x64xf16>, %b: memref<64x32xf16>, %c: memref<4x32xf32>,
                      %d: memref<?x64xf16>, %e: memref<32x64xf16>, %f: memref<?x32xf32>,
                      %g: memref<4x32xf16>, %ta: tensor<4x64xf16>, %tb: tensor<32x64xf16>,
                      %tc: tensor<4x32xf32>) -> tensor<4x32xf32> {
  linalg.matmul ins(%a, %b : memref<4x64xf16>, memref<64x32xf16>)
      outs(%c : memref<4x32xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%d, %e : memref<?x64xf16>, memref<32x64xf16>)
      outs(%f : memref<?x32xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %e : memref<4x64xf16>, memref<32x64xf16>)
      outs(%g : memref<4x32xf16>)
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%ta, %tb : tensor<4x64xf16>, tensor<32x64xf16>)
      outs(%tc : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %r : tensor<4x32xf32>
}

// -----

// A prefill's many rows: the whole chunks of 8 run in one scf.for (one copy
// of the code, not one per chunk), then the 3 left over.
// CHECK-LABEL: func.func @prefill_rows(
// CHECK:         gpu.launch
// CHECK:           scf.if
// CHECK:             scf.for %[[M0:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:               %{{.+}}:8 = scf.for
// Each chunk reads its own rows of A, from m0.
// CHECK:                 %[[ROW:.+]] = arith.addi %[[M0]], %{{.+}} : index
// CHECK:                 memref.load %{{.+}}[%[[ROW]], %{{.+}}] : memref<43x64xf16>
// CHECK-COUNT-8:       scf.if
// CHECK:             }
// CHECK:             %{{.+}}:3 = scf.for
// CHECK:         } {attn.schedule = "matmul-warp"}
func.func @prefill_rows(%a: memref<43x64xf16>, %b: memref<32x64xf16>, %c: memref<43x32xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<43x64xf16>, memref<32x64xf16>)
      outs(%c : memref<43x32xf32>)
  return
}

// -----

// A zero fill of a fresh buffer right before the projection (what the graph
// emits for every projection) is taken over by the kernel: lane 0 stores
// its sums instead of adding them to C, and no fill kernel runs. A fill of
// another value, or with a read of C in between, stays.
// CHECK-LABEL: func.func @zero_filled(
// CHECK:         %[[C:.+]] = memref.alloc() : memref<2x8xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         gpu.launch
// CHECK:             scf.if
// CHECK-NOT:           memref.load %[[C]]
// CHECK:               memref.store %{{.+}}, %[[C]][%{{.+}}, %{{.+}}] : memref<2x8xf32>
// CHECK:         } {attn.schedule = "matmul-warp"}
// CHECK-LABEL: func.func @one_filled(
// CHECK:         linalg.fill
// CHECK:         gpu.launch
// CHECK:               memref.load
// CHECK:               arith.addf
// CHECK-LABEL: func.func @read_between(
// CHECK:         linalg.fill
// CHECK:         memref.load
// CHECK:         gpu.launch
// BLAS-LABEL: func.func @zero_filled(
// BLAS:         linalg.fill
// BLAS:         call @attnGpuMatmulTransposedB
func.func @zero_filled(%a: memref<2x64xbf16>, %b: memref<8x64xbf16>) -> memref<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<2x8xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<2x8xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<2x64xbf16>, memref<8x64xbf16>)
      outs(%c : memref<2x8xf32>)
  return %c : memref<2x8xf32>
}
func.func @one_filled(%a: memref<2x64xbf16>, %b: memref<8x64xbf16>) -> memref<2x8xf32> {
  %one = arith.constant 1.0 : f32
  %c = memref.alloc() : memref<2x8xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<2x8xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<2x64xbf16>, memref<8x64xbf16>)
      outs(%c : memref<2x8xf32>)
  return %c : memref<2x8xf32>
}
func.func @read_between(%a: memref<2x64xbf16>, %b: memref<8x64xbf16>) -> (memref<2x8xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %i = arith.constant 0 : index
  %c = memref.alloc() : memref<2x8xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<2x8xf32>)
  %x = memref.load %c[%i, %i] : memref<2x8xf32>
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<2x64xbf16>, memref<8x64xbf16>)
      outs(%c : memref<2x8xf32>)
  return %c, %x : memref<2x8xf32>, f32
}

// -----

// With cublas-min-rows (matmul=auto in the pipeline), a projection of 16
// rows or more calls cuBLAS and one of fewer (a decode step's) stays a
// warp kernel, in the same function.
// RUN: attn-opt %s --attn-matmul-to-gpu="cublas cublas-min-rows=16" -split-input-file | FileCheck %s --check-prefix=AUTO
// RUN: not attn-opt %s --attn-matmul-to-gpu="cublas cublas-min-rows=-1" -split-input-file 2>&1 | FileCheck %s --check-prefix=ROWS
// ROWS: error: attn-matmul-to-gpu: cublas-min-rows must be at least 0, not -1
// AUTO-LABEL: func.func @by_rows(
// AUTO:         call @attnGpuMatmulTransposedB
// AUTO:         gpu.launch
// AUTO:         } {attn.schedule = "matmul-warp"}
// AUTO-NOT:     linalg.matmul
func.func @by_rows(%prefill: memref<16x64xbf16>, %decode: memref<15x64xbf16>,
                   %w: memref<32x64xbf16>, %c16: memref<16x32xf32>,
                   %c15: memref<15x32xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%prefill, %w : memref<16x64xbf16>, memref<32x64xbf16>)
      outs(%c16 : memref<16x32xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%decode, %w : memref<15x64xbf16>, memref<32x64xbf16>)
      outs(%c15 : memref<15x32xf32>)
  return
}

// -----

// cuBLAS takes A and B of one type; a projection of mixed types (bf16 rows,
// f32 weights) is a warp kernel instead.
// BLAS-LABEL: func.func @mixed_types(
// BLAS-NOT:     call
// BLAS:         gpu.launch
// BLAS:         } {attn.schedule = "matmul-warp"}
func.func @mixed_types(%a: memref<4x64xbf16>, %b: memref<32x64xf32>, %c: memref<4x32xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<4x64xbf16>, memref<32x64xf32>)
      outs(%c : memref<4x32xf32>)
  return
}
