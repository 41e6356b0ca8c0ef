//===- ESEstimator.cpp - evolution strategies, per-query weight noise -----===//
//
// docs/METHOD.md §2.2. Every query row r evaluates the forward at its own
// parameters θ + σ ε_r (σ = the `sigma` option, fixed), and the estimate is
// ĝ_θ = Σ_r ω_r R_r ε_r / σ with the allocation's row weights ω_r and the
// residuals R_r of the LR query loop. E[ĝ] is the gradient of the Gaussian-
// smoothed loss (Stein's lemma), for any loss.
//
// No row's weights are materialised: the rows function (@<entry>_rows, the
// forward without a per-point prefix) replaces every op of a perturbed site
// that reads a trainable parameter by a linalg.generic with the op's maps
// and body in which the parameter's element is w + σ ε, ε regenerated from
// the counter-based stream: `flops.counter_normal %seed, %step, row, elem
// {site = i}` with row the query row (the chunk's offset plus the op's row
// index), elem the element's row-major index in the parameter and i the
// parameter's position. So a matmul computes Σ_k x_rk (W_kj + σ ε_rkj) on
// the fly, and a convolution the same per tap (one normal per
// multiply-add: correct, and about as costly as the normals of the
// weights times the output pixels). The estimate regenerates the same ε in
// a generic per parameter that reduces over the chunk's rows. With
// antithetic pairs odd rows take −ε of the row before (counter_normal's
// convention), so a pair's R difference is a central difference.
//
// es-rank=r (EGGROLL): a trainable matrix W read as the W of a
// linalg.matmul x W gets ε = a bᵀ/√r per row; the rows function computes
// x W + σ/√r (x a) bᵀ without forming ε, and the estimate contracts
// (ω R a / σ√r) with b over the chunk's rows and the rank. Other reads of a
// matrix and parameters of rank > 2 (convolution filters) are errors.
//
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

namespace {

/// `e` on the loop indices `dims` (index arithmetic).
Value evalExpr(OpBuilder &b, Location l, AffineExpr e, ArrayRef<Value> dims) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return dims[d.getPosition()];
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return arith::ConstantIndexOp::create(b, l, c.getValue());
  auto bin = cast<AffineBinaryOpExpr>(e);
  Value x = evalExpr(b, l, bin.getLHS(), dims);
  Value y = evalExpr(b, l, bin.getRHS(), dims);
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return arith::AddIOp::create(b, l, x, y);
  case AffineExprKind::Mul:
    return arith::MulIOp::create(b, l, x, y);
  case AffineExprKind::Mod:
    return arith::RemSIOp::create(b, l, x, y);
  case AffineExprKind::FloorDiv:
    return arith::FloorDivSIOp::create(b, l, x, y);
  default:
    return arith::CeilDivSIOp::create(b, l, x, y);
  }
}

/// Row-major index of `idx` in a tensor of `shape`.
Value linearIndex(OpBuilder &b, Location l, ArrayRef<Value> idx,
                  ArrayRef<int64_t> shape) {
  if (idx.empty())
    return arith::ConstantIndexOp::create(b, l, 0);
  Value e = idx[0];
  for (size_t d = 1; d < idx.size(); ++d)
    e = arith::AddIOp::create(
        b, l,
        arith::MulIOp::create(b, l, e,
                              arith::ConstantIndexOp::create(b, l, shape[d])),
        idx[d]);
  return e;
}

