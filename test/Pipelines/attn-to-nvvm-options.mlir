// attn-to-nvvm-pipeline checks its options before it builds anything: a
// value out of range is an error that names the option and the values it
// takes, with a non-zero exit (upstream gpu-module-to-binary on its own
// only prints "Invalid format specified." for a bad format and exits 0).

// RUN: not attn-opt %s --attn-to-nvvm-pipeline="format=garbage" 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: attn-to-nvvm-pipeline: format 'garbage' is not one of isa, bin, fatbin
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="format=ptx" 2>&1 | FileCheck %s --check-prefix=PTX
// PTX: attn-to-nvvm-pipeline: format 'ptx' is not one of isa, bin, fatbin
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="format=" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: attn-to-nvvm-pipeline: format '' is not one of isa, bin, fatbin

// RUN: not attn-opt %s --attn-to-nvvm-pipeline="matmul=mkl" 2>&1 | FileCheck %s --check-prefix=MATMUL
// MATMUL: attn-to-nvvm-pipeline: matmul 'mkl' is not one of warp, cublas, auto

// RUN: not attn-opt %s --attn-to-nvvm-pipeline="chip=garbage" 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: attn-to-nvvm-pipeline: chip 'garbage' is not an NVIDIA architecture: expected sm_<version>, optionally followed by a or f (e.g. sm_80, sm_90a)
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="chip=sm_90b" 2>&1 | FileCheck %s --check-prefix=CHIP-SUFFIX
// CHIP-SUFFIX: attn-to-nvvm-pipeline: chip 'sm_90b' is not an NVIDIA architecture
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="schedule=fast" 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// SCHEDULE: attn-to-nvvm-pipeline: unknown schedule 'fast'; expected one of auto, scalar, sm80, decode, sm90, sm90-decode, sm90-decode-alternate
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="chip=sm_90 p-in-shared=true" 2>&1 | FileCheck %s --check-prefix=PSHARED-CHIP
// PSHARED-CHIP: attn-to-nvvm-pipeline: p-in-shared needs chip sm_90a (the sm90 schedule), not sm_90
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="schedule=sm80 p-in-shared=true" 2>&1 | FileCheck %s --check-prefix=PSHARED
// PSHARED: attn-to-nvvm-pipeline: p-in-shared applies to the sm90 schedule only, not to schedule 'sm80'
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="plan-items=true" 2>&1 | FileCheck %s --check-prefix=PLAN
// PLAN: attn-to-nvvm-pipeline: plan-items 'true' is not one of auto, always and never

// RUN: not attn-opt %s --attn-to-nvvm-pipeline="q-tile=0" 2>&1 | FileCheck %s --check-prefix=QTILE
// QTILE: attn-to-nvvm-pipeline: q-tile (0) and kv-tile (32) must lie in [1, 4096] and threads (128) in [1, 1024]
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="kv-tile=4097" 2>&1 | FileCheck %s --check-prefix=KVTILE
// KVTILE: attn-to-nvvm-pipeline: q-tile (64) and kv-tile (4097) must lie in [1, 4096] and threads (128) in [1, 1024]
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="threads=0" 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: attn-to-nvvm-pipeline: q-tile (64) and kv-tile (32) must lie in [1, 4096] and threads (0) in [1, 1024]
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="threads=2048" 2>&1 | FileCheck %s --check-prefix=THREADS-BIG
// THREADS-BIG: attn-to-nvvm-pipeline: q-tile (64) and kv-tile (32) must lie in [1, 4096] and threads (2048) in [1, 1024]

// RUN: not attn-opt %s --attn-to-nvvm-pipeline="features=ptx80" 2>&1 | FileCheck %s --check-prefix=FEATURES
// FEATURES: attn-to-nvvm-pipeline: features 'ptx80' must be a comma-separated list of +feature or -feature items (e.g. +ptx80)
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="features=+ptx80,,+sm_90a" 2>&1 | FileCheck %s --check-prefix=BADLIST
// BADLIST: attn-to-nvvm-pipeline: features '+ptx80,,+sm_90a' must be a comma-separated list
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="opt-level=4" 2>&1 | FileCheck %s --check-prefix=OPT
// OPT: attn-to-nvvm-pipeline: opt-level (4) must lie in [0, 3]
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="opt-level=-1" 2>&1 | FileCheck %s --check-prefix=OPT-NEG
// OPT-NEG: attn-to-nvvm-pipeline: opt-level (-1) must lie in [0, 3]

// A toolkit that was asked for must be there; no silent fallback to
// $CUDA_HOME or /usr/local/cuda.
// RUN: rm -rf %t && mkdir -p %t/empty
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="cuda-path=%t/missing" 2>&1 | FileCheck %s --check-prefix=CUDA-MISSING
// CUDA-MISSING: attn-to-nvvm-pipeline: cuda-path '{{.*}}missing' is not a directory
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="cuda-path=%t/empty" 2>&1 | FileCheck %s --check-prefix=NOTOOLKIT
// NOTOOLKIT: attn-to-nvvm-pipeline: cuda-path '{{.*}}empty' has no {{.*}}empty/nvvm/libdevice/libdevice.10.bc: not a CUDA toolkit

// The scalar schedule's K/V tiles are static shared memory, 48 KiB per
// block on every chip: a kv-tile past it is a compile-time error on the op,
// not PTX that only ptxas rejects. f16, head_dim 64: 2 * 4096 * (64 + 64).
// RUN: not attn-opt %s --attn-to-nvvm-pipeline="format=isa schedule=scalar kv-tile=4096" 2>&1 | FileCheck %s --check-prefix=SMEM
// SMEM: error: 'attn.attention' op convert-attn-to-gpu: schedule scalar cannot run this attention: kv-tile 4096 needs 1048576 bytes of shared memory for its K and V tiles, more than the 49152 a block can have statically

func.func @attention(%q: tensor<1x16x4x64xf16>, %k: tensor<1x16x4x64xf16>,
                     %v: tensor<1x16x4x64xf16>) -> tensor<1x16x4x64xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<1x16x4x64xf16>, tensor<1x16x4x64xf16>, tensor<1x16x4x64xf16> -> tensor<1x16x4x64xf16>
  return %o : tensor<1x16x4x64xf16>
}
