// RUN: attn-opt %s -split-input-file -verify-diagnostics
// One case for every diagnostic that the attn types' parser and verifiers and the attn ops' verifiers emit.

//===----------------------------------------------------------------------===//
// !attn.kv_cache
//===----------------------------------------------------------------------===//

// expected-error @+1 {{expected 4 dimensions (batch x kv_heads x capacity x head_dim), got 3}}
func.func @kv_cache_three_dims(%c: !attn.kv_cache<1x8x4096xf16>) {
  return
}

// -----

// expected-error @+1 {{KV cache batch (0) must be positive}}
func.func @kv_cache_zero_batch(%c: !attn.kv_cache<0x8x4096x128xf16>) {
  return
}

// -----

// expected-error @+1 {{KV cache kv_heads (0) must be positive}}
func.func @kv_cache_zero_kv_heads(%c: !attn.kv_cache<1x0x4096x128xf16>) {
  return
}

// -----

// expected-error @+1 {{KV cache capacity (0) must be positive}}
func.func @kv_cache_zero_capacity(%c: !attn.kv_cache<1x8x0x128xf16>) {
  return
}

// -----

// expected-error @+1 {{KV cache head_dim (0) must be positive}}
func.func @kv_cache_zero_head_dim(%c: !attn.kv_cache<1x8x4096x0xf16>) {
  return
}

// -----

// expected-error @+1 {{KV cache element type ('i32') must be f16, bf16, f32 or f64}}
func.func @kv_cache_int_element(%c: !attn.kv_cache<1x8x4096x128xi32>) {
  return
}

// -----

// expected-error @+1 {{KV cache element type ('tf32') must be f16, bf16, f32 or f64}}
func.func @kv_cache_tf32_element(%c: !attn.kv_cache<1x8x4096x128xtf32>) {
  return
}

// -----

// expected-error @+1 {{KV cache element type ('f8E4M3FN') is a quantized storage type and needs per-token scales, as in !attn.kv_cache<1x8x4096x128xf8E4M3FN, scales = f32>}}
func.func @kv_cache_f8_element(%c: !attn.kv_cache<1x8x4096x128xf8E4M3FN>) {
  return
}

// -----

// expected-error @+1 {{KV cache element type ('f8E5M2') must be f16, bf16, f32 or f64, or i8 or f8E4M3FN with scales}}
func.func @kv_cache_f8e5m2_element(%c: !attn.kv_cache<1x8x4096x128xf8E5M2, scales = f32>) {
  return
}

// -----

// expected-error @+1 {{KV cache scales ('f32') belong to quantized storage (i8 or f8E4M3FN elements), not to 'f16' elements}}
func.func @kv_cache_scales_on_float(%c: !attn.kv_cache<1x8x4096x128xf16, scales = f32>) {
  return
}

// -----

// expected-error @+1 {{KV cache scale type ('f64') must be f16, bf16 or f32}}
func.func @kv_cache_f64_scales(%c: !attn.kv_cache<1x8x4096x128xi8, scales = f64>) {
  return
}

// -----

// expected-error @+1 {{expected 'scales'}}
func.func @kv_cache_scale_keyword(%c: !attn.kv_cache<1x8x4096x128xi8, scale = f32>) {
  return
}

// -----

// A quantized cache takes float keys and values and quantizes them itself.
func.func @cache_append_quantized_keys(%k: tensor<1x16x8x128xi8>, %p: index) {
  %c0 = attn.cache.create : !attn.kv_cache<1x8x4096x128xi8, scales = f32>
  // expected-error @+1 {{'attn.cache.append' op keys element type ('i8') must be f16, bf16, f32 or f64: a quantized cache (of 'i8') takes and gives float values}}
  %c1 = attn.cache.append %k, %k into %c0[%p]
      : tensor<1x16x8x128xi8>, tensor<1x16x8x128xi8> into !attn.kv_cache<1x8x4096x128xi8, scales = f32>
  return
}

// -----

// expected-error @+1 {{KV cache size (1 x 8 x 4611686018427387904 x 128 elements of 2 bytes) overflows int64}}
func.func @kv_cache_size_overflow(%c: !attn.kv_cache<1x8x4611686018427387904x128xf16>) {
  return
}

//===----------------------------------------------------------------------===//
// attn.repeat_kv
//===----------------------------------------------------------------------===//

// -----

func.func @repeat_kv_n_rep_zero(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x8x128xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op n_rep (0) must be at least 1}}
  %r = attn.repeat_kv %k, n_rep = 0 : tensor<1x128x8x128xf16> -> tensor<1x128x8x128xf16>
  return %r : tensor<1x128x8x128xf16>
}

// -----

func.func @repeat_kv_input_rank(%k: tensor<128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op input rank (3) must be 4: [batch, seq, kv_heads, head_dim]}}
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<128x8x128xf16> -> tensor<1x128x32x128xf16>
  return %r : tensor<1x128x32x128xf16>
}

// -----

func.func @repeat_kv_result_rank(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128x1xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op result rank (5) must be 4: [batch, seq, kv_heads, head_dim]}}
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x128x32x128x1xf16>
  return %r : tensor<1x128x32x128x1xf16>
}

// -----

func.func @repeat_kv_element_type(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf32> {
  // expected-error @+1 {{'attn.repeat_kv' op result element type ('f32') must match input element type ('f16')}}
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x128x32x128xf32>
  return %r : tensor<1x128x32x128xf32>
}

// -----

func.func @repeat_kv_batch(%k: tensor<1x128x8x128xf16>) -> tensor<2x128x32x128xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op result batch (2) must match input batch (1)}}
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<2x128x32x128xf16>
  return %r : tensor<2x128x32x128xf16>
}

// -----

func.func @repeat_kv_seq(%k: tensor<1x128x8x128xf16>) -> tensor<1x64x32x128xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op result seq (64) must match input seq (128)}}
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x64x32x128xf16>
  return %r : tensor<1x64x32x128xf16>
}

// -----

func.func @repeat_kv_head_dim(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x32x64xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op result head_dim (64) must match input head_dim (128)}}
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x128x32x64xf16>
  return %r : tensor<1x128x32x64xf16>
}

// -----

