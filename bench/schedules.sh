#!/usr/bin/env bash
#===- bench/schedules.sh - the GPU schedules side by side ----------------===#
#
# On a GPU machine: times the prefill shapes of bench/cases.txt (bf16, 32/8
# heads) with attn-runner --benchmark under each schedule named in
# $SCHEDULES (default "sm80 sm90"; "+cpasync", "+pshared", "+tailsplit",
# "+plan" and "+noplan" add --tma=false, --p-in-shared, --tail-split and
# --plan-items=always or never, as in "sm90+cpasync+pshared"), and prints
# the runner's timing line for each. A quick comparison for schedule work;
# bench/run.sh is the benchmark of record, with the peers. ATTN_RUNNER as
# in bench/run.sh.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/prefill-lib.sh"
runner=$("$root/bench/unpack-runner.sh")
work=$(mktemp -d)
for shape in "16 1024 128" "4 4096 128" "1 16384 128" "4 4096 64" "4 4096 256"; do
  set -- $shape
  for causal in "" "{causal}"; do
    prefill_module "$work/p.mlir" "$1" "$2" "$3" "$causal"
    for schedule in ${SCHEDULES:-sm80 sm90}; do
      form_flags "$schedule"
      line=$(timeout 120 "$runner" "$work/p.mlir" --target=cuda --benchmark=10 --warmup=2 \
               "${flags[@]}" 2>&1 | grep -E '^benchmark|error' | head -2 | tr '\n' ' ')
      echo "B=$1 S=$2 D=$3 ${causal:-full} $schedule: $line"
    done
  done
done
