// KV caches on the GPU: attn-lower-kv-cache makes them device buffers,
// each append a copy kernel into the cache in place, and each attend reads
// the cache's first positions where they lie (the capacity is the row
// stride; no prefix copy). Positions known only at run time are checked on
// the host before any kernel runs, with the CPU target's messages.
// REQUIRES: cuda

// A prefill step through a cache (append 16 tokens at position 0, attend
// over 16) is the attention of the same inputs (the seed gives arguments
// 0-2 the same values in both entries), which --check verifies against
// float64.
// RUN: sed -e 's/@Q@/1x16x8x64/g;s/@K@/1x16x2x64/g;s/@V@/1x16x2x64/g;s/@O@/1x16x8x64/g;s/@T@/f16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.direct.mlir
// RUN: attn-runner %t.direct.mlir --target=cuda --seed=5 --check --output=%t.direct.npy | FileCheck %s --check-prefix=DIRECT
// DIRECT: check: {{.*}} PASS
// RUN: attn-runner %S/Inputs/cache-prefill.mlir --target=cuda --seed=5 --input 3=0 --check --output=%t.cache.npy | FileCheck %s --check-prefix=PREFILL
// PREFILL: argument 3 = 0
// PREFILL: target: cuda
// PREFILL: check: {{.*}} PASS
// RUN: python3 %S/../CPU/Inputs/npy_diff.py %t.cache.npy %t.direct.npy 2e-3 | FileCheck %s --check-prefix=SAME
// SAME: within

// Chunked prefill, the cache carried through scf.for: four steps of four
// tokens, each attending causally over everything so far.
// RUN: attn-runner %S/Inputs/cache-chunked.mlir --target=cuda --seed=5 --output=%t.chunked.npy | FileCheck %s --check-prefix=RUNS
// RUNS: target: cuda
// RUN: python3 %S/../CPU/Inputs/npy_diff.py %t.chunked.npy %t.direct.npy 2e-3 | FileCheck %s --check-prefix=SAME

// Out of range: the same errors as on the CPU and a non-zero exit; the
// last position that fits runs.
// RUN: attn-runner %S/Inputs/cache-prefill.mlir --target=cuda --input 3=48 | FileCheck %s --check-prefix=RUNS
// RUN: not attn-runner %S/Inputs/cache-prefill.mlir --target=cuda --input 3=49 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// OVERFLOW: attn-runner: error: KV cache overflow: attn.cache.append of 16 tokens at position 49 needs 0 <= position and position + tokens <= 64, the capacity; nothing was written
// RUN: not attn-runner %S/Inputs/cache-prefill.mlir --target=cuda --input 3=-1 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: KV cache overflow: attn.cache.append of 16 tokens at position -1 needs
// RUN: not attn-runner %S/Inputs/cache-length.mlir --target=cuda --input 3=65 2>&1 | FileCheck %s --check-prefix=LENGTH
// LENGTH: KV cache out of range: attn.cache.attend over length 65 needs 0 <= length <= 64, the capacity; no key was read
// RUN: attn-runner %S/Inputs/cache-length.mlir --target=cuda --input 3=64 --check | FileCheck %s --check-prefix=PASSES
// RUN: attn-runner %S/Inputs/cache-length.mlir --target=cuda --input 3=5 --check | FileCheck %s --check-prefix=PASSES
// PASSES: check: {{.*}} PASS

// A decode step (a 1000-token prompt, then one token at position 1000, GQA
// 4:1, bf16) on the decode schedule split over 3 blocks; and with the new
// token at 2000, past 1000 positions the reference keeps zero, on the
// schedule auto picks (sm90-decode on sm_90a, decode on other chips).
// RUN: attn-runner %S/Inputs/cache-decode.mlir --target=cuda --seed=8 --input 5=1000 --schedule=decode --kv-splits=3 --check | FileCheck %s --check-prefix=DECODE
// RUN: attn-runner %S/Inputs/cache-decode.mlir --target=cuda --seed=8 --input 5=2000 --check | FileCheck %s --check-prefix=PICKED
// DECODE: schedule decode, kv-splits 3
// DECODE: check: {{.*}} PASS
// PICKED: schedule {{(sm90-)?}}decode, kv-splits for
// PICKED: check: {{.*}} PASS

// Cross-layer attention: layer 1 reads the cache layer 0 wrote, and the
// entry returns both layers' outputs, each checked.
// RUN: attn-runner %attn_src_root/examples/cla_two_layers.mlir --target=cuda --seed=3 --input 4=7 --check | FileCheck %s --check-prefix=CLA
// CLA: check: result 0: {{.*}} PASS
// CLA: check: result 1: {{.*}} PASS

// A cache that lives across calls (passed to @step and returned, twice)
// gives bit for bit the result of the same appends in one body, checked.
// RUN: attn-runner %S/Inputs/cache-calls.mlir --entry=inline --target=cuda --seed=2 --check --output=%t.inline.npy | FileCheck %s --check-prefix=PASSES
// RUN: attn-runner %S/Inputs/cache-calls.mlir --entry=two_calls --target=cuda --seed=2 --output=%t.calls.npy | FileCheck %s --check-prefix=RUNS
// RUN: python3 %S/../CPU/Inputs/npy_diff.py %t.calls.npy %t.inline.npy 0 | FileCheck %s --check-prefix=SAME

// A cache the entry takes and returns stays in the device buffer the
// runner gave it: --steps feeds it back call after call (in place, no
// copy), and the positions the steps wrote hold the token.
// RUN: python3 %S/../CPU/Inputs/npy.py %t.k.npy f16 1x1x2x64 normal 4
// RUN: attn-runner %S/Inputs/cache-step.mlir --target=cuda --input 1=%t.k.npy --input 5=0 --steps=8 --output=%t.steps.npy | FileCheck %s --check-prefix=STEPS
// STEPS: steps: 7 calls after the first
// With --check, the reference replays the eight calls' appends and checks
// the last call's output.
// RUN: attn-runner %S/Inputs/cache-step.mlir --target=cuda --input 5=37 --steps=8 --check --seed=4 | FileCheck %s --check-prefix=CHECKEDSTEPS
// CHECKEDSTEPS: check: result 0: max_abs_err={{.*}} PASS
// RUN: python3 %S/../CPU/Inputs/cache_rows.py %t.steps.1.npy %t.k.npy 0 8 | FileCheck %s --check-prefix=ROWS
// ROWS: PASS
// RUN: not attn-runner %S/Inputs/cache-step.mlir --target=cuda --input 5=60 --steps=8 2>&1 | FileCheck %s --check-prefix=FULL
// FULL: KV cache overflow: attn.cache.append of 1 tokens at position 64 needs
