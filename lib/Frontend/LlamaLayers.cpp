//===- LlamaLayers.cpp - the pieces of a Llama decoder layer --------------===//
//
// Each piece is one or two linalg ops over static shapes. Elementwise work is
// a linalg.generic whose body widens to f32, computes, and narrows back,
// because transformers computes a bf16 module's arithmetic in f32 and hands
// on a bf16 tensor; for an f32 model the widening and narrowing vanish.
// Matmuls are linalg.matmul with the weight's indexing map transposed, so the
// stored [out, in] weight is read in place, with an f32 accumulator.
//
//===----------------------------------------------------------------------===//

#include "LlamaLayers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn::frontend;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value LayerBuilder::widen(Value v) {
  if (v.getType() == f32)
    return v;
  return arith::ExtFOp::create(b, loc, f32, v);
}

Value LayerBuilder::narrow(Value v) {
  if (elementType == f32)
    return v;
  return arith::TruncFOp::create(b, loc, elementType, v);
}

Value LayerBuilder::constantF32(double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(value)));
}

Value LayerBuilder::zeros(ArrayRef<int64_t> shape, Type type) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, type);
  Value zero =
      arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0));
  return linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
      .getResult(0);
}

SmallVector<Value> LayerBuilder::elementwise(ValueRange inputs,
                                             ArrayRef<AffineMap> inputMaps,
                                             TypeRange resultTypes,
                                             BodyFn body) {
  auto first = cast<RankedTensorType>(resultTypes.front());
  unsigned rank = first.getRank();
  SmallVector<Value> outputs;
  for (Type type : resultTypes) {
    auto tensorType = cast<RankedTensorType>(type);
    outputs.push_back(tensor::EmptyOp::create(
        b, loc, tensorType.getShape(), tensorType.getElementType()));
  }
  SmallVector<AffineMap> maps(inputMaps);
  maps.append(resultTypes.size(), b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultTypes, inputs, outputs, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        // The body builders use `b` and `loc`; point them into the region.
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        SmallVector<Value> results = body(args.take_front(inputs.size()));
        linalg::YieldOp::create(b, nestedLoc, results);
      });
  return SmallVector<Value>(generic.getResults());
}

Value LayerBuilder::round(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  if (elementType == f32)
    return x;
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return elementwise(x, id, type.clone(elementType),
                     [&](ValueRange args) -> SmallVector<Value> {
                       return {narrow(args[0])};
                     })
      .front();
}

Value LayerBuilder::reshape(Value x, ArrayRef<int64_t> shape,
                            ArrayRef<ReassociationIndices> groups) {
  auto type = cast<RankedTensorType>(x.getType());
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (shape.size() > size_t(type.getRank()))
    return tensor::ExpandShapeOp::create(b, loc, resultType, x, groups);
  return tensor::CollapseShapeOp::create(b, loc, resultType, x, groups);
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

Value LayerBuilder::embed(Value tokens, Value table) {
  auto tableType = cast<RankedTensorType>(table.getType());
  int64_t vocab = tableType.getDimSize(0), hidden = tableType.getDimSize(1);
  int64_t rows = cast<RankedTensorType>(tokens.getType()).getDimSize(0);
  MLIRContext *ctx = b.getContext();
  AffineMap tokenMap =
      AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
  auto resultType = RankedTensorType::get({rows, hidden}, elementType);
  return elementwise(
             tokens, tokenMap, resultType,
             [&](ValueRange args) -> SmallVector<Value> {
               Value id = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                     args[0]);
               // An id out of range would read outside the table.
               Value low = arith::ConstantIndexOp::create(b, loc, 0);
               Value high = arith::ConstantIndexOp::create(b, loc, vocab - 1);
               id = arith::MaxSIOp::create(b, loc, id, low);
               id = arith::MinSIOp::create(b, loc, id, high);
               Value column = linalg::IndexOp::create(b, loc, 1);
               return {tensor::ExtractOp::create(b, loc, table,
                                                 ValueRange{id, column})};
             })
      .front();
}

