#!/usr/bin/env bash
#===- bench/run.sh - attn-mlir against PyTorch SDPA and FlexAttention ---===#
#
# On a GPU machine with PyTorch, after utils/build-gpu-bundle.sh here (or
# with ATTN_RUNNER pointing at an attn-runner): times every case of
# bench/cases.txt with attn-runner --benchmark and with the peers
# (bench/peers.py) in the same run, and prints a table of medians and of
# each peer's time over ours (above 1: we are faster).
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runner=$("$root/bench/unpack-runner.sh")
runs=${BENCH_RUNS:-20}
work=$(mktemp -d)

ours() {
  local name=$1 b=$2 hq=$3 hkv=$4 sq=$5 sk=$6 d=$7 causal=$8 attr=""
  [ "$causal" = causal ] && attr="causal, "
  cat > "$work/$name.mlir" <<MLIR
func.func @attention(%q: tensor<${b}x${hq}x${sq}x${d}xbf16>,
                     %k: tensor<${b}x${hkv}x${sk}x${d}xbf16>,
                     %v: tensor<${b}x${hkv}x${sk}x${d}xbf16>)
    -> tensor<${b}x${hq}x${sq}x${d}xbf16> {
  %o = attn.attention %q, %k, %v {${attr}layout = #attn.layout<bhsd>}
      : tensor<${b}x${hq}x${sq}x${d}xbf16>, tensor<${b}x${hkv}x${sk}x${d}xbf16>,
        tensor<${b}x${hkv}x${sk}x${d}xbf16> -> tensor<${b}x${hq}x${sq}x${d}xbf16>
  return %o : tensor<${b}x${hq}x${sq}x${d}xbf16>
}
MLIR
  "$runner" "$work/$name.mlir" --target=cuda --check --benchmark="$runs" \
    > "$work/$name.out"
  awk -v n="$name" '/^benchmark: kernel time/ {
      for (i = 1; i <= NF; i++) if ($i == "median") print n, "attn-mlir", $(i+1) }' \
    "$work/$name.out"
  grep -E "^benchmark: [0-9.e+-]+ GFLOP|^benchmark: floor|^check:" "$work/$name.out" |
    sed "s/^/# $name: /"
}

{
  grep -v '^#' "$root/bench/cases.txt" | while read -r line; do
    [ -n "$line" ] && ours $line
  done
  python3 "$root/bench/ceilings.py" | sed 's/^/# /'
  python3 "$root/bench/peers.py" "$root/bench/cases.txt" "$runs"
} | tee "$work/times.txt"

echo
python3 "$root/bench/table.py" "$work/times.txt"
