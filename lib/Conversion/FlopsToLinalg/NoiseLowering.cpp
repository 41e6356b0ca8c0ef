//===- NoiseLowering.cpp - noise ops to linalg.generic ----------------------===//
//
// flops.philox, flops.normal, flops.perturb, flops.site_delta and
// flops.log_sigma_grad. Each noise consumer regenerates its noise inside its
// own linalg.generic body, so no N x d noise tensor is ever materialised.
//
//===----------------------------------------------------------------------===//

#include "PatternsInternal.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// The runtime sizes of dimensions 2..rank-1 of `t`, outside any loop, used
/// to linearise a row's element index.
SmallVector<Value> trailingSizes(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> sizes;
  auto type = cast<RankedTensorType>(t.getType());
  for (int64_t d = 2; d < type.getRank(); ++d)
    sizes.push_back(tensor::DimOp::create(b, loc, t, d));
  return sizes;
}

/// Row-major linear index of (i1, ..., i_{rank-1}) inside a generic body.
Value linearElement(OpBuilder &b, Location loc, int64_t rank,
                    ArrayRef<Value> sizes) {
  if (rank == 1) // One element per row.
    return arith::ConstantIndexOp::create(b, loc, 0);
  Value e = linalg::IndexOp::create(b, loc, 1);
  for (int64_t d = 2; d < rank; ++d) {
    e = arith::MulIOp::create(b, loc, e, sizes[d - 2]);
    e = arith::AddIOp::create(b, loc, e, linalg::IndexOp::create(b, loc, d));
  }
  return e;
}

/// The noise of the current element of a generic over a site of `rank`;
/// `offset` (may be null) is added to the row index.
template <typename OpTy>
Value noiseHere(OpBuilder &b, Location loc, OpTy op, Type ft, Value seed,
                Value step, Value offset, int64_t rank,
                ArrayRef<Value> sizes) {
  Value row = linalg::IndexOp::create(b, loc, 0);
  if (offset)
    row = arith::AddIOp::create(b, loc, row, offset);
  Value elem = linearElement(b, loc, rank, sizes);
  // One op per element, expanded by flops-expand-noise (or at the end of
  // flops-to-linalg): vectorization keeps it whole.
  return CounterNormalOp::create(
      b, loc, ft, seed, step, row, elem,
      b.getI64IntegerAttr(static_cast<int64_t>(op.getSiteId())),
      op.getAntithetic() ? b.getUnitAttr() : nullptr);
}

/// exp(log_sigma) once per unit, so that the per-element bodies below read
/// σ instead of recomputing exp for every element (same value, bit for bit).
Value expPerUnit(OpBuilder &b, Location loc, Value logSigma) {
  auto type = cast<RankedTensorType>(logSigma.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, logSigma), type.getElementType());
  AffineMap id = b.getMultiDimIdentityMap(1);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{logSigma}, ValueRange{empty},
             SmallVector<AffineMap>{id, id},
             SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l, Value(math::ExpOp::create(nb, l, args[0])));
             })
      .getResult(0);
}

SmallVector<utils::IteratorType> parallel(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

AffineMap dimMap(MLIRContext *ctx, int64_t rank, int64_t dim) {
  return AffineMap::get(rank, 0, getAffineDimExpr(dim, ctx));
}

struct PhiloxLowering : OpConversionPattern<PhiloxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PhiloxOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    std::array<Value, 4> x = buildPhilox4x32(
        rewriter, op.getLoc(), {a.getKey0(), a.getKey1()},
        {a.getCtr0(), a.getCtr1(), a.getCtr2(), a.getCtr3()});
    rewriter.replaceOp(op, ValueRange(x));
    return success();
  }
};

