//===- SPSAEstimator.cpp - two-point shared-direction estimate (MeZO) -----===//
//
// docs/METHOD.md §2.3. For k = 0..K-1 (K = rows / (2 B)): every trainable
// tensor θ_j is evaluated at θ_j ± μ z_kj (μ = the `sigma` option), the
// batch-mean losses L± of the two forwards give p_k = (L+ − L−) / (2μ), and
// the estimate is ĝ_j = (1/K) Σ_k p_k z_kj. E[ĝ] is the gradient of the
// Gaussian-smoothed loss E_z[L(θ + μz)] (Stein's lemma), for any loss.
//
// z is never stored: each use (θ + μz, θ − μz, the accumulation of p_k z)
// regenerates it inside its own elementwise generic from the counter-based
// stream, with the convention of `flops.normal %seed, %step offset k·d0
// {site = j}` over θ_j's shape (dimension 0 is the row, the rest the row's
// elements, row-major; a rank-0 tensor is row k). The three generics use the
// same operands, so the z of the update is the z of the perturbation, bit
// for bit (test/Integration/CPU/spsa-regenerated-z.mlir).
//
// spsa-in-place=true (in-place MeZO, SGD without momentum): the shifts
// +μz, −2μz, +μz are generics whose only operand is the parameter tensor
// itself, so that bufferization writes the step's argument buffers; only
// p_k / K is kept (a tensor<K>), and after the loop the norm and the update
// θ − lr Σ_k (p_k / K) z_k regenerate every z_k inside their generics (an
// scf.for over k in the body). The restoration is exact up to float
// round-off (test/Integration/CPU/spsa-in-place-restore.mlir); no
// parameter-sized buffer remains after bufferization
// (flops-forward-train-spsa-in-place.mlir).
//
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

namespace {

/// The current element of a generic over `like` as (row within the
/// direction, element of the row): linalg.index 0 (none for rank 0) and the
/// row-major index of the other dimensions. Built in the generic's body.
std::pair<Value, Value> elementAt(OpBuilder &nb, Location l, Value like,
                                  ArrayRef<Value> sizes) {
  int64_t rank = cast<RankedTensorType>(like.getType()).getRank();
  Value row, elem;
  if (rank > 0)
    row = linalg::IndexOp::create(nb, l, 0);
  if (rank <= 1) {
    elem = arith::ConstantIndexOp::create(nb, l, 0);
  } else {
    elem = linalg::IndexOp::create(nb, l, 1);
    for (int64_t d = 2; d < rank; ++d)
      elem = arith::AddIOp::create(
          nb, l, arith::MulIOp::create(nb, l, elem, sizes[d]),
          linalg::IndexOp::create(nb, l, d));
  }
  return {row, elem};
}

/// A generic shaped like `like` whose body sees z (the direction's noise of
/// the current element) and the elements of `ins`, and yields fn(z, ins).
Value withDirection(StepContext &ctx, Value like, ValueRange ins, Value k,
                    unsigned site,
                    function_ref<Value(OpBuilder &, Location, Value,
                                       ValueRange)>
                        fn) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto type = cast<RankedTensorType>(like.getType());
  int64_t rank = type.getRank();
  Value seed = ctx.arg(ctx.abi.seedArg), stepV = ctx.arg(ctx.abi.stepArg);
  SmallVector<OpFoldResult> mixed = tensor::getMixedSizes(b, loc, like);
  SmallVector<Value> sizes;
  for (OpFoldResult s : mixed)
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, s));
  // First row of direction k: k · d0 (k for a rank-0 tensor).
  Value row0 = rank == 0 ? k : Value(arith::MulIOp::create(b, loc, k,
                                                           sizes[0]));
  Value empty = tensor::EmptyOp::create(b, loc, mixed, type.getElementType());
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps(ins.size() + 1, id);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ins, ValueRange{empty}, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               auto [inRow, elem] = elementAt(nb, l, like, sizes);
               Value row =
                   inRow ? Value(arith::AddIOp::create(nb, l, inRow, row0))
                         : row0;
               Value z = CounterNormalOp::create(
                   nb, l, type.getElementType(), seed, stepV, row, elem,
                   nb.getI64IntegerAttr(site), nullptr);
               linalg::YieldOp::create(nb, l, fn(nb, l, z, a.drop_back()));
             })
      .getResult(0);
}