func.func @repeat_kv_head_overflow(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x16x128xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op input head count (8) times n_rep (2305843009213693952) overflows}}
  %r = attn.repeat_kv %k, n_rep = 2305843009213693952 : tensor<1x128x8x128xf16> -> tensor<1x128x16x128xf16>
  return %r : tensor<1x128x16x128xf16>
}

// -----

func.func @repeat_kv_size_overflow(%k: tensor<1x4611686018427387904x2x4xf16>) -> tensor<1x4611686018427387904x4x4xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op input size (1 x 4611686018427387904 x 2 x 4 elements) overflows int64}}
  %r = attn.repeat_kv %k, n_rep = 2 : tensor<1x4611686018427387904x2x4xf16> -> tensor<1x4611686018427387904x4x4xf16>
  return %r : tensor<1x4611686018427387904x4x4xf16>
}

// -----

// The input's dynamic seq is checked when it is known; the result's static
// one already overflows.
func.func @repeat_kv_result_size_overflow(%k: tensor<1x?x2x4xf16>) -> tensor<1x4611686018427387904x4x4xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op result size (1 x 4611686018427387904 x 4 x 4 elements) overflows int64}}
  %r = attn.repeat_kv %k, n_rep = 2 : tensor<1x?x2x4xf16> -> tensor<1x4611686018427387904x4x4xf16>
  return %r : tensor<1x4611686018427387904x4x4xf16>
}

// -----

func.func @repeat_kv_head_count(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x16x128xf16> {
  // expected-error @+1 {{'attn.repeat_kv' op result head count (16) must be input head count (8) times n_rep (4) = 32}}
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x128x16x128xf16>
  return %r : tensor<1x128x16x128xf16>
}

//===----------------------------------------------------------------------===//
// attn.attention
//===----------------------------------------------------------------------===//

// -----

func.func @attention_query_rank(%q: tensor<16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op query rank (3) must be 4: [batch, seq, heads, head_dim] (layout bshd)}}
  %o = attn.attention %q, %k, %v
      : tensor<16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_key_rank_bhsd(%q: tensor<1x32x16x128xf16>, %k: tensor<1x8x16x128x1xf16>,
                                   %v: tensor<1x8x16x128xf16>) -> tensor<1x32x16x128xf16> {
  // expected-error @+1 {{'attn.attention' op key rank (5) must be 4: [batch, heads, seq, head_dim] (layout bhsd)}}
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>}
      : tensor<1x32x16x128xf16>, tensor<1x8x16x128x1xf16>, tensor<1x8x16x128xf16> -> tensor<1x32x16x128xf16>
  return %o : tensor<1x32x16x128xf16>
}

// -----

func.func @attention_value_rank(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                %v: tensor<16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op value rank (3) must be 4: [batch, seq, heads, head_dim] (layout bshd)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_result_rank(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                 %v: tensor<1x16x8x128xf16>) -> tensor<16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op result rank (3) must be 4: [batch, seq, heads, head_dim] (layout bshd)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<16x32x128xf16>
  return %o : tensor<16x32x128xf16>
}

// -----

func.func @attention_key_element_type(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xbf16>,
                                      %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op key element type ('bf16') must match query element type ('f16')}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xbf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_value_element_type(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                        %v: tensor<1x16x8x128xf32>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op value element type ('f32') must match query element type ('f16')}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf32> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_result_element_type(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                         %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf32> {
  // expected-error @+1 {{'attn.attention' op result element type ('f32') must match query element type ('f16')}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf32>
  return %o : tensor<1x16x32x128xf32>
}

// -----

func.func @attention_element_type_tf32(%q: tensor<1x1x1x1xtf32>) -> tensor<1x1x1x1xtf32> {
  // expected-error @+1 {{'attn.attention' op query element type ('tf32') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xtf32>, tensor<1x1x1x1xtf32>, tensor<1x1x1x1xtf32> -> tensor<1x1x1x1xtf32>
  return %o : tensor<1x1x1x1xtf32>
}

// -----

func.func @attention_element_type_f80(%q: tensor<1x1x1x1xf80>) -> tensor<1x1x1x1xf80> {
  // expected-error @+1 {{'attn.attention' op query element type ('f80') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf80>, tensor<1x1x1x1xf80>, tensor<1x1x1x1xf80> -> tensor<1x1x1x1xf80>
  return %o : tensor<1x1x1x1xf80>
}

// -----

func.func @attention_element_type_f128(%q: tensor<1x1x1x1xf128>) -> tensor<1x1x1x1xf128> {
  // expected-error @+1 {{'attn.attention' op query element type ('f128') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf128>, tensor<1x1x1x1xf128>, tensor<1x1x1x1xf128> -> tensor<1x1x1x1xf128>
  return %o : tensor<1x1x1x1xf128>
}

// -----

func.func @attention_element_type_f8e4m3fn(%q: tensor<1x1x1x1xf8E4M3FN>) -> tensor<1x1x1x1xf8E4M3FN> {
  // expected-error @+1 {{'attn.attention' op query element type ('f8E4M3FN') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf8E4M3FN>, tensor<1x1x1x1xf8E4M3FN>, tensor<1x1x1x1xf8E4M3FN> -> tensor<1x1x1x1xf8E4M3FN>
  return %o : tensor<1x1x1x1xf8E4M3FN>
}

// -----

func.func @attention_element_type_f8e5m2(%q: tensor<1x1x1x1xf8E5M2>) -> tensor<1x1x1x1xf8E5M2> {
  // expected-error @+1 {{'attn.attention' op query element type ('f8E5M2') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf8E5M2>, tensor<1x1x1x1xf8E5M2>, tensor<1x1x1x1xf8E5M2> -> tensor<1x1x1x1xf8E5M2>
  return %o : tensor<1x1x1x1xf8E5M2>
}

// -----

func.func @attention_element_type_f6e2m3fn(%q: tensor<1x1x1x1xf6E2M3FN>) -> tensor<1x1x1x1xf6E2M3FN> {
  // expected-error @+1 {{'attn.attention' op query element type ('f6E2M3FN') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf6E2M3FN>, tensor<1x1x1x1xf6E2M3FN>, tensor<1x1x1x1xf6E2M3FN> -> tensor<1x1x1x1xf6E2M3FN>
  return %o : tensor<1x1x1x1xf6E2M3FN>
}

// -----

func.func @attention_element_type_f4e2m1fn(%q: tensor<1x1x1x1xf4E2M1FN>) -> tensor<1x1x1x1xf4E2M1FN> {
  // expected-error @+1 {{'attn.attention' op query element type ('f4E2M1FN') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xf4E2M1FN>, tensor<1x1x1x1xf4E2M1FN>, tensor<1x1x1x1xf4E2M1FN> -> tensor<1x1x1x1xf4E2M1FN>
  return %o : tensor<1x1x1x1xf4E2M1FN>
}

// -----

func.func @attention_element_type_i8(%q: tensor<1x1x1x1xi8>) -> tensor<1x1x1x1xi8> {
  // expected-error @+1 {{'attn.attention' op query element type ('i8') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xi8>, tensor<1x1x1x1xi8>, tensor<1x1x1x1xi8> -> tensor<1x1x1x1xi8>
  return %o : tensor<1x1x1x1xi8>
}

// -----

func.func @attention_element_type_index(%q: tensor<1x1x1x1xindex>) -> tensor<1x1x1x1xindex> {
  // expected-error @+1 {{'attn.attention' op query element type ('index') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %q, %q : tensor<1x1x1x1xindex>, tensor<1x1x1x1xindex>, tensor<1x1x1x1xindex> -> tensor<1x1x1x1xindex>
  return %o : tensor<1x1x1x1xindex>
}

// -----

func.func @attention_mask_element_type(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                       %v: tensor<1x16x8x128xf16>, %m: tensor<1x1x16x16xf8E5M2>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op mask element type ('f8E5M2') must be f16, bf16, f32 or f64}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x16x16xf8E5M2>)
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

