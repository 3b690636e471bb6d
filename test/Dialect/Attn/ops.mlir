// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s
// Round trip of every attn op and type, in the custom and the generic form.

// CHECK-LABEL: func.func @repeat_kv(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<1x128x8x128xf16>
func.func @repeat_kv(%k: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  // CHECK: %[[R:.+]] = attn.repeat_kv %[[K]], n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x128x32x128xf16>
  // CHECK: return %[[R]]
  %r = attn.repeat_kv %k, n_rep = 4 : tensor<1x128x8x128xf16> -> tensor<1x128x32x128xf16>
  return %r : tensor<1x128x32x128xf16>
}

// CHECK-LABEL: func.func @repeat_kv_dynamic(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<?x?x8x64xbf16>
func.func @repeat_kv_dynamic(%k: tensor<?x?x8x64xbf16>) -> tensor<?x?x?x64xbf16> {
  // CHECK: attn.repeat_kv %[[K]], n_rep = 2 : tensor<?x?x8x64xbf16> -> tensor<?x?x?x64xbf16>
  %r = attn.repeat_kv %k, n_rep = 2 : tensor<?x?x8x64xbf16> -> tensor<?x?x?x64xbf16>
  return %r : tensor<?x?x?x64xbf16>
}

// MHA: as many KV heads as query heads, default layout, no attributes.
// CHECK-LABEL: func.func @attention_mha(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x32x128xf16>, %[[V:[^:]+]]: tensor<1x16x32x128xf16>
func.func @attention_mha(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x32x128xf16>,
                         %v: tensor<1x16x32x128xf16>) -> tensor<1x16x32x128xf16> {
  // CHECK: %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16> -> tensor<1x16x32x128xf16>
  // CHECK: return %[[O]]
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>
      -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// GQA with causal masking, bshd written explicitly (the default, so elided).
// CHECK-LABEL: func.func @attention_gqa_causal(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x128x32x128xf16>, %[[K:[^:]+]]: tensor<1x128x8x128xf16>, %[[V:[^:]+]]: tensor<1x128x8x128xf16>
func.func @attention_gqa_causal(%q: tensor<1x128x32x128xf16>, %k: tensor<1x128x8x128xf16>,
                                %v: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] {causal} : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16> -> tensor<1x128x32x128xf16>
  %o = attn.attention %q, %k, %v {causal, layout = #attn.layout<bshd>}
      : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>
      -> tensor<1x128x32x128xf16>
  return %o : tensor<1x128x32x128xf16>
}

// MQA: one KV head, bf16, with an explicit scale.
// CHECK-LABEL: func.func @attention_mqa_scale_bf16(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x64x16x64xbf16>, %[[K:[^:]+]]: tensor<2x64x1x64xbf16>, %[[V:[^:]+]]: tensor<2x64x1x64xbf16>
func.func @attention_mqa_scale_bf16(%q: tensor<2x64x16x64xbf16>, %k: tensor<2x64x1x64xbf16>,
                                    %v: tensor<2x64x1x64xbf16>) -> tensor<2x64x16x64xbf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] {scale = 1.250000e-01 : f32} : tensor<2x64x16x64xbf16>, tensor<2x64x1x64xbf16>, tensor<2x64x1x64xbf16> -> tensor<2x64x16x64xbf16>
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32}
      : tensor<2x64x16x64xbf16>, tensor<2x64x1x64xbf16>, tensor<2x64x1x64xbf16>
      -> tensor<2x64x16x64xbf16>
  return %o : tensor<2x64x16x64xbf16>
}

// bhsd layout, f32, sliding window.
// CHECK-LABEL: func.func @attention_bhsd_window_f32(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x32x16x128xf32>, %[[K:[^:]+]]: tensor<1x8x48x128xf32>, %[[V:[^:]+]]: tensor<1x8x48x128xf32>
func.func @attention_bhsd_window_f32(%q: tensor<1x32x16x128xf32>, %k: tensor<1x8x48x128xf32>,
                                     %v: tensor<1x8x48x128xf32>) -> tensor<1x32x16x128xf32> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] {layout = #attn.layout<bhsd>, window = 256 : i64} : tensor<1x32x16x128xf32>, tensor<1x8x48x128xf32>, tensor<1x8x48x128xf32> -> tensor<1x32x16x128xf32>
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>, window = 256}
      : tensor<1x32x16x128xf32>, tensor<1x8x48x128xf32>, tensor<1x8x48x128xf32>
      -> tensor<1x32x16x128xf32>
  return %o : tensor<1x32x16x128xf32>
}