Value LayerBuilder::rmsNorm(Value x, Value weight, double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rows = type.getDimSize(0), hidden = type.getDimSize(1);
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx);
  AffineMap rowsMap = AffineMap::get(2, 0, {n}, ctx);
  AffineMap colsMap = AffineMap::get(2, 0, {h}, ctx);
  AffineMap id = b.getMultiDimIdentityMap(2);

  // Sum of squares per row, in f32.
  Value init = zeros({rows}, f32);
  auto sum = linalg::GenericOp::create(
      b, loc, init.getType(), x, init, ArrayRef<AffineMap>{id, rowsMap},
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        Value v = widen(args[0]);
        Value square = arith::MulFOp::create(b, loc, v, v);
        linalg::YieldOp::create(
            b, nestedLoc,
            ValueRange{arith::AddFOp::create(b, loc, args[1], square)});
      });

  return elementwise(
             ValueRange{x, sum.getResult(0), weight},
             {id, rowsMap, colsMap}, type,
             [&](ValueRange args) -> SmallVector<Value> {
               Value mean = arith::DivFOp::create(b, loc, args[1],
                                                  constantF32(double(hidden)));
               Value shifted =
                   arith::AddFOp::create(b, loc, mean, constantF32(eps));
               Value scale = math::RsqrtOp::create(b, loc, shifted);
               Value normed = narrow(
                   arith::MulFOp::create(b, loc, widen(args[0]), scale));
               return {narrow(arith::MulFOp::create(b, loc, widen(args[2]),
                                                    widen(normed)))};
             })
      .front();
}

Value LayerBuilder::matmulTransposed(Value x, Value weight) {
  int64_t rows = cast<RankedTensorType>(x.getType()).getDimSize(0);
  int64_t outs = cast<RankedTensorType>(weight.getType()).getDimSize(0);
  Value acc = zeros({rows, outs}, f32);
  auto matmul = linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                                         ValueRange{x, weight}, acc);
  MLIRContext *ctx = b.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  matmul.setIndexingMapsAttr(b.getAffineMapArrayAttr(
      {AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {n, k}, ctx),
       AffineMap::get(3, 0, {m, n}, ctx)}));
  return matmul.getResult(0);
}

std::pair<Value, Value> LayerBuilder::ropeTables(int64_t seqLen,
                                                 int64_t headDim,
                                                 double theta, Value start) {
  // inv_freq as transformers computes it, in f32:
  // 1 / theta ** (arange(0, D, 2).float() / D), then cat((freqs, freqs)).
  int64_t half = headDim / 2;
  SmallVector<float> invFreq(headDim), sign(headDim);
  for (int64_t i = 0; i < half; ++i) {
    float exponent = float(2 * i) / float(headDim);
    float frequency = 1.0f / std::pow(float(theta), exponent);
    invFreq[i] = invFreq[i + half] = frequency;
    sign[i] = -1.0f;
    sign[i + half] = 1.0f;
  }
  auto vectorType = RankedTensorType::get({headDim}, f32);
  Value freqs = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, ArrayRef<float>(invFreq)));
  Value signs = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, ArrayRef<float>(sign)));

  MLIRContext *ctx = b.getContext();
  AffineMap dMap = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
  auto tableType = RankedTensorType::get({seqLen, headDim}, elementType);
  SmallVector<Value> tables = elementwise(
      ValueRange{freqs, signs}, {dMap, dMap}, {tableType, tableType},
      [&](ValueRange args) -> SmallVector<Value> {
        Value position = linalg::IndexOp::create(b, loc, 0);
        if (start)
          position = arith::AddIOp::create(b, loc, position, start);
        position = arith::IndexCastOp::create(b, loc, b.getI64Type(), position);
        position = arith::SIToFPOp::create(b, loc, f32, position);
        Value angle = arith::MulFOp::create(b, loc, position, args[0]);
        Value cos = math::CosOp::create(b, loc, angle);
        Value sin = math::SinOp::create(b, loc, angle);
        return {narrow(cos),
                narrow(arith::MulFOp::create(b, loc, sin, args[1]))};
      });
  return {tables[0], tables[1]};
}