// The element count wraps to 0 in 64 bits.
func.func @attention_size_overflow(%q: tensor<4611686018427387904x1x1x4xf32>) -> tensor<4611686018427387904x1x1x4xf32> {
  // expected-error @+1 {{'attn.attention' op query size (4611686018427387904 x 1 x 1 x 4 elements) overflows int64}}
  %o = attn.attention %q, %q, %q : tensor<4611686018427387904x1x1x4xf32>, tensor<4611686018427387904x1x1x4xf32>, tensor<4611686018427387904x1x1x4xf32> -> tensor<4611686018427387904x1x1x4xf32>
  return %o : tensor<4611686018427387904x1x1x4xf32>
}

// -----

// 2^61 elements fit; their 2^63 bytes do not.
func.func @attention_bytes_overflow(%q: tensor<2305843009213693952x1x1x1xf32>) -> tensor<2305843009213693952x1x1x1xf32> {
  // expected-error @+1 {{'attn.attention' op query size (2305843009213693952 x 1 x 1 x 1 elements of 4 bytes) overflows int64}}
  %o = attn.attention %q, %q, %q
      : tensor<2305843009213693952x1x1x1xf32>, tensor<2305843009213693952x1x1x1xf32>, tensor<2305843009213693952x1x1x1xf32> -> tensor<2305843009213693952x1x1x1xf32>
  return %o : tensor<2305843009213693952x1x1x1xf32>
}

// -----

// Only the static extents are multiplied; the dynamic batch is checked when
// it is known.
func.func @attention_key_size_overflow(%q: tensor<?x1x1x4xf32>, %k: tensor<?x4611686018427387904x1x4xf32>,
                                       %v: tensor<?x4611686018427387904x1x4xf32>) -> tensor<?x1x1x4xf32> {
  // expected-error @+1 {{'attn.attention' op key size (? x 4611686018427387904 x 1 x 4 elements) overflows int64}}
  %o = attn.attention %q, %k, %v
      : tensor<?x1x1x4xf32>, tensor<?x4611686018427387904x1x4xf32>, tensor<?x4611686018427387904x1x4xf32> -> tensor<?x1x1x4xf32>
  return %o : tensor<?x1x1x4xf32>
}

// -----

func.func @attention_value_size_overflow(%q: tensor<1x1x1x4xf16>, %k: tensor<1x1x1x4xf16>,
                                         %v: tensor<1x1x1x4611686018427387904xf16>) -> tensor<1x1x1x4611686018427387904xf16> {
  // expected-error @+1 {{'attn.attention' op value size (1 x 1 x 1 x 4611686018427387904 elements of 2 bytes) overflows int64}}
  %o = attn.attention %q, %k, %v
      : tensor<1x1x1x4xf16>, tensor<1x1x1x4xf16>, tensor<1x1x1x4611686018427387904xf16> -> tensor<1x1x1x4611686018427387904xf16>
  return %o : tensor<1x1x1x4611686018427387904xf16>
}

// -----

func.func @attention_result_size_overflow(%q: tensor<1x?x1x4xf16>, %k: tensor<1x1x1x4xf16>,
                                          %v: tensor<1x1x1x4xf16>) -> tensor<1x4611686018427387904x1x4xf16> {
  // expected-error @+1 {{'attn.attention' op result size (1 x 4611686018427387904 x 1 x 4 elements) overflows int64}}
  %o = attn.attention %q, %k, %v
      : tensor<1x?x1x4xf16>, tensor<1x1x1x4xf16>, tensor<1x1x1x4xf16> -> tensor<1x4611686018427387904x1x4xf16>
  return %o : tensor<1x4611686018427387904x1x4xf16>
}

// -----

func.func @attention_mask_size_overflow(%q: tensor<1x?x1x4xf16>, %k: tensor<1x?x1x4xf16>, %v: tensor<1x?x1x4xf16>,
                                        %m: tensor<1x1x4611686018427387904x4xf16>) -> tensor<1x?x1x4xf16> {
  // expected-error @+1 {{'attn.attention' op mask size (1 x 1 x 4611686018427387904 x 4 elements) overflows int64}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x4611686018427387904x4xf16>)
      : tensor<1x?x1x4xf16>, tensor<1x?x1x4xf16>, tensor<1x?x1x4xf16> -> tensor<1x?x1x4xf16>
  return %o : tensor<1x?x1x4xf16>
}

// -----

