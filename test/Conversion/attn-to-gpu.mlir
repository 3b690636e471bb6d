// RUN: attn-opt %s --convert-attn-to-gpu=schedule=scalar -split-input-file -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="schedule=scalar threads=256 q-tile=32 kv-tile=16" -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=OPTS
// RUN: not attn-opt %s --convert-attn-to-gpu="threads=2048" 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not attn-opt %s --convert-attn-to-gpu="q-tile=0" 2>&1 | FileCheck %s --check-prefix=QTILE
// convert-attn-to-gpu: attention becomes one gpu.launch per op (a block per q-tile, KV head and batch) with K/V tiles in workgroup memory in the element type, per-row softmax state in private memory, barriers around each tile load, and a device output (gpu.alloc); dynamic head_dim and bad options are rejected.

// THREADS: error: convert-attn-to-gpu: q-tile (64) and kv-tile (32) must lie in [1, 4096] and threads (2048) in [1, 1024]
// QTILE: error: convert-attn-to-gpu: q-tile (0) and kv-tile (32) must lie in [1, 4096] and threads (128) in [1, 1024]

// CHECK-LABEL: func.func @gqa(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x128x32x128xf16>, %[[K:[^:]+]]: tensor<1x128x8x128xf16>, %[[V:[^:]+]]: tensor<1x128x8x128xf16>
// CHECK-NOT:     attn.attention
// CHECK-DAG:     %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<1x128x32x128xf16> to memref<1x128x32x128xf16>
// CHECK-DAG:     %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only : tensor<1x128x8x128xf16> to memref<1x128x8x128xf16>
// CHECK-DAG:     %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only : tensor<1x128x8x128xf16> to memref<1x128x8x128xf16>
// The output is allocated on the device, in the synchronous form that the
// pipeline's gpu-async-region queues on the kernels' stream: no waits here.
// CHECK-NOT:     gpu.wait
// CHECK:         %[[OUT:[^ ,]+]] = gpu.alloc () : memref<1x128x32x128xf16>
// CHECK-NOT:     gpu.wait
// CHECK-DAG:     %[[NB:.+]] = memref.dim %[[QB]], %c0{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[SQ:.+]] = memref.dim %[[QB]], %c1{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[HKV:.+]] = memref.dim %[[KB]], %c2{{(_[0-9]+)?}} :
// CHECK:         %[[NT:.+]] = arith.ceildivui %[[SQ]], %c64{{(_[0-9]+)?}} : index
// CHECK:         %[[NTH:.+]] = arith.constant 128 : index
// CHECK:         gpu.launch blocks(%[[BX:[^ ,)]+]], %[[BY:[^ ,)]+]], %[[BZ:[^ ,)]+]]) in (%{{.+}} = %[[NT]], %{{.+}} = %[[HKV]], %{{.+}} = %[[NB]])
// CHECK-SAME:        threads(%[[TX:[^ ,)]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[NTH]], %{{.+}} = %[[ONE:[^ ,)]+]], %{{.+}} = %[[ONE]])
// CHECK-SAME:        workgroup(%[[KT:[^ ,)]+]] : memref<32x128xf16, #gpu.address_space<workgroup>>, %[[VT:[^ ,)]+]] : memref<32x128xf16, #gpu.address_space<workgroup>>)
// CHECK-SAME:        private(%[[MAX:[^ ,)]+]] : memref<1xf32, #gpu.address_space<private>>, %[[SUM:[^ ,)]+]] : memref<1xf32, #gpu.address_space<private>>, %[[ACC:[^ ,)]+]] : memref<1x128xf32, #gpu.address_space<private>>, %[[SC:[^ ,)]+]] : memref<1x32xf32, #gpu.address_space<private>>)
// Rows are handed out 128 (threads) at a time; the KV loop steps by kv-tile.
// CHECK:           scf.for %[[CHUNK:.+]] = %{{.+}} to %{{.+}} step %c128{{(_[0-9]+)?}} {
// CHECK:             %[[ROW:.+]] = arith.addi %[[CHUNK]], %[[TX]] : index
// CHECK:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c32{{(_[0-9]+)?}} {
// CHECK-NEXT:          gpu.barrier
// Threads share the tile copy: thread tx copies entries tx, tx + 128, ...
// CHECK:               scf.for %[[JJ:.+]] = %[[TX]] to %c32{{(_[0-9]+)?}} step %c128{{(_[0-9]+)?}} {
// CHECK:                 %[[KE:.+]] = memref.load %[[KB]][%[[BZ]], %{{.+}}, %[[BY]], %{{.+}}] : memref<1x128x8x128xf16>
// CHECK:                 memref.store %[[KE]], %[[KT]][%[[JJ]], %{{.+}}] : memref<32x128xf16, #gpu.address_space<workgroup>>
// CHECK:                 %[[VE:.+]] = memref.load %[[VB]][%[[BZ]], %{{.+}}, %[[BY]], %{{.+}}] : memref<1x128x8x128xf16>
// CHECK:                 memref.store %[[VE]], %[[VT]][%[[JJ]], %{{.+}}] : memref<32x128xf16, #gpu.address_space<workgroup>>
// CHECK:               gpu.barrier
// CHECK:                 memref.load %[[KT]]
// CHECK:                 arith.maximumf
// CHECK:                 math.exp
// CHECK:                 memref.store %{{.+}}, %[[ACC]]
// CHECK:             memref.store %{{.+}}, %[[OUT]][%[[BZ]], %{{.+}}, %{{.+}}, %{{.+}}] : memref<1x128x32x128xf16>
// CHECK:           gpu.terminator
// CHECK:         %[[R:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<1x128x32x128xf16> to tensor<1x128x32x128xf16>
// CHECK-NOT:     attn.attention
// CHECK:         return %[[R]]

