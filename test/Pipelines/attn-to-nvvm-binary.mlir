// REQUIRES: ptxas
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=bin" | FileCheck %s --check-prefix=BIN
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=fatbin" | FileCheck %s --check-prefix=FATBIN
// RUN: attn-opt %s --attn-to-nvvm-pipeline | FileCheck %s --check-prefix=FATBIN
// attn-to-nvvm-pipeline with format=bin embeds a cubin (an ELF) and with format=fatbin, the default, a fatbinary; both need the CUDA toolkit's ptxas (and fatbinary).

// BIN-LABEL: llvm.func @gqa(
// BIN:         gpu.launch_func <%{{.+}} : !llvm.ptr> @gqa_kernel::@gqa_kernel
// BIN:       gpu.binary @gqa_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx83"
// BIN-SAME:    properties = {{[{].*[}]}}, bin = "\7FELF

// A fatbinary starts with the magic 0xBA55ED50, little-endian.
// FATBIN-LABEL: llvm.func @gqa(
// FATBIN:         gpu.launch_func <%{{.+}} : !llvm.ptr> @gqa_kernel::@gqa_kernel
// FATBIN:       gpu.binary @gqa_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx83"
// FATBIN-SAME:    properties = {{[{].*[}]}}, "P\EDU\BA
func.func @gqa(%q: tensor<1x128x32x128xf16>, %k: tensor<1x128x8x128xf16>,
               %v: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>
      -> tensor<1x128x32x128xf16>
  return %o : tensor<1x128x32x128xf16>
}
