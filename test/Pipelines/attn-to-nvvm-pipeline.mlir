// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa schedule=scalar" -split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-fuse-repeat-kv --convert-attn-to-gpu=schedule=scalar -split-input-file | FileCheck %s --check-prefix=FUSED --implicit-check-not=32x32x128 --implicit-check-not=8x4x128
// RUN: attn-opt %s --convert-attn-to-gpu=schedule=scalar -split-input-file | FileCheck %s --check-prefix=UNFUSED
// attn-to-nvvm-pipeline on llama2-style GQA (repeat_kv, and its upstream spelling): host code in the LLVM dialect launching one kernel per KV head, whose PTX for sm_90a stages K/V in shared memory; the repeated K/V never exists.

// llama2 chunked prefill: 16 new tokens attend over 32 keys (16 cached + 16
// new), 32 query heads, 8 KV heads. Sk != Sq, so the repeated K/V type
// (2x32x32x128) differs from every other type in the module.

// CHECK-LABEL: llvm.func @llama2_chunk(
// CHECK-NOT:     attn.
// CHECK-NOT:     linalg.
// Grid: (q-tiles, KV heads, batch) = (1, 8, 2), 128 threads.
// CHECK-DAG:     %[[C8:.+]] = llvm.mlir.constant(8 : index) : i64
// CHECK-DAG:     %[[C2:.+]] = llvm.mlir.constant(2 : index) : i64
// CHECK-DAG:     %[[C128:.+]] = llvm.mlir.constant(128 : index) : i64
// CHECK-DAG:     %[[C1:.+]] = llvm.mlir.constant(1 : index) : i64
// One stream for the whole function: the output's allocation and the
// launch are queued on it, and the host waits once, before returning.
// CHECK:         %[[S:.+]] = llvm.call @mgpuStreamCreate()
// CHECK:         llvm.call @mgpuMemAlloc(%{{.+}}, %[[S]], %{{.+}})
// CHECK:         gpu.launch_func <%[[S]] : !llvm.ptr> @llama2_chunk_kernel::@llama2_chunk_kernel blocks in (%[[C1]], %[[C8]], %[[C2]]) threads in (%[[C128]], %[[C1]], %[[C1]])
// CHECK-NEXT:    llvm.call @mgpuStreamSynchronize(%[[S]])
// CHECK-NEXT:    llvm.call @mgpuStreamDestroy(%[[S]])
// CHECK-NEXT:    llvm.return
// The PTX sits in an MLIR string: newlines are \0A, tabs \09.
// CHECK:       gpu.binary @llama2_chunk_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80"
// CHECK-SAME:    assembly = "
// CHECK-SAME:    \0A.target sm_90a\0A
// CHECK-SAME:    \0A.visible .entry llama2_chunk_kernel(\0A
// The two K/V tiles, 32 keys x 128 f16 each.
// CHECK-SAME:    \09.shared .align 2 .b8 __wg_llama2_chunk_kernel_0[8192];
// CHECK-SAME:    \09.shared .align 2 .b8 __wg_llama2_chunk_kernel_1[8192];
// CHECK-SAME:    \09bar.sync \090;
// CHECK-SAME:    \09ld.shared.
// CHECK-SAME:    \09ex2.approx
// CHECK-SAME:    \09ret;\0A\0A}\0A"

// Stage check: the kernel reads K and V as the model gave them (8 heads).
// FUSED-LABEL: func.func @llama2_chunk(
// FUSED-SAME:      %{{[^:]+}}: tensor<2x16x32x128xf16>, %[[K:[^:]+]]: tensor<2x32x8x128xf16>, %[[V:[^:]+]]: tensor<2x32x8x128xf16>
// FUSED-DAG:     bufferization.to_buffer %[[K]] read_only : tensor<2x32x8x128xf16> to memref<2x32x8x128xf16>
// FUSED-DAG:     bufferization.to_buffer %[[V]] read_only : tensor<2x32x8x128xf16> to memref<2x32x8x128xf16>
// FUSED:         gpu.launch

