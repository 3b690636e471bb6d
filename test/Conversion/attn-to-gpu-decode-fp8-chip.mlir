// The decode schedule turns fp8 codes into f16 pairs with an instruction
// sm_89 brought (cvt.rn.f16x2.e4m3x2): on older chips auto takes the scalar
// schedule, which widens the codes with integer operations, and a forced
// decode is an error naming the chip; where the instruction exists the
// decode schedule runs it. int8 codes need no such instruction.
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_80" | FileCheck %s --check-prefix=OLD
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_86" | FileCheck %s --check-prefix=OLD
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_89" | FileCheck %s --check-prefix=NEW
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_90a" | FileCheck %s --check-prefix=NEW
// RUN: sed 's/f8E4M3FN/i8/g' %s | attn-opt --convert-attn-to-gpu="chip=sm_80" | FileCheck %s --check-prefix=NEW
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_86 schedule=decode" -verify-diagnostics -split-input-file
// The whole pipeline emits PTX for sm_80 rather than stopping in the
// NVPTX backend on an instruction it cannot select.
// RUN: attn-opt %s --attn-to-nvvm-pipeline="format=isa chip=sm_80" | FileCheck %s --check-prefix=PTX

// OLD-LABEL: func.func @fp8_decode(
// OLD:         } {attn.schedule = "scalar"}
// NEW-LABEL: func.func @fp8_decode(
// NEW:         } {attn.schedule = "decode"}
// PTX:         .target sm_80
// PTX-NOT:     e4m3x2
func.func @fp8_decode(%q: tensor<2x1x8x128xbf16>, %k: tensor<2x1024x2x128xf8E4M3FN>,
                      %v: tensor<2x1024x2x128xf8E4M3FN>, %ks: tensor<2x1024x2xf32>,
                      %vs: tensor<2x1024x2xf32>) -> tensor<2x1x8x128xbf16> {
  // expected-error @below {{'attn.attention' op convert-attn-to-gpu: schedule decode cannot run this attention: fp8 (f8E4M3FN) codes need chip sm_89 or later (cvt.rn.f16x2.e4m3x2), not sm_86}}
  %o = attn.attention %q, %k, %v scales(%ks, %vs : tensor<2x1024x2xf32>, tensor<2x1024x2xf32>)
      : tensor<2x1x8x128xbf16>, tensor<2x1024x2x128xf8E4M3FN>, tensor<2x1024x2x128xf8E4M3FN>
      -> tensor<2x1x8x128xbf16>
  return %o : tensor<2x1x8x128xbf16>
}
