//===- StepBuilders.cpp - IR builders of the training step ----------------===//

#include "StepBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;

Value step::constF(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
}

Value step::zerosLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like), type.getElementType());
  return linalg::FillOp::create(b, loc,
                                constF(b, loc, type.getElementType(), 0.0),
                                ValueRange{empty})
      .getResult(0);
}

static Value emptyLike(OpBuilder &b, Location loc, Value like, Type elem) {
  return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, like),
                                 elem);
}

SmallVector<Value>
step::mapN(OpBuilder &b, Location loc, ValueRange likes, ValueRange ins,
           function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>
               fn) {
  int64_t rank = cast<RankedTensorType>(likes[0].getType()).getRank();
  SmallVector<Value> outs;
  SmallVector<Type> types;
  for (Value like : likes) {
    outs.push_back(emptyLike(b, loc, like, getElementTypeOrSelf(like)));
    types.push_back(outs.back().getType());
  }
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps(ins.size() + outs.size(), id);
  auto generic = linalg::GenericOp::create(
      b, loc, types, ins, outs, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, fn(nb, l, args.take_front(ins.size())));
      });
  return SmallVector<Value>(generic.getResults());
}

Value step::map(OpBuilder &b, Location loc, Value like, ValueRange ins,
                ScalarFn fn) {
  return mapN(b, loc, ValueRange{like}, ins,
              [&](OpBuilder &nb, Location l, ValueRange args) {
                return SmallVector<Value>{fn(nb, l, args)};
              })[0];
}

/// Reduces every element of `t` into a 0-d accumulator with `combine`.
static Value reduceAll(OpBuilder &b, Location loc, Value t,
                       function_ref<Value(OpBuilder &, Location, Value, Value)>
                           combine) {
  auto type = cast<RankedTensorType>(t.getType());
  Type ft = type.getElementType();
  auto scalar = RankedTensorType::get({}, ft);
  Value acc = linalg::FillOp::create(
                  b, loc, step::constF(b, loc, ft, 0.0),
                  ValueRange{tensor::EmptyOp::create(b, loc, scalar,
                                                     ValueRange{})})
                  .getResult(0);
  int64_t rank = type.getRank();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{scalar}, ValueRange{t}, ValueRange{acc},
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank),
                             AffineMap::get(rank, 0, b.getContext())},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, combine(nb, l, args[1], args[0]));
      });
  return tensor::ExtractOp::create(b, loc, generic.getResult(0), ValueRange{});
}

Value step::sumAll(OpBuilder &b, Location loc, Value t) {
  return reduceAll(b, loc, t, [](OpBuilder &nb, Location l, Value acc, Value x) {
    return Value(arith::AddFOp::create(nb, l, acc, x));
  });
}

Value step::sumSquares(OpBuilder &b, Location loc, Value t) {
  auto squareAdd = [](OpBuilder &nb, Location l, Value acc, Value x) {
    Value xx = arith::MulFOp::create(nb, l, x, x);
    return Value(arith::AddFOp::create(nb, l, acc, xx));
  };
  auto type = cast<RankedTensorType>(t.getType());
  int64_t rank = type.getRank();
  if (rank < 2)
    return reduceAll(b, loc, t, squareAdd);
  // Per column first (every dimension but the last reduced: vertical vector
  // adds), then the columns: one sequential sum over all elements would be
  // a chain of dependent scalar additions, 4 cycles an element.
  Type ft = type.getElementType();
  int64_t last = rank - 1;
  SmallVector<Value> dyn;
  if (type.isDynamicDim(last))
    dyn.push_back(tensor::DimOp::create(b, loc, t, last));
  auto colType = RankedTensorType::get({type.getDimSize(last)}, ft);
  Value cols = linalg::FillOp::create(
                   b, loc, constF(b, loc, ft, 0.0),
                   ValueRange{tensor::EmptyOp::create(b, loc, colType, dyn)})
                   .getResult(0);
  SmallVector<utils::IteratorType> iters(rank,
                                         utils::IteratorType::reduction);
  iters[last] = utils::IteratorType::parallel;
  auto perColumn = linalg::GenericOp::create(
      b, loc, TypeRange{colType}, ValueRange{t}, ValueRange{cols},
      SmallVector<AffineMap>{
          b.getMultiDimIdentityMap(rank),
          AffineMap::get(rank, 0, b.getAffineDimExpr(last), b.getContext())},
      iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, squareAdd(nb, l, args[1], args[0]));
      });
  return sumAll(b, loc, perColumn.getResult(0));
}

