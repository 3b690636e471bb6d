// RUN: attn-opt %s --split-input-file --attn-lower-kv-cache --verify-diagnostics

func.func @region_yield(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                        %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{attn-lower-kv-cache: 'scf.execute_region' yields a KV cache; only attn.cache.create, attn.cache.append, scf.for, scf.if, scf.while and func.call may make one}}
  %c1 = scf.execute_region -> !attn.kv_cache<1x2x16x64xf16> {
    %a = attn.cache.append %k, %v into %c[%c0]
        : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
    scf.yield %a : !attn.kv_cache<1x2x16x64xf16>
  }
  %o = attn.cache.attend %q, %c1, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

func.func @dynamic_lengths(%q: tensor<2x1x4x32xf32>, %c: !attn.kv_cache<2x2x32x32xf32>,
                           %n: index, %lens: tensor<?xi64>) -> tensor<2x1x4x32xf32> {
  // expected-error @+1 {{attn-lower-kv-cache: lengths of type 'tensor<?xi64>' must have a static size}}
  %o = attn.cache.attend %q, %c, %n lengths(%lens : tensor<?xi64>)
      : tensor<2x1x4x32xf32>, !attn.kv_cache<2x2x32x32xf32> -> tensor<2x1x4x32xf32>
  return %o : tensor<2x1x4x32xf32>
}

// -----

func.func @dynamic_tokens(%k: tensor<1x?x2x64xf16>, %v: tensor<1x?x2x64xf16>,
                          %q: tensor<1x4x8x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{attn-lower-kv-cache: keys and values of type 'tensor<1x?x2x64xf16>' must have static shapes}}
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x?x2x64xf16>, tensor<1x?x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o = attn.cache.attend %q, %c1, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

// Unstructured control flow would carry the cache's tensors through block
// arguments this pass does not rewrite.
func.func @branch(%q: tensor<1x4x8x64xf16>) -> tensor<1x4x8x64xf16> {
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{attn-lower-kv-cache: a KV cache is used by 'cf.br'; only attn.cache.append, attn.cache.attend, scf control flow, func.call and func.return may use one}}
  cf.br ^next(%c : !attn.kv_cache<1x2x16x64xf16>)
^next(%d: !attn.kv_cache<1x2x16x64xf16>):
  %o = attn.cache.attend %q, %d, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}
