//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
//
// Operations of the attn dialect: repeat_kv, grouped attention and the KV
// cache. Shapes are checked by the verifiers in AttnOps.cpp wherever they are
// static; dynamic extents are left to the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "attn/Dialect/Attn/IR/AttnTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

// Element types (f16, bf16, f32, f64) are checked by the verifiers rather
// than by this constraint, so that the message names the operand ("query
// element type ('tf32') must be ...") instead of an operand number.
def Attn_Tensor : RankedTensorOf<[AnyType]> {
  let summary = "ranked tensor of f16, bf16, f32 or f64 values";
}

//===----------------------------------------------------------------------===//
// repeat_kv
//===----------------------------------------------------------------------===//

def Attn_RepeatKVOp : Attn_Op<"repeat_kv", [Pure]> {
  let summary = "copy each KV head n_rep times (the llama2 helper)";
  let description = [{
    Exactly llama2's `repeat_kv`: the input is `[batch, seq, kv_heads,
    head_dim]`, the result is `[batch, seq, kv_heads * n_rep, head_dim]`, and
    each KV head appears `n_rep` times in a row:

    `result[b, s, h, d] = input[b, s, h floordiv n_rep, d]`

    which is `x[:, :, :, None, :].expand(b, s, kv_heads, n_rep, d)
    .reshape(b, s, kv_heads * n_rep, d)` in the PyTorch code.

    ```mlir
    %r = attn.repeat_kv %k, n_rep = 4
        : tensor<1x128x8x128xf16> -> tensor<1x128x32x128xf16>
    ```

    With `n_rep = 1` it folds to its input, and `repeat_kv(repeat_kv(x, a), b)`
    folds to `repeat_kv(x, a * b)`. Attention that consumes it is rewritten by
    `attn-fuse-repeat-kv` to read the un-repeated heads directly.
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$n_rep);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` `n_rep` `=` $n_rep attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

def Attn_AttentionOp : Attn_Op<"attention",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with grouped KV heads";
  let description = [{
    `softmax(scale * Q Kᵀ + mask) V` for every batch and query head, where the
    query has `Hq` heads and key and value have `Hkv` heads, `Hkv` dividing
    `Hq`. Query head `h` reads KV head `h floordiv (Hq / Hkv)`, the grouping of
    `attn.repeat_kv`. `Hkv = Hq` is MHA, `Hkv = 1` is MQA.

    Shapes, in the default `bshd` layout (llama2's); `layout =
    #attn.layout<bhsd>` swaps the two middle dimensions of all four tensors
    (SDPA's):

    | operand | shape |
    |---|---|
    | query  | `[B, Sq, Hq, D]` |
    | key    | `[B, Sk, Hkv, D]` |
    | value  | `[B, Sk, Hkv, Dv]` |
    | mask   | `[B or 1, Hq or 1, Sq, Sk]` in every layout, added to the scores |
    | result | `[B, Sq, Hq, Dv]` |

    The value head_dim `Dv` may differ from `D`: only query and key meet in a
    dot product. Query, key, value and result have the same element type,
    one of f16, bf16, f32 and f64 (the types every lowering can widen and
    round); the mask may have any of these four.

    Attributes:
    * `scale`: the factor on `Q Kᵀ`; `1 / sqrt(D)` when absent.
    * `causal`: query `i` sees keys `j <= i + (Sk - Sq)` (bottom-right
      alignment, the decode and chunked-prefill convention).
    * `window = W`: a sliding window; query `i` sees keys `j` with
      `i + (Sk - Sq) - j < W`. It implies nothing about `causal`: a window
      without `causal` also bounds keys from one side only.
    * a fully masked row gives zeros, not NaN.

    Per-sequence key lengths, for a batch of sequences of different lengths
    in one call: `lengths(kv_lengths)`, a `[B]` tensor of `i64`, gives each
    sequence `b` its own key length `L_b = kv_lengths[b]`: its queries see
    keys `j < L_b` only, and `causal` and `window` align to `L_b` instead of
    `Sk` (query `i` sees keys `j <= i + (L_b - Sq)`). Keys at or past `L_b`
    may hold anything. A length outside `[0, Sk]` is clamped into it
    (`attn.cache.attend` reports it as an error before it gets here).

    ```mlir
    %o = attn.attention %q, %k, %v lengths(%lens : tensor<4xi64>) {causal}
        : tensor<4x1x32x128xbf16>, tensor<4x4096x8x128xbf16>,
          tensor<4x4096x8x128xbf16> -> tensor<4x1x32x128xbf16>
    ```

    ```mlir
    %o = attn.attention %q, %k, %v {causal}
        : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>,
          tensor<1x128x8x128xf16> -> tensor<1x128x32x128xf16>
    ```

    Quantized keys and values (what a quantized KV cache lowers to) come
    with `scales(key_scale, value_scale)`: key and value are then `i8` or
    `f8E4M3FN` (both the same), the scales are `f16`, `bf16` or `f32`, and
    each scale tensor has the shape of its key or value without the
    head_dim, `[B, Sk, Hkv]` in `bshd` (`[B, Hkv, Sk]` in `bhsd`): one
    scale per token and KV head. Attention reads

    `key[b, s, h, d] = float(key_q[b, s, h, d]) * key_scale[b, s, h]`

    (`sitofp` for `i8`, `extf` for `f8E4M3FN`, in the accumulator type) and
    likewise for the value, element by element where it reads them, so no
    dequantized copy of K or V exists. Query and result keep a float type
    (f16, bf16, f32 or f64), which is the type scores are not computed in:
    the accumulator is f32 (f64 for f64 queries) as always.

    ```mlir
    %o = attn.attention %q, %k, %v scales(%ks, %vs
        : tensor<1x128x8xf32>, tensor<1x128x8xf32>)
        : tensor<1x16x32x128xbf16>, tensor<1x128x8x128xi8>,
          tensor<1x128x8x128xi8> -> tensor<1x16x32x128xbf16>
    ```
  }];
  let arguments = (ins Attn_Tensor:$query, Attn_Tensor:$key,
                       Attn_Tensor:$value,
                       Optional<Attn_Tensor>:$mask,
                       Optional<Attn_Tensor>:$key_scale,
                       Optional<Attn_Tensor>:$value_scale,
                       Optional<Attn_Tensor>:$kv_lengths,
                       OptionalAttr<F32Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<I64Attr>:$window,
                       DefaultValuedAttr<Attn_LayoutAttr,
                           "::mlir::attn::Layout::BSHD">:$layout);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`scales` `(` $key_scale^ `,` $value_scale `:` type($key_scale) `,`
        type($value_scale) `)`)?
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type($result)
  }];
  // The builders of unscaled attention with one key length, which most
  // callers build, without the two scale operands and kv_lengths.
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$query,
                   "::mlir::Value":$key, "::mlir::Value":$value,
                   "::mlir::Value":$mask, "::mlir::FloatAttr":$scale,
                   "::mlir::UnitAttr":$causal, "::mlir::IntegerAttr":$window,
                   "::mlir::attn::LayoutAttr":$layout), [{
      build($_builder, $_state, result, query, key, value, mask,
            /*key_scale=*/::mlir::Value(), /*value_scale=*/::mlir::Value(),
            /*kv_lengths=*/::mlir::Value(), scale, causal, window, layout);
    }]>,
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$query,
                   "::mlir::Value":$key, "::mlir::Value":$value,
                   "::mlir::Value":$mask, "::mlir::FloatAttr":$scale,
                   "bool":$causal, "::mlir::IntegerAttr":$window,
                   CArg<"::mlir::attn::Layout",
                        "::mlir::attn::Layout::BSHD">:$layout), [{
      build($_builder, $_state, result, query, key, value, mask,
            /*key_scale=*/::mlir::Value(), /*value_scale=*/::mlir::Value(),
            /*kv_lengths=*/::mlir::Value(), scale, causal, window, layout);
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether key and value are quantized, with per-token scales.
    bool hasScales() { return bool(getKeyScale()); }
    /// Dimension positions of seq and heads in the op's layout.
    unsigned getSeqDim() { return getLayout() == Layout::BSHD ? 1 : 2; }
    unsigned getHeadDim() { return getLayout() == Layout::BSHD ? 2 : 1; }
  }];
}