/// Reduces each row of a rank-2 `t` (R x C) into a vector of R with
/// `combine`, starting from `init`; `extra` inputs are read per row.
static Value reduceRows(OpBuilder &b, Location loc, Value t, double init,
                        function_ref<Value(OpBuilder &, Location, Value acc,
                                           Value x, ValueRange rowArgs)>
                            combine,
                        ValueRange rowInputs = {}) {
  auto type = cast<RankedTensorType>(t.getType());
  Type ft = type.getElementType();
  SmallVector<OpFoldResult> size{tensor::getMixedSize(b, loc, t, 0)};
  Value acc = linalg::FillOp::create(
                  b, loc, step::constF(b, loc, ft, init),
                  ValueRange{tensor::EmptyOp::create(b, loc, size, ft)})
                  .getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineMap rowMap = AffineMap::get(2, 0, getAffineDimExpr(0, ctx));
  SmallVector<Value> ins{t};
  ins.append(rowInputs.begin(), rowInputs.end());
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(2)};
  maps.append(rowInputs.size(), rowMap);
  maps.push_back(rowMap);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ins, ValueRange{acc}, maps,
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(
            nb, l,
            combine(nb, l, args.back(), args[0],
                    args.drop_front().drop_back()));
      });
  return generic.getResult(0);
}

std::pair<Value, Value> step::crossEntropyRows(OpBuilder &b, Location loc,
                                               Value logits, Value labels) {
  Type ft = getElementTypeOrSelf(logits);
  Value rowMax = reduceRows(
      b, loc, logits, -std::numeric_limits<double>::infinity(),
      [](OpBuilder &nb, Location l, Value acc, Value x, ValueRange) {
        return Value(arith::MaximumFOp::create(nb, l, acc, x));
      });
  Value sumExp = reduceRows(
      b, loc, logits, 0.0,
      [](OpBuilder &nb, Location l, Value acc, Value x, ValueRange row) {
        Value e = math::ExpOp::create(
            nb, l, arith::SubFOp::create(nb, l, x, row[0]));
        return Value(arith::AddFOp::create(nb, l, acc, e));
      },
      ValueRange{rowMax});
  // Per row: log(sumExp) + max - x[label], and x[label] >= max.
  SmallVector<Value> res = mapN(
      b, loc, ValueRange{rowMax, rowMax}, ValueRange{rowMax, sumExp, labels},
      [&](OpBuilder &nb, Location l, ValueRange args) -> SmallVector<Value> {
        Value r = linalg::IndexOp::create(nb, l, 0);
        Value c = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                             args[2]);
        Value x = tensor::ExtractOp::create(nb, l, logits, ValueRange{r, c});
        Value lse = arith::AddFOp::create(
            nb, l, math::LogOp::create(nb, l, args[1]), args[0]);
        Value loss = arith::SubFOp::create(nb, l, lse, x);
        Value hit = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE, x,
                                          args[0]);
        Value one = constF(nb, l, ft, 1.0), zero = constF(nb, l, ft, 0.0);
        return {loss, arith::SelectOp::create(nb, l, hit, one, zero)};
      });
  return {res[0], res[1]};
}

Value step::mseRows(OpBuilder &b, Location loc, Value outputs, Value targets) {
  auto type = cast<RankedTensorType>(outputs.getType());
  Type ft = type.getElementType();
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> size{tensor::getMixedSize(b, loc, outputs, 0)};
  Value acc = linalg::FillOp::create(
                  b, loc, constF(b, loc, ft, 0.0),
                  ValueRange{tensor::EmptyOp::create(b, loc, size, ft)})
                  .getResult(0);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::reduction);
  iters[0] = utils::IteratorType::parallel;
  AffineMap id = b.getMultiDimIdentityMap(rank);
  auto sum = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{outputs, targets},
      ValueRange{acc},
      SmallVector<AffineMap>{id, id,
                             AffineMap::get(rank, 0, getAffineDimExpr(0, ctx))},
      iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value d = arith::SubFOp::create(nb, l, args[0], args[1]);
        Value dd = arith::MulFOp::create(nb, l, d, d);
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, args[2], dd)));
      });
  int64_t perRow = 1;
  for (int64_t d = 1; d < rank; ++d)
    perRow *= type.getDimSize(d); // Static trailing dims (checked by caller).
  Value inv = constF(b, loc, ft, 1.0 / static_cast<double>(perRow));
  return map(b, loc, sum.getResult(0), ValueRange{sum.getResult(0)},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               return Value(arith::MulFOp::create(nb, l, args[0], inv));
             });
}