func.func @attention_key_batch(%q: tensor<1x16x32x128xf16>, %k: tensor<2x16x8x128xf16>,
                               %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op key batch (2) must match query batch (1)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<2x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_value_batch(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                 %v: tensor<3x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op value batch (3) must match query batch (1)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<3x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_key_head_dim(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x64xf16>,
                                  %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op key head_dim (64) must match query head_dim (128)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x64xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_value_seq(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                               %v: tensor<1x32x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op value sequence length (32) must match key sequence length (16)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x32x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

// In bhsd the sequence is dimension 2.
func.func @attention_value_seq_bhsd(%q: tensor<1x32x16x128xf16>, %k: tensor<1x8x16x128xf16>,
                                    %v: tensor<1x8x24x128xf16>) -> tensor<1x32x16x128xf16> {
  // expected-error @+1 {{'attn.attention' op value sequence length (24) must match key sequence length (16)}}
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>}
      : tensor<1x32x16x128xf16>, tensor<1x8x16x128xf16>, tensor<1x8x24x128xf16> -> tensor<1x32x16x128xf16>
  return %o : tensor<1x32x16x128xf16>
}

// -----

func.func @attention_value_heads(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                 %v: tensor<1x16x4x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op value head count (4) must match key head count (8)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x4x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_head_grouping(%q: tensor<1x16x8x128xf16>, %k: tensor<1x16x3x128xf16>,
                                   %v: tensor<1x16x3x128xf16>) -> tensor<1x16x8x128xf16> {
  // expected-error @+1 {{'attn.attention' op key head count (3) must divide query head count (8)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x8x128xf16>, tensor<1x16x3x128xf16>, tensor<1x16x3x128xf16> -> tensor<1x16x8x128xf16>
  return %o : tensor<1x16x8x128xf16>
}

// -----

// head_dim 0 would make the default scale 1/sqrt(0) infinite.
func.func @attention_zero_head_dim(%q: tensor<1x16x8x0xf16>, %k: tensor<1x16x8x0xf16>,
                                   %v: tensor<1x16x8x64xf16>) -> tensor<1x16x8x64xf16> {
  // expected-error @+1 {{'attn.attention' op query head_dim (0) must be positive}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x8x0xf16>, tensor<1x16x8x0xf16>, tensor<1x16x8x64xf16> -> tensor<1x16x8x64xf16>
  return %o : tensor<1x16x8x64xf16>
}

// -----

func.func @attention_zero_batch(%q: tensor<0x16x8x64xf16>) -> tensor<0x16x8x64xf16> {
  // expected-error @+1 {{'attn.attention' op query batch (0) must be positive}}
  %o = attn.attention %q, %q, %q
      : tensor<0x16x8x64xf16>, tensor<0x16x8x64xf16>, tensor<0x16x8x64xf16> -> tensor<0x16x8x64xf16>
  return %o : tensor<0x16x8x64xf16>
}

// -----

func.func @attention_zero_query_seq(%q: tensor<1x0x8x64xf16>, %k: tensor<1x16x8x64xf16>,
                                    %v: tensor<1x16x8x64xf16>) -> tensor<1x0x8x64xf16> {
  // expected-error @+1 {{'attn.attention' op query sequence length (0) must be positive}}
  %o = attn.attention %q, %k, %v
      : tensor<1x0x8x64xf16>, tensor<1x16x8x64xf16>, tensor<1x16x8x64xf16> -> tensor<1x0x8x64xf16>
  return %o : tensor<1x0x8x64xf16>
}

// -----

// In bhsd the sequence is dimension 2.
func.func @attention_zero_key_seq_bhsd(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x0x64xf16>,
                                       %v: tensor<1x8x0x64xf16>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'attn.attention' op key sequence length (0) must be positive}}
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>}
      : tensor<1x8x16x64xf16>, tensor<1x8x0x64xf16>, tensor<1x8x0x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @attention_zero_query_heads(%q: tensor<1x16x0x64xf16>, %k: tensor<1x16x8x64xf16>,
                                      %v: tensor<1x16x8x64xf16>) -> tensor<1x16x0x64xf16> {
  // expected-error @+1 {{'attn.attention' op query head count (0) must be positive}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x0x64xf16>, tensor<1x16x8x64xf16>, tensor<1x16x8x64xf16> -> tensor<1x16x0x64xf16>
  return %o : tensor<1x16x0x64xf16>
}

// -----

func.func @attention_zero_value_head_dim(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x8x64xf16>,
                                         %v: tensor<1x16x8x0xf16>) -> tensor<1x16x8x0xf16> {
  // expected-error @+1 {{'attn.attention' op value head_dim (0) must be positive}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x8x64xf16>, tensor<1x16x8x64xf16>, tensor<1x16x8x0xf16> -> tensor<1x16x8x0xf16>
  return %o : tensor<1x16x8x0xf16>
}

// -----

// The query is dynamic where the result is empty.
func.func @attention_zero_result(%q: tensor<1x?x8x64xf16>, %k: tensor<1x16x8x64xf16>,
                                 %v: tensor<1x16x8x64xf16>) -> tensor<1x0x8x64xf16> {
  // expected-error @+1 {{'attn.attention' op result sequence length (0) must be positive}}
  %o = attn.attention %q, %k, %v
      : tensor<1x?x8x64xf16>, tensor<1x16x8x64xf16>, tensor<1x16x8x64xf16> -> tensor<1x0x8x64xf16>
  return %o : tensor<1x0x8x64xf16>
}

// -----

func.func @attention_zero_mask(%q: tensor<1x?x8x64xf16>, %k: tensor<1x?x8x64xf16>,
                               %v: tensor<1x?x8x64xf16>, %m: tensor<1x1x0x16xf32>) -> tensor<1x?x8x64xf16> {
  // expected-error @+1 {{'attn.attention' op mask dim 2 (0) must be positive}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x0x16xf32>)
      : tensor<1x?x8x64xf16>, tensor<1x?x8x64xf16>, tensor<1x?x8x64xf16> -> tensor<1x?x8x64xf16>
  return %o : tensor<1x?x8x64xf16>
}

// -----

func.func @attention_zero_key_heads(%q: tensor<1x16x8x128xf16>, %k: tensor<1x16x0x128xf16>,
                                    %v: tensor<1x16x0x128xf16>) -> tensor<1x16x8x128xf16> {
  // expected-error @+1 {{'attn.attention' op key head count (0) must be positive}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x8x128xf16>, tensor<1x16x0x128xf16>, tensor<1x16x0x128xf16> -> tensor<1x16x8x128xf16>
  return %o : tensor<1x16x8x128xf16>
}

// -----

// The result takes its head_dim from the value (64), not the query (128).
func.func @attention_result_shape(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                  %v: tensor<1x16x8x64xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op result shape [1, 16, 32, 128] must be [1, 16, 32, 64]: the query's batch, seq and heads, and the value's head_dim}}
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x64xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

// Dynamic extents print as `?` in the expected shape.
func.func @attention_result_shape_bhsd(%q: tensor<?x32x?x128xf16>, %k: tensor<?x8x?x128xf16>,
                                       %v: tensor<?x8x?x128xf16>) -> tensor<?x16x?x128xf16> {
  // expected-error @+1 {{'attn.attention' op result shape [?, 16, ?, 128] must be [?, 32, ?, 128]: the query's batch, seq and heads, and the value's head_dim}}
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>}
      : tensor<?x32x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16> -> tensor<?x16x?x128xf16>
  return %o : tensor<?x16x?x128xf16>
}