// An additive mask of another float type, broadcast over the heads.
// CHECK-LABEL: func.func @attention_mask(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x16x32x128xf16>, %[[K:[^:]+]]: tensor<2x24x8x128xf16>, %[[V:[^:]+]]: tensor<2x24x8x128xf16>, %[[M:[^:]+]]: tensor<2x1x16x24xf32>
func.func @attention_mask(%q: tensor<2x16x32x128xf16>, %k: tensor<2x24x8x128xf16>,
                          %v: tensor<2x24x8x128xf16>, %m: tensor<2x1x16x24xf32>)
    -> tensor<2x16x32x128xf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x1x16x24xf32>) : tensor<2x16x32x128xf16>, tensor<2x24x8x128xf16>, tensor<2x24x8x128xf16> -> tensor<2x16x32x128xf16>
  %o = attn.attention %q, %k, %v mask(%m : tensor<2x1x16x24xf32>)
      : tensor<2x16x32x128xf16>, tensor<2x24x8x128xf16>, tensor<2x24x8x128xf16>
      -> tensor<2x16x32x128xf16>
  return %o : tensor<2x16x32x128xf16>
}

// Every attribute and a mask together, in the bhsd layout.
// CHECK-LABEL: func.func @attention_all_attrs_bhsd(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x32x16x128xf16>, %[[K:[^:]+]]: tensor<1x8x32x128xf16>, %[[V:[^:]+]]: tensor<1x8x32x128xf16>, %[[M:[^:]+]]: tensor<1x32x16x32xf16>
func.func @attention_all_attrs_bhsd(%q: tensor<1x32x16x128xf16>, %k: tensor<1x8x32x128xf16>,
                                    %v: tensor<1x8x32x128xf16>, %m: tensor<1x32x16x32xf16>)
    -> tensor<1x32x16x128xf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<1x32x16x32xf16>) {causal, layout = #attn.layout<bhsd>, scale = 5.000000e-01 : f32, window = 8 : i64} : tensor<1x32x16x128xf16>, tensor<1x8x32x128xf16>, tensor<1x8x32x128xf16> -> tensor<1x32x16x128xf16>
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x32x16x32xf16>)
      {window = 8, scale = 0.5 : f32, layout = #attn.layout<bhsd>, causal}
      : tensor<1x32x16x128xf16>, tensor<1x8x32x128xf16>, tensor<1x8x32x128xf16>
      -> tensor<1x32x16x128xf16>
  return %o : tensor<1x32x16x128xf16>
}

// The value head_dim (64) differs from the query and key head_dim (128).
// CHECK-LABEL: func.func @attention_value_head_dim(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x8x64xf16>
func.func @attention_value_head_dim(%q: tensor<1x16x32x128xf16>, %k: tensor<1x16x8x128xf16>,
                                    %v: tensor<1x16x8x64xf16>) -> tensor<1x16x32x64xf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x64xf16> -> tensor<1x16x32x64xf16>
  %o = attn.attention %q, %k, %v
      : tensor<1x16x32x128xf16>, tensor<1x16x8x128xf16>, tensor<1x16x8x64xf16>
      -> tensor<1x16x32x64xf16>
  return %o : tensor<1x16x32x64xf16>
}

// Dynamic batch and sequence lengths, and a dynamic KV head count.
// CHECK-LABEL: func.func @attention_dynamic(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<?x?x32x128xf16>, %[[K:[^:]+]]: tensor<?x?x?x128xf16>, %[[V:[^:]+]]: tensor<?x?x?x128xf16>
func.func @attention_dynamic(%q: tensor<?x?x32x128xf16>, %k: tensor<?x?x?x128xf16>,
                             %v: tensor<?x?x?x128xf16>) -> tensor<?x?x32x128xf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] {causal} : tensor<?x?x32x128xf16>, tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16> -> tensor<?x?x32x128xf16>
  %o = attn.attention %q, %k, %v {causal}
      : tensor<?x?x32x128xf16>, tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>
      -> tensor<?x?x32x128xf16>
  return %o : tensor<?x?x32x128xf16>
}