// OPTS-LABEL: func.func @gqa(
// OPTS:         arith.ceildivui %{{.+}}, %c32{{(_[0-9]+)?}} : index
// OPTS:         %[[NTH:.+]] = arith.constant 256 : index
// OPTS:         gpu.launch blocks({{.*}}) threads({{.*}}) in (%{{.+}} = %[[NTH]],
// OPTS-SAME:        workgroup(%{{.+}} : memref<16x128xf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<16x128xf16, #gpu.address_space<workgroup>>)
// OPTS-SAME:        private({{.*}}, %{{.+}} : memref<1x16xf32, #gpu.address_space<private>>)
// OPTS:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c256{{(_[0-9]+)?}} {
// OPTS:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16{{(_[0-9]+)?}} {
func.func @gqa(%q: tensor<1x128x32x128xf16>, %k: tensor<1x128x8x128xf16>,
               %v: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>
      -> tensor<1x128x32x128xf16>
  return %o : tensor<1x128x32x128xf16>
}

// -----

// bf16 with a value head_dim (32) other than head_dim (64): each tile and
// the accumulator take their own width; causal bounds the KV loop with minsi.
// CHECK-LABEL: func.func @causal_bf16_value_dim(
// CHECK:         gpu.launch
// CHECK-SAME:        workgroup(%{{.+}} : memref<32x64xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x32xbf16, #gpu.address_space<workgroup>>)
// CHECK-SAME:        private(%{{.+}} : memref<1xf32, #gpu.address_space<private>>, %{{.+}} : memref<1xf32, #gpu.address_space<private>>, %{{.+}} : memref<1x32xf32, #gpu.address_space<private>>, %{{.+}} : memref<1x32xf32, #gpu.address_space<private>>)
// CHECK:           %[[POS:.+]] = arith.maxsi
// CHECK:           %[[END:.+]] = arith.minsi %[[POS]], %{{.+}} : index
// CHECK:           scf.for
// CHECK:             scf.for %{{.+}} = %{{.+}} to %[[END]] step %c32{{(_[0-9]+)?}} {
// CHECK:         bufferization.to_tensor %{{.+}} : memref<2x64x16x32xbf16> to tensor<2x64x16x32xbf16>
func.func @causal_bf16_value_dim(%q: tensor<2x64x16x64xbf16>, %k: tensor<2x64x4x64xbf16>,
                                 %v: tensor<2x64x4x32xbf16>) -> tensor<2x64x16x32xbf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<2x64x16x64xbf16>, tensor<2x64x4x64xbf16>, tensor<2x64x4x32xbf16>
      -> tensor<2x64x16x32xbf16>
  return %o : tensor<2x64x16x32xbf16>
}

// -----

