// Per-sequence key lengths on the GPU, the programs of the CPU test
// (Integration/CPU/kv-lengths.mlir), f32, on the scalar schedule, and a bf16
// decode step on the decode schedule (each block reads its sequence's
// length; the prefill tensor-core schedules do not take lengths yet),
// checked against float64. A cache attend checks each length on the
// host first (the lengths are copied back for it) and fails with the CPU's
// message, reading nothing.
// REQUIRES: cuda

// RUN: rm -rf %t && mkdir -p %t && split-file %S/../CPU/kv-lengths.mlir %t
// RUN: attn-runner --target=cuda %t/attention.mlir --seed=3 --input 3=40,7,2 --check | FileCheck %s --check-prefixes=GPU,PASS
// GPU: target: cuda ({{.*}}schedule scalar
// PASS: check: max_abs_err={{.*}} PASS
// RUN: attn-runner --target=cuda %t/attention.mlir --seed=3 --input 3=0,40,1 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cuda %t/attention.mlir --seed=3 --input 3=-5,100,3 --check | FileCheck %s --check-prefix=PASS
// RUN: python3 %S/../CPU/Inputs/npy.py %t/k.npy f32 3x40x2x16 nan 1507
// RUN: attn-runner --target=cuda %t/attention.mlir --input 1=%t/k.npy --input 3=40,7,2 --check | FileCheck %s --check-prefix=PASS
// RUN: not attn-runner --target=cuda %t/attention.mlir --input 1=%t/k.npy --input 3=40,8,2 --check 2>&1 | FileCheck %s --check-prefix=NAN
// NAN: check: max_abs_err={{.*}} nan=64 FAIL

// RUN: attn-runner --target=cuda %t/cache.mlir --seed=5 --input 3=12 --input 4=12,5 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-runner --target=cuda %t/cache.mlir --seed=5 --input 3=9 --input 4=0,9 --check | FileCheck %s --check-prefix=PASS
// RUN: not attn-runner --target=cuda %t/cache.mlir --seed=5 --input 3=12 --input 4=5,13 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: attn-runner: error: KV cache out of range: attn.cache.attend of sequence 1 over length 13 needs 0 <= length <= 12, the attend's length; no key was read

// The decode schedule: one launch over sequences of 300, 1, 150 and 0 keys,
// with the splits sized for the longest (the shorter sequences' extra
// splits have no tile), and forced to 1 and 7 splits. Key 5 of sequence 1
// is NaN in element 0 of KV head 0 (flat index ((1 * 300 + 5) * 8) * 128),
// which a length of 1 never reads; a length of 6 does, in the 4 query heads
// of KV head 0: 4 x 128 = 512 NaN result elements.
// RUN: attn-runner --target=cuda %S/Inputs/decode-lengths.mlir --seed=7 --input 3=300,1,150,0 --check | FileCheck %s --check-prefix=DECODE
// DECODE: target: cuda ({{.*}}schedule decode
// DECODE: check: max_abs_err={{.*}} PASS
// RUN: attn-runner --target=cuda %S/Inputs/decode-lengths.mlir --seed=7 --input 3=300,1,150,0 --check --kv-splits=1 | FileCheck %s --check-prefix=DECODE
// RUN: attn-runner --target=cuda %S/Inputs/decode-lengths.mlir --seed=7 --input 3=2,300,17,299 --check --kv-splits=7 | FileCheck %s --check-prefix=DECODE
// RUN: python3 %S/../CPU/Inputs/npy.py %t/kd.npy bf16 4x300x8x128 nan 312320
// RUN: attn-runner --target=cuda %S/Inputs/decode-lengths.mlir --input 1=%t/kd.npy --input 3=300,1,150,0 --check | FileCheck %s --check-prefix=DECODE
// RUN: not attn-runner --target=cuda %S/Inputs/decode-lengths.mlir --input 1=%t/kd.npy --input 3=300,6,150,0 --check 2>&1 | FileCheck %s --check-prefix=DECODE-NAN
// DECODE-NAN: check: max_abs_err={{.*}} nan=512 FAIL