// -----

func.func @attention_mask_rank(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                               %v: tensor<1x16x8x128xf16>, %m: tensor<16x16xf32>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op mask rank (2) must be 4: [batch or 1, query heads or 1, query seq, key seq]}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<16x16xf32>)
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_kv_lengths_rank(%q: tensor<2x16x32x128xf16>, %k: tensor<2x16x8x128xf16>,
                                      %v: tensor<2x16x8x128xf16>, %n: tensor<2x1xi64>) -> tensor<2x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op kv_lengths must be a [batch] tensor of i64, one length per sequence, got 'tensor<2x1xi64>'}}
  %o = attn.attention %q, %k, %v lengths(%n : tensor<2x1xi64>)
      : tensor<2x16x32x128xf16>, tensor<2x16x8x128xf16>, tensor<2x16x8x128xf16> -> tensor<2x16x32x128xf16>
  return %o : tensor<2x16x32x128xf16>
}

// -----

func.func @attention_kv_lengths_type(%q: tensor<2x16x32x128xf16>, %k: tensor<2x16x8x128xf16>,
                                      %v: tensor<2x16x8x128xf16>, %n: tensor<2xi32>) -> tensor<2x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op kv_lengths must be a [batch] tensor of i64, one length per sequence, got 'tensor<2xi32>'}}
  %o = attn.attention %q, %k, %v lengths(%n : tensor<2xi32>)
      : tensor<2x16x32x128xf16>, tensor<2x16x8x128xf16>, tensor<2x16x8x128xf16> -> tensor<2x16x32x128xf16>
  return %o : tensor<2x16x32x128xf16>
}

// -----

func.func @attention_kv_lengths_count(%q: tensor<2x16x32x128xf16>, %k: tensor<2x16x8x128xf16>,
                                       %v: tensor<2x16x8x128xf16>, %n: tensor<3xi64>) -> tensor<2x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op kv_lengths has 3 lengths, but the batch is 2}}
  %o = attn.attention %q, %k, %v lengths(%n : tensor<3xi64>)
      : tensor<2x16x32x128xf16>, tensor<2x16x8x128xf16>, tensor<2x16x8x128xf16> -> tensor<2x16x32x128xf16>
  return %o : tensor<2x16x32x128xf16>
}

// -----

// A query of dynamic batch does not hide a lengths tensor shorter than the
// cache's batch.
func.func @cache_attend_lengths_dynamic_query(%q: tensor<?x3x4x32xf32>, %c: !attn.kv_cache<2x2x32x32xf32>,
                                              %n: index, %lens: tensor<1xi64>) -> tensor<?x3x4x32xf32> {
  // expected-error @+1 {{'attn.cache.attend' op lengths has 1 lengths, but the batch is 2}}
  %o = attn.cache.attend %q, %c, %n lengths(%lens : tensor<1xi64>)
      : tensor<?x3x4x32xf32>, !attn.kv_cache<2x2x32x32xf32> -> tensor<?x3x4x32xf32>
  return %o : tensor<?x3x4x32xf32>
}

// -----

func.func @cache_attend_lengths_count(%q: tensor<2x1x32x128xf16>, %c: !attn.kv_cache<2x8x4096x128xf16>,
                                      %n: index, %lens: tensor<4xi64>) -> tensor<2x1x32x128xf16> {
  // expected-error @+1 {{'attn.cache.attend' op lengths has 4 lengths, but the batch is 2}}
  %o = attn.cache.attend %q, %c, %n lengths(%lens : tensor<4xi64>)
      : tensor<2x1x32x128xf16>, !attn.kv_cache<2x8x4096x128xf16> -> tensor<2x1x32x128xf16>
  return %o : tensor<2x1x32x128xf16>
}

// -----

func.func @attention_mask_batch(%q: tensor<2x16x32x128xf16>, %k: tensor<2x16x8x128xf16>,
                                %v: tensor<2x16x8x128xf16>, %m: tensor<3x1x16x16xf32>) -> tensor<2x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op mask batch (3) must be 1 or the query batch (2)}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<3x1x16x16xf32>)
      : tensor<2x16x32x128xf16>, tensor<2x16x8x128xf16>, tensor<2x16x8x128xf16> -> tensor<2x16x32x128xf16>
  return %o : tensor<2x16x32x128xf16>
}

// -----