Value LayerBuilder::applyRope(Value x, Value cos, Value signedSin) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t headDim = type.getDimSize(3);
  MLIRContext *ctx = b.getContext();
  AffineExpr bb = getAffineDimExpr(0, ctx), s = getAffineDimExpr(1, ctx),
             h = getAffineDimExpr(2, ctx), d = getAffineDimExpr(3, ctx);
  // rotate_half(x)[d] = -x[d + D/2] on the first half and x[d - D/2] on the
  // second: the partner is x[(d + D/2) mod D], the sign is in the sin table.
  AffineMap partner =
      AffineMap::get(4, 0, {bb, s, h, (d + headDim / 2) % headDim}, ctx);
  AffineMap table = AffineMap::get(4, 0, {s, d}, ctx);
  return elementwise(
             ValueRange{x, x, cos, signedSin},
             {b.getMultiDimIdentityMap(4), partner, table, table}, type,
             [&](ValueRange args) -> SmallVector<Value> {
               Value direct = narrow(
                   arith::MulFOp::create(b, loc, widen(args[0]),
                                         widen(args[2])));
               Value rotated = narrow(
                   arith::MulFOp::create(b, loc, widen(args[1]),
                                         widen(args[3])));
               return {narrow(arith::AddFOp::create(b, loc, widen(direct),
                                                    widen(rotated)))};
             })
      .front();
}

Value LayerBuilder::add(Value lhs, Value rhs) {
  auto type = cast<RankedTensorType>(lhs.getType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return elementwise(ValueRange{lhs, rhs}, {id, id}, type,
                     [&](ValueRange args) -> SmallVector<Value> {
                       return {narrow(arith::AddFOp::create(
                           b, loc, widen(args[0]), widen(args[1])))};
                     })
      .front();
}

Value LayerBuilder::swiglu(Value gate, Value up) {
  auto type = cast<RankedTensorType>(gate.getType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return elementwise(
             ValueRange{gate, up}, {id, id}, type,
             [&](ValueRange args) -> SmallVector<Value> {
               // silu(g) = g / (1 + exp(-g)), in f32.
               Value g = widen(args[0]);
               Value negated = arith::NegFOp::create(b, loc, g);
               Value exp = math::ExpOp::create(b, loc, negated);
               Value denominator =
                   arith::AddFOp::create(b, loc, constantF32(1.0), exp);
               Value silu =
                   narrow(arith::DivFOp::create(b, loc, g, denominator));
               return {narrow(arith::MulFOp::create(b, loc, widen(silu),
                                                    widen(args[1])))};
             })
      .front();
}

Value LayerBuilder::argmax(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rows = type.getDimSize(0);
  Type i64 = b.getI64Type();
  // A reduction over the last dimension carrying (max, index); a strictly
  // larger value replaces the pair, so the first of equal maxima stays.
  Value negInf = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  Value maxInit = linalg::FillOp::create(
                      b, loc, ValueRange{negInf},
                      ValueRange{tensor::EmptyOp::create(b, loc, {rows}, f32)})
                      .getResult(0);
  Value indexInit =
      linalg::FillOp::create(
          b, loc, ValueRange{zero},
          ValueRange{tensor::EmptyOp::create(b, loc, {rows}, i64)})
          .getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineMap in = b.getMultiDimIdentityMap(2);
  AffineMap out = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{maxInit.getType(), indexInit.getType()}, ValueRange{x},
      ValueRange{maxInit, indexInit}, ArrayRef<AffineMap>{in, out, out},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value column = arith::IndexCastOp::create(
            nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, 1));
        Value larger = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                             args[0], args[1]);
        Value max = arith::SelectOp::create(nb, nl, larger, args[0], args[1]);
        Value index =
            arith::SelectOp::create(nb, nl, larger, column, args[2]);
        linalg::YieldOp::create(nb, nl, ValueRange{max, index});
      });
  return generic.getResult(1);
}
