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
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

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

void ESRows::accumulate(StepContext &ctx, const QueryChunk &chunk,
                        MutableArrayRef<Value> grads, MutableArrayRef<Value>) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  MLIRContext *mc = b.getContext();
  Value seed = ctx.arg(ctx.abi.seedArg), stepV = ctx.arg(ctx.abi.stepArg);
  UnitAttr anti = ctx.opt.antithetic ? b.getUnitAttr() : nullptr;
  for (auto [j, i] : llvm::enumerate(ctx.abi.trainIdx)) {
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