/// θ + scale · z, elementwise.
Value shifted(StepContext &ctx, Value theta, Value k, unsigned site,
              double scale) {
  Type elem = getElementTypeOrSelf(theta);
  return withDirection(
      ctx, theta, ValueRange{theta}, k, site,
      [&](OpBuilder &nb, Location l, Value z, ValueRange a) -> Value {
        Value s = step::constF(nb, l, elem, scale);
        return arith::AddFOp::create(nb, l, a[0],
                                     arith::MulFOp::create(nb, l, s, z));
      });
}

/// Direction k's noise z at element `at` (elementAt) of a tensor like
/// `like`: the stream of withDirection (row k · d0 + i0, or k for rank 0).
Value directionAt(StepContext &ctx, OpBuilder &nb, Location l, Value like,
                  ArrayRef<Value> sizes, std::pair<Value, Value> at, Value k,
                  unsigned site) {
  Value row = k;
  if (at.first)
    row = arith::AddIOp::create(nb, l, at.first,
                                arith::MulIOp::create(nb, l, k, sizes[0]));
  return CounterNormalOp::create(
      nb, l, getElementTypeOrSelf(like), ctx.arg(ctx.abi.seedArg),
      ctx.arg(ctx.abi.stepArg), row, at.second, nb.getI64IntegerAttr(site),
      nullptr);
}

SmallVector<Value> sizesOf(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> sizes;
  for (OpFoldResult s : tensor::getMixedSizes(b, loc, t))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, s));
  return sizes;
}

/// Σ_k c[k] z_k at the current element (an scf.for over the K directions
/// inside the body: z is regenerated, never stored).
Value combinedDirections(StepContext &ctx, OpBuilder &nb, Location l,
                         Value like, ArrayRef<Value> sizes, Value coeffs,
                         int64_t numDirs, unsigned site) {
  Type elem = getElementTypeOrSelf(like);
  std::pair<Value, Value> at = elementAt(nb, l, like, sizes);
  Value c0 = arith::ConstantIndexOp::create(nb, l, 0);
  Value c1 = arith::ConstantIndexOp::create(nb, l, 1);
  Value cK = arith::ConstantIndexOp::create(nb, l, numDirs);
  auto loop = scf::ForOp::create(
      nb, l, c0, cK, c1, ValueRange{step::constF(nb, l, elem, 0.0)},
      [&](OpBuilder &fb, Location fl, Value k, ValueRange acc) {
        Value c = tensor::ExtractOp::create(fb, fl, coeffs, ValueRange{k});
        Value z = directionAt(ctx, fb, fl, like, sizes, at, k, site);
        scf::YieldOp::create(
            fb, fl,
            ValueRange{arith::AddFOp::create(
                fb, fl, acc[0], arith::MulFOp::create(fb, fl, c, z))});
      });
  return loop.getResult(0);
}

/// θ + scale · z_k, written into θ's own buffer (the generic's only
/// operand is its init θ).
Value shiftInPlace(StepContext &ctx, Value theta, Value k, unsigned site,
                   double scale) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto type = cast<RankedTensorType>(theta.getType());
  SmallVector<Value> sizes = sizesOf(b, loc, theta);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{}, ValueRange{theta},
             ArrayRef<AffineMap>{id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value z = directionAt(ctx, nb, l, theta, sizes,
                                     elementAt(nb, l, theta, sizes), k, site);
               Value s = step::constF(nb, l, type.getElementType(), scale);
               linalg::YieldOp::create(
                   nb, l,
                   ValueRange{arith::AddFOp::create(
                       nb, l, a[0], arith::MulFOp::create(nb, l, s, z))});
             })
      .getResult(0);
}

