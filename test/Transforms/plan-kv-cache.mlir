// RUN: attn-opt %s --split-input-file --attn-plan-kv-cache --verify-diagnostics | FileCheck %s

// The figures in the remarks are worked out by hand in the comments: a
// cache takes 2 (keys and values) x kv_heads x head_dim x bytes per element
// per token, the model the sum over its caches; a sequence at the caches'
// capacity C takes that times C; the default budget is 80 GiB =
// 80 x 2^30 = 85899345920 bytes, and the batch is the budget divided by the
// bytes per sequence, rounded down.

// CLA2 over 4 layers, f16: ceil(4 / 2) = 2 caches of 2 x 2 x 64 x 2 = 512
// bytes per token, 1024 in all; 1024 x 128 = 131072 bytes per sequence;
// 80 x 2^30 / 2^17 = 80 x 2^13 = 655360 sequences.
// CHECK-LABEL: func.func @cla2_f16(
// CHECK:         attn.cache.create {attn.buffer = 1 : i64, first_layer = 2 : i64, sharing = 2 : i64}
// CHECK:         attn.cache.create {attn.buffer = 0 : i64, sharing = 2 : i64}
// expected-remark @+1 {{4 layers keep 2 KV caches (sharing 2: ceil(4 / 2) = 2): 1024 KV bytes per token, 131072 bytes per sequence at 128 tokens; a budget of 85899345920 bytes (80 GiB) fits a batch of 655360}}
func.func @cla2_f16(%q: tensor<1x4x8x64xf16>, %k0: tensor<1x4x2x64xf16>,
                    %v0: tensor<1x4x2x64xf16>, %k2: tensor<1x4x2x64xf16>,
                    %v2: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  // Built after the second group's, to show that buffers follow the layers.
  // expected-remark @+1 {{buffer 1 holds the cache of layers [2, 4): layer 2 writes it, and layers 2, 3 read it in place; 2 x 2 KV heads x head_dim 64 x 2 bytes (f16) = 512 KV bytes per token}}
  %b = attn.cache.create {first_layer = 2, sharing = 2} : !attn.kv_cache<1x2x128x64xf16>
  // expected-remark @+1 {{buffer 0 holds the cache of layers [0, 2): layer 0 writes it, and layers 0, 1 read it in place; 2 x 2 KV heads x head_dim 64 x 2 bytes (f16) = 512 KV bytes per token}}
  %a = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x128x64xf16>
  %a1 = attn.cache.append %k0, %v0 into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %h0 = attn.cache.attend %q, %a1, %n {causal, layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %h1 = attn.cache.attend %h0, %a1, %n {causal, layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %b1 = attn.cache.append %k2, %v2 into %b[%p] {layer = 2}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %h2 = attn.cache.attend %h1, %b1, %n {causal, layer = 2}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %h3 = attn.cache.attend %h2, %b1, %n {causal, layer = 3}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  return %h3 : tensor<1x4x8x64xf16>
}

// -----

// Sharing 3 over 5 layers, f32: the last group is cut short, and there are
// ceil(5 / 3) = 2 caches of 2 x 1 x 32 x 4 = 256 bytes per token, 512 in
// all; 512 x 64 = 32768 = 2^15 bytes per sequence; 80 x 2^30 / 2^15 =
// 80 x 2^15 = 2621440 sequences.
// CHECK-LABEL: func.func @cla3_f32(
// expected-remark @+1 {{5 layers keep 2 KV caches (sharing 3: ceil(5 / 3) = 2): 512 KV bytes per token, 32768 bytes per sequence at 64 tokens; a budget of 85899345920 bytes (80 GiB) fits a batch of 2621440}}
func.func @cla3_f32(%q: tensor<2x1x4x32xf32>, %k: tensor<2x1x1x32xf32>,
                    %v: tensor<2x1x1x32xf32>, %p: index, %n: index)
    -> tensor<2x1x4x32xf32> {
  // expected-remark @+1 {{buffer 0 holds the cache of layers [0, 3): layer 0 writes it, and layers 0, 1, 2 read it in place; 2 x 1 KV head x head_dim 32 x 4 bytes (f32) = 256 KV bytes per token}}
  %a = attn.cache.create {first_layer = 0, sharing = 3} : !attn.kv_cache<2x1x64x32xf32>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<2x1x1x32xf32>, tensor<2x1x1x32xf32> into !attn.kv_cache<2x1x64x32xf32>
  %h0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<2x1x4x32xf32>, !attn.kv_cache<2x1x64x32xf32> -> tensor<2x1x4x32xf32>
  %h1 = attn.cache.attend %h0, %a1, %n {layer = 1}
      : tensor<2x1x4x32xf32>, !attn.kv_cache<2x1x64x32xf32> -> tensor<2x1x4x32xf32>
  %h2 = attn.cache.attend %h1, %a1, %n {layer = 2}
      : tensor<2x1x4x32xf32>, !attn.kv_cache<2x1x64x32xf32> -> tensor<2x1x4x32xf32>
  // expected-remark @+1 {{buffer 1 holds the cache of layers [3, 6): layer 3 writes it, and layers 3, 4 read it in place; 2 x 1 KV head x head_dim 32 x 4 bytes (f32) = 256 KV bytes per token}}
  %b = attn.cache.create {first_layer = 3, sharing = 3} : !attn.kv_cache<2x1x64x32xf32>
  %b1 = attn.cache.append %k, %v into %b[%p] {layer = 3}
      : tensor<2x1x1x32xf32>, tensor<2x1x1x32xf32> into !attn.kv_cache<2x1x64x32xf32>
  %h3 = attn.cache.attend %h2, %b1, %n {layer = 3}
      : tensor<2x1x4x32xf32>, !attn.kv_cache<2x1x64x32xf32> -> tensor<2x1x4x32xf32>
  %h4 = attn.cache.attend %h3, %b1, %n {layer = 4}
      : tensor<2x1x4x32xf32>, !attn.kv_cache<2x1x64x32xf32> -> tensor<2x1x4x32xf32>
  return %h4 : tensor<2x1x4x32xf32>
}

// -----

// No sharing, bf16: 3 caches of 2 x 4 x 128 x 2 = 2048 bytes per token,
// 6144 in all; 6144 x 256 = 1572864 = 3 x 2^19 bytes per sequence;
// 80 x 2^30 / (3 x 2^19) = 163840 / 3 = 54613.3, so 54613 sequences.
// CHECK-LABEL: func.func @mha_bf16(
// CHECK-COUNT-3: attn.buffer
// expected-remark @+1 {{3 layers keep 3 KV caches (sharing 1: ceil(3 / 1) = 3): 6144 KV bytes per token, 1572864 bytes per sequence at 256 tokens; a budget of 85899345920 bytes (80 GiB) fits a batch of 54613}}
func.func @mha_bf16(%q: tensor<1x1x4x128xbf16>, %k: tensor<1x1x4x128xbf16>,
                    %v: tensor<1x1x4x128xbf16>, %p: index, %n: index)
    -> tensor<1x1x4x128xbf16> {
  // expected-remark @+1 {{buffer 0 holds the cache of layers [0, 1): layer 0 writes it, and layer 0 reads it in place; 2 x 4 KV heads x head_dim 128 x 2 bytes (bf16) = 2048 KV bytes per token}}
  %a = attn.cache.create : !attn.kv_cache<1x4x256x128xbf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x4x128xbf16>, tensor<1x1x4x128xbf16> into !attn.kv_cache<1x4x256x128xbf16>
  %h0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x4x128xbf16>, !attn.kv_cache<1x4x256x128xbf16> -> tensor<1x1x4x128xbf16>
  // expected-remark @+1 {{buffer 1 holds the cache of layers [1, 2)}}
  %b = attn.cache.create {first_layer = 1} : !attn.kv_cache<1x4x256x128xbf16>
  %b1 = attn.cache.append %k, %v into %b[%p] {layer = 1}
      : tensor<1x1x4x128xbf16>, tensor<1x1x4x128xbf16> into !attn.kv_cache<1x4x256x128xbf16>
  %h1 = attn.cache.attend %h0, %b1, %n {layer = 1}
      : tensor<1x1x4x128xbf16>, !attn.kv_cache<1x4x256x128xbf16> -> tensor<1x1x4x128xbf16>
  // expected-remark @+1 {{buffer 2 holds the cache of layers [2, 3)}}
  %c = attn.cache.create {first_layer = 2} : !attn.kv_cache<1x4x256x128xbf16>
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 2}
      : tensor<1x1x4x128xbf16>, tensor<1x1x4x128xbf16> into !attn.kv_cache<1x4x256x128xbf16>
  %h2 = attn.cache.attend %h1, %c1, %n {layer = 2}
      : tensor<1x1x4x128xbf16>, !attn.kv_cache<1x4x256x128xbf16> -> tensor<1x1x4x128xbf16>
  return %h2 : tensor<1x1x4x128xbf16>
}

// -----

// Caches of different sizes add up: 2 x 2 x 64 x 2 (f16) = 512 and
// 2 x 1 x 64 x 4 (f32) = 512 bytes per token, 1024 in all; 1024 x 32 =
// 32768 = 2^15 bytes per sequence; 80 x 2^30 / 2^15 = 2621440 sequences.
// CHECK-LABEL: func.func @mixed(
// expected-remark @+1 {{3 layers keep 2 KV caches (sharing factors differ): 1024 KV bytes per token, 32768 bytes per sequence at 32 tokens; a budget of 85899345920 bytes (80 GiB) fits a batch of 2621440}}
func.func @mixed(%q: tensor<1x2x4x64xf16>, %k: tensor<1x2x2x64xf16>,
                 %v: tensor<1x2x2x64xf16>, %q32: tensor<1x2x4x64xf32>,
                 %k32: tensor<1x2x1x64xf32>, %v32: tensor<1x2x1x64xf32>,
                 %p: index, %n: index) -> (tensor<1x2x4x64xf16>, tensor<1x2x4x64xf32>) {
  // expected-remark @+1 {{buffer 0 holds the cache of layers [0, 2): layer 0 writes it, and layers 0, 1 read it in place; 2 x 2 KV heads x head_dim 64 x 2 bytes (f16) = 512 KV bytes per token}}
  %a = attn.cache.create {sharing = 2} : !attn.kv_cache<1x2x32x64xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x2x2x64xf16>, tensor<1x2x2x64xf16> into !attn.kv_cache<1x2x32x64xf16>
  %h0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x2x4x64xf16>, !attn.kv_cache<1x2x32x64xf16> -> tensor<1x2x4x64xf16>
  %h1 = attn.cache.attend %h0, %a1, %n {layer = 1}
      : tensor<1x2x4x64xf16>, !attn.kv_cache<1x2x32x64xf16> -> tensor<1x2x4x64xf16>
  // expected-remark @+1 {{buffer 1 holds the cache of layers [2, 3): layer 2 writes it, and layer 2 reads it in place; 2 x 1 KV head x head_dim 64 x 4 bytes (f32) = 512 KV bytes per token}}
  %b = attn.cache.create {first_layer = 2} : !attn.kv_cache<1x1x32x64xf32>
  %b1 = attn.cache.append %k32, %v32 into %b[%p] {layer = 2}
      : tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32> into !attn.kv_cache<1x1x32x64xf32>
  %h2 = attn.cache.attend %q32, %b1, %n {layer = 2}
      : tensor<1x2x4x64xf32>, !attn.kv_cache<1x1x32x64xf32> -> tensor<1x2x4x64xf32>
  return %h1, %h2 : tensor<1x2x4x64xf16>, tensor<1x2x4x64xf32>
}

// -----

// Two steps through one cache, each read after the append that makes it:
// the cache is updated in place, so it is still one buffer. A bf16 element
// is two bytes: 2 x 1 x 128 x 2 = 512 bytes per token; 512 x 1024 = 2^19
// bytes per sequence; 80 x 2^30 / 2^19 = 80 x 2^11 = 163840 sequences.
// CHECK-LABEL: func.func @two_steps_bf16(
// CHECK:         attn.cache.create {attn.buffer = 0 : i64, sharing = 2 : i64}
// CHECK-NOT:     attn.buffer
// expected-remark @+1 {{2 layers keep 1 KV cache (sharing 2: ceil(2 / 2) = 1): 512 KV bytes per token, 524288 bytes per sequence at 1024 tokens; a budget of 85899345920 bytes (80 GiB) fits a batch of 163840}}
func.func @two_steps_bf16(%q: tensor<1x1x8x128xbf16>, %k: tensor<1x1x1x128xbf16>,
                        %v: tensor<1x1x1x128xbf16>, %p: index, %n: index)
    -> tensor<1x1x8x128xbf16> {
  // expected-remark @+1 {{buffer 0 holds the cache of layers [0, 2): layer 0 writes it, and layers 0, 1 read it in place; 2 x 1 KV head x head_dim 128 x 2 bytes (bf16) = 512 KV bytes per token}}
  %a = attn.cache.create {sharing = 2} : !attn.kv_cache<1x1x1024x128xbf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x1x128xbf16>, tensor<1x1x1x128xbf16> into !attn.kv_cache<1x1x1024x128xbf16>
  %h0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x8x128xbf16>, !attn.kv_cache<1x1x1024x128xbf16> -> tensor<1x1x8x128xbf16>
  %h1 = attn.cache.attend %h0, %a1, %n {layer = 1}
      : tensor<1x1x8x128xbf16>, !attn.kv_cache<1x1x1024x128xbf16> -> tensor<1x1x8x128xbf16>
  %a2 = attn.cache.append %k, %v into %a1[%n] {layer = 0}
      : tensor<1x1x1x128xbf16>, tensor<1x1x1x128xbf16> into !attn.kv_cache<1x1x1024x128xbf16>
  %h2 = attn.cache.attend %h1, %a2, %n {layer = 0}
      : tensor<1x1x8x128xbf16>, !attn.kv_cache<1x1x1024x128xbf16> -> tensor<1x1x8x128xbf16>
  %h3 = attn.cache.attend %h2, %a2, %n {layer = 1}
      : tensor<1x1x8x128xbf16>, !attn.kv_cache<1x1x1024x128xbf16> -> tensor<1x1x8x128xbf16>
  return %h3 : tensor<1x1x8x128xbf16>
}

// -----

// A function without caches is no model: no remark, nothing changes.
// CHECK-LABEL: func.func @plain(
// CHECK-NEXT:    return
func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// Quantized caches: the element bytes keep the formula (1 byte for i8 and
// f8E4M3FN), and the scales, one per token and KV head for the keys and
// one for the values, are a figure of their own: 2 x 2 x 4 = 16 (f32) and
// 2 x 2 x 2 = 8 (bf16). A sequence takes both: (512 + 24) x 128 = 68608
// bytes; 85899345920 / 68608 = 1252031.3, so 1252031.
// expected-remark @+1 {{4 layers keep 2 KV caches (sharing 2: ceil(4 / 2) = 2): 512 KV bytes per token, 24 scale bytes per token, 68608 bytes per sequence at 128 tokens; a budget of 85899345920 bytes (80 GiB) fits a batch of 1252031}}
func.func @quantized(%q: tensor<1x4x8x64xbf16>, %k0: tensor<1x4x2x64xbf16>,
                     %v0: tensor<1x4x2x64xbf16>, %k2: tensor<1x4x2x64xbf16>,
                     %v2: tensor<1x4x2x64xbf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xbf16> {
  // expected-remark @+1 {{buffer 0 holds the cache of layers [0, 2): layer 0 writes it, and layers 0, 1 read it in place; 2 x 2 KV heads x head_dim 64 x 1 byte (i8) = 256 KV bytes per token, and 2 x 2 KV heads x 4 bytes (f32 scales) = 16 scale bytes per token}}
  %a = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x128x64xi8, scales = f32>
  %a1 = attn.cache.append %k0, %v0 into %a[%p] {layer = 0}
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16> into !attn.kv_cache<1x2x128x64xi8, scales = f32>
  %h0 = attn.cache.attend %q, %a1, %n {causal, layer = 0}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xi8, scales = f32> -> tensor<1x4x8x64xbf16>
  %h1 = attn.cache.attend %h0, %a1, %n {causal, layer = 1}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xi8, scales = f32> -> tensor<1x4x8x64xbf16>
  // expected-remark @+1 {{buffer 1 holds the cache of layers [2, 4): layer 2 writes it, and layers 2, 3 read it in place; 2 x 2 KV heads x head_dim 64 x 1 byte (f8E4M3FN) = 256 KV bytes per token, and 2 x 2 KV heads x 2 bytes (bf16 scales) = 8 scale bytes per token}}
  %b = attn.cache.create {first_layer = 2, sharing = 2} : !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16>
  %b1 = attn.cache.append %k2, %v2 into %b[%p] {layer = 2}
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16> into !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16>
  %h2 = attn.cache.attend %h1, %b1, %n {causal, layer = 2}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16> -> tensor<1x4x8x64xbf16>
  %h3 = attn.cache.attend %h2, %b1, %n {causal, layer = 3}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16> -> tensor<1x4x8x64xbf16>
  return %h3 : tensor<1x4x8x64xbf16>
}
