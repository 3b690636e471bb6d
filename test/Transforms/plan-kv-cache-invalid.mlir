// RUN: attn-opt %s --split-input-file --attn-plan-kv-cache --verify-diagnostics

// One case per diagnostic of attn-plan-kv-cache. The checks that a single
// op can make (a consumer writing, a layer outside its group, a read of a
// cache no layer wrote) belong to the op verifiers and are tested in
// test/Dialect/Attn/invalid.mlir.

func.func private @get_cache() -> !attn.kv_cache<1x2x16x64xf16>

func.func @made_elsewhere(%q: tensor<1x4x8x64xf16>, %n: index) -> tensor<1x4x8x64xf16> {
  // expected-error @+1 {{'func.call' op yields a KV cache; attn-plan-kv-cache plans only caches made by attn.cache.create and attn.cache.append}}
  %c = func.call @get_cache() : () -> !attn.kv_cache<1x2x16x64xf16>
  %o = attn.cache.attend %q, %c, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

func.func @returned(%k: tensor<1x4x2x64xf16>, %v: tensor<1x4x2x64xf16>, %p: index)
    -> !attn.kv_cache<1x2x16x64xf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{'func.return' op uses a KV cache; attn-plan-kv-cache plans only caches that attn.cache.append and attn.cache.attend alone use}}
  return %c1 : !attn.kv_cache<1x2x16x64xf16>
}

// -----

func.func @argument(%c: !attn.kv_cache<1x2x16x64xf16>, %q: tensor<1x4x8x64xf16>,
                    %n: index) -> tensor<1x4x8x64xf16> {
  // expected-error @+1 {{'attn.cache.attend' op uses a KV cache from outside its block; attn-plan-kv-cache plans caches created and used in one block}}
  %o = attn.cache.attend %q, %c, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

func.func @other_block(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                       %v: tensor<1x4x2x64xf16>, %p: index, %n: index, %b: i1)
    -> tensor<1x4x8x64xf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o = scf.if %b -> tensor<1x4x8x64xf16> {
    // expected-error @+1 {{'attn.cache.attend' op uses a KV cache from outside its block; attn-plan-kv-cache plans caches created and used in one block}}
    %r = attn.cache.attend %q, %c1, %n {layer = 0}
        : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
    scf.yield %r : tensor<1x4x8x64xf16>
  } else {
    scf.yield %q : tensor<1x4x8x64xf16>
  }
  return %o : tensor<1x4x8x64xf16>
}

// -----

func.func @no_layer(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                    %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{'attn.cache.attend' op has no layer; attn-plan-kv-cache needs the layer of every cache op}}
  %o = attn.cache.attend %q, %c1, %n
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