/// Mean over the batch of the per-row loss of the forward at `params`.
Value batchLoss(StepContext &ctx, ArrayRef<Value> params) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto call = func::CallOp::create(b, loc, ctx.info.fn,
                                   ctx.forwardArgs(ctx.data, params));
  SmallVector<Value> outs = ctx.castResults(call.getResults(), ctx.batch);
  Value rows = rowLoss(b, loc, ctx.opt, ctx.module, outs,
                       ctx.arg(ctx.abi.labelArg))
                   .first;
  return arith::MulFOp::create(b, loc, step::sumAll(b, loc, rows),
                               ctx.constF(1.0 / double(ctx.batch)));
}

class SPSAEstimator : public Estimator {
public:
  bool queriesRows() const override { return false; }
  int64_t rowsPerUnit() const override { return 2; }
  std::string checkOptions(const Options &opt) const override {
    if (opt.allocator != "uniform")
      return "estimator=spsa perturbs the weights, shared by all points of "
             "the batch: it has no per-point allocation (allocator must be "
             "uniform, got '" + opt.allocator + "')";
    if (opt.weighting != "per-point")
      return "estimator=spsa has no row weights (weighting=" +
             opt.weighting + " has no effect; leave the default)";
    if (opt.baseline != "clean")
      return "estimator=spsa takes a central difference, which needs no "
             "baseline (baseline=" + opt.baseline + " has no effect)";
    if (opt.spsaInPlace && opt.optimizer != "sgd")
      return "spsa-in-place updates the parameters with plain SGD (got "
             "optimizer=" + opt.optimizer + ": its moments are parameter-"
             "sized state)";
    if (opt.spsaInPlace && opt.momentum != 0.0)
      return "spsa-in-place updates the parameters with plain SGD: momentum "
             "must be 0 (a momentum buffer is parameter-sized state), got " +
             std::to_string(opt.momentum);
    return "";
  }
  Estimates build(StepContext &ctx, const CleanForward &clean,
                  const Allocation &) override;

private:
  /// spsa-in-place: the perturbations, their restoration and the update in
  /// the parameters' own buffers.
  Estimates buildInPlace(StepContext &ctx);
  /// ||Σ_k c_k z_kj||² of trainable tensor j, z regenerated.
  Value normSquared(StepContext &ctx, Value theta, Value coeffs,
                    int64_t numDirs, unsigned site);
  /// θ − lr · scale · Σ_k c_k z_k, in θ's buffer (scale null: 1).
  Value update(StepContext &ctx, Value theta, Value coeffs, int64_t numDirs,
               unsigned site, Value lrScaled);
};

} // namespace

Value SPSAEstimator::normSquared(StepContext &ctx, Value theta,
                                 Value coeffs, int64_t numDirs,
                                 unsigned site) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto type = cast<RankedTensorType>(theta.getType());
  Type elem = type.getElementType();
  SmallVector<Value> sizes = sizesOf(b, loc, theta);
  int64_t rank = type.getRank();
  Value init = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({}, elem),
      ValueRange{step::constF(b, loc, elem, 0.0)});
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank),
                              AffineMap::get(rank, 0, b.getContext())};
  Value sq =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{theta},
          ValueRange{init}, maps,
          SmallVector<utils::IteratorType>(rank,
                                           utils::IteratorType::reduction),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value g = combinedDirections(ctx, nb, l, theta, sizes, coeffs,
                                         numDirs, site);
            linalg::YieldOp::create(
                nb, l,
                ValueRange{arith::AddFOp::create(
                    nb, l, a[1], arith::MulFOp::create(nb, l, g, g))});
          })
          .getResult(0);
  Value v = tensor::ExtractOp::create(b, loc, sq, ValueRange{});
  if (elem != ctx.ft)
    v = elem.getIntOrFloatBitWidth() < ctx.ft.getIntOrFloatBitWidth()
            ? Value(arith::ExtFOp::create(b, loc, ctx.ft, v))
            : Value(arith::TruncFOp::create(b, loc, ctx.ft, v));
  return v;
}

