// --check on cache programs: the float64 reference replays the entry's
// appends into a zeroed cache (positions and lengths evaluated from its
// constants and integer arguments, a loop that carries the cache unrolled)
// and attends over the first `length` positions, as attn.cache.attend
// defines it.

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

// A cache carried through scf.for: the reference unrolls the loop and
// replays each iteration's appends at the positions its induction variable
// gives. @loop appends the same 4 tokens at 0 and at 4 and attends over 8.
// RUN: attn-runner --target=cpu %t/loop.mlir --seed=3 --check | FileCheck %s --check-prefix=PASS
// @strided writes a 3-token prompt at 0, then in iterations i = 1, 3, 5 of
// a loop from 1 to %n = 6 step 2 keys A (4 tokens) at %base + 6 (i - 1) and
// keys B (2 tokens) right after them, so that 6 zero positions follow each
// iteration's; then, after the loop, A again at %base + 2, over the first
// iteration's last two A and both B tokens. A reference that skipped an
// iteration, replayed it elsewhere or replayed the appends out of order
// would read zeros, or other keys, where the kernel reads these, and fail.
// With %base = 3 the last key is at 32: attends over 33 keys, over 32 (the
// last B token left out) and over 34 (one zero key more) all pass; so do 4
// iterations (%n = 8, keys up to 44) over 45, and 3 iterations of %n = 7
// over 45, where a fourth, i = 7, would have put keys at 39..44.
// RUN: attn-runner --target=cpu %t/strided.mlir --seed=3 --input 7=3 --input 8=6 --input 9=33 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/strided.mlir --seed=3 --input 7=3 --input 8=6 --input 9=32 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/strided.mlir --seed=3 --input 7=3 --input 8=6 --input 9=34 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/strided.mlir --seed=3 --input 7=3 --input 8=8 --input 9=45 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/strided.mlir --seed=3 --input 7=3 --input 8=7 --input 9=45 --check | FileCheck %s --check-prefix=PASS
// Bounds and step from integer arguments: %k at 0, 3, 6 (step 3 up to 9,
// which is not an iteration) over 10 positions, and at 0, 1, 2 (step 1 up
// to 3) over 3.
// RUN: attn-runner --target=cpu %t/steparg.mlir --seed=3 --input 3=9 --input 4=3 --input 5=10 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cpu %t/steparg.mlir --seed=3 --input 3=3 --input 4=1 --input 5=3 --check | FileCheck %s --check-prefix=PASS
// With --steps, every call's loop is replayed into the cache the entry
// takes: calls at %pos = 3, 4, 5, 6 each append their token at 2 %pos and
// 2 %pos + 1, and the last attends over 14 positions, 6 of them zero.
// RUN: attn-runner --target=cpu %t/loop-step.mlir --seed=3 --input 5=3 --steps=4 --check | FileCheck %s --check-prefix=STEPS
// STEPS: steps: 3 calls after the first
// STEPS: check: result 0: max_abs_err={{.*}} PASS

// What the reference cannot replay is named before anything runs.
// RUN: not attn-runner --target=cpu %t/computed.mlir --check 2>&1 | FileCheck %s --check-prefix=COMPUTED
// COMPUTED: that the reference cannot replay: an append's keys or values are not entry arguments
// RUN: not attn-runner --target=cpu %t/loop-computed.mlir --check 2>&1 | FileCheck %s --check-prefix=COMPUTED
// RUN: not attn-runner --target=cpu %t/loop-step-divided.mlir --input 3=8 --check 2>&1 | FileCheck %s --check-prefix=DIVIDED
// DIVIDED: attn-runner: error: --check needs @divided to return one attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but it returns an attn.cache.attend that the reference cannot replay: the step of the scf.for that carries its cache is not computed from constants and integer arguments
// RUN: not attn-runner --target=cpu %t/nested.mlir --check 2>&1 | FileCheck %s --check-prefix=NESTED
// NESTED: that the reference cannot replay: its cache is carried through nested scf.for loops, which are not replayed
// RUN: not attn-runner --target=cpu %t/loop-attend.mlir --check 2>&1 | FileCheck %s --check-prefix=ATTEND
// ATTEND: that the reference cannot replay: the scf.for that carries its cache uses a cache in its body other than through the carried cache's appends ('attn.cache.attend'), which is not replayed
// RUN: not attn-runner --target=cpu %t/counter.mlir --check 2>&1 | FileCheck %s --check-prefix=COUNTER
// COUNTER: that the reference cannot replay: an append's position in the scf.for that carries its cache is not computed from constants, integer arguments and the loop's induction variable
// RUN: not attn-runner --target=cpu %t/if.mlir --input 3=1 --check 2>&1 | FileCheck %s --check-prefix=IF
// IF: that the reference cannot replay: its cache comes from 'scf.if', which is not replayed (only attn.cache.create, a cache the entry takes, attn.cache.append and scf.for are)
// RUN: not attn-runner --target=cpu %t/while.mlir --check 2>&1 | FileCheck %s --check-prefix=WHILE
// WHILE: that the reference cannot replay: its cache comes from 'scf.while', which is not replayed (only attn.cache.create, a cache the entry takes, attn.cache.append and scf.for are)
// A step that is not positive, or a loop that appends too often, shows
// only once the integer arguments are known, still before the run.
// RUN: not attn-runner --target=cpu %t/steparg.mlir --input 3=10 --input 4=0 --input 5=10 --check 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: attn-runner: error: --check cannot replay the cache of the attend @steparg returns: the step of the scf.for that carries its cache (0) is not positive
// RUN: not attn-runner --target=cpu %t/steparg.mlir --input 3=2000000 --input 4=1 --input 5=10 --check 2>&1 | FileCheck %s --check-prefix=MANY
// MANY: attn-runner: error: --check cannot replay the cache of the attend @steparg returns: its appends write more than 1048576 times, more than the reference replays

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

