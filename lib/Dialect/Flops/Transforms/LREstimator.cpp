//===- LREstimator.cpp - likelihood ratio with noise on layer outputs -----===//
//
// docs/METHOD.md §2.1: per site, Δ_r = ω_r R_r ε_r / σ (flops.site_delta,
// the noise regenerated from the counter-based stream) takes the place of
// the upstream gradient in the site's weight-gradient contraction (the
// estimator rules); ĝ_ρ = Σ_r ω_r R_r (ε_r² − 1) (flops.log_sigma_grad).
// A site in the per-point prefix sums its Δ per point and applies its rules
// once after the loop. With perturb=layer-wise each row perturbs one site
// (layerWiseSite) and site k's coefficients are S ω_r R_r on its rows, 0
// elsewhere: unbiased, as each row perturbs k with probability 1/S. With the
// Gaussian or Neyman allocator each row also gets its squared-norm proxy for
// V-hat (§3.2); with antithetic pairs the unit is the pair, whose two rows
// are strongly correlated (pairSquares).
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
  /// With antithetic pairs: rowSquares' per-row terms `sq` replaced on both
  /// rows of each pair by twice the pair's squared estimate norm. The site's
  /// input is `aRows` (per row), or for a point site `pointASq` (‖a‖² of
  /// each row's point); both null when it has none.
  Value pairSquares(StepContext &ctx, Value sq, Value delta, Value aRows,
                    Value pointASq);
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

/// `t` (B rows) cast to a static row count.
static Value staticRows(OpBuilder &b, Location l, Value t, int64_t rows) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(0))
    return t;
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = rows;
  return tensor::CastOp::create(b, l, type.clone(shape), t);
}

/// Rows `parity`, parity + 2, ... of `t` (an even, static row count).
static Value everyOtherRow(OpBuilder &b, Location l, Value t, int64_t parity) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<OpFoldResult> offs(type.getRank(), b.getIndexAttr(0)),
      sizes, strides(type.getRank(), b.getIndexAttr(1));
  offs[0] = b.getIndexAttr(parity);
  strides[0] = b.getIndexAttr(2);
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(d ? type.getDimSize(d)
                                     : type.getDimSize(0) / 2));
  return tensor::ExtractSliceOp::create(b, l, t, offs, sizes, strides);
}

/// Per pair p: Σ_j t[2p, j] t[2p+1, j] (f64, half the rows of `t`).
static Value pairDots(OpBuilder &b, Location l, Value t) {
  Value even = everyOtherRow(b, l, t, 0), odd = everyOtherRow(b, l, t, 1);
  auto type = cast<RankedTensorType>(even.getType());
  Type elem = type.getElementType();
  int64_t rank = type.getRank();
  Value init = step::filled(b, l, {type.getDimSize(0)}, elem,
                            b.getFloatAttr(elem, 0.0));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::reduction);
  iters[0] = utils::IteratorType::parallel;
  AffineMap id = b.getMultiDimIdentityMap(rank);
  Value dots =
      linalg::GenericOp::create(
          b, l, TypeRange{init.getType()}, ValueRange{even, odd},
          ValueRange{init},
          SmallVector<AffineMap>{
              id, id, AffineMap::get(rank, 0, b.getAffineDimExpr(0))},
          iters,
          [&](OpBuilder &nb, Location ll, ValueRange a) {
            Value p = arith::MulFOp::create(nb, ll, a[0], a[1]);
            linalg::YieldOp::create(
                nb, ll, Value(arith::AddFOp::create(nb, ll, a[2], p)));
          })
          .getResult(0);
  return step::convertElements(b, l, dots, b.getF64Type());
}

