// RUN: attn-opt %s --attn-tile-attention -split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-tile-attention="q-tile=16 kv-tile=32" -split-input-file | FileCheck %s --check-prefix=TILES
// RUN: attn-opt %s --attn-tile-attention --canonicalize -split-input-file | FileCheck %s --check-prefix=CANON
// RUN: not attn-opt %s --attn-tile-attention="q-tile=0" 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not attn-opt %s --attn-tile-attention="kv-tile=-4" 2>&1 | FileCheck %s --check-prefix=ERR-KV
// RUN: not attn-opt %s --attn-tile-attention="kv-tile=4097" 2>&1 | FileCheck %s --check-prefix=ERR-BIG
// attn-tile-attention: attention becomes FlashAttention-2 loops on memrefs (parallel over batch, KV head and q-tile; sequential over KV tiles), with causal/window tile skipping, the mask, GQA row packing and the tile-size options (out-of-range ones are rejected).

// ERR: error: attn-tile-attention: q-tile (0) and kv-tile (64) must lie in [1, 4096]
// ERR-KV: error: attn-tile-attention: q-tile (64) and kv-tile (-4) must lie in [1, 4096]
// ERR-BIG: error: attn-tile-attention: q-tile (64) and kv-tile (4097) must lie in [1, 4096]

// CHECK-LABEL: func.func @mha(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x128x8x64xf16>, %[[K:[^:]+]]: tensor<1x128x8x64xf16>, %[[V:[^:]+]]: tensor<1x128x8x64xf16>
// CHECK-NOT:     attn.attention
// CHECK-DAG:     %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<1x128x8x64xf16> to memref<1x128x8x64xf16>
// CHECK-DAG:     %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only : tensor<1x128x8x64xf16> to memref<1x128x8x64xf16>
// CHECK-DAG:     %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only : tensor<1x128x8x64xf16> to memref<1x128x8x64xf16>
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<1x128x8x64xf16>
// CHECK-DAG:     %[[NB:.+]] = memref.dim %[[QB]], %c0{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[SQ:.+]] = memref.dim %[[QB]], %c1{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[SK:.+]] = memref.dim %[[KB]], %c1{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[HKV:.+]] = memref.dim %[[KB]], %c2{{(_[0-9]+)?}} :
// CHECK:         %[[NT:.+]] = arith.ceildivui %[[SQ]], %c64{{(_[0-9]+)?}} : index
// CHECK:         scf.parallel (%[[BI:.+]], %[[KVH:.+]], %[[QT:.+]]) = (%{{.+}}) to (%[[NB]], %[[HKV]], %[[NT]])
// CHECK:           memref.alloc(%{{.+}}) : memref<?x64xf32>
// CHECK:           memref.alloc(%{{.+}}) : memref<64x?xf16>
// CHECK:           memref.alloc(%{{.+}}) : memref<64x?xf16>
// CHECK:           scf.for %[[KVS:.+]] = %c0{{(_[0-9]+)?}} to %[[SK]] step %c64{{(_[0-9]+)?}} {
// CHECK:             memref.load %[[KB]][%[[BI]], %{{.+}}, %[[KVH]], %{{.+}}] : memref<1x128x8x64xf16>
// CHECK:             memref.load %[[VB]][%[[BI]], %{{.+}}, %[[KVH]], %{{.+}}] : memref<1x128x8x64xf16>
// CHECK:             memref.load %[[QB]][%[[BI]], %{{.+}}, %{{.+}}, %{{.+}}] : memref<1x128x8x64xf16>
// CHECK:             arith.maximumf
// CHECK:             math.exp
// CHECK:           memref.store %{{.+}}, %[[OUT]][%[[BI]], %{{.+}}, %{{.+}}, %{{.+}}] : memref<1x128x8x64xf16>
// CHECK:           scf.reduce
// CHECK:         %[[R:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<1x128x8x64xf16> to tensor<1x128x8x64xf16>
// CHECK-NOT:     attn.attention
// CHECK:         return %[[R]]

