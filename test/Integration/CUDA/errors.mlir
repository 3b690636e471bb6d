// Failures on the GPU are reported with the driver's error name and a
// non-zero exit, and nothing runs after them.
// REQUIRES: cuda

// Scalar K/V tiles of 1024 keys at head_dim 128 need 512 KiB of shared
// memory, more than a block may have: the lowering refuses them, whatever
// the binary format, before anything reaches the driver or ptxas.
// RUN: not attn-runner %s --target=cuda --schedule=scalar --kv-tile=1024 2>&1 | FileCheck %s --check-prefix=SMEM
// RUN: not attn-runner %s --target=cuda --schedule=scalar --kv-tile=1024 --gpu-format=bin 2>&1 | FileCheck %s --check-prefix=SMEM
// SMEM: error: 'attn.attention' op convert-attn-to-gpu: schedule scalar cannot run this attention: kv-tile 1024 needs 524288 bytes of shared memory for its K and V tiles, more than the 49152 a block can have statically
// SMEM: attn-runner: error: lowering @big for {{sm_[0-9]+a?}} failed

func.func @big(%q: tensor<1x64x1x128xf16>, %k: tensor<1x1024x1x128xf16>,
               %v: tensor<1x1024x1x128xf16>) -> tensor<1x64x1x128xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<1x64x1x128xf16>, tensor<1x1024x1x128xf16>, tensor<1x1024x1x128xf16>
      -> tensor<1x64x1x128xf16>
  return %o : tensor<1x64x1x128xf16>
}