//--- strided.mlir
func.func @strided(%q: tensor<1x4x8x64xf16>, %kp: tensor<1x3x2x64xf16>,
                   %vp: tensor<1x3x2x64xf16>, %ka: tensor<1x4x2x64xf16>,
                   %va: tensor<1x4x2x64xf16>, %kb: tensor<1x2x2x64xf16>,
                   %vb: tensor<1x2x2x64xf16>, %base: index, %n: index,
                   %len: index) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %cp = attn.cache.append %kp, %vp into %c[%c0]
      : tensor<1x3x2x64xf16>, tensor<1x3x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %r = scf.for %i = %c1 to %n step %c2 iter_args(%ci = %cp)
      -> (!attn.kv_cache<1x2x64x64xf16>) {
    %d = arith.subi %i, %c1 : index
    %o = arith.muli %d, %c6 : index
    %pa = arith.addi %base, %o : index
    %ca = attn.cache.append %ka, %va into %ci[%pa]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    %pb = arith.addi %pa, %c4 : index
    %cb = attn.cache.append %kb, %vb into %ca[%pb]
        : tensor<1x2x2x64xf16>, tensor<1x2x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    scf.yield %cb : !attn.kv_cache<1x2x64x64xf16>
  }
  %p = arith.addi %base, %c2 : index
  %last = attn.cache.append %ka, %va into %r[%p]
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
  %out = attn.cache.attend %q, %last, %len
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %out : tensor<1x4x8x64xf16>
}

//--- steparg.mlir
func.func @steparg(%q: tensor<1x4x8x64xf32>, %k: tensor<1x1x2x64xf32>,
                   %v: tensor<1x1x2x64xf32>, %n: index, %step: i64,
                   %len: index) -> tensor<1x4x8x64xf32> {
  %c0 = arith.constant 0 : index
  %s = arith.index_cast %step : i64 to index
  %c = attn.cache.create : !attn.kv_cache<1x2x32x64xf32>
  %r = scf.for %i = %c0 to %n step %s iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x32x64xf32>) {
    %cn = attn.cache.append %k, %v into %ci[%i]
        : tensor<1x1x2x64xf32>, tensor<1x1x2x64xf32> into !attn.kv_cache<1x2x32x64xf32>
    scf.yield %cn : !attn.kv_cache<1x2x32x64xf32>
  }
  %o = attn.cache.attend %q, %r, %len
      : tensor<1x4x8x64xf32>, !attn.kv_cache<1x2x32x64xf32> -> tensor<1x4x8x64xf32>
  return %o : tensor<1x4x8x64xf32>
}

//--- loop-step.mlir
func.func @loop_step(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                     %v: tensor<1x1x2x64xf16>,
                     %c: !attn.kv_cache<1x2x64x64xf16>, %pos: index)
    -> (tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %start = arith.muli %pos, %c2 : index
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x64x64xf16>) {
    %p = arith.addi %start, %i : index
    %cn = attn.cache.append %k, %v into %ci[%p]
        : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    scf.yield %cn : !attn.kv_cache<1x2x64x64xf16>
  }
  %len = arith.addi %start, %c2 : index
  %o = attn.cache.attend %q, %r, %len
      : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x1x8x64xf16>
  return %o, %r : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>
}