// TILES-LABEL: func.func @mha(
// TILES:         arith.ceildivui %{{.+}}, %c16{{(_[0-9]+)?}} : index
// TILES:         scf.parallel
// TILES:           memref.alloc(%{{.+}}) : memref<?x32xf32>
// TILES:           memref.alloc(%{{.+}}) : memref<32x?xf16>
// TILES:           memref.alloc(%{{.+}}) : memref<32x?xf16>
// TILES:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c32{{(_[0-9]+)?}} {

// CANON-LABEL: func.func @mha(
// CANON-DAG:     memref.alloc() : memref<64xf32>
// CANON-DAG:     memref.alloc() : memref<64x64xf32>
// CANON-DAG:     memref.alloc() : memref<64x64xf16>
func.func @mha(%q: tensor<1x128x8x64xf16>, %k: tensor<1x128x8x64xf16>,
               %v: tensor<1x128x8x64xf16>) -> tensor<1x128x8x64xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<1x128x8x64xf16>, tensor<1x128x8x64xf16>, tensor<1x128x8x64xf16>
      -> tensor<1x128x8x64xf16>
  return %o : tensor<1x128x8x64xf16>
}

// -----

// Causal: the KV loop stops at the last key the tile's last row sees,
// min(max(min(qStart + q-tile, Sq) + (Sk - Sq), 0), Sk), so tiles past the
// diagonal are never visited; rows clip to their own diagonal inside a tile.
// CHECK-LABEL: func.func @causal(
// CHECK:         %[[QB:.+]] = bufferization.to_buffer
// CHECK:         %[[KB:.+]] = bufferization.to_buffer
// CHECK-DAG:     %[[SQ:.+]] = memref.dim %[[QB]], %c1{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[SK:.+]] = memref.dim %[[KB]], %c1{{(_[0-9]+)?}} :
// CHECK:         %[[DIAG:.+]] = arith.subi %[[SK]], %[[SQ]] : index
// CHECK:         scf.parallel (%{{.+}}, %{{.+}}, %[[QT:.+]]) =
// CHECK:           %[[QS:.+]] = arith.muli %[[QT]], %c64{{(_[0-9]+)?}} : index
// CHECK:           %[[QE0:.+]] = arith.addi %[[QS]], %c64{{(_[0-9]+)?}} : index
// CHECK:           %[[QE:.+]] = arith.minsi %[[QE0]], %[[SQ]] : index
// CHECK:           %[[LAST:.+]] = arith.addi %[[QE]], %[[DIAG]] : index
// CHECK:           %[[POS:.+]] = arith.maxsi %[[LAST]], %c0{{(_[0-9]+)?}} : index
// CHECK:           %[[END:.+]] = arith.minsi %[[POS]], %[[SK]] : index
// CHECK:           scf.for %{{.+}} = %c0{{(_[0-9]+)?}} to %[[END]] step %c64{{(_[0-9]+)?}} {
// CHECK:             arith.minsi
// CHECK:             math.exp

// Here Sq = Sk = 128: the bound folds to min(qStart + 64, 128).
// CANON-LABEL: func.func @causal(
// CANON:         scf.parallel (%{{.+}}, %[[QT:.+]]) = (%c0, %c0) to (%c8, %c2)
// CANON:           %[[QS:.+]] = arith.muli %[[QT]], %c64 : index
// CANON:           %[[QE0:.+]] = arith.addi %[[QS]], %c64 : index
// CANON:           %[[END:.+]] = arith.minsi %[[QE0]], %c128 : index
// CANON:           scf.for %{{.+}} = %c0 to %{{.+}} step %c64 {
func.func @causal(%q: tensor<1x128x8x64xf16>, %k: tensor<1x128x8x64xf16>,
                  %v: tensor<1x128x8x64xf16>) -> tensor<1x128x8x64xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x128x8x64xf16>, tensor<1x128x8x64xf16>, tensor<1x128x8x64xf16>
      -> tensor<1x128x8x64xf16>
  return %o : tensor<1x128x8x64xf16>
}

// -----

