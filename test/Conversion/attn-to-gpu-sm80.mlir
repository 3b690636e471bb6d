// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_80" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_75" -split-input-file | FileCheck %s --check-prefix=OLD
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=sm80" -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=FORCED
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=fast" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not attn-opt %s --convert-attn-to-gpu="chip=volta" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=scalar kv-tile=1024" -split-input-file 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not attn-opt %s --convert-attn-to-gpu="schedule=sm80 chip=sm_75" -split-input-file 2>&1 | FileCheck %s --check-prefix=OLDCHIP
// Schedule selection of convert-attn-to-gpu and the shape of the sm80 (mma.sync) kernel: auto picks sm80 for f16/bf16 with head_dim a multiple of 16 on sm_80 or later (sm90 first on sm_90a, see attn-to-gpu-sm90.mlir) and the scalar schedule otherwise; a named schedule that cannot run the op is an error that says why.

// NAME: error: convert-attn-to-gpu: unknown schedule 'fast'; expected one of auto, scalar, sm80, decode, sm90, sm90-decode, sm90-decode-alternate
// CHIP: error: convert-attn-to-gpu: chip 'volta' is not an NVIDIA architecture: expected sm_<version>, optionally followed by a or f (e.g. sm_80, sm_90a)
// BUDGET: error: 'attn.attention' op convert-attn-to-gpu: schedule scalar cannot run this attention: kv-tile 1024 needs 524288 bytes of shared memory for its K and V tiles, more than the 49152 a block can have statically
// OLDCHIP: error: 'attn.attention' op convert-attn-to-gpu: schedule sm80 cannot run this attention: chip sm_75 has no mma.sync m16n8k16 (sm_80 or later needed)

// CHECK-LABEL: func.func @gqa_bf16(
// 128 query positions per block (4 warps x two m16 tiles), one block per
// query head of the group.
// CHECK:         %[[NT:.+]] = arith.ceildivui %{{.+}}, %c128
// CHECK:         %[[GX:.+]] = arith.muli %[[NT]], %{{.+}} : index
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %[[GX]], {{.+}}) threads({{.+}}) in (%{{.+}} = %c128{{.*}}, {{.+}}) dynamic_shared_memory_size %c69632_i32
// Q (read through a flat view too), then two stages of 32-key K and V
// tiles, each row padded by 8 elements.
// CHECK:           memref.view {{.+}} to memref<128x136xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<17408xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<8704xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<8704xbf16, #gpu.address_space<workgroup>>
// CHECK:           nvgpu.device_async_copy {{.+}}, 8, %{{.+}} : memref<2x100x8x128xbf16> to memref<128x136xbf16
// CHECK:           nvgpu.device_async_copy {{.+}}, 8, %{{.+}} {bypassL1} : memref<102400xbf16> to memref<8704xbf16
// CHECK:           nvvm.cp.async.commit.group
// CHECK:           scf.for
// CHECK:             nvvm.cp.async.wait.group 0
// CHECK:             gpu.barrier
// CHECK:             llvm.inline_asm has_side_effects "mov.b64 $0, $1;"
// CHECK:             nvgpu.ldmatrix {{.+}} {numTiles = 4 : i32, transpose = false}
// CHECK:             nvvm.mma.sync {{.+}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// The default scale is positive: the scores are not multiplied before
// their max, the scale rides in the exponent's FMA.
// CHECK-NOT:         arith.mulf
// CHECK:             gpu.shuffle xor
// CHECK:             llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:             arith.truncf {{.+}} : vector<2xf32> to vector<2xbf16>
// CHECK:             nvgpu.ldmatrix {{.+}} {numTiles = 4 : i32, transpose = true}
// CHECK:           } {attn.schedule = "sm80"}
// OLD-LABEL: func.func @gqa_bf16(
// OLD:         } {attn.schedule = "scalar"}
func.func @gqa_bf16(%q: tensor<2x100x8x128xbf16>, %k: tensor<2x200x2x128xbf16>,
                    %v: tensor<2x200x2x128xbf16>) -> tensor<2x100x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<2x100x8x128xbf16>, tensor<2x200x2x128xbf16>, tensor<2x200x2x128xbf16> -> tensor<2x100x8x128xbf16>
  return %o : tensor<2x100x8x128xbf16>
}

// -----

// f32 has no m16n8k16 mma.sync: auto falls back, a forced sm80 is an error.
// CHECK-LABEL: func.func @f32_falls_back(
// CHECK:         } {attn.schedule = "scalar"}
func.func @f32_falls_back(%q: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule sm80 cannot run this attention: its mma.sync takes f16 or bf16, not f32
  %o = attn.attention %q, %q, %q : tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32> -> tensor<1x16x4x64xf32>
  return %o : tensor<1x16x4x64xf32>
}

// -----