// f64 keeps its running state in f64.
// CHECK-LABEL: func.func @f64(
// CHECK:         gpu.launch
// CHECK-SAME:        workgroup(%{{.+}} : memref<32x16xf64, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x16xf64, #gpu.address_space<workgroup>>)
// CHECK-SAME:        private(%{{.+}} : memref<1xf64, #gpu.address_space<private>>, %{{.+}} : memref<1xf64, #gpu.address_space<private>>, %{{.+}} : memref<1x16xf64, #gpu.address_space<private>>, %{{.+}} : memref<1x32xf64, #gpu.address_space<private>>)
func.func @f64(%q: tensor<1x8x2x16xf64>, %k: tensor<1x8x2x16xf64>,
               %v: tensor<1x8x2x16xf64>) -> tensor<1x8x2x16xf64> {
  %o = attn.attention %q, %k, %v
      : tensor<1x8x2x16xf64>, tensor<1x8x2x16xf64>, tensor<1x8x2x16xf64>
      -> tensor<1x8x2x16xf64>
  return %o : tensor<1x8x2x16xf64>
}

// -----

// Dynamic batch and sequence, a sliding window and a mask: the output is
// sized at runtime, the KV loop starts at the window's first tile, and the
// mask is read inside the kernel.
// CHECK-LABEL: func.func @dynamic_window_mask(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<?x?x8x64xf16>, %{{[^:]+}}: tensor<?x?x2x64xf16>, %{{[^:]+}}: tensor<?x?x2x64xf16>, %[[M:[^:]+]]: tensor<?x8x?x?xf32>
// CHECK-DAG:     %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only
// CHECK-DAG:     %[[MB:.+]] = bufferization.to_buffer %[[M]] read_only : tensor<?x8x?x?xf32> to memref<?x8x?x?xf32>
// CHECK-DAG:     %[[B:.+]] = memref.dim %[[QB]], %c0{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[S:.+]] = memref.dim %[[QB]], %c1{{(_[0-9]+)?}} :
// CHECK:         %[[OUT:[^ ,]+]] = gpu.alloc (%[[B]], %[[S]]) : memref<?x?x8x64xf16>
// CHECK:         gpu.launch
// CHECK:           %[[T:.+]] = arith.divui %{{.+}}, %[[KVT:c32(_[0-9]+)?]] : index
// CHECK:           %[[BEGIN:.+]] = arith.muli %[[T]], %[[KVT]] : index
// CHECK:             scf.for %{{.+}} = %[[BEGIN]] to %{{.+}} step %c32{{(_[0-9]+)?}} {
// CHECK:                 memref.load %[[MB]][%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : memref<?x8x?x?xf32>
func.func @dynamic_window_mask(%q: tensor<?x?x8x64xf16>, %k: tensor<?x?x2x64xf16>,
                               %v: tensor<?x?x2x64xf16>, %m: tensor<?x8x?x?xf32>)
    -> tensor<?x?x8x64xf16> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<?x8x?x?xf32>) {window = 16}
      : tensor<?x?x8x64xf16>, tensor<?x?x2x64xf16>, tensor<?x?x2x64xf16>
      -> tensor<?x?x8x64xf16>
  return %o : tensor<?x?x8x64xf16>
}

// -----

// bhsd reads [b, h, s, d]: the KV head (block y) sits in dim 1.
// CHECK-LABEL: func.func @bhsd(
// CHECK:         %[[KB:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<1x2x64x32xf32>
// CHECK:         gpu.launch blocks(%{{[^ ,)]+}}, %[[BY:[^ ,)]+]], %[[BZ:[^ ,)]+]]) in
// CHECK:                 memref.load %[[KB]][%[[BZ]], %[[BY]], %{{.+}}, %{{.+}}] : memref<1x2x64x32xf32>
func.func @bhsd(%q: tensor<1x8x64x32xf32>, %k: tensor<1x2x64x32xf32>,
                %v: tensor<1x2x64x32xf32>) -> tensor<1x8x64x32xf32> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>}
      : tensor<1x8x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>
      -> tensor<1x8x64x32xf32>
  return %o : tensor<1x8x64x32xf32>
}

// -----

// The INT64_MIN that stands for the dynamic extent is left unchecked (it
// would read better as '?').
func.func @dynamic_head_dim(%q: tensor<1x128x8x?xf16>, %k: tensor<1x128x8x?xf16>,
                            %v: tensor<1x128x8x64xf16>) -> tensor<1x128x8x64xf16> {
  // expected-error @+1 {{'attn.attention' op convert-attn-to-gpu needs a static head_dim (?) and value head_dim (64): they size the shared-memory tiles}}
  %o = attn.attention %q, %k, %v
      : tensor<1x128x8x?xf16>, tensor<1x128x8x?xf16>, tensor<1x128x8x64xf16>
      -> tensor<1x128x8x64xf16>
  return %o : tensor<1x128x8x64xf16>
}

