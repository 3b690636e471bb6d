#===- bench/prefill-lib.sh - shared by the schedule scripts --------------===#
#
# Sourced by bench/schedules.sh, bench/profile-sm90.sh and
# bench/causal-balance.sh.
#
# prefill_module FILE BATCH SEQ DIM CAUSAL: writes to FILE a function @a of
# one attention over bf16 Q [BATCH, SEQ, 32, DIM] and K, V [BATCH, SEQ, 8,
# DIM], with CAUSAL ("" or "{causal}") as its attributes.
#
# form_flags FORM: sets the array `flags` to attn-runner's flags for FORM,
# a schedule name with "+cpasync" for --tma=false (sm90's copies by
# cp.async rather than TMA), "+pshared" for --p-in-shared, "+tailsplit"
# for --tail-split, "+plan" for --plan-items=always or "+noplan" for
# --plan-items=never (e.g. "sm90+cpasync+pshared").
#
#===----------------------------------------------------------------------===#

prefill_module() {
  local q="$2x$3x32x$4xbf16" kv="$2x$3x8x$4xbf16"
  cat > "$1" <<MLIR
func.func @a(%q: tensor<$q>, %k: tensor<$kv>, %v: tensor<$kv>) -> tensor<$q> {
  %o = attn.attention %q, %k, %v $5
      : tensor<$q>, tensor<$kv>, tensor<$kv> -> tensor<$q>
  return %o : tensor<$q>
}
MLIR
}

form_flags() {
  flags=(--schedule="${1%%+*}")
  [[ $1 == *+cpasync* ]] && flags+=(--tma=false)
  [[ $1 == *+pshared* ]] && flags+=(--p-in-shared)
  [[ $1 == *+tailsplit* ]] && flags+=(--tail-split)
  [[ $1 == *+plan* ]] && flags+=(--plan-items=always)
  [[ $1 == *+noplan* ]] && flags+=(--plan-items=never)
  return 0
}
