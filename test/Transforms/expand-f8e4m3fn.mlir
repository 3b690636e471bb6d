// RUN: attn-opt %s --attn-expand-f8e4m3fn | FileCheck %s
// f8E4M3FN conversions and constants become i8 bitcasts around integer
// and f32 arithmetic; kv-cache-quantized.mlir runs them against a
// float64 reference of the rounding.

// CHECK-LABEL: func.func @convert(
// CHECK-SAME:      %[[X:.*]]: f32, %[[Y:.*]]: f8E4M3FN, %[[H:.*]]: bf16)
// CHECK-NOT:     arith.truncf %{{.*}} to f8E4M3FN
// CHECK-NOT:     arith.extf %{{.*}} : f8E4M3FN
// CHECK-DAG:     %[[BITS:.*]] = arith.bitcast %[[X]] : f32 to i32
// CHECK-DAG:     math.roundeven
// CHECK-DAG:     %[[BYTE:.*]] = arith.trunci %{{.*}} : i32 to i8
// CHECK-DAG:     %[[T:.*]] = arith.bitcast %[[BYTE]] : i8 to f8E4M3FN
// CHECK-DAG:     %[[CODE:.*]] = arith.bitcast %[[Y]] : f8E4M3FN to i8
// CHECK-DAG:     arith.extui %[[CODE]] : i8 to i32
// CHECK-DAG:     arith.uitofp %{{.*}} : i32 to f32
// CHECK-DAG:     %[[E:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK-DAG:     %[[HW:.*]] = arith.extf %[[H]] : bf16 to f32
// CHECK-DAG:     %[[K:.*]] = arith.constant 56 : i8
// CHECK-DAG:     %[[ONE:.*]] = arith.bitcast %[[K]] : i8 to f8E4M3FN
// CHECK:         return %[[T]], %[[E]], %{{.*}}, %[[ONE]]
func.func @convert(%x: f32, %y: f8E4M3FN, %h: bf16)
    -> (f8E4M3FN, bf16, f8E4M3FN, f8E4M3FN) {
  %a = arith.truncf %x : f32 to f8E4M3FN
  %b = arith.extf %y : f8E4M3FN to bf16
  %c = arith.truncf %h : bf16 to f8E4M3FN
  %one = arith.constant 1.0 : f8E4M3FN
  return %a, %b, %c, %one : f8E4M3FN, bf16, f8E4M3FN, f8E4M3FN
}

// An f64 source would round twice through f32: left alone.
// CHECK-LABEL: func.func @from_f64(
// CHECK:         arith.truncf %{{.*}} : f64 to f8E4M3FN
func.func @from_f64(%x: f64) -> f8E4M3FN {
  %a = arith.truncf %x : f64 to f8E4M3FN
  return %a : f8E4M3FN
}
