#!/usr/bin/env bash
#===- bench/tile-sweep.sh - tile and block sizes of the GPU kernel -------===#
#
# On a GPU machine: times prefill-1k (bf16, 32/8 heads, head_dim 128, bhsd),
# causal and not, over a set of --q-tile/--kv-tile/--gpu-threads settings
# with attn-runner --benchmark. ATTN_RUNNER as in bench/run.sh.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runner=$("$root/bench/unpack-runner.sh")
work=$(mktemp -d)
for causal in "" "causal, "; do
  cat > "$work/p.mlir" <<MLIR
func.func @a(%q: tensor<1x32x1024x128xbf16>, %k: tensor<1x8x1024x128xbf16>,
             %v: tensor<1x8x1024x128xbf16>) -> tensor<1x32x1024x128xbf16> {
  %o = attn.attention %q, %k, %v {${causal}layout = #attn.layout<bhsd>}
      : tensor<1x32x1024x128xbf16>, tensor<1x8x1024x128xbf16>,
        tensor<1x8x1024x128xbf16> -> tensor<1x32x1024x128xbf16>
  return %o : tensor<1x32x1024x128xbf16>
}
MLIR
  for cfg in "64 32 128" "32 32 128" "16 32 64" "8 32 32" "32 16 128" \
             "32 64 128" "16 16 64" "16 64 64" "64 32 256" "32 32 64"; do
    set -- $cfg
    ms=$("$runner" "$work/p.mlir" --target=cuda --benchmark=5 --warmup=1 \
           --q-tile="$1" --kv-tile="$2" --gpu-threads="$3" |
         sed -n 's/^benchmark: kernel time.*median \([0-9.]*\) ms.*/\1/p')
    echo "causal=${causal:+yes}${causal:-no} q-tile=$1 kv-tile=$2 threads=$3 median_ms=$ms"
  done
done
