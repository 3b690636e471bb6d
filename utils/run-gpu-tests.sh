#!/usr/bin/env bash
#===- utils/run-gpu-tests.sh - the CUDA tests on a machine without LLVM --===#
#
# Run on the GPU machine from a checkout that holds the bundle built by
# utils/build-gpu-bundle.sh (.bundle/, or $BUNDLE_DIR): unpacks it into
# $ATTN_GPU_WORK (default /tmp/attn-gpu) and runs test/Integration/CUDA with
# lit. Arguments go to lit (for example -j16, or a test path under
# $ATTN_GPU_WORK/test). Needs python3, xz, the NVIDIA driver and, for the
# sanitizer tests, compute-sanitizer.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${BUNDLE_DIR:-$root/.bundle}
work=${ATTN_GPU_WORK:-/tmp/attn-gpu}

if [ ! -f "$bundle/attn-runner.xz" ]; then
  echo "run-gpu-tests: no bundle in $bundle; build one with utils/build-gpu-bundle.sh" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work/bin" "$work/lib" "$work/cuda/nvvm/libdevice" \
  "$work/test/Integration/CUDA"
for tool in attn-runner FileCheck not count split-file; do
  xz -dc "$bundle/$tool.xz" > "$work/bin/$tool"
  chmod +x "$work/bin/$tool"
done
# Bundles from before attn-compile was packed have no attn-compile; the
# tests that need it are then unsupported.
if [ -f "$bundle/attn-compile.xz" ]; then
  xz -dc "$bundle/attn-compile.xz" > "$work/bin/attn-compile"
  chmod +x "$work/bin/attn-compile"
fi
xz -dc "$bundle/libz3.so.4.xz" > "$work/lib/libz3.so.4"
# The runtime library that compiled model objects link; the test that
# links one needs it and a C compiler.
if [ -f "$bundle/libattn_runtime.a.xz" ]; then
  xz -dc "$bundle/libattn_runtime.a.xz" > "$work/lib/libattn_runtime.a"
fi
tar -C "$work" -xJf "$bundle/lit.tar.xz"
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The kernels link libdevice from the machine's CUDA toolkit, or else from
# the bundle's copy.
cuda=${CUDA_HOME:-/usr/local/cuda}
if [ ! -f "$cuda/nvvm/libdevice/libdevice.10.bc" ]; then
  xz -dc "$bundle/libdevice.10.bc.xz" > "$work/cuda/nvvm/libdevice/libdevice.10.bc"
  cuda=$work/cuda
fi
export CUDA_HOME=$cuda
export PATH="$work/bin:$cuda/bin:$PATH"

# What CMake writes into build/test/lit.site.cfg.py, for this machine.
cat > "$work/test/lit.site.cfg.py" <<CFG
config.llvm_tools_dir = "$work/bin"
config.mlir_obj_dir = "$work"
config.attn_src_root = "$root"
config.attn_obj_root = "$work"
config.attn_tools_dir = "$work/bin"
config.mlir_lib_dir = "$work/lib"
config.attn_cc = "cc"
config.attn_cxx = "c++"
import lit.llvm
lit.llvm.initialize(lit_config, config)
lit_config.load_config(config, "$root/test/lit.cfg.py")
CFG

"$work/bin/attn-runner" --version | head -3 || true
exec env PYTHONPATH="$work/lit" python3 -c "from lit.main import main; main()" \
  -sv "$@" "$work/test/Integration/CUDA"
