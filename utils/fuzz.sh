#!/usr/bin/env bash
#===- utils/fuzz.sh - fuzz the attn passes with libFuzzer ----------------===#
#
# utils/fuzz.sh [seconds] [seed]   (default 60 s, a random seed)
#
# Builds attn-fuzz with libFuzzer, ASan and UBSan in build-asan/ (as
# utils/sanitize.sh does), seeds it with every test and example (files with
# `// -----` split into their cases) and runs it for the given time with the
# dialect's dictionary. The corpus it grows stays in build-asan/fuzz-corpus;
# a crash leaves its input in build-asan/fuzz-crashes/ and fails the script.
# The last lines give the number of inputs run (stat::number_of_executed_units).
# With a seed (CI passes one) the inputs come in the same order every time,
# so a run fails only on what an earlier run of the same code would have
# found; without one, each run explores afresh.
#
# Then attn-fuzz-checkpoint, the runtime library's safetensors reader on
# arbitrary files, runs for $CHECKPOINT_SECONDS (default 30), seeded by
# test/Fuzz/Inputs/make_checkpoints.py, its corpus in
# build-asan/fuzz-checkpoint-corpus.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
seconds=${1:-60}
seed=${2:-0}
BUILD_DIR=$build \
  ATTN_CMAKE_ARGS="-DLLVM_USE_SANITIZER=Address;Undefined -DLLVM_USE_SANITIZE_COVERAGE=ON" \
  "$root/utils/build.sh" attn-fuzz attn-fuzz-checkpoint

seeds=$build/fuzz-seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$build/fuzz-corpus" "$build/fuzz-crashes"
python3 - "$root" "$seeds" <<'PY'
import pathlib, sys
root, seeds = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = 0
for path in sorted(list(root.glob("test/**/*.mlir")) + list(root.glob("examples/*.mlir"))):
    for case in path.read_text().split("// -----"):
        (seeds / f"{n:05d}.mlir").write_text(case)
        n += 1
print(f"fuzz: {n} seeds from test/ and examples/")
PY
# As in utils/sanitize.sh. An input may take a minute: the examples' 20-layer
# models compile every layer's kernels to a GPU binary under ASan (27 s on a
# 2-core machine, 61 s while another build ran), so a hang is one of over
# three minutes.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$build/bin/attn-fuzz" -max_total_time="$seconds" -seed="$seed" -timeout=180 \
  -rss_limit_mb=8192 -print_final_stats=1 -dict="$root/test/Fuzz/attn.dict" \
  -artifact_prefix="$build/fuzz-crashes/" "$build/fuzz-corpus" "$seeds"

checkpoint_seeds=$build/fuzz-checkpoint-seeds
rm -rf "$checkpoint_seeds"
python3 "$root/test/Fuzz/Inputs/make_checkpoints.py" "$checkpoint_seeds"
mkdir -p "$build/fuzz-checkpoint-corpus"
exec "$build/bin/attn-fuzz-checkpoint" -max_total_time="${CHECKPOINT_SECONDS:-30}" \
  -seed="$seed" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$build/fuzz-crashes/" "$build/fuzz-checkpoint-corpus" \
  "$checkpoint_seeds"
