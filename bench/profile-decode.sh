#!/usr/bin/env bash
#===- bench/profile-decode.sh - where the decode kernel's time goes ------===#
#
# On a GPU machine with Nsight Compute: profiles one launch of the decode
# schedule's attention kernel (not its combine) on attention over a KV cache
# the entry takes, for the six decode shapes of bench/cases.txt (bf16
# queries, 32 query heads over 8 KV heads or 1, head_dim 128) and each cache
# storage named in $STORAGE (default "bf16 i8": bf16, or int8 codes with f32
# scales), and prints for each its duration, grid, registers, occupancy,
# DRAM and issue-slot use, and the warp stall reasons that take the most
# cycles: the measured side of what keeps decode from the copy bandwidth.
# With PROFILE_COMBINE=1 it also profiles the launch after it, the combine
# kernel (both kernels' names start attend_kernel: on sm_90 a split decode's
# are attend_kernel_pdl_primary and attend_kernel_pdl_dependent; for a
# shape not split over blocks that launch is the next call's attention, 128
# threads a block where the combine has more), so that the two kernels'
# durations can be
# set against the time attn-runner --benchmark gives the call.
# With PROFILE_SOURCE=1 it also samples the attention kernel's warps per
# SASS instruction (the SourceCounters section) and prints, through
# bench/ncu_source.py, how the samples divide between the tile loop and
# what comes before and after it, and the instructions warps wait on most.
# $SHAPES narrows the shapes ("gqa-b64-4k mqa-b1-128k" ...), and
# $BENCH_RUNNER_ARGS adds runner flags (for example --schedule=sm90-decode,
# whose kernels are named attend_* too). The full
# reports go to $PROFILE_OUT (default /tmp/attn-profile-decode). ATTN_RUNNER
# as in bench/run.sh; NCU names Nsight Compute's ncu. Clocks are left alone
# (--clock-control none), as the benchmarks run.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/ncu-lib.sh"
source "$root/bench/decode-lib.sh"
runner=$("$root/bench/unpack-runner.sh")
ncu=${NCU:-$(command -v ncu || echo /opt/nvidia/nsight-compute/ncu)}
out=${PROFILE_OUT:-/tmp/attn-profile-decode}
mkdir -p "$out"
work=$(mktemp -d)
for name in $decode_shape_names; do
  for st in ${STORAGE:-bf16 i8}; do
    f="$work/$name-$st.mlir"
    write_attend "$f" "$name" "$st"
    # The first launch of a kernel named attend_*: the attention itself,
    # which runs before its combine.
    profile_launch "$name-$st" attend 0 --section LaunchStats --section Occupancy -- \
      "$runner" "$f" --target=cuda --input $len=$l --benchmark=1 --warmup=1 ${BENCH_RUNNER_ARGS:-}
    if [ "${PROFILE_SOURCE:-0}" = 1 ]; then
      report="$out/$name-$st-source"
      if timeout 300 "$ncu" --clock-control none --target-processes all \
          -k regex:attend --launch-count 1 --section SourceCounters \
          --section WarpStateStats \
          --import-source no -f -o "$report" \
          "$runner" "$f" --target=cuda --input $len=$l --benchmark=1 \
          --warmup=1 ${BENCH_RUNNER_ARGS:-} > "$report.log" 2>&1 &&
        "$ncu" --import "$report.ncu-rep" --page source --csv \
          --print-source sass > "$report.csv" 2>> "$report.log"; then
        python3 "$root/bench/ncu_source.py" "$name-$st" "$report.csv"
      else
        echo "$name-$st: ncu source counters failed: $(tail -2 "$report.log" | tr '\n' ' ')"
      fi
    fi
    # The second: its combine, where the keys are split over blocks.
    if [ "${PROFILE_COMBINE:-0}" = 1 ]; then
      profile_launch "$name-$st-combine" attend 1 --section LaunchStats -- \
        "$runner" "$f" --target=cuda --input $len=$l --benchmark=1 --warmup=1 ${BENCH_RUNNER_ARGS:-}
    fi
  done
done
