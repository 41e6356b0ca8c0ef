//===- StepAllocation.cpp - clean forward, allocation, allocator update ---===//
//
// The noise-free forward of the B points (clean losses, accuracy, the
// baselines), the allocation of the N query rows to the points
// (docs/METHOD.md §3), the row map and row weights, and after the step the
// allocators' own updates from the variance proxy V-hat (§3.2, §3.5).
//
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

CleanForward train::buildCleanForward(StepContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  for (unsigned i : ctx.abi.dArg)
    ctx.data.push_back(ctx.arg(i));
  auto clean =
      func::CallOp::create(b, loc, ctx.info.fn, ctx.forwardArgs(ctx.data));
  SmallVector<Value> cleanOut = ctx.castResults(clean.getResults(), ctx.batch);
  CleanForward out;
  std::tie(out.loss, out.correct) = rowLoss(
      b, loc, ctx.opt, ctx.module, cleanOut, ctx.arg(ctx.abi.labelArg));
  Value invB = ctx.constF(1.0 / double(ctx.batch));
  out.mean =
      arith::MulFOp::create(b, loc, step::sumAll(b, loc, out.loss), invB);
  // The forward's prefix that no perturbation reaches, once per point
  // (the same ops as the clean forward's start: CSE merges them after
  // inlining).
  if (ctx.prefix.fn)
    ctx.points = func::CallOp::create(b, loc, ctx.prefix.fn,
                                      ctx.forwardArgs(ctx.data));
  out.accuracy =
      out.correct ? Value(arith::MulFOp::create(
                        b, loc, step::sumAll(b, loc, out.correct), invB))
                  : ctx.constF(0.0);
  return out;
}

/// Neyman: the per-point σ estimates from the statistics the earlier steps
/// gathered on these points (queries spent, mean squared estimate norm).
static Value neymanSigma(StepContext &ctx, Allocation &alloc, Value lossF64) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t batch = ctx.batch;
  Value table = ctx.arg(ctx.abi.neymanArg);
  Value pointIds = ctx.arg(ctx.abi.pointArg);
  int64_t neymanPoints = ctx.opt.neymanPoints;
  // Point ids outside [0, neyman-points) are clamped (the table is never
  // read or written out of bounds; the driver passes valid ids).
  alloc.neymanIds = step::map(
      b, loc, pointIds, ValueRange{pointIds},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value lo = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(0));
        Value hi = arith::ConstantOp::create(
            nb, l, nb.getI32IntegerAttr(int32_t(neymanPoints - 1)));
        return Value(arith::MinSIOp::create(
            nb, l, arith::MaxSIOp::create(nb, l, a[0], lo), hi));
      });
  Value ids = alloc.neymanIds;
  Value cols[2];
  for (int64_t c = 0; c < 2; ++c) {
    Value empty =
        tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch}, ctx.f64);
    AffineMap id = b.getMultiDimIdentityMap(1);
    cols[c] =
        linalg::GenericOp::create(
            b, loc, TypeRange{empty.getType()}, ValueRange{ids},
            ValueRange{empty}, SmallVector<AffineMap>{id, id},
            SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value row =
                  arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
              Value col = arith::ConstantIndexOp::create(nb, l, c);
              linalg::YieldOp::create(
                  nb, l,
                  Value(tensor::ExtractOp::create(nb, l, table,
                                                  ValueRange{row, col})));
            })
            .getResult(0);
  }
  Value spent = step::convertElements(b, loc, cols[0], ctx.i32);
  return step::callRuntime(b, loc, ctx.module, "flops_rt_neyman_sigma",
                           {cols[1], spent, lossF64}, {alloc.zerosB64},
                           {ctx.f64c(ctx.opt.neymanKappa)})[0];
}