// Quantized key and value with per-token scales, with a mask, in bhsd.
// CHECK-LABEL: func.func @attention_scales(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x8x16x64xbf16>, %[[K:[^:]+]]: tensor<1x2x32x64xi8>, %[[V:[^:]+]]: tensor<1x2x32x64xi8>, %[[KS:[^:]+]]: tensor<1x2x32xf32>, %[[VS:[^:]+]]: tensor<1x2x32xbf16>, %[[M:[^:]+]]: tensor<1x1x16x32xf32>
func.func @attention_scales(%q: tensor<1x8x16x64xbf16>, %k: tensor<1x2x32x64xi8>,
                            %v: tensor<1x2x32x64xi8>, %ks: tensor<1x2x32xf32>,
                            %vs: tensor<1x2x32xbf16>, %m: tensor<1x1x16x32xf32>)
    -> tensor<1x8x16x64xbf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] scales(%[[KS]], %[[VS]] : tensor<1x2x32xf32>, tensor<1x2x32xbf16>) mask(%[[M]] : tensor<1x1x16x32xf32>) {causal, layout = #attn.layout<bhsd>} : tensor<1x8x16x64xbf16>, tensor<1x2x32x64xi8>, tensor<1x2x32x64xi8> -> tensor<1x8x16x64xbf16>
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x2x32xf32>, tensor<1x2x32xbf16>)
      mask(%m : tensor<1x1x16x32xf32>) {causal, layout = #attn.layout<bhsd>}
      : tensor<1x8x16x64xbf16>, tensor<1x2x32x64xi8>, tensor<1x2x32x64xi8>
      -> tensor<1x8x16x64xbf16>
  return %o : tensor<1x8x16x64xbf16>
}

// fp8 codes.
// CHECK-LABEL: func.func @attention_scales_fp8(
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}} : tensor<1x?x2xf16>, tensor<1x?x2xf16>) : tensor<1x4x8x64xf32>, tensor<1x?x2x64xf8E4M3FN>, tensor<1x?x2x64xf8E4M3FN> -> tensor<1x4x8x64xf32>
func.func @attention_scales_fp8(%q: tensor<1x4x8x64xf32>, %k: tensor<1x?x2x64xf8E4M3FN>,
                                %v: tensor<1x?x2x64xf8E4M3FN>, %ks: tensor<1x?x2xf16>,
                                %vs: tensor<1x?x2xf16>) -> tensor<1x4x8x64xf32> {
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<1x?x2xf16>, tensor<1x?x2xf16>)
      : tensor<1x4x8x64xf32>, tensor<1x?x2x64xf8E4M3FN>, tensor<1x?x2x64xf8E4M3FN>
      -> tensor<1x4x8x64xf32>
  return %o : tensor<1x4x8x64xf32>
}

// A new cache with the default sharing (1) and first_layer (0): both elided.
// CHECK-LABEL: func.func @cache_create(
func.func @cache_create() -> !attn.kv_cache<1x8x4096x128xf16> {
  // CHECK: %[[C:.+]] = attn.cache.create : !attn.kv_cache<1x8x4096x128xf16>
  // CHECK: return %[[C]] : !attn.kv_cache<1x8x4096x128xf16>
  %c = attn.cache.create : !attn.kv_cache<1x8x4096x128xf16>
  return %c : !attn.kv_cache<1x8x4096x128xf16>
}

// Defaults written explicitly print as the short form.
// CHECK-LABEL: func.func @cache_create_explicit_defaults(
func.func @cache_create_explicit_defaults() -> !attn.kv_cache<2x4x16x64xbf16> {
  // CHECK: attn.cache.create : !attn.kv_cache<2x4x16x64xbf16>
  %c = attn.cache.create {sharing = 1, first_layer = 0} : !attn.kv_cache<2x4x16x64xbf16>
  return %c : !attn.kv_cache<2x4x16x64xbf16>
}