// Sliding window of 32: the KV loop starts at the tile holding key
// qStart + (Sk - Sq) - 31, rounded down to a whole KV tile.
// CHECK-LABEL: func.func @window(
// CHECK:         %[[QB:.+]] = bufferization.to_buffer
// CHECK:         %[[KB:.+]] = bufferization.to_buffer
// CHECK-DAG:     %[[SQ:.+]] = memref.dim %[[QB]], %c1{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[SK:.+]] = memref.dim %[[KB]], %c1{{(_[0-9]+)?}} :
// CHECK:         %[[DIAG:.+]] = arith.subi %[[SK]], %[[SQ]] : index
// CHECK:         scf.parallel (%{{.+}}, %{{.+}}, %[[QT:.+]]) =
// CHECK:           %[[QS:.+]] = arith.muli %[[QT]], %c64{{(_[0-9]+)?}} : index
// CHECK:           %[[D:.+]] = arith.addi %[[QS]], %[[DIAG]] : index
// CHECK:           %[[FIRST:.+]] = arith.addi %[[D]], %c-31{{(_[0-9]+)?}} : index
// CHECK:           %[[POS:.+]] = arith.maxsi %[[FIRST]], %c0{{(_[0-9]+)?}} : index
// CHECK:           %[[TILE:.+]] = arith.divui %[[POS]], %[[KVT:c64(_[0-9]+)?]] : index
// CHECK:           %[[BEGIN:.+]] = arith.muli %[[TILE]], %[[KVT]] : index
// CHECK:           scf.for %{{.+}} = %[[BEGIN]] to %[[SK]] step %c64{{(_[0-9]+)?}} {
// CHECK:             arith.maxsi
// CHECK:             math.exp

// TILES-LABEL: func.func @window(
// TILES:         arith.divui %{{.+}}, %[[KVT:c32(_[0-9]+)?]] : index
// TILES:         %[[BEGIN:.+]] = arith.muli %{{.+}}, %[[KVT]] : index
// TILES:         scf.for %{{.+}} = %[[BEGIN]] to %{{.+}} step %c32{{(_[0-9]+)?}} {
func.func @window(%q: tensor<1x128x8x64xf32>, %k: tensor<1x128x8x64xf32>,
                  %v: tensor<1x128x8x64xf32>) -> tensor<1x128x8x64xf32> {
  %o = attn.attention %q, %k, %v {window = 32}
      : tensor<1x128x8x64xf32>, tensor<1x128x8x64xf32>, tensor<1x128x8x64xf32>
      -> tensor<1x128x8x64xf32>
  return %o : tensor<1x128x8x64xf32>
}

// -----

// The mask enters as a buffer and is added to each scaled score; a mask
// dimension of extent 1 broadcasts (index 0).
// CHECK-LABEL: func.func @mask(
// CHECK-SAME:      %[[M:[^:]+]]: tensor<1x1x128x128xf32>
// CHECK:         %[[MB:.+]] = bufferization.to_buffer %[[M]] read_only : tensor<1x1x128x128xf32> to memref<1x1x128x128xf32>
// CHECK:         scf.parallel (%[[BI:.+]], %{{.+}}, %{{.+}}) =
// CHECK:           scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[MX:.+]] = %{{.+}}) -> (f32) {
// CHECK:             %[[DOT:.+]] = scf.for
// CHECK:             %[[S:.+]] = arith.mulf %[[DOT]], %{{.+}} : f32
// CHECK:             %[[D0:.+]] = memref.dim %[[MB]], %c0{{(_[0-9]+)?}}
// CHECK:             %[[ONE0:.+]] = arith.cmpi eq, %[[D0]], %c1{{(_[0-9]+)?}} : index
// CHECK:             %[[B:.+]] = arith.select %[[ONE0]], %c0{{(_[0-9]+)?}}, %[[BI]] : index
// CHECK:             %[[MV:.+]] = memref.load %[[MB]][%[[B]], %{{.+}}, %{{.+}}, %[[J]]] : memref<1x1x128x128xf32>
// CHECK:             %[[SM:.+]] = arith.addf %[[S]], %[[MV]] : f32
// CHECK:             arith.maximumf %[[MX]], %[[SM]] : f32
func.func @mask(%q: tensor<1x128x8x64xf16>, %k: tensor<1x128x8x64xf16>,
                %v: tensor<1x128x8x64xf16>, %m: tensor<1x1x128x128xf32>) -> tensor<1x128x8x64xf16> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x128x128xf32>)
      : tensor<1x128x8x64xf16>, tensor<1x128x8x64xf16>, tensor<1x128x8x64xf16>
      -> tensor<1x128x8x64xf16>
  return %o : tensor<1x128x8x64xf16>
}