//--- loop-computed.mlir
func.func @loop_computed(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                         %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x64x64xf16>) {
    %k2 = arith.addf %k, %k : tensor<1x4x2x64xf16>
    %p = arith.muli %i, %c4 : index
    %cn = attn.cache.append %k2, %v into %ci[%p]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    scf.yield %cn : !attn.kv_cache<1x2x64x64xf16>
  }
  %o = attn.cache.attend %q, %r, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- loop-step-divided.mlir
func.func @divided(%q: tensor<1x4x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                   %v: tensor<1x1x2x64xf16>, %n: index) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %s = arith.divui %n, %c2 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r = scf.for %i = %c0 to %n step %s iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x64x64xf16>) {
    %cn = attn.cache.append %k, %v into %ci[%i]
        : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    scf.yield %cn : !attn.kv_cache<1x2x64x64xf16>
  }
  %o = attn.cache.attend %q, %r, %n
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- nested.mlir
func.func @nested(%q: tensor<1x4x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                  %v: tensor<1x1x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x64x64xf16>) {
    %base = arith.muli %i, %c2 : index
    %inner = scf.for %j = %c0 to %c2 step %c1 iter_args(%cj = %ci)
        -> (!attn.kv_cache<1x2x64x64xf16>) {
      %p = arith.addi %base, %j : index
      %cn = attn.cache.append %k, %v into %cj[%p]
          : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
      scf.yield %cn : !attn.kv_cache<1x2x64x64xf16>
    }
    scf.yield %inner : !attn.kv_cache<1x2x64x64xf16>
  }
  %o = attn.cache.attend %q, %r, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- loop-attend.mlir
func.func @loop_attend(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                       %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r:2 = scf.for %i = %c0 to %c2 step %c1 iter_args(%ci = %c, %acc = %q)
      -> (!attn.kv_cache<1x2x64x64xf16>, tensor<1x4x8x64xf16>) {
    %p = arith.muli %i, %c4 : index
    %cn = attn.cache.append %k, %v into %ci[%p]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    %len = arith.addi %p, %c4 : index
    %step = attn.cache.attend %q, %cn, %len
        : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
    scf.yield %cn, %step : !attn.kv_cache<1x2x64x64xf16>, tensor<1x4x8x64xf16>
  }
  %o = attn.cache.attend %q, %r#0, %c8
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- counter.mlir
func.func @counter(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                   %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r:2 = scf.for %i = %c0 to %c2 step %c1 iter_args(%ci = %c, %p = %c0)
      -> (!attn.kv_cache<1x2x64x64xf16>, index) {
    %cn = attn.cache.append %k, %v into %ci[%p]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    %next = arith.addi %p, %c4 : index
    scf.yield %cn, %next : !attn.kv_cache<1x2x64x64xf16>, index
  }
  %o = attn.cache.attend %q, %r#0, %c8
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- if.mlir
func.func @if(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
              %v: tensor<1x4x2x64xf16>, %n: index) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %cond = arith.cmpi sgt, %n, %c0 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r = scf.if %cond -> (!attn.kv_cache<1x2x64x64xf16>) {
    %cn = attn.cache.append %k, %v into %c[%c0]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    scf.yield %cn : !attn.kv_cache<1x2x64x64xf16>
  } else {
    scf.yield %c : !attn.kv_cache<1x2x64x64xf16>
  }
  %o = attn.cache.attend %q, %r, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

//--- while.mlir
func.func @while(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                 %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x64x64xf16>
  %r:2 = scf.while (%ci = %c, %p = %c0)
      : (!attn.kv_cache<1x2x64x64xf16>, index) -> (!attn.kv_cache<1x2x64x64xf16>, index) {
    %more = arith.cmpi ult, %p, %c8 : index
    scf.condition(%more) %ci, %p : !attn.kv_cache<1x2x64x64xf16>, index
  } do {
  ^bb0(%cw: !attn.kv_cache<1x2x64x64xf16>, %pw: index):
    %cn = attn.cache.append %k, %v into %cw[%pw]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x64x64xf16>
    %next = arith.addi %pw, %c4 : index
    scf.yield %cn, %next : !attn.kv_cache<1x2x64x64xf16>, index
  }
  %o = attn.cache.attend %q, %r#0, %c8
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x64x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}
