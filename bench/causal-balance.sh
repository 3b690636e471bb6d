#!/usr/bin/env bash
#===- bench/causal-balance.sh - causal prefill against full, by length ---===#
#
# On a GPU machine: for prefill lengths whose query-tile counts fall on
# and off the device's SM count (bf16, 32/8 heads, head_dim 128, about
# 16k tokens a batch), times the full and the causal attention with
# attn-runner --benchmark (median of $BENCH_RUNS, default 20, launches
# held 300 us) and prints each pair with causal/full and the ratio that
# perfect balance would give, (tiles + 1) / (2 tiles) for square causal
# attention of `tiles` 128-key tiles. A causal time near the full one
# means the persistent grid's blocks got unequal shares of the causal
# items. $LENGTHS overrides the lengths; $BENCH_RUNNER_ARGS adds runner
# flags (for example --schedule=sm90). ATTN_RUNNER as in bench/run.sh.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/prefill-lib.sh"
runner=$("$root/bench/unpack-runner.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The median of one timed run, or nothing (printed as nan) where the runner
# fails; its messages then go to stderr.
median() {
  timeout 120 "$runner" "$1" --target=cuda --benchmark="${BENCH_RUNS:-20}" \
    --benchmark-hold=300 ${BENCH_RUNNER_ARGS:-} > "$work/run.log" 2>&1 ||
    { tail -3 "$work/run.log" >&2; return 0; }
  sed -n 's/^benchmark: kernel time.*median \([0-9.]*\) ms.*/\1/p' "$work/run.log" | head -1
}
# 1408, 2816 and 4224 keys are 11, 22 and 33 tiles: 44, 88 and 132 query
# blocks a KV head, which 132 SMs divide or are divided by.
for s in ${LENGTHS:-1024 1408 2816 4096 4224 16384}; do
  batch=$(( (16384 + s - 1) / s ))
  prefill_module "$work/full.mlir" "$batch" "$s" 128 ""
  prefill_module "$work/causal.mlir" "$batch" "$s" 128 "{causal}"
  full=$(median "$work/full.mlir")
  causal=$(median "$work/causal.mlir")
  python3 - "$batch" "$s" "${full:-nan}" "${causal:-nan}" <<'PY'
import sys
b, s, full, causal = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
tiles = -(-s // 128)
print("B%d S%d: full %.4f ms, causal %.4f ms, causal/full %.3f (balanced %.3f)"
      % (b, s, full, causal, causal / full, (tiles + 1) / (2 * tiles)))
PY
done
