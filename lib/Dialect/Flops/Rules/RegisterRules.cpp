//===- RegisterRules.cpp - estimator rules as external models -------------===//
//
// One external model per op family; adding a family is one model here plus
// its rule. The models delegate to BilinearRule.cpp and ElementwiseRule.cpp.
//
//===----------------------------------------------------------------------===//

#include "RulesInternal.h"

#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// Named contractions and convolutions: always bilinear sites.
template <typename OpTy>
struct BilinearModel
    : EstimatorRuleOpInterface::ExternalModel<BilinearModel<OpTy>, OpTy> {
  bool isSiteContraction(Operation *) const { return true; }
  int64_t getSiteChannelDim(Operation *op) const {
    return rules::bilinearChannelDim(cast<linalg::LinalgOp>(op));
  }
  LogicalResult checkEstimable(Operation *op, unsigned index,
                               std::string &reason) const {
    return rules::checkBilinear(cast<linalg::LinalgOp>(op), index, reason);
  }
  FailureOr<Value> buildInputGradient(Operation *op, OpBuilder &b,
                                      Location loc, unsigned index,
                                      Value delta, ValueRange inputs,
                                      Value init) const {
    return rules::buildBilinearGradient(cast<linalg::LinalgOp>(op), b, loc,
                                        index, delta, inputs, init);
  }
};

/// linalg.generic: a contraction (e.g. a token matmul written as a generic)
/// is a bilinear site; an all-parallel op is an elementwise affine rule.
struct GenericModel
    : EstimatorRuleOpInterface::ExternalModel<GenericModel,
                                              linalg::GenericOp> {
  /// Any generic with a reduction loop is checked (and built) by the
  /// bilinear rule, which accepts it only when its body is exactly a
  /// multiply-accumulate of its two inputs (a matmul, a grouped or
  /// depthwise convolution as the importer writes them, ...).
  static bool bilinear(Operation *op) {
    return cast<linalg::LinalgOp>(op).getNumReductionLoops() > 0;
  }
  bool isSiteContraction(Operation *op) const { return bilinear(op); }
  int64_t getSiteChannelDim(Operation *op) const {
    auto lop = cast<linalg::LinalgOp>(op);
    if (bilinear(op))
      return rules::bilinearChannelDim(lop);
    // Elementwise: the dimension a per-unit (vector) input is broadcast
    // along, e.g. (d1) for a per-channel bias on NCHW; else the last one.
    AffineMap outMap = lop.getMatchingIndexingMap(lop.getDpsInitOperand(0));
    for (OpOperand *in : lop.getDpsInputOperands()) {
      AffineMap m = lop.getMatchingIndexingMap(in);
      if (m.getNumResults() != 1 || !isa<AffineDimExpr>(m.getResult(0)))
        continue;
      if (std::optional<unsigned> pos =
              outMap.getResultPosition(m.getResult(0)))
        return *pos;
    }
    return outMap.getNumResults() - 1;
  }
  LogicalResult checkEstimable(Operation *op, unsigned index,
                               std::string &reason) const {
    if (bilinear(op))
      return rules::checkBilinear(cast<linalg::LinalgOp>(op), index, reason);
    return rules::checkElementwise(cast<linalg::GenericOp>(op), index, reason);
  }
  FailureOr<Value> buildInputGradient(Operation *op, OpBuilder &b,
                                      Location loc, unsigned index,
                                      Value delta, ValueRange inputs,
                                      Value init) const {
    if (bilinear(op))
      return rules::buildBilinearGradient(cast<linalg::LinalgOp>(op), b, loc,
                                          index, delta, inputs, init);
    return rules::buildElementwiseGradient(cast<linalg::GenericOp>(op), b,
                                           loc, index, delta, inputs, init);
  }
  LogicalResult checkCapturedEstimable(Operation *op, Value captured,
                                       std::string &reason) const {
    return rules::checkGather(cast<linalg::GenericOp>(op), captured, reason);
  }
  FailureOr<Value> buildCapturedGradient(Operation *op, OpBuilder &b,
                                         Location loc, Value captured,
                                         Value delta, ValueRange inputs,
                                         Value init) const {
    return rules::buildGatherGradient(cast<linalg::GenericOp>(op), b, loc,
                                      captured, delta, inputs, init);
  }
};

} // namespace

void mlir::flops::registerEstimatorRules(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::MatmulOp::attachInterface<BilinearModel<linalg::MatmulOp>>(*ctx);
    linalg::BatchMatmulOp::attachInterface<
        BilinearModel<linalg::BatchMatmulOp>>(*ctx);
    linalg::Conv2DNchwFchwOp::attachInterface<
        BilinearModel<linalg::Conv2DNchwFchwOp>>(*ctx);
    linalg::Conv2DNgchwGfchwOp::attachInterface<
        BilinearModel<linalg::Conv2DNgchwGfchwOp>>(*ctx);
    linalg::Conv2DNhwcHwcfOp::attachInterface<
        BilinearModel<linalg::Conv2DNhwcHwcfOp>>(*ctx);
    linalg::DepthwiseConv2DNchwChwOp::attachInterface<
        BilinearModel<linalg::DepthwiseConv2DNchwChwOp>>(*ctx);
    linalg::DepthwiseConv2DNhwcHwcOp::attachInterface<
        BilinearModel<linalg::DepthwiseConv2DNhwcHwcOp>>(*ctx);
    linalg::GenericOp::attachInterface<GenericModel>(*ctx);
  });
}
