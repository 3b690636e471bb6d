#!/usr/bin/env bash
#===- bench/cuda-home.sh - the CUDA_HOME the benchmarks' kernels link ----===#
#
# Prints the CUDA toolkit whose libdevice the runner links: $CUDA_HOME (or
# /usr/local/cuda) when it has one, otherwise the bundle's copy
# (.bundle/libdevice.10.bc.xz), unpacked into /tmp/attn-bench/cuda.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cuda=${CUDA_HOME:-/usr/local/cuda}
if [ ! -f "$cuda/nvvm/libdevice/libdevice.10.bc" ] &&
   [ -f "$root/.bundle/libdevice.10.bc.xz" ]; then
  mkdir -p /tmp/attn-bench/cuda/nvvm/libdevice
  xz -dc "$root/.bundle/libdevice.10.bc.xz" \
    > /tmp/attn-bench/cuda/nvvm/libdevice/libdevice.10.bc
  cuda=/tmp/attn-bench/cuda
fi
echo "$cuda"
