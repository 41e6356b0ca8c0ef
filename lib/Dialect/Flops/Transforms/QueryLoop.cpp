//===- QueryLoop.cpp - the loop over chunks of query rows -----------------===//
//
// The N query rows are processed in chunks of B (static shapes, so that the
// inlined rows function vectorizes): per chunk, the row map and weights are
// sliced, the data, labels and per-point prefix values expanded to the rows,
// the perturbed rows function called, and the row losses and coefficients
// ω_r R_r formed; a RowEstimator turns them into estimates.
//
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

static Baseline baselineKind(const Options &opt) {
  if (opt.baseline == "none")
    return Baseline::none;
  if (opt.baseline == "batch-mean")
    return Baseline::batch_mean;
  return Baseline::clean;
}

/// Rows [off, off + B) of a 1-D tensor of N rows.
static Value sliceRows(StepContext &ctx, Value t, Value off, Type elem) {
  OpBuilder &b = ctx.b;
  return tensor::ExtractSliceOp::create(
      b, ctx.loc, RankedTensorType::get({ctx.batch}, elem), t,
      ValueRange{off}, ValueRange{}, ValueRange{},
      b.getDenseI64ArrayAttr({ShapedType::kDynamic}),
      b.getDenseI64ArrayAttr({ctx.batch}), b.getDenseI64ArrayAttr({1}));
}

/// The chunk at row `off`: the rows function on the expanded batch, the row
/// losses and the coefficients.
static QueryChunk buildChunk(StepContext &ctx, const CleanForward &clean,
                             const Allocation &alloc, Value off) {
  OpBuilder &b = ctx.b;
  Location l = ctx.loc;
  const StepABI &abi = ctx.abi;
  QueryChunk chunk;
  chunk.offset = off;
  chunk.rowMap = sliceRows(ctx, alloc.rowMap, off, b.getI32Type());
  chunk.weights = sliceRows(ctx, alloc.weights, off, ctx.ft);
  SmallVector<Value> dataC;
  for (unsigned i : abi.dArg)
    dataC.push_back(ExpandOp::create(b, l, ctx.arg(i).getType(), ctx.arg(i),
                                     chunk.rowMap));
  Value labelsC = ExpandOp::create(b, l, ctx.labelType,
                                   ctx.arg(abi.labelArg), chunk.rowMap);
  SmallVector<Value> rowArgs = ctx.forwardArgs(dataC);
  rowArgs.append({ctx.arg(abi.seedArg), ctx.arg(abi.stepArg), off});
  for (unsigned rho : abi.rhoArg) // None without site noise (ES).
    rowArgs.push_back(ctx.arg(rho));
  // Static shapes, so that the inlined rows vectorize.
  for (Value v : ctx.prefix.frontier) {
    Value e = ExpandOp::create(b, l, withBatch(v.getType(), ctx.batch),
                               ctx.pointValue(v), chunk.rowMap);
    rowArgs.push_back(e.getType() == v.getType()
                          ? e
                          : Value(tensor::CastOp::create(b, l, v.getType(),
                                                         e)));
  }
  chunk.call = func::CallOp::create(b, l, ctx.rows, rowArgs);
  unsigned numOut = func::FuncOp(ctx.info.fn).getNumResults();
  SmallVector<Value> outs =
      ctx.castResults(chunk.call.getResults().take_front(numOut), ctx.batch);
  chunk.loss = rowLoss(b, l, ctx.opt, ctx.module, outs, labelsC).first;
  Value resid = ResidualOp::create(
      b, l, chunk.loss.getType(),
      BaselineAttr::get(b.getContext(), baselineKind(ctx.opt)), chunk.loss,
      clean.loss, chunk.rowMap);
  chunk.coeff = step::map(b, l, resid, ValueRange{chunk.weights, resid},
                          [](OpBuilder &nb, Location ll, ValueRange a) {
                            return Value(
                                arith::MulFOp::create(nb, ll, a[0], a[1]));
                          });
  return chunk;
}

Estimates train::buildQueryLoop(StepContext &ctx, const CleanForward &clean,
                                const Allocation &alloc, RowEstimator &est) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  SmallVector<Value> inits;
  est.addInits(ctx, inits);
  unsigned numGrads = inits.size();
  inits.push_back(ctx.constF(0.0)); // Σ row losses.
  est.addAuxInits(ctx, inits);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cq = arith::ConstantIndexOp::create(b, loc, ctx.numRows / ctx.batch);
  Value cB = arith::ConstantIndexOp::create(b, loc, ctx.batch);
  auto chunks = scf::ForOp::create(
      b, loc, c0, cq, c1, inits,
      [&](OpBuilder &lb, Location l, Value c, ValueRange acc) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
        Value off = arith::MulIOp::create(b, l, c, cB);
        QueryChunk chunk = buildChunk(ctx, clean, alloc, off);
        SmallVector<Value> vals(acc.begin(), acc.end());
        MutableArrayRef<Value> grads(vals.data(), numGrads);
        MutableArrayRef<Value> aux(vals.data() + numGrads + 1,
                                   vals.size() - numGrads - 1);
        est.accumulate(ctx, chunk, grads, aux);
        vals[numGrads] = arith::AddFOp::create(
            b, l, vals[numGrads], step::sumAll(b, l, chunk.loss));
        est.accumulateAux(ctx, chunk, aux);
        scf::YieldOp::create(b, l, vals);
      });
  Estimates out;
  ValueRange res = chunks.getResults();
  out.grads.assign(res.begin(), res.begin() + numGrads);
  SmallVector<Value> aux(res.begin() + numGrads + 1, res.end());
  out.rowLossMean = arith::MulFOp::create(
      b, loc, res[numGrads], ctx.constF(1.0 / double(ctx.numRows)));
  out.rowSq = est.finish(ctx, out.grads, aux);
  return out;
}