// One writer per cache: two appends to the same state would fork the
// cache, and only a copy could keep both.
func.func @two_writers(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                       %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %c = attn.cache.create {sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  // expected-note @+1 {{the other append}}
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{'attn.cache.append' op (layer 0) writes the same state of the cache of layers [0, 2) as another append (layer 0); a cache has one writer per state, and a second would need a copy}}
  %c2 = attn.cache.append %k, %v into %c[%n] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o0 = attn.cache.attend %q, %c1, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  %o1 = attn.cache.attend %o0, %c2, %n {layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o1 : tensor<1x4x8x64xf16>
}

// -----

// Consumers after producers: layer 1 reads the cache of the first step
// after layer 0 has appended the second.
func.func @stale_read(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                      %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %c = attn.cache.create {sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o0 = attn.cache.attend %q, %c1, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  // expected-note @+1 {{the append that overwrites it}}
  %c2 = attn.cache.append %k, %v into %c1[%n] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  // expected-error @+1 {{'attn.cache.attend' op (layer 1) reads the cache of layers [0, 2) as it was before the append by layer 0 overwrote it; a consumer must come after its producer's latest append, or the cache would need a copy}}
  %o1 = attn.cache.attend %o0, %c1, %n {layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  %o2 = attn.cache.attend %o1, %c2, %n {layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o2 : tensor<1x4x8x64xf16>
}

// -----

func.func @unused(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                  %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %c = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o = attn.cache.attend %q, %c1, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [1, 2), which no layer uses; attn-plan-kv-cache gives a buffer only to caches the model uses}}
  %d = attn.cache.create {first_layer = 1} : !attn.kv_cache<1x2x16x64xf16>
  return %o : tensor<1x4x8x64xf16>
}

// -----

func.func @write_only(%k: tensor<1x4x2x64xf16>, %v: tensor<1x4x2x64xf16>, %p: index) {
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [0, 2), which layer 0 writes but no layer reads}}
  %c = attn.cache.create {sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %c1 = attn.cache.append %k, %v into %c[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  return
}

// -----

// Layer 1 would belong to two groups. Each op verifier sees only its own
// group, so both attends of layer 1 are valid on their own.
func.func @overlap(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                   %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  // expected-note @+1 {{the other cache}}
  %a = attn.cache.create {sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [1, 3), which overlaps the cache of layers [0, 2) at layer 1; each layer belongs to one CLA group}}
  %b = attn.cache.create {first_layer = 1, sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %b1 = attn.cache.append %k, %v into %b[%p] {layer = 1}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o1 = attn.cache.attend %o0, %b1, %n {layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  %o2 = attn.cache.attend %o1, %b1, %n {layer = 2}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o2 : tensor<1x4x8x64xf16>
}

// -----

// Layer 1 of the group [0, 2) never attends, and layer 2 does.
// expected-error @+1 {{'func.func' op has layers up to 2, but layer 1 reads no cache; attn-plan-kv-cache plans a stack of layers 0 to L-1 that each attend}}
func.func @missing_layer(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                         %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %a = attn.cache.create {sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  %b = attn.cache.create {first_layer = 2} : !attn.kv_cache<1x2x16x64xf16>
  %b1 = attn.cache.append %k, %v into %b[%p] {layer = 2}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o2 = attn.cache.attend %o0, %b1, %n {layer = 2}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o2 : tensor<1x4x8x64xf16>
}

// -----

// A writer that does not attend leaves a hole at the bottom of the stack.
// expected-error @+1 {{'func.func' op has layers up to 1, but layer 0 reads no cache; attn-plan-kv-cache plans a stack of layers 0 to L-1 that each attend}}
func.func @writer_does_not_read(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                                %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %a = attn.cache.create {sharing = 2} : !attn.kv_cache<1x2x16x64xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o1 = attn.cache.attend %q, %a1, %n {layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  return %o1 : tensor<1x4x8x64xf16>
}

// -----

func.func @batches_differ(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                          %v: tensor<1x4x2x64xf16>, %q2: tensor<2x4x8x64xf16>,
                          %k2: tensor<2x4x2x64xf16>, %v2: tensor<2x4x2x64xf16>,
                          %p: index, %n: index) -> tensor<2x4x8x64xf16> {
  // expected-note @+1 {{the other cache}}
  %a = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [1, 2) with batch (2) unlike the batch (1) of the cache of layers [0, 1); the layers of one model run one batch}}
  %b = attn.cache.create {first_layer = 1} : !attn.kv_cache<2x2x16x64xf16>
  %b1 = attn.cache.append %k2, %v2 into %b[%p] {layer = 1}
      : tensor<2x4x2x64xf16>, tensor<2x4x2x64xf16> into !attn.kv_cache<2x2x16x64xf16>
  %o1 = attn.cache.attend %q2, %b1, %n {layer = 1}
      : tensor<2x4x8x64xf16>, !attn.kv_cache<2x2x16x64xf16> -> tensor<2x4x8x64xf16>
  return %o1 : tensor<2x4x8x64xf16>
}

// -----

// Without seq-len the caches' common capacity is the length.
func.func @capacities_differ(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x2x64xf16>,
                             %v: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  // expected-note @+1 {{the other cache}}
  %a = attn.cache.create : !attn.kv_cache<1x2x16x64xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x16x64xf16>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x16x64xf16> -> tensor<1x4x8x64xf16>
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [1, 2) with capacity (32) unlike the capacity (16) of the cache of layers [0, 1); give seq-len to plan for one length}}
  %b = attn.cache.create {first_layer = 1} : !attn.kv_cache<1x2x32x64xf16>
  %b1 = attn.cache.append %k, %v into %b[%p] {layer = 1}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x32x64xf16>
  %o1 = attn.cache.attend %o0, %b1, %n {layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x32x64xf16> -> tensor<1x4x8x64xf16>
  return %o1 : tensor<1x4x8x64xf16>
}

// -----

// The byte figures near INT64_MAX. Each cache type here fits int64 (the
// type verifier checks batch x kv_heads x capacity x head_dim x bytes),
// but the keys and values of one token together do not:
// 2 x 1 x (2^61 - 1) x 4 = 2^64 - 8 bytes.
func.func @token_bytes_overflow(%q: tensor<1x1x1x2305843009213693951xf32>,
                                %k: tensor<1x1x1x2305843009213693951xf32>,
                                %v: tensor<1x1x1x2305843009213693951xf32>,
                                %p: index, %n: index)
    -> tensor<1x1x1x2305843009213693951xf32> {
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [0, 1) whose KV bytes per token (2 x 1 KV head x head_dim 2305843009213693951 x 4 bytes) overflow int64}}
  %a = attn.cache.create : !attn.kv_cache<1x1x1x2305843009213693951xf32>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x1x2305843009213693951xf32>, tensor<1x1x1x2305843009213693951xf32>
        into !attn.kv_cache<1x1x1x2305843009213693951xf32>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x1x2305843009213693951xf32>, !attn.kv_cache<1x1x1x2305843009213693951xf32>
        -> tensor<1x1x1x2305843009213693951xf32>
  return %o0 : tensor<1x1x1x2305843009213693951xf32>
}

