// Quantized KV caches on the GPU, the programs of the CPU test
// (Integration/CPU/kv-cache-quantized.mlir), with the appends' quantization
// as element kernels and the attention on two schedules: the scalar one,
// which dequantizes each K/V element as its tile is loaded, in f32, and the
// decode schedule (the default for these few query rows), which copies the
// codes, turns each lane's words of codes into f16 operands of its
// tensor-core products in registers (the bf16 query converted to f16) and
// multiplies each key's scores and probabilities by its scales. Checked
// against the same float64 references, including one that quantizes the
// same way; the decode schedule's results against FlashAttention's
// criterion for a computation in the output's type (--tensor-cores).
// REQUIRES: cuda

// RUN: rm -rf %t && mkdir -p %t && split-file %S/../CPU/kv-cache-quantized.mlir %t
// RUN: python3 %S/../CPU/Inputs/npy.py %t/q.npy bf16 1x8x4x64 normal 1
// RUN: python3 %S/../CPU/Inputs/npy.py %t/k.npy bf16 1x32x2x64 normal 2
// RUN: python3 %S/../CPU/Inputs/npy.py %t/v.npy bf16 1x32x2x64 normal 3

// int8 codes, f32 scales, two appends, KV tiles of 8.
// RUN: attn-runner --target=cuda %t/i8.mlir --schedule=scalar --kv-tile=8 --q-tile=4 \
// RUN:   --input 0=%t/q.npy --input 1=%t/k.npy --input 2=%t/v.npy \
// RUN:   --output=%t/i8.npy | FileCheck %s --check-prefix=GPU
// GPU: target: cuda ({{.*}}schedule scalar
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/i8.npy --causal | FileCheck %s --check-prefix=Q-I8
// Q-I8: quantized i8 scales f32: max_abs_err={{.*}} PASS
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py unquantized i8 f32 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/i8.npy --causal | FileCheck %s --check-prefix=U-I8
// U-I8: unquantized i8 scales f32: max_abs_err={{.*}} PASS
// RUN: not python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/i8.npy --causal --drop-scales \
// RUN:   | FileCheck %s --check-prefix=DROP
// DROP: (scales dropped): max_abs_err={{.*}} FAIL
// The same on the decode schedule.
// RUN: attn-runner --target=cuda %t/i8.mlir --input 0=%t/q.npy \
// RUN:   --input 1=%t/k.npy --input 2=%t/v.npy --output=%t/i8-decode.npy \
// RUN:   | FileCheck %s --check-prefix=DECODE
// DECODE: target: cuda ({{.*}}schedule decode
// Where the appends are the entry's arguments, attn-runner --check also
// replays them, quantizing as the append does, and holds the result to
// FlashAttention's criterion against float64 attention over the
// dequantized codes (the naive computation reading them in the output's
// type, as the decode schedule's operands are).
// CHECKED: check: max_abs_err={{.*}} PASS
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/i8-decode.npy --causal --tensor-cores \
// RUN:   | FileCheck %s --check-prefix=Q-I8
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py unquantized i8 f32 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/i8-decode.npy --causal --tensor-cores \
// RUN:   | FileCheck %s --check-prefix=U-I8
// RUN: not python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/i8-decode.npy --causal --drop-scales \
// RUN:   --tensor-cores | FileCheck %s --check-prefix=DROP

// fp8 (e4m3) codes with bf16 scales: the conversions to and from
// f8E4M3FN are integer arithmetic in the kernels (attn-expand-f8e4m3fn).
// RUN: attn-runner --target=cuda %t/fp8.mlir --schedule=scalar --input 0=%t/q.npy \
// RUN:   --input 1=%t/k.npy --input 2=%t/v.npy --output=%t/fp8.npy --check \
// RUN:   | FileCheck %s --check-prefixes=GPU,CHECKED
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/fp8.npy | FileCheck %s --check-prefix=Q-FP8
// Q-FP8: quantized f8e4m3fn scales bf16: max_abs_err={{.*}} PASS
// RUN: attn-runner --target=cuda %t/fp8.mlir --input 0=%t/q.npy \
// RUN:   --input 1=%t/k.npy --input 2=%t/v.npy --output=%t/fp8-decode.npy --check \
// RUN:   | FileCheck %s --check-prefixes=DECODE,CHECKED
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/fp8-decode.npy --tensor-cores \
// RUN:   | FileCheck %s --check-prefix=Q-FP8


