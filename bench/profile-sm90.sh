#!/usr/bin/env bash
#===- bench/profile-sm90.sh - where the sm90 kernel's time goes ----------===#
#
# On a GPU machine with Nsight Compute: profiles one launch of the sm90
# attention kernel, in each form named in $FORMS (default "sm90
# sm90+cpasync"; "+cpasync", "+pshared", "+tailsplit", "+plan" and
# "+noplan" add --tma=false, --p-in-shared, --tail-split and
# --plan-items=always or never, as in
# bench/schedules.sh), on the
# prefill shapes named in
# $SHAPES (default B16x1k and B4x4k, head_dim 128, bf16, 32/8 heads,
# causal and not), and prints for each the kernel's duration, its
# tensor-pipe and issue-slot use, and the warp stall reasons that take the
# most cycles: the measured side of the analysis of what limits the
# schedule. The full reports go to
# $PROFILE_OUT (default /tmp/attn-profile), one per form and shape.
# ATTN_RUNNER as in bench/run.sh; NCU names Nsight Compute's ncu.
#
# The clocks are left alone (--clock-control none), as the benchmarks run.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/prefill-lib.sh"
source "$root/bench/ncu-lib.sh"
# The tensor pipes' use, next to the common sections.
PROFILE_METRICS='regex:^sm__pipe_tensor_op.*_cycles_active\.avg\.pct_of_peak_sustained_active$'
runner=$("$root/bench/unpack-runner.sh")
ncu=${NCU:-$(command -v ncu || echo /opt/nvidia/nsight-compute/ncu)}
out=${PROFILE_OUT:-/tmp/attn-profile}
mkdir -p "$out"
work=$(mktemp -d)
for shape in ${SHAPES:-16x1024 4x4096}; do
  batch=${shape%x*} seq=${shape#*x}
  for causal in "" "{causal}"; do
    prefill_module "$work/p.mlir" "$batch" "$seq" 128 "$causal"
    for form in ${FORMS:-sm90 sm90+cpasync}; do
      form_flags "$form"
      name="B${batch}-S${seq}-${causal:+causal-}${form//+/-}"
      # The kernel's second launch: the first is the benchmark's warm-up.
      # With a split last round it is named a_kernel_pdl_primary, and its
      # combine a_kernel_pdl_dependent, which is not profiled.
      profile_launch "$name" 'a_kernel(_pdl_primary)?$' 1 -- \
        "$runner" "$work/p.mlir" --target=cuda --benchmark=1 --warmup=1 \
        "${flags[@]}"
    done
  done
done
