// Quantized KV caches run on the CPU: an append quantizes per token and KV
// head (KVQuant), attention dequantizes each K/V element as its tile is
// loaded. Inputs/kv_quant_ref.py states the bounds and why.

// RUN: rm -rf %t && split-file %s %t
// RUN: python3 %S/Inputs/npy.py %t/q.npy bf16 1x8x4x64 normal 1
// RUN: python3 %S/Inputs/npy.py %t/k.npy bf16 1x32x2x64 normal 2
// RUN: python3 %S/Inputs/npy.py %t/v.npy bf16 1x32x2x64 normal 3

// int8 codes, f32 scales, written by two appends (16 tokens at 0, 16 at
// 16) and read in KV tiles of 8, so that scales are inserted at an offset
// and tiles end inside the cache.
// RUN: attn-runner --target=cpu %t/i8.mlir --kv-tile=8 --q-tile=4 \
// RUN:   --input 0=%t/q.npy --input 1=%t/k.npy --input 2=%t/v.npy \
// RUN:   --output=%t/i8.npy | FileCheck %s --check-prefix=RUN-I8
// RUN-I8: entry: @decode(tensor<1x8x4x64xbf16>, tensor<1x32x2x64xbf16>, tensor<1x32x2x64xbf16>) -> tensor<1x8x4x64xbf16>
// (a) Against float64 attention over the same quantized K/V.
// RUN: python3 %S/Inputs/kv_quant_ref.py quantized i8 f32 %t/q.npy %t/k.npy \
// RUN:   %t/v.npy %t/i8.npy --causal | FileCheck %s --check-prefix=Q-I8
// Q-I8: quantized i8 scales f32: max_abs_err={{.*}} PASS
// (b) Against float64 attention over the bf16 K/V: the quantization's error,
// within the bound propagated from max|x| / 254 per element.
// RUN: python3 %S/Inputs/kv_quant_ref.py unquantized i8 f32 %t/q.npy %t/k.npy \
// RUN:   %t/v.npy %t/i8.npy --causal | FileCheck %s --check-prefix=U-I8
// U-I8: unquantized i8 scales f32: max_abs_err={{.*}} PASS
// (c) The check can fail: a reference that drops the scales.
// RUN: not python3 %S/Inputs/kv_quant_ref.py quantized i8 f32 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/i8.npy --causal --drop-scales \
// RUN:   | FileCheck %s --check-prefix=DROP-I8
// DROP-I8: quantized i8 scales f32 (scales dropped): max_abs_err={{.*}} FAIL

// fp8 (e4m3) codes with bf16 scales, one append, default tiles.
// RUN: attn-runner --target=cpu %t/fp8.mlir --input 0=%t/q.npy \
// RUN:   --input 1=%t/k.npy --input 2=%t/v.npy --output=%t/fp8.npy \
// RUN:   | FileCheck %s --check-prefix=RUN-FP8
// RUN-FP8: entry: @prefill(
// RUN: python3 %S/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/fp8.npy | FileCheck %s --check-prefix=Q-FP8
// Q-FP8: quantized f8e4m3fn scales bf16: max_abs_err={{.*}} PASS
// RUN: python3 %S/Inputs/kv_quant_ref.py unquantized f8e4m3fn bf16 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/fp8.npy | FileCheck %s --check-prefix=U-FP8
// U-FP8: unquantized f8e4m3fn scales bf16: max_abs_err={{.*}} PASS
// RUN: not python3 %S/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 \
// RUN:   %t/q.npy %t/k.npy %t/v.npy %t/fp8.npy --drop-scales \
// RUN:   | FileCheck %s --check-prefix=DROP-FP8
// DROP-FP8: (scales dropped): max_abs_err={{.*}} FAIL

// A decode loop carries the int8 cache through scf.for (8 tokens a step,
// f16 scales): against the reference that quantizes the same way, and, with
// f32 scales, equal to the two-append entry above (scales are per token, so
// how the tokens are split between appends does not change a code).
// RUN: sed -e 's/@S@/f16/g' %t/loop.mlir > %t/loop-f16.mlir
// RUN: attn-runner --target=cpu %t/loop-f16.mlir --kv-tile=8 --q-tile=4 \
// RUN:   --input 0=%t/q.npy --input 1=%t/k.npy --input 2=%t/v.npy \
// RUN:   --output=%t/loop-f16.npy
// RUN: python3 %S/Inputs/kv_quant_ref.py quantized i8 f16 %t/q.npy %t/k.npy \
// RUN:   %t/v.npy %t/loop-f16.npy --causal | FileCheck %s --check-prefix=Q-LOOP
// Q-LOOP: quantized i8 scales f16: max_abs_err={{.*}} PASS
// RUN: sed -e 's/@S@/f32/g' %t/loop.mlir > %t/loop-f32.mlir
// RUN: attn-runner --target=cpu %t/loop-f32.mlir --kv-tile=8 --q-tile=4 \
// RUN:   --input 0=%t/q.npy --input 1=%t/k.npy --input 2=%t/v.npy \
// RUN:   --output=%t/loop-f32.npy
// RUN: python3 %S/Inputs/npy_diff.py %t/loop-f32.npy %t/i8.npy 0 | FileCheck %s --check-prefix=SAME
// SAME: within

