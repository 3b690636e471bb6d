// report=json prints one object on stdout, the models in module order and
// each model's buffers in layer order, and no remarks. It must parse as
// JSON, and the same input must give the same bytes.
// RUN: attn-opt %s --attn-plan-kv-cache=report=json -o /dev/null 2>&1 | FileCheck %s --implicit-check-not=remark
// RUN: attn-opt %s --attn-plan-kv-cache=report=json -o /dev/null | python3 -c "import json, sys; json.load(sys.stdin)"
// RUN: attn-opt %s --attn-plan-kv-cache=report=json -o /dev/null > %t.1
// RUN: attn-opt %s --attn-plan-kv-cache=report=json -o /dev/null > %t.2
// RUN: diff %t.1 %t.2

// @cla2: 2 caches of 2 x 2 x 64 x 2 (f16) = 512 bytes per token, 1024 in
// all; 1024 x 128 = 2^17 bytes per sequence; 80 x 2^30 / 2^17 = 655360.
// @single: 2 x 1 x 128 x 2 (bf16) = 512 bytes per token; 512 x 64 = 2^15
// bytes per sequence; 80 x 2^30 / 2^15 = 2621440.
// @quantized: an i8 cache with f32 scales and an f8E4M3FN cache with bf16
// scales, 2 KV heads x head_dim 64 each: 2 x 2 x 64 x 1 = 256 element bytes
// per token each, 512 in all, shown apart from the scales, 2 x 2 x 4 = 16
// and 2 x 2 x 2 = 8, 24 in all; (512 + 24) x 128 = 68608 bytes per
// sequence; 85899345920 / 68608 = 1252031.3, so 1252031.

// CHECK:      {
// CHECK-NEXT:   "models": [
// CHECK-NEXT:     {
// CHECK-NEXT:       "function": "cla2",
// CHECK-NEXT:       "layers": 4,
// CHECK-NEXT:       "caches": 2,
// CHECK-NEXT:       "sharing": 2,
// CHECK-NEXT:       "kv_bytes_per_token": 1024,
// CHECK-NEXT:       "scale_bytes_per_token": 0,
// CHECK-NEXT:       "seq_len": 128,
// CHECK-NEXT:       "bytes_per_sequence": 131072,
// CHECK-NEXT:       "budget_bytes": 85899345920,
// CHECK-NEXT:       "max_batch": 655360,
// CHECK-NEXT:       "buffers": [
// CHECK-NEXT:         {
// CHECK-NEXT:           "buffer": 0,
// CHECK-NEXT:           "first_layer": 0,
// CHECK-NEXT:           "sharing": 2,
// CHECK-NEXT:           "writer": 0,
// CHECK-NEXT:           "readers": [
// CHECK-NEXT:             0,
// CHECK-NEXT:             1
// CHECK-NEXT:           ],
// CHECK-NEXT:           "batch": 1,
// CHECK-NEXT:           "kv_heads": 2,
// CHECK-NEXT:           "capacity": 128,
// CHECK-NEXT:           "head_dim": 64,
// CHECK-NEXT:           "element_type": "f16",
// CHECK-NEXT:           "bytes_per_element": 2,
// CHECK-NEXT:           "kv_bytes_per_token": 512,
// CHECK-NEXT:           "scale_type": null,
// CHECK-NEXT:           "bytes_per_scale": 0,
// CHECK-NEXT:           "scale_bytes_per_token": 0
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "buffer": 1,
// CHECK-NEXT:           "first_layer": 2,
// CHECK-NEXT:           "sharing": 2,
// CHECK-NEXT:           "writer": 2,
// CHECK-NEXT:           "readers": [
// CHECK-NEXT:             2,
// CHECK-NEXT:             3
// CHECK-NEXT:           ],
// CHECK:                "scale_bytes_per_token": 0
// CHECK-NEXT:         }
// CHECK-NEXT:       ]
// CHECK-NEXT:     },
// CHECK-NEXT:     {
// CHECK-NEXT:       "function": "single",
// CHECK-NEXT:       "layers": 1,
// CHECK-NEXT:       "caches": 1,
// CHECK-NEXT:       "sharing": 1,
// CHECK-NEXT:       "kv_bytes_per_token": 512,
// CHECK-NEXT:       "scale_bytes_per_token": 0,
// CHECK-NEXT:       "seq_len": 64,
// CHECK-NEXT:       "bytes_per_sequence": 32768,
// CHECK-NEXT:       "budget_bytes": 85899345920,
// CHECK-NEXT:       "max_batch": 2621440,
// CHECK:                "element_type": "bf16",
// CHECK:          ]
// CHECK-NEXT:     },
// CHECK-NEXT:     {
// CHECK-NEXT:       "function": "quantized",
// CHECK-NEXT:       "layers": 4,
// CHECK-NEXT:       "caches": 2,
// CHECK-NEXT:       "sharing": 2,
// CHECK-NEXT:       "kv_bytes_per_token": 512,
// CHECK-NEXT:       "scale_bytes_per_token": 24,
// CHECK-NEXT:       "seq_len": 128,
// CHECK-NEXT:       "bytes_per_sequence": 68608,
// CHECK-NEXT:       "budget_bytes": 85899345920,
// CHECK-NEXT:       "max_batch": 1252031,
// CHECK:                "element_type": "i8",
// CHECK-NEXT:           "bytes_per_element": 1,
// CHECK-NEXT:           "kv_bytes_per_token": 256,
// CHECK-NEXT:           "scale_type": "f32",
// CHECK-NEXT:           "bytes_per_scale": 4,
// CHECK-NEXT:           "scale_bytes_per_token": 16
// CHECK:                "element_type": "f8E4M3FN",
// CHECK-NEXT:           "bytes_per_element": 1,
// CHECK-NEXT:           "kv_bytes_per_token": 256,
// CHECK-NEXT:           "scale_type": "bf16",
// CHECK-NEXT:           "bytes_per_scale": 2,
// CHECK-NEXT:           "scale_bytes_per_token": 8
// CHECK:          ]
// CHECK-NEXT:     }
// CHECK-NEXT:   ]
// CHECK-NEXT: }

