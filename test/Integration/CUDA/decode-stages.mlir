// The decode schedule with its copy ring forced deeper than the default
// (kv-stages), each case checked against the float64 reference: one m-tile
// on 16-key tiles (six stages of 32 keys would not fit), a stage count that
// is not a power of two on MQA's two m-tiles, rings that wrap many times
// over keys whose magnitude grows along the sequence (npy.py ramp, so the
// running maxes keep moving), causal chunks with a window, and a forced
// count that does not fit shared memory. Placeholders as in
// Inputs/attention.mlir; the quantized caches' forced stages are in
// kv-quantized-decode.mlir and kv-quantized-mtiles.mlir.
// REQUIRES: cuda

// GQA 4:1 (one m-tile), 3000 ramp keys over 2 splits, six stages of 16 keys.
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gq.npy bf16 2x1x8x128 normal 51
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gk.npy bf16 2x3000x2x128 ramp 52
// RUN: python3 %S/../CPU/Inputs/npy.py %t.gv.npy bf16 2x3000x2x128 normal 53
// RUN: sed -e 's/@Q@/2x1x8x128/g;s/@K@/2x3000x2x128/g;s/@V@/2x3000x2x128/g;s/@O@/2x1x8x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.gqa.mlir
// RUN: attn-runner %t.gqa.mlir --target=cuda --check --kv-splits=2 --kv-stages=6 --input 0=%t.gq.npy --input 1=%t.gk.npy --input 2=%t.gv.npy > %t.1
// RUN: FileCheck %S/Inputs/check.txt < %t.1 && FileCheck %s --check-prefix=SIX < %t.1
// SIX: schedule decode, kv-splits 2, kv-stages 6
// The same over one split (each warp's ring wraps about 12 times) and with
// the fewest stages.
// RUN: attn-runner %t.gqa.mlir --target=cuda --check --kv-splits=1 --kv-stages=6 --input 0=%t.gq.npy --input 1=%t.gk.npy --input 2=%t.gv.npy | FileCheck %S/Inputs/check.txt
// RUN: attn-runner %t.gqa.mlir --target=cuda --check --kv-splits=3 --kv-stages=2 --input 0=%t.gq.npy --input 1=%t.gk.npy --input 2=%t.gv.npy | FileCheck %S/Inputs/check.txt

// MQA (two m-tiles, lazy rescale), 2000 ramp keys, five stages, f16 and bhsd.
// RUN: python3 %S/../CPU/Inputs/npy.py %t.mq.npy f16 1x32x1x128 normal 54
// RUN: python3 %S/../CPU/Inputs/npy.py %t.mk.npy f16 1x1x2000x128 ramp 55
// RUN: python3 %S/../CPU/Inputs/npy.py %t.mv.npy f16 1x1x2000x128 normal 56
// RUN: sed -e 's/@Q@/1x32x1x128/g;s/@K@/1x1x2000x128/g;s/@V@/1x1x2000x128/g;s/@O@/1x32x1x128/g;s/@T@/f16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/Inputs/attention.mlir > %t.mqa.mlir
// RUN: attn-runner %t.mqa.mlir --target=cuda --check --kv-splits=3 --kv-stages=5 --input 0=%t.mq.npy --input 1=%t.mk.npy --input 2=%t.mv.npy | FileCheck %S/Inputs/check.txt
// RUN: attn-runner %t.mqa.mlir --target=cuda --check --kv-stages=6 --input 0=%t.mq.npy --input 1=%t.mk.npy --input 2=%t.mv.npy | FileCheck %S/Inputs/check.txt

// Causal chunks of 3 positions of 4 heads per KV head (12 rows, one m-tile)
// with a window, 1025 keys (a partial last tile), seven stages.
// RUN: sed -e 's/@Q@/1x3x8x64/g;s/@K@/1x1025x2x64/g;s/@V@/1x1025x2x64/g;s/@O@/1x3x8x64/g;s/@T@/bf16/g;s/@A@/{causal, window = 300 : i64}/g' %S/Inputs/attention.mlir \
// RUN:   | attn-runner - --target=cuda --check --seed=57 --kv-splits=2 --kv-stages=7 | FileCheck %S/Inputs/check.txt

// Eight stages of MQA's 16-key tiles need more shared memory than a block
// has: auto falls back to another schedule and says why.
// RUN: attn-runner %t.mqa.mlir --target=cuda --check --kv-stages=8 --input 0=%t.mq.npy --input 1=%t.mk.npy --input 2=%t.mv.npy > %t.2
// RUN: FileCheck %S/Inputs/check.txt < %t.2 && FileCheck %s --check-prefix=DEEP < %t.2
// DEEP: decode does not cover it: 8 copy stages (kv-stages) need {{[0-9]+}} bytes of shared memory a block