/// es-rank=r (EGGROLL): the noise of a K x N matmul weight on row `row` is
/// ε = a bᵀ / √r with a (K x r) and b (N x r) standard normal, from the
/// parameter's own stream: a[k, i] at element i·K + k, b[n, i] at element
/// r·K + i·N + n. With antithetic pairs a flips sign on odd rows
/// (counter_normal's convention) and b is the pair's (the even row's), so
/// the odd row's ε is −ε of the row before.
Value lowRankA(OpBuilder &nb, Location l, Type et, ValueRange noise, Value row,
               Value i, Value k, int64_t numK, unsigned site, bool anti) {
  Value elem = arith::AddIOp::create(
      nb, l,
      arith::MulIOp::create(nb, l, i,
                            arith::ConstantIndexOp::create(nb, l, numK)),
      k);
  return CounterNormalOp::create(nb, l, et, noise[0], noise[1], row, elem,
                                 nb.getI64IntegerAttr(site),
                                 anti ? nb.getUnitAttr() : nullptr);
}
Value lowRankB(OpBuilder &nb, Location l, Type et, ValueRange noise, Value row,
               Value i, Value n, int64_t numK, int64_t numN, int64_t rank,
               unsigned site, bool anti) {
  if (anti) // The pair's even row.
    row = arith::SubIOp::create(
        nb, l, row,
        arith::RemUIOp::create(nb, l, row,
                               arith::ConstantIndexOp::create(nb, l, 2)));
  Value elem = arith::AddIOp::create(
      nb, l,
      arith::ConstantIndexOp::create(nb, l, rank * numK),
      arith::AddIOp::create(
          nb, l,
          arith::MulIOp::create(nb, l, i,
                                arith::ConstantIndexOp::create(nb, l, numN)),
          n));
  return CounterNormalOp::create(nb, l, et, noise[0], noise[1], row, elem,
                                 nb.getI64IntegerAttr(site), nullptr);
}

/// Whether parameter `p` gets low-rank noise: es-rank > 0 and a matrix.
bool lowRank(const Options &opt, const ForwardInfo &info, unsigned p) {
  func::FuncOp fn = info.fn;
  auto t = cast<RankedTensorType>(
      fn.getArgument(info.paramArgs[p]).getType());
  return opt.esRank > 0 && t.getRank() == 2;
}

/// y = x W + σ/√r Σ_i (x a_i) b_iᵀ per row, for a linalg.matmul whose
/// right operand is the low-rank parameter `p`: the clean matmul, u = x a
/// (rows x r), then the rank-r correction; no K x N noise is formed.
void cloneLowRankMatmul(OpBuilder &rb, linalg::LinalgOp lop, IRMapping &map,
                        const Options &opt, ValueRange noise, unsigned p) {
  Location loc = lop.getLoc();
  MLIRContext *mc = rb.getContext();
  Value x = map.lookupOrDefault(lop.getDpsInputs()[0]);
  auto wt = cast<RankedTensorType>(lop.getDpsInputs()[1].getType());
  int64_t numK = wt.getDimSize(0), numN = wt.getDimSize(1), r = opt.esRank;
  Type et = wt.getElementType();
  Value y0 = rb.clone(*lop.getOperation(), map)->getResult(0);
  // u[m, i] = Σ_k x[m, k] a[m; k, i].
  SmallVector<OpFoldResult> uSizes{tensor::getMixedSize(rb, loc, x, 0),
                                   rb.getIndexAttr(r)};
  Value uInit = linalg::FillOp::create(
                    rb, loc, step::constF(rb, loc, et, 0.0),
                    tensor::EmptyOp::create(rb, loc, uSizes, et).getResult())
                    .getResult(0);
  auto d = [&](unsigned i) { return getAffineDimExpr(i, mc); };
  using IT = utils::IteratorType;
  Value u =
      linalg::GenericOp::create(
          rb, loc, TypeRange{uInit.getType()}, ValueRange{x},
          ValueRange{uInit},
          ArrayRef<AffineMap>{AffineMap::get(3, 0, {d(0), d(2)}, mc),
                              AffineMap::get(3, 0, {d(0), d(1)}, mc)},
          ArrayRef<IT>{IT::parallel, IT::parallel, IT::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value row = arith::AddIOp::create(
                nb, l, noise[2], linalg::IndexOp::create(nb, l, 0));
            Value z = lowRankA(nb, l, et, noise, row,
                               linalg::IndexOp::create(nb, l, 1),
                               linalg::IndexOp::create(nb, l, 2), numK, p,
                               opt.antithetic);
            Value xa = a[0];
            linalg::YieldOp::create(
                nb, l,
                ValueRange{arith::AddFOp::create(
                    nb, l, a[1], arith::MulFOp::create(nb, l, xa, z))});
          })
          .getResult(0);
  // y[m, n] = y0[m, n] + σ/√r Σ_i u[m, i] b[m; n, i].
  double scale = opt.sigma / std::sqrt(double(r));
  Value y =
      linalg::GenericOp::create(
          rb, loc, TypeRange{y0.getType()}, ValueRange{u}, ValueRange{y0},
          ArrayRef<AffineMap>{AffineMap::get(3, 0, {d(0), d(2)}, mc),
                              AffineMap::get(3, 0, {d(0), d(1)}, mc)},
          ArrayRef<IT>{IT::parallel, IT::parallel, IT::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value row = arith::AddIOp::create(
                nb, l, noise[2], linalg::IndexOp::create(nb, l, 0));
            Value z = lowRankB(nb, l, et, noise, row,
                               linalg::IndexOp::create(nb, l, 2),
                               linalg::IndexOp::create(nb, l, 1), numK, numN,
                               r, p, opt.antithetic);
            Value t = arith::MulFOp::create(
                nb, l, step::constF(nb, l, et, scale),
                arith::MulFOp::create(nb, l, a[0], z));
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, a[1], t)});
          })
          .getResult(0);
  map.map(lop->getResult(0), y);
}

