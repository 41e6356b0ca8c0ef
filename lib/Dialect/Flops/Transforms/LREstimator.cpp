//===- LREstimator.cpp - likelihood ratio with noise on layer outputs -----===//
//
// docs/METHOD.md §2.1: per site, Δ_r = ω_r R_r ε_r / σ (flops.site_delta,
// the noise regenerated from the counter-based stream) takes the place of
// the upstream gradient in the site's weight-gradient contraction (the
// estimator rules); ĝ_ρ = Σ_r ω_r R_r (ε_r² − 1) (flops.log_sigma_grad).
// A site in the per-point prefix sums its Δ per point and applies its rules
// once after the loop. With perturb=layer-wise each row perturbs one site
// (layerWiseSite) and site k's coefficients are S ω_r R_r on its rows, 0
// elsewhere: unbiased, as each row perturbs k with probability 1/S. With the Gaussian or Neyman allocator each row also
// gets its squared-norm proxy for V-hat (§3.2).
//
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

namespace {

class LRRows : public RowEstimator {
public:
  void addInits(StepContext &ctx, SmallVectorImpl<Value> &grads) override;
  void addAuxInits(StepContext &ctx, SmallVectorImpl<Value> &aux) override;
  void accumulate(StepContext &ctx, const QueryChunk &chunk,
                  MutableArrayRef<Value> grads,
                  MutableArrayRef<Value> aux) override;
  void accumulateAux(StepContext &ctx, const QueryChunk &chunk,
                     MutableArrayRef<Value> aux) override;
  Value finish(StepContext &ctx, SmallVectorImpl<Value> &grads,
               ArrayRef<Value> aux) override;

private:
  /// ‖Δ_r‖² (‖a_r‖² + 1) of site k's rows (f64, B rows).
  Value rowSquares(StepContext &ctx, const QueryChunk &chunk, unsigned k,
                   Value delta);
  SmallVector<unsigned> pointSites; // Sites in the per-point prefix.
  Value chunkSq;                    // Σ over sites of rowSquares.
};

} // namespace

void LRRows::addInits(StepContext &ctx, SmallVectorImpl<Value> &grads) {
  for (unsigned i : ctx.abi.trainIdx)
    grads.push_back(step::zerosLike(ctx.b, ctx.loc, ctx.arg(ctx.abi.pArg[i])));
  if (ctx.learnSigma())
    for (unsigned k = 0; k < ctx.numSites(); ++k)
      grads.push_back(
          step::zerosLike(ctx.b, ctx.loc, ctx.arg(ctx.abi.rhoArg[k])));
}

void LRRows::addAuxInits(StepContext &ctx, SmallVectorImpl<Value> &aux) {
  if (ctx.needRowSq()) // Per-row squared-norm proxies of the estimates.
    aux.push_back(step::filled(ctx.b, ctx.loc, {ctx.numRows}, ctx.f64,
                               ctx.b.getF64FloatAttr(0.0)));
  // A point site's Δ summed per point (its tail's shape, B rows).
  for (unsigned k = 0; k < ctx.numSites(); ++k)
    if (ctx.prefix.pointSite[k]) {
      pointSites.push_back(k);
      aux.push_back(step::zerosLike(
          ctx.b, ctx.loc,
          ctx.pointValue(ctx.info.groups[ctx.perturbed[k]].tail)));
    }
}