// Quantized key and value run on the decode and scalar schedules only:
// auto takes decode where the query rows of a KV group fit it (64 here),
// and falls back to scalar where they do not (128 in the second function);
// a forced sm80 is an error that says so. Per-sequence key lengths run on
// the decode and scalar schedules.
// CHECK-LABEL: func.func @quantized_decode(
// CHECK:         } {attn.schedule = "decode"}
func.func @quantized_decode(%q: tensor<1x16x8x64xf16>, %k: tensor<1x128x2x64xi8>,
                            %v: tensor<1x128x2x64xi8>, %ks: tensor<1x128x2xf32>,
                            %vs: tensor<1x128x2xf32>) -> tensor<1x16x8x64xf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule sm80 cannot run this attention: quantized key and value (scales) run on the decode and scalar schedules only
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x128x2xf32>, tensor<1x128x2xf32>)
      : tensor<1x16x8x64xf16>, tensor<1x128x2x64xi8>, tensor<1x128x2x64xi8>
      -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}

// -----

// CHECK-LABEL: func.func @quantized_falls_back(
// CHECK:         } {attn.schedule = "scalar"}
func.func @quantized_falls_back(%q: tensor<1x32x8x64xf16>, %k: tensor<1x128x2x64xi8>,
                                %v: tensor<1x128x2x64xi8>, %ks: tensor<1x128x2xf32>,
                                %vs: tensor<1x128x2xf32>) -> tensor<1x32x8x64xf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule sm80 cannot run this attention: quantized key and value (scales) run on the decode and scalar schedules only
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x128x2xf32>, tensor<1x128x2xf32>)
      : tensor<1x32x8x64xf16>, tensor<1x128x2x64xi8>, tensor<1x128x2x64xi8>
      -> tensor<1x32x8x64xf16>
  return %o : tensor<1x32x8x64xf16>
}

// -----

// CHECK-LABEL: func.func @kv_lengths_decode(
// CHECK:         } {attn.schedule = "decode"}
func.func @kv_lengths_decode(%q: tensor<2x1x8x64xf16>, %k: tensor<2x128x2x64xf16>,
                                %v: tensor<2x128x2x64xf16>, %n: tensor<2xi64>)
    -> tensor<2x1x8x64xf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule sm80 cannot run this attention: per-sequence key lengths (kv_lengths) run on the decode and scalar schedules only
  %o = attn.attention %q, %k, %v lengths(%n : tensor<2xi64>) {causal}
      : tensor<2x1x8x64xf16>, tensor<2x128x2x64xf16>, tensor<2x128x2x64xf16>
      -> tensor<2x1x8x64xf16>
  return %o : tensor<2x1x8x64xf16>
}

// -----

// CHECK-LABEL: func.func @head_dim_40(
// CHECK:         } {attn.schedule = "scalar"}
func.func @head_dim_40(%q: tensor<1x16x4x40xf16>) -> tensor<1x16x4x40xf16> {
  // FORCED: error: 'attn.attention' op convert-attn-to-gpu: schedule sm80 cannot run this attention: head_dim 40 is not a multiple of 16 up to 256
  %o = attn.attention %q, %q, %q : tensor<1x16x4x40xf16>, tensor<1x16x4x40xf16>, tensor<1x16x4x40xf16> -> tensor<1x16x4x40xf16>
  return %o : tensor<1x16x4x40xf16>
}

// -----

// Head dims above 128: 4 warps of one m16 tile (64 query positions per
// block), 32-key tiles. A negative scale cannot ride in the exponent (the
// max of raw scores would be the min of scaled ones), so the scores are
// scaled right after Q Kᵀ.
// CHECK-LABEL: func.func @wide_negative_scale(
// CHECK:         %[[SCALE:.+]] = arith.constant -2.500000e-01 : f32
// CHECK:         arith.ceildivui %{{.+}}, %c64
// CHECK:         gpu.launch {{.+}} dynamic_shared_memory_size %c101376_i32
// CHECK:           memref.view {{.+}} to memref<64x264xf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.+}} to memref<16896xf16, #gpu.address_space<workgroup>>
// CHECK:           scf.for
// CHECK:             nvvm.mma.sync
// CHECK:             arith.mulf %{{.+}}, %[[SCALE]] fastmath<contract> : f32
// CHECK:             arith.maximumf
// CHECK:           } {attn.schedule = "sm80"}
func.func @wide_negative_scale(%q: tensor<1x100x4x256xf16>, %k: tensor<1x100x2x256xf16>,
                               %v: tensor<1x100x2x256xf16>) -> tensor<1x100x4x256xf16> {
  %o = attn.attention %q, %k, %v {scale = -0.25 : f32} : tensor<1x100x4x256xf16>, tensor<1x100x2x256xf16>, tensor<1x100x2x256xf16> -> tensor<1x100x4x256xf16>
  return %o : tensor<1x100x4x256xf16>
}
