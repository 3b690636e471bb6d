// A split decode's combine kernel is launched as a programmatic dependent
// of its attention kernel: its blocks may be placed once every attention
// block is past its tile loop, and it waits (griddepcontrol.wait) for the
// attention kernel's end before reading the partials. While timing, no
// event sits between the two, and the pair is timed as one span. The
// results are checked, bit-identical over repeated calls, and the same with
// --dependent-launch=false (stream order). No speed is asserted.
// REQUIRES: cuda-sm90

// RUN: sed -e 's/@Q@/2x1x32x128/g;s/@K@/2x5000x1x128/g;s/@V@/2x5000x1x128/g;s/@O@/2x1x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/Inputs/attention.mlir > %t.mlir
// RUN: attn-runner %t.mlir --target=cuda --check --seed=61 --kv-splits=9 --benchmark=3 --warmup=1 --benchmark-hold=100 > %t.pdl
// RUN: FileCheck %S/Inputs/check.txt < %t.pdl && FileCheck %s --check-prefix=PDL < %t.pdl
// PDL: benchmark: kernel time (CUDA events from the first kernel's start to the last one's end), {{[0-9]+}} rotating input sets, launches held 100 us, combine kernels launched as programmatic dependents: median

// The same without a launch hold, where the host's launches race the
// device.
// RUN: attn-runner %t.mlir --target=cuda --check --seed=62 --benchmark=5 --warmup=0 > %t.nohold
// RUN: FileCheck %S/Inputs/check.txt < %t.nohold && FileCheck %s --check-prefix=NOHOLD < %t.nohold
// NOHOLD: benchmark: kernel time {{.+}} rotating input sets, combine kernels launched as programmatic dependents: median

// RUN: attn-runner %t.mlir --target=cuda --check --seed=61 --kv-splits=9 --repeat=100 > %t.repeat
// RUN: FileCheck %S/Inputs/check.txt < %t.repeat && FileCheck %s --check-prefix=REPEAT < %t.repeat
// REPEAT: repeat: 100 calls, every result bit for bit the first call's

// In stream order, and with one split (no combine), nothing is launched as
// a dependent.
// RUN: attn-runner %t.mlir --target=cuda --check --seed=61 --kv-splits=9 --benchmark=3 --warmup=1 --dependent-launch=false > %t.order
// RUN: FileCheck %S/Inputs/check.txt < %t.order && FileCheck %s --check-prefix=ORDER < %t.order
// RUN: attn-runner %t.mlir --target=cuda --check --seed=61 --kv-splits=1 --benchmark=3 --warmup=1 > %t.one
// RUN: FileCheck %S/Inputs/check.txt < %t.one && FileCheck %s --check-prefix=ORDER < %t.one
// ORDER-NOT: programmatic
// ORDER: benchmark: kernel time
// ORDER-NOT: programmatic
