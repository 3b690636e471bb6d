// --benchmark on the GPU: times each call with CUDA events from its first
// kernel's start to its last kernel's end, over input copies rotated
// through more than the L2 cache, and reports the work
// counted from the attention (4*B*Hq*Sq*Sk*D FLOPs here, half the score
// entries when causal) against the floor. No speed is asserted: speed
// belongs to bench/, not to tests.
// REQUIRES: cuda

// FLOPs: 2*32*256*256 score entries * 2*(128+128) = 2147483648. Bytes:
// (2 * 2*256*32*128 [Q, O] + 2 * 2*256*8*128 [K, V]) elements * 2 = 10485760.
// RUN: attn-runner %s --target=cuda --benchmark=5 --warmup=1 --check | FileCheck %s
// The compile time, split into lowering, host JIT and the kernels' load,
// where the driver compiles the PTX.
// CHECK: target: cuda
// CHECK-NEXT: compile: {{[0-9.]+}} ms (lowering {{[0-9.]+}} ms, host code JIT {{[0-9.]+}} ms, kernel load {{[0-9.]+}} ms (PTX compiled by the driver); the rest is device setup and the inputs' upload)
// CHECK: benchmark: kernel time (CUDA events from the first kernel's start to the last one's end), {{[0-9]+}} rotating input sets: median {{[0-9.]+}} ms, min {{[0-9.]+}} ms over 5 runs
// CHECK-NEXT: benchmark: 2.147 GFLOP, 10.49 MB moved at least: {{[0-9.e+-]+}} TFLOP/s, {{[0-9.e+-]+}} GB/s at the median
// The default peaks are the device's own (measured on the devices the
// benchmarks ran on, else from the driver's clocks), and say so.
// CHECK-NEXT: benchmark: floor {{[0-9.]+}} ms at {{[0-9]+}} TFLOP/s and {{[0-9]+}} GB/s ({{measured on an .+ by bench/ceilings.py|data-sheet arithmetic from the driver's clocks}}); the median is {{[0-9.]+}}x the floor
// CHECK: check: {{.*}} PASS

// Causal: (1 + 2 + ... + 256) / 256^2 of the entries, 1077936128 FLOPs.
// RUN: sed -e 's/attn.attention %q, %k, %v/attn.attention %q, %k, %v {causal}/' %s \
// RUN:   | attn-runner - --target=cuda --benchmark=3 --warmup=0 --peak-tflops=100 --peak-gbps=1000 | FileCheck %s --check-prefix=CAUSAL
// CAUSAL: benchmark: 1.078 GFLOP, 10.49 MB moved at least
// CAUSAL: benchmark: floor {{[0-9.]+}} ms at 100 TFLOP/s and 1000 GB/s (--peak-tflops, --peak-gbps)

// A launch hold: each timed call's stream first spins 300 us, and the
// timed spans, which start after it, are the kernels' alone; the result is
// still checked.
// RUN: attn-runner %s --target=cuda --benchmark=3 --warmup=1 --benchmark-hold=300 --check | FileCheck %s --check-prefix=HOLD
// HOLD: benchmark: kernel time (CUDA events from the first kernel's start to the last one's end), {{[0-9]+}} rotating input sets, launches held 300 us: median {{[0-9.]+}} ms
// HOLD: check: {{.*}} PASS

func.func @attention(%q: tensor<2x256x32x128xf16>, %k: tensor<2x256x8x128xf16>,
                     %v: tensor<2x256x8x128xf16>) -> tensor<2x256x32x128xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<2x256x32x128xf16>, tensor<2x256x8x128xf16>, tensor<2x256x8x128xf16>
      -> tensor<2x256x32x128xf16>
  return %o : tensor<2x256x32x128xf16>
}
