//===- cla_two_layers.mlir - two layers sharing one KV cache (CLA) ---------===//
//
// Cross-layer attention (CLA, Brandon et al. 2024) with a sharing factor of
// 2: layers 0 and 1 form one group with one KV cache. Layer 0 computes keys
// and values for the new tokens and appends them; layer 1 computes only its
// query and attends over the cache layer 0 wrote, which halves the KV cache.
// 32 query heads, 8 KV heads, head_dim 128, f16, room for 4096 tokens; each
// call processes 16 new tokens at position %pos.
//
// The verifiers check the CLA layer rules:
//   attn-opt examples/cla_two_layers.mlir
// attn-lower-kv-cache turns the cache into tensors, with a run-time check
// of %pos, and the CPU pipeline compiles it:
//   attn-opt examples/cla_two_layers.mlir --attn-to-llvm-pipeline
// attn-runner runs it on the CPU, with %pos (argument 4) given as an
// integer and random q0, q1, xk0, xv0, writing layer 0's output to
// out.0.npy and layer 1's to out.1.npy:
//   attn-runner examples/cla_two_layers.mlir --target=cpu --input 4=0 \
//       --output=out.npy
// --check does not apply (it recomputes attn.attention of the entry's
// arguments, and these results come from attn.cache.attend);
// test/Integration/CPU/multi-result.mlir compares both outputs with two
// attn.attention on the same inputs. KV caches do not compile for the GPU
// yet, so --target=cuda refuses it.
//
//===----------------------------------------------------------------------===//

func.func @cla_two_layers(%q0: tensor<1x16x32x128xf16>,
                          %q1: tensor<1x16x32x128xf16>,
                          %xk0: tensor<1x16x8x128xf16>,
                          %xv0: tensor<1x16x8x128xf16>,
                          %pos: index)
    -> (tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>) {
  %c16 = arith.constant 16 : index
  // Layers [0, 2) share this cache; layer 0 writes it.
  %cache = attn.cache.create {sharing = 2, first_layer = 0}
      : !attn.kv_cache<1x8x4096x128xf16>

  // Layer 0: append this step's keys and values, then attend over
  // everything up to and including them.
  %cache0 = attn.cache.append %xk0, %xv0 into %cache[%pos] {layer = 0}
      : tensor<1x16x8x128xf16>, tensor<1x16x8x128xf16>
        into !attn.kv_cache<1x8x4096x128xf16>
  %len = arith.addi %pos, %c16 : index
  %o0 = attn.cache.attend %q0, %cache0, %len {causal, layer = 0}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16>
        -> tensor<1x16x32x128xf16>

  // Layer 1: no keys or values of its own; it reads layer 0's cache.
  %o1 = attn.cache.attend %q1, %cache0, %len {causal, layer = 1}
      : tensor<1x16x32x128xf16>, !attn.kv_cache<1x8x4096x128xf16>
        -> tensor<1x16x32x128xf16>
  return %o0, %o1 : tensor<1x16x32x128xf16>, tensor<1x16x32x128xf16>
}
