#!/usr/bin/env bash
#===- bench/cache.sh - KV caches on the GPU: append cost and decode ------===#
#
# On a GPU machine (after utils/build-gpu-bundle.sh here, or with
# ATTN_RUNNER set): times, with attn-runner --benchmark (CUDA events from a
# call's first kernel to its last, median of BENCH_RUNS, default 20):
#   1. an append of one token into caches of capacity 4k and 128k (B 8, 8
#      KV heads, head_dim 128, bf16): its cost must not grow with the
#      capacity, since only the new token is written;
#   2. a decode step through a cache the entry takes and returns (append one
#      token at position L - 1, attend over all L) for the six decode shapes
#      of bench/cases.txt, reported as GB/s of K and V read;
#   3. a decode over 8 sequences of different lengths in one launch
#      (per-sequence key lengths), against the same batch at one length,
#      reported as GB/s of the K and V the lengths cover;
#   4. attention over a cache the entry takes (no append) on the six decode
#      shapes, with bf16, int8 (f32 scales) and fp8 e4m3 (f32 scales)
#      caches, next to PyTorch SDPA's flash and cuDNN backends and
#      FlexAttention on bf16 K and V of the same shapes, timed in the same
#      run (bench/peers.py): tokens per second (batch / step time) and the
#      ratio to the best bf16 peer.
# Prints one line per case. Arguments name the parts to run (append,
# decode, ragged, quantized); none runs them all.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runner=$("$root/bench/unpack-runner.sh")
runs=${BENCH_RUNS:-20}
# The kernels link libdevice from the machine's CUDA toolkit, or else from
# the bundle's copy.
CUDA_HOME=$("$root/bench/cuda-home.sh")
export CUDA_HOME
work=$(mktemp -d)
median() { sed -n 's/^benchmark: .*median \([0-9.]*\) ms.*/\1/p' | head -1; }
# $BENCH_HOLD_US: hold each timed call's launches, by default 300 us
# (bench/ours.py hold_us).
# $BENCH_RUNNER_ARGS adds runner flags (for example --kv-pair-warps).
read -r -a flags <<< "${BENCH_RUNNER_ARGS:-}"
flags+=(--benchmark-hold="${BENCH_HOLD_US:-300}")

append() { # batch heads capacity
  local b=$1 h=$2 c=$3 f="$work/append-$3.mlir"
  cat > "$f" <<MLIR
func.func @append(%k: tensor<${b}x1x${h}x128xbf16>, %v: tensor<${b}x1x${h}x128xbf16>,
                  %c: !attn.kv_cache<${b}x${h}x${c}x128xbf16>, %pos: index)
    -> !attn.kv_cache<${b}x${h}x${c}x128xbf16> {
  %n = attn.cache.append %k, %v into %c[%pos]
      : tensor<${b}x1x${h}x128xbf16>, tensor<${b}x1x${h}x128xbf16>
        into !attn.kv_cache<${b}x${h}x${c}x128xbf16>
  return %n : !attn.kv_cache<${b}x${h}x${c}x128xbf16>
}
MLIR
  local ms
  ms=$("$runner" "$f" --target=cuda --input 4=$((c - 1)) --benchmark="$runs" "${flags[@]}" | median)
  echo "append 1 token, B$b Hkv$h capacity $c: $ms ms"
}

decode() { # name batch hq hkv length
  local name=$1 b=$2 hq=$3 hkv=$4 l=$5 f="$work/$1.mlir"
  cat > "$f" <<MLIR
func.func @step(%q: tensor<${b}x1x${hq}x128xbf16>, %k: tensor<${b}x1x${hkv}x128xbf16>,
                %v: tensor<${b}x1x${hkv}x128xbf16>,
                %c: !attn.kv_cache<${b}x${hkv}x${l}x128xbf16>, %pos: index)
    -> (tensor<${b}x1x${hq}x128xbf16>, !attn.kv_cache<${b}x${hkv}x${l}x128xbf16>) {
  %c1 = arith.constant 1 : index
  %n = attn.cache.append %k, %v into %c[%pos]
      : tensor<${b}x1x${hkv}x128xbf16>, tensor<${b}x1x${hkv}x128xbf16>
        into !attn.kv_cache<${b}x${hkv}x${l}x128xbf16>
  %len = arith.addi %pos, %c1 : index
  %o = attn.cache.attend %q, %n, %len
      : tensor<${b}x1x${hq}x128xbf16>, !attn.kv_cache<${b}x${hkv}x${l}x128xbf16>
        -> tensor<${b}x1x${hq}x128xbf16>
  return %o, %n : tensor<${b}x1x${hq}x128xbf16>, !attn.kv_cache<${b}x${hkv}x${l}x128xbf16>
}
MLIR
  local ms
  ms=$("$runner" "$f" --target=cuda --input 5=$((l - 1)) --benchmark="$runs" "${flags[@]}" | median)
  python3 - "$name" "$b" "$hkv" "$l" "$ms" <<'PY'
import sys
name, b, hkv, l, ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
kv_bytes = 2 * b * hkv * l * 128 * 2
print("%s through the cache: %.4f ms, %.0f GB/s of K and V" % (name, ms, kv_bytes / ms / 1e6))
PY
}

