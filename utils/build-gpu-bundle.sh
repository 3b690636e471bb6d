#!/usr/bin/env bash
#===- utils/build-gpu-bundle.sh - what a GPU machine without LLVM needs --===#
#
# Builds attn-runner and attn-compile linked statically against LLVM/MLIR
# (in build-static/) and packs, xz-compressed, into .bundle/ (or
# $BUNDLE_DIR):
#   attn-runner.xz        the runner; needs only libc, libstdc++, libz, libzstd
#   attn-compile.xz       the model front end (for the CUDA Llama tests)
#   libattn_runtime.a.xz  the runtime library that compiled model objects
#                         link (for the CUDA model-object test)
#   lit.tar.xz            LLVM's lit (pure Python)
#   FileCheck.xz, not.xz, count.xz, split-file.xz  the test tools, and the libz3.so.4.xz
#                         that they load
#   libdevice.10.bc.xz    CUDA's libdevice, which the kernels link
# utils/run-gpu-tests.sh unpacks it on the GPU machine and runs
# test/Integration/CUDA. The whole bundle is about 24 MB (15 MB of it the
# runner, 2 MB attn-compile).
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${BUNDLE_DIR:-$root/.bundle}
llvm=/usr/lib/llvm-22
cuda=${CUDA_HOME:-/usr/local/cuda}

BUILD_DIR=$root/build-static ATTN_CMAKE_ARGS=-DATTN_STATIC_TOOLS=ON \
  "$root/utils/build.sh" attn-runner attn-compile attn_runtime

rm -rf "$out"
mkdir -p "$out"
for tool in attn-runner attn-compile; do
  "$llvm/bin/llvm-strip" -o "$out/$tool" "$root/build-static/bin/$tool"
  # Anything beyond the C/C++ runtime, libz and libzstd would be missing there.
  unexpected=$(ldd "$out/$tool" | awk '{print $1}' |
    grep -Ev '^(linux-vdso\.so|/lib64/ld-linux|(libc|libm|libstdc\+\+|libgcc_s|libz|libzstd)\.so)' || true)
  if [ -n "$unexpected" ]; then
    echo "build-gpu-bundle: $tool links libraries a GPU machine lacks:" $unexpected >&2
    exit 1
  fi
done
cp "$llvm/bin/FileCheck" "$llvm/bin/not" "$llvm/bin/count" "$llvm/bin/split-file" "$out/"
cp "$root/build-static/lib/libattn_runtime.a" "$out/"
cp "$(ldd "$llvm/bin/FileCheck" | awk '/libz3/ {print $3}')" "$out/libz3.so.4"
cp "$cuda/nvvm/libdevice/libdevice.10.bc" "$out/"
tar -C "$llvm/utils" -cJf "$out/lit.tar.xz" lit
xz -T0 -9 "$out/attn-runner" "$out/attn-compile" "$out/FileCheck" "$out/not" "$out/count" "$out/split-file" \
  "$out/libz3.so.4" "$out/libattn_runtime.a" \
  "$out/libdevice.10.bc"
du -ch "$out"/* | tail -1
ls -l "$out"
