// RUN: attn-opt %s --attn-gpu-modules-to-binaries="format=isa" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --attn-gpu-modules-to-binaries="format=isa" -split-input-file -verify-diagnostics --mlir-disable-threading | FileCheck %s
// RUN: not attn-opt %s --attn-gpu-modules-to-binaries="format=ptx" -split-input-file 2>&1 | FileCheck %s --check-prefix=FORMAT

// Each gpu.module becomes a gpu.binary of its name, in place and in order,
// with one object per target, whether the modules are serialized at once
// (on the context's threads) or one after another.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-NEXT:    gpu.binary @first  [#gpu.object<#nvvm.target<chip = "sm_90a">, {{.*}}assembly = "{{.*}}.target sm_90a{{.*}}.entry k0
// CHECK-NEXT:    func.func @between()
// CHECK:         gpu.binary @second  [#gpu.object<#nvvm.target<chip = "sm_90a">, {{.*}}.target sm_90a{{.*}}.entry k1{{.*}}#gpu.object<#nvvm.target<chip = "sm_80">, {{.*}}.target sm_80{{.*}}.entry k1
// CHECK-NOT:     gpu.module
// FORMAT: error: attn-gpu-modules-to-binaries: format must be isa, bin, fatbin or offload, not 'ptx'
module attributes {gpu.container_module} {
  gpu.module @first [#nvvm.target<chip = "sm_90a">] {
    llvm.func @k0() attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
  }
  func.func @between() {
    return
  }
  gpu.module @second [#nvvm.target<chip = "sm_90a">, #nvvm.target<chip = "sm_80">] {
    llvm.func @k1() attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  // expected-error @below {{the module has no target attributes}}
  gpu.module @untargeted {
  }
}

// -----

// A module that fails says so; the others are still serialized (and their
// errors reported), and then the pass fails.
module attributes {gpu.container_module} {
  // expected-error @below {{Failed creating the llvm::Module}}
  // expected-error @below {{serializing the module for #nvvm.target<chip = "sm_90a"> failed}}
  gpu.module @untranslatable [#nvvm.target<chip = "sm_90a">] {
    // expected-error @below {{cannot be converted to LLVM IR}}
    func.func @f() {
      return
    }
  }
  // expected-error @below {{Failed creating the llvm::Module}}
  // expected-error @below {{serializing the module for #nvvm.target<chip = "sm_80"> failed}}
  gpu.module @also [#nvvm.target<chip = "sm_80">] {
    // expected-error @below {{cannot be converted to LLVM IR}}
    func.func @g() {
      return
    }
  }
}
