#!/usr/bin/env bash
#===- bench/ab.sh - two forms of attention, timed in turns ---------------===#
#
# On a GPU machine:
#
#   bench/ab.sh [-p PAIRS] "A" "B" SHAPE...
#
# times attention in two forms, A and B, each
# "RUNNER [FLAGS...]": an attn-runner binary ("-" for the bundle's, as
# bench/unpack-runner.sh finds it) and its flags (e.g. "- --tma-store=false").
# Each SHAPE is "BATCH SEQ DIM [ATTRIBUTES]", the attributes as in the
# dialect (e.g. "4 4096 128 {causal}"): prefill attention, bf16, 32
# query heads over 8 KV heads, as bench/prefill-lib.sh writes it. A SHAPE
# may also be a decode case of bench/decode-lib.sh with its cache's
# storage, "NAME [bf16|i8|f8E4M3FN]" (e.g. "mqa-b64-4k i8"; bf16 when
# left out): one query token attending to a KV cache over its length,
# which the run gives with --input. For each shape the forms run in
# turns, A B A B ..., PAIRS times (default 2), so that a drift of the
# machine's clocks or temperature falls on both; each run is one
# `--benchmark=$BENCH_RUNS` (default 20, the median of that many calls)
# with the launch hold of the benchmarks ($BENCH_HOLD_US, default 300;
# bench/ours.py). Prints, a line a shape, each run's median and the change
# of B's mean median against A's. A run that fails prints FAILED and its
# last lines, and the script then exits with status 1.
#
# Unchecked: a timing says nothing of correctness, which the CUDA tests
# and bench/run.sh (every case checked first) establish.
#
#===----------------------------------------------------------------------===#
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/prefill-lib.sh"
source "$root/bench/decode-lib.sh"

pairs=2
if [ "${1:-}" = -p ]; then
  pairs=${2:-}
  shift $(($# < 2 ? $# : 2))
fi
if [ $# -lt 3 ] || ! [[ $pairs =~ ^[1-9][0-9]*$ ]]; then
  sed -n '/^# On a GPU machine/,/^# last lines/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

# The form's runner and flags, with "-" for the bundle's runner.
read -r -a form_a <<< "$1"
read -r -a form_b <<< "$2"
shift 2
for form in form_a form_b; do
  declare -n f=$form
  if [ "${f[0]}" = - ]; then
    f[0]=$("$root/bench/unpack-runner.sh") || exit 1
  fi
  unset -n f
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# Prints the median of one run of `form` (an array name) over FILE, with
# the shape's inputs (the array `inputs`), or FAILED.
time_form() {
  local -n cmd=$1
  local log="$work/run.log"
  if "${cmd[0]}" "$2" --target=cuda --benchmark="${BENCH_RUNS:-20}" \
       --benchmark-hold="${BENCH_HOLD_US:-300}" "${inputs[@]}" "${cmd[@]:1}" \
       > "$log" 2>&1; then
    local ms
    ms=$(sed -n 's/^benchmark: kernel time.*: median \([0-9.]*\) ms.*/\1/p' "$log" | head -1)
    if [ -n "$ms" ]; then
      echo "$ms"
      return
    fi
  fi
  echo "FAILED ($(tail -2 "$log" | tr '\n' ' '))"
  return 1
}

for shape in "$@"; do
  read -r first rest <<< "$shape"
  inputs=()
  if [ -n "${decode_shapes[$first]:-}" ]; then
    storage=${rest:-bf16}
    write_attend "$work/p.mlir" "$first" "$storage"
    inputs=(--input "$len=$l")
    label="$first $storage"
  else
    read -r batch seq dim attrs <<< "$shape"
    prefill_module "$work/p.mlir" "$batch" "$seq" "$dim" "${attrs:-}"
    label="B$batch S$seq d$dim${attrs:+ $attrs}"
  fi
  a=() b=()
  for ((i = 0; i < pairs; ++i)); do
    a+=("$(time_form form_a "$work/p.mlir")") || failed=1
    b+=("$(time_form form_b "$work/p.mlir")") || failed=1
  done
  change=$(python3 - "${a[@]}" -- "${b[@]}" <<'PY'
import sys
args = sys.argv[1:]
split = args.index("--")
try:
    a = [float(x) for x in args[:split]]
    b = [float(x) for x in args[split + 1:]]
    print("%+.1f%%" % (100 * (sum(b) / len(b) / (sum(a) / len(a)) - 1)))
except ValueError:
    print("n/a")
PY
)
  echo "$label: A ${a[*]} | B ${b[*]} | B against A $change"
done
exit $failed
