// RUN: attn-opt %s --split-input-file --attn-lower-kv-cache --verify-diagnostics

// expected-error @+1 {{attn-lower-kv-cache: argument 0 of @passed is a KV cache; caches must be created inside the function}}
func.func @passed(%c: !attn.kv_cache<1x2x16x64xf16>, %q: tensor<1x4x8x64xf16>,
                  %n: index) -> tensor<1x4x8x64xf16> {
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

func.func @returned(%k: tensor<1x4x2x64xf16>, %v: tensor<1x4x2x64xf16>)
    -> !attn.kv_cache<1x2x16x64xf16> {
  %c0 = arith.constant 0 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%c0]
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{attn-lower-kv-cache: a KV cache is used by 'func.return'; only attn.cache.append, attn.cache.attend and scf control flow may use one}}
  return %c1 : !attn.kv_cache<1x2x16x64xf16>
}

// -----

func.func @region_yield(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                        %v: tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{attn-lower-kv-cache: 'scf.execute_region' yields a KV cache; only attn.cache.create, attn.cache.append and scf.for, scf.if and scf.while may make one}}
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

func.func private @get_cache() -> !attn.kv_cache<1x2x16x64xf16>

func.func @made_elsewhere(%q: tensor<1x4x8x64xf16>) -> tensor<1x4x8x64xf16> {
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{attn-lower-kv-cache: 'func.call' yields a KV cache; only attn.cache.create, attn.cache.append and scf.for, scf.if and scf.while may make one}}
  %c = func.call @get_cache() : () -> !attn.kv_cache<1x2x16x64xf16>
  %o = attn.cache.attend %q, %c, %c4
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
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