/// The rows function's copy of site op `op`, with every trainable parameter
/// it reads perturbed per row; failure after a diagnostic.
LogicalResult clonePerturbed(OpBuilder &rb, Operation &op, IRMapping &map,
                             const ForwardInfo &info, const Options &opt,
                             ValueRange noiseArgs) {
  auto bad = [&](const Twine &why) {
    return op.emitError("estimator=es perturbs each parameter where an op "
                        "reads it: ")
           << why;
  };
  if (info.captured.count(&op))
    return bad("this op reads a parameter inside its body");
  auto lop = dyn_cast<linalg::LinalgOp>(&op);
  if (!lop || op.getNumResults() != 1 || !lop.hasPureTensorSemantics())
    return bad("this op is not a linalg op on tensors with one result");
  SmallVector<std::pair<unsigned, unsigned>> reads; // Operand -> param.
  for (OpOperand *in : lop.getDpsInputOperands()) {
    auto p = info.paramOf(in->get());
    if (!p)
      continue;
    Operation *view = info.viewOp(in->get());
    if (view && !isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(view))
      return bad("the parameter is read through a permuting copy");
    auto t = dyn_cast<RankedTensorType>(in->get().getType());
    if (!t || !t.hasStaticShape())
      return bad("the parameter's shape is not static");
    reads.push_back({in->getOperandNumber(), *p});
  }
  for (OpOperand &o : lop.getDpsInitsMutable())
    if (info.paramOf(o.get()))
      return bad("a parameter is this op's init");
  if (reads.empty()) {
    rb.clone(op, map);
    return success();
  }
  if (opt.esRank > 0) {
    for (auto [opnd, p] : reads) {
      int64_t rank =
          cast<RankedTensorType>(lop->getOperand(opnd).getType()).getRank();
      if (rank > 2)
        return bad("es-rank=" + Twine(opt.esRank) +
                   " builds low-rank noise for matmul weights only; this op "
                   "reads a rank-" + Twine(rank) +
                   " parameter (a convolution's?): use es-rank=0");
      if (!lowRank(opt, info, p))
        continue;
      auto mm = dyn_cast<linalg::MatmulOp>(&op);
      if (!mm || mm.hasUserDefinedMaps() || opnd != 1 || reads.size() != 1 ||
          info.viewOp(lop->getOperand(opnd)))
        return bad("es-rank=" + Twine(opt.esRank) +
                   " builds low-rank noise for a matrix parameter read as "
                   "the right operand W of a linalg.matmul x W; this op "
                   "reads one otherwise: use es-rank=0");
      cloneLowRankMatmul(rb, lop, map, opt, noiseArgs, p);
      return success();
    }
  }
  AffineMap outMap = lop.getMatchingIndexingMap(lop.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0 || !isa<AffineDimExpr>(outMap.getResult(0)))
    return bad("the result's row dimension is not a loop of the op");
  auto rowDim = cast<AffineDimExpr>(outMap.getResult(0));
  SmallVector<Value> ins, outs;
  for (Value v : lop.getDpsInputs())
    ins.push_back(map.lookupOrDefault(v));
  for (Value v : lop.getDpsInits())
    outs.push_back(map.lookupOrDefault(v));
  SmallVector<AffineMap> maps = lop.getIndexingMapsArray();
  Block *orig = lop.getBlock();
  Value seed = noiseArgs[0], stepV = noiseArgs[1], offset = noiseArgs[2];
  UnitAttr anti = opt.antithetic ? rb.getUnitAttr() : nullptr;
  auto gen = linalg::GenericOp::create(
      rb, op.getLoc(), op.getResultTypes(), ins, outs, maps,
      lop.getIteratorTypesArray(),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        IRMapping bm = map;
        for (auto [a, n] : llvm::zip(orig->getArguments(), args))
          bm.map(a, n);
        SmallVector<Value> dims;
        for (unsigned d = 0; d < lop.getNumLoops(); ++d)
          dims.push_back(linalg::IndexOp::create(nb, l, d));
        Value row =
            arith::AddIOp::create(nb, l, offset, dims[rowDim.getPosition()]);
        for (auto [opnd, p] : reads) {
          auto shape =
              cast<RankedTensorType>(lop->getOperand(opnd).getType())
                  .getShape();
          SmallVector<Value> idx;
          for (AffineExpr e : maps[opnd].getResults())
            idx.push_back(evalExpr(nb, l, e, dims));
          Value elem = linearIndex(nb, l, idx, shape);
          Type et = args[opnd].getType();
          Value z = CounterNormalOp::create(nb, l, et, seed, stepV, row, elem,
                                            nb.getI64IntegerAttr(p), anti);
          Value s = step::constF(nb, l, et, opt.sigma);
          bm.map(orig->getArgument(opnd),
                 arith::AddFOp::create(nb, l, args[opnd],
                                       arith::MulFOp::create(nb, l, s, z)));
        }
        for (Operation &bop : orig->without_terminator())
          nb.clone(bop, bm);
        SmallVector<Value> yields;
        for (Value v : orig->getTerminator()->getOperands())
          yields.push_back(bm.lookupOrDefault(v));
        linalg::YieldOp::create(nb, l, yields);
      });
  map.map(op.getResult(0), gen.getResult(0));
  return success();
}

