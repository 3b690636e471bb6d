#!/usr/bin/env bash
#===- bench/model.sh - a compiled Llama model against transformers -------===#
#
# On a GPU machine with PyTorch and transformers (and a C compiler): makes a
# bf16 Llama model with transformers, compiles it with
# `attn-compile --emit=object --target=cuda` for batch 1 and 8, once per
# variant of the projections (--matmul, default auto,warp,cublas: kernels
# with a warp per output column, cublasGemmEx calls through the runtime, or
# cuBLAS for a prefill's projections and warp kernels for a decode step's;
# passed as --gpu-pipeline=matmul=<variant>), links examples/generate/generate.c,
# and measures prefill and decode tokens per second of each variant next to
# transformers' on the same model, prompt and GPU in the same run, and next
# to the decode step's weight-bandwidth floor (the weight bytes over the
# device copy bandwidth measured in the same run). Writes model.json and
# model.md under bench/results/<date>-<device>/. A variant that fails (say,
# no cuBLAS on the machine) is reported in the table; the others still run.
# Every op other than the projections, attention and the caches is a
# one-thread-per-element kernel (bench/model.py says more).
#
# attn-compile and libattn_runtime.a come from $ATTN_COMPILE and
# $ATTN_RUNTIME, else from build/bin and build/lib where they exist, else
# from the bundle of utils/build-gpu-bundle.sh (.bundle/, or $BUNDLE_DIR),
# unpacked into /tmp/attn-bench. Arguments go to bench/model.py
# (bench/model.py --help); for example
#   bench/model.sh
#   BENCH_SIZE=1b bench/model.sh
#   BENCH_BATCHES=1,4,16 BENCH_PROMPT=512 bench/model.sh --work /tmp/m
#   bench/model.sh --matmul cublas
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${BUNDLE_DIR:-$root/.bundle}

# find VAR build-path bundle-name: prints $VAR, the build's file, or the
# bundle's, unpacked; with the source on stderr, so a mix is visible.
find_tool() {
  local var=$1 built=$2 name=$3
  if [ -n "${!var:-}" ]; then
    echo "model.sh: $name from \$$var: ${!var}" >&2
    echo "${!var}"
  elif [ -f "$built" ]; then
    echo "model.sh: $name from the build: $built" >&2
    echo "$built"
  elif [ -f "$bundle/$name.xz" ]; then
    mkdir -p /tmp/attn-bench
    xz -dc "$bundle/$name.xz" > "/tmp/attn-bench/$name"
    if [ "$name" = attn-compile ]; then
      chmod +x "/tmp/attn-bench/$name"
    fi
    echo "model.sh: $name from the bundle: $bundle/$name.xz" >&2
    echo "/tmp/attn-bench/$name"
  else
    echo "model.sh: no $name: set $var, build it, or make a bundle with" \
      "utils/build-gpu-bundle.sh (none in $bundle)" >&2
    return 1
  fi
}

ATTN_COMPILE=$(find_tool ATTN_COMPILE "$root/build/bin/attn-compile" attn-compile)
ATTN_RUNTIME=$(find_tool ATTN_RUNTIME "$root/build/lib/libattn_runtime.a" libattn_runtime.a)
export ATTN_COMPILE ATTN_RUNTIME
# The kernels link libdevice from the machine's CUDA toolkit, or else from
# the bundle's copy.
CUDA_HOME=$("$root/bench/cuda-home.sh")
export CUDA_HOME
exec python3 "$root/bench/model.py" "$@"
