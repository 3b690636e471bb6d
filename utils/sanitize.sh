#!/usr/bin/env bash
#===- utils/sanitize.sh - the lit suite under ASan and UBSan -------------===#
#
# Builds everything in build-asan/ (or $ASAN_BUILD_DIR) with
# -fsanitize=address,undefined (LLVM_USE_SANITIZER) and libFuzzer's coverage
# instrumentation (LLVM_USE_SANITIZE_COVERAGE, so that the same build gives
# utils/fuzz.sh its attn-fuzz), then runs the lit suite with those tools.
# The CUDA tests need a GPU and are unsupported here; everything else must
# pass with no sanitizer report. Extra arguments go to lit.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
BUILD_DIR=$build \
  ATTN_CMAKE_ARGS="-DLLVM_USE_SANITIZER=Address;Undefined -DLLVM_USE_SANITIZE_COVERAGE=ON" \
  "$root/utils/build.sh" all mlir-doc
# LLVM's and MLIR's shared libraries are not instrumented, but LLVM's
# allocators, inlined from its headers into the project's code, poison and
# unpoison their slabs through ASan's user-poisoning calls, and the
# uninstrumented half never unpoisons them: ignore user poisoning, or every
# attribute uniqued in a poisoned slab is reported.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec /usr/lib/llvm-22/bin/lit -sv "$@" "$build/test"
