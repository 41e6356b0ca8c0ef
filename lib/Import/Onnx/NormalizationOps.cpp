//===- NormalizationOps.cpp - reductions, softmax, normalisation ----------===//
//
// ReduceMean/Sum/Max, Softmax/LogSoftmax (opset >= 13: one axis; earlier: the
// dimensions from `axis` on), BatchNormalization (inference),
// LayerNormalization. The affine part of a normalisation (x̂ * scale + B) is
// one elementwise generic linear in scale and B, so the estimator rules can
// train them.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <limits>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;

namespace {

Value fconst(OpBuilder &nb, Location l, Type t, double v) {
  return arith::ConstantOp::create(nb, l, nb.getFloatAttr(t, v));
}

BodyFn addBody(Type et) {
  return [et](OpBuilder &nb, Location l, ValueRange a) -> Value {
    if (isa<FloatType>(et))
      return arith::AddFOp::create(nb, l, a[1], a[0]);
    return arith::AddIOp::create(nb, l, a[1], a[0]);
  };
}
BodyFn maxBody(Type et) {
  return [et](OpBuilder &nb, Location l, ValueRange a) -> Value {
    if (isa<FloatType>(et))
      return arith::MaximumFOp::create(nb, l, a[1], a[0]);
    return arith::MaxSIOp::create(nb, l, a[1], a[0]);
  };
}
Attribute lowestAttr(OpBuilder &b, Type et) {
  if (isa<FloatType>(et))
    return b.getFloatAttr(et, -std::numeric_limits<double>::infinity());
  return b.getIntegerAttr(
      et, APInt::getSignedMinValue(et.getIntOrFloatBitWidth()));
}
Attribute zeroAttr(OpBuilder &b, Type et) {
  if (isa<FloatType>(et))
    return b.getFloatAttr(et, 0.0);
  return b.getIntegerAttr(et, 0);
}

/// Mean over `axes` with keepdims.
Value mean(Importer &imp, Value x, ArrayRef<int64_t> axes, int64_t count) {
  Type et = elementTypeOf(x);
  Value s = imp.reduce(x, axes, true, zeroAttr(imp.b, et), addBody(et));
  return *imp.elementwise({s}, et, [&](OpBuilder &nb, Location l, ValueRange a) {
    return Value(arith::DivFOp::create(nb, l, a[0], fconst(nb, l, et, count)));
  });
}

enum class Red { Mean, Sum, Max };

LogicalResult reduceOp(Importer &imp, Red kind) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  Type et = elementTypeOf(x);
  if (kind == Red::Mean && !isa<FloatType>(et))
    return imp.fail("ReduceMean needs a float input");
  bool keepdims = imp.attrInt("keepdims", 1);
  SmallVector<int64_t> axes;
  bool axesFromInput = kind == Red::Sum && imp.opset >= 13;
  bool haveAxes = false;
  if (axesFromInput) {
    if (imp.hasInput(1)) {
      auto s = imp.symbolicInput(1);
      if (!s || llvm::any_of(*s, [](const SymDim &d) { return !d.isStatic(); }))
        return imp.fail("axes must be a constant");
      for (const SymDim &d : *s) axes.push_back(d.coeff);
      haveAxes = !axes.empty();
    }
    if (!haveAxes && imp.attrInt("noop_with_empty_axes", 0))
      return imp.setOutput(0, x);
  } else if (auto a = imp.attrInts("axes")) {
    axes = *a;
    haveAxes = !axes.empty();
  }
  if (!haveAxes)
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  for (int64_t &a : axes) {
    FailureOr<int64_t> n = imp.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    a = *n;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  int64_t count = 1;
  for (int64_t a : axes) {
    SymDim d = imp.dimOf(x, a);
    if (!d.isStatic() && kind == Red::Mean)
      return imp.fail("ReduceMean over a dynamic dimension is not supported");
    count *= d.coeff;
  }
  Value y;
  if (kind == Red::Max)
    y = imp.reduce(x, axes, keepdims, lowestAttr(imp.b, et), maxBody(et));
  else
    y = imp.reduce(x, axes, keepdims, zeroAttr(imp.b, et), addBody(et));
  if (kind == Red::Mean)
    y = *imp.elementwise({y}, et, [&](OpBuilder &nb, Location l, ValueRange a) {
      return Value(
          arith::DivFOp::create(nb, l, a[0], fconst(nb, l, et, count)));
    });
  return imp.setOutput(0, y);
}

LogicalResult softmax(Importer &imp, bool logSoftmax) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  Type et = elementTypeOf(x);
  if (!isa<FloatType>(et))
    return imp.fail("needs a float input");
  int64_t axisAttr = imp.attrInt("axis", imp.opset >= 13 ? -1 : 1);
  FailureOr<int64_t> axis = imp.normalizeAxis(axisAttr, rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes{*axis};
  if (imp.opset < 13)
    for (int64_t i = *axis + 1; i < rank; ++i) axes.push_back(i);
  Value m = imp.reduce(x, axes, true, lowestAttr(imp.b, et), maxBody(et));
  Value shifted = imp.withReduced(x, m, et,
                                  [](OpBuilder &nb, Location l, ValueRange a) {
                                    return Value(arith::SubFOp::create(
                                        nb, l, a[0], a[1]));
                                  });
  Value e = *imp.elementwise({shifted}, et,
                             [](OpBuilder &nb, Location l, ValueRange a) {
                               return Value(math::ExpOp::create(nb, l, a[0]));
                             });
  Value s = imp.reduce(e, axes, true, zeroAttr(imp.b, et), addBody(et));
  Value y;
  if (logSoftmax)
    y = imp.withReduced(shifted, s, et,
                        [](OpBuilder &nb, Location l, ValueRange a) {
                          Value ls = math::LogOp::create(nb, l, a[1]);
                          return Value(arith::SubFOp::create(nb, l, a[0], ls));
                        });
  else
    y = imp.withReduced(e, s, et, [](OpBuilder &nb, Location l, ValueRange a) {
      return Value(arith::DivFOp::create(nb, l, a[0], a[1]));
    });
  return imp.setOutput(0, y);
}

LogicalResult batchNorm(Importer &imp) {
  if (imp.hasOutput(1) || imp.hasOutput(2))
    return imp.fail("training mode (running mean/var outputs) is not "
                    "supported");
  if (imp.attrInt("training_mode", 0))
    return imp.fail("training_mode=1 is not supported");
  Value x = imp.input(0), scale = imp.input(1), bias = imp.input(2),
        mu = imp.input(3), var = imp.input(4);
  if (!x || !scale || !bias || !mu || !var)
    return failure();
  int64_t rank = rankOf(x);
  Type et = elementTypeOf(x);
  if (rank < 2 || !isa<FloatType>(et))
    return imp.fail("X must be a float tensor of rank >= 2");
  SymDim c = imp.dimOf(x, 1);
  for (Value v : {scale, bias, mu, var})
    if (rankOf(v) != 1 || !(imp.dimOf(v, 0) == c) || elementTypeOf(v) != et)
      return imp.fail("inconsistent shape: scale, B, mean and var must be "
                      "vectors of one value per channel");
  double eps = imp.attrFloat("epsilon", 1e-5f);
  // inv = 1 / sqrt(var + eps) (per channel), then one generic
  // y = (x - mean) * inv * scale + B.
  Value inv = *imp.elementwise({var}, et, [&](OpBuilder &nb, Location l,
                                              ValueRange a) {
    Value s = math::SqrtOp::create(
        nb, l, arith::AddFOp::create(nb, l, a[0], fconst(nb, l, et, eps)));
    return Value(arith::DivFOp::create(nb, l, fconst(nb, l, et, 1.0), s));
  });
  MLIRContext *ctx = &imp.context();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap ch = AffineMap::get(rank, 0, {getAffineDimExpr(1, ctx)}, ctx);
  Value init = imp.empty(imp.dimsOf(x), et);
  Value y = imp.generic(
      {x, mu, inv, scale, bias}, init, {id, ch, ch, ch, ch, id},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [](OpBuilder &nb, Location l, ValueRange a) {
        Value xh = arith::MulFOp::create(
            nb, l, arith::SubFOp::create(nb, l, a[0], a[1]), a[2]);
        Value s = arith::MulFOp::create(nb, l, xh, a[3]);
        return Value(arith::AddFOp::create(nb, l, s, a[4]));
      });
  return imp.setOutput(0, y);
}

LogicalResult layerNorm(Importer &imp) {
  Value x = imp.input(0), scale = imp.input(1);
  if (!x || !scale)
    return failure();
  int64_t rank = rankOf(x);
  Type et = elementTypeOf(x);
  if (!isa<FloatType>(et))
    return imp.fail("needs a float input");
  if (imp.attrInt("stash_type", 1) != 1)
    return imp.fail("only stash_type=1 (float) is supported");
  FailureOr<int64_t> axis = imp.normalizeAxis(imp.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  double eps = imp.attrFloat("epsilon", 1e-5f);
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t i = *axis; i < rank; ++i) {
    SymDim d = imp.dimOf(x, i);
    if (!d.isStatic())
      return imp.fail("normalised dimensions must be static");
    axes.push_back(i);
    count *= d.coeff;
  }
  Value m = mean(imp, x, axes, count);
  Value xc = imp.withReduced(x, m, et, [](OpBuilder &nb, Location l,
                                          ValueRange a) {
    return Value(arith::SubFOp::create(nb, l, a[0], a[1]));
  });
  Value sq = *imp.elementwise({xc}, et, [](OpBuilder &nb, Location l,
                                           ValueRange a) {
    return Value(arith::MulFOp::create(nb, l, a[0], a[0]));
  });
  Value var = mean(imp, sq, axes, count);
  Value inv = *imp.elementwise({var}, et, [&](OpBuilder &nb, Location l,
                                              ValueRange a) {
    Value s = math::SqrtOp::create(
        nb, l, arith::AddFOp::create(nb, l, a[0], fconst(nb, l, et, eps)));
    return Value(arith::DivFOp::create(nb, l, fconst(nb, l, et, 1.0), s));
  });
  Value xh = imp.withReduced(xc, inv, et, [](OpBuilder &nb, Location l,
                                             ValueRange a) {
    return Value(arith::MulFOp::create(nb, l, a[0], a[1]));
  });
  FailureOr<Value> y;
  if (imp.hasInput(2)) {
    Value bias = imp.input(2);
    if (!bias)
      return failure();
    y = imp.elementwise({xh, scale, bias}, et,
                        [](OpBuilder &nb, Location l, ValueRange a) {
                          Value s = arith::MulFOp::create(nb, l, a[0], a[1]);
                          return Value(arith::AddFOp::create(nb, l, s, a[2]));
                        });
  } else {
    y = imp.elementwise({xh, scale}, et,
                        [](OpBuilder &nb, Location l, ValueRange a) {
                          return Value(
                              arith::MulFOp::create(nb, l, a[0], a[1]));
                        });
  }
  if (failed(y))
    return failure();
  if (!(imp.dimsOf(*y) == imp.dimsOf(x)))
    return imp.fail("inconsistent shape: scale/B do not broadcast to X");
  if (failed(imp.setOutput(0, *y)))
    return failure();
  if (imp.hasOutput(1) && failed(imp.setOutput(1, m)))
    return failure();
  if (imp.hasOutput(2) && failed(imp.setOutput(2, inv)))
    return failure();
  return success();
}

} // namespace

void onnx_import::registerNormalizationOps(OpTable &t) {
  t["ReduceMean"] = [](Importer &i) { return reduceOp(i, Red::Mean); };
  t["ReduceSum"] = [](Importer &i) { return reduceOp(i, Red::Sum); };
  t["ReduceMax"] = [](Importer &i) { return reduceOp(i, Red::Max); };
  t["Softmax"] = [](Importer &i) { return softmax(i, false); };
  t["LogSoftmax"] = [](Importer &i) { return softmax(i, true); };
  t["BatchNormalization"] = batchNorm;
  t["LayerNormalization"] = layerNorm;
}
