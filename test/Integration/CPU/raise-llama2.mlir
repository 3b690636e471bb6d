// llama2's attention written only in upstream ops (examples/
// llama2_gqa_linalg.mlir) becomes one grouped attention, and runs to the
// same numbers as the attn-dialect form of the same layer.

// Raising and fusing leaves one attn.attention on the arguments: no
// repeated K/V, no broadcast, transpose, matmul or softmax.
// RUN: attn-opt %attn_src_root/examples/llama2_gqa_linalg.mlir --attn-raise-attention --attn-fuse-repeat-kv | FileCheck %s
// CHECK-LABEL: func.func @llama2_attention(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x256x32x128xf16>, %[[K:[^:]+]]: tensor<1x256x8x128xf16>, %[[V:[^:]+]]: tensor<1x256x8x128xf16>, %[[M:[^:]+]]: tensor<1x1x256x256xf16>
// CHECK-NOT:     linalg.
// CHECK-NOT:     tensor.
// CHECK-NOT:     attn.repeat_kv
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<1x1x256x256xf16>) {scale = 0.0883977934 : f32} : tensor<1x256x32x128xf16>, tensor<1x256x8x128xf16>, tensor<1x256x8x128xf16> -> tensor<1x256x32x128xf16>
// CHECK-NEXT:    return %[[O]]

// The same when keys.transpose(1, 2).transpose(2, 3) comes as one
// composed linalg.transpose [0, 2, 3, 1], as canonicalization leaves it:
// the raise transposes it back and the fusion composes the two.
// RUN: sed -e 's/ins(%%k : tensor<1x32x256x128xf16>)/ins(%%keys : tensor<1x256x32x128xf16>)/' \
// RUN:     -e 's/permutation = \[0, 1, 3, 2\]/permutation = [0, 2, 3, 1]/' %attn_src_root/examples/llama2_gqa_linalg.mlir \
// RUN:   | attn-opt --attn-raise-attention --attn-fuse-repeat-kv | FileCheck %s --check-prefix=COMPOSED
// COMPOSED-LABEL: func.func @llama2_attention(
// COMPOSED-NOT:     linalg.
// COMPOSED:         attn.attention %arg0, %arg1, %arg2 mask(%arg3 : tensor<1x1x256x256xf16>) {scale = 0.0883977934 : f32}
// COMPOSED-NEXT:    return

// Exactly one attention.
// RUN: attn-opt %attn_src_root/examples/llama2_gqa_linalg.mlir --attn-raise-attention --attn-fuse-repeat-kv | grep -c attn.attention | FileCheck %s --check-prefix=COUNT
// COUNT: {{^}}1{{$}}

// attn-runner raises before fusing, so it runs the upstream IR directly;
// --check compares with a float64 reference and fails the test on FAIL.
// RUN: attn-runner %attn_src_root/examples/llama2_gqa_linalg.mlir --target=cpu --check --seed=41 | FileCheck %s --check-prefix=EXEC
// EXEC: entry: @llama2_attention(tensor<1x256x32x128xf16>, tensor<1x256x8x128xf16>, tensor<1x256x8x128xf16>, tensor<1x1x256x256xf16>) -> tensor<1x256x32x128xf16>
// EXEC: check: max_abs_err={{.*}} PASS

// With an additive causal mask (-inf above the diagonal) the raised layer is
// llama2_gqa.mlir's {causal} attention on the same q, k and v (each argument
// has its own random stream, so equal seeds give equal inputs). The scales
// differ by 1.1e-4 relative (1 / f16(sqrt(128)) against 1 / sqrt(128)), so
// the f16 results may differ by an ulp or two of values below 4.
// RUN: rm -rf %t && mkdir -p %t
// RUN: python3 %S/Inputs/npy.py %t/causal.npy f16 1x1x256x256 causal
// RUN: attn-runner --target=cpu %attn_src_root/examples/llama2_gqa_linalg.mlir --seed=42 --input 3=%t/causal.npy --output=%t/raised.npy --check | FileCheck %s --check-prefix=EXEC
// RUN: attn-runner --target=cpu %attn_src_root/examples/llama2_gqa.mlir --seed=42 --output=%t/attn.npy | FileCheck %s --check-prefix=OUT
// RUN: python3 %S/Inputs/npy_diff.py %t/raised.npy %t/attn.npy 4e-3 | FileCheck %s --check-prefix=SAME
// OUT: output: {{.*}}attn.npy
// SAME: shape (1, 256, 32, 128) max_abs_diff={{.*}} within

// Without the mask the two differ: the comparison can tell.
// RUN: attn-runner --target=cpu %attn_src_root/examples/llama2_gqa_linalg.mlir --seed=42 --output=%t/unmasked.npy | FileCheck %s --check-prefix=OUT2
// RUN: not python3 %S/Inputs/npy_diff.py %t/unmasked.npy %t/attn.npy 4e-3 | FileCheck %s --check-prefix=DIFFER
// OUT2: output: {{.*}}unmasked.npy
// DIFFER: EXCEEDS
