// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=bin schedule=sm90 tma=false" | FileCheck %s
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=bin schedule=sm90" | FileCheck %s --check-prefix=PTX83
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=bin schedule=sm90 tma=false p-in-shared=true" | FileCheck %s
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=bin schedule=sm90 p-in-shared=true features=+ptx80" | FileCheck %s --check-prefix=PTX83
// Every form of the sm90 kernel assembles with ptxas for sm_90a (the PTX
// version the pipeline declares covers every instruction the forms use):
// cp.async or TMA copies, P from registers or from shared memory; head
// dims 128 (persistent, causal) and 256 (bhsd). With TMA the pipeline
// (the default) raises the PTX version to 8.3, which its tensor-map fence needs, even
// where the features name an older one.

// PTX83: gpu.binary @d128_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx83"{{.*}}bin = "\7FELF
// PTX83: gpu.binary @d256_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx83"{{.*}}bin = "\7FELF

// CHECK: gpu.binary @d128_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a"{{.*}}bin = "\7FELF
// CHECK: gpu.binary @d256_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a"{{.*}}bin = "\7FELF
func.func @d128(%q: tensor<1x1000x8x128xbf16>, %k: tensor<1x1000x2x128xbf16>,
                %v: tensor<1x1000x2x128xbf16>) -> tensor<1x1000x8x128xbf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x1000x8x128xbf16>, tensor<1x1000x2x128xbf16>, tensor<1x1000x2x128xbf16>
      -> tensor<1x1000x8x128xbf16>
  return %o : tensor<1x1000x8x128xbf16>
}

func.func @d256(%q: tensor<1x4x300x256xf16>, %k: tensor<1x2x333x256xf16>,
                %v: tensor<1x2x333x256xf16>) -> tensor<1x4x300x256xf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bhsd>}
      : tensor<1x4x300x256xf16>, tensor<1x2x333x256xf16>, tensor<1x2x333x256xf16>
      -> tensor<1x4x300x256xf16>
  return %o : tensor<1x4x300x256xf16>
}
