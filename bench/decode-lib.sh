#===- bench/decode-lib.sh - shared by the decode scripts -----------------===#
#
# Sourced by bench/profile-decode.sh and bench/decode-sweep.sh.
#
# decode_shapes maps the six decode shapes of bench/cases.txt (bf16
# queries, 32 query heads, head_dim 128) to "batch kv_heads length";
# decode_shape_names lists them in order ($SHAPES narrows them).
#
# write_attend FILE NAME STORAGE: writes to FILE an entry @attend that
# attends one query token of shape NAME to a KV cache it takes, of
# STORAGE bf16 or int8/fp8 codes (i8, f8E4M3FN) with f32 scales, over a
# length it takes as its last argument; sets b, hkv and l to the shape
# and len to the index of that argument (for --input len=...).
#
#===----------------------------------------------------------------------===#

declare -A decode_shapes=(
  [gqa-b64-4k]="64 8 4096" [gqa-b8-32k]="8 8 32768" [gqa-b1-128k]="1 8 131072"
  [mqa-b64-4k]="64 1 4096" [mqa-b8-32k]="8 1 32768" [mqa-b1-128k]="1 1 131072")
decode_shape_names=${SHAPES:-gqa-b64-4k gqa-b8-32k gqa-b1-128k mqa-b64-4k mqa-b8-32k mqa-b1-128k}

write_attend() {
  local file=$1 name=$2 storage=$3 cache
  read -r b hkv l <<< "${decode_shapes[$name]}"
  # A quantized cache is codes and scales, so the length comes after both.
  cache="!attn.kv_cache<${b}x${hkv}x${l}x128x${storage}>" len=3
  if [ "$storage" != bf16 ]; then
    cache="!attn.kv_cache<${b}x${hkv}x${l}x128x${storage}, scales = f32>"
    len=5
  fi
  cat > "$file" <<MLIR
func.func @attend(%q: tensor<${b}x1x32x128xbf16>, %c: ${cache}, %len: index)
    -> tensor<${b}x1x32x128xbf16> {
  %o = attn.cache.attend %q, %c, %len
      : tensor<${b}x1x32x128xbf16>, ${cache} -> tensor<${b}x1x32x128xbf16>
  return %o : tensor<${b}x1x32x128xbf16>
}
MLIR
}
