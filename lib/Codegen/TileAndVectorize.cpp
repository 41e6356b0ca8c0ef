//===- TileAndVectorize.cpp - the flops-cpu-tile-and-vectorize pass -------===//

#include "flops/Conversion/FlopsToLinalg/FlopsToLinalg.h"
#include "CodegenInternal.h"

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/SubsetOpInterfaceImpl.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::flops {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZEPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::codegen;

namespace {
struct CPUTileAndVectorizePass
    : mlir::flops::impl::CPUTileAndVectorizePassBase<CPUTileAndVectorizePass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    // Tiling and subset hoisting go through interfaces that these dialects
    // implement as external models.
    linalg::registerTilingInterfaceExternalModels(registry);
    linalg::registerSubsetOpInterfaceExternalModels(registry);
    tensor::registerTilingInterfaceExternalModels(registry);
    tensor::registerSubsetOpInterfaceExternalModels(registry);
    vector::registerSubsetOpInterfaceExternalModels(registry);
  }

  /// The options with defaults filled in; reports every bad value on the
  /// function.
  FailureOr<CPUCodegenConfig> resolveConfig() {
    CPUCodegenConfig config;
    bool ok = true;
    auto readTriple = [&](ArrayRef<int64_t> list, std::array<int64_t, 3> &out,
                          StringRef name, bool allowZero) {
      if (list.empty())
        return;
      bool bad = list.size() != 3 || llvm::any_of(list, [&](int64_t v) {
                   return allowZero ? v < 0 : v <= 0;
                 });
      if (bad) {
        getOperation().emitError()
            << "flops-cpu-tile-and-vectorize: " << name << " needs three "
            << (allowZero ? "non-negative" : "positive") << " sizes (m, n, k)";
        ok = false;
        return;
      }
      llvm::copy(list, out.begin());
    };
    readTriple(registerTileSizes, config.registerTile, "register-tile-sizes",
               /*allowZero=*/false);
    readTriple(cacheTileSizes, config.cacheTile, "cache-tile-sizes",
               /*allowZero=*/true);
    if (numThreads < 1) {
      getOperation().emitError()
          << "flops-cpu-tile-and-vectorize: num-threads must be positive";
      ok = false;
    }
    if (elementwiseVectorSize < 1) {
      getOperation().emitError() << "flops-cpu-tile-and-vectorize: "
                                    "elementwise-vector-size must be positive";
      ok = false;
    }
    if (noiseWorkFactor < 1) {
      getOperation().emitError() << "flops-cpu-tile-and-vectorize: "
                                    "noise-work-factor must be positive";
      ok = false;
    }
    if (noiseVectorSize < 1) {
      getOperation().emitError() << "flops-cpu-tile-and-vectorize: "
                                    "noise-vector-size must be positive";
      ok = false;
    }
    if (!ok)
      return failure();
    config.numThreads = numThreads;
    config.minParallelWork = minParallelWork;
    config.elementwiseVectorSize = elementwiseVectorSize;
    config.noiseVectorSize = noiseVectorSize;
    config.noiseWorkFactor = noiseWorkFactor;
    return config;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    FailureOr<CPUCodegenConfig> config = resolveConfig();
    if (failed(config))
      return signalPassFailure();
    IRRewriter rewriter(func.getContext());

    // The pattern-driven steps are optimizations: if one does not reach a
    // fixed point, the IR is still correct, so warn and go on.
    auto warnIfUnconverged = [&](LogicalResult converged, StringRef step) {
      if (failed(converged))
        func.emitWarning() << "flops-cpu-tile-and-vectorize: " << step
                           << " did not converge";
    };
    // Before the fusion: the unrolled depthwise convolutions are
    // all-parallel and take their epilogue in.
    if (unrollTaps)
      unrollSmallConvolutionTaps(rewriter, func, /*maxTerms=*/64);
    if (fuseElementwise)
      warnIfUnconverged(fuseElementwiseOps(func), "elementwise fusion");
    if (im2col)
      convertConvolutionsToIm2Col(rewriter, func, im2colSlices,
                                  im2colFoldBatch, im2colPointwiseInPlace);
    if (gatherIm2col)
      convertGatherContractionsToIm2Col(rewriter, func, gatherFoldBatch,
                                        gatherTransposed,
                                        config->registerTile[0]);

    if (transposeRhs) {
      SmallVector<linalg::LinalgOp> candidates;
      func.walk([&](linalg::LinalgOp op) {
        if (isTileableContraction(op))
          candidates.push_back(op);
      });
      for (linalg::LinalgOp op : candidates) {
        FailureOr<linalg::LinalgOp> swapped = swapOperandsForRhsN(rewriter, op);
        (void)transposeRhsToContiguousN(rewriter,
                                        succeeded(swapped) ? *swapped : op);
      }
      // A transposed weight is loop-invariant in the training step's chunk
      // loop: transpose it once, not per chunk.
      func.walk([&](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
      // The clean and the perturbed forward transpose the same weights.
      DominanceInfo dominance(func);
      eliminateCommonSubExpressions(rewriter, dominance, func);
    }

    // Collect first: tiling creates new linalg ops (the tiles) that must not
    // be visited again.
    SmallVector<linalg::LinalgOp> contractions, elementwise;
    func.walk([&](linalg::LinalgOp op) {
      // An op with an empty loop does no work; tiling it would divide by
      // its zero extent (linalg::computeTileSizes). It lowers to loops that
      // run zero times.
      if (llvm::is_contained(op.getStaticLoopRanges(), 0))
        return;
      if (isTileableContraction(op))
        contractions.push_back(op);
      else if (vectorizeElementwise && isVectorizableElementwise(op))
        elementwise.push_back(op);
    });
    for (linalg::LinalgOp op : contractions)
      (void)tileAndVectorizeContraction(rewriter, op, *config);
    for (linalg::LinalgOp op : elementwise) {
      if (widenVectorLoops)
        op = widenVectorLoop(rewriter, op, *config);
      (void)tileAndVectorizeElementwise(rewriter, op, *config);
    }
    // The noise, now that its lanes are known (before the vector lowering
    // below rewrites the values that show it).
    if (expandNoise)
      expandCounterNormalOps(func, /*shareRows=*/true);

    warnIfUnconverged(hoistVectorAccumulators(rewriter, func),
                      "the cleanup before hoisting");
    if (lowerContractions)
      warnIfUnconverged(lowerContractionsToFMA(func), "contraction lowering");
    // Required by the LLVM conversion (one pattern, always converges).
    if (failed(legalizeVectorArith(func)))
      return signalPassFailure();
  }
};
} // namespace