/// The estimate Σ_r ω_r R_r ε_r / σ, per trainable parameter and chunk.
class ESRows : public RowEstimator {
public:
  void addInits(StepContext &ctx, SmallVectorImpl<Value> &grads) override {
    for (unsigned i : ctx.abi.trainIdx)
      grads.push_back(
          step::zerosLike(ctx.b, ctx.loc, ctx.arg(ctx.abi.pArg[i])));
  }
  void addAuxInits(StepContext &, SmallVectorImpl<Value> &) override {}
  void accumulate(StepContext &ctx, const QueryChunk &chunk,
                  MutableArrayRef<Value> grads,
                  MutableArrayRef<Value>) override;
  void accumulateAux(StepContext &, const QueryChunk &,
                     MutableArrayRef<Value>) override {}
  Value finish(StepContext &, SmallVectorImpl<Value> &,
               ArrayRef<Value>) override {
    return Value();
  }
};

/// g += Σ_m (ω_m R_m / σ) a_m b_mᵀ / √r for a low-rank parameter: the
/// chunk's P[m, i, k] = c_m a / (σ √r) and Q[m, i, n] = b (B x r x K and
/// B x r x N), contracted over (m, i).
static Value accumulateLowRank(StepContext &ctx, const QueryChunk &chunk,
                               Value g, unsigned p) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  MLIRContext *mc = b.getContext();
  auto type = cast<RankedTensorType>(g.getType());
  Type et = type.getElementType();
  int64_t numK = type.getDimSize(0), numN = type.getDimSize(1);
  int64_t r = ctx.opt.esRank, rowsB = ctx.batch;
  Value noise[3] = {ctx.arg(ctx.abi.seedArg), ctx.arg(ctx.abi.stepArg),
                    chunk.offset};
  bool anti = ctx.opt.antithetic;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, mc); };
  using IT = utils::IteratorType;
  double scale = 1.0 / (ctx.opt.sigma * std::sqrt(double(r)));
  // P: c_m a[m; k, i] · scale, over (m, i, k).
  auto pType = RankedTensorType::get({rowsB, r, numK}, et);
  Value pT =
      linalg::GenericOp::create(
          b, loc, TypeRange{pType}, ValueRange{chunk.coeff},
          ValueRange{tensor::EmptyOp::create(b, loc, pType.getShape(), et)},
          ArrayRef<AffineMap>{AffineMap::get(3, 0, {d(0)}, mc),
                              AffineMap::getMultiDimIdentityMap(3, mc)},
          SmallVector<IT>(3, IT::parallel),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value row = arith::AddIOp::create(
                nb, l, noise[2], linalg::IndexOp::create(nb, l, 0));
            Value z = lowRankA(nb, l, et, noise, row,
                               linalg::IndexOp::create(nb, l, 1),
                               linalg::IndexOp::create(nb, l, 2), numK, p,
                               anti);
            Value c = a[0];
            if (c.getType() != et)
              c = et.getIntOrFloatBitWidth() <
                          c.getType().getIntOrFloatBitWidth()
                      ? Value(arith::TruncFOp::create(nb, l, et, c))
                      : Value(arith::ExtFOp::create(nb, l, et, c));
            Value t = arith::MulFOp::create(
                nb, l,
                arith::MulFOp::create(nb, l, c,
                                      step::constF(nb, l, et, scale)),
                z);
            linalg::YieldOp::create(nb, l, ValueRange{t});
          })
          .getResult(0);
  // Q: b[m; n, i], over (m, i, n).
  auto qType = RankedTensorType::get({rowsB, r, numN}, et);
  Value qT =
      linalg::GenericOp::create(
          b, loc, TypeRange{qType}, ValueRange{},
          ValueRange{tensor::EmptyOp::create(b, loc, qType.getShape(), et)},
          ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(3, mc)},
          SmallVector<IT>(3, IT::parallel),
          [&](OpBuilder &nb, Location l, ValueRange) {
            Value row = arith::AddIOp::create(
                nb, l, noise[2], linalg::IndexOp::create(nb, l, 0));
            Value z = lowRankB(nb, l, et, noise, row,
                               linalg::IndexOp::create(nb, l, 1),
                               linalg::IndexOp::create(nb, l, 2), numK, numN,
                               r, p, anti);
            linalg::YieldOp::create(nb, l, ValueRange{z});
          })
          .getResult(0);
  // g[k, n] += Σ_{m, i} P[m, i, k] Q[m, i, n]; loops (k, n, m, i).
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{pT, qT}, ValueRange{g},
             ArrayRef<AffineMap>{
                 AffineMap::get(4, 0, {d(2), d(3), d(0)}, mc),
                 AffineMap::get(4, 0, {d(2), d(3), d(1)}, mc),
                 AffineMap::get(4, 0, {d(0), d(1)}, mc)},
             ArrayRef<IT>{IT::parallel, IT::parallel, IT::reduction,
                          IT::reduction},
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(
                   nb, l,
                   ValueRange{arith::AddFOp::create(
                       nb, l, a[2], arith::MulFOp::create(nb, l, a[0], a[1]))});
             })
      .getResult(0);
}

