#!/usr/bin/env bash
#===- utils/test.sh - build and run the lit regression suite -------------===#
#
# Installs what is missing, builds, and runs every lit test (check-attn).
# Extra arguments go to lit, e.g. `utils/test.sh -v`.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/utils/build.sh" all mlir-doc
exec /usr/lib/llvm-22/bin/lit -sv "$@" "$build/test"