Value LRRows::rowSquares(StepContext &ctx, const QueryChunk &chunk,
                         unsigned k, Value delta) {
  OpBuilder &b = ctx.b;
  Location l = ctx.loc;
  Type f64 = ctx.f64;
  const SiteGroup &site = ctx.info.groups[ctx.perturbed[k]];
  // docs/METHOD.md §3.2: a query's squared estimate norm at a linear site
  // is R² ‖ε/σ‖² (‖a‖² + 1) = ‖Δ_r‖² (‖a_r‖² + 1) / ω_r² (divided in
  // accumulateAux); `a` is the site's first non-parameter input.
  Value dsq =
      step::convertElements(b, l, step::rowSumSquares(b, l, delta), f64);
  Value asq;
  auto dps = cast<DestinationStyleOpInterface>(site.ops.front());
  for (Value in : dps.getDpsInputs())
    if (!ctx.info.paramOf(in)) {
      if (ctx.prefix.pointSite[k]) {
        // Per point, then expanded to the chunk's rows.
        Value pts = step::convertElements(
            b, l, step::rowSumSquares(b, l, ctx.pointValue(in)), f64);
        asq = ExpandOp::create(b, l, RankedTensorType::get({ctx.batch}, f64),
                               pts, chunk.rowMap);
      } else {
        asq = step::convertElements(
            b, l,
            step::rowSumSquares(
                b, l,
                chunk.call.getResult(ctx.extras[k].inputPos.lookup(in))),
            f64);
      }
      break;
    }
  if (!asq)
    return dsq;
  return step::map(b, l, dsq, ValueRange{dsq, asq},
                   [&](OpBuilder &nb, Location ll, ValueRange a) {
                     Value one = step::constF(nb, ll, f64, 1.0);
                     return Value(arith::MulFOp::create(
                         nb, ll, a[0], arith::AddFOp::create(nb, ll, a[1],
                                                             one)));
                   });
}

/// x + y, elementwise, shaped like `like`.
static Value addMap(OpBuilder &b, Location l, Value like, Value x, Value y) {
  return step::map(b, l, like, ValueRange{x, y},
                   [](OpBuilder &nb, Location ll, ValueRange a) {
                     return Value(arith::AddFOp::create(nb, ll, a[0], a[1]));
                   });
}

void LRRows::accumulate(StepContext &ctx, const QueryChunk &chunk,
                        MutableArrayRef<Value> grads,
                        MutableArrayRef<Value> aux) {
  OpBuilder &b = ctx.b;
  Location l = ctx.loc;
  const StepABI &abi = ctx.abi;
  Value seed = ctx.arg(abi.seedArg), stepV = ctx.arg(abi.stepArg);
  unsigned numGrads = abi.trainIdx.size();
  MutableArrayRef<Value> pointDelta =
      aux.take_back(pointSites.size());
  chunkSq = Value();
  bool layerWise = ctx.opt.perturb == "layer-wise";
  int64_t numSites = ctx.numSites();
  Value phase =
      layerWise ? layerWisePhase(b, l, seed, stepV, numSites) : Value();
  for (auto [k, g] : llvm::enumerate(ctx.perturbed)) {
    const SiteGroup &site = ctx.info.groups[g];
    const SiteExtras &ex = ctx.extras[k];
    Value siteVal = chunk.call.getResult(ex.siteResult);
    UnitAttr anti = ctx.opt.antithetic ? b.getUnitAttr() : nullptr;
    // perturb=layer-wise: S ω_r R_r on the rows that perturbed site k (each
    // does with probability 1/S), 0 on the others.
    Value coeff = chunk.coeff;
    if (layerWise)
      coeff = step::map(
          b, l, coeff, ValueRange{coeff},
          [&, k = k](OpBuilder &nb, Location ll, ValueRange a) {
            Value row = arith::AddIOp::create(
                nb, ll, chunk.offset, linalg::IndexOp::create(nb, ll, 0));
            Value on = arith::CmpIOp::create(
                nb, ll, arith::CmpIPredicate::eq,
                layerWiseSite(nb, ll, phase, row, numSites,
                              ctx.opt.antithetic),
                arith::ConstantIndexOp::create(nb, ll, k));
            Type et = a[0].getType();
            Value scaled = arith::MulFOp::create(
                nb, ll, a[0], step::constF(nb, ll, et, double(numSites)));
            return Value(arith::SelectOp::create(
                nb, ll, on, scaled, step::constF(nb, ll, et, 0.0)));
          });
    Value delta = SiteDeltaOp::create(
        b, l, siteVal.getType(), coeff, ctx.arg(abi.rhoArg[k]), seed,
        stepV, chunk.offset, siteVal, b.getI64IntegerAttr(k), anti,
        b.getI64IntegerAttr(site.channelDim));
    if (ctx.needRowSq()) {
      Value term = rowSquares(ctx, chunk, k, delta);
      chunkSq = chunkSq ? addMap(b, l, term, chunkSq, term) : term;
    }
    if (ctx.prefix.pointSite[k]) {
      // Per point: the rules run once after the loop.
      auto pos = llvm::find(pointSites, k) - pointSites.begin();
      pointDelta[pos] =
          ScatterAddOp::create(b, l, pointDelta[pos].getType(), delta,
                               chunk.rowMap, pointDelta[pos]);
    } else {
      applySiteRules(
          ctx, k, delta,
          [&](Value in) {
            return chunk.call.getResult(ex.inputPos.lookup(in));
          },
          grads);
    }
    if (ctx.learnSigma()) {
      Value gr = LogSigmaGradOp::create(
          b, l, ctx.arg(abi.rhoArg[k]).getType(), coeff, seed, stepV,
          chunk.offset, siteVal, b.getI64IntegerAttr(k), anti,
          b.getI64IntegerAttr(site.channelDim));
      Value prev = grads[numGrads + k];
      grads[numGrads + k] = addMap(b, l, prev, prev, gr);
    }
  }
}

