// The decode schedule with eight warps a block (kv-warps=8): eight streams
// of key tiles, each with its own copy ring and online softmax, combined
// in shared memory at the block's end. Each case is checked against the
// float64 reference: MQA one token on ramp keys (so the lazy rescale moves
// the maxes) over one block and several, a length that is not a multiple of
// the 16-key tile, f16 in bhsd, blocks whose later streams have no tile,
// one m-tile (GQA 4:1, which takes 16-key tiles so that eight rings fit),
// a causal chunk, the shallowest ring, int8 and fp8 caches with f32 scales
// and int8 with bf16 scales, a ring too deep to fit, and the MQA kernel
// under compute-sanitizer's memcheck, racecheck and synccheck.
// Placeholders as in Inputs/attention.mlir.
// REQUIRES: cuda

// RUN: python3 %S/../CPU/Inputs/npy.py %t.rq.npy bf16 1x1x32x128 normal 71
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rk.npy bf16 1x2000x1x128 ramp 72
// RUN: python3 %S/../CPU/Inputs/npy.py %t.rv.npy bf16 1x2000x1x128 normal 73
// RUN: sed -e 's/@Q@/1x1x32x128/g;s/@K@/1x2000x1x128/g;s/@V@/1x2000x1x128/g;s/@O@/1x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.ramp.mlir
// RUN: attn-runner %t.ramp.mlir --target=cuda --check --kv-warps=8 --kv-splits=1 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy > %t.1
// RUN: FileCheck %S/Inputs/check.txt < %t.1 && FileCheck %s --check-prefix=EIGHT < %t.1
// RUN: attn-runner %t.ramp.mlir --target=cuda --check --kv-warps=8 --kv-splits=3 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// RUN: attn-runner %t.ramp.mlir --target=cuda --check --kv-warps=8 --kv-splits=3 --kv-stages=2 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %S/Inputs/check.txt
// EIGHT: schedule decode, kv-splits 1, kv-warps 8

// MQA at batch 2, 1000 keys over the picked splits; f16 in bhsd, 777 keys.
// RUN: sed -e 's/@Q@/2x1x32x128/g;s/@K@/2x1000x1x128/g;s/@V@/2x1000x1x128/g;s/@O@/2x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=74 --kv-warps=8 | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/1x32x1x128/g;s/@K@/1x1x777x128/g;s/@V@/1x1x777x128/g;s/@O@/1x32x1x128/g;s/@T@/f16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=75 --kv-warps=8 --kv-splits=2 | FileCheck %S/Inputs/check.txt

// 40 keys over one block (three tiles: five streams without one) and over
// three (at most one tile a block), at head_dim 64.
// RUN: sed -e 's/@Q@/1x1x32x64/g;s/@K@/1x40x1x64/g;s/@V@/1x40x1x64/g;s/@O@/1x1x32x64/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.short.mlir
// RUN: attn-runner %t.short.mlir --target=cuda --check --seed=76 --kv-warps=8 --kv-splits=1 | FileCheck %S/Inputs/check.txt
// RUN: attn-runner %t.short.mlir --target=cuda --check --seed=76 --kv-warps=8 --kv-splits=3 | FileCheck %S/Inputs/check.txt

// GQA 4:1 (one m-tile), 3000 ramp keys over 2 splits; a causal chunk of 4
// positions of 8 heads a KV head (32 rows), some rows seeing fewer keys.
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gq.npy bf16 2x1x8x128 normal 77
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gk.npy bf16 2x3000x2x128 ramp 78
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gv.npy bf16 2x3000x2x128 normal 79
// RUN: sed -e 's/@Q@/2x1x8x128/g;s/@K@/2x3000x2x128/g;s/@V@/2x3000x2x128/g;s/@O@/2x1x8x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.gqa.mlir
// RUN: attn-runner %t.gqa.mlir --target=cuda --check --schedule=decode --kv-warps=8 --kv-splits=2 --input 0=%t.gq.npy --input 1=%t.gk.npy --input 2=%t.gv.npy | FileCheck %S/Inputs/check.txt
// RUN: sed -e 's/@Q@/2x4x16x128/g;s/@K@/2x300x2x128/g;s/@V@/2x300x2x128/g;s/@O@/2x4x16x128/g;s/@T@/bf16/g;s/@A@/{causal}/g' %S/Inputs/attention.mlir > %t.chunk.mlir
// RUN: attn-runner %t.chunk.mlir --target=cuda --check --seed=80 --kv-warps=8 --kv-splits=2 | FileCheck %S/Inputs/check.txt

