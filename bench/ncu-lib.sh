#===- bench/ncu-lib.sh - shared by the profile scripts -------------------===#
#
# Sourced by bench/profile-sm90.sh and bench/profile-decode.sh, which set
# `root`, `ncu` (Nsight Compute's ncu) and `out` (the reports' directory).
#
# profile_launch NAME KERNEL SKIP [NCU ARGS...] -- COMMAND...: runs
# COMMAND under ncu, profiling the launch after the first SKIP of kernels
# whose name matches the regex KERNEL, with the clocks left alone (as the
# benchmarks run): the SpeedOfLight, ComputeWorkloadAnalysis,
# SchedulerStats and WarpStateStats sections and the per-reason stall
# metrics, plus NCU ARGS (more sections; `--metrics` must not be among
# them, see PROFILE_METRICS). The report goes to $out/NAME.csv, and
# bench/ncu_summary.py prints its one line; a failed profile prints the
# end of ncu's error output instead.
#
#===----------------------------------------------------------------------===#

# More metrics to collect (a comma-separated list ncu's --metrics takes).
PROFILE_METRICS=${PROFILE_METRICS:-}

profile_launch() {
  local name=$1 kernel=$2 skip=$3
  shift 3
  local extra=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    extra+=("$1")
    shift
  done
  shift
  local metrics='regex:^smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio$'
  [ -n "$PROFILE_METRICS" ] && metrics+=",$PROFILE_METRICS"
  if ! timeout 300 "$ncu" --clock-control none --target-processes all \
      -k "regex:$kernel" --launch-skip "$skip" --launch-count 1 \
      --section SpeedOfLight --section ComputeWorkloadAnalysis \
      --section SchedulerStats --section WarpStateStats "${extra[@]}" \
      --metrics "$metrics" --csv --page details \
      "$@" > "$out/$name.csv" 2> "$out/$name.err"; then
    echo "$name: ncu failed: $(tail -2 "$out/$name.err" | tr '\n' ' ')"
    return 0
  fi
  python3 "$root/bench/ncu_summary.py" "$name" "$out/$name.csv"
}