func.func @attention_mask_heads(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                %v: tensor<1x16x8x128xf16>, %m: tensor<1x8x16x16xf32>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op mask head count (8) must be 1 or the query head count (32)}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x8x16x16xf32>)
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_mask_query_seq(%q: tensor<1x16x32x128xf16>, %k: tensor<1x24x8x128xf16>,
                                    %v: tensor<1x24x8x128xf16>, %m: tensor<1x1x24x24xf32>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op mask dim 2 (24) must match the query sequence length (16)}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x24x24xf32>)
      : tensor<1x16x32x128xf16>, tensor<1x24x8x128xf16>, tensor<1x24x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_mask_key_seq(%q: tensor<1x16x32x128xf16>, %k: tensor<1x24x8x128xf16>,
                                  %v: tensor<1x24x8x128xf16>, %m: tensor<1x1x16x16xf32>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op mask dim 3 (16) must match the key sequence length (24)}}
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x16x16xf32>)
      : tensor<1x16x32x128xf16>, tensor<1x24x8x128xf16>, tensor<1x24x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_window(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                            %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op window (0) must be positive}}
  %o = attn.attention %q, %k, %v {window = 0}
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_window_min(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op window (-9223372036854775808) must be positive}}
  %o = attn.attention %q, %k, %v {window = -9223372036854775808}
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// -----

