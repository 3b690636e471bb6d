// .npy inputs and outputs. Every input of a checked attention can come from
// a file, in each dtype (bf16 as '<u2' raw bits); the result written with
// --output is a valid .npy that reads back as an input of the same shape.

// RUN: rm -rf %t && split-file %s %t
// RUN: python3 %S/Inputs/npy.py %t/q.npy bf16 1x97x4x64 normal 1
// RUN: python3 %S/Inputs/npy.py %t/k.npy bf16 1x97x2x64 normal 2
// RUN: python3 %S/Inputs/npy.py %t/v.npy bf16 1x97x2x64 normal 3
// RUN: attn-runner --target=cpu %t/bf16.mlir --input 0=%t/q.npy --input=1=%t/k.npy --input 2=%t/v.npy \
// RUN:   --check --output=%t/o.npy | FileCheck %s --check-prefix=BF16
// BF16: inputs: argument 0 from {{.*}}q.npy; argument 1 from {{.*}}k.npy; argument 2 from {{.*}}v.npy
// BF16: check: max_abs_err={{.*}} PASS
// BF16: output: {{.*}}o.npy

// The header of what the runner wrote: NumPy's, padded so that the data starts at byte 128.
// RUN: head -c 128 %t/o.npy | tail -c 118 | FileCheck %s --check-prefix=HEADER
// HEADER: {'descr': '<u2', 'fortran_order': False, 'shape': (1, 97, 4, 64), }

// The result, fed back as the query, passes the check again.
// RUN: attn-runner --target=cpu %t/bf16.mlir --input 0=%t/o.npy --check | FileCheck %s --check-prefix=AGAIN
// AGAIN: argument 0 from {{.*}}o.npy
// AGAIN: check: max_abs_err={{.*}} PASS

// f16, f32 and f64 files, on a bhsd MQA attention with mixed dtypes: an f16
// query, key and value and an f64 mask.
// RUN: python3 %S/Inputs/npy.py %t/q16.npy f16 1x4x3x64 normal 4
// RUN: python3 %S/Inputs/npy.py %t/k16.npy f16 1x1x113x64 normal 5
// RUN: python3 %S/Inputs/npy.py %t/v16.npy f16 1x1x113x64 normal 6
// RUN: python3 %S/Inputs/npy.py %t/m64.npy f64 1x4x3x113 holes 7
// RUN: attn-runner --target=cpu %t/mixed.mlir --input 0=%t/q16.npy --input 1=%t/k16.npy --input 2=%t/v16.npy \
// RUN:   --input 3=%t/m64.npy --check --output=%t/o16.npy | FileCheck %s --check-prefix=MIXED
// MIXED: check: max_abs_err={{.*}} PASS
// RUN: head -c 128 %t/o16.npy | tail -c 118 | FileCheck %s --check-prefix=HEADER16
// HEADER16: {'descr': '<f2', 'fortran_order': False, 'shape': (1, 4, 3, 64), }

// Any entry runs, not only attention: a transpose of an f32 file, whose
// output is the input's bytes in the transposed order.
// RUN: python3 %S/Inputs/npy.py %t/x.npy f32 2x3 normal 8
// RUN: attn-runner --target=cpu %t/transpose.mlir --input 0=%t/x.npy --output=%t/xt.npy | FileCheck %s --check-prefix=TRANSPOSE
// RUN: python3 -c "import struct,sys; a=open(sys.argv[1],'rb').read()[-24:]; b=open(sys.argv[2],'rb').read()[-24:]; x=struct.unpack('<6f',a); y=struct.unpack('<6f',b); print('same' if [x[0],x[3],x[1],x[4],x[2],x[5]]==list(y) else 'differ')" %t/x.npy %t/xt.npy | FileCheck %s --check-prefix=BYTES
// TRANSPOSE: entry: @transpose(tensor<2x3xf32>) -> tensor<3x2xf32>
// TRANSPOSE: output: {{.*}}xt.npy
// BYTES: same

//--- bf16.mlir
func.func @attention(%q: tensor<1x97x4x64xbf16>, %k: tensor<1x97x2x64xbf16>,
                     %v: tensor<1x97x2x64xbf16>) -> tensor<1x97x4x64xbf16> {
  %o = attn.attention %q, %k, %v {causal}
      : tensor<1x97x4x64xbf16>, tensor<1x97x2x64xbf16>, tensor<1x97x2x64xbf16> -> tensor<1x97x4x64xbf16>
  return %o : tensor<1x97x4x64xbf16>
}

//--- mixed.mlir
func.func @mixed(%q: tensor<1x4x3x64xf16>, %k: tensor<1x1x113x64xf16>,
                 %v: tensor<1x1x113x64xf16>, %m: tensor<1x4x3x113xf64>) -> tensor<1x4x3x64xf16> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x4x3x113xf64>) {layout = #attn.layout<bhsd>}
      : tensor<1x4x3x64xf16>, tensor<1x1x113x64xf16>, tensor<1x1x113x64xf16> -> tensor<1x4x3x64xf16>
  return %o : tensor<1x4x3x64xf16>
}

//--- transpose.mlir
func.func @transpose(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  return %t : tensor<3x2xf32>
}