// A cache shared by layers 4 and 5.
// CHECK-LABEL: func.func @cache_create_shared(
func.func @cache_create_shared() -> !attn.kv_cache<1x8x4096x128xf32> {
  // CHECK: attn.cache.create {first_layer = 4 : i64, sharing = 2 : i64} : !attn.kv_cache<1x8x4096x128xf32>
  %c = attn.cache.create {first_layer = 4, sharing = 2} : !attn.kv_cache<1x8x4096x128xf32>
  return %c : !attn.kv_cache<1x8x4096x128xf32>
}

// A KV cache passed in as an argument.
// CHECK-LABEL: func.func @cache_type_argument(
// CHECK-SAME:      %{{.+}}: !attn.kv_cache<4x1x512x256xbf16>) -> !attn.kv_cache<4x1x512x256xbf16>
func.func @cache_type_argument(%c: !attn.kv_cache<4x1x512x256xbf16>) -> !attn.kv_cache<4x1x512x256xbf16> {
  return %c : !attn.kv_cache<4x1x512x256xbf16>
}

// CHECK-LABEL: func.func @cache_append(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x8x128xf16>, %[[P:[^:]+]]: index
func.func @cache_append(%k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>, %pos: index)
    -> !attn.kv_cache<1x8x4096x128xf16> {
  // CHECK: %[[C0:.+]] = attn.cache.create : !attn.kv_cache<1x8x4096x128xf16>
  // CHECK: %[[C1:.+]] = attn.cache.append %[[K]], %[[V]] into %[[C0]][%[[P]]] {layer = 0 : i64} : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  // CHECK: return %[[C1]]
  %c0 = attn.cache.create : !attn.kv_cache<1x8x4096x128xf16>
  %c1 = attn.cache.append %k, %v into %c0[%pos] {layer = 0}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  return %c1 : !attn.kv_cache<1x8x4096x128xf16>
}

// Append without a layer, with a dynamic token count, at a constant position.
// CHECK-LABEL: func.func @cache_append_dynamic(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<1x?x8x128xbf16>, %[[V:[^:]+]]: tensor<1x?x8x128xbf16>, %[[C:[^:]+]]: !attn.kv_cache<1x8x64x128xbf16>
func.func @cache_append_dynamic(%k: tensor<1x?x8x128xbf16>, %v: tensor<1x?x8x128xbf16>,
                                %c: !attn.kv_cache<1x8x64x128xbf16>) -> !attn.kv_cache<1x8x64x128xbf16> {
  // CHECK: %[[P:.+]] = arith.constant 8 : index
  // CHECK: attn.cache.append %[[K]], %[[V]] into %[[C]][%[[P]]] : tensor<1x?x8x128xbf16>, tensor<1x?x8x128xbf16> into !attn.kv_cache<1x8x64x128xbf16>
  %pos = arith.constant 8 : index
  %c1 = attn.cache.append %k, %v into %c[%pos]
      : tensor<1x?x8x128xbf16>, tensor<1x?x8x128xbf16> into !attn.kv_cache<1x8x64x128xbf16>
  return %c1 : !attn.kv_cache<1x8x64x128xbf16>
}

// Per-sequence key lengths, after the mask.
// CHECK-LABEL: func.func @attention_kv_lengths(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<4x1x32x128xbf16>, %[[K:[^:]+]]: tensor<4x4096x8x128xbf16>, %[[V:[^:]+]]: tensor<4x4096x8x128xbf16>, %[[M:[^:]+]]: tensor<1x1x1x4096xf32>, %[[N:[^:]+]]: tensor<4xi64>
func.func @attention_kv_lengths(%q: tensor<4x1x32x128xbf16>, %k: tensor<4x4096x8x128xbf16>,
                                %v: tensor<4x4096x8x128xbf16>, %m: tensor<1x1x1x4096xf32>,
                                %n: tensor<4xi64>) -> tensor<4x1x32x128xbf16> {
  // CHECK: attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<1x1x1x4096xf32>) lengths(%[[N]] : tensor<4xi64>) {causal} : tensor<4x1x32x128xbf16>, tensor<4x4096x8x128xbf16>, tensor<4x4096x8x128xbf16> -> tensor<4x1x32x128xbf16>
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x1x4096xf32>) lengths(%n : tensor<4xi64>) {causal}
      : tensor<4x1x32x128xbf16>, tensor<4x4096x8x128xbf16>, tensor<4x4096x8x128xbf16> -> tensor<4x1x32x128xbf16>
  return %o : tensor<4x1x32x128xbf16>
}

