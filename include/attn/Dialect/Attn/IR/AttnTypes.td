//===- AttnTypes.td - attn dialect types -------------------*- tablegen -*-===//
//
// The KV cache type. It is a value type: appending yields a new cache, which
// keeps the IR in SSA form on tensors; bufferization later makes the update
// in place.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TYPES_TD
#define ATTN_TYPES_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

def Attn_KVCacheType : TypeDef<Attn_Dialect, "KVCache"> {
  let mnemonic = "kv_cache";
  let summary = "keys and values of past tokens, with a static capacity";
  let description = [{
    A KV cache holds the keys and the values of up to `capacity` tokens for
    `batch` sequences and `kv_heads` KV heads, each a vector of `head_dim`
    elements of `element_type` (f16, bf16, f32 or f64, the element types of
    `attn.attention`). The parameters are written in that order, like
    a shape:

    ```mlir
    // batch 1, 8 KV heads, 4096 positions, head_dim 128, f16
    !attn.kv_cache<1x8x4096x128xf16>
    ```

    Positions `[0, capacity)` exist; which of them hold tokens is told by the
    ops that use the cache (`attn.cache.append` writes `[p, p + T)` and
    `attn.cache.attend` reads `[0, N)`).
  }];
  let parameters = (ins "int64_t":$batch, "int64_t":$kvHeads,
                        "int64_t":$capacity, "int64_t":$headDim,
                        "::mlir::Type":$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // ATTN_TYPES_TD