// -----

// GQA (32 query heads, 8 KV heads): one parallel iteration per KV head, whose
// tile holds 4 heads x 64 positions = 256 rows sharing each 64x128 K/V tile.
// CHECK-LABEL: func.func @gqa(
// CHECK:         %[[QB:.+]] = bufferization.to_buffer
// CHECK:         %[[KB:.+]] = bufferization.to_buffer
// CHECK-DAG:     %[[HQ:.+]] = memref.dim %[[QB]], %c2{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[HKV:.+]] = memref.dim %[[KB]], %c2{{(_[0-9]+)?}} :
// CHECK:         %[[G:.+]] = arith.divui %[[HQ]], %[[HKV]] : index
// CHECK:         %[[ROWS:.+]] = arith.muli %[[G]], %c64{{(_[0-9]+)?}} : index
// CHECK:         scf.parallel (%{{.+}}, %{{.+}}, %{{.+}}) = (%{{.+}}) to (%{{.+}}, %[[HKV]], %{{.+}})
// CHECK:           memref.alloc(%[[ROWS]]) : memref<?xf32>

// CANON-LABEL: func.func @gqa(
// CANON:         scf.parallel (%[[H:.+]], %{{.+}}) = (%c0, %c0) to (%c8, %c2)
// CANON-DAG:       memref.alloc() : memref<256xf32>
// CANON-DAG:       memref.alloc() : memref<256x128xf32>
// CANON-DAG:       memref.alloc() : memref<256x64xf32>
// CANON-DAG:       memref.alloc() : memref<64x128xf16>
// CANON:           scf.for %{{.+}} = %c0 to %c256 step %c1 {
// The query head of a row is kvHead * 4 + row / 64.
// CANON:             %[[GI:.+]] = arith.divui %{{.+}}, %c64 : index
// CANON:             %[[BASE:.+]] = arith.muli %[[H]], %c4 : index
// CANON:             arith.addi %[[BASE]], %[[GI]] : index

// TILES-LABEL: func.func @gqa(
// TILES:         arith.muli %{{.+}}, %c16{{(_[0-9]+)?}} : index
func.func @gqa(%q: tensor<1x128x32x128xf16>, %k: tensor<1x128x8x128xf16>,
               %v: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>
      -> tensor<1x128x32x128xf16>
  return %o : tensor<1x128x32x128xf16>
}

// -----

// bhsd: seq and heads are dims 2 and 1 of every operand.
// CHECK-LABEL: func.func @bhsd(
// CHECK:         %[[QB:.+]] = bufferization.to_buffer
// CHECK:         %[[KB:.+]] = bufferization.to_buffer
// CHECK-DAG:     %[[SK:.+]] = memref.dim %[[KB]], %c2{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[HKV:.+]] = memref.dim %[[KB]], %c1{{(_[0-9]+)?}} :
// CHECK:         scf.parallel (%[[BI:.+]], %[[KVH:.+]], %{{.+}}) = (%{{.+}}) to (%{{.+}}, %[[HKV]], %{{.+}})
// CHECK:           scf.for %{{.+}} = %{{.+}} to %[[SK]] step
// CHECK:             memref.load %[[KB]][%[[BI]], %[[KVH]], %{{.+}}, %{{.+}}] : memref<2x4x100x32xbf16>
func.func @bhsd(%q: tensor<2x16x100x32xbf16>, %k: tensor<2x4x100x32xbf16>,
                %v: tensor<2x4x100x32xbf16>) -> tensor<2x16x100x32xbf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>}
      : tensor<2x16x100x32xbf16>, tensor<2x4x100x32xbf16>, tensor<2x4x100x32xbf16>
      -> tensor<2x16x100x32xbf16>
  return %o : tensor<2x16x100x32xbf16>
}