func.func @cla2(%q: tensor<1x4x8x64xf16>, %k0: tensor<1x4x2x64xf16>,
                %v0: tensor<1x4x2x64xf16>, %k2: tensor<1x4x2x64xf16>,
                %v2: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %b = attn.cache.create {first_layer = 2, sharing = 2} : !attn.kv_cache<1x2x128x64xf16>
  %a = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x128x64xf16>
  %a1 = attn.cache.append %k0, %v0 into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %h1 = attn.cache.attend %q, %a1, %n {causal, layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %h0 = attn.cache.attend %h1, %a1, %n {causal, layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %b1 = attn.cache.append %k2, %v2 into %b[%p] {layer = 2}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %h3 = attn.cache.attend %h0, %b1, %n {causal, layer = 3}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %h2 = attn.cache.attend %h3, %b1, %n {causal, layer = 2}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  return %h2 : tensor<1x4x8x64xf16>
}

func.func @single(%q: tensor<1x1x2x128xbf16>, %k: tensor<1x1x1x128xbf16>,
                  %v: tensor<1x1x1x128xbf16>, %p: index, %n: index)
    -> tensor<1x1x2x128xbf16> {
  %a = attn.cache.create : !attn.kv_cache<1x1x64x128xbf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x1x128xbf16>, tensor<1x1x1x128xbf16> into !attn.kv_cache<1x1x64x128xbf16>
  %o = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x2x128xbf16>, !attn.kv_cache<1x1x64x128xbf16> -> tensor<1x1x2x128xbf16>
  return %o : tensor<1x1x2x128xbf16>
}

func.func @quantized(%q: tensor<1x4x8x64xbf16>, %k0: tensor<1x4x2x64xbf16>,
                     %v0: tensor<1x4x2x64xbf16>, %k2: tensor<1x4x2x64xbf16>,
                     %v2: tensor<1x4x2x64xbf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xbf16> {
  %a = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x128x64xi8, scales = f32>
  %a1 = attn.cache.append %k0, %v0 into %a[%p] {layer = 0}
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16> into !attn.kv_cache<1x2x128x64xi8, scales = f32>
  %h0 = attn.cache.attend %q, %a1, %n {causal, layer = 0}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xi8, scales = f32> -> tensor<1x4x8x64xbf16>
  %h1 = attn.cache.attend %h0, %a1, %n {causal, layer = 1}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xi8, scales = f32> -> tensor<1x4x8x64xbf16>
  %b = attn.cache.create {first_layer = 2, sharing = 2} : !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16>
  %b1 = attn.cache.append %k2, %v2 into %b[%p] {layer = 2}
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16> into !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16>
  %h2 = attn.cache.attend %h1, %b1, %n {causal, layer = 2}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16> -> tensor<1x4x8x64xbf16>
  %h3 = attn.cache.attend %h2, %b1, %n {causal, layer = 3}
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x128x64xf8E4M3FN, scales = bf16> -> tensor<1x4x8x64xbf16>
  return %h3 : tensor<1x4x8x64xbf16>
}
