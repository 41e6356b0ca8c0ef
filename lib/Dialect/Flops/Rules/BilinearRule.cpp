//===- BilinearRule.cpp - estimator rule of contractions and convolutions -===//
//
// For out = Σ a ⊗ b (matmul, batch/token matmul, convolution), the estimate
// of the gradient with respect to input i is the weight-gradient contraction
// of backpropagation with the upstream gradient replaced by Δ:
//   ĝ_i[map_i(d)] = Σ_{dims not in map_i} other[map_other(d)] * Δ[map_out(d)]
// over the op's own iteration space, so strides, padding (an explicit pad
// before the op), dilations and groups of a convolution are honoured by
// construction.
//
//===----------------------------------------------------------------------===//

#include "RulesInternal.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;

Value rules::zerosLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like), type.getElementType());
  Value zero = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(type.getElementType(), 0.0));
  return linalg::FillOp::create(b, loc, zero, ValueRange{empty}).getResult(0);
}

SmallVector<utils::IteratorType> rules::reduceOnto(AffineMap resultMap) {
  SmallVector<utils::IteratorType> iters(resultMap.getNumDims(),
                                         utils::IteratorType::reduction);
  for (AffineExpr e : resultMap.getResults())
    iters[cast<AffineDimExpr>(e).getPosition()] =
        utils::IteratorType::parallel;
  return iters;
}

/// `v` with float casts (extf, truncf) stripped.
static Value stripCasts(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<arith::ExtFOp, arith::TruncFOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

bool rules::isMultiplyAccumulate(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op->getNumRegions() != 1 || !op->getRegion(0).hasOneBlock())
    return false;
  Block *body = op.getBlock();
  if (body->getNumArguments() != 3)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield->getNumOperands() != 1)
    return false;
  auto add = stripCasts(yield->getOperand(0)).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body->getArgument(2);
  Value lhs = stripCasts(add.getLhs()), rhs = stripCasts(add.getRhs());
  Value prod = lhs == acc ? rhs : rhs == acc ? lhs : Value();
  if (!prod)
    return false;
  auto mul = prod.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value a = stripCasts(mul.getLhs()), b = stripCasts(mul.getRhs());
  Value x = body->getArgument(0), y = body->getArgument(1);
  if (!((a == x && b == y) || (a == y && b == x)))
    return false;
  // Nothing else in the body: the ops are the casts, the multiply, the add
  // and the yield.
  for (Operation &inner : *body)
    if (!isa<arith::ExtFOp, arith::TruncFOp, arith::MulFOp, arith::AddFOp,
             linalg::YieldOp>(inner))
      return false;
  return llvm::count_if(*body, [](Operation &inner) {
           return isa<arith::MulFOp, arith::AddFOp>(inner);
         }) == 2;
}

/// `map` without its constant results (an input read at a fixed index of
/// some dimensions, e.g. the direction 0 of a recurrent weight [1, 3H, I]
/// read through (s, b, n, k) -> (0, n, k)).
static AffineMap withoutConstants(AffineMap map) {
  SmallVector<AffineExpr> kept;
  for (AffineExpr e : map.getResults())
    if (!isa<AffineConstantExpr>(e))
      kept.push_back(e);
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), kept,
                        map.getContext());
}

LogicalResult rules::checkBilinear(linalg::LinalgOp op, unsigned index,
                                   std::string &reason) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1) {
    reason = "expects two inputs and one output";
    return failure();
  }
  for (Value v : op->getOperands())
    if (!isa<FloatType>(getElementTypeOrSelf(v.getType()))) {
      reason = "has non-float operands";
      return failure();
    }
  if (op.getNumReductionLoops() == 0) {
    reason = "is not a contraction or a convolution (no reduction loop)";
    return failure();
  }
  // The rule is the adjoint of out += a * b; any other body (e.g.
  // maximumf(o, a * b)) would get a wrong estimate.
  if (!isMultiplyAccumulate(op)) {
    reason = "has a body that is not a multiply-accumulate (out + a * b, "
             "with optional float casts)";
    return failure();
  }
  if (index >= 2) {
    reason = "has no input #" + std::to_string(index);
    return failure();
  }
  if (!withoutConstants(op.getMatchingIndexingMap(op.getDpsInputOperand(index)))
           .isProjectedPermutation()) {
    reason = "reads input #" + std::to_string(index) +
             " through a non-projected map (e.g. a strided convolution "
             "input); only its other input can be estimated";
    return failure();
  }
  return success();
}