//===----------------------------------------------------------------------===//
// KV cache
//===----------------------------------------------------------------------===//

def Attn_CacheCreateOp : Attn_Op<"cache.create", [Pure]> {
  let summary = "a new, empty KV cache (optionally shared by a CLA group)";
  let description = [{
    Creates a cache with every position zero. In cross-layer attention (CLA),
    `sharing` adjacent layers starting at `first_layer` share this cache: the
    first layer of the group appends to it, and the others only read it.

    ```mlir
    // Layers 4 and 5 share one cache; layer 4 writes it.
    %c = attn.cache.create {first_layer = 4, sharing = 2}
        : !attn.kv_cache<1x8x4096x128xf16>
    ```

    The verifiers of `attn.cache.append` and `attn.cache.attend` check their
    `layer` attributes against these two numbers.
  }];
  let arguments = (ins DefaultValuedAttr<I64Attr, "1">:$sharing,
                       DefaultValuedAttr<I64Attr, "0">:$first_layer);
  let results = (outs Attn_KVCacheType:$result);
  let assemblyFormat = "attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// first_layer + sharing, the end of the group's layer range, or nullopt
    /// when it overflows int64 (which the verifier rejects).
    std::optional<int64_t> getGroupEnd();
  }];
}

def Attn_CacheAppendOp : Attn_Op<"cache.append",
    [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "write the keys and values of T new tokens at a position";
  let description = [{
    Writes `keys` and `values`, each `[B, T, Hkv, D]` (the layout llama2
    gives `xk` and `xv`), at positions `[position, position + T)` of the cache
    and yields the updated cache. Valid only if `0 <= position` and
    `position + T <= capacity`: the verifier rejects a constant position that
    breaks this, and the runtime rejects a dynamic one.

    `layer` names the layer that writes, for the cross-layer checks: only the
    first layer of a CLA group may write its cache.

    ```mlir
    %c1 = attn.cache.append %k, %v into %c0[%pos] {layer = 0}
        : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>
          into !attn.kv_cache<1x8x4096x128xf16>
    ```
  }];
  let arguments = (ins Attn_Tensor:$keys, Attn_Tensor:$values,
                       Attn_KVCacheType:$cache, Index:$position,
                       OptionalAttr<I64Attr>:$layer);
  let results = (outs Attn_KVCacheType:$result);
  let assemblyFormat = [{
    $keys `,` $values `into` $cache `[` $position `]` attr-dict
    `:` type($keys) `,` type($values) `into` qualified(type($cache))
  }];
  let hasVerifier = 1;
}

