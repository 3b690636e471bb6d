// The llama2 attention as a model exporter writes it, run end to end:
// repeat_kv (or its upstream spelling, linalg.broadcast + collapse_shape)
// and the .transpose(1, 2) calls around an SDPA-layout attention. The runner
// fuses them into one grouped attention over its own arguments, which is
// what lets --check recompute it; the module has several public functions,
// so each RUN line names its entry.

// RUN: attn-runner --target=cpu %s --entry=llama_prefill --check --seed=31 | FileCheck %s --check-prefixes=CHECK,PREFILL
// RUN: attn-runner --target=cpu %s --entry=llama_decode --check --seed=32 | FileCheck %s --check-prefixes=CHECK,DECODE
// RUN: attn-runner --target=cpu %s --entry=upstream_spelling --check --seed=33 --q-tile=16 --kv-tile=32 | FileCheck %s --check-prefixes=CHECK,UPSTREAM

// PREFILL: entry: @llama_prefill(tensor<2x97x32x128xf16>, tensor<2x97x8x128xf16>, tensor<2x97x8x128xf16>) -> tensor<2x97x32x128xf16>
// DECODE: entry: @llama_decode(tensor<1x1x32x128xbf16>, tensor<1x113x4x128xbf16>, tensor<1x113x4x128xbf16>) -> tensor<1x1x32x128xbf16>
// UPSTREAM: entry: @upstream_spelling(tensor<1x113x8x64xf32>, tensor<1x113x1x64xf32>, tensor<1x113x1x64xf32>) -> tensor<1x113x8x64xf32>
// CHECK: result written in place into the caller's buffer
// CHECK: check: max_abs_err={{.*}} PASS

// xq, xk, xv as llama2 holds them ([B, S, H, D]), GQA 32:8, causal.
func.func @llama_prefill(%xq: tensor<2x97x32x128xf16>, %xk: tensor<2x97x8x128xf16>,
                         %xv: tensor<2x97x8x128xf16>) -> tensor<2x97x32x128xf16> {
  %k = attn.repeat_kv %xk, n_rep = 4 : tensor<2x97x8x128xf16> -> tensor<2x97x32x128xf16>
  %v = attn.repeat_kv %xv, n_rep = 4 : tensor<2x97x8x128xf16> -> tensor<2x97x32x128xf16>
  %e0 = tensor.empty() : tensor<2x32x97x128xf16>
  %qt = linalg.transpose ins(%xq : tensor<2x97x32x128xf16>) outs(%e0 : tensor<2x32x97x128xf16>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<2x32x97x128xf16>
  %kt = linalg.transpose ins(%k : tensor<2x97x32x128xf16>) outs(%e1 : tensor<2x32x97x128xf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<2x32x97x128xf16>
  %vt = linalg.transpose ins(%v : tensor<2x97x32x128xf16>) outs(%e2 : tensor<2x32x97x128xf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt {causal, layout = #attn.layout<bhsd>}
      : tensor<2x32x97x128xf16>, tensor<2x32x97x128xf16>, tensor<2x32x97x128xf16> -> tensor<2x32x97x128xf16>
  %e3 = tensor.empty() : tensor<2x97x32x128xf16>
  %ot = linalg.transpose ins(%o : tensor<2x32x97x128xf16>) outs(%e3 : tensor<2x97x32x128xf16>) permutation = [0, 2, 1, 3]
  return %ot : tensor<2x97x32x128xf16>
}

// One new token over a 113-token cache, GQA 32:4 (n_rep = 8), bf16.
func.func @llama_decode(%xq: tensor<1x1x32x128xbf16>, %xk: tensor<1x113x4x128xbf16>,
                        %xv: tensor<1x113x4x128xbf16>) -> tensor<1x1x32x128xbf16> {
  %k = attn.repeat_kv %xk, n_rep = 8 : tensor<1x113x4x128xbf16> -> tensor<1x113x32x128xbf16>
  %v = attn.repeat_kv %xv, n_rep = 8 : tensor<1x113x4x128xbf16> -> tensor<1x113x32x128xbf16>
  %e0 = tensor.empty() : tensor<1x32x1x128xbf16>
  %qt = linalg.transpose ins(%xq : tensor<1x1x32x128xbf16>) outs(%e0 : tensor<1x32x1x128xbf16>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<1x32x113x128xbf16>
  %kt = linalg.transpose ins(%k : tensor<1x113x32x128xbf16>) outs(%e1 : tensor<1x32x113x128xbf16>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty() : tensor<1x32x113x128xbf16>
  %vt = linalg.transpose ins(%v : tensor<1x113x32x128xbf16>) outs(%e2 : tensor<1x32x113x128xbf16>) permutation = [0, 2, 1, 3]
  %o = attn.attention %qt, %kt, %vt {causal, layout = #attn.layout<bhsd>}
      : tensor<1x32x1x128xbf16>, tensor<1x32x113x128xbf16>, tensor<1x32x113x128xbf16> -> tensor<1x32x1x128xbf16>
  %e3 = tensor.empty() : tensor<1x1x32x128xbf16>
  %ot = linalg.transpose ins(%o : tensor<1x32x1x128xbf16>) outs(%e3 : tensor<1x1x32x128xbf16>) permutation = [0, 2, 1, 3]
  return %ot : tensor<1x1x32x128xbf16>
}

// repeat_kv as x[:, :, :, None, :].expand(...).reshape(...) in upstream ops,
// MQA 8:1.
func.func @upstream_spelling(%q: tensor<1x113x8x64xf32>, %xk: tensor<1x113x1x64xf32>,
                             %xv: tensor<1x113x1x64xf32>) -> tensor<1x113x8x64xf32> {
  %ek = tensor.empty() : tensor<1x113x1x8x64xf32>
  %bk = linalg.broadcast ins(%xk : tensor<1x113x1x64xf32>) outs(%ek : tensor<1x113x1x8x64xf32>) dimensions = [3]
  %k = tensor.collapse_shape %bk [[0], [1], [2, 3], [4]] : tensor<1x113x1x8x64xf32> into tensor<1x113x8x64xf32>
  %ev = tensor.empty() : tensor<1x113x1x8x64xf32>
  %bv = linalg.broadcast ins(%xv : tensor<1x113x1x64xf32>) outs(%ev : tensor<1x113x1x8x64xf32>) dimensions = [3]
  %v = tensor.collapse_shape %bv [[0], [1], [2, 3], [4]] : tensor<1x113x1x8x64xf32> into tensor<1x113x8x64xf32>
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x113x8x64xf32>, tensor<1x113x8x64xf32>, tensor<1x113x8x64xf32> -> tensor<1x113x8x64xf32>
  return %o : tensor<1x113x8x64xf32>
}
