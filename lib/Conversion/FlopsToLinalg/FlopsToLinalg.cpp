//===- FlopsToLinalg.cpp - the flops-to-linalg pass ------------------------===//

#include "flops/Conversion/FlopsToLinalg/FlopsToLinalg.h"
#include "PatternsInternal.h"

#include "flops/Conversion/Passes.h"
#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::flops {
#define GEN_PASS_DEF_CONVERTFLOPSTOLINALGPASS
#include "flops/Conversion/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

void mlir::flops::populateFlopsToLinalgPatterns(RewritePatternSet &patterns) {
  populateNoiseLoweringPatterns(patterns);
  populateAllocationLoweringPatterns(patterns);
  populateEstimatorLoweringPatterns(patterns);
}

namespace {
struct ConvertFlopsToLinalgPass
    : mlir::flops::impl::ConvertFlopsToLinalgPassBase<ConvertFlopsToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<FlopsDialect>();
    // The per-element noise inside the generated generics.
    target.addLegalOp<CounterNormalOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateFlopsToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    if (expandNoise)
      expandCounterNormalOps(getOperation(), /*shareRows=*/false);
  }
};
} // namespace
