//===- LlamaLayers.h - the pieces of a Llama decoder layer ------*- C++ -*-===//
//
// Builders for the tensor computations a Llama layer is made of (embedding,
// RMSNorm, linear, RoPE, residual add, SwiGLU), each as upstream linalg,
// tensor, arith and math ops. They round where transformers' modules hand a
// tensor of the model's dtype to the next one, and compute in f32 in between,
// so a bf16 graph rounds at the same points as LlamaForCausalLM does.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_FRONTEND_LLAMALAYERS_H
#define ATTN_LIB_FRONTEND_LLAMALAYERS_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::attn::frontend {

class LayerBuilder {
public:
  /// `elementType` is the model's dtype (f32, f16 or bf16).
  LayerBuilder(OpBuilder &builder, Location loc, Type elementType)
      : b(builder), loc(loc), elementType(elementType),
        f32(builder.getF32Type()) {}

  void setLoc(Location newLoc) { loc = newLoc; }

  /// Rows of `table` ([V, H]) picked by `tokens` ([N] of i64): [N, H]. Ids
  /// outside [0, V) are clamped so that the read stays inside the table;
  /// callers check the ids (attn-runner does, from attn.vocab_size).
  Value embed(Value tokens, Value table);

  /// x * rsqrt(mean(x^2) + eps) in f32 over the last dimension of [N, H],
  /// rounded to the dtype, then times `weight` ([H]) in the dtype.
  Value rmsNorm(Value x, Value weight, double eps);

  /// x ([N, K]) times weight ([O, K], torch.nn.Linear's layout) transposed,
  /// accumulated in f32: [N, O] of f32.
  Value matmulTransposed(Value x, Value weight);
  /// The same, rounded to the dtype, as nn.Linear returns it.
  Value linear(Value x, Value weight) {
    return round(matmulTransposed(x, weight));
  }

  /// The RoPE tables for positions [0, seqLen): cos and sin of
  /// position * inv_freq, with inv_freq repeated over both halves of the
  /// head (transformers' `cat((freqs, freqs))`), each [seqLen, headDim] in
  /// the dtype. The sin table is negated on the first half, which is
  /// rotate_half's sign, so that applyRope needs no select.
  /// With `start` (an index), the rows are positions [start, start +
  /// seqLen) instead.
  std::pair<Value, Value> ropeTables(int64_t seqLen, int64_t headDim,
                                     double theta, Value start = {});
  /// x * cos + rotate_half(x) * sin for x [B, S, H, D], each product and
  /// the sum rounded to the dtype.
  Value applyRope(Value x, Value cos, Value signedSin);

  /// a + b, rounded to the dtype.
  Value add(Value a, Value b);
  /// silu(gate) * up, silu rounded to the dtype before the product, as
  /// `act_fn(gate_proj(x)) * up_proj(x)` rounds.
  Value swiglu(Value gate, Value up);

  /// The index of the largest value of each row of `x` ([N, V] of f32), the
  /// first one where several are equal (torch.argmax's choice): [N] of i64.
  Value argmax(Value x);

  /// `x` reshaped to `shape` by tensor.expand_shape, or by
  /// tensor.collapse_shape when `shape` has fewer dimensions; `groups` says
  /// which dimensions of the larger shape make one of the smaller.
  Value reshape(Value x, ArrayRef<int64_t> shape,
                ArrayRef<ReassociationIndices> groups);

  /// `v` widened to f32 (unchanged when it is f32 already).
  Value widen(Value v);
  /// `v` (f32) rounded to the dtype (unchanged when the dtype is f32).
  Value narrow(Value v);
  /// A tensor of f32 rounded to the dtype, elementwise.
  Value round(Value x);

private:
  using BodyFn = llvm::function_ref<SmallVector<Value>(ValueRange args)>;

  /// A linalg.generic whose loops are the dimensions of the results (all of
  /// one shape), reading `inputs` through `inputMaps`.
  SmallVector<Value> elementwise(ValueRange inputs,
                                 ArrayRef<AffineMap> inputMaps,
                                 TypeRange resultTypes, BodyFn body);
  Value zeros(ArrayRef<int64_t> shape, Type type);
  Value constantF32(double value);

  OpBuilder &b;
  Location loc;
  Type elementType;
  Type f32;
};

} // namespace mlir::attn::frontend

#endif // ATTN_LIB_FRONTEND_LLAMALAYERS_H
