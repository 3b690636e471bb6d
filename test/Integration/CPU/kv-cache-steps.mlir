// An entry that takes and returns a KV cache: attn-runner gives it an empty
// cache (the entry's signature is lowered first, so the cache is two
// [B, C, H, D] tensors, keys and values, numbered as the entry: line
// shows), and --steps=N calls it N times, each call fed the cache the
// previous one returned and its integer argument (the position) one
// larger, then prints the calls and tokens per second.
// RUN: rm -rf %t && mkdir -p %t

// Eight decode steps of the same token from an empty cache: positions
// 0..7 of the returned keys and values hold it and the rest stay zero, and
// the output, attention over eight equal keys and values, is the one-step
// output exactly.
// RUN: python3 %S/Inputs/npy.py %t/k.npy f16 1x1x2x64 normal 4
// RUN: python3 %S/Inputs/npy.py %t/v.npy f16 1x1x2x64 normal 5
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 1=%t/k.npy --input 2=%t/v.npy --input 5=0 --steps=8 --output=%t/steps.npy | FileCheck %s --check-prefix=STEPS
// STEPS: entry: @decode_step(tensor<1x1x8x64xf16>, tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>, index) -> (tensor<1x1x8x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>)
// STEPS: inputs: {{.*}}2 KV cache tensors, empty (zeros)
// STEPS: steps: 7 calls after the first, each fed the caches the previous returned: {{.*}} ms a call, {{.*}} calls/s, {{.*}} tokens/s at batch 1 (wall clock)
// RUN: python3 %S/Inputs/cache_rows.py %t/steps.1.npy %t/k.npy 0 8 | FileCheck %s --check-prefix=ROWS
// RUN: python3 %S/Inputs/cache_rows.py %t/steps.2.npy %t/v.npy 0 8 | FileCheck %s --check-prefix=ROWS
// ROWS: positions [0, 8) hold the token, the rest zero: PASS
// RUN: not python3 %S/Inputs/cache_rows.py %t/steps.1.npy %t/k.npy 0 7
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 1=%t/k.npy --input 2=%t/v.npy --input 5=0 --output=%t/one.npy
// RUN: python3 %S/Inputs/npy_diff.py %t/steps.0.npy %t/one.0.npy 0 | FileCheck %s --check-prefix=SAME
// SAME: within

// From a cache given with --input (random rows), three steps at positions
// 5, 6, 7: the positions before and after keep their rows, and the last
// output is, within f16 rounding, the attention @direct computes over the
// same eight positions, which --check verifies against float64.
// RUN: python3 %S/Inputs/npy.py %t/kc.npy f16 1x64x2x64 normal 6
// RUN: python3 %S/Inputs/npy.py %t/vc.npy f16 1x64x2x64 normal 7
// RUN: python3 %S/Inputs/npy.py %t/kp.npy f16 1x5x2x64 normal 6
// RUN: python3 %S/Inputs/npy.py %t/vp.npy f16 1x5x2x64 normal 7
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 1=%t/k.npy --input 2=%t/v.npy --input 3=%t/kc.npy --input 4=%t/vc.npy --input 5=5 --steps=3 --output=%t/pre.npy
// RUN: python3 %S/Inputs/cache_rows.py %t/pre.1.npy %t/k.npy 5 8 %t/kc.npy | FileCheck %s --check-prefix=KEPT
// RUN: python3 %S/Inputs/cache_rows.py %t/pre.2.npy %t/v.npy 5 8 %t/vc.npy | FileCheck %s --check-prefix=KEPT
// KEPT: positions [5, 8) hold the token, the rest as before: PASS
// RUN: attn-runner --target=cpu %S/Inputs/cache-direct.mlir --input 1=%t/kp.npy --input 2=%t/vp.npy --input 3=%t/k.npy --input 4=%t/v.npy --check --output=%t/direct.npy | FileCheck %s --check-prefix=DIRECT
// DIRECT: check: {{.*}} PASS
// RUN: python3 %S/Inputs/npy_diff.py %t/pre.0.npy %t/direct.npy 2e-3 | FileCheck %s --check-prefix=SAME

// A step past the capacity stops the run with the cache's error.
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=60 --steps=8 2>&1 | FileCheck %s --check-prefix=FULL
// FULL: attn-runner: error: KV cache overflow: attn.cache.append of 1 tokens at position 64 needs 0 <= position and position + tokens <= 64, the capacity; nothing was written

// A quantized cache (int8 codes, f32 scales) is four tensors, the codes
// and then the scales, given and fed back the same way: eight steps of the
// same token give the one-step output exactly.
// RUN: sed 's/!attn.kv_cache<1x2x64x64xf16>/!attn.kv_cache<1x2x64x64xi8, scales = f32>/g' %S/../CUDA/Inputs/cache-step.mlir > %t/quantized.mlir
// RUN: attn-runner --target=cpu %t/quantized.mlir --input 1=%t/k.npy --input 2=%t/v.npy --input 7=0 --steps=8 --output=%t/qsteps.npy | FileCheck %s --check-prefix=QUANTIZED
// QUANTIZED: entry: @decode_step(tensor<1x1x8x64xf16>, tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x64x2x64xi8>, tensor<1x64x2x64xi8>, tensor<1x64x2xf32>, tensor<1x64x2xf32>, index) -> (tensor<1x1x8x64xf16>, tensor<1x64x2x64xi8>, tensor<1x64x2x64xi8>, tensor<1x64x2xf32>, tensor<1x64x2xf32>)
// QUANTIZED: inputs: {{.*}}4 KV cache tensors, empty (zeros)
// QUANTIZED: steps: 7 calls after the first
// RUN: attn-runner --target=cpu %t/quantized.mlir --input 1=%t/k.npy --input 2=%t/v.npy --input 7=0 --output=%t/qone.npy
// RUN: python3 %S/Inputs/npy_diff.py %t/qsteps.0.npy %t/qone.0.npy 0 | FileCheck %s --check-prefix=SAME

