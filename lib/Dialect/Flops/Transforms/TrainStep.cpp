//===- TrainStep.cpp - the phases of @train_step, in order ----------------===//

#include "TrainStep.h"
#include "StepBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

RankedTensorType train::withBatch(Type t, int64_t rows) {
  auto rt = cast<RankedTensorType>(t);
  SmallVector<int64_t> shape(rt.getShape());
  shape[0] = rows;
  return RankedTensorType::get(shape, rt.getElementType());
}

void train::setRole(func::FuncOp fn, bool result, unsigned i, StringRef role,
                    StringRef name) {
  MLIRContext *ctx = fn.getContext();
  auto attrs = DictionaryAttr::get(
      ctx, {NamedAttribute(StringAttr::get(ctx, "flops.role"),
                           StringAttr::get(ctx, role)),
            NamedAttribute(StringAttr::get(ctx, "flops.name"),
                           StringAttr::get(ctx, name))});
  if (result)
    fn.setResultAttrs(i, attrs);
  else
    fn.setArgAttrs(i, attrs);
}

std::string train::paramName(func::FuncOp fn, unsigned arg) {
  if (auto n = fn.getArgAttrOfType<StringAttr>(arg, "flops.name"))
    return n.str();
  return "param" + std::to_string(arg);
}

std::pair<Value, Value> train::rowLoss(OpBuilder &b, Location loc,
                                       const Options &opt, ModuleOp module,
                                       ValueRange outputs, Value labels) {
  if (opt.loss == "cross-entropy")
    return step::crossEntropyRows(b, loc, outputs[0], labels);
  if (opt.loss == "mse")
    return {step::mseRows(b, loc, outputs[0], labels), Value()};
  auto fn = module.lookupSymbol<func::FuncOp>(opt.lossFn);
  SmallVector<Value> args(outputs);
  args.push_back(labels);
  SmallVector<Value> casted;
  for (auto [v, t] : llvm::zip(args, fn.getArgumentTypes()))
    casted.push_back(v.getType() == t
                         ? v
                         : Value(tensor::CastOp::create(b, loc, t, v)));
  Value r = func::CallOp::create(b, loc, fn, casted).getResult(0);
  auto want = RankedTensorType::get(
      {cast<RankedTensorType>(outputs[0].getType()).getDimSize(0)},
      getElementTypeOrSelf(r));
  if (r.getType() != want)
    r = tensor::CastOp::create(b, loc, want, r);
  return {r, Value()};
}

StepContext::StepContext(const Options &opt, ModuleOp module,
                         const ForwardInfo &info, ArrayRef<unsigned> perturbed,
                         ArrayRef<SiteExtras> extras, const PointPrefix &prefix,
                         func::FuncOp rows, int64_t batch, int64_t numRows,
                         Type labelType, OpBuilder &b, Location loc)
    : opt(opt), module(module), info(info), perturbed(perturbed),
      extras(extras), prefix(prefix), rows(rows), batch(batch),
      numRows(numRows), labelType(labelType), b(b), loc(loc) {
  ft = getElementTypeOrSelf(func::FuncOp(info.fn).getResultTypes()[0]);
  f64 = b.getF64Type();
  i32 = b.getI32Type();
  i64 = b.getI64Type();
}

BlockArgument StepContext::arg(unsigned i) const {
  return func::FuncOp(train).getBody().front().getArgument(i);
}

SmallVector<Value> StepContext::forwardArgs(ValueRange data,
                                            ValueRange params) {
  func::FuncOp fn = info.fn;
  SmallVector<Value> args(fn.getNumArguments());
  for (unsigned i = 0; i < numParams(); ++i)
    args[info.paramArgs[i]] = params.empty() ? Value(arg(abi.pArg[i]))
                                             : params[i];
  for (auto [k, i] : llvm::enumerate(info.dataArgs)) {
    Value v = data[k];
    Type want = fn.getArgument(i).getType();
    args[i] = v.getType() == want
                  ? v
                  : Value(tensor::CastOp::create(b, loc, want, v));
  }
  return args;
}

SmallVector<Value> StepContext::castResults(ValueRange vals, int64_t rowsN) {
  SmallVector<Value> out;
  for (Value v : vals) {
    Type want = withBatch(v.getType(), rowsN);
    out.push_back(v.getType() == want
                      ? v
                      : Value(tensor::CastOp::create(b, loc, want, v)));
  }
  return out;
}

Value StepContext::pointValue(Value v) {
  if (auto ba = dyn_cast<BlockArgument>(v)) {
    auto it = llvm::find(info.dataArgs, ba.getArgNumber());
    return data[it - info.dataArgs.begin()];
  }
  Value r = points.getResult(prefix.resultPos.lookup(v));
  // A value without rows (BatchNorm's 1/sqrt(var + eps) per channel,
  // computed from constants) keeps its static type.
  auto rt = cast<RankedTensorType>(r.getType());
  if (rt.getRank() == 0 || !rt.isDynamicDim(0))
    return r;
  Type want = withBatch(r.getType(), batch);
  return r.getType() == want ? r
                             : Value(tensor::CastOp::create(b, loc, want, r));
}

Value StepContext::constF(double v) { return step::constF(b, loc, ft, v); }
Value StepContext::i64c(int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}
Value StepContext::f64c(double v) { return step::constF(b, loc, f64, v); }

Estimator::~Estimator() = default;
RowEstimator::~RowEstimator() = default;

func::FuncOp train::buildTrainStep(StepContext &ctx, Estimator &estimator) {
  ctx.siteNoise = estimator.siteNoise();
  buildStepSignature(ctx);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  CleanForward clean = buildCleanForward(ctx);
  Allocation alloc;
  if (estimator.queriesRows())
    alloc = buildAllocation(ctx, clean);
  Estimates est = estimator.build(ctx, clean, alloc);

  SmallVector<Value> newState(ctx.abi.numState);
  for (unsigned i = 0; i < ctx.abi.numState; ++i)
    newState[i] = ctx.arg(i);
  Value norm = est.norm;
  if (est.updated.empty())
    norm = buildOptimizer(ctx, est.grads, newState);
  for (auto [j, i] : llvm::enumerate(ctx.abi.trainIdx))
    if (!est.updated.empty())
      newState[ctx.abi.pArg[i]] = est.updated[j];
  Value vHat = buildAllocatorUpdate(ctx, alloc, est.rowSq, newState);

  Value metrics = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({5}, ctx.ft),
      ValueRange{clean.mean, clean.accuracy, est.rowLossMean, norm, vHat});
  SmallVector<Value> results(newState);
  results.push_back(metrics);
  func::ReturnOp::create(b, loc, results);
  return ctx.train;
}
