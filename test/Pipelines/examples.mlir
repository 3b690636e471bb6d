// RUN: attn-opt %attn_src_root/examples/llama2_gqa.mlir | FileCheck %s --check-prefix=LLAMA2 --implicit-check-not=func.func
// RUN: attn-opt %attn_src_root/examples/llama2_gqa.mlir --attn-fuse-repeat-kv | FileCheck %s --check-prefix=FUSED
// RUN: attn-opt %attn_src_root/examples/llama2_gqa_upstream.mlir --attn-fuse-repeat-kv | FileCheck %s --check-prefix=FUSED
// RUN: attn-opt %attn_src_root/examples/llama2_gqa.mlir --attn-to-nvvm-pipeline="format=isa schedule=scalar" | FileCheck %s --check-prefix=LLAMA2-NVVM
// RUN: attn-opt %attn_src_root/examples/llama2_gqa_upstream.mlir --attn-to-nvvm-pipeline="format=isa schedule=scalar" | FileCheck %s --check-prefix=LLAMA2-NVVM
// RUN: attn-opt %attn_src_root/examples/llama2_gqa.mlir --attn-to-llvm-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: attn-opt %attn_src_root/examples/llama2_gqa_upstream.mlir --attn-to-llvm-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: attn-opt %attn_src_root/examples/llama2_gqa_linalg.mlir --attn-to-nvvm-pipeline="format=isa schedule=scalar" | FileCheck %s --check-prefix=LLAMA2-NVVM
// RUN: attn-opt %attn_src_root/examples/llama2_gqa_linalg.mlir --attn-to-llvm-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: attn-opt %attn_src_root/examples/mqa.mlir --attn-to-nvvm-pipeline="format=isa schedule=scalar" | FileCheck %s --check-prefix=MQA-NVVM
// RUN: attn-opt %attn_src_root/examples/mqa.mlir --attn-to-llvm-pipeline | FileCheck %s --check-prefix=MQA-LLVM
// RUN: attn-opt %attn_src_root/examples/cla_two_layers.mlir | FileCheck %s --check-prefix=CLA
// RUN: attn-opt %attn_src_root/examples/cla_two_layers.mlir --attn-to-llvm-pipeline | FileCheck %s --check-prefix=CLA-LOWER
// The models in examples/ stay valid: each parses and verifies, the attention ones (the upstream-linalg one raised first) compile through attn-to-nvvm-pipeline (PTX) and attn-to-llvm-pipeline, and the CLA one compiles through attn-to-llvm-pipeline with its KV cache checks (it has no GPU lowering yet: update its header when this changes).

// llama2_gqa.mlir is llama2's code, op for op, with one public entry.
// LLAMA2-LABEL: func.func @llama2_attention(
// LLAMA2-COUNT-2: attn.repeat_kv %{{.+}}, n_rep = 4 : tensor<1x256x8x128xf16> -> tensor<1x256x32x128xf16>
// LLAMA2-COUNT-3: linalg.transpose
// LLAMA2:         attn.attention {{.*}} {causal, layout = #attn.layout<bhsd>}
// LLAMA2:         linalg.transpose

// Both spellings fuse to one grouped attention on the arguments.
// FUSED-LABEL: func.func @llama2_attention(
// FUSED-SAME:      %[[Q:[^:]+]]: tensor<1x256x32x128xf16>, %[[K:[^:]+]]: tensor<1x256x8x128xf16>, %[[V:[^:]+]]: tensor<1x256x8x128xf16>
// FUSED-NEXT:    %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal} : tensor<1x256x32x128xf16>, tensor<1x256x8x128xf16>, tensor<1x256x8x128xf16> -> tensor<1x256x32x128xf16>
// FUSED-NEXT:    return %[[O]]

// One kernel, launched on (256 / 64 q-tiles, 8 KV heads, batch 1).
// LLAMA2-NVVM-LABEL: llvm.func @llama2_attention(
// LLAMA2-NVVM-DAG:     %[[C4:.+]] = llvm.mlir.constant(4 : index) : i64
// LLAMA2-NVVM-DAG:     %[[C8:.+]] = llvm.mlir.constant(8 : index) : i64
// LLAMA2-NVVM-DAG:     %[[C1:.+]] = llvm.mlir.constant(1 : index) : i64
// LLAMA2-NVVM:         gpu.launch_func <%{{.+}} : !llvm.ptr> @llama2_attention_kernel::@llama2_attention_kernel blocks in (%[[C4]], %[[C8]], %[[C1]])
// LLAMA2-NVVM:       gpu.binary @llama2_attention_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a"
// LLAMA2-NVVM-SAME:    \0A.target sm_90a\0A
// LLAMA2-NVVM-SAME:    \0A.visible .entry llama2_attention_kernel(\0A

// LLVM-LABEL: llvm.func @llama2_attention(
// LLVM:         llvm.return

// MQA-NVVM-LABEL: llvm.func @mqa_attention(
// MQA-NVVM:         gpu.launch_func <%{{.+}} : !llvm.ptr> @mqa_attention_kernel::@mqa_attention_kernel
// MQA-NVVM:       gpu.binary @mqa_attention_kernel
// MQA-NVVM-SAME:    \0A.visible .entry mqa_attention_kernel(\0A
// MQA-NVVM-SAME:    \09cvt.f32.bf16

// MQA-LLVM-LABEL: llvm.func @mqa_attention(
// MQA-LLVM:         llvm.return

// CLA-LABEL: func.func @cla_two_layers(
// CLA:         %[[C:.+]] = attn.cache.create {sharing = 2 : i64} : !attn.kv_cache<1x8x4096x128xf16>
// CLA:         %[[C0:.+]] = attn.cache.append %{{.+}}, %{{.+}} into %[[C]][%{{.+}}] {layer = 0 : i64}
// CLA:         attn.cache.attend %{{.+}}, %[[C0]], %{{.+}} {causal, layer = 0 : i64}
// CLA:         attn.cache.attend %{{.+}}, %[[C0]], %{{.+}} {causal, layer = 1 : i64}

// CLA-LOWER:     llvm.func @attnKVCacheError(i64, i64, i64, i64)
// CLA-LOWER-LABEL: llvm.func @cla_two_layers(
// CLA-LOWER:       llvm.call @attnKVCacheError
// CLA-LOWER:       llvm.return