// What --steps and --check cannot do.
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-calls.mlir --entry=inline --steps=3 2>&1 | FileCheck %s --check-prefix=NOCACHE
// NOCACHE: attn-runner: error: --steps=3 needs @inline to take KV caches and return as many, each fed to the next call; it takes 0 and returns 0
// --check replays the step into the empty cache the runner passes, at any
// position: the attend reads zeros below it, and the reference takes the
// query, keys and values from the arguments as they are numbered once the
// cache is two tensors. With --steps it replays every call's appends (each
// call's position one further) and checks the last call's output: from
// position 37, eight copies of the token after 37 zero keys.
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=0 --check --seed=4 | FileCheck %s --check-prefix=CHECKED
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=37 --check --seed=4 | FileCheck %s --check-prefix=CHECKED
// CHECKED: inputs: {{.*}}2 KV cache tensors, empty (zeros)
// CHECKED: check: result 0: max_abs_err={{.*}} PASS
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=37 --steps=8 --check --seed=4 | FileCheck %s --check-prefix=CHECKEDSTEPS
// CHECKEDSTEPS: steps: 7 calls after the first
// CHECKEDSTEPS: check: result 0: max_abs_err={{.*}} PASS
// The same for a quantized cache taken empty: the replay quantizes the
// appended token as the append does.
// RUN: attn-runner --target=cpu %t/quantized.mlir --input 7=37 --check --seed=4 | FileCheck %s --check-prefix=QCHECKED
// RUN: attn-runner --target=cpu %t/quantized.mlir --input 7=37 --steps=8 --check --seed=4 | FileCheck %s --check-prefix=QCHECKED
// QCHECKED: inputs: {{.*}}4 KV cache tensors, empty (zeros)
// QCHECKED: check: result 0: max_abs_err={{.*}} PASS
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=0 --input 3=%t/k.npy --check 2>&1 | FileCheck %s --check-prefix=CHECKINPUT
// CHECKINPUT: attn-runner: error: --input 3={{.*}}k.npy: argument 3 is a KV cache tensor, which --check replays from an empty cache; leave it out to start the cache empty
// RUN: sed -e 's/-> (tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>)/-> !attn.kv_cache<1x2x64x64xf16>/' -e 's/return %o, %next : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>/return %next : !attn.kv_cache<1x2x64x64xf16>/' %S/../CUDA/Inputs/cache-step.mlir > %t/cache-only.mlir
// RUN: not attn-runner --target=cpu %t/cache-only.mlir --input 5=0 --check 2>&1 | FileCheck %s --check-prefix=CACHEONLY
// CACHEONLY: attn-runner: error: --check needs @decode_step to return one attn.attention of its own arguments (or an attn.cache.attend of a cache it fills from them), but it returns only KV caches
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=0 --steps=0 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: attn-runner: error: --steps must be at least 1
// RUN: sed -e 's/-> (tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>)/-> (tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x32x64xf16>)/' -e 's/return %o, %next : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x64x64xf16>/%other = attn.cache.create : !attn.kv_cache<1x2x32x64xf16>\n  return %o, %other : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x32x64xf16>/' %S/../CUDA/Inputs/cache-step.mlir > %t/other.mlir
// RUN: not attn-runner --target=cpu %t/other.mlir --input 5=0 --steps=2 2>&1 | FileCheck %s --check-prefix=OTHER
// OTHER: attn-runner: error: --steps: @decode_step returns a KV cache of another type than the one it takes in the same place

// --repeat=N makes the first call N times on the same inputs and passes
// only if every result is the first call's, bit for bit: a step that
// appends the same token at the same position is; one that attends over
// the slot it then writes in place is not, and says where it differs.
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=3 --repeat=4 | FileCheck %s --check-prefix=REPEAT
// REPEAT: repeat: 4 calls, every result bit for bit the first call's
// RUN: not attn-runner --target=cpu %S/Inputs/cache-peek.mlir --input 5=0 --repeat=3 2>&1 | FileCheck %s --check-prefix=DIFFERS
// DIFFERS: attn-runner: error: --repeat: call 2 of 3 gave result 0 other bits than the first call in 512 of 512 elements (the first at flat index 0: 0.000000e+00 then {{.+}}): the entry is not deterministic, or it changes an input it reads (such as a cache it writes in place)
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=0 --repeat=2 --steps=2 2>&1 | FileCheck %s --check-prefix=REPEAT-STEPS
// REPEAT-STEPS: attn-runner: error: --repeat=2 and --steps=2 cannot be combined: the repeated calls must see the same inputs, and each step changes them
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=0 --repeat=0 2>&1 | FileCheck %s --check-prefix=REPEAT-ZERO
// REPEAT-ZERO: attn-runner: error: --repeat must be at least 1