void ESRows::accumulate(StepContext &ctx, const QueryChunk &chunk,
                        MutableArrayRef<Value> grads, MutableArrayRef<Value>) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  MLIRContext *mc = b.getContext();
  Value seed = ctx.arg(ctx.abi.seedArg), stepV = ctx.arg(ctx.abi.stepArg);
  UnitAttr anti = ctx.opt.antithetic ? b.getUnitAttr() : nullptr;
  for (auto [j, i] : llvm::enumerate(ctx.abi.trainIdx)) {
    if (lowRank(ctx.opt, ctx.info, i)) {
      grads[j] = accumulateLowRank(ctx, chunk, grads[j], i);
      continue;
    }
    auto type = cast<RankedTensorType>(grads[j].getType());
    unsigned rank = type.getRank();
    // Loops (r, e_0, ..., e_{n-1}): the rows reduce into the parameter.
    SmallVector<AffineExpr> elems;
    for (unsigned d = 1; d <= rank; ++d)
      elems.push_back(getAffineDimExpr(d, mc));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank + 1, 0, {getAffineDimExpr(0, mc)}, mc),
        AffineMap::get(rank + 1, 0, elems, mc)};
    SmallVector<utils::IteratorType> iters(rank + 1,
                                           utils::IteratorType::parallel);
    iters[0] = utils::IteratorType::reduction;
    Type et = type.getElementType();
    grads[j] =
        linalg::GenericOp::create(
            b, loc, TypeRange{type}, ValueRange{chunk.coeff},
            ValueRange{grads[j]}, maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange a) {
              SmallVector<Value> idx;
              for (unsigned d = 1; d <= rank; ++d)
                idx.push_back(linalg::IndexOp::create(nb, l, d));
              Value row = arith::AddIOp::create(
                  nb, l, chunk.offset, linalg::IndexOp::create(nb, l, 0));
              Value elem = linearIndex(nb, l, idx, type.getShape());
              Value z = CounterNormalOp::create(
                  nb, l, et, seed, stepV, row, elem, nb.getI64IntegerAttr(i),
                  anti);
              Value c = a[0];
              if (c.getType() != et)
                c = et.getIntOrFloatBitWidth() <
                            c.getType().getIntOrFloatBitWidth()
                        ? Value(arith::TruncFOp::create(nb, l, et, c))
                        : Value(arith::ExtFOp::create(nb, l, et, c));
              Value s = step::constF(nb, l, et, 1.0 / ctx.opt.sigma);
              Value t = arith::MulFOp::create(
                  nb, l, arith::MulFOp::create(nb, l, c, s), z);
              linalg::YieldOp::create(nb, l,
                                      ValueRange{arith::AddFOp::create(
                                          nb, l, a[1], t)});
            })
            .getResult(0);
  }
}

