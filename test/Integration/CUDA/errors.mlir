// Failures on the GPU are reported with the driver's error name and a
// non-zero exit, and nothing runs after them.
// REQUIRES: cuda

// K/V tiles of 1024 keys at head_dim 128 need 512 KiB of shared memory,
// more than a block may have: the kernel does not load.
// RUN: not attn-runner %s --target=cuda --kv-tile=1024 2>&1 | FileCheck %s --check-prefix=SMEM
// SMEM: attn-runner: error: loading the kernels of @big failed: cuModuleLoadDataEx (PTX JIT) failed: CUDA_ERROR_{{[A-Z_]+}}

// The same tiles from ptxas fail when the cubin is built, before any run.
// RUN: not attn-runner %s --target=cuda --kv-tile=1024 --gpu-format=bin 2>&1 | FileCheck %s --check-prefix=PTXAS
// PTXAS: attn-runner: error: lowering @big for {{sm_[0-9]+a?}} failed

func.func @big(%q: tensor<1x64x1x128xf16>, %k: tensor<1x1024x1x128xf16>,
               %v: tensor<1x1024x1x128xf16>) -> tensor<1x64x1x128xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<1x64x1x128xf16>, tensor<1x1024x1x128xf16>, tensor<1x1024x1x128xf16>
      -> tensor<1x64x1x128xf16>
  return %o : tensor<1x64x1x128xf16>
}
