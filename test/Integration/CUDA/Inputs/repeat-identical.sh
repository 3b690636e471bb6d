#!/usr/bin/env bash
# repeat-identical.sh N OUT_PREFIX COMMAND...: runs COMMAND --output
# OUT_PREFIX.<i>.npy N times, up to 8 at once (each run is a process of its
# own, so the runs also contend for the device as a server's would), and
# fails unless every output is bit for bit the first one; prints
# "identical: N runs" when they all are.
set -euo pipefail
n=$1 out=$2
shift 2
export out
seq 1 "$n" | xargs -P 8 -I{} sh -c '"$@" --output "$out.{}.npy" > /dev/null' sh "$@"
for i in $(seq 1 "$n"); do
  if ! cmp -s "$out.1.npy" "$out.$i.npy"; then
    echo "run $i differs from run 1" >&2
    exit 1
  fi
done
echo "identical: $n runs"