attend() { # name batch hq hkv length storage(bf16|i8|f8E4M3FN)
  local name=$1 b=$2 hq=$3 hkv=$4 l=$5 st=$6 f="$work/$1-$6.mlir"
  local cache="!attn.kv_cache<${b}x${hkv}x${l}x128x${st}>" len=3
  if [ "$st" != bf16 ]; then
    cache="!attn.kv_cache<${b}x${hkv}x${l}x128x${st}, scales = f32>"
    len=5
  fi
  cat > "$f" <<MLIR
func.func @attend(%q: tensor<${b}x1x${hq}x128xbf16>, %c: ${cache}, %len: index)
    -> tensor<${b}x1x${hq}x128xbf16> {
  %o = attn.cache.attend %q, %c, %len
      : tensor<${b}x1x${hq}x128xbf16>, ${cache} -> tensor<${b}x1x${hq}x128xbf16>
  return %o : tensor<${b}x1x${hq}x128xbf16>
}
MLIR
  local ms
  ms=$("$runner" "$f" --target=cuda --input $len=$l --benchmark="$runs" "${flags[@]}" | median)
  echo "attend $name $st $ms" >> "$work/attend.txt"
  python3 - "$name" "$st" "$b" "$hkv" "$l" "$ms" <<'PY'
import sys
name, st, b, hkv, l, ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
# K and V elements, and for a quantized cache one f32 scale per token and head.
code = 2 if st == "bf16" else 1
scales = 0 if st == "bf16" else 2 * b * hkv * l * 4
read = 2 * b * hkv * l * 128 * code + scales
print("%s %s cache: %.4f ms, %.0f tokens/s, %.0f GB/s of the cache read"
      % (name, st, ms, b / ms * 1e3, read / ms / 1e6))
PY
}

ragged() { # name batch hq hkv length lengths(comma-separated)
  local name=$1 b=$2 hq=$3 hkv=$4 l=$5 lens=$6 f="$work/$1.mlir"
  cat > "$f" <<MLIR
func.func @ragged(%q: tensor<${b}x1x${hq}x128xbf16>, %k: tensor<${b}x${l}x${hkv}x128xbf16>,
                  %v: tensor<${b}x${l}x${hkv}x128xbf16>, %n: tensor<${b}xi64>)
    -> tensor<${b}x1x${hq}x128xbf16> {
  %o = attn.attention %q, %k, %v lengths(%n : tensor<${b}xi64>) {causal}
      : tensor<${b}x1x${hq}x128xbf16>, tensor<${b}x${l}x${hkv}x128xbf16>,
        tensor<${b}x${l}x${hkv}x128xbf16> -> tensor<${b}x1x${hq}x128xbf16>
  return %o : tensor<${b}x1x${hq}x128xbf16>
}
MLIR
  local ms
  ms=$("$runner" "$f" --target=cuda --input 3="$lens" --benchmark="$runs" "${flags[@]}" | median)
  python3 - "$name" "$hkv" "$lens" "$ms" <<'PY'
import sys
name, hkv, lens, ms = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
read = sum(2 * hkv * int(n) * 128 * 2 for n in lens.split(","))
print("%s: %.4f ms, %.0f GB/s of the K and V the lengths cover" % (name, ms, read / ms / 1e6))
PY
}

nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
parts=${*:-append decode ragged quantized}
part() { [[ " $parts " == *" $1 "* ]]; }
if part append; then
append 8 8 4096
append 8 8 131072
fi
if part decode; then
decode decode-gqa-b64-4k 64 32 8 4096
decode decode-gqa-b8-32k 8 32 8 32768
decode decode-gqa-b1-128k 1 32 8 131072
decode decode-mqa-b64-4k 64 32 1 4096
decode decode-mqa-b8-32k 8 32 1 32768
decode decode-mqa-b1-128k 1 32 1 131072
fi
if part ragged; then
# One launch over sequences of different lengths (attn.attention's
# kv_lengths, the decode schedule): against the same batch at one length,
# the time should follow the longest and the keys read the sum.
lens8=$(python3 -c "print(','.join(str(4096 * (i + 1) // 8) for i in range(8)))")
ragged ragged-gqa-b8-4k-uniform 8 32 8 4096 4096,4096,4096,4096,4096,4096,4096,4096
ragged ragged-gqa-b8-4k-spread 8 32 8 4096 "$lens8"
fi
part quantized || exit 0
# Quantized caches against bf16 ones and the bf16 peers, same shapes, same
# run.
grep '^decode-' "$root/bench/cases.txt" > "$work/decode-cases.txt"
while read -r name b hq hkv sq l d mask; do
  for st in bf16 i8 f8E4M3FN; do
    attend "$name" "$b" "$hq" "$hkv" "$l" "$st"
  done
done < "$work/decode-cases.txt"
python3 "$root/bench/peers.py" "$work/decode-cases.txt" "$runs" > "$work/peers.txt"
python3 - "$work/attend.txt" "$work/peers.txt" <<'PY'
import sys
ours, peers = {}, {}
for line in open(sys.argv[1]):
    _, name, st, ms = line.split()
    ours[name, st] = float(ms)
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) >= 3 and parts[2] != "n/a":
        peers.setdefault(parts[0], {})[parts[1]] = float(parts[2])
for name in dict.fromkeys(n for n, _ in ours):
    best = min(peers.get(name, {}).items(), key=lambda kv: kv[1], default=None)
    if best is None:
        print("%s: no peer ran" % name)
        continue
    print("%s: best bf16 peer %s %.4f ms; ours %s" % (
        name, best[0], best[1], ", ".join(
            "%s %.2fx" % (st, best[1] / ours[name, st])
            for st in ("bf16", "i8", "f8E4M3FN") if (name, st) in ours)))
PY