func.func @attention_scale_inf(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                               %v: tensor<1x16x8x128xf16>) -> tensor<1x16x32x128xf16> {
  // expected-error @+1 {{'attn.attention' op scale (INF) must be finite}}
  %o = attn.attention %q, %k, %v {scale = 0x7F800000 : f32}
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

//===----------------------------------------------------------------------===//
// attn.cache.create
//===----------------------------------------------------------------------===//

// -----

func.func @cache_create_sharing() {
  // expected-error @+1 {{'attn.cache.create' op sharing (0) must be at least 1}}
  %c = attn.cache.create {sharing = 0} : !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_create_negative_sharing() {
  // expected-error @+1 {{'attn.cache.create' op sharing (-1) must be at least 1}}
  %c = attn.cache.create {sharing = -1} : !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_create_first_layer() {
  // expected-error @+1 {{'attn.cache.create' op first_layer (-1) must be non-negative}}
  %c = attn.cache.create {first_layer = -1} : !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_create_sharing_min() {
  // expected-error @+1 {{'attn.cache.create' op sharing (-9223372036854775808) must be at least 1}}
  %c = attn.cache.create {sharing = -9223372036854775808} : !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_create_first_layer_min() {
  // expected-error @+1 {{'attn.cache.create' op first_layer (-9223372036854775808) must be non-negative}}
  %c = attn.cache.create {first_layer = -9223372036854775808} : !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

// The group would be [2^63 - 1, 2^63), whose end int64 cannot hold.
func.func @cache_create_group_end_overflow() {
  // expected-error @+1 {{'attn.cache.create' op first_layer (9223372036854775807) + sharing (1) overflows int64, the end of the group's layers [first_layer, first_layer + sharing)}}
  %c = attn.cache.create {first_layer = 9223372036854775807} : !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_create_sharing_overflow() {
  // expected-error @+1 {{'attn.cache.create' op first_layer (2) + sharing (9223372036854775807) overflows int64}}
  %c = attn.cache.create {first_layer = 2, sharing = 9223372036854775807} : !attn.kv_cache<1x8x4096x128xf16>
  return
}

//===----------------------------------------------------------------------===//
// attn.cache.append
//===----------------------------------------------------------------------===//

// -----

func.func @cache_append_keys_rank(%k: tensor<16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                  %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op keys rank (3) must be 4: [batch, tokens, kv_heads, head_dim]}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_values_rank(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128x1xf16>,
                                    %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op values rank (5) must be 4: [batch, tokens, kv_heads, head_dim]}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128x1xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_values_type(%k: tensor<1x16x8x128xf16>, %v: tensor<1x8x8x128xf16>,
                                    %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op values type ('tensor<1x8x8x128xf16>') must match keys type ('tensor<1x16x8x128xf16>')}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x128xf16>, tensor<1x8x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_element_type(%k: tensor<1x16x8x128xf32>, %v: tensor<1x16x8x128xf32>,
                                     %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op keys element type ('f32') must match cache element type ('f16')}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x128xf32>, tensor<1x16x8x128xf32> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_batch(%k: tensor<2x16x8x128xf16>, %v: tensor<2x16x8x128xf16>,
                              %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op keys batch (2) must match cache batch (1)}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<2x16x8x128xf16>, tensor<2x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_head_dim(%k: tensor<1x16x8x64xf16>, %v: tensor<1x16x8x64xf16>,
                                 %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op keys head_dim (64) must match cache head_dim (128)}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x64xf16>, tensor<1x16x8x64xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_kv_heads(%k: tensor<1x16x32x128xf16>, %v: tensor<1x16x32x128xf16>,
                                 %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op keys kv_heads (32) must match cache kv_heads (8)}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_too_many_tokens(%k: tensor<1x32x8x128xf16>, %v: tensor<1x32x8x128xf16>,
                                        %c: !attn.kv_cache<1x8x16x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op appends 32 tokens to a cache of capacity 16}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x32x8x128xf16>, tensor<1x32x8x128xf16> into !attn.kv_cache<1x8x16x128xf16>
  return
}

// -----

func.func @cache_append_position_past_capacity(%k: tensor<1x?x8x128xf16>, %v: tensor<1x?x8x128xf16>,
                                               %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %p = arith.constant 5000 : index
  // expected-error @+1 {{'attn.cache.append' op position (5000) is past the cache capacity (4096)}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x?x8x128xf16>, tensor<1x?x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_negative_position(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                          %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %p = arith.constant -1 : index
  // expected-error @+1 {{'attn.cache.append' op position (-1) must be non-negative}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_overflow(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                 %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %p = arith.constant 4090 : index
  // expected-error @+1 {{'attn.cache.append' op appending 16 tokens at position 4090 overflows the cache capacity (4096)}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_negative_layer(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                       %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op layer (-1) must be non-negative}}
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = -1}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

// Layers 4 and 5 share the cache: layer 5 may read it but not write it.
func.func @cache_append_cla_non_first_layer(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                            %p: index) {
  %c0 = attn.cache.create {first_layer = 4, sharing = 2} : !attn.kv_cache<1x8x4096x128xf16>
  // expected-error @+1 {{'attn.cache.append' op layer (5) cannot write a cache that layers [4, 6) share: only the group's first layer (4) writes it}}
  %c1 = attn.cache.append %k, %v into %c0[%p] {layer = 5}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_position_min(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                     %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %p = arith.constant -9223372036854775808 : index
  // expected-error @+1 {{'attn.cache.append' op position (-9223372036854775808) must be non-negative}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

// position + tokens would wrap; the position alone is already past the end.
func.func @cache_append_position_max(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                     %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %p = arith.constant 9223372036854775807 : index
  // expected-error @+1 {{'attn.cache.append' op position (9223372036854775807) is past the cache capacity (4096)}}
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

func.func @cache_append_layer_min(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                  %c: !attn.kv_cache<1x8x4096x128xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.append' op layer (-9223372036854775808) must be non-negative}}
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = -9223372036854775808}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

// -----

// The last group int64 can hold: layers [2^63 - 3, 2^63 - 1).
func.func @cache_append_cla_near_max(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                                     %p: index) {
  %c0 = attn.cache.create {first_layer = 9223372036854775805, sharing = 2} : !attn.kv_cache<1x8x4096x128xf16>
  // expected-error @+1 {{'attn.cache.append' op layer (9223372036854775806) cannot write a cache that layers [9223372036854775805, 9223372036854775807) share: only the group's first layer (9223372036854775805) writes it}}
  %c1 = attn.cache.append %k, %v into %c0[%p] {layer = 9223372036854775806}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return
}

//===----------------------------------------------------------------------===//
// attn.cache.attend
//===----------------------------------------------------------------------===//

// -----

func.func @cache_attend_query_rank(%q: tensor<16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                   %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op query rank (3) must be 4: [batch, seq, heads, head_dim]}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<16x32x128xf16>
  return
}

// -----

func.func @cache_attend_element_type(%q: tensor<1x16x32x128xbf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                     %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op query element type ('bf16') must match cache element type ('f16')}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x32x128xbf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xbf16>
  return
}

// -----

func.func @cache_attend_batch(%q: tensor<4x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                              %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op query batch (4) must match cache batch (1)}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<4x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<4x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_head_dim(%q: tensor<1x16x32x64xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                 %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op query head_dim (64) must match cache head_dim (128)}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x32x64xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x64xf16>
  return
}

// -----

func.func @cache_attend_head_grouping(%q: tensor<1x16x12x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                      %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op cache KV head count (8) must divide query head count (12)}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x12x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x12x128xf16>
  return
}

// -----

func.func @cache_attend_size_overflow(%q: tensor<1x4611686018427387904x8x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                      %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op query size (1 x 4611686018427387904 x 8 x 128 elements) overflows int64}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x4611686018427387904x8x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x4611686018427387904x8x128xf16>
  return
}

// -----

func.func @cache_attend_result_type(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                    %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op result type ('tensor<1x16x32x64xf16>') must match query type ('tensor<1x16x32x128xf16>')}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x64xf16>
  return
}

// -----

func.func @cache_attend_length(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %n = arith.constant 4097 : index
  // expected-error @+1 {{'attn.cache.attend' op length (4097) must lie in [0, 4096], the cache capacity}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_negative_length(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %n = arith.constant -2 : index
  // expected-error @+1 {{'attn.cache.attend' op length (-2) must lie in [0, 4096], the cache capacity}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_length_min(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>) {
  %n = arith.constant -9223372036854775808 : index
  // expected-error @+1 {{'attn.cache.attend' op length (-9223372036854775808) must lie in [0, 4096], the cache capacity}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_zero_query_seq(%q: tensor<1x0x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                       %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op query sequence length (0) must be positive}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x0x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x0x32x128xf16>
  return
}

// -----

func.func @cache_attend_zero_query_heads(%q: tensor<1x16x0x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                         %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op query head count (0) must be positive}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x0x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x0x128xf16>
  return
}

// -----

func.func @cache_attend_window_min(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                   %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op window (-9223372036854775808) must be positive}}
  %o = attn.cache.attend %q, %c, %n {window = -9223372036854775808}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_window(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                               %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op window (-4) must be positive}}
  %o = attn.cache.attend %q, %c, %n {window = -4}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_scale(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                              %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op scale (nan) must be finite}}
  %o = attn.cache.attend %q, %c, %n {scale = 0x7FC00000 : f32}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_negative_layer(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                       %n: index) {
  // expected-error @+1 {{'attn.cache.attend' op layer (-3) must be non-negative}}
  %o = attn.cache.attend %q, %c, %n {layer = -3}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_unwritten(%q: tensor<1x16x32x128xf16>, %n: index) {
  %c = attn.cache.create : !attn.kv_cache<1x8x4096x128xf16>
  // expected-error @+1 {{'attn.cache.attend' op reads a cache that no layer wrote: it comes straight from 'attn.cache.create'}}
  %o = attn.cache.attend %q, %c, %n
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

func.func @cache_attend_outside_group(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                      %v: tensor<1x16x8x128xf16>, %p: index, %n: index) {
  %c0 = attn.cache.create {first_layer = 4, sharing = 2} : !attn.kv_cache<1x8x4096x128xf16>
  %c1 = attn.cache.append %k, %v into %c0[%p] {layer = 4}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  // expected-error @+1 {{'attn.cache.attend' op layer (6) reads a cache shared by layers [4, 6) only}}
  %o = attn.cache.attend %q, %c1, %n {layer = 6}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

// The group [2^63 - 3, 2^63 - 1) ends one short of INT64_MAX.
func.func @cache_attend_outside_group_near_max(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                               %v: tensor<1x16x8x128xf16>, %p: index, %n: index) {
  %c0 = attn.cache.create {first_layer = 9223372036854775805, sharing = 2} : !attn.kv_cache<1x8x4096x128xf16>
  %c1 = attn.cache.append %k, %v into %c0[%p] {layer = 9223372036854775805}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  // expected-error @+1 {{'attn.cache.attend' op layer (9223372036854775807) reads a cache shared by layers [9223372036854775805, 9223372036854775807) only}}
  %o = attn.cache.attend %q, %c1, %n {layer = 9223372036854775807}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

// The cache comes in as an argument, so no attn.cache.create bounds the
// group; the append still says which layer wrote it.
func.func @cache_attend_later_writer(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                     %v: tensor<1x16x8x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>,
                                     %p: index, %n: index) {
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 3}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  // expected-error @+1 {{'attn.cache.attend' op layer (1) reads a cache written by a later layer (3)}}
  %o = attn.cache.attend %q, %c1, %n {layer = 1}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return
}

// -----

// The CLA rules follow a cache through a decode loop's iter_args to the
// create op: here layer 1 writes a cache that layers [0, 2) share.
func.func @cla_write_in_loop(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                             %v: tensor<1x1x2x64xf16>, %n: index) -> tensor<1x1x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%ci = %c, %o = %q)
      -> (!attn.kv_cache<1x2x16x64xf16>, tensor<1x1x8x64xf16>) {
    // expected-error @+1 {{'attn.cache.append' op layer (1) cannot write a cache that layers [0, 2) share: only the group's first layer (0) writes it}}
    %cn = attn.cache.append %k, %v into %ci[%i] {layer = 1}
        : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
    %len = arith.addi %i, %c1 : index
    %on = attn.cache.attend %o, %cn, %len {layer = 1}
        : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x1x8x64xf16>
    scf.yield %cn, %on : !attn.kv_cache<1x2x16x64xf16>, tensor<1x1x8x64xf16>
  }
  return %r#1 : tensor<1x1x8x64xf16>
}

// -----

// ... and through the loop's results: layer 2 reads a cache of layers
// [0, 2) after the loop.
func.func @cla_read_after_loop(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                               %v: tensor<1x1x2x64xf16>, %n: index) -> tensor<1x1x8x64xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x16x64xf16>) {
    %cn = attn.cache.append %k, %v into %ci[%i] {layer = 0}
        : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
    scf.yield %cn : !attn.kv_cache<1x2x16x64xf16>
  }
  // expected-error @+1 {{'attn.cache.attend' op layer (2) reads a cache shared by layers [0, 2) only}}
  %o = attn.cache.attend %q, %r, %n {layer = 2}
      : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x1x8x64xf16>
  return %o : tensor<1x1x8x64xf16>
}

