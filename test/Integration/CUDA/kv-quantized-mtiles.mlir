// Quantized KV caches on the decode schedule with two m-tiles of query
// rows per KV head, checked as in kv-quantized-decode.mlir; apart so that
// lit runs them alongside, since each float64 reference of 64 rows takes
// seconds.
// REQUIRES: cuda

// RUN: rm -rf %t && mkdir -p %t
// RUN: python3 %S/../CPU/Inputs/npy.py %t/dk.npy bf16 1x600x2x128 normal 12
// RUN: python3 %S/../CPU/Inputs/npy.py %t/dv.npy bf16 1x600x2x128 normal 13
// RUN: python3 %S/../CPU/Inputs/npy.py %t/rk.npy bf16 1x600x2x128 ramp 14

// 32 query rows per KV head (two m-tiles, as MQA 32:1 packs): f32 scales
// come through the stages with the codes and the rescale is lazy (the
// maxes move only past 2^8). int8 over 3 blocks with N(0, 1) keys and with
// ramp keys, which drive both sides of the lazy rescale (also through eight
// copy stages); fp8 with f32 scales on ramp keys over the picked split
// count.
// RUN: sed -e 's/@S@/i8/g;s/@T@/f32/g;s/@E@/bf16/g;s/@H@/64/g;s/@D@/128/g' %S/Inputs/cache-quantized-decode.mlir > %t/qd-m2-i8.mlir
// RUN: sed -e 's/@S@/f8E4M3FN/g;s/@T@/f32/g;s/@E@/bf16/g;s/@H@/64/g;s/@D@/128/g' %S/Inputs/cache-quantized-decode.mlir > %t/qd-m2-fp8.mlir
// RUN: python3 %S/../CPU/Inputs/npy.py %t/mq.npy bf16 1x1x64x128 normal 31
// RUN: attn-runner --target=cuda %t/qd-m2-i8.mlir --kv-splits=3 --input 0=%t/mq.npy \
// RUN:   --input 1=%t/dk.npy --input 2=%t/dv.npy --output=%t/qd-m2-i8.npy \
// RUN:   | FileCheck %s --check-prefix=DECODE
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/mq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-m2-i8.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: not python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/mq.npy \
// RUN:   %t/dk.npy %t/dv.npy %t/qd-m2-i8.npy --tensor-cores --drop-scales \
// RUN:   | FileCheck %s --check-prefix=DROP
// RUN: attn-runner --target=cuda %t/qd-m2-i8.mlir --kv-splits=3 --input 0=%t/mq.npy \
// RUN:   --input 1=%t/rk.npy --input 2=%t/dv.npy --output=%t/qd-m2-i8-ramp.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/mq.npy \
// RUN:   %t/rk.npy %t/dv.npy %t/qd-m2-i8-ramp.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: attn-runner --target=cuda %t/qd-m2-i8.mlir --kv-splits=2 --kv-stages=8 \
// RUN:   --input 0=%t/mq.npy --input 1=%t/rk.npy --input 2=%t/dv.npy \
// RUN:   --output=%t/qd-m2-i8-deep.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized i8 f32 %t/mq.npy \
// RUN:   %t/rk.npy %t/dv.npy %t/qd-m2-i8-deep.npy --tensor-cores | FileCheck %s --check-prefix=Q-I8
// RUN: attn-runner --target=cuda %t/qd-m2-fp8.mlir --input 0=%t/mq.npy \
// RUN:   --input 1=%t/rk.npy --input 2=%t/dv.npy --output=%t/qd-m2-fp8-ramp.npy
// RUN: python3 %S/../CPU/Inputs/kv_quant_ref.py quantized f8e4m3fn f32 %t/mq.npy \
// RUN:   %t/rk.npy %t/dv.npy %t/qd-m2-fp8-ramp.npy --tensor-cores | FileCheck %s --check-prefix=Q-FP8-F32
// DECODE: target: cuda ({{.*}}schedule decode
// Q-I8: quantized i8 scales f32: max_abs_err={{.*}} PASS
// DROP: (scales dropped): max_abs_err={{.*}} FAIL
// Q-FP8-F32: quantized f8e4m3fn scales f32: max_abs_err={{.*}} PASS