Value SPSAEstimator::update(StepContext &ctx, Value theta, Value coeffs,
                            int64_t numDirs, unsigned site, Value scale) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto type = cast<RankedTensorType>(theta.getType());
  Type elem = type.getElementType();
  SmallVector<Value> sizes = sizesOf(b, loc, theta);
  auto toElem = [&](OpBuilder &nb, Location l, Value v) -> Value {
    if (!v || elem == ctx.ft)
      return v;
    if (elem.getIntOrFloatBitWidth() < ctx.ft.getIntOrFloatBitWidth())
      return arith::TruncFOp::create(nb, l, elem, v);
    return arith::ExtFOp::create(nb, l, elem, v);
  };
  Value lr = toElem(b, loc, ctx.arg(ctx.abi.lrArg));
  Value s = toElem(b, loc, scale);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{}, ValueRange{theta},
             ArrayRef<AffineMap>{id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               // The optimizer's form with momentum 0: θ − lr · (g · s).
               Value g = combinedDirections(ctx, nb, l, theta, sizes, coeffs,
                                            numDirs, site);
               if (s)
                 g = arith::MulFOp::create(nb, l, g, s);
               linalg::YieldOp::create(
                   nb, l,
                   ValueRange{arith::SubFOp::create(
                       nb, l, a[0], arith::MulFOp::create(nb, l, lr, g))});
             })
      .getResult(0);
}

Estimates SPSAEstimator::buildInPlace(StepContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const StepABI &abi = ctx.abi;
  double mu = ctx.opt.sigma;
  int64_t numDirs = ctx.numRows / (2 * ctx.batch);
  unsigned numGrads = abi.trainIdx.size();
  SmallVector<Value> inits;
  for (unsigned i : abi.trainIdx)
    inits.push_back(ctx.arg(abi.pArg[i]));
  inits.push_back(ctx.constF(0.0)); // Σ L+ + L−.
  // p_k / K, one scalar per direction: all that is kept of the directions.
  inits.push_back(tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{numDirs},
                                          ctx.ft));
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cK = arith::ConstantIndexOp::create(b, loc, numDirs);
  auto loop = scf::ForOp::create(
      b, loc, c0, cK, c1, inits,
      [&](OpBuilder &lb, Location l, Value k, ValueRange acc) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
        SmallVector<Value> params;
        for (unsigned i = 0; i < ctx.numParams(); ++i)
          params.push_back(ctx.arg(abi.pArg[i]));
        auto shiftAll = [&](double scale) {
          for (auto [j, i] : llvm::enumerate(abi.trainIdx))
            params[i] = shiftInPlace(ctx, params[i], k, j, scale);
        };
        for (auto [j, i] : llvm::enumerate(abi.trainIdx))
          params[i] = acc[j];
        shiftAll(mu); // θ + μz
        Value lossPlus = batchLoss(ctx, params);
        shiftAll(-2.0 * mu); // θ − μz
        Value lossMinus = batchLoss(ctx, params);
        shiftAll(mu); // θ, up to round-off (docs/METHOD.md §2.3)
        Value p = arith::MulFOp::create(
            b, l, arith::SubFOp::create(b, l, lossPlus, lossMinus),
            ctx.constF(1.0 / (2.0 * mu * double(numDirs))));
        SmallVector<Value> next;
        for (unsigned j = 0; j < numGrads; ++j)
          next.push_back(params[abi.trainIdx[j]]);
        next.push_back(arith::AddFOp::create(
            b, l, acc[numGrads],
            arith::AddFOp::create(b, l, lossPlus, lossMinus)));
        next.push_back(tensor::InsertOp::create(b, l, p, acc[numGrads + 1],
                                                ValueRange{k}));
        scf::YieldOp::create(b, l, next);
      });
  ValueRange res = loop.getResults();
  Value coeffs = res[numGrads + 1];
  Value normSq = ctx.constF(0.0);
  for (unsigned j = 0; j < numGrads; ++j)
    normSq = arith::AddFOp::create(
        b, loc, normSq, normSquared(ctx, res[j], coeffs, numDirs, j));
  Estimates out;
  out.norm = math::SqrtOp::create(b, loc, normSq);
  Value scale;
  if (ctx.opt.clipNorm > 0.0)
    scale = arith::MinimumFOp::create(
        b, loc,
        arith::DivFOp::create(
            b, loc, ctx.constF(ctx.opt.clipNorm),
            arith::AddFOp::create(b, loc, out.norm, ctx.constF(1e-6))),
        ctx.constF(1.0));
  for (unsigned j = 0; j < numGrads; ++j)
    out.updated.push_back(update(ctx, res[j], coeffs, numDirs, j, scale));
  out.rowLossMean = arith::MulFOp::create(
      b, loc, res[numGrads], ctx.constF(1.0 / double(2 * numDirs)));
  return out;
}

