// Where no CUDA driver or device is found, attn-runner runs on the CPU by
// default and refuses an explicit --target=cuda with the reason.
// UNSUPPORTED: cuda

// RUN: attn-runner %s --check | FileCheck %s --check-prefix=DEFAULT
// DEFAULT: target: cpu (q-tile 64, kv-tile 64)
// DEFAULT-NEXT: compile: {{[0-9]+\.[0-9]}} ms
// DEFAULT: check: {{.*}} PASS
// RUN: not attn-runner %s --target=cuda 2>&1 | FileCheck %s --check-prefix=EXPLICIT
// EXPLICIT: attn-runner: error: --target=cuda: {{no CUDA driver: cannot load libcuda.so.1|no CUDA device|cuInit failed}}

func.func @attention(%q: tensor<1x3x2x64xf16>, %k: tensor<1x3x1x64xf16>,
                     %v: tensor<1x3x1x64xf16>) -> tensor<1x3x2x64xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x3x2x64xf16>, tensor<1x3x1x64xf16>, tensor<1x3x1x64xf16>
      -> tensor<1x3x2x64xf16>
  return %o : tensor<1x3x2x64xf16>
}
