//===- ElementwiseVectorization.cpp - fusion and all-parallel ops ---------===//
//
// Elementwise fusion that keeps contractions intact, and the tiling of
// all-parallel linalg ops into one-row vectors (the noise generators, the
// perturbation, bias additions, fills): the dimension that is innermost in
// the output is cut into `elementwiseVectorSize` elements, the others into 1,
// and the tile is vectorized; masked when the extent does not divide.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::codegen;

LogicalResult codegen::fuseElementwiseOps(func::FuncOp func) {
  linalg::ControlFusionFn control = [](OpOperand *fused) {
    Operation *producer = fused->get().getDefiningOp();
    auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
    if (!producer || !consumer || !producer->hasOneUse())
      return false;
    // A contraction or convolution with a fused body is no longer one: it
    // would miss the contraction strategy (and run as plain loops).
    if (linalg::isaContractionOpInterface(consumer) ||
        linalg::isaConvolutionOpInterface(consumer))
      return false;
    // A producer that the consumer broadcasts (e.g. sigma = exp(log sigma)
    // per unit, read by every row) would be recomputed for every element of
    // the consumer: keep it separate.
    return consumer.getMatchingIndexingMap(fused).isPermutation();
  };
  RewritePatternSet patterns(func.getContext());
  linalg::populateElementwiseOpsFusionPatterns(patterns, control);
  return applyPatternsGreedily(func, std::move(patterns));
}

/// The loop that indexes the innermost dimension of the first result (the
/// last loop when that is not a plain dimension).
static unsigned vectorLoop(linalg::LinalgOp op) {
  unsigned vecDim = op.getNumLoops() - 1;
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  if (outMap.getNumResults() > 0)
    if (auto d = dyn_cast<AffineDimExpr>(outMap.getResults().back()))
      vecDim = d.getPosition();
  return vecDim;
}

bool codegen::isVectorizableElementwise(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op.getNumLoops() == 0 || op->getNumResults() == 0)
    return false;
  if (op.getNumLoops() != op.getNumParallelLoops()) {
    // Reductions, vectorized along the last loop, which must index the first
    // result's innermost dimension. Every result either has the last loop as
    // its innermost dimension (a vector store; the reductions are over outer
    // loops, e.g. a per-unit sum over rows) or does not depend on it (the
    // vector is reduced horizontally, e.g. the per-channel log-sigma sum of
    // an NCHW site generated together with its Δ).
    unsigned last = op.getNumLoops() - 1;
    if (vectorLoop(op) != last)
      return false;
    AffineExpr lastDim = getAffineDimExpr(last, op.getContext());
    for (OpResult r : op->getResults()) {
      AffineMap m = op.getIndexingMapMatchingResult(r);
      bool stored = m.getNumResults() > 0 && m.getResults().back() == lastDim;
      bool reduced = !m.isFunctionOfDim(last);
      if (!stored && !reduced)
        return false;
    }
  }
  return succeeded(linalg::vectorizeOpPrecondition(op));
}

LogicalResult
codegen::tileAndVectorizeElementwise(RewriterBase &rewriter, linalg::LinalgOp op,
                                    const CPUCodegenConfig &config) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<int64_t> extents = op.getStaticLoopRanges();

  // The vector dimension; every other loop, reductions included, is cut
  // into single iterations.
  unsigned vecDim = vectorLoop(op);
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();

  SmallVector<int64_t> vec(numLoops, 1);
  bool noise = false;
  op->walk([&](CounterNormalOp) { noise = true; });
  vec[vecDim] = std::min(noise ? config.noiseVectorSize
                               : config.elementwiseVectorSize,
                         extents[vecDim]);

  SmallVector<int64_t> current = extents;
  SmallVector<int64_t> threadTiles(numLoops, 0);
  int64_t work = noise ? config.noiseWorkFactor : 1;
  for (int64_t e : extents)
    work *= e;
  if (config.numThreads > 1 && work >= config.minParallelWork) {
    for (unsigned d = 0; d < numLoops; ++d) {
      // Threads split parallel loops only (a split reduction would race).
      if (!linalg::isParallelIterator(iters[d]) ||
          extents[d] < config.numThreads * vec[d])
        continue;
      threadTiles[d] = threadChunk(extents[d], config.numThreads, vec[d]);
      current[d] = threadTiles[d];
      break;
    }
  }

  SmallVector<int64_t> tiles(numLoops, 0);
  for (unsigned d = 0; d < numLoops; ++d)
    tiles[d] = vec[d] >= current[d] ? 0 : vec[d];

  FailureOr<linalg::LinalgOp> target =
      tileLinalgOp(rewriter, op, threadTiles, /*forall=*/true);
  if (failed(target))
    return failure();
  target = tileLinalgOp(rewriter, *target, tiles, /*forall=*/false);
  if (failed(target))
    return success();
  (void)vectorizeLinalgOp(rewriter, *target, vec);
  return success();
}