class ESEstimator : public Estimator {
public:
  bool queriesRows() const override { return true; }
  bool siteNoise() const override { return false; }
  std::string checkOptions(const Options &opt) const override {
    if (opt.allocator == "gaussian" || opt.allocator == "neyman")
      return "estimator=es has no per-row variance proxy for the " +
             opt.allocator + " allocator (allocator must be uniform or "
             "bernoulli)";
    return "";
  }
  func::FuncOp buildRows(const Options &opt, const ForwardInfo &info,
                         ArrayRef<unsigned> perturbed,
                         SmallVectorImpl<SiteExtras> &extras,
                         PointPrefix &prefix) override;
  Estimates build(StepContext &ctx, const CleanForward &clean,
                  const Allocation &alloc) override {
    ESRows rows;
    return buildQueryLoop(ctx, clean, alloc, rows);
  }
};

} // namespace

/// @<entry>_rows for ES: the forward's arguments, then seed, step and the
/// first row's index; the forward's results. No per-point prefix: every op
/// after the data depends on the row's parameters.
func::FuncOp ESEstimator::buildRows(const Options &opt,
                                    const ForwardInfo &info,
                                    ArrayRef<unsigned> perturbed,
                                    SmallVectorImpl<SiteExtras> &,
                                    PointPrefix &prefix) {
  prefix.pointSite.assign(perturbed.size(), false);
  func::FuncOp fn = info.fn;
  OpBuilder b(fn.getContext());
  b.setInsertionPointAfter(fn);
  SmallVector<Type> argTypes(fn.getArgumentTypes());
  unsigned seedArg = argTypes.size();
  argTypes.append({b.getI64Type(), b.getI64Type(), b.getIndexType()});
  auto rows = func::FuncOp::create(
      b, fn.getLoc(), (fn.getName() + "_rows" + opt.suffix).str(),
      b.getFunctionType(argTypes, fn.getResultTypes()));
  rows.setPrivate();
  Block *body = rows.addEntryBlock();
  OpBuilder rb = OpBuilder::atBlockBegin(body);
  IRMapping map;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
    map.map(fn.getArgument(i), body->getArgument(i));
  DenseSet<Operation *> siteOps;
  for (unsigned g : perturbed)
    siteOps.insert(info.groups[g].ops.begin(), info.groups[g].ops.end());
  ValueRange noiseArgs = body->getArguments().slice(seedArg, 3);
  for (Operation &op : fn.getBody().front().without_terminator()) {
    if (!siteOps.contains(&op)) {
      rb.clone(op, map);
      continue;
    }
    if (failed(clonePerturbed(rb, op, map, info, opt, noiseArgs))) {
      rows.erase();
      return nullptr;
    }
  }
  SmallVector<Value> results;
  for (Value v : fn.getBody().front().getTerminator()->getOperands())
    results.push_back(map.lookupOrDefault(v));
  func::ReturnOp::create(rb, fn.getLoc(), results);
  return rows;
}

std::unique_ptr<Estimator> train::createESEstimator() {
  return std::make_unique<ESEstimator>();
}