Allocation train::buildAllocation(StepContext &ctx, const CleanForward &clean) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const Options &opt = ctx.opt;
  ModuleOp mod = ctx.module;
  int64_t batch = ctx.batch, numRows = ctx.numRows;
  Value seed = ctx.arg(ctx.abi.seedArg), stepV = ctx.arg(ctx.abi.stepArg);
  Allocation alloc;
  // Rows in pairs with antithetic noise.
  auto countsTy = RankedTensorType::get({batch}, ctx.i32);
  int64_t minCount = std::min<int64_t>(opt.minQueries, numRows / batch);
  Value pairsI32 = arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(opt.antithetic ? 1 : 0));
  // The uniform counts: the allocation itself, or what the runtime leaves in
  // place if it rejects its inputs.
  Value counts = AllocateOp::create(
      b, loc, countsTy, AllocStrategy::uniform, clean.loss,
      static_cast<uint64_t>(numRows), static_cast<uint64_t>(minCount),
      static_cast<bool>(opt.antithetic));
  Value lossF64 = step::convertElements(b, loc, clean.loss, ctx.f64);
  alloc.zerosB64 =
      step::filled(b, loc, {batch}, ctx.f64, b.getF64FloatAttr(0.0));
  if (ctx.bernoulli()) {
    Value p = ctx.f64c(opt.bernoulliP);
    if (opt.bernoulliSwitchStep > 0) {
      Value late =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, stepV,
                                ctx.i64c(opt.bernoulliSwitchStep));
      p = arith::SelectOp::create(b, loc, late, ctx.f64c(opt.bernoulliPLate),
                                  p);
    }
    counts = step::callRuntime(b, loc, mod, "flops_rt_bernoulli_allocate",
                               {lossF64}, {counts},
                               {p, seed, stepV, ctx.i64c(numRows),
                                ctx.i64c(minCount), pairsI32})[0];
  } else if (ctx.gaussian()) {
    alloc.lambda = step::callRuntime(b, loc, mod,
                                     "flops_rt_standardize_losses", {lossF64},
                                     {alloc.zerosB64}, {})[0];
    SmallVector<Value> draw = step::callRuntime(
        b, loc, mod, "flops_rt_gaussian_alloc_draw",
        {alloc.lambda, ctx.arg(ctx.abi.allocStateArg)},
        {alloc.zerosB64, counts},
        {seed, stepV, ctx.i64c(numRows), ctx.i64c(minCount), pairsI32,
         ctx.f64c(opt.gaussianJitter)});
    alloc.aTilde = draw[0];
    counts = draw[1];
  } else if (ctx.neyman()) {
    Value sigma = neymanSigma(ctx, alloc, lossF64);
    counts = AllocateOp::create(
        b, loc, countsTy, AllocStrategy::neyman, sigma,
        static_cast<uint64_t>(numRows), static_cast<uint64_t>(minCount),
        static_cast<bool>(opt.antithetic));
  }
  alloc.counts = counts;
  auto mapTy = RankedTensorType::get({numRows}, ctx.i32);
  alloc.rowMap = RowMapOp::create(b, loc, mapTy, counts, Value());
  alloc.weights = RowWeightsOp::create(
      b, loc, RankedTensorType::get({numRows}, ctx.ft),
      opt.weighting == "row-mean" ? RowWeighting::row_mean
                                  : RowWeighting::per_point,
      counts, alloc.rowMap);
  return alloc;
}

