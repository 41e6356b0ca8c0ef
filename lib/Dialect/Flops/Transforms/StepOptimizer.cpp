//===- StepOptimizer.cpp - gradient norm, clipping, SGD and Adam ----------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

/// The global norm of `grads`; with clip-norm > 0, `grads` scaled by
/// min(1, clip / (norm + 1e-6)).
static Value normAndClip(StepContext &ctx, MutableArrayRef<Value> grads) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value normSq = ctx.constF(0.0);
  for (Value g : grads)
    normSq = arith::AddFOp::create(b, loc, normSq, step::sumSquares(b, loc, g));
  Value norm = math::SqrtOp::create(b, loc, normSq);
  if (ctx.opt.clipNorm > 0.0) {
    Value limit = ctx.constF(ctx.opt.clipNorm);
    Value ratio = arith::DivFOp::create(
        b, loc, limit, arith::AddFOp::create(b, loc, norm, ctx.constF(1e-6)));
    Value scale = arith::MinimumFOp::create(b, loc, ratio, ctx.constF(1.0));
    for (Value &g : grads)
      g = step::map(b, loc, g, ValueRange{g},
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      return Value(arith::MulFOp::create(nb, l, a[0], scale));
                    });
  }
  return norm;
}

Value train::buildOptimizer(StepContext &ctx, MutableArrayRef<Value> grads,
                            MutableArrayRef<Value> newState) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const Options &opt = ctx.opt;
  const StepABI &abi = ctx.abi;
  Type ft = ctx.ft;
  bool adam = ctx.adam();
  Value norm = normAndClip(ctx, grads);
  Value lr = ctx.arg(abi.lrArg);
  Value t = arith::SIToFPOp::create(
      b, loc, ft,
      arith::AddIOp::create(b, loc, ctx.arg(abi.stepArg),
                            arith::ConstantOp::create(
                                b, loc, b.getI64IntegerAttr(1))));
  Value bc1, bc2;
  if (adam) {
    Value one = ctx.constF(1.0);
    bc1 = arith::SubFOp::create(
        b, loc, one, math::PowFOp::create(b, loc, ctx.constF(opt.beta1), t));
    bc2 = arith::SubFOp::create(
        b, loc, one, math::PowFOp::create(b, loc, ctx.constF(opt.beta2), t));
  }
  auto update = [&](Value g, unsigned p, unsigned m, unsigned v) {
    Value P = ctx.arg(p), M = ctx.arg(m);
    if (adam) {
      Value V = ctx.arg(v);
      SmallVector<Value> r = step::mapN(
          b, loc, ValueRange{P, M, V}, ValueRange{P, g, M, V},
          [&](OpBuilder &nb, Location l, ValueRange a) -> SmallVector<Value> {
            auto c = [&](double x) { return step::constF(nb, l, ft, x); };
            Value m2 = arith::AddFOp::create(
                nb, l, arith::MulFOp::create(nb, l, c(opt.beta1), a[2]),
                arith::MulFOp::create(nb, l, c(1.0 - opt.beta1), a[1]));
            Value gg = arith::MulFOp::create(nb, l, a[1], a[1]);
            Value v2 = arith::AddFOp::create(
                nb, l, arith::MulFOp::create(nb, l, c(opt.beta2), a[3]),
                arith::MulFOp::create(nb, l, c(1.0 - opt.beta2), gg));
            Value mh = arith::DivFOp::create(nb, l, m2, bc1);
            Value vh = arith::DivFOp::create(nb, l, v2, bc2);
            Value den = arith::AddFOp::create(
                nb, l, math::SqrtOp::create(nb, l, vh), c(opt.epsilon));
            Value stepSize = arith::MulFOp::create(
                nb, l, lr, arith::DivFOp::create(nb, l, mh, den));
            return {arith::SubFOp::create(nb, l, a[0], stepSize), m2, v2};
          });
      newState[p] = r[0];
      newState[m] = r[1];
      newState[v] = r[2];
      return;
    }
    SmallVector<Value> r = step::mapN(
        b, loc, ValueRange{P, M}, ValueRange{P, g, M},
        [&](OpBuilder &nb, Location l, ValueRange a) -> SmallVector<Value> {
          Value mom = arith::AddFOp::create(
              nb, l,
              arith::MulFOp::create(nb, l,
                                    step::constF(nb, l, ft, opt.momentum),
                                    a[2]),
              a[1]);
          Value p2 = arith::SubFOp::create(
              nb, l, a[0], arith::MulFOp::create(nb, l, lr, mom));
          return {p2, mom};
        });
    newState[p] = r[0];
    newState[m] = r[1];
  };
  for (auto [j, i] : llvm::enumerate(abi.trainIdx))
    update(grads[j], abi.pArg[i], abi.mArg[j], adam ? abi.vArg[j] : 0);
  if (ctx.learnSigma())
    for (unsigned k = 0; k < ctx.numSites(); ++k)
      update(grads[abi.trainIdx.size() + k], abi.rhoArg[k], abi.rmArg[k],
             adam ? abi.rvArg[k] : 0);
  return norm;
}
