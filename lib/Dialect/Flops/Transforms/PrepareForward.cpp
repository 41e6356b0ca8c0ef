//===- PrepareForward.cpp - normalise an imported forward -----------------===//

#include "flops/Dialect/Flops/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::flops {
#define GEN_PASS_DEF_PREPAREFORWARDPASS
#include "flops/Dialect/Flops/Transforms/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {
struct PrepareForwardPass
    : mlir::flops::impl::PrepareForwardPassBase<PrepareForwardPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateContractionOpRankReducingPatterns(patterns);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