def Attn_CacheAttendOp : Attn_Op<"cache.attend", [Pure]> {
  let summary = "attention of a query over the first N positions of a cache";
  let description = [{
    `attn.attention` of `query` (`[B, Sq, Hq, D]`) over keys and values
    `[0, length)` of the cache, with the same head grouping, `scale`, `causal`
    and `window` semantics (`Sk = length`). The result is `[B, Sq, Hq, D]`.
    `length` must lie in `[0, capacity]`.

    `lengths(%lens : tensor<Bxi64>)` gives each sequence `b` its own length
    `lens[b]`, in `[0, length]`: a batch of sequences at different positions
    attended in one op, with `causal` and `window` aligned to each
    sequence's length (see `attn.attention`'s `kv_lengths`). `length` then
    bounds them all. A length outside its range is a run-time error, as for
    `length`, and no key is read.

    `layer` names the reading layer for the cross-layer checks: it must belong
    to the cache's CLA group, and some layer no later than it must have
    written the cache.

    ```mlir
    %o = attn.cache.attend %q, %c1, %len {causal, layer = 1}
        : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16>
          -> tensor<1x16x32x128xf16>
    ```
  }];
  let arguments = (ins Attn_Tensor:$query, Attn_KVCacheType:$cache,
                       Index:$length,
                       Optional<Attn_Tensor>:$lengths,
                       OptionalAttr<F32Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<I64Attr>:$layer);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = [{
    $query `,` $cache `,` $length
    (`lengths` `(` $lengths^ `:` type($lengths) `)`)? attr-dict
    `:` type($query) `,` qualified(type($cache)) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_OPS_TD
