// An entry that takes and returns a KV cache: attn-runner gives it an empty
// cache (the entry's signature is lowered first, so the cache is two
// [B, C, H, D] tensors, keys and values, numbered as the entry: line
// shows), and --steps=N calls it N times, each call fed the cache the
// previous one returned and its integer argument (the position) one
// larger, then prints the calls and tokens per second.
// RUN: rm -rf %t && mkdir -p %t
// RUN: python3 %S/Inputs/npy.py %t/k.npy f16 1x1x2x64 normal 4

// Eight decode steps of the same token: positions 0..7 of the returned keys
// hold it and the rest stay zero, and the output, attention over eight
// equal keys and values, is the one-step output exactly.
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 1=%t/k.npy --input 5=0 --steps=8 --output=%t/steps.npy | FileCheck %s --check-prefix=STEPS
// STEPS: entry: @decode_step(tensor<1x1x8x64xf16>, tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>, index) -> (tensor<1x1x8x64xf16>, tensor<1x64x2x64xf16>, tensor<1x64x2x64xf16>)
// STEPS: inputs: {{.*}}2 KV cache tensors, empty (zeros)
// STEPS: steps: 7 calls after the first, each fed the caches the previous returned: {{.*}} ms a call, {{.*}} calls/s, {{.*}} tokens/s at batch 1 (wall clock)
// RUN: python3 %S/Inputs/cache_rows.py %t/steps.1.npy %t/k.npy 0 8 | FileCheck %s --check-prefix=ROWS
// ROWS: positions [0, 8) hold the token, the rest zero: PASS
// RUN: not python3 %S/Inputs/cache_rows.py %t/steps.1.npy %t/k.npy 0 7
// RUN: attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 1=%t/k.npy --input 5=0 --output=%t/one.npy
// RUN: python3 %S/Inputs/npy_diff.py %t/steps.0.npy %t/one.0.npy 0 | FileCheck %s --check-prefix=SAME
// SAME: within

// A step past the capacity stops the run with the cache's error.
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=60 --steps=8 2>&1 | FileCheck %s --check-prefix=FULL
// FULL: attn-runner: error: KV cache overflow: attn.cache.append of 1 tokens at position 64 needs 0 <= position and position + tokens <= 64, the capacity; nothing was written

// What --steps and --check cannot do.
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-calls.mlir --entry=inline --steps=3 2>&1 | FileCheck %s --check-prefix=NOCACHE
// NOCACHE: attn-runner: error: --steps=3 needs @inline to take KV caches and return as many, each fed to the next call; it takes 0 and returns 0
// RUN: not attn-runner --target=cpu %S/../CUDA/Inputs/cache-step.mlir --input 5=0 --check 2>&1 | FileCheck %s --check-prefix=CHECKED
// CHECKED: attn-runner: error: --check cannot replay a KV cache that @decode_step takes or returns (the reference replays caches the entry creates)