// Without the fusion the repeated K/V is there: the FUSED checks can fail.
// UNFUSED-LABEL: func.func @llama2_chunk(
// UNFUSED:         attn.repeat_kv %{{.+}} : tensor<2x32x8x128xf16> -> tensor<2x32x32x128xf16>
func.func @llama2_chunk(%xq: tensor<2x16x32x128xf16>, %keys: tensor<2x32x8x128xf16>,
                        %values: tensor<2x32x8x128xf16>) -> tensor<2x16x32x128xf16> {
  %k = attn.repeat_kv %keys, n_rep = 4 : tensor<2x32x8x128xf16> -> tensor<2x32x32x128xf16>
  %v = attn.repeat_kv %values, n_rep = 4 : tensor<2x32x8x128xf16> -> tensor<2x32x32x128xf16>
  %e0 = tensor.empty() : tensor<2x32x16x128xf16>
  %qt = linalg.transpose ins(%xq : tensor<2x16x32x128xf16>) outs(%e0 : tensor<2x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<2x32x32x128xf16>
  %kt = linalg.transpose ins(%k : tensor<2x32x32x128xf16>) outs(%e1 : tensor<2x32x32x128xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<2x32x32x128xf16>
  %vt = linalg.transpose ins(%v : tensor<2x32x32x128xf16>) outs(%e2 : tensor<2x32x32x128xf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt {causal, layout = #attn.layout<bhsd>}
      : tensor<2x32x16x128xf16>, tensor<2x32x32x128xf16>, tensor<2x32x32x128xf16>
      -> tensor<2x32x16x128xf16>
  %e3 = tensor.empty() : tensor<2x16x32x128xf16>
  %ot = linalg.transpose ins(%o : tensor<2x32x16x128xf16>) outs(%e3 : tensor<2x16x32x128xf16>) permutation = [0, 2, 1, 3]
  return %ot : tensor<2x16x32x128xf16>
}

// -----

// The same with repeat_kv spelled as broadcast + collapse_shape: unfused,
// the broadcast would become a 2x32x8x4x128 buffer on the host.

// The one buffer the host allocates is the output, on the device.
// CHECK-LABEL: llvm.func @llama2_chunk_upstream(
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.call @mgpuMemAlloc
// CHECK-NOT:     llvm.call @malloc
// CHECK-NOT:     llvm.call @mgpuMemAlloc
// CHECK:         gpu.launch_func <%{{.+}} : !llvm.ptr> @llama2_chunk_upstream_kernel::@llama2_chunk_upstream_kernel
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.return
// CHECK:       gpu.binary @llama2_chunk_upstream_kernel
// CHECK-SAME:    \0A.visible .entry llama2_chunk_upstream_kernel(\0A

// FUSED-LABEL: func.func @llama2_chunk_upstream(
// FUSED-SAME:      %{{[^:]+}}: tensor<2x16x32x128xf16>, %[[K:[^:]+]]: tensor<2x32x8x128xf16>
// FUSED:         bufferization.to_buffer %[[K]] read_only : tensor<2x32x8x128xf16> to memref<2x32x8x128xf16>
// FUSED:         gpu.launch

// UNFUSED-LABEL: func.func @llama2_chunk_upstream(
// UNFUSED:         linalg.broadcast ins(%{{.+}} : tensor<2x32x8x128xf16>) outs(%{{.+}} : tensor<2x32x8x4x128xf16>)
func.func @llama2_chunk_upstream(%xq: tensor<2x16x32x128xf16>, %keys: tensor<2x32x8x128xf16>,
                                 %values: tensor<2x32x8x128xf16>) -> tensor<2x16x32x128xf16> {
  %ek = tensor.empty() : tensor<2x32x8x4x128xf16>
  %bk = linalg.broadcast ins(%keys : tensor<2x32x8x128xf16>) outs(%ek : tensor<2x32x8x4x128xf16>) dimensions = [3]
  %k = tensor.collapse_shape %bk [[0], [1], [2, 3], [4]] : tensor<2x32x8x4x128xf16> into tensor<2x32x32x128xf16>
  %ev = tensor.empty() : tensor<2x32x8x4x128xf16>
  %bv = linalg.broadcast ins(%values : tensor<2x32x8x128xf16>) outs(%ev : tensor<2x32x8x4x128xf16>) dimensions = [3]
  %v = tensor.collapse_shape %bv [[0], [1], [2, 3], [4]] : tensor<2x32x8x4x128xf16> into tensor<2x32x32x128xf16>
  %e0 = tensor.empty() : tensor<2x32x16x128xf16>
  %qt = linalg.transpose ins(%xq : tensor<2x16x32x128xf16>) outs(%e0 : tensor<2x32x16x128xf16>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<2x32x32x128xf16>
  %kt = linalg.transpose ins(%k : tensor<2x32x32x128xf16>) outs(%e1 : tensor<2x32x32x128xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<2x32x32x128xf16>
  %vt = linalg.transpose ins(%v : tensor<2x32x32x128xf16>) outs(%e2 : tensor<2x32x32x128xf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt {causal, layout = #attn.layout<bhsd>}
      : tensor<2x32x16x128xf16>, tensor<2x32x32x128xf16>, tensor<2x32x32x128xf16>
      -> tensor<2x32x16x128xf16>
  %e3 = tensor.empty() : tensor<2x16x32x128xf16>
  %ot = linalg.transpose ins(%o : tensor<2x32x16x128xf16>) outs(%e3 : tensor<2x16x32x128xf16>) permutation = [0, 2, 1, 3]
  return %ot : tensor<2x16x32x128xf16>
}
