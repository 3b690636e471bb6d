#!/usr/bin/env bash
#===- bench/decode-sweep.sh - stages and splits of the decode schedule ---===#
#
# On a GPU machine (after utils/build-gpu-bundle.sh here, or with
# ATTN_RUNNER set): times, with attn-runner --benchmark (CUDA events from a call's first kernel to its last, median of
# BENCH_RUNS, default 50), attention over a KV cache the entry takes on
# the six decode shapes of bench/cases.txt (bf16 queries, 32 query heads
# over 8 KV heads or 1, head_dim 128), for each cache storage in $STORAGE
# (default "bf16 i8": bf16, or int8 codes with f32 scales), each copy
# stage count in $STAGES (default "0 4 6"; 0 is the schedule's default)
# and each split count in $SPLITS (default "0": picked for the device).
# Prints one line per setting: its median and the GB/s of the K and V
# bytes (codes and scales) read. $SHAPES narrows the shapes, as in
# bench/profile-decode.sh; $BENCH_RUNNER_ARGS adds runner flags (for
# example --kv-pair-warps). The runner cannot check an entry that takes a
# cache it did not fill; test/Integration/CUDA/decode-stages.mlir checks
# the forced stage counts.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/decode-lib.sh"
runner=$("$root/bench/unpack-runner.sh")
CUDA_HOME=$("$root/bench/cuda-home.sh")
export CUDA_HOME
runs=${BENCH_RUNS:-50}
work=$(mktemp -d)
# $BENCH_HOLD_US: hold each timed call's launches, by default 300 us
# (bench/ours.py hold_us).
hold=(--benchmark-hold="${BENCH_HOLD_US:-300}")
for name in $decode_shape_names; do
  for st in ${STORAGE:-bf16 i8}; do
    f="$work/$name-$st.mlir"
    write_attend "$f" "$name" "$st"
    bytes=$([ "$st" = bf16 ] && echo 2 || echo 1)
    # K and V, codes or bf16 values, plus a 4-byte scale a key and head.
    read_bytes=$(( 2 * b * hkv * l * (128 * bytes + (bytes == 1 ? 4 : 0)) ))
    for stages in ${STAGES:-0 4 6}; do
      for splits in ${SPLITS:-0}; do
        log="$work/run.log"
        if ! "$runner" "$f" --target=cuda --input $len=$l \
               --kv-stages="$stages" --kv-splits="$splits" \
               --benchmark="$runs" "${hold[@]}" ${BENCH_RUNNER_ARGS:-} > "$log" 2>&1; then
          echo "$name $st stages=$stages splits=$splits: FAILED: $(tail -2 "$log" | tr '\n' ' ')"
          continue
        fi
        schedule=$(sed -n 's/.*schedule \(\(sm90-\)\{0,1\}decode[^)]*\)).*/\1/p' "$log" | head -1)
        ms=$(sed -n 's/^benchmark: .*median \([0-9.]*\) ms.*/\1/p' "$log" | head -1)
        gbps=$(python3 -c "print(f'{$read_bytes / ($ms * 1e-3) / 1e9:.0f}')")
        echo "$name $st stages=$stages splits=$splits: $ms ms, $gbps GB/s ($schedule)"
      done
    done
  done
done