// f16 queries (no conversion), 20 query rows per KV head (two m-tiles of
// 16-key tiles), head_dim 32 (a lane's words of K are 8 bytes, of V 4) with
// int8 codes, and head_dim 64 with fp8.
// RUN: sed -e 's/@S@/i8/g;s/@T@/f16/g;s/@E@/f16/g;s/@H@/40/g;s/@D@/32/g' %S/Inputs/cache-quantized-decode.mlir > %t/qd-d32.mlir
// RUN: python3 %S/../CPU/Inputs/npy.py %t/q32.npy f16 1x1x40x32 normal 21
// RUN: python3 %S/../CPU/Inputs/npy.py %t/k32.npy f16 1x600x2x32 normal 22
// RUN: python3 %S/../CPU/Inputs/npy.py %t/v32.npy f16 1x600x2x32 normal 23
// RUN: attn-runner --target=cuda %t/qd-d32.mlir --input 0=%t/q32.npy \
// RUN:   --input 1=%t/k32.npy --input 2=%t/v32.npy --output=%t/qd-d32.npy --check \
// RUN:   | FileCheck %s --check-prefixes=DECODE,CHECKED
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f16 %t/q32.npy \
// RUN:   %t/k32.npy %t/v32.npy %t/qd-d32.npy --tensor-cores | FileCheck %s --check-prefix=Q-D32
// Q-D32: quantized i8 scales f16: max_abs_err={{.*}} PASS
// RUN: sed -e 's/@S@/f8E4M3FN/g;s/@T@/f32/g;s/@E@/bf16/g;s/@H@/8/g;s/@D@/64/g' %S/Inputs/cache-quantized-decode.mlir > %t/qd-d64.mlir
// RUN: python3 %S/../CPU/Inputs/npy.py %t/q64.npy bf16 1x1x8x64 normal 24
// RUN: python3 %S/../CPU/Inputs/npy.py %t/k64.npy bf16 1x600x2x64 normal 25
// RUN: python3 %S/../CPU/Inputs/npy.py %t/v64.npy bf16 1x600x2x64 normal 26
// RUN: attn-runner --target=cuda %t/qd-d64.mlir --kv-splits=2 --input 0=%t/q64.npy \
// RUN:   --input 1=%t/k64.npy --input 2=%t/v64.npy --output=%t/qd-d64.npy --check \
// RUN:   | FileCheck %s --check-prefixes=DECODE,CHECKED
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn f32 %t/q64.npy \
// RUN:   %t/k64.npy %t/v64.npy %t/qd-d64.npy --tensor-cores | FileCheck %s --check-prefix=Q-D64
// Q-D64: quantized f8e4m3fn scales f32: max_abs_err={{.*}} PASS

// The cache carried through an scf.for decode loop, 8 tokens a step.
// RUN: sed -e 's/@S@/f16/g' %t/loop.mlir > %t/loop-f16.mlir
// RUN: attn-runner --target=cuda %t/loop-f16.mlir --schedule=scalar --kv-tile=8 --q-tile=4 \
// RUN:   --input 0=%t/q.npy --input 1=%t/k.npy --input 2=%t/v.npy \
// RUN:   --output=%t/loop-f16.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f16 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/loop-f16.npy --causal | FileCheck %s --check-prefix=Q-LOOP
// Q-LOOP: quantized i8 scales f16: max_abs_err={{.*}} PASS
// RUN: attn-runner --target=cuda %t/loop-f16.mlir \
// RUN:   --input 0=%t/q.npy --input 1=%t/k.npy --input 2=%t/v.npy \
// RUN:   --output=%t/loop-f16-decode.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f16 %t/q.npy \
// RUN:   %t/k.npy %t/v.npy %t/loop-f16-decode.npy --causal --tensor-cores \
// RUN:   | FileCheck %s --check-prefix=Q-LOOP
