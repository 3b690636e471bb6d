//===- AttnDialect.td - attn dialect definition ------------*- tablegen -*-===//
//
// The `attn` dialect: transformer attention as first-class IR, so that the
// head grouping (MHA/GQA/MQA), the KV cache and cross-layer sharing are
// visible to the compiler instead of being buried in copies and matmuls.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Grouped-query attention, KV caches and cross-layer sharing";
  let description = [{
    The `attn` dialect models scaled dot-product attention the way inference
    engines think about it:

    * `attn.attention` is grouped-query attention. Multi-head attention (MHA)
      and multi-query attention (MQA) are its edge cases (as many KV heads as
      query heads, and one KV head).
    * `attn.repeat_kv` is the llama2 helper that copies each KV head `n_rep`
      times. It exists so that frontends can say what they wrote; the
      `attn-fuse-repeat-kv` pass removes it so the copy never happens.
    * `!attn.kv_cache` and the `attn.cache.*` ops model a KV cache as an SSA
      value with a static capacity, and cross-layer attention (CLA), where a
      group of adjacent layers reads the cache that the first layer of the
      group writes.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Registers the types; defined beside them in AttnTypes.cpp.
    void registerTypes();
  }];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums and attributes
//===----------------------------------------------------------------------===//

def Attn_LayoutBSHD : I32EnumAttrCase<"BSHD", 0, "bshd">;
def Attn_LayoutBHSD : I32EnumAttrCase<"BHSD", 1, "bhsd">;

def Attn_Layout : I32EnumAttr<"Layout",
    "memory order of query, key, value and result tensors",
    [Attn_LayoutBSHD, Attn_LayoutBHSD]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_LayoutAttr : EnumAttr<Attn_Dialect, Attn_Layout, "layout"> {
  let summary = "[batch, seq, heads, head_dim] (bshd) or [batch, heads, seq, head_dim] (bhsd)";
  let assemblyFormat = "`<` $value `>`";
}

#endif // ATTN_DIALECT_TD