// -----

// Dynamic extents: the output is sized from the query (and the value's
// head_dim); the default scale is rsqrt of the runtime head_dim.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<?x?x8x?xf32>, %[[K:[^:]+]]: tensor<?x?x2x?xf32>, %[[V:[^:]+]]: tensor<?x?x2x?xf32>
// CHECK-DAG:     %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<?x?x8x?xf32> to memref<?x?x8x?xf32>
// CHECK-DAG:     %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only : tensor<?x?x2x?xf32> to memref<?x?x2x?xf32>
// CHECK-DAG:     %[[B:.+]] = memref.dim %[[QB]], %c0{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[S:.+]] = memref.dim %[[QB]], %c1{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[DV:.+]] = memref.dim %[[VB]], %c3{{(_[0-9]+)?}} :
// CHECK:         %[[OUT:.+]] = memref.alloc(%[[B]], %[[S]], %[[DV]]) : memref<?x?x8x?xf32>
// CHECK:         math.rsqrt
// CHECK:         bufferization.to_tensor %[[OUT]]
func.func @dynamic(%q: tensor<?x?x8x?xf32>, %k: tensor<?x?x2x?xf32>,
                   %v: tensor<?x?x2x?xf32>) -> tensor<?x?x8x?xf32> {
  %o = attn.attention %q, %k, %v
      : tensor<?x?x8x?xf32>, tensor<?x?x2x?xf32>, tensor<?x?x2x?xf32>
      -> tensor<?x?x8x?xf32>
  return %o : tensor<?x?x8x?xf32>
}

// -----

// Quantized K/V: each tile row's scale is loaded once, and every code is
// widened (sitofp) and multiplied by it as the tile is filled, into tiles
// of f32; the cache codes are never copied whole.

// CHECK-LABEL: func.func @quantized(
// CHECK-SAME:      %[[Q:.*]]: tensor<1x4x8x64xbf16>, %[[K:.*]]: tensor<1x?x2x64xi8>, %[[V:.*]]: tensor<1x?x2x64xi8>, %[[KS:.*]]: tensor<1x?x2xf32>, %[[VS:.*]]: tensor<1x?x2xf32>)
// CHECK-DAG:     %[[KB:.*]] = bufferization.to_buffer %[[K]] read_only : tensor<1x?x2x64xi8> to memref<1x?x2x64xi8>
// CHECK-DAG:     %[[KSB:.*]] = bufferization.to_buffer %[[KS]] read_only : tensor<1x?x2xf32> to memref<1x?x2xf32>
// CHECK:         scf.parallel (%[[B:.*]], %[[H:.*]], %{{.*}}) =
// CHECK:           %[[KT:.*]] = memref.alloc({{.*}}) : memref<64x?xf32>
// CHECK:           %[[VT:.*]] = memref.alloc({{.*}}) : memref<64x?xf32>
// CHECK:           scf.for
// CHECK:             scf.for %[[JJ:.*]] =
// CHECK:               %[[J:.*]] = arith.addi %{{.*}}, %[[JJ]] : index
// CHECK:               scf.if
// CHECK:                 %[[S:.*]] = memref.load %[[KSB]][%[[B]], %[[J]], %[[H]]] : memref<1x?x2xf32>
// CHECK:                 scf.for %[[D:.*]] =
// CHECK:                   %[[C:.*]] = memref.load %[[KB]][%[[B]], %[[J]], %[[H]], %[[D]]] : memref<1x?x2x64xi8>
// CHECK:                   %[[W:.*]] = arith.sitofp %[[C]] : i8 to f32
// CHECK:                   %[[X:.*]] = arith.mulf %[[W]], %[[S]] : f32
// CHECK:                   memref.store %[[X]], %[[KT]][%[[JJ]], %[[D]]] : memref<64x?xf32>
// CHECK:                 memref.load %{{.*}}[%[[B]], %[[J]], %[[H]]] : memref<1x?x2xf32>
// CHECK:                   arith.sitofp %{{.*}} : i8 to f32
// CHECK:                   memref.store %{{.*}}, %[[VT]]
func.func @quantized(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x?x2x64xi8>,
                     %v: tensor<1x?x2x64xi8>, %ks: tensor<1x?x2xf32>,
                     %vs: tensor<1x?x2xf32>) -> tensor<1x4x8x64xbf16> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x?x2xf32>, tensor<1x?x2xf32>)
      : tensor<1x4x8x64xbf16>, tensor<1x?x2x64xi8>, tensor<1x?x2x64xi8>
        -> tensor<1x4x8x64xbf16>
  return %o : tensor<1x4x8x64xbf16>
}

