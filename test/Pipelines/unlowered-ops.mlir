// RUN: attn-opt %s --attn-to-llvm-pipeline -split-input-file -verify-diagnostics
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="format=isa" -split-input-file 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: not attn-opt %s --attn-check-lowered -split-input-file 2>&1 | FileCheck %s --check-prefix=ANY
// An attn op that a pipeline cannot lower fails with what is not supported
// and why, not with bufferization's "op was not bufferized".

// A repeat_kv whose result is not attention's key or value: no pipeline
// lowers it.
func.func @repeat_without_attention(%q: tensor<1x4x2x16xf16>,
                                    %k: tensor<1x4x1x16xf16>)
    -> tensor<1x4x2x16xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op was not fused into an attention and has no lowering of its own: the repeated K/V is never materialised, so repeat_kv is supported only as the key and value (repeated by the same factor) of an attn.attention, where attn-fuse-repeat-kv folds it away}}
  %r = attn.repeat_kv %k, n_rep = 2
      : tensor<1x4x1x16xf16> -> tensor<1x4x2x16xf16>
  %s = arith.addf %q, %r : tensor<1x4x2x16xf16>
  return %s : tensor<1x4x2x16xf16>
}

// -----

// KV cache ops lower in both pipelines (the first RUN line compiles this
// for the CPU, and the GPU pipeline gets past them to the repeat_kv);
// the check alone, outside a pipeline, names them.
// GPU: error: 'attn.repeat_kv' op was not fused into an attention
// GPU-NOT: attn.cache
// GPU-NOT: not bufferized
// The check alone rejects any attn op, attention included.
// ANY: error: 'attn.repeat_kv' op was not fused into an attention
// ANY: error: 'attn.cache.create' op has no lowering in this pipeline: KV cache ops lower through attn-lower-kv-cache, which both --attn-to-llvm-pipeline and --attn-to-nvvm-pipeline run first
func.func @cache_step(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                      %v: tensor<1x4x2x64xf16>, %pos: index, %len: index)
    -> tensor<1x4x8x64xf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x128x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %o = attn.cache.attend %q, %c1, %len {causal}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

// ANY: error: 'attn.attention' op has no lowering in this pipeline
func.func @attention(%q: tensor<1x4x2x16xf16>) -> tensor<1x4x2x16xf16> {
  %o = attn.attention %q, %q, %q
      : tensor<1x4x2x16xf16>, tensor<1x4x2x16xf16>, tensor<1x4x2x16xf16> -> tensor<1x4x2x16xf16>
  return %o : tensor<1x4x2x16xf16>
}