// CHECK-LABEL: func.func @cache_attend_lengths(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x1x32x128xf16>, %[[C:[^:]+]]: !attn.kv_cache<2x8x4096x128xf16>, %[[N:[^:]+]]: index, %[[L:[^:]+]]: tensor<?xi64>
func.func @cache_attend_lengths(%q: tensor<2x1x32x128xf16>, %c: !attn.kv_cache<2x8x4096x128xf16>,
                                %n: index, %lens: tensor<?xi64>) -> tensor<2x1x32x128xf16> {
  // CHECK: attn.cache.attend %[[Q]], %[[C]], %[[N]] lengths(%[[L]] : tensor<?xi64>) {causal} : tensor<2x1x32x128xf16>, !attn.kv_cache<2x8x4096x128xf16> -> tensor<2x1x32x128xf16>
  %o = attn.cache.attend %q, %c, %n lengths(%lens : tensor<?xi64>) {causal}
      : tensor<2x1x32x128xf16>, !attn.kv_cache<2x8x4096x128xf16> -> tensor<2x1x32x128xf16>
  return %o : tensor<2x1x32x128xf16>
}

// CHECK-LABEL: func.func @cache_attend(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x16x32x128xf16>, %[[C:[^:]+]]: !attn.kv_cache<1x8x4096x128xf16>, %[[N:[^:]+]]: index
func.func @cache_attend(%q: tensor<1x16x32x128xf16>, %c: !attn.kv_cache<1x8x4096x128xf16>, %n: index)
    -> tensor<1x16x32x128xf16> {
  // CHECK: %[[O:.+]] = attn.cache.attend %[[Q]], %[[C]], %[[N]] {causal, layer = 3 : i64, scale = 2.500000e-01 : f32, window = 1024 : i64} : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  // CHECK: return %[[O]]
  %o = attn.cache.attend %q, %c, %n {causal, layer = 3, scale = 0.25 : f32, window = 1024}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return %o : tensor<1x16x32x128xf16>
}

// MQA decode over a cache, f32, no attributes, a dynamic batch.
// CHECK-LABEL: func.func @cache_attend_mqa(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<?x1x16x64xf32>, %[[C:[^:]+]]: !attn.kv_cache<2x1x128x64xf32>, %[[N:[^:]+]]: index
func.func @cache_attend_mqa(%q: tensor<?x1x16x64xf32>, %c: !attn.kv_cache<2x1x128x64xf32>, %n: index)
    -> tensor<?x1x16x64xf32> {
  // CHECK: attn.cache.attend %[[Q]], %[[C]], %[[N]] : tensor<?x1x16x64xf32>, !attn.kv_cache<2x1x128x64xf32> -> tensor<?x1x16x64xf32>
  %o = attn.cache.attend %q, %c, %n
      : tensor<?x1x16x64xf32>, !attn.kv_cache<2x1x128x64xf32> -> tensor<?x1x16x64xf32>
  return %o : tensor<?x1x16x64xf32>
}

