#!/usr/bin/env bash
#===- utils/build.sh - install what is missing, configure, build ---------===#
#
# Idempotent: apt runs only when a package is missing, CMake configures only
# when there is no build directory yet, and Ninja rebuilds only what changed.
# BUILD_DIR (default: build), extra CMake arguments for the first configure
# (ATTN_CMAKE_ARGS) and Ninja targets can be given.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

packages=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
          libclang-rt-22-dev lld-22 ninja-build ccache cmake zlib1g-dev
          libzstd-dev python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "attn-mlir: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

llvm=/usr/lib/llvm-22
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=$llvm/bin/clang -DCMAKE_CXX_COMPILER=$llvm/bin/clang++ \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR=$llvm/lib/cmake/mlir -DLLVM_DIR=$llvm/lib/cmake/llvm \
    -DLLVM_EXTERNAL_LIT=$llvm/bin/lit ${ATTN_CMAKE_ARGS:-}
fi
ninja -C "$build" "$@"