/// Neyman: folds this step's queries into the points' running statistics:
/// n += A_i, mean += A_i (s_i² − mean) / n.
static Value neymanUpdate(StepContext &ctx, const Allocation &alloc,
                          Value rowSq) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f64 = ctx.f64;
  SmallVector<Value> means = step::callRuntime(
      b, loc, ctx.module, "flops_rt_point_square_means",
      {rowSq, alloc.rowMap},
      {alloc.zerosB64,
       step::filled(b, loc, {ctx.batch}, ctx.i32, b.getI32IntegerAttr(0))},
      {});
  Value cB0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value cB1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cBn = arith::ConstantIndexOp::create(b, loc, ctx.batch);
  Value ids = alloc.neymanIds;
  auto loop = scf::ForOp::create(
      b, loc, cB0, cBn, cB1, ValueRange{ctx.arg(ctx.abi.neymanArg)},
      [&](OpBuilder &lb, Location l, Value i, ValueRange acc) {
        Value id = tensor::ExtractOp::create(lb, l, ids, ValueRange{i});
        Value row = arith::IndexCastOp::create(lb, l, lb.getIndexType(), id);
        Value col0 = arith::ConstantIndexOp::create(lb, l, 0);
        Value col1 = arith::ConstantIndexOp::create(lb, l, 1);
        Value n0 =
            tensor::ExtractOp::create(lb, l, acc[0], ValueRange{row, col0});
        Value m0 =
            tensor::ExtractOp::create(lb, l, acc[0], ValueRange{row, col1});
        Value a = arith::SIToFPOp::create(
            lb, l, f64,
            tensor::ExtractOp::create(lb, l, means[1], ValueRange{i}));
        Value s2 = tensor::ExtractOp::create(lb, l, means[0], ValueRange{i});
        Value n1 = arith::AddFOp::create(lb, l, n0, a);
        Value safe = arith::MaximumFOp::create(lb, l, n1,
                                               step::constF(lb, l, f64, 1.0));
        Value m1 = arith::AddFOp::create(
            lb, l, m0,
            arith::DivFOp::create(
                lb, l,
                arith::MulFOp::create(lb, l, a,
                                      arith::SubFOp::create(lb, l, s2, m0)),
                safe));
        Value t = tensor::InsertOp::create(lb, l, n1, acc[0],
                                           ValueRange{row, col0});
        t = tensor::InsertOp::create(lb, l, m1, t, ValueRange{row, col1});
        scf::YieldOp::create(lb, l, t);
      });
  return loop.getResult(0);
}

Value train::buildAllocatorUpdate(StepContext &ctx, const Allocation &alloc,
                                  Value rowSq,
                                  MutableArrayRef<Value> newState) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value vHat = ctx.constF(0.0);
  if (!ctx.needRowSq())
    return vHat;
  Type f64 = ctx.f64;
  // The Gaussian allocator also gets V̂ of the uniform allocation with the
  // same per-point means (a second element).
  int64_t outs = ctx.gaussian() ? 2 : 1;
  Value vt = step::callRuntime(
      b, loc, ctx.module, "flops_rt_variance_proxy", {rowSq, alloc.rowMap},
      {step::filled(b, loc, {outs}, f64, b.getF64FloatAttr(0.0))},
      {ctx.i64c(ctx.batch)})[0];
  Value v64 = tensor::ExtractOp::create(
      b, loc, vt, ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
  vHat = ctx.ft == f64 ? v64
                       : Value(arith::TruncFOp::create(b, loc, ctx.ft, v64));
  if (ctx.gaussian()) {
    // docs/METHOD.md §3.2: the allocator descends E[V̂(A) / V̂(uniform)] of
    // the batch; the ratio removes the batch-to-batch level of V̂ from the
    // score-function gradient (1 when the uniform reference is 0).
    Value u64 = tensor::ExtractOp::create(
        b, loc, vt, ValueRange{arith::ConstantIndexOp::create(b, loc, 1)});
    Value zero = ctx.f64c(0.0);
    Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, u64,
                                      zero);
    Value rel = arith::SelectOp::create(
        b, loc, pos, arith::DivFOp::create(b, loc, v64, u64), ctx.f64c(1.0));
    newState[ctx.abi.allocStateArg] = step::callRuntime(
        b, loc, ctx.module, "flops_rt_gaussian_alloc_update",
        {alloc.lambda, alloc.aTilde}, {ctx.arg(ctx.abi.allocStateArg)},
        {rel, ctx.f64c(ctx.opt.gaussianJitter), ctx.f64c(ctx.opt.gaussianLr),
         ctx.f64c(ctx.opt.gaussianBaselineDecay)})[0];
  }
  if (ctx.neyman())
    newState[ctx.abi.neymanArg] = neymanUpdate(ctx, alloc, rowSq);
  return vHat;
}
