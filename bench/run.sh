#!/usr/bin/env bash
#===- bench/run.sh - attn-mlir against SDPA, FlexAttention and llama2 ----===#
#
# On a GPU machine with PyTorch, after utils/build-gpu-bundle.sh here (or
# with ATTN_RUNNER pointing at an attn-runner): unpacks the runner
# (bench/unpack-runner.sh) and runs bench/bench.py, which measures the
# ceilings, then checks and times every case of bench/cases.txt with
# attn-runner and the peers in the same run, and writes results.json,
# table.md and plot.png under bench/results/<date>-<device>/ ($BENCH_RESULTS
# for another root, $BENCH_OUT or --out for an exact directory). Arguments
# go to bench.py (bench.py --help); for example
#   bench/run.sh --cases bench/cases-quick.txt
#   BENCH_RUNS=10 bench/run.sh --only 'decode-*'
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runner=$("$root/bench/unpack-runner.sh")
# The kernels link libdevice from the machine's CUDA toolkit, or else from
# the bundle's copy.
CUDA_HOME=$("$root/bench/cuda-home.sh")
export CUDA_HOME
exec python3 "$root/bench/bench.py" --runner "$runner" "$@"