void LRRows::accumulateAux(StepContext &ctx, const QueryChunk &chunk,
                           MutableArrayRef<Value> aux) {
  if (!ctx.needRowSq())
    return;
  OpBuilder &b = ctx.b;
  Location l = ctx.loc;
  Value w64 = step::convertElements(b, l, chunk.weights, ctx.f64);
  auto chunkTy = RankedTensorType::get({ctx.batch}, ctx.f64);
  if (chunkSq.getType() != chunkTy)
    chunkSq = tensor::CastOp::create(b, l, chunkTy, chunkSq);
  Value rowSqC = step::map(b, l, chunkSq, ValueRange{chunkSq, w64},
                           [](OpBuilder &nb, Location ll, ValueRange a) {
                             Value w2 = arith::MulFOp::create(nb, ll, a[1],
                                                              a[1]);
                             return Value(
                                 arith::DivFOp::create(nb, ll, a[0], w2));
                           });
  if (rowSqC.getType() != chunkTy)
    rowSqC = tensor::CastOp::create(b, l, chunkTy, rowSqC);
  aux[0] = tensor::InsertSliceOp::create(
      b, l, rowSqC, aux[0], ValueRange{chunk.offset}, ValueRange{},
      ValueRange{}, b.getDenseI64ArrayAttr({ShapedType::kDynamic}),
      b.getDenseI64ArrayAttr({ctx.batch}), b.getDenseI64ArrayAttr({1}));
}

Value LRRows::finish(StepContext &ctx, SmallVectorImpl<Value> &grads,
                     ArrayRef<Value> aux) {
  // The point sites' estimates from their Δ summed per point: the rules are
  // linear in Δ and sum over rows, so Σ_r a_point(r) Δ_r = Σ_i a_i Σ_r Δ_r.
  ArrayRef<Value> pointDeltaSums = aux.take_back(pointSites.size());
  for (auto [pos, k] : llvm::enumerate(pointSites))
    applySiteRules(
        ctx, k, pointDeltaSums[pos],
        [&](Value v) { return ctx.pointValue(v); }, grads);
  return ctx.needRowSq() ? aux[0] : Value();
}

namespace {
class LREstimator : public Estimator {
public:
  bool queriesRows() const override { return true; }
  std::string checkOptions(const Options &) const override { return ""; }
  Estimates build(StepContext &ctx, const CleanForward &clean,
                  const Allocation &alloc) override {
    LRRows rows;
    return buildQueryLoop(ctx, clean, alloc, rows);
  }
};
} // namespace

std::unique_ptr<Estimator> train::createLREstimator() {
  return std::make_unique<LREstimator>();
}
