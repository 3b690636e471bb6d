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

    A quantized cache stores `i8` or `f8E4M3FN` elements with a scale per
    token and KV head for the keys and another for the values (KVQuant's
    per-token scales), of `f16`, `bf16` or `f32`:

    ```mlir
    // int8 keys and values, one f32 scale per token and KV head each
    !attn.kv_cache<1x8x4096x128xi8, scales = f32>
    ```

    An append quantizes the keys and values it is given (of a float type):
    per token and KV head, `scale = max_d |x| / QMAX` (127 for i8, 448 for
    f8E4M3FN) rounded to the scale type, or 1 where that is 0 (a row of
    zeros, or one too small for the scale type), and `code = x / scale`,
    clamped and rounded to nearest even. An attend dequantizes inside attention
    (`attn.attention ... scales(...)`), where each K/V element is read.
    `attn-lower-kv-cache` lowers quantized caches, and they run on the CPU
    (`attn-to-llvm-pipeline`, `attn-runner --target=cpu`) and on the GPU
    (`attn-to-nvvm-pipeline`: the appends quantize in element kernels, the
    decode and scalar schedules dequantize as they read).
  }];
  let parameters = (ins "int64_t":$batch, "int64_t":$kvHeads,
                        "int64_t":$capacity, "int64_t":$headDim,
                        "::mlir::Type":$elementType,
                        "::mlir::Type":$scaleType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether the cache stores quantized elements with scales.
    bool isQuantized() const { return bool(getScaleType()); }
  }];
}

#endif // ATTN_TYPES_TD