Estimates SPSAEstimator::build(StepContext &ctx, const CleanForward &clean,
                               const Allocation &) {
  if (ctx.inPlace())
    return buildInPlace(ctx);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const StepABI &abi = ctx.abi;
  double mu = ctx.opt.sigma;
  int64_t numDirs = ctx.numRows / (2 * ctx.batch);
  SmallVector<Value> inits;
  for (unsigned i : abi.trainIdx)
    inits.push_back(step::zerosLike(b, loc, ctx.arg(abi.pArg[i])));
  inits.push_back(ctx.constF(0.0)); // Σ L+ + L−.
  unsigned numGrads = abi.trainIdx.size();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cK = arith::ConstantIndexOp::create(b, loc, numDirs);
  auto loop = scf::ForOp::create(
      b, loc, c0, cK, c1, inits,
      [&](OpBuilder &lb, Location l, Value k, ValueRange acc) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
        SmallVector<Value> plus, minus;
        for (unsigned i = 0; i < ctx.numParams(); ++i) {
          plus.push_back(ctx.arg(abi.pArg[i]));
          minus.push_back(ctx.arg(abi.pArg[i]));
        }
        for (auto [j, i] : llvm::enumerate(abi.trainIdx))
          plus[i] = shifted(ctx, plus[i], k, j, mu);
        Value lossPlus = batchLoss(ctx, plus);
        for (auto [j, i] : llvm::enumerate(abi.trainIdx))
          minus[i] = shifted(ctx, minus[i], k, j, -mu);
        Value lossMinus = batchLoss(ctx, minus);
        // p_k / K = (L+ − L−) / (2 μ K).
        Value p = arith::MulFOp::create(
            b, l, arith::SubFOp::create(b, l, lossPlus, lossMinus),
            ctx.constF(1.0 / (2.0 * mu * double(numDirs))));
        SmallVector<Value> next;
        for (unsigned j = 0; j < numGrads; ++j) {
          Value g = acc[j];
          Type elem = getElementTypeOrSelf(g);
          Value pe = p;
          if (elem.getIntOrFloatBitWidth() < ctx.ft.getIntOrFloatBitWidth())
            pe = arith::TruncFOp::create(b, l, elem, p);
          else if (elem != ctx.ft)
            pe = arith::ExtFOp::create(b, l, elem, p);
          next.push_back(withDirection(
              ctx, g, ValueRange{g}, k, j,
              [&](OpBuilder &nb, Location nl, Value z,
                  ValueRange a) -> Value {
                return arith::AddFOp::create(
                    nb, nl, a[0], arith::MulFOp::create(nb, nl, pe, z));
              }));
        }
        next.push_back(arith::AddFOp::create(
            b, l, acc[numGrads],
            arith::AddFOp::create(b, l, lossPlus, lossMinus)));
        scf::YieldOp::create(b, l, next);
      });
  Estimates out;
  ValueRange res = loop.getResults();
  out.grads.assign(res.begin(), res.begin() + numGrads);
  out.rowLossMean = arith::MulFOp::create(
      b, loc, res[numGrads], ctx.constF(1.0 / double(2 * numDirs)));
  return out;
}

std::unique_ptr<Estimator> train::createSPSAEstimator() {
  return std::make_unique<SPSAEstimator>();
}
