//===- TestRuleFailure.cpp - a rule whose build disagrees with its check ---===//
//
// flops-forward-train builds each parameter's estimate with the rule that
// site analysis asked; a rule whose build fails after its check accepted
// the use must stop the pass with an error naming the parameter and the op,
// never leave the parameter with no or a partial gradient (issue 11,
// hole d). No real rule fails that way, so this test-only external model
// (registered by flops-opt alone) gives linalg.mmt4d one: its check accepts
// ops marked `flops.test.rule_build_fails`, its build always fails.
// test/Dialect/Flops/Transforms/flops-forward-train-rule-failure.mlir.
//
//===----------------------------------------------------------------------===//

#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::flops;

namespace {
struct FailingBuildModel
    : EstimatorRuleOpInterface::ExternalModel<FailingBuildModel,
                                              linalg::Mmt4DOp> {
  bool isSiteContraction(Operation *) const { return true; }
  int64_t getSiteChannelDim(Operation *) const { return 1; }
  LogicalResult checkEstimable(Operation *op, unsigned,
                               std::string &reason) const {
    if (op->hasAttr("flops.test.rule_build_fails"))
      return success();
    reason = "has no estimator rule (flops-opt's test model accepts only "
             "ops marked flops.test.rule_build_fails)";
    return failure();
  }
  FailureOr<Value> buildInputGradient(Operation *, OpBuilder &, Location,
                                      unsigned, Value, ValueRange,
                                      Value) const {
    return failure();
  }
};
} // namespace

namespace mlir::flops::test {
void registerTestRuleModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::Mmt4DOp::attachInterface<FailingBuildModel>(*ctx);
  });
}
} // namespace mlir::flops::test