// Quantized caches, against the float64 reference that quantizes the same
// way (Inputs/kv_quant_ref.py): int8 and fp8 with f32 scales (which come
// through the stages with the codes) on ramp keys, int8 with bf16 scales
// at head_dim 64 (read from global memory in the loop).
// RUN: rm -rf %t.q && mkdir -p %t.q
// RUN: python3 %S/../CPU/Inputs/npy.py %t.q/rk.npy bf16 1x600x2x128 ramp 81
// RUN: python3 %S/../CPU/Inputs/npy.py %t.q/dv.npy bf16 1x600x2x128 normal 82
// RUN: python3 %S/../CPU/Inputs/npy.py %t.q/mq.npy bf16 1x1x64x128 normal 83
// RUN: sed -e 's/@S@/i8/g;s/@T@/f32/g;s/@E@/bf16/g;s/@H@/64/g;s/@D@/128/g' %S/Inputs/cache-quantized-decode.mlir > %t.q/i8.mlir
// RUN: sed -e 's/@S@/f8E4M3FN/g;s/@T@/f32/g;s/@E@/bf16/g;s/@H@/64/g;s/@D@/128/g' %S/Inputs/cache-quantized-decode.mlir > %t.q/fp8.mlir
// RUN: attn-runner --target=cuda %t.q/i8.mlir --kv-warps=8 --kv-splits=3 \
// RUN:   --input 0=%t.q/mq.npy --input 1=%t.q/rk.npy --input 2=%t.q/dv.npy --output=%t.q/i8.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t.q/mq.npy \
// RUN:   %t.q/rk.npy %t.q/dv.npy %t.q/i8.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: attn-runner --target=cuda %t.q/fp8.mlir --kv-warps=8 \
// RUN:   --input 0=%t.q/mq.npy --input 1=%t.q/rk.npy --input 2=%t.q/dv.npy --output=%t.q/fp8.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn f32 %t.q/mq.npy \
// RUN:   %t.q/rk.npy %t.q/dv.npy %t.q/fp8.npy --tensor-cores | FileCheck %s --check-prefix=Q-FP8
// Q-I8: quantized i8 scales f32: max_abs_err={{.*}} PASS
// Q-FP8: quantized f8e4m3fn scales f32: max_abs_err={{.*}} PASS
// RUN: python3 %S/../CPU/Inputs/npy.py %t.q/k64.npy bf16 1x600x2x64 normal 84
// RUN: python3 %S/../CPU/Inputs/npy.py %t.q/v64.npy bf16 1x600x2x64 normal 85
// RUN: python3 %S/../CPU/Inputs/npy.py %t.q/q64.npy bf16 1x1x64x64 normal 86
// RUN: sed -e 's/@S@/i8/g;s/@T@/bf16/g;s/@E@/bf16/g;s/@H@/64/g;s/@D@/64/g' %S/Inputs/cache-quantized-decode.mlir > %t.q/i8-64.mlir
// RUN: attn-runner --target=cuda %t.q/i8-64.mlir --kv-warps=8 --kv-splits=2 \
// RUN:   --input 0=%t.q/q64.npy --input 1=%t.q/k64.npy --input 2=%t.q/v64.npy --output=%t.q/i8-64.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 bf16 %t.q/q64.npy \
// RUN:   %t.q/k64.npy %t.q/v64.npy %t.q/i8-64.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8-BF16
// Q-I8-BF16: quantized i8 scales bf16: max_abs_err={{.*}} PASS

// Eight rings of eight stages of MQA's 16-key tiles need more shared
// memory than a block has: auto falls back to another schedule and says
// why.
// RUN: attn-runner %t.ramp.mlir --target=cuda --check --kv-warps=8 --kv-stages=8 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy > %t.2
// RUN: FileCheck %S/Inputs/check.txt < %t.2 && FileCheck %s --check-prefix=DEEP < %t.2
// DEEP: decode does not cover it: 8 copy stages (kv-stages) need {{[0-9]+}} bytes of shared memory a block of 8 warps (kv-warps)

// Eight streams share the block's combine buffers after their loops.
// RUN: %compute_sanitizer --tool memcheck --error-exitcode 1 attn-runner %t.ramp.mlir --target=cuda --check --kv-warps=8 --kv-splits=3 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %s --check-prefixes=CHECK,ERRORS
// RUN: %compute_sanitizer --tool racecheck --racecheck-report all --error-exitcode 1 attn-runner %t.ramp.mlir --target=cuda --check --kv-warps=8 --kv-splits=3 --input 0=%t.rq.npy --input 1=%t.rk.npy --input 2=%t.rv.npy | FileCheck %s --check-prefixes=CHECK,RACES
// RUN: %compute_sanitizer --tool synccheck --error-exitcode 1 attn-runner %t.q/i8.mlir --kv-warps=8 --kv-splits=3 --input 0=%t.q/mq.npy --input 1=%t.q/rk.npy --input 2=%t.q/dv.npy | FileCheck %s --check-prefix=ERRORS
// CHECK: check: max_abs_err={{.*}} PASS
// ERRORS: ERROR SUMMARY: 0 errors
// RACES: RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)