// -----

//===----------------------------------------------------------------------===//
// attn.attention with quantized key and value (scales)
//===----------------------------------------------------------------------===//

func.func @scale_alone(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x16x2x64xi8>,
                       %v: tensor<1x16x2x64xi8>, %ks: tensor<1x16x2xf32>) {
  // expected-error @+1 {{'attn.attention' op key_scale is given without value_scale: quantized key and value are scaled together}}
  %o = "attn.attention"(%q, %k, %v, %ks) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0>}>
      : (tensor<1x4x8x64xbf16>, tensor<1x16x2x64xi8>, tensor<1x16x2x64xi8>,
         tensor<1x16x2xf32>) -> tensor<1x4x8x64xbf16>
  return
}

// -----

func.func @codes_without_scales(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x16x2x64xi8>,
                                %v: tensor<1x16x2x64xi8>) {
  // expected-error @+1 {{'attn.attention' op key element type ('i8') is quantized storage and needs per-token scales: scales(%key_scale, %value_scale : ...)}}
  %o = attn.attention %q, %k, %v
      : tensor<1x4x8x64xbf16>, tensor<1x16x2x64xi8>, tensor<1x16x2x64xi8>
        -> tensor<1x4x8x64xbf16>
  return
}

// -----

func.func @scales_on_floats(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x16x2x64xbf16>,
                            %v: tensor<1x16x2x64xbf16>, %ks: tensor<1x16x2xf32>,
                            %vs: tensor<1x16x2xf32>) {
  // expected-error @+1 {{'attn.attention' op key element type ('bf16') must be i8 or f8E4M3FN when key and value come with scales}}
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x16x2xf32>, tensor<1x16x2xf32>)
      : tensor<1x4x8x64xbf16>, tensor<1x16x2x64xbf16>, tensor<1x16x2x64xbf16>
        -> tensor<1x4x8x64xbf16>
  return
}

// -----

func.func @mixed_codes(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x16x2x64xi8>,
                       %v: tensor<1x16x2x64xf8E4M3FN>, %ks: tensor<1x16x2xf32>,
                       %vs: tensor<1x16x2xf32>) {
  // expected-error @+1 {{'attn.attention' op value element type ('f8E4M3FN') must match key element type ('i8')}}
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x16x2xf32>, tensor<1x16x2xf32>)
      : tensor<1x4x8x64xbf16>, tensor<1x16x2x64xi8>, tensor<1x16x2x64xf8E4M3FN>
        -> tensor<1x4x8x64xbf16>
  return
}

// -----

func.func @scale_rank(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x16x2x64xi8>,
                      %v: tensor<1x16x2x64xi8>, %ks: tensor<1x16x2x1xf32>,
                      %vs: tensor<1x16x2xf32>) {
  // expected-error @+1 {{'attn.attention' op key_scale rank (4) must be 3: the key shape without head_dim, [batch, seq, heads] (layout bshd)}}
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x16x2x1xf32>, tensor<1x16x2xf32>)
      : tensor<1x4x8x64xbf16>, tensor<1x16x2x64xi8>, tensor<1x16x2x64xi8>
        -> tensor<1x4x8x64xbf16>
  return
}

// -----

func.func @scale_type(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x16x2x64xi8>,
                      %v: tensor<1x16x2x64xi8>, %ks: tensor<1x16x2xf32>,
                      %vs: tensor<1x16x2xf64>) {
  // expected-error @+1 {{'attn.attention' op value_scale element type ('f64') must be f16, bf16 or f32}}
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x16x2xf32>, tensor<1x16x2xf64>)
      : tensor<1x4x8x64xbf16>, tensor<1x16x2x64xi8>, tensor<1x16x2x64xi8>
        -> tensor<1x4x8x64xbf16>
  return
}

// -----

func.func @scale_shape(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x16x2x64xi8>,
                       %v: tensor<1x16x2x64xi8>, %ks: tensor<1x2x16xf32>,
                       %vs: tensor<1x16x2xf32>) {
  // expected-error @+1 {{'attn.attention' op key_scale shape [1, 2, 16] must be [1, 16, 2]: the key shape without head_dim (one scale per token and head)}}
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x2x16xf32>, tensor<1x16x2xf32>)
      : tensor<1x4x8x64xbf16>, tensor<1x16x2x64xi8>, tensor<1x16x2x64xi8>
        -> tensor<1x4x8x64xbf16>
  return
}
