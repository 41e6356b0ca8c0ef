//===- VectorLowering.cpp - accumulators in registers, contracts to FMAs --===//
//
// After tiling and vectorization (still on tensors): the tiling's slices fold
// into the vector transfers, so that the accumulator of a register tile is a
// transfer_read/transfer_write pair on the loop-carried tensor of the
// reduction loop; hoisting that pair out of the loop keeps the accumulator in
// registers for the whole reduction. Then vector.contract is lowered to
// vector.fma via outer products.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::codegen;

LogicalResult codegen::hoistVectorAccumulators(RewriterBase &rewriter,
                                              func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  linalg::populateLinalgTilingCanonicalizationPatterns(patterns);
  tensor::populateFoldTensorSubsetOpPatterns(patterns);
  // Generic contractions vectorize to broadcasting reads + mulf +
  // multi_reduction: make the broadcasts explicit and fold it all into one
  // vector.contract.
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateVectorReductionToContractPatterns(patterns);
  vector::populateSinkVectorOpsPatterns(patterns);
  vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
  vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
  LogicalResult converged = applyPatternsGreedily(func, std::move(patterns));

  // Innermost loops first (post-order walk): an accumulator hoisted out of
  // the reduction loop can then leave enclosing loops it does not depend on.
  SmallVector<scf::ForOp> loops;
  func.walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops) {
    moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
    (void)hoistLoopInvariantSubsets(
        rewriter, cast<LoopLikeOpInterface>(loop.getOperation()));
  }
  return converged;
}

namespace {

/// `arith.mului_extended` / `mulsi_extended` on vectors of at most 32-bit
/// integers as one multiplication at twice the width: the LLVM conversion
/// handles only scalars and 1-D vectors, and the vectorized Philox rounds
/// produce n-D ones. Exact, so the noise bits do not change: the low half is
/// the narrow product (mod 2^width), the high half that of the wide one.
template <typename OpTy, typename ExtOpTy>
struct WidenVectorMulExtended : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<VectorType>(op.getLhs().getType());
    if (!type || type.getElementTypeBitWidth() > 32)
      return failure();
    unsigned width = type.getElementTypeBitWidth();
    Location loc = op.getLoc();
    auto wide = type.clone(rewriter.getIntegerType(2 * width));
    Value lhs = ExtOpTy::create(rewriter, loc, wide, op.getLhs());
    Value rhs = ExtOpTy::create(rewriter, loc, wide, op.getRhs());
    Value product = arith::MulIOp::create(rewriter, loc, lhs, rhs);
    Value shift = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(
                           wide, rewriter.getIntegerAttr(
                                     wide.getElementType(), width)));
    Value highWide = arith::ShRUIOp::create(rewriter, loc, product, shift);
    // The low half at the narrow width: the wide product then has one use,
    // and LLVM turns trunc(srl(mul(ext, ext))) into a high-half multiply
    // (vpmuludq of even and odd lanes on x86) instead of widening every lane.
    Value low = arith::MulIOp::create(rewriter, loc, op.getLhs(), op.getRhs());
    Value high = arith::TruncIOp::create(rewriter, loc, type, highWide);
    rewriter.replaceOp(op, ValueRange{low, high});
    return success();
  }
};

} // namespace

LogicalResult codegen::legalizeVectorArith(func::FuncOp func) {
  RewritePatternSet patterns(func.getContext());
  patterns.add<WidenVectorMulExtended<arith::MulUIExtendedOp, arith::ExtUIOp>,
               WidenVectorMulExtended<arith::MulSIExtendedOp, arith::ExtSIOp>>(
      func.getContext());
  return applyPatternsGreedily(func, std::move(patterns));
}

LogicalResult codegen::lowerContractionsToFMA(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  vector::populateVectorContractLoweringPatterns(
      patterns, vector::VectorContractLowering::OuterProduct);
  vector::populateVectorOuterProductLoweringPatterns(patterns);
  vector::populateVectorTransposeLoweringPatterns(
      patterns, vector::VectorTransposeLowering::EltWise);
  vector::populateVectorShapeCastLoweringPatterns(patterns);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateVectorMultiReductionLoweringPatterns(
      patterns, vector::VectorMultiReductionLowering::InnerParallel);
  vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
  vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
  vector::ContractionOp::getCanonicalizationPatterns(patterns, ctx);
  vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
  vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsGreedily(func, std::move(patterns));
}
