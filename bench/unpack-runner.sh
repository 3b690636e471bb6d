#!/usr/bin/env bash
#===- bench/unpack-runner.sh - the attn-runner the benchmarks use --------===#
#
# Prints the path of the attn-runner to benchmark: $ATTN_RUNNER when set,
# otherwise the bundle's (.bundle/attn-runner.xz from
# utils/build-gpu-bundle.sh), unpacked into /tmp/attn-bench.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${ATTN_RUNNER:-}" ]; then
  echo "$ATTN_RUNNER"
  exit
fi
runner=/tmp/attn-bench/attn-runner
mkdir -p /tmp/attn-bench
xz -dc "$root/.bundle/attn-runner.xz" > "$runner"
chmod +x "$runner"
echo "$runner"
