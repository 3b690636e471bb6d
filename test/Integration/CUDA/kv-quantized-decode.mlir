// Quantized KV caches on the decode schedule over longer caches (the
// short programs are in kv-quantized.mlir; these are apart so that lit
// runs them alongside): the attention of cache-quantized-decode.mlir
// against the float64 references of kv_quant_ref.py, which quantize the
// same way, under FlashAttention's criterion (--tensor-cores).
// REQUIRES: cuda

// RUN: rm -rf %t && mkdir -p %t
// RUN: python3 %S/../CPU/Inputs/npy.py %t/dq.npy bf16 1x1x8x128 normal 11
// RUN: python3 %S/../CPU/Inputs/npy.py %t/dk.npy bf16 1x600x2x128 normal 12
// RUN: python3 %S/../CPU/Inputs/npy.py %t/dv.npy bf16 1x600x2x128 normal 13

// A longer decode step on the decode schedule: 600 keys, 19 tiles over the
// 4 warps (each warp's stage ring wraps), split over 1 and 3 blocks, int8
// with f32 scales and fp8 with bf16 scales.
// RUN: sed -e 's/@S@/i8/g;s/@T@/f32/g;s/@E@/bf16/g;s/@H@/8/g;s/@D@/128/g' %S/Inputs/cache-quantized-decode.mlir > %t/qd-i8.mlir
// RUN: sed -e 's/@S@/f8E4M3FN/g;s/@T@/bf16/g;s/@E@/bf16/g;s/@H@/8/g;s/@D@/128/g' %S/Inputs/cache-quantized-decode.mlir > %t/qd-fp8.mlir
// RUN: attn-runner --target=cuda %t/qd-i8.mlir --kv-splits=1 --input 0=%t/dq.npy \
// RUN:   --input 1=%t/dk.npy --input 2=%t/dv.npy --output=%t/qd-i8-1.npy \
// RUN:   | FileCheck %s --check-prefix=DECODE
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/dq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-i8-1.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: attn-runner --target=cuda %t/qd-i8.mlir --kv-splits=3 --input 0=%t/dq.npy \
// RUN:   --input 1=%t/dk.npy --input 2=%t/dv.npy --output=%t/qd-i8-3.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/dq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-i8-3.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: not python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/dq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-i8-3.npy --tensor-cores --drop-scales \
// RUN:   | FileCheck %s --check-prefix=DROP
// RUN: attn-runner --target=cuda %t/qd-fp8.mlir --kv-splits=3 --input 0=%t/dq.npy \
// RUN:   --input 1=%t/dk.npy --input 2=%t/dv.npy --output=%t/qd-fp8.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/dq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-fp8.npy --tensor-cores | FileCheck %s --check-prefix=Q-FP8

// Deeper copy rings (kv-stages): int8 with eight stages, which at 32 keys
// would not fit (so 16-key tiles on one m-tile), and fp8 with five.
// RUN: attn-runner --target=cuda %t/qd-i8.mlir --kv-splits=3 --kv-stages=8 \
// RUN:   --input 0=%t/dq.npy --input 1=%t/dk.npy --input 2=%t/dv.npy \
// RUN:   --output=%t/qd-i8-deep.npy | FileCheck %s --check-prefix=DECODE
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/dq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-i8-deep.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: attn-runner --target=cuda %t/qd-fp8.mlir --kv-splits=2 --kv-stages=5 \
// RUN:   --input 0=%t/dq.npy --input 1=%t/dk.npy --input 2=%t/dv.npy \
// RUN:   --output=%t/qd-fp8-deep.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/dq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-fp8-deep.npy --tensor-cores | FileCheck %s --check-prefix=Q-FP8

// The same with values 2^-12 the size: P times such value scales would be
// f16 subnormals, so the kernel takes the scales over the power of two at
// or below each tile's largest. Held to the same bound, its floor shrunk
// alike (--small-values).
// RUN: python3 %S/../CPU/Inputs/npy.py %t/sv.npy bf16 1x600x2x128 small 13
// RUN: attn-runner --target=cuda %t/qd-i8.mlir --kv-splits=3 --input 0=%t/dq.npy \
// RUN:   --input 1=%t/dk.npy --input 2=%t/sv.npy --output=%t/qd-i8-small.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/dq.npy \
// RUN:   %t/dk.npy %t/sv.npy %t/qd-i8-small.npy --tensor-cores --small-values \
// RUN:   | FileCheck %s --check-prefix=Q-I8
// RUN: attn-runner --target=cuda %t/qd-fp8.mlir --input 0=%t/dq.npy \
// RUN:   --input 1=%t/dk.npy --input 2=%t/sv.npy --output=%t/qd-fp8-small.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/dq.npy \
// RUN:   %t/dk.npy %t/sv.npy %t/qd-fp8-small.npy --tensor-cores --small-values \
// RUN:   | FileCheck %s --check-prefix=Q-FP8

// Keys whose magnitude grows along the sequence (npy.py ramp): the running
// maxes keep rising tile after tile, with f32 and bf16 scales (one m-tile:
// both from global memory, an eager rescale).
// RUN: python3 %S/../CPU/Inputs/npy.py %t/rk.npy bf16 1x600x2x128 ramp 14
// RUN: attn-runner --target=cuda %t/qd-i8.mlir --kv-splits=2 --input 0=%t/dq.npy \
// RUN:   --input 1=%t/rk.npy --input 2=%t/dv.npy --output=%t/qd-i8-ramp.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/dq.npy \
// RUN:   %t/rk.npy %t/dv.npy %t/qd-i8-ramp.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: attn-runner --target=cuda %t/qd-fp8.mlir --input 0=%t/dq.npy \
// RUN:   --input 1=%t/rk.npy --input 2=%t/dv.npy --output=%t/qd-fp8-ramp.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn bf16 %t/dq.npy \
// RUN:   %t/rk.npy %t/dv.npy %t/qd-fp8-ramp.npy --tensor-cores | FileCheck %s --check-prefix=Q-FP8
// DECODE: target: cuda ({{.*}}schedule decode
// Q-I8: quantized i8 scales f32: max_abs_err={{.*}} PASS
// DROP: (scales dropped): max_abs_err={{.*}} FAIL
// Q-FP8: quantized f8e4m3fn scales bf16: max_abs_err={{.*}} PASS