// -----

// The same in the KV heads: 2 x 2^61 x 1 x 2 = 2^63 bytes, one more than
// INT64_MAX.
func.func @token_bytes_overflow_heads(%q: tensor<1x1x2305843009213693952x1xf16>,
                                      %k: tensor<1x1x2305843009213693952x1xf16>,
                                      %v: tensor<1x1x2305843009213693952x1xf16>,
                                      %p: index, %n: index)
    -> tensor<1x1x2305843009213693952x1xf16> {
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [0, 1) whose KV bytes per token (2 x 2305843009213693952 KV heads x head_dim 1 x 2 bytes) overflow int64}}
  %a = attn.cache.create : !attn.kv_cache<1x2305843009213693952x1x1xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x2305843009213693952x1xf16>, tensor<1x1x2305843009213693952x1xf16>
        into !attn.kv_cache<1x2305843009213693952x1x1xf16>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x2305843009213693952x1xf16>, !attn.kv_cache<1x2305843009213693952x1x1xf16>
        -> tensor<1x1x2305843009213693952x1xf16>
  return %o0 : tensor<1x1x2305843009213693952x1xf16>
}

// -----

// Two caches of 2 x 1 x 2^60 x 2 = 2^62 KV bytes per token each: each
// fits, their sum 2^63 does not.
// expected-error @+1 {{'func.func' op has KV bytes per token that overflow int64 at the cache of layers [1, 2) (4611686018427387904 + 4611686018427387904)}}
func.func @model_bytes_overflow(%q: tensor<1x1x1x1152921504606846976xf16>,
                                %k: tensor<1x1x1x1152921504606846976xf16>,
                                %v: tensor<1x1x1x1152921504606846976xf16>,
                                %p: index, %n: index)
    -> tensor<1x1x1x1152921504606846976xf16> {
  %a = attn.cache.create : !attn.kv_cache<1x1x1x1152921504606846976xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x1x1152921504606846976xf16>, tensor<1x1x1x1152921504606846976xf16>
        into !attn.kv_cache<1x1x1x1152921504606846976xf16>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x1x1152921504606846976xf16>, !attn.kv_cache<1x1x1x1152921504606846976xf16>
        -> tensor<1x1x1x1152921504606846976xf16>
  %b = attn.cache.create {first_layer = 1} : !attn.kv_cache<1x1x1x1152921504606846976xf16>
  %b1 = attn.cache.append %k, %v into %b[%p] {layer = 1}
      : tensor<1x1x1x1152921504606846976xf16>, tensor<1x1x1x1152921504606846976xf16>
        into !attn.kv_cache<1x1x1x1152921504606846976xf16>
  %o1 = attn.cache.attend %o0, %b1, %n {layer = 1}
      : tensor<1x1x1x1152921504606846976xf16>, !attn.kv_cache<1x1x1x1152921504606846976xf16>
        -> tensor<1x1x1x1152921504606846976xf16>
  return %o1 : tensor<1x1x1x1152921504606846976xf16>
}

