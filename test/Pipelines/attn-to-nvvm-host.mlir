// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa" -split-input-file | FileCheck %s --implicit-check-not=gpu.alloc --implicit-check-not=unrealized_conversion_cast
// attn-to-nvvm-pipeline leaves host code that LLVM IR translation accepts: the output buffer is allocated through the GPU runtime (mgpuMemAlloc), not left as gpu.alloc.

// CHECK-LABEL: llvm.func @gqa(
// CHECK:         llvm.call @mgpuMemAlloc
// CHECK:         gpu.launch_func {{.*}}@gqa_kernel::@gqa_kernel
// CHECK:         llvm.return
func.func @gqa(%q: tensor<1x128x32x128xf16>, %k: tensor<1x128x8x128xf16>,
               %v: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>
      -> tensor<1x128x32x128xf16>
  return %o : tensor<1x128x32x128xf16>
}

// -----

// The host waits only where it must: the allocation and the kernel are
// queued on one stream, which is synchronised before the host copies the
// output back to read an element of it, and that copy is waited for
// before the read.
// CHECK-LABEL: llvm.func @read(
// CHECK:         %[[S:.+]] = llvm.call @mgpuStreamCreate()
// CHECK:         %[[OUT:.+]] = llvm.call @mgpuMemAlloc(%{{.+}}, %[[S]], %{{.+}})
// CHECK-NOT:     llvm.call @mgpuStreamSynchronize
// CHECK:         gpu.launch_func <%[[S]] : !llvm.ptr> @read_kernel::@read_kernel
// CHECK-NEXT:    llvm.call @mgpuStreamSynchronize(%[[S]])
// CHECK:         %[[C:.+]] = llvm.call @mgpuStreamCreate()
// CHECK-NEXT:    llvm.call @mgpuMemcpy(%{{.+}}, %[[OUT]], %{{.+}}, %[[C]])
// CHECK-NEXT:    llvm.call @mgpuStreamSynchronize(%[[C]])
// CHECK:         llvm.load
// CHECK:         llvm.return
func.func @read(%q: tensor<1x4x2x64xf16>, %k: tensor<1x4x2x64xf16>,
                %v: tensor<1x4x2x64xf16>) -> f16 {
  %c0 = arith.constant 0 : index
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16>
      -> tensor<1x4x2x64xf16>
  %x = tensor.extract %o[%c0, %c0, %c0, %c0] : tensor<1x4x2x64xf16>
  return %x : f16
}
