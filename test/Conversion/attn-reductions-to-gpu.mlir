// RUN: attn-opt %s --attn-reductions-to-gpu -split-input-file | FileCheck %s

// An RMSNorm's sum of squares over rows of 64 (2 rows): a warp a row, its
// lanes striding the row, the squares summed in a register, the warp's
// sums folded by shuffles; the zero fill before it is taken over (lane 0
// stores the total).
// CHECK-LABEL: func.func @sum_of_squares(
// CHECK-SAME:      %[[X:[^:]+]]: memref<2x64xbf16>
// CHECK-NOT:     linalg.fill
// CHECK:         gpu.launch blocks({{.+}}) in ({{.+}} = %c1{{.*}}, {{.+}}) threads({{.+}}) in ({{.+}} = %c128
// CHECK:           %[[LANE:.+]] = arith.remui %{{.+}}, %c32
// CHECK:           scf.if
// CHECK:             %[[ROW:.+]] = arith.remui %{{.+}}, %c2
// CHECK:             scf.for %[[K:.+]] = %[[LANE]] to %c64{{.*}} step %c32{{.*}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (f32)
// CHECK:               %[[V:.+]] = memref.load %[[X]][%[[ROW]], %[[K]]]
// CHECK:               %[[W:.+]] = arith.extf %[[V]]
// CHECK:               %[[SQ:.+]] = arith.mulf %[[W]], %[[W]]
// CHECK:               %[[NEXT:.+]] = arith.addf %[[ACC]], %[[SQ]]
// CHECK:               scf.yield %[[NEXT]]
// CHECK-COUNT-5:     gpu.shuffle  xor
// CHECK:             scf.if
// CHECK-NOT:           memref.load
// CHECK:               memref.store %{{.+}}, %{{.+}}[%[[ROW]]]
// CHECK:         } {attn.schedule = "reduce-warp"}
// CHECK-NOT:     linalg.generic
func.func @sum_of_squares(%x: memref<2x64xbf16>) -> memref<2xf32> {
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<2xf32>
  linalg.fill ins(%zero : f32) outs(%s : memref<2xf32>)
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>,
                                   affine_map<(r, k) -> (r)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x64xbf16>) outs(%s : memref<2xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %w = arith.extf %in : bf16 to f32
    %sq = arith.mulf %w, %w : f32
    %sum = arith.addf %out, %sq : f32
    linalg.yield %sum : f32
  }
  return %s : memref<2xf32>
}

// -----

// Without a zero fill before it, the total is added into the output; the
// reduced dimension need not be the last (a column sum of a 3x8 matrix),
// and linalg.index reads the loop's indices (k of the reduced dimension).
// CHECK-LABEL: func.func @column_sums(
// CHECK-SAME:      %[[X:[^:]+]]: memref<3x8xf32>, %[[S:[^:]+]]: memref<8xf32>
// CHECK:         gpu.launch blocks({{.+}}) in ({{.+}} = %c2
// CHECK:             %[[COL:.+]] = arith.remui %{{.+}}, %c8
// CHECK:             scf.for %[[K:.+]] = %{{.+}} to %c3{{.*}} step %c32
// CHECK:               memref.load %[[X]][%[[K]], %[[COL]]]
// CHECK:               arith.index_cast %[[K]]
// CHECK:             gpu.shuffle  xor
// CHECK:             scf.if
// CHECK:               %[[OLD:.+]] = memref.load %[[S]][%[[COL]]]
// CHECK:               arith.addf %[[OLD]]
// CHECK:               memref.store %{{.+}}, %[[S]][%[[COL]]]
// CHECK:         } {attn.schedule = "reduce-warp"}
func.func @column_sums(%x: memref<3x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(k, c) -> (k, c)>,
                                   affine_map<(k, c) -> (c)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<3x8xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %k = linalg.index 0 : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %w = arith.mulf %in, %kf : f32
    %sum = arith.addf %w, %out : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// Left for convert-linalg-to-parallel-loops: a max, not a sum; a body that
// reads the output twice; an f16 output; no reduction; dynamic shapes; no
// rows.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-6: linalg.generic
func.func @left_alone(%x: memref<2x64xf32>, %s: memref<2xf32>, %h: memref<2xf16>,
                      %y: memref<2x64xf32>, %d: memref<?x64xf32>, %ds: memref<?xf32>,
                      %e: memref<0x64xf32>, %es: memref<0xf32>) {
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>,
                                   affine_map<(r, k) -> (r)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%e : memref<0x64xf32>) outs(%es : memref<0xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sum = arith.addf %out, %in : f32
    linalg.yield %sum : f32
  }
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>,
                                   affine_map<(r, k) -> (r)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x64xf32>) outs(%s : memref<2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>,
                                   affine_map<(r, k) -> (r)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x64xf32>) outs(%s : memref<2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.mulf %out, %in : f32
    %sum = arith.addf %out, %t : f32
    linalg.yield %sum : f32
  }
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>,
                                   affine_map<(r, k) -> (r)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x64xf32>) outs(%h : memref<2xf16>) {
  ^bb0(%in: f32, %out: f16):
    %t = arith.truncf %in : f32 to f16
    %sum = arith.addf %out, %t : f16
    linalg.yield %sum : f16
  }
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>,
                                   affine_map<(r, k) -> (r, k)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<2x64xf32>) outs(%y : memref<2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sum = arith.addf %out, %in : f32
    linalg.yield %sum : f32
  }
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>,
                                   affine_map<(r, k) -> (r)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%d : memref<?x64xf32>) outs(%ds : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sum = arith.addf %out, %in : f32
    linalg.yield %sum : f32
  }
  return
}
