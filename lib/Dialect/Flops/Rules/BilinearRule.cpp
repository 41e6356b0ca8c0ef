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

LogicalResult rules::checkBilinear(linalg::LinalgOp op, unsigned index,
                                   std::string &reason) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1) {
    reason = "expects two inputs and one output";
    return failure();
  }
  Operation *raw = op.getOperation();
  if (!linalg::isaContractionOpInterface(op) &&
      !isa<linalg::ConvolutionOpInterface>(raw) &&
      !linalg::isaConvolutionOpInterface(op)) {
    reason = "is not a contraction or a convolution";
    return failure();
  }
  if (index >= 2) {
    reason = "has no input #" + std::to_string(index);
    return failure();
  }
  if (!op.getMatchingIndexingMap(op.getDpsInputOperand(index))
           .isProjectedPermutation()) {
    reason = "reads input #" + std::to_string(index) +
             " through a non-projected map (e.g. a strided convolution "
             "input); only its other input can be estimated";
    return failure();
  }
  for (Value v : op->getOperands())
    if (!isa<FloatType>(getElementTypeOrSelf(v.getType()))) {
      reason = "has non-float operands";
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
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{inputs[other], delta},
      ValueRange{acc}, SmallVector<AffineMap>{mapO, mapD, mapI},
      reduceOnto(mapI), [&](OpBuilder &nb, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, args[2], p)));
      });
  return generic.getResult(0);
}