Value LRRows::pairSquares(StepContext &ctx, Value sq, Value delta,
                          Value aRows, Value pointASq) {
  // docs/METHOD.md §3.2: a pair's estimate is (ĝ_+ + ĝ_-)/2 with ĝ_± = Δ_± ⊗
  // (a_±, 1) / ω, so 2 ‖pair‖² ω² = (sq_+ + sq_-)/2 + (Δ_+·Δ_-)(a_+·a_- + 1).
  // With the clean-loss baseline and small σ, R_- ≈ -R_+ and ε_- = -ε_+, so
  // Δ_- ≈ Δ_+: the two rows give nearly the same estimate, and counting them
  // as independent draws made V-hat half the variance.
  OpBuilder &b = ctx.b;
  Location l = ctx.loc;
  int64_t rows = ctx.batch;
  sq = staticRows(b, l, sq, rows);
  delta = staticRows(b, l, delta, rows);
  Value aDot; // a_+·a_- per pair; a point site's two rows read the same a.
  if (pointASq)
    aDot = everyOtherRow(b, l, staticRows(b, l, pointASq, rows), 0);
  else if (aRows)
    aDot = pairDots(b, l, staticRows(b, l, aRows, rows));
  Value dDot = pairDots(b, l, delta);
  SmallVector<Value> ins = {everyOtherRow(b, l, sq, 0),
                            everyOtherRow(b, l, sq, 1), dDot};
  if (aDot)
    ins.push_back(aDot);
  Value pair = step::map(
      b, l, dDot, ins, [&](OpBuilder &nb, Location ll, ValueRange v) {
        Type f64 = nb.getF64Type();
        Value half = step::constF(nb, ll, f64, 0.5);
        Value cross = v[2];
        if (v.size() > 3)
          cross = arith::MulFOp::create(
              nb, ll, cross,
              arith::AddFOp::create(nb, ll, v[3],
                                    step::constF(nb, ll, f64, 1.0)));
        Value mean = arith::MulFOp::create(
            nb, ll, half, arith::AddFOp::create(nb, ll, v[0], v[1]));
        // A squared norm, but computed as a sum whose terms cancel when the
        // pair's two estimates do (R_+ ≈ R_-, so Δ_- ≈ -Δ_+): round-off then
        // leaves it slightly negative, which V-hat's runtime rejects.
        return Value(arith::MaximumFOp::create(
            nb, ll, arith::AddFOp::create(nb, ll, mean, cross),
            step::constF(nb, ll, f64, 0.0)));
      });
  // Both rows of the pair carry it.
  auto half = cast<RankedTensorType>(pair.getType());
  Value out = tensor::EmptyOp::create(b, l, ArrayRef<int64_t>{rows},
                                      half.getElementType());
  for (int64_t parity = 0; parity < 2; ++parity)
    out = tensor::InsertSliceOp::create(
        b, l, pair, out, ArrayRef<OpFoldResult>{b.getIndexAttr(parity)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(rows / 2)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(2)});
  return out;
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
  Value asq, aRows;
  bool pointA = false;
  auto dps = cast<DestinationStyleOpInterface>(site.ops.front());
  for (Value in : dps.getDpsInputs())
    if (!ctx.info.paramOf(in)) {
      if (ctx.prefix.pointSite[k]) {
        // Per point, then expanded to the chunk's rows.
        Value pts = step::convertElements(
            b, l, step::rowSumSquares(b, l, ctx.pointValue(in)), f64);
        asq = ExpandOp::create(b, l, RankedTensorType::get({ctx.batch}, f64),
                               pts, chunk.rowMap);
        pointA = true;
      } else {
        aRows = chunk.call.getResult(ctx.extras[k].inputPos.lookup(in));
        asq = step::convertElements(b, l, step::rowSumSquares(b, l, aRows),
                                    f64);
      }
      break;
    }
  Value sq = dsq;
  if (asq)
    sq = step::map(b, l, dsq, ValueRange{dsq, asq},
                   [&](OpBuilder &nb, Location ll, ValueRange a) {
                     Value one = step::constF(nb, ll, f64, 1.0);
                     return Value(arith::MulFOp::create(
                         nb, ll, a[0], arith::AddFOp::create(nb, ll, a[1],
                                                             one)));
                   });
  // Pairs are rows (2p, 2p+1) of the whole expanded batch; a chunk starts at
  // a multiple of B, so with an odd B a pair can straddle two chunks: then
  // the rows stay the unit (V-hat about half the variance, docs/METHOD.md).
  if (!ctx.opt.antithetic || ctx.batch % 2 != 0)
    return sq;
  return pairSquares(ctx, sq, delta, aRows, pointA ? asq : Value());
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