int64_t rules::bilinearChannelDim(linalg::LinalgOp op) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (linalg::isaConvolutionOpInterface(op)) {
    FailureOr<linalg::ConvolutionDimensions> dims =
        linalg::inferConvolutionDims(op);
    if (succeeded(dims) && !dims->outputChannel.empty()) {
      AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
      unsigned loopDim = dims->outputChannel.front();
      for (auto [pos, e] : llvm::enumerate(outMap.getResults()))
        if (auto d = dyn_cast<AffineDimExpr>(e))
          if (d.getPosition() == loopDim)
            return pos;
    }
  }
  // Other bilinear generics (e.g. the importer's grouped and depthwise
  // convolutions, whose input map reads (f floordiv Fg) * Cg + c): the last
  // result dimension past the batch whose loop also indexes the second
  // input (the weight): the output channel of a convolution, the output
  // unit of a matmul.
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  AffineMap wMap = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  for (int64_t pos = outMap.getNumResults() - 1; pos > 0; --pos) {
    auto d = dyn_cast<AffineDimExpr>(outMap.getResult(pos));
    if (d && llvm::is_contained(wMap.getResults(), AffineExpr(d)))
      return pos;
  }
  return resultType.getRank() - 1;
}

FailureOr<Value> rules::buildBilinearGradient(linalg::LinalgOp op,
                                              OpBuilder &b, Location loc,
                                              unsigned index, Value delta,
                                              ValueRange inputs, Value init) {
  std::string reason;
  if (failed(checkBilinear(op, index, reason)))
    return failure();
  unsigned other = 1 - index;
  AffineMap mapI = op.getMatchingIndexingMap(op.getDpsInputOperand(index));
  AffineMap mapO = op.getMatchingIndexingMap(op.getDpsInputOperand(other));
  AffineMap mapD = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  Value acc = init ? init : zerosLike(b, loc, inputs[index]);
  // Dimensions read at a constant index: the estimate goes to that slice of
  // the accumulator (rank-reduced), the rest of it is left as it is.
  AffineMap mapR = withoutConstants(mapI);
  Value target = acc;
  auto accType = cast<RankedTensorType>(acc.getType());
  SmallVector<OpFoldResult> offsets, sizes, strides;
  if (mapR.getNumResults() != mapI.getNumResults()) {
    SmallVector<int64_t> reducedShape;
    for (auto [d, e] : llvm::enumerate(mapI.getResults())) {
      strides.push_back(b.getIndexAttr(1));
      if (auto c = dyn_cast<AffineConstantExpr>(e)) {
        if (c.getValue() < 0 || accType.isDynamicDim(d) ||
            c.getValue() >= accType.getDimSize(d))
          return failure();
        offsets.push_back(b.getIndexAttr(c.getValue()));
        sizes.push_back(b.getIndexAttr(1));
        continue;
      }
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(tensor::getMixedSize(b, loc, acc, d));
      reducedShape.push_back(accType.getDimSize(d));
    }
    auto sliceType =
        RankedTensorType::get(reducedShape, accType.getElementType());
    target = tensor::ExtractSliceOp::create(b, loc, sliceType, acc, offsets,
                                            sizes, strides);
  }
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{target.getType()}, ValueRange{inputs[other], delta},
      ValueRange{target}, SmallVector<AffineMap>{mapO, mapD, mapR},
      reduceOnto(mapR), [&](OpBuilder &nb, Location l, ValueRange args) {
        // The product in the accumulator's type (the op may cast its
        // operands).
        Type et = args[2].getType();
        auto toAcc = [&](Value v) -> Value {
          auto from = cast<FloatType>(v.getType());
          auto to = cast<FloatType>(et);
          if (from == to)
            return v;
          if (from.getWidth() < to.getWidth())
            return arith::ExtFOp::create(nb, l, to, v);
          return arith::TruncFOp::create(nb, l, to, v);
        };
        Value p = arith::MulFOp::create(nb, l, toAcc(args[0]), toAcc(args[1]));
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, args[2], p)));
      });
  if (target == acc)
    return generic.getResult(0);
  return tensor::InsertSliceOp::create(b, loc, generic.getResult(0), acc,
                                       offsets, sizes, strides)
      .getResult();
}