struct NormalLowering : OpConversionPattern<NormalOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(NormalOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    int64_t rank = type.getRank();
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, type, a.getDynamicSizes());
    SmallVector<Value> sizes = trailingSizes(rewriter, loc, empty);
    Value seed = a.getSeed(), step = a.getStep();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
        parallel(rank), [&](OpBuilder &b, Location l, ValueRange) {
          Value z = noiseHere(b, l, op, type.getElementType(), seed, step,
                              a.getRowOffset(), rank, sizes);
          linalg::YieldOp::create(b, l, z);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct PerturbLowering : OpConversionPattern<PerturbOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PerturbOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    int64_t rank = type.getRank();
    Value input = a.getInput();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, input),
        type.getElementType());
    SmallVector<Value> sizes = trailingSizes(rewriter, loc, input);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    Value seed = a.getSeed(), step = a.getStep();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{input, expPerUnit(rewriter, loc, a.getLogSigma())},
        ValueRange{empty},
        SmallVector<AffineMap>{id, dimMap(ctx, rank, op.getChannelDimension()),
                               id},
        parallel(rank), [&](OpBuilder &b, Location l, ValueRange args) {
          Value z = noiseHere(b, l, op, type.getElementType(), seed, step,
                              a.getRowOffset(), rank, sizes);
          Value v = arith::AddFOp::create(
              b, l, args[0], arith::MulFOp::create(b, l, args[1], z));
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// The flops.log_sigma_grad that regenerates exactly the noise of `op`
/// (same coeff, seed, step, row offset, site, antithetic, channel and
/// `like`), if any, later in the same block: the conversion has not
/// visited it yet, and every use of it comes after `op`.
LogSigmaGradOp findLogSigmaPartner(SiteDeltaOp op) {
  for (Operation *user : op.getCoeff().getUsers()) {
    auto g = dyn_cast<LogSigmaGradOp>(user);
    if (g && g->getBlock() == op->getBlock() && op->isBeforeInBlock(g) &&
        g.getSeed() == op.getSeed() && g.getStep() == op.getStep() &&
        g.getRowOffset() == op.getRowOffset() && g.getLike() == op.getLike() &&
        g.getSiteId() == op.getSiteId() &&
        g.getAntithetic() == op.getAntithetic() &&
        g.getChannelDimension() == op.getChannelDimension())
      return g;
  }
  return {};
}

struct SiteDeltaLowering : OpConversionPattern<SiteDeltaOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SiteDeltaOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    Type ft = type.getElementType();
    int64_t rank = type.getRank();
    int64_t chan = op.getChannelDimension();
    Value like = a.getLike();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, like), ft);
    SmallVector<Value> sizes = trailingSizes(rewriter, loc, like);
    MLIRContext *ctx = rewriter.getContext();
    Value seed = a.getSeed(), step = a.getStep();
    SmallVector<AffineMap> maps = {dimMap(ctx, rank, 0),
                                   dimMap(ctx, rank, chan),
                                   rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters = parallel(rank);
    SmallVector<Value> outs = {empty};
    SmallVector<Type> resultTypes = {type};

    // The log-sigma gradient of the same site regenerates the same noise:
    // both come out of one generic, which generates the noise once: Δ per
    // element and Σ coeff (z² − 1) per channel, every loop but the channel's
    // becoming a reduction (the CPU pipeline still vectorizes it along the
    // innermost dimension).
    LogSigmaGradOp partner = findLogSigmaPartner(op);
    if (partner && rank >= 2) {
      auto gType = partner.getResult().getType();
      SmallVector<Value> dyn;
      if (gType.isDynamicDim(0))
        dyn.push_back(tensor::DimOp::create(rewriter, loc, like, chan));
      Value zero =
          arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(ft, 0.0));
      Value init =
          linalg::FillOp::create(
              rewriter, loc, zero,
              ValueRange{tensor::EmptyOp::create(rewriter, loc, gType, dyn)})
              .getResult(0);
      maps.push_back(dimMap(ctx, rank, chan));
      for (int64_t d = 0; d < rank; ++d)
        if (d != chan)
          iters[d] = utils::IteratorType::reduction;
      outs.push_back(init);
      resultTypes.push_back(gType);
    } else {
      partner = {};
    }
    bool fused = static_cast<bool>(partner);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultTypes,
        ValueRange{a.getCoeff(), expPerUnit(rewriter, loc, a.getLogSigma())},
        outs, maps, iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value z = noiseHere(b, l, op, ft, seed, step, a.getRowOffset(), rank,
                              sizes);
          Value cz = arith::MulFOp::create(b, l, args[0], z);
          Value d = arith::DivFOp::create(b, l, cz, args[1]);
          if (!fused) {
            linalg::YieldOp::create(b, l, d);
            return;
          }
          // The same operations as LogSigmaGradLowering below.
          Value zz = arith::MulFOp::create(b, l, z, z);
          Value one = arith::ConstantOp::create(b, l, b.getFloatAttr(ft, 1.0));
          Value t = arith::SubFOp::create(b, l, zz, one);
          Value p = arith::MulFOp::create(b, l, args[0], t);
          Value acc = arith::AddFOp::create(b, l, args[3], p);
          linalg::YieldOp::create(b, l, ValueRange{d, acc});
        });
    if (fused)
      rewriter.replaceOp(partner, generic.getResult(1));
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LogSigmaGradLowering : OpConversionPattern<LogSigmaGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LogSigmaGradOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    Type ft = type.getElementType();
    Value like = a.getLike();
    int64_t rank = cast<RankedTensorType>(like.getType()).getRank();
    int64_t chan = op.getChannelDimension();
    SmallVector<Value> dyn;
    if (type.isDynamicDim(0))
      dyn.push_back(tensor::DimOp::create(rewriter, loc, like, chan));
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getFloatAttr(ft, 0.0));
    Value init = linalg::FillOp::create(
                     rewriter, loc, zero,
                     ValueRange{tensor::EmptyOp::create(rewriter, loc, type, dyn)})
                     .getResult(0);
    SmallVector<Value> sizes = trailingSizes(rewriter, loc, like);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<utils::IteratorType> iters(rank,
                                           utils::IteratorType::reduction);
    iters[chan] = utils::IteratorType::parallel;
    Value seed = a.getSeed(), step = a.getStep();
    // `like` is an input only to give the loops their bounds.
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{a.getCoeff(), like},
        ValueRange{init},
        SmallVector<AffineMap>{dimMap(ctx, rank, 0),
                               rewriter.getMultiDimIdentityMap(rank),
                               dimMap(ctx, rank, chan)},
        iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value z = noiseHere(b, l, op, ft, seed, step, a.getRowOffset(), rank,
                              sizes);
          Value zz = arith::MulFOp::create(b, l, z, z);
          Value one = arith::ConstantOp::create(b, l, b.getFloatAttr(ft, 1.0));
          Value t = arith::SubFOp::create(b, l, zz, one);
          Value p = arith::MulFOp::create(b, l, args[0], t);
          linalg::YieldOp::create(b, l,
                                  Value(arith::AddFOp::create(b, l, args[2], p)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void mlir::flops::populateNoiseLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<PhiloxLowering, NormalLowering, PerturbLowering,
               SiteDeltaLowering, LogSigmaGradLowering>(patterns.getContext());
}