// -----

func.func @dynamic_value_head_dim(%q: tensor<1x128x8x64xf16>, %k: tensor<1x128x8x64xf16>,
                                  %v: tensor<1x128x8x?xf16>) -> tensor<1x128x8x?xf16> {
  // expected-error @+1 {{'attn.attention' op convert-attn-to-gpu needs a static head_dim (64) and value head_dim (?): they size the shared-memory tiles}}
  %o = attn.attention %q, %k, %v
      : tensor<1x128x8x64xf16>, tensor<1x128x8x64xf16>, tensor<1x128x8x?xf16>
      -> tensor<1x128x8x?xf16>
  return %o : tensor<1x128x8x?xf16>
}

// -----

// Quantized K/V with scales: the scalar schedule dequantizes each element
// as it loads the tile, into workgroup tiles of the accumulator type (f32),
// reading each token's scale.
// CHECK-LABEL: func.func @quantized(
// CHECK:         gpu.launch
// CHECK-SAME:        workgroup(%{{.*}} : memref<32x64xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<32x64xf32, #gpu.address_space<workgroup>>)
// CHECK:           memref.load %{{.*}} : memref<1x128x2x64xi8>
// CHECK:           arith.sitofp
// CHECK:           memref.load %{{.*}} : memref<1x128x2xf32>
// CHECK:         attn.schedule = "scalar"
func.func @quantized(%q: tensor<1x16x8x64xf16>, %k: tensor<1x128x2x64xi8>,
                     %v: tensor<1x128x2x64xi8>, %ks: tensor<1x128x2xf32>,
                     %vs: tensor<1x128x2xf32>) -> tensor<1x16x8x64xf16> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x128x2xf32>, tensor<1x128x2xf32>)
      : tensor<1x16x8x64xf16>, tensor<1x128x2x64xi8>, tensor<1x128x2x64xi8>
      -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}

// -----

// Per-sequence key lengths: each block reads its sequence's length (block
// z is the batch index), clamps it into [0, Sk], and takes it as the key
// length of its KV loop and causal diagonal.
// CHECK-LABEL: func.func @kv_lengths(
// CHECK:         %[[N:.+]] = bufferization.to_buffer %{{.*}} read_only : tensor<2xi64> to memref<2xi64>
// CHECK:         gpu.launch blocks(%{{[^,]+}}, %{{[^,]+}}, %[[B:[^)]+]])
// CHECK:           scf.if
// CHECK:             memref.load %[[N]][%[[B]]] : memref<2xi64>
// CHECK:           arith.maxsi
// CHECK:           arith.minsi
func.func @kv_lengths(%q: tensor<2x1x8x64xf16>, %k: tensor<2x128x2x64xf16>,
                      %v: tensor<2x128x2x64xf16>, %n: tensor<2xi64>)
    -> tensor<2x1x8x64xf16> {
  %o = attn.attention %q, %k, %v lengths(%n : tensor<2xi64>) {causal}
      : tensor<2x1x8x64xf16>, tensor<2x128x2x64xf16>, tensor<2x128x2x64xf16>
      -> tensor<2x1x8x64xf16>
  return %o : tensor<2x1x8x64xf16>
}

// -----

// Head dims near the int64 limit are valid types; the size of their K/V
// tile must not wrap.
func.func @huge_head_dim(%q: tensor<1x1x1x2305843009213693952xf16>)
    -> tensor<1x1x1x2305843009213693952xf16> {
  // expected-error @+1 {{'attn.attention' op convert-attn-to-gpu: schedule scalar cannot run this attention: head_dim 2305843009213693952 and value head_dim 2305843009213693952 need more shared memory for one K/V tile than int64 counts}}
  %o = attn.attention %q, %q, %q
      : tensor<1x1x1x2305843009213693952xf16>, tensor<1x1x1x2305843009213693952xf16>,
        tensor<1x1x1x2305843009213693952xf16> -> tensor<1x1x1x2305843009213693952xf16>
  return %o : tensor<1x1x1x2305843009213693952xf16>
}