// A row of zeros gets scale 1 and exact zero codes: attention over zero
// keys and values is exactly zero, with no NaN from a 0 / 0.
// RUN: python3 %S/Inputs/npy.py %t/z.npy bf16 1x32x2x64 zeros
// RUN: attn-runner --target=cpu %t/fp8.mlir --input 0=%t/q.npy \
// RUN:   --input 1=%t/z.npy --input 2=%t/z.npy --output=%t/zero.npy
// RUN: python3 %S/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/q.npy \
// RUN:   %t/z.npy %t/z.npy %t/zero.npy | FileCheck %s --check-prefix=ZERO
// ZERO: max_abs_err=0.000e+00{{.*}} PASS

//--- i8.mlir
func.func @decode(%q: tensor<1x8x4x64xbf16>, %k: tensor<1x32x2x64xbf16>,
                  %v: tensor<1x32x2x64xbf16>) -> tensor<1x8x4x64xbf16> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %k0 = tensor.extract_slice %k[0, 0, 0, 0] [1, 16, 2, 64] [1, 1, 1, 1]
      : tensor<1x32x2x64xbf16> to tensor<1x16x2x64xbf16>
  %v0 = tensor.extract_slice %v[0, 0, 0, 0] [1, 16, 2, 64] [1, 1, 1, 1]
      : tensor<1x32x2x64xbf16> to tensor<1x16x2x64xbf16>
  %k1 = tensor.extract_slice %k[0, 16, 0, 0] [1, 16, 2, 64] [1, 1, 1, 1]
      : tensor<1x32x2x64xbf16> to tensor<1x16x2x64xbf16>
  %v1 = tensor.extract_slice %v[0, 16, 0, 0] [1, 16, 2, 64] [1, 1, 1, 1]
      : tensor<1x32x2x64xbf16> to tensor<1x16x2x64xbf16>
  %c = attn.cache.create : !attn.kv_cache<1x2x48x64xi8, scales = f32>
  %c1 = attn.cache.append %k0, %v0 into %c[%c0]
      : tensor<1x16x2x64xbf16>, tensor<1x16x2x64xbf16>
        into !attn.kv_cache<1x2x48x64xi8, scales = f32>
  %c2 = attn.cache.append %k1, %v1 into %c1[%c16]
      : tensor<1x16x2x64xbf16>, tensor<1x16x2x64xbf16>
        into !attn.kv_cache<1x2x48x64xi8, scales = f32>
  %o = attn.cache.attend %q, %c2, %c32 {causal}
      : tensor<1x8x4x64xbf16>, !attn.kv_cache<1x2x48x64xi8, scales = f32>
        -> tensor<1x8x4x64xbf16>
  return %o : tensor<1x8x4x64xbf16>
}

//--- fp8.mlir
func.func @prefill(%q: tensor<1x8x4x64xbf16>, %k: tensor<1x32x2x64xbf16>,
                   %v: tensor<1x32x2x64xbf16>) -> tensor<1x8x4x64xbf16> {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x48x64xf8E4M3FN, scales = bf16>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x32x2x64xbf16>, tensor<1x32x2x64xbf16>
        into !attn.kv_cache<1x2x48x64xf8E4M3FN, scales = bf16>
  %o = attn.cache.attend %q, %c1, %c32
      : tensor<1x8x4x64xbf16>, !attn.kv_cache<1x2x48x64xf8E4M3FN, scales = bf16>
        -> tensor<1x8x4x64xbf16>
  return %o : tensor<1x8x4x64xbf16>
}

//--- loop.mlir
func.func @decode_loop(%q: tensor<1x8x4x64xbf16>, %k: tensor<1x32x2x64xbf16>,
                       %v: tensor<1x32x2x64xbf16>) -> tensor<1x8x4x64xbf16> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x48x64xi8, scales = @S@>
  %r = scf.for %i = %c0 to %c32 step %c8 iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x48x64xi8, scales = @S@>) {
    %kc = tensor.extract_slice %k[0, %i, 0, 0] [1, 8, 2, 64] [1, 1, 1, 1]
        : tensor<1x32x2x64xbf16> to tensor<1x8x2x64xbf16>
    %vc = tensor.extract_slice %v[0, %i, 0, 0] [1, 8, 2, 64] [1, 1, 1, 1]
        : tensor<1x32x2x64xbf16> to tensor<1x8x2x64xbf16>
    %cn = attn.cache.append %kc, %vc into %ci[%i]
        : tensor<1x8x2x64xbf16>, tensor<1x8x2x64xbf16>
          into !attn.kv_cache<1x2x48x64xi8, scales = @S@>
    scf.yield %cn : !attn.kv_cache<1x2x48x64xi8, scales = @S@>
  }
  %o = attn.cache.attend %q, %r, %c32 {causal}
      : tensor<1x8x4x64xbf16>, !attn.kv_cache<1x2x48x64xi8, scales = @S@>
        -> tensor<1x8x4x64xbf16>
  return %o : tensor<1x8x4x64xbf16>
}
