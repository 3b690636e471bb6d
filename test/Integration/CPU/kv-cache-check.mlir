// --check on cache programs: the float64 reference replays the entry's
// appends into a zeroed cache (positions and lengths evaluated from its
// constants and integer arguments) and attends over the first `length`
// positions, as attn.cache.attend defines it.

// RUN: rm -rf %t && split-file %s %t

// Two appends (a 12-token prompt, then 4 tokens at %pos) and a causal
// attend over all of them; and the same with the second append at 20,
// which leaves positions 12..19 zero (the replay's zeros, not garbage).
// RUN: attn-runner --target=cpu %t/two.mlir --seed=3 --input 6=12 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/two.mlir --seed=3 --input 6=20 --check | FileCheck %s --check-prefix=PASS
// PASS: check: max_abs_err={{.*}} PASS
// The CLA example: both layers' attends over the one cache layer 0 wrote.
// RUN: attn-runner --target=cpu %attn_src_root/examples/cla_two_layers.mlir --seed=3 --input 4=7 --check | FileCheck %s --check-prefix=CLA
// CLA: check: result 0: max_abs_err={{.*}} PASS
// CLA: check: result 1: max_abs_err={{.*}} PASS

// The check can fail, and respects the length: key 10 of the 16 appended
// is NaN in one element, of KV head 0. Attending over 8 positions never
// reads it; over 12, every query row of the two query heads of KV head 0
// does, and their 8 x 2 x 64 = 1024 result elements are NaN. The NaN sits
// at flat index 10 * 2 * 64 + 3 of the [1, 16, 2, 64] keys.
// RUN: python3 %S/Inputs/npy.py %t/k.npy f32 1x16x2x64 nan 1283
// RUN: attn-runner --target=cpu %t/length.mlir --input 1=%t/k.npy --input 3=8 --check | FileCheck %s --check-prefix=PASS
// RUN: not attn-runner --target=cpu %t/length.mlir --input 1=%t/k.npy --input 3=12 --check 2>&1 | FileCheck %s --check-prefix=NAN
// NAN: check: max_abs_err={{.*}} nan=1024 FAIL
// NAN: attn-runner: error: check failed: 1024 result elements are NaN

// A quantized cache: the replay quantizes each appended token as the
// append does (per token and KV head, !attn.kv_cache's description) and
// attends over the dequantized codes, so the check measures the kernel's
// error, not the quantization's, which is larger than the bound (4.4e-2
// for fp8 codes of N(0, 1) keys and values in kv-cache-quantized.mlir, by
// Inputs/kv_quant_ref.py's unquantized mode); the kernel's is under 1e-2.
// RUN: attn-runner --target=cpu %t/quantized.mlir --seed=3 --input 6=12 --check | FileCheck %s --check-prefix=QUANTIZED
// RUN: sed 's/xi8, scales = f32/xf8E4M3FN, scales = bf16/g' %t/quantized.mlir > %t/fp8.mlir
// RUN: attn-runner --target=cpu %t/fp8.mlir --seed=3 --input 6=20 --check | FileCheck %s --check-prefix=QUANTIZED
// QUANTIZED: check: max_abs_err={{[0-9.]+}}e-0{{[3-9]}} {{.*}} PASS
// Keys so small (about 2^-24) that their scale, max / 448, rounds to 0 in
// f16, each row with zeros: the scale is 1 instead, so the codes are the
// keys rounded to fp8 and the zeros stay zeros. A scale of 0 made the
// zeros' codes NaN (0 / 0) and every output NaN.
// RUN: python3 %S/Inputs/npy.py %t/tiny.npy bf16 1x12x2x64 tiny 5
// RUN: sed 's/xi8, scales = f32/xf8E4M3FN, scales = f16/g' %t/quantized.mlir > %t/tiny.mlir
// RUN: attn-runner --target=cpu %t/tiny.mlir --seed=3 --input 1=%t/tiny.npy --input 6=12 --check | FileCheck %s --check-prefix=PASS

// What the reference cannot replay is named before anything runs.
// RUN: not attn-runner --target=cpu %t/loop.mlir --check 2>&1 | FileCheck %s --check-prefix=LOOP
// LOOP: attn-runner: error: --check needs @loop to return one attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but it returns an attn.cache.attend that the reference cannot replay: its cache is not made by attn.cache.create (or taken by the entry) and attn.cache.append in the entry's body (a cache carried through a loop is not replayed)
// RUN: not attn-runner --target=cpu %t/computed.mlir --check 2>&1 | FileCheck %s --check-prefix=COMPUTED
// COMPUTED: that the reference cannot replay: an append's keys or values are not entry arguments

//--- two.mlir
func.func @two(%q: tensor<1x4x8x64xf16>, %kp: tensor<1x12x2x64xf16>,
               %vp: tensor<1x12x2x64xf16>, %q2: tensor<1x4x8x64xf16>,
               %kn: tensor<1x4x2x64xf16>, %vn: tensor<1x4x2x64xf16>,
               %pos: index) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %c1 = attn.cache.append %kp, %vp into %c[%c0]
      : tensor<1x12x2x64xf16>, tensor<1x12x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %c2 = attn.cache.append %kn, %vn into %c1[%pos]
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %len = arith.addi %pos, %c4 : index
  %o = attn.cache.attend %q2, %c2, %len {causal}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- length.mlir
func.func @length(%q: tensor<1x8x4x64xf32>, %k: tensor<1x16x2x64xf32>,
                  %v: tensor<1x16x2x64xf32>, %len: index) -> tensor<1x8x4x64xf32> {
  %c0 = arith.constant 0 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x32x64xf32>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x16x2x64xf32>, tensor<1x16x2x64xf32> into !attn.kv_cache<1x2x32x64xf32>
  %o = attn.cache.attend %q, %c1, %len
      : tensor<1x8x4x64xf32>, !attn.kv_cache<1x2x32x64xf32> -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

//--- loop.mlir
func.func @loop(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x64x64xf16>) {
    %p = arith.muli %i, %c4 : index
    %cn = attn.cache.append %k, %v into %ci[%p]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    scf.yield %cn : !attn.kv_cache<1x2x64x64xf16>
  }
  %c8 = arith.constant 8 : index
  %o = attn.cache.attend %q, %r, %c8
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- quantized.mlir
func.func @quantized(%q: tensor<1x4x8x64xbf16>, %kp: tensor<1x12x2x64xbf16>,
                     %vp: tensor<1x12x2x64xbf16>, %q2: tensor<1x4x8x64xbf16>,
                     %kn: tensor<1x4x2x64xbf16>, %vn: tensor<1x4x2x64xbf16>,
                     %pos: index) -> tensor<1x4x8x64xbf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xi8, scales = f32>
  %c1 = attn.cache.append %kp, %vp into %c[%c0]
      : tensor<1x12x2x64xbf16>, tensor<1x12x2x64xbf16> into !attn.kv_cache<1x2x64x64xi8, scales = f32>
  %c2 = attn.cache.append %kn, %vn into %c1[%pos]
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16> into !attn.kv_cache<1x2x64x64xi8, scales = f32>
  %len = arith.addi %pos, %c4 : index
  %o = attn.cache.attend %q2, %c2, %len {causal}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x64x64xi8, scales = f32> -> tensor<1x4x8x64xbf16>
  return %o : tensor<1x4x8x64xbf16>
}

//--- computed.mlir
func.func @computed(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                    %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %k2 = arith.addf %k, %k : tensor<1x4x2x64xf16>
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %c1 = attn.cache.append %k2, %v into %c[%c0]
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %o = attn.cache.attend %q, %c1, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}