// Cross-layer attention: layers 2 and 3 share one cache. Layer 2 appends its
// keys and values and attends; layer 3 only attends to what layer 2 wrote.
// CHECK-LABEL: func.func @cla_group(
// CHECK-SAME:      %[[Q2:[^:]+]]: tensor<1x16x32x128xf16>, %[[Q3:[^:]+]]: tensor<1x16x32x128xf16>, %[[K:[^:]+]]: tensor<1x16x8x128xf16>, %[[V:[^:]+]]: tensor<1x16x8x128xf16>, %[[P:[^:]+]]: index, %[[N:[^:]+]]: index
func.func @cla_group(%q2: tensor<1x16x32x128xf16>, %q3: tensor<1x16x32x128xf16>,
                     %k: tensor<1x16x8x128xf16>, %v: tensor<1x16x8x128xf16>,
                     %pos: index, %n: index)
    -> (tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>) {
  // CHECK: %[[C0:.+]] = attn.cache.create {first_layer = 2 : i64, sharing = 2 : i64} : !attn.kv_cache<1x8x4096x128xf16>
  // CHECK: %[[C1:.+]] = attn.cache.append %[[K]], %[[V]] into %[[C0]][%[[P]]] {layer = 2 : i64} : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  // CHECK: %[[O2:.+]] = attn.cache.attend %[[Q2]], %[[C1]], %[[N]] {causal, layer = 2 : i64} : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  // CHECK: %[[O3:.+]] = attn.cache.attend %[[Q3]], %[[C1]], %[[N]] {causal, layer = 3 : i64} : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  // CHECK: return %[[O2]], %[[O3]]
  %c0 = attn.cache.create {first_layer = 2, sharing = 2} : !attn.kv_cache<1x8x4096x128xf16>
  %c1 = attn.cache.append %k, %v into %c0[%pos] {layer = 2}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16> into !attn.kv_cache<1x8x4096x128xf16>
  %o2 = attn.cache.attend %q2, %c1, %n {causal, layer = 2}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  %o3 = attn.cache.attend %q3, %c1, %n {causal, layer = 3}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16> -> tensor<1x16x32x128xf16>
  return %o2, %o3 : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>
}

// A decode loop carries a CLA group's cache: layer 0 appends, layer 1 reads
// the iter_arg (what earlier iterations wrote) and then the new cache.
// CHECK-LABEL: func.func @cla_decode_loop(
// CHECK:         scf.for {{.*}} iter_args(%[[CI:.+]] = %{{.+}}) -> (!attn.kv_cache<1x2x16x64xf16>)
// CHECK:           attn.cache.attend %{{.+}}, %[[CI]], %{{.+}} {layer = 1 : i64}
// CHECK:           %[[CN:.+]] = attn.cache.append {{.*}} into %[[CI]][%{{.+}}] {layer = 0 : i64}
// CHECK:           attn.cache.attend %{{.+}}, %[[CN]], %{{.+}} {layer = 1 : i64}
// CHECK:           scf.yield %[[CN]]
func.func @cla_decode_loop(%q: tensor<1x1x8x64xf16>, %k: tensor<1x1x2x64xf16>,
                           %v: tensor<1x1x2x64xf16>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%ci = %c)
      -> (!attn.kv_cache<1x2x16x64xf16>) {
    %before = attn.cache.attend %q, %ci, %i {layer = 1}
        : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x1x8x64xf16>
    %cn = attn.cache.append %k, %v into %ci[%i] {layer = 0}
        : tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
    %len = arith.addi %i, %c1 : index
    %after = attn.cache.attend %q, %cn, %len {layer = 1}
        : tensor<1x1x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x1x8x64xf16>
    scf.yield %cn : !attn.kv_cache<1x2x16x64xf16>
  }
  return
}

// Quantized caches: i8 or f8E4M3FN elements with per-token scales; keys,
// values and queries stay float.
// CHECK-LABEL: func.func @quantized_caches(
// CHECK:         attn.cache.create : !attn.kv_cache<1x2x16x64xi8, scales = f32>
// CHECK:         attn.cache.append {{.*}} : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16> into !attn.kv_cache<1x2x16x64xi8, scales = f32>
// CHECK:         attn.cache.attend {{.*}} : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x16x64xi8, scales = f32> -> tensor<1x4x8x64xbf16>
// CHECK:         attn.cache.create : !attn.kv_cache<1x2x16x64xf8E4M3FN, scales = bf16>
func.func @quantized_caches(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x4x2x64xbf16>,
                            %v: tensor<1x4x2x64xbf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xbf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xi8, scales = f32>
  %c1 = attn.cache.append %k, %v into %c[%p]
      : tensor<1x4x2x64xbf16>, tensor<1x4x2x64xbf16> into !attn.kv_cache<1x2x16x64xi8, scales = f32>
  %o = attn.cache.attend %q, %c1, %n
      : tensor<1x4x8x64xbf16>, !attn.kv_cache<1x2x16x64xi8, scales = f32> -> tensor<1x4x8x64xbf16>
  %f = attn.cache.create : !attn.kv_cache<1x2x16x64xf8E4M3FN, scales = bf16>
  return %o : tensor<1x4x8x64xbf16>
}