// -----

// 2 x 1 x 2^58 x 2 = 2^60 KV bytes per token over the capacity of 8
// tokens: 2^63 bytes per sequence, though the cache type (8 x 2^58 x 2 =
// 2^62 bytes for the keys alone) fits.
// expected-error @+1 {{'func.func' op needs more bytes per sequence than int64 holds (1152921504606846976 KV bytes per token x 8 tokens)}}
func.func @sequence_bytes_overflow(%q: tensor<1x1x1x288230376151711744xf16>,
                                   %k: tensor<1x1x1x288230376151711744xf16>,
                                   %v: tensor<1x1x1x288230376151711744xf16>,
                                   %p: index, %n: index)
    -> tensor<1x1x1x288230376151711744xf16> {
  %a = attn.cache.create : !attn.kv_cache<1x1x8x288230376151711744xf16>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x1x288230376151711744xf16>, tensor<1x1x1x288230376151711744xf16>
        into !attn.kv_cache<1x1x8x288230376151711744xf16>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x1x288230376151711744xf16>, !attn.kv_cache<1x1x8x288230376151711744xf16>
        -> tensor<1x1x1x288230376151711744xf16>
  return %o0 : tensor<1x1x1x288230376151711744xf16>
}

// -----

// A quantized cache's scales: the type fits (2^60 KV heads x 4 bytes of
// f32 scale = 2^62), but the keys' and values' scales of one token do not:
// 2 x 2^60 x 4 = 2^63 bytes.
func.func @scale_bytes_overflow(%q: tensor<1x1x1152921504606846976x1xbf16>,
                                %k: tensor<1x1x1152921504606846976x1xbf16>,
                                %v: tensor<1x1x1152921504606846976x1xbf16>,
                                %p: index, %n: index)
    -> tensor<1x1x1152921504606846976x1xbf16> {
  // expected-error @+1 {{'attn.cache.create' op makes the cache of layers [0, 1) whose scale bytes per token (2 x 1152921504606846976 KV heads x 4 bytes) overflow int64}}
  %a = attn.cache.create : !attn.kv_cache<1x1152921504606846976x1x1xi8, scales = f32>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x1152921504606846976x1xbf16>, tensor<1x1x1152921504606846976x1xbf16>
        into !attn.kv_cache<1x1152921504606846976x1x1xi8, scales = f32>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x1152921504606846976x1xbf16>, !attn.kv_cache<1x1152921504606846976x1x1xi8, scales = f32>
        -> tensor<1x1x1152921504606846976x1xbf16>
  return %o0 : tensor<1x1x1152921504606846976x1xbf16>
}

// -----

// Element and scale bytes each fit, their sum does not: 2 x 2^59 x 7 x 1 =
// 7 x 2^60 KV bytes and 2 x 2^59 x 4 = 2^62 scale bytes per token.
// expected-error @+1 {{'func.func' op has KV and scale bytes per token that overflow int64 at the cache of layers [0, 1) (8070450532247928832 + 0 + 4611686018427387904)}}
func.func @kv_and_scale_bytes_overflow(%q: tensor<1x1x576460752303423488x7xbf16>,
                                       %k: tensor<1x1x576460752303423488x7xbf16>,
                                       %v: tensor<1x1x576460752303423488x7xbf16>,
                                       %p: index, %n: index)
    -> tensor<1x1x576460752303423488x7xbf16> {
  %a = attn.cache.create : !attn.kv_cache<1x576460752303423488x1x7xi8, scales = f32>
  %a1 = attn.cache.append %k, %v into %a[%p] {layer = 0}
      : tensor<1x1x576460752303423488x7xbf16>, tensor<1x1x576460752303423488x7xbf16>
        into !attn.kv_cache<1x576460752303423488x1x7xi8, scales = f32>
  %o0 = attn.cache.attend %q, %a1, %n {layer = 0}
      : tensor<1x1x576460752303423488x7xbf16>, !attn.kv_cache<1x576460752303423488x1x7xi8, scales = f32>
        -> tensor<1x1x576460752303423488x7xbf16>
  return %o0 : tensor<1x1x576460752303423488x7xbf16>
}