// -----

// fp8 codes widen with extf, and bf16 scales too.

// CHECK-LABEL: func.func @quantized_fp8(
// CHECK:         %[[S:.*]] = memref.load %{{.*}} : memref<1x?x2xbf16>
// CHECK:         %[[SW:.*]] = arith.extf %[[S]] : bf16 to f32
// CHECK:         %[[C:.*]] = memref.load %{{.*}} : memref<1x?x2x64xf8E4M3FN>
// CHECK:         %[[W:.*]] = arith.extf %[[C]] : f8E4M3FN to f32
// CHECK:         arith.mulf %[[W]], %[[SW]] : f32
func.func @quantized_fp8(%q: tensor<1x4x8x64xf32>, %k: tensor<1x?x2x64xf8E4M3FN>,
                         %v: tensor<1x?x2x64xf8E4M3FN>, %ks: tensor<1x?x2xbf16>,
                         %vs: tensor<1x?x2xbf16>) -> tensor<1x4x8x64xf32> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x?x2xbf16>, tensor<1x?x2xbf16>)
      : tensor<1x4x8x64xf32>, tensor<1x?x2x64xf8E4M3FN>, tensor<1x?x2x64xf8E4M3FN>
        -> tensor<1x4x8x64xf32>
  return %o : tensor<1x4x8x64xf32>
}

// -----

// Per-sequence key lengths: each (batch, KV head, query tile) item loads
// its sequence's length, clamps it into [0, Sk], and takes it as its key
// length, with the causal diagonal at length - Sq.
// CHECK-LABEL: func.func @kv_lengths(
// CHECK-SAME:      %{{.*}}: tensor<3xi64>
// CHECK:         %[[N:.+]] = bufferization.to_buffer %{{.*}} read_only : tensor<3xi64> to memref<3xi64>
// CHECK:         %[[SK:.+]] = memref.dim %{{.*}}, %{{.*}} : memref<3x40x2x16xf32>
// CHECK:         scf.parallel (%[[B:[^,]+]],
// CHECK:           %[[L:.+]] = scf.if
// CHECK:             memref.load %[[N]][%[[B]]] : memref<3xi64>
// CHECK:           %[[LI:.+]] = arith.index_cast %[[L]] : i64 to index
// CHECK:           %[[LO:.+]] = arith.maxsi %[[LI]], %{{.*}} : index
// CHECK:           %[[LEN:.+]] = arith.minsi %[[LO]], %[[SK]] : index
// CHECK:           arith.subi %[[LEN]], %{{.*}} : index
func.func @kv_lengths(%q: tensor<3x4x8x16xf32>, %k: tensor<3x40x2x16xf32>,
                      %v: tensor<3x40x2x16xf32>, %n: tensor<3xi64>)
    -> tensor<3x4x8x16xf32> {
  %o = attn.attention %q, %k, %v lengths(%n : tensor<3xi64>) {causal}
      : tensor<3x4x8x16xf32>, tensor<3x40x2x16xf32>, tensor<3x40x2x16xf32>
      -> tensor<3x4x8x16xf32>
  return %o : tensor<3x4x8x16xf32>
}
