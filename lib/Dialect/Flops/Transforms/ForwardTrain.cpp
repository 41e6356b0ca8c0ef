//===- ForwardTrain.cpp - the flops-forward-train pass ---------------------===//
//
// Builds @<entry>_rows, @train_step and @eval_step from a forward function.
// The ABI (argument and result order, roles) is documented in
// docs/ARCHITECTURE.md, "Training step ABI".
//
//===----------------------------------------------------------------------===//

#include "PointPrefix.h"
#include "SiteAnalysis.h"
#include "StepBuilders.h"

#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "flops/Dialect/Flops/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

namespace mlir::flops {
#define GEN_PASS_DEF_FORWARDTRAINPASS
#include "flops/Dialect/Flops/Transforms/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

/// What the rows function returns for one perturbed site, besides the
/// forward's results: the perturbed site value and the non-parameter inputs
/// of the site's ops (the layer inputs the rules read).
struct SiteExtras {
  unsigned siteResult;                 // Result number of the site value.
  DenseMap<Value, unsigned> inputPos;  // Forward value -> result number.
};

RankedTensorType withBatch(Type t, int64_t rows) {
  auto rt = cast<RankedTensorType>(t);
  SmallVector<int64_t> shape(rt.getShape());
  shape[0] = rows;
  return RankedTensorType::get(shape, rt.getElementType());
}

struct ForwardTrainPass
    : mlir::flops::impl::ForwardTrainPassBase<ForwardTrainPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult checkOptions(ModuleOp module);
  func::FuncOp buildRows(ModuleOp module, const ForwardInfo &info,
                         ArrayRef<unsigned> perturbed,
                         SmallVectorImpl<SiteExtras> &extras,
                         PointPrefix &prefix);
  void buildTrainStep(ModuleOp module, const ForwardInfo &info,
                      func::FuncOp rows, ArrayRef<unsigned> perturbed,
                      ArrayRef<SiteExtras> extras, const PointPrefix &prefix,
                      int64_t batch, Type labelType);
  void buildEvalStep(ModuleOp module, const ForwardInfo &info, int64_t batch,
                     Type labelType);
  /// Per-row loss (and correct flags for cross-entropy) of `outputs`.
  std::pair<Value, Value> rowLoss(OpBuilder &b, Location loc,
                                  ValueRange outputs, Value labels,
                                  ModuleOp module);
  /// Set when an estimator rule failed to build (reported on its op).
  bool ruleFailed = false;
  Baseline baselineKind() const {
    if (baseline == "none")
      return Baseline::none;
    if (baseline == "batch-mean")
      return Baseline::batch_mean;
    return Baseline::clean;
  }
};

LogicalResult ForwardTrainPass::checkOptions(ModuleOp module) {
  auto bad = [&](const Twine &msg) {
    return module.emitError("flops-forward-train: ") << msg, failure();
  };
  if (queries < 1)
    return bad("queries must be >= 1, got " + Twine(queries));
  if (antithetic && queries % 2 != 0)
    return bad("queries must be even with antithetic pairs, got " +
               Twine(queries));
  if (batchSize < 0)
    return bad("batch-size must be >= 0, got " + Twine(batchSize));
  if (loss != "cross-entropy" && loss != "mse" && loss != "user")
    return bad("loss must be cross-entropy, mse or user, got '" + loss + "'");
  if (baseline != "none" && baseline != "batch-mean" && baseline != "clean")
    return bad("baseline must be none, batch-mean or clean, got '" +
               baseline + "'");
  if (optimizer != "adam" && optimizer != "sgd")
    return bad("optimizer must be adam or sgd, got '" + optimizer + "'");
  if (perturbLast < 0)
    return bad("perturb-last must be >= 0, got " + Twine(perturbLast));
  if (perturbLast > 0 && !sites.empty())
    return bad("perturb-last and sites select sites in two ways; give one");
  for (const std::string &s : sites)
    if (s.empty())
      return bad("sites has an empty entry");
  if (!(sigma > 0.0))
    return bad("sigma must be > 0, got " + std::to_string(sigma));
  if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0))
    return bad("beta1 and beta2 must be in [0, 1)");
  if (!(epsilon > 0.0))
    return bad("epsilon must be > 0");
  if (!(momentum >= 0.0 && momentum < 1.0))
    return bad("momentum must be in [0, 1)");
  if (clipNorm < 0.0)
    return bad("clip-norm must be >= 0, got " + std::to_string(clipNorm));
  if (allocator != "uniform" && allocator != "bernoulli" &&
      allocator != "gaussian" && allocator != "neyman")
    return bad("allocator must be uniform, bernoulli, gaussian or neyman, "
               "got '" + allocator + "'");
  if (weighting != "per-point" && weighting != "row-mean")
    return bad("weighting must be per-point or row-mean, got '" + weighting +
               "'");
  if (budget < 0)
    return bad("budget must be >= 0, got " + Twine(budget));
  if (antithetic && budget % 2 != 0)
    return bad("budget must be even with antithetic pairs, got " +
               Twine(budget));
  if (minQueries < 0)
    return bad("min-queries must be >= 0, got " + Twine(minQueries));
  if (antithetic && minQueries % 2 != 0)
    return bad("min-queries must be even with antithetic pairs, got " +
               Twine(minQueries));
  // V-hat (METHOD.md §3.2) is unbounded for a point without queries: the
  // runtime rejects it, which would feed V-hat = 0 to the Gaussian update.
  // A point with no queries drops out of the estimate; with a budget (or a
  // non-uniform allocator) the same points could get none every step, which
  // biases the gradient.
  if (minQueries < 1 && (budget > 0 || allocator == "bernoulli"))
    return bad("min-queries=0 lets points get no queries (their terms drop "
               "out of the estimate, a biased gradient); use min-queries >= " +
               Twine(antithetic ? 2 : 1));
  if ((allocator == "neyman" || allocator == "gaussian") && minQueries < 1)
    return bad("the " + allocator + " allocator needs min-queries >= 1");
  if (!(bernoulliP >= 0.0 && bernoulliP <= 1.0) ||
      !(bernoulliPLate >= 0.0 && bernoulliPLate <= 1.0))
    return bad("bernoulli-p and bernoulli-p-late must be in [0, 1]");
  if (bernoulliSwitchStep < 0)
    return bad("bernoulli-switch-step must be >= 0");
  if (!(gaussianLr > 0.0) || !(gaussianJitter > 0.0))
    return bad("gaussian-lr and gaussian-jitter must be > 0");
  if (!(gaussianBaselineDecay >= 0.0 && gaussianBaselineDecay < 1.0))
    return bad("gaussian-baseline-decay must be in [0, 1)");
  if (allocator == "neyman" && neymanPoints < 1)
    return bad("the neyman allocator needs neyman-points (the number of "
               "training points) >= 1");
  if (!(neymanKappa >= 0.0))
    return bad("neyman-kappa must be >= 0");
  // A declaration of a function the pass builds (a driver or test calling
  // it) is replaced; a definition is an error.
  for (std::string name : {"train_step" + suffix, "eval_step" + suffix,
                           entry + "_rows" + suffix,
                           entry + "_points" + suffix}) {
    Operation *sym = module.lookupSymbol(name);
    if (!sym)
      continue;
    auto f = dyn_cast<func::FuncOp>(sym);
    if (!f || !f.isExternal())
      return bad("the module already has a @" + name + " function");
    f.erase();
  }
  return success();
}

func::FuncOp ForwardTrainPass::buildRows(ModuleOp module,
                                         const ForwardInfo &info,
                                         ArrayRef<unsigned> perturbed,
                                         SmallVectorImpl<SiteExtras> &extras,
                                         PointPrefix &prefix) {
  func::FuncOp fn = info.fn;
  if (pointPrefix)
    prefix = analyzePointPrefix(info, perturbed);
  else
    prefix.pointSite.assign(perturbed.size(), false);
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(fn);
  Location loc = fn.getLoc();
  Type i64 = b.getI64Type(), index = b.getIndexType();

  SmallVector<Type> argTypes(fn.getArgumentTypes());
  unsigned seedArg = argTypes.size();
  argTypes.append({i64, i64, index});
  SmallVector<unsigned> rhoArg;
  for (unsigned g : perturbed) {
    const SiteGroup &site = info.groups[g];
    auto tt = cast<RankedTensorType>(site.tail.getType());
    rhoArg.push_back(argTypes.size());
    argTypes.push_back(RankedTensorType::get({tt.getDimSize(site.channelDim)},
                                             tt.getElementType()));
  }
  // Results: the forward's, then per site its value and layer inputs (the
  // step reads a point site's inputs from the points function instead).
  SmallVector<Value> extraValues;
  SmallVector<Type> resultTypes(fn.getResultTypes());
  for (auto [k, g] : llvm::enumerate(perturbed)) {
    const SiteGroup &site = info.groups[g];
    SiteExtras e;
    e.siteResult = resultTypes.size();
    resultTypes.push_back(site.tail.getType());
    extraValues.push_back(site.tail);
    if (!prefix.pointSite[k])
      for (Operation *op : site.ops)
      for (Value in : cast<DestinationStyleOpInterface>(op).getDpsInputs())
        if (!info.paramOf(in) && !e.inputPos.count(in)) {
          e.inputPos[in] = resultTypes.size();
          resultTypes.push_back(in.getType());
          extraValues.push_back(in);
        }
    extras.push_back(std::move(e));
  }
  // The prefix values the rows read: arguments after the log-sigmas.
  SmallVector<Value> rowReads(extraValues);
  rowReads.append(fn.getBody().front().getTerminator()->operand_begin(),
                  fn.getBody().front().getTerminator()->operand_end());
  buildPointsFunction(info, perturbed, rowReads,
                      (fn.getName() + "_points" + suffix).str(), prefix);
  unsigned frontierArg = argTypes.size();
  for (Value v : prefix.frontier)
    argTypes.push_back(v.getType());
  auto rows = func::FuncOp::create(b, loc,
                                   (fn.getName() + "_rows" + suffix).str(),
                                   b.getFunctionType(argTypes, resultTypes));
  rows.setPrivate();
  Block *body = rows.addEntryBlock();
  OpBuilder rb = OpBuilder::atBlockBegin(body);
  IRMapping map;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
    map.map(fn.getArgument(i), body->getArgument(i));
  for (auto [j, v] : llvm::enumerate(prefix.frontier))
    map.map(v, body->getArgument(frontierArg + j));
  Value seed = body->getArgument(seedArg), step = body->getArgument(seedArg + 1),
        offset = body->getArgument(seedArg + 2);
  DenseMap<Operation *, unsigned> tailOf;
  for (auto [k, g] : llvm::enumerate(perturbed))
    tailOf[info.groups[g].tail.getDefiningOp()] = k;
  DenseMap<Value, Value> perturbedValue;
  for (Operation &op : fn.getBody().front().without_terminator()) {
    // A prefix op's values that the rows read are arguments.
    Value tail = prefix.ops.contains(&op) ? map.lookupOrNull(op.getResult(0))
                                          : rb.clone(op, map)->getResult(0);
    auto it = tailOf.find(&op);
    if (it == tailOf.end())
      continue;
    unsigned k = it->second;
    const SiteGroup &site = info.groups[perturbed[k]];
    auto p = PerturbOp::create(
        rb, op.getLoc(), tail.getType(), tail,
        body->getArgument(rhoArg[k]),
        seed, step, offset, rb.getI64IntegerAttr(k),
        antithetic ? rb.getUnitAttr() : nullptr,
        rb.getI64IntegerAttr(site.channelDim));
    perturbedValue[site.tail] = p.getResult();
    map.map(op.getResult(0), p.getResult());
  }
  SmallVector<Value> results;
  for (Value v : fn.getBody().front().getTerminator()->getOperands())
    results.push_back(map.lookupOrDefault(v));
  for (Value v : extraValues) {
    auto it = perturbedValue.find(v);
    results.push_back(it != perturbedValue.end() ? it->second
                                                 : map.lookupOrDefault(v));
  }
  // A site's layer input that is itself an earlier site's tail is read
  // perturbed, as the forward of the rows computes it: the lookups above
  // already give the perturbed value through `map`.
  func::ReturnOp::create(rb, loc, results);
  return rows;
}

std::pair<Value, Value> ForwardTrainPass::rowLoss(OpBuilder &b, Location loc,
                                                  ValueRange outputs,
                                                  Value labels,
                                                  ModuleOp module) {
  if (loss == "cross-entropy")
    return step::crossEntropyRows(b, loc, outputs[0], labels);
  if (loss == "mse")
    return {step::mseRows(b, loc, outputs[0], labels), Value()};
  auto fn = module.lookupSymbol<func::FuncOp>(lossFn);
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

/// Adds `role` / `name` attributes to argument or result `i` of `fn`.
void setRole(func::FuncOp fn, bool result, unsigned i, StringRef role,
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

std::string paramName(func::FuncOp fn, unsigned arg) {
  if (auto n = fn.getArgAttrOfType<StringAttr>(arg, "flops.name"))
    return n.str();
  return "param" + std::to_string(arg);
}

void ForwardTrainPass::buildTrainStep(ModuleOp module, const ForwardInfo &info,
                                      func::FuncOp rows,
                                      ArrayRef<unsigned> perturbed,
                                      ArrayRef<SiteExtras> extras,
                                      const PointPrefix &prefix,
                                      int64_t batch, Type labelType) {
  func::FuncOp fn = info.fn;
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  Location loc = fn.getLoc();
  Type i64 = b.getI64Type();
  Type ft = getElementTypeOrSelf(fn.getResultTypes()[0]);
  bool adam = optimizer == "adam";
  bool learnSigma = !freezeSigma;
  unsigned numParams = info.paramArgs.size(), numSites = perturbed.size();
  int64_t numRows = budget > 0 ? budget : batch * queries;
  int64_t numChunks = numRows / batch;
  bool gaussian = allocator == "gaussian", neyman = allocator == "neyman",
       bernoulli = allocator == "bernoulli";
  // V-hat (the variance proxy of METHOD.md §3.2) feeds the learned and the
  // online allocators.
  bool needRowSq = gaussian || neyman;
  Type f64 = b.getF64Type(), i32 = b.getI32Type();

  // Trainable parameters: those read by the perturbed sites.
  SmallVector<bool> trainable(numParams, false);
  for (unsigned g : perturbed)
    for (Operation *op : info.groups[g].ops)
      for (Value v : info.paramReads(op))
        if (auto p = info.paramOf(v))
          trainable[*p] = true;

  // --- Signature ----------------------------------------------------------
  SmallVector<Type> argTypes;
  SmallVector<std::pair<std::string, std::string>> roles; // (role, name)
  auto addArg = [&](Type t, StringRef role, const std::string &name) {
    argTypes.push_back(t);
    roles.push_back({role.str(), name});
    return argTypes.size() - 1;
  };
  SmallVector<unsigned> pArg, mArg, vArg, rhoArg, rmArg, rvArg;
  for (unsigned i = 0; i < numParams; ++i)
    pArg.push_back(addArg(fn.getArgument(info.paramArgs[i]).getType(), "param",
                          paramName(fn, info.paramArgs[i])));
  for (unsigned i = 0; i < numParams; ++i)
    if (trainable[i])
      mArg.push_back(addArg(argTypes[pArg[i]], adam ? "adam_m" : "momentum",
                            paramName(fn, info.paramArgs[i])));
  if (adam)
    for (unsigned i = 0; i < numParams; ++i)
      if (trainable[i])
        vArg.push_back(addArg(argTypes[pArg[i]], "adam_v",
                              paramName(fn, info.paramArgs[i])));
  for (unsigned k = 0; k < numSites; ++k)
    rhoArg.push_back(addArg(rows.getArgumentTypes()[fn.getNumArguments() + 3 + k],
                            "log_sigma", "site" + std::to_string(k)));
  if (learnSigma) {
    for (unsigned k = 0; k < numSites; ++k)
      rmArg.push_back(addArg(argTypes[rhoArg[k]],
                             adam ? "log_sigma_adam_m" : "log_sigma_momentum",
                             "site" + std::to_string(k)));
    if (adam)
      for (unsigned k = 0; k < numSites; ++k)
        rvArg.push_back(addArg(argTypes[rhoArg[k]], "log_sigma_adam_v",
                               "site" + std::to_string(k)));
  }
  unsigned allocStateArg = 0, neymanArg = 0;
  if (gaussian)
    allocStateArg = addArg(RankedTensorType::get({16}, f64), "allocator_state",
                           "gaussian");
  if (neyman)
    neymanArg = addArg(RankedTensorType::get({neymanPoints, 2}, f64),
                       "neyman_stats", "neyman");
  unsigned numState = argTypes.size();
  unsigned lrArg = addArg(ft, "lr", "lr");
  unsigned stepArg = addArg(i64, "step", "step");
  unsigned seedArg = addArg(i64, "seed", "seed");
  SmallVector<unsigned> dArg;
  for (unsigned i : info.dataArgs)
    dArg.push_back(addArg(withBatch(fn.getArgument(i).getType(), batch),
                          "input", "input" + std::to_string(dArg.size())));
  unsigned labelArg = addArg(labelType, "labels", "labels");
  unsigned pointArg = 0;
  if (neyman)
    pointArg = addArg(RankedTensorType::get({batch}, i32), "point_ids",
                      "point_ids");

  SmallVector<Type> resultTypes(argTypes.begin(), argTypes.begin() + numState);
  resultTypes.push_back(RankedTensorType::get({5}, ft));
  b.setInsertionPointToEnd(module.getBody());
  auto train = func::FuncOp::create(b, loc, "train_step" + suffix,
                                    b.getFunctionType(argTypes, resultTypes));
  for (auto [i, r] : llvm::enumerate(roles))
    setRole(train, false, i, r.first, r.second);
  for (unsigned i = 0; i < numState; ++i)
    setRole(train, true, i, roles[i].first, roles[i].second);
  setRole(train, true, numState, "metrics", "metrics");
  train->setAttr("flops.log_sigma_init", b.getF64FloatAttr(std::log(sigma)));
  train->setAttr("flops.batch_size", b.getI64IntegerAttr(batch));
  train->setAttr("flops.queries", b.getI64IntegerAttr(queries));
  train->setAttr("flops.budget", b.getI64IntegerAttr(numRows));
  train->setAttr("flops.allocator", b.getStringAttr(allocator));
  train->setAttr("flops.loss", b.getStringAttr(loss));
  train->setAttr("flops.metrics",
                 b.getStrArrayAttr({"clean_loss", "clean_accuracy",
                                    "row_loss", "grad_norm",
                                    "variance_proxy"}));

  Block *body = train.addEntryBlock();
  b.setInsertionPointToStart(body);
  auto arg = [&](unsigned i) { return body->getArgument(i); };
  Value seed = arg(seedArg), stepV = arg(stepArg);

  // Forward-call operands in the forward's argument order.
  auto forwardArgs = [&](ValueRange data) {
    SmallVector<Value> args(fn.getNumArguments());
    for (unsigned i = 0; i < numParams; ++i)
      args[info.paramArgs[i]] = arg(pArg[i]);
    for (auto [k, i] : llvm::enumerate(info.dataArgs)) {
      Value v = data[k];
      Type want = fn.getArgument(i).getType();
      args[i] = v.getType() == want
                    ? v
                    : Value(tensor::CastOp::create(b, loc, want, v));
    }
    return args;
  };
  auto castResults = [&](ValueRange vals, int64_t rowsN) {
    SmallVector<Value> out;
    for (Value v : vals) {
      Type want = withBatch(v.getType(), rowsN);
      out.push_back(v.getType() == want
                        ? v
                        : Value(tensor::CastOp::create(b, loc, want, v)));
    }
    return out;
  };

  // 1. Noise-free forward of the B points: clean losses and accuracy.
  SmallVector<Value> data;
  for (unsigned i : dArg)
    data.push_back(arg(i));
  auto clean = func::CallOp::create(b, loc, fn, forwardArgs(data));
  SmallVector<Value> cleanOut = castResults(clean.getResults(), batch);
  auto [cleanLoss, cleanCorrect] =
      rowLoss(b, loc, cleanOut, arg(labelArg), module);
  Value invB = step::constF(b, loc, ft, 1.0 / double(batch));
  Value cleanMean =
      arith::MulFOp::create(b, loc, step::sumAll(b, loc, cleanLoss), invB);
  // The forward's prefix that no perturbation reaches, once per point
  // (the same ops as the clean forward's start: CSE merges them after
  // inlining).
  func::CallOp points;
  if (prefix.fn)
    points = func::CallOp::create(b, loc, prefix.fn, forwardArgs(data));
  // A forward value computed per point, with the static batch: a data
  // argument or a result of the points function.
  auto pointValue = [&](Value v) -> Value {
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
    return r.getType() == want
               ? r
               : Value(tensor::CastOp::create(b, loc, want, r));
  };
  Value accuracy = cleanCorrect ? Value(arith::MulFOp::create(
                                      b, loc,
                                      step::sumAll(b, loc, cleanCorrect), invB))
                                : step::constF(b, loc, ft, 0.0);

  // 2. Allocation of the N rows (in pairs with antithetic noise), the row
  // map, row weights.
  ModuleOp mod = module;
  auto countsTy = RankedTensorType::get({batch}, i32);
  int64_t minCount = std::min<int64_t>(minQueries, numRows / batch);
  auto i64c = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  auto f64c = [&](double v) { return step::constF(b, loc, f64, v); };
  Value pairsI32 = arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(antithetic ? 1 : 0));
  // The uniform counts: the allocation itself, or what the runtime leaves in
  // place if it rejects its inputs.
  Value counts = AllocateOp::create(
      b, loc, countsTy, AllocStrategy::uniform, cleanLoss,
      static_cast<uint64_t>(numRows), static_cast<uint64_t>(minCount),
      static_cast<bool>(antithetic));
  Value lossF64 = step::convertElements(b, loc, cleanLoss, f64);
  Value zerosB64 =
      step::filled(b, loc, {batch}, f64, b.getF64FloatAttr(0.0));
  Value lambda, aTilde, neymanSigma, neymanIds;
  if (bernoulli) {
    Value p = f64c(bernoulliP);
    if (bernoulliSwitchStep > 0) {
      Value late = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                         stepV, i64c(bernoulliSwitchStep));
      p = arith::SelectOp::create(b, loc, late, f64c(bernoulliPLate), p);
    }
    counts = step::callRuntime(b, loc, mod, "flops_rt_bernoulli_allocate",
                               {lossF64}, {counts},
                               {p, seed, stepV, i64c(numRows),
                                i64c(minCount), pairsI32})[0];
  } else if (gaussian) {
    lambda = step::callRuntime(b, loc, mod, "flops_rt_standardize_losses",
                               {lossF64}, {zerosB64}, {})[0];
    SmallVector<Value> draw = step::callRuntime(
        b, loc, mod, "flops_rt_gaussian_alloc_draw",
        {lambda, arg(allocStateArg)}, {zerosB64, counts},
        {seed, stepV, i64c(numRows), i64c(minCount), pairsI32,
         f64c(gaussianJitter)});
    aTilde = draw[0];
    counts = draw[1];
  } else if (neyman) {
    // The statistics the earlier steps gathered on these points: queries
    // spent (column 0) and the mean squared estimate norm (column 1).
    Value table = arg(neymanArg);
    // Point ids outside [0, neyman-points) are clamped (the table is never
    // read or written out of bounds; the driver passes valid ids).
    neymanIds = step::map(
        b, loc, arg(pointArg), ValueRange{arg(pointArg)},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value lo = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(0));
          Value hi = arith::ConstantOp::create(
              nb, l, nb.getI32IntegerAttr(int32_t(neymanPoints - 1)));
          return Value(arith::MinSIOp::create(
              nb, l, arith::MaxSIOp::create(nb, l, a[0], lo), hi));
        });
    Value ids = neymanIds;
    Value cols[2];
    for (int64_t c = 0; c < 2; ++c) {
      Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch},
                                            f64);
      AffineMap id = b.getMultiDimIdentityMap(1);
      cols[c] =
          linalg::GenericOp::create(
              b, loc, TypeRange{empty.getType()}, ValueRange{ids},
              ValueRange{empty}, SmallVector<AffineMap>{id, id},
              SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
              [&](OpBuilder &nb, Location l, ValueRange a) {
                Value row = arith::IndexCastOp::create(
                    nb, l, nb.getIndexType(), a[0]);
                Value col = arith::ConstantIndexOp::create(nb, l, c);
                linalg::YieldOp::create(
                    nb, l,
                    Value(tensor::ExtractOp::create(nb, l, table,
                                                    ValueRange{row, col})));
              })
              .getResult(0);
    }
    Value spent = step::convertElements(b, loc, cols[0], i32);
    neymanSigma = step::callRuntime(b, loc, mod, "flops_rt_neyman_sigma",
                                    {cols[1], spent, lossF64}, {zerosB64},
                                    {f64c(neymanKappa)})[0];
    counts = AllocateOp::create(
        b, loc, countsTy, AllocStrategy::neyman, neymanSigma,
        static_cast<uint64_t>(numRows), static_cast<uint64_t>(minCount),
        static_cast<bool>(antithetic));
  }
  auto mapTy = RankedTensorType::get({numRows}, i32);
  Value rowMap = RowMapOp::create(b, loc, mapTy, counts, Value());
  Value weights = RowWeightsOp::create(
      b, loc, RankedTensorType::get({numRows}, ft),
      weighting == "row-mean" ? RowWeighting::row_mean
                              : RowWeighting::per_point,
      counts, rowMap);

  // 3. The rows in chunks of B: perturbed forward, residuals, estimates.
  SmallVector<Value> inits;
  SmallVector<unsigned> trainIdx; // Parameter positions with a gradient.
  for (unsigned i = 0; i < numParams; ++i)
    if (trainable[i]) {
      trainIdx.push_back(i);
      inits.push_back(step::zerosLike(b, loc, arg(pArg[i])));
    }
  unsigned numGrads = inits.size();
  if (learnSigma)
    for (unsigned k = 0; k < numSites; ++k)
      inits.push_back(step::zerosLike(b, loc, arg(rhoArg[k])));
  inits.push_back(step::constF(b, loc, ft, 0.0));
  if (needRowSq) // Per-row squared-norm proxies of the estimates (N, f64).
    inits.push_back(
        step::filled(b, loc, {numRows}, f64, b.getF64FloatAttr(0.0)));
  // A point site's Δ summed per point (its tail's shape, B rows).
  SmallVector<unsigned> pointSites;
  for (unsigned k = 0; k < numSites; ++k)
    if (prefix.pointSite[k]) {
      pointSites.push_back(k);
      inits.push_back(step::zerosLike(
          b, loc, pointValue(info.groups[perturbed[k]].tail)));
    }
  unsigned numPointSites = pointSites.size();
  DenseMap<unsigned, unsigned> gradOf; // Param position -> grads index.
  for (auto [j, i] : llvm::enumerate(trainIdx))
    gradOf[i] = j;

  // The estimator rules of site k, from its Δ at the tail back through the
  // site's ops: parameter estimates added to `grads`. `input` gives the value
  // of a non-parameter input of a site op (per row or per point).
  auto applyRules = [&](unsigned k, Value delta,
                        function_ref<Value(Value)> input,
                        MutableArrayRef<Value> grads) {
    const SiteGroup &site = info.groups[perturbed[k]];
    Location l = loc;
    for (int64_t o = site.ops.size() - 1; o >= 0; --o) {
      Operation *op = site.ops[o];
      auto rule = cast<EstimatorRuleOpInterface>(op);
      auto dps = cast<DestinationStyleOpInterface>(op);
      // A parameter view (a reshape) is re-applied to the parameter, and its
      // gradient is reshaped back.
      // A permuted copy (a flipped window) is re-applied into a fresh
      // tensor, and its gradient copied back by the inverse permutation.
      auto copyInto = [&](Value src, Type type, AffineMap inMap) -> Value {
        auto t = cast<RankedTensorType>(type);
        Value empty = tensor::EmptyOp::create(b, l, t.getShape(),
                                              t.getElementType());
        SmallVector<AffineMap> maps{
            inMap, b.getMultiDimIdentityMap(t.getRank())};
        return linalg::GenericOp::create(
                   b, l, TypeRange{t}, ValueRange{src}, ValueRange{empty},
                   maps,
                   SmallVector<utils::IteratorType>(
                       t.getRank(), utils::IteratorType::parallel),
                   [](OpBuilder &nb, Location nl, ValueRange a) {
                     linalg::YieldOp::create(nb, nl, a[0]);
                   })
            .getResult(0);
      };
      auto reshapeLike = [&](Operation *view, Value src) -> Value {
        if (auto g = dyn_cast<linalg::GenericOp>(view))
          return copyInto(src, g->getResult(0).getType(),
                          g.getMatchingIndexingMap(g.getDpsInputOperand(0)));
        IRMapping m;
        m.map(view->getOperand(0), src);
        return b.clone(*view, m)->getResult(0);
      };
      auto reshapeBack = [&](Operation *view, Value g,
                             Type paramType) -> Value {
        if (isa<linalg::GenericOp>(view))
          return copyInto(g, paramType, inversePermutedCopyMap(view));
        if (auto c = dyn_cast<tensor::CollapseShapeOp>(view))
          return tensor::ExpandShapeOp::create(b, l, paramType, g,
                                               c.getReassociationIndices());
        auto e = cast<tensor::ExpandShapeOp>(view);
        return tensor::CollapseShapeOp::create(b, l, paramType, g,
                                               e.getReassociationIndices());
      };
      SmallVector<Value> ins;
      for (Value in : dps.getDpsInputs()) {
        if (auto p = info.paramOf(in)) {
          Operation *view = info.viewOp(in);
          ins.push_back(view ? reshapeLike(view, arg(pArg[*p]))
                             : Value(arg(pArg[*p])));
        } else {
          ins.push_back(input(in));
        }
      }
      for (OpOperand *in : dps.getDpsInputOperands()) {
        auto p = info.paramOf(in->get());
        if (!p)
          continue;
        unsigned j = gradOf.lookup(*p);
        Operation *view = info.viewOp(in->get());
        Value init = view ? reshapeLike(view, grads[j]) : grads[j];
        FailureOr<Value> gr = rule.buildInputGradient(
            b, l, in->getOperandNumber(), delta, ins, init);
        // Site analysis checked this use, so a failure here is a rule whose
        // build disagrees with its check: an error, never a parameter left
        // with no or a partial gradient.
        if (failed(gr)) {
          op->emitError("the estimator rule failed to build the gradient of "
                        "parameter ")
              << paramName(info.fn, info.paramArgs[*p]);
          ruleFailed = true;
          continue;
        }
        grads[j] = view ? reshapeBack(view, *gr, grads[j].getType()) : *gr;
      }
      // Parameters the body reads (an embedding table).
      auto captured = info.captured.find(op);
      if (captured != info.captured.end())
        for (Value c : captured->second) {
          auto p = info.paramOf(c);
          unsigned j = gradOf.lookup(*p);
          FailureOr<Value> gr =
              rule.buildCapturedGradient(b, l, c, delta, ins, grads[j]);
          if (failed(gr)) {
            op->emitError("the estimator rule failed to build the gradient "
                          "of parameter ")
                << paramName(info.fn, info.paramArgs[*p]);
            ruleFailed = true;
            continue;
          }
          grads[j] = *gr;
        }
      if (o == 0)
        break;
      // Δ of the previous op of the site, through this one.
      Value prev = site.ops[o - 1]->getResult(0);
      for (OpOperand *in : dps.getDpsInputOperands())
        if (in->get() == prev) {
          FailureOr<Value> d = rule.buildInputGradient(
              b, l, in->getOperandNumber(), delta, ins, Value());
          if (failed(d)) {
            op->emitError("the estimator rule failed to carry the site's "
                          "perturbation back to its input #")
                << in->getOperandNumber();
            ruleFailed = true;
            return;
          }
          delta = *d;
          break;
        }
    }
  };
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cq = arith::ConstantIndexOp::create(b, loc, numChunks);
  Value cB = arith::ConstantIndexOp::create(b, loc, batch);
  auto chunks = scf::ForOp::create(
      b, loc, c0, cq, c1, inits,
      [&](OpBuilder &lb, Location l, Value c, ValueRange acc) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
        Value off = arith::MulIOp::create(b, l, c, cB);
        auto sliceTy = RankedTensorType::get({batch}, b.getI32Type());
        Value mapC = tensor::ExtractSliceOp::create(
            b, l, sliceTy, rowMap, ValueRange{off}, ValueRange{}, ValueRange{},
            b.getDenseI64ArrayAttr({ShapedType::kDynamic}),
            b.getDenseI64ArrayAttr({batch}), b.getDenseI64ArrayAttr({1}));
        Value wC = tensor::ExtractSliceOp::create(
            b, l, RankedTensorType::get({batch}, ft), weights, ValueRange{off},
            ValueRange{}, ValueRange{},
            b.getDenseI64ArrayAttr({ShapedType::kDynamic}),
            b.getDenseI64ArrayAttr({batch}), b.getDenseI64ArrayAttr({1}));
        SmallVector<Value> dataC;
        for (unsigned i : dArg)
          dataC.push_back(ExpandOp::create(b, l, arg(i).getType(), arg(i),
                                           mapC));
        Value labelsC =
            ExpandOp::create(b, l, labelType, arg(labelArg), mapC);
        SmallVector<Value> rowArgs = forwardArgs(dataC);
        rowArgs.append({seed, stepV, off});
        for (unsigned k = 0; k < numSites; ++k)
          rowArgs.push_back(arg(rhoArg[k]));
        // Static shapes, so that the inlined rows vectorize.
        for (Value v : prefix.frontier) {
          Value e = ExpandOp::create(b, l, withBatch(v.getType(), batch),
                                     pointValue(v), mapC);
          rowArgs.push_back(
              e.getType() == v.getType()
                  ? e
                  : Value(tensor::CastOp::create(b, l, v.getType(), e)));
        }
        auto call = func::CallOp::create(b, l, rows, rowArgs);
        unsigned numOut = fn.getNumResults();
        SmallVector<Value> outs =
            castResults(call.getResults().take_front(numOut), batch);
        Value lossC = rowLoss(b, l, outs, labelsC, module).first;
        Value resid = ResidualOp::create(
            b, l, lossC.getType(), BaselineAttr::get(ctx, baselineKind()),
            lossC, cleanLoss, mapC);
        Value coeff = step::map(
            b, l, resid, ValueRange{wC, resid},
            [](OpBuilder &nb, Location ll, ValueRange a) {
              return Value(arith::MulFOp::create(nb, ll, a[0], a[1]));
            });

        SmallVector<Value> grads(acc.begin(), acc.end());
        SmallVector<Value> pointDelta(grads.end() - numPointSites,
                                      grads.end());
        grads.resize(grads.size() - numPointSites);
        Value rowSqAcc;
        if (needRowSq) {
          rowSqAcc = grads.back();
          grads.pop_back();
        }
        // Σ over sites of ‖Δ_r‖² (‖a_r‖² + 1) for this chunk's rows.
        Value chunkSq;
        for (auto [k, g] : llvm::enumerate(perturbed)) {
          const SiteGroup &site = info.groups[g];
          const SiteExtras &ex = extras[k];
          Value siteVal = call.getResult(ex.siteResult);
          UnitAttr anti = antithetic ? b.getUnitAttr() : nullptr;
          Value delta = SiteDeltaOp::create(
              b, l, siteVal.getType(), coeff, arg(rhoArg[k]), seed, stepV,
              off, siteVal, b.getI64IntegerAttr(k), anti,
              b.getI64IntegerAttr(site.channelDim));
          if (needRowSq) {
            // METHOD.md §3.2: a query's squared estimate norm at a linear
            // site is R² ‖ε/σ‖² (‖a‖² + 1) = ‖Δ_r‖² (‖a_r‖² + 1) / ω_r²
            // (divided below); `a` is the site's first non-parameter input.
            Value dsq = step::convertElements(
                b, l, step::rowSumSquares(b, l, delta), f64);
            Value asq;
            auto dps = cast<DestinationStyleOpInterface>(site.ops.front());
            for (Value in : dps.getDpsInputs())
              if (!info.paramOf(in)) {
                if (prefix.pointSite[k]) {
                  // Per point, then expanded to the chunk's rows.
                  Value pts = step::convertElements(
                      b, l, step::rowSumSquares(b, l, pointValue(in)), f64);
                  asq = ExpandOp::create(
                      b, l, RankedTensorType::get({batch}, f64), pts, mapC);
                } else {
                  asq = step::convertElements(
                      b, l,
                      step::rowSumSquares(
                          b, l, call.getResult(ex.inputPos.lookup(in))),
                      f64);
                }
                break;
              }
            Value term =
                asq ? step::map(b, l, dsq, ValueRange{dsq, asq},
                                [&](OpBuilder &nb, Location ll, ValueRange a) {
                                  Value one = step::constF(nb, ll, f64, 1.0);
                                  return Value(arith::MulFOp::create(
                                      nb, ll, a[0],
                                      arith::AddFOp::create(nb, ll, a[1],
                                                            one)));
                                })
                    : dsq;
            chunkSq = chunkSq
                          ? step::map(b, l, term, ValueRange{chunkSq, term},
                                      [](OpBuilder &nb, Location ll,
                                         ValueRange a) {
                                        return Value(arith::AddFOp::create(
                                            nb, ll, a[0], a[1]));
                                      })
                          : term;
          }
          if (prefix.pointSite[k]) {
            // Per point: the rules run once after the loop.
            auto pos = llvm::find(pointSites, k) - pointSites.begin();
            pointDelta[pos] = ScatterAddOp::create(
                b, l, pointDelta[pos].getType(), delta, mapC,
                pointDelta[pos]);
          } else {
            applyRules(
                k, delta,
                [&](Value in) {
                  return call.getResult(ex.inputPos.lookup(in));
                },
                grads);
          }
          if (learnSigma) {
            Value gr = LogSigmaGradOp::create(
                b, l, arg(rhoArg[k]).getType(), coeff, seed, stepV, off,
                siteVal, b.getI64IntegerAttr(k), anti,
                b.getI64IntegerAttr(site.channelDim));
            Value prev = grads[numGrads + k];
            grads[numGrads + k] = step::map(
                b, l, prev, ValueRange{prev, gr},
                [](OpBuilder &nb, Location ll, ValueRange a) {
                  return Value(arith::AddFOp::create(nb, ll, a[0], a[1]));
                });
          }
        }
        grads.back() = arith::AddFOp::create(b, l, grads.back(),
                                             step::sumAll(b, l, lossC));
        if (needRowSq) {
          Value w64 = step::convertElements(b, l, wC, f64);
          auto chunkTy0 = RankedTensorType::get({batch}, f64);
          if (chunkSq.getType() != chunkTy0)
            chunkSq = tensor::CastOp::create(b, l, chunkTy0, chunkSq);
          Value rowSqC = step::map(
              b, l, chunkSq, ValueRange{chunkSq, w64},
              [](OpBuilder &nb, Location ll, ValueRange a) {
                Value w2 = arith::MulFOp::create(nb, ll, a[1], a[1]);
                return Value(arith::DivFOp::create(nb, ll, a[0], w2));
              });
          auto chunkTy = RankedTensorType::get({batch}, f64);
          if (rowSqC.getType() != chunkTy)
            rowSqC = tensor::CastOp::create(b, l, chunkTy, rowSqC);
          grads.push_back(tensor::InsertSliceOp::create(
              b, l, rowSqC, rowSqAcc, ValueRange{off}, ValueRange{},
              ValueRange{}, b.getDenseI64ArrayAttr({ShapedType::kDynamic}),
              b.getDenseI64ArrayAttr({batch}), b.getDenseI64ArrayAttr({1})));
        }
        grads.append(pointDelta);
        scf::YieldOp::create(b, l, grads);
      });
  SmallVector<Value> grads(chunks.getResults());
  SmallVector<Value> pointDeltaSums(grads.end() - numPointSites, grads.end());
  grads.resize(grads.size() - numPointSites);
  Value rowSq;
  if (needRowSq) {
    rowSq = grads.back();
    grads.pop_back();
  }
  Value rowLossMean = arith::MulFOp::create(
      b, loc, grads.back(), step::constF(b, loc, ft, 1.0 / double(numRows)));
  grads.pop_back();
  // The point sites' estimates from their Δ summed per point: the rules are
  // linear in Δ and sum over rows, so Σ_r a_point(r) Δ_r = Σ_i a_i Σ_r Δ_r.
  for (auto [pos, k] : llvm::enumerate(pointSites))
    applyRules(k, pointDeltaSums[pos], pointValue, grads);

  // 4. Gradient norm, optional clipping.
  Value normSq = step::constF(b, loc, ft, 0.0);
  for (Value g : grads)
    normSq = arith::AddFOp::create(b, loc, normSq, step::sumSquares(b, loc, g));
  Value norm = math::SqrtOp::create(b, loc, normSq);
  if (clipNorm > 0.0) {
    Value limit = step::constF(b, loc, ft, clipNorm);
    Value ratio = arith::DivFOp::create(
        b, loc, limit,
        arith::AddFOp::create(b, loc, norm, step::constF(b, loc, ft, 1e-6)));
    Value scale = arith::MinimumFOp::create(b, loc, ratio,
                                            step::constF(b, loc, ft, 1.0));
    for (Value &g : grads)
      g = step::map(b, loc, g, ValueRange{g},
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      return Value(arith::MulFOp::create(nb, l, a[0], scale));
                    });
  }

  // 5. Optimizer.
  Value lr = arg(lrArg);
  Value t = arith::SIToFPOp::create(
      b, loc, ft,
      arith::AddIOp::create(b, loc, stepV,
                            arith::ConstantOp::create(
                                b, loc, b.getI64IntegerAttr(1))));
  Value bc1, bc2;
  if (adam) {
    Value one = step::constF(b, loc, ft, 1.0);
    bc1 = arith::SubFOp::create(
        b, loc, one,
        math::PowFOp::create(b, loc, step::constF(b, loc, ft, beta1), t));
    bc2 = arith::SubFOp::create(
        b, loc, one,
        math::PowFOp::create(b, loc, step::constF(b, loc, ft, beta2), t));
  }
  SmallVector<Value> newState(numState);
  for (unsigned i = 0; i < numState; ++i)
    newState[i] = arg(i);
  auto update = [&](Value g, unsigned p, unsigned m, unsigned v) {
    Value P = arg(p), M = arg(m);
    if (adam) {
      Value V = arg(v);
      SmallVector<Value> r = step::mapN(
          b, loc, ValueRange{P, M, V}, ValueRange{P, g, M, V},
          [&](OpBuilder &nb, Location l, ValueRange a) -> SmallVector<Value> {
            auto c = [&](double x) { return step::constF(nb, l, ft, x); };
            Value m2 = arith::AddFOp::create(
                nb, l, arith::MulFOp::create(nb, l, c(beta1), a[2]),
                arith::MulFOp::create(nb, l, c(1.0 - beta1), a[1]));
            Value gg = arith::MulFOp::create(nb, l, a[1], a[1]);
            Value v2 = arith::AddFOp::create(
                nb, l, arith::MulFOp::create(nb, l, c(beta2), a[3]),
                arith::MulFOp::create(nb, l, c(1.0 - beta2), gg));
            Value mh = arith::DivFOp::create(nb, l, m2, bc1);
            Value vh = arith::DivFOp::create(nb, l, v2, bc2);
            Value den = arith::AddFOp::create(
                nb, l, math::SqrtOp::create(nb, l, vh), c(epsilon));
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
              arith::MulFOp::create(nb, l, step::constF(nb, l, ft, momentum),
                                    a[2]),
              a[1]);
          Value p2 = arith::SubFOp::create(
              nb, l, a[0], arith::MulFOp::create(nb, l, lr, mom));
          return {p2, mom};
        });
    newState[p] = r[0];
    newState[m] = r[1];
  };
  for (auto [j, i] : llvm::enumerate(trainIdx))
    update(grads[j], pArg[i], mArg[j], adam ? vArg[j] : 0);
  if (learnSigma)
    for (unsigned k = 0; k < numSites; ++k)
      update(grads[numGrads + k], rhoArg[k], rmArg[k], adam ? rvArg[k] : 0);

  // 6. The allocators' own updates from V-hat (METHOD.md §3.2, §3.5).
  Value vHat = step::constF(b, loc, ft, 0.0);
  if (needRowSq) {
    Value vt = step::callRuntime(
        b, loc, mod, "flops_rt_variance_proxy", {rowSq, rowMap},
        {step::filled(b, loc, {1}, f64, b.getF64FloatAttr(0.0))},
        {i64c(batch)})[0];
    Value v64 = tensor::ExtractOp::create(
        b, loc, vt, ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
    vHat = ft == f64 ? v64 : Value(arith::TruncFOp::create(b, loc, ft, v64));
    if (gaussian)
      newState[allocStateArg] = step::callRuntime(
          b, loc, mod, "flops_rt_gaussian_alloc_update", {lambda, aTilde},
          {arg(allocStateArg)},
          {v64, f64c(gaussianJitter), f64c(gaussianLr),
           f64c(gaussianBaselineDecay)})[0];
    if (neyman) {
      // Fold this step's queries into the points' running statistics:
      // n += A_i, mean += A_i (s_i² − mean) / n.
      SmallVector<Value> means = step::callRuntime(
          b, loc, mod, "flops_rt_point_square_means", {rowSq, rowMap},
          {zerosB64, step::filled(b, loc, {batch}, i32,
                                  b.getI32IntegerAttr(0))},
          {});
      Value cB0 = arith::ConstantIndexOp::create(b, loc, 0);
      Value cB1 = arith::ConstantIndexOp::create(b, loc, 1);
      Value cBn = arith::ConstantIndexOp::create(b, loc, batch);
      auto loop = scf::ForOp::create(
          b, loc, cB0, cBn, cB1, ValueRange{arg(neymanArg)},
          [&](OpBuilder &lb, Location l, Value i, ValueRange acc) {
            Value id = tensor::ExtractOp::create(lb, l, neymanIds,
                                                 ValueRange{i});
            Value row = arith::IndexCastOp::create(lb, l, lb.getIndexType(),
                                                   id);
            Value col0 = arith::ConstantIndexOp::create(lb, l, 0);
            Value col1 = arith::ConstantIndexOp::create(lb, l, 1);
            Value n0 = tensor::ExtractOp::create(lb, l, acc[0],
                                                 ValueRange{row, col0});
            Value m0 = tensor::ExtractOp::create(lb, l, acc[0],
                                                 ValueRange{row, col1});
            Value a = arith::SIToFPOp::create(
                lb, l, f64,
                tensor::ExtractOp::create(lb, l, means[1], ValueRange{i}));
            Value s2 = tensor::ExtractOp::create(lb, l, means[0],
                                                 ValueRange{i});
            Value n1 = arith::AddFOp::create(lb, l, n0, a);
            Value safe = arith::MaximumFOp::create(
                lb, l, n1, step::constF(lb, l, f64, 1.0));
            Value m1 = arith::AddFOp::create(
                lb, l, m0,
                arith::DivFOp::create(
                    lb, l,
                    arith::MulFOp::create(lb, l, a,
                                          arith::SubFOp::create(lb, l, s2,
                                                                m0)),
                    safe));
            Value t = tensor::InsertOp::create(lb, l, n1, acc[0],
                                               ValueRange{row, col0});
            t = tensor::InsertOp::create(lb, l, m1, t, ValueRange{row, col1});
            scf::YieldOp::create(lb, l, t);
          });
      newState[neymanArg] = loop.getResult(0);
    }
  }

  Value metrics = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({5}, ft),
      ValueRange{cleanMean, accuracy, rowLossMean, norm, vHat});
  SmallVector<Value> results(newState);
  results.push_back(metrics);
  func::ReturnOp::create(b, loc, results);
}

void ForwardTrainPass::buildEvalStep(ModuleOp module, const ForwardInfo &info,
                                     int64_t batch, Type labelType) {
  func::FuncOp fn = info.fn;
  OpBuilder b(&getContext());
  Location loc = fn.getLoc();
  Type ft = getElementTypeOrSelf(fn.getResultTypes()[0]);
  SmallVector<Type> argTypes;
  for (unsigned i : info.paramArgs)
    argTypes.push_back(fn.getArgument(i).getType());
  for (unsigned i : info.dataArgs)
    argTypes.push_back(withBatch(fn.getArgument(i).getType(), batch));
  argTypes.push_back(labelType);
  argTypes.push_back(b.getI64Type());
  b.setInsertionPointToEnd(module.getBody());
  auto eval = func::FuncOp::create(
      b, loc, "eval_step" + suffix,
      b.getFunctionType(argTypes, {RankedTensorType::get({2}, ft)}));
  unsigned a = 0;
  for (unsigned i : info.paramArgs)
    setRole(eval, false, a++, "param", paramName(fn, i));
  for (unsigned k = 0; k < info.dataArgs.size(); ++k)
    setRole(eval, false, a++, "input", "input" + std::to_string(k));
  setRole(eval, false, a++, "labels", "labels");
  setRole(eval, false, a++, "valid", "valid");
  setRole(eval, true, 0, "metrics", "metrics");
  eval->setAttr("flops.metrics", b.getStrArrayAttr({"loss_sum", "correct"}));
  Block *body = eval.addEntryBlock();
  b.setInsertionPointToStart(body);
  SmallVector<Value> args(fn.getNumArguments());
  unsigned k = 0;
  for (unsigned i : info.paramArgs)
    args[i] = body->getArgument(k++);
  for (unsigned i : info.dataArgs) {
    Value v = body->getArgument(k++);
    Type want = fn.getArgument(i).getType();
    args[i] = v.getType() == want ? v
                                  : Value(tensor::CastOp::create(b, loc, want,
                                                                 v));
  }
  Value labels = body->getArgument(k++);
  Value valid = body->getArgument(k++);
  auto call = func::CallOp::create(b, loc, fn, args);
  SmallVector<Value> outs;
  for (Value v : call.getResults()) {
    Type want = withBatch(v.getType(), batch);
    outs.push_back(v.getType() == want
                       ? v
                       : Value(tensor::CastOp::create(b, loc, want, v)));
  }
  auto [lossRows, correct] = rowLoss(b, loc, outs, labels, module);
  // Mask rows >= valid (a padded last batch).
  auto masked = [&](Value t) {
    return step::map(b, loc, t, ValueRange{t},
                     [&](OpBuilder &nb, Location l, ValueRange x) {
                       Value r = arith::IndexCastOp::create(
                           nb, l, nb.getI64Type(),
                           linalg::IndexOp::create(nb, l, 0));
                       Value in = arith::CmpIOp::create(
                           nb, l, arith::CmpIPredicate::slt, r, valid);
                       return Value(arith::SelectOp::create(
                           nb, l, in, x[0], step::constF(nb, l, ft, 0.0)));
                     });
  };
  Value lossSum = step::sumAll(b, loc, masked(lossRows));
  Value hits = correct ? step::sumAll(b, loc, masked(correct))
                       : step::constF(b, loc, ft, 0.0);
  Value metrics = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({2}, ft), ValueRange{lossSum, hits});
  func::ReturnOp::create(b, loc, metrics);
}

void ForwardTrainPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(checkOptions(module)))
    return signalPassFailure();
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  if (!fn) {
    module.emitError("flops-forward-train: no function @") << entry;
    return signalPassFailure();
  }
  FailureOr<ForwardInfo> info = analyzeForward(fn);
  if (failed(info))
    return signalPassFailure();
  if (info->groups.empty()) {
    fn.emitError("no perturbation site: no parameter feeds a contraction or "
                 "an elementwise op");
    return signalPassFailure();
  }
  int64_t batch = info->batch;
  if (ShapedType::isDynamic(batch)) {
    if (batchSize == 0) {
      fn.emitError("the forward's batch is dynamic: set the batch-size "
                   "option");
      return signalPassFailure();
    }
    batch = batchSize;
  } else if (batchSize != 0 && batchSize != batch) {
    fn.emitError() << "batch-size " << static_cast<int64_t>(batchSize)
                   << " differs from the forward's static batch " << batch;
    return signalPassFailure();
  }

  // Rows per step: point ids and the chunk arithmetic are 32-bit, and a
  // product that overflows would be a silently wrong (or crashing) step.
  int64_t rowsPerStep = budget;
  if (budget == 0 && llvm::MulOverflow(batch, int64_t(queries), rowsPerStep))
    rowsPerStep = std::numeric_limits<int64_t>::max();
  if (rowsPerStep > std::numeric_limits<int32_t>::max()) {
    module.emitError("flops-forward-train: ")
        << (budget > 0 ? "budget " : "rows per step batch x queries = ")
        << (budget > 0 || rowsPerStep < std::numeric_limits<int64_t>::max()
                ? std::to_string(rowsPerStep)
                : std::to_string(batch) + " x " +
                      std::to_string(int64_t(queries)))
        << " exceeds 2^31 - 1 rows";
    return signalPassFailure();
  }
  if (rowsPerStep % batch != 0 || rowsPerStep < batch) {
    module.emitError("flops-forward-train: budget ")
        << rowsPerStep << " is not a positive multiple of the batch size "
        << batch << " (rows are processed in chunks of one batch)";
    return signalPassFailure();
  }
  // The allocators give every point at least min-queries; a budget that
  // cannot is an error, not a silent clamp.
  if (minQueries * batch > rowsPerStep &&
      (budget > 0 || allocator != "uniform")) {
    module.emitError("flops-forward-train: ")
        << (budget > 0 ? "budget " : "rows per step (batch x queries) ")
        << rowsPerStep << " cannot give " << static_cast<int64_t>(minQueries)
        << " queries to each of " << batch << " points";
    return signalPassFailure();
  }

  // Labels: integers for cross-entropy, like the output for mse, the user
  // loss's second argument otherwise.
  Type resultType = fn.getResultTypes()[0];
  Type labelType;
  if (loss == "cross-entropy") {
    auto rt = cast<RankedTensorType>(resultType);
    if (rt.getRank() != 2 || fn.getNumResults() != 1) {
      fn.emitError("loss=cross-entropy needs one result of rank 2 (rows x "
                   "classes), got ")
          << resultType;
      return signalPassFailure();
    }
    labelType = RankedTensorType::get({batch}, IntegerType::get(&getContext(), 32));
  } else if (loss == "mse") {
    auto rt = cast<RankedTensorType>(resultType);
    if (fn.getNumResults() != 1 ||
        (!rt.hasStaticShape() &&
         llvm::any_of(rt.getShape().drop_front(), ShapedType::isDynamic))) {
      fn.emitError("loss=mse needs one result with static non-batch "
                   "dimensions, got ")
          << resultType;
      return signalPassFailure();
    }
    labelType = withBatch(resultType, batch);
  } else {
    auto lf = module.lookupSymbol<func::FuncOp>(lossFn);
    if (!lf || lf.getNumArguments() != fn.getNumResults() + 1 ||
        lf.getNumResults() != 1) {
      module.emitError("loss=user needs a function @")
          << lossFn << "(outputs..., labels) -> tensor<?xf32>";
      return signalPassFailure();
    }
    labelType = withBatch(lf.getArgumentTypes().back(), batch);
  }

  unsigned numGroups = info->groups.size();
  if (perturbLast > numGroups) {
    fn.emitError("flops-forward-train: perturb-last=")
        << static_cast<int64_t>(perturbLast) << " but the forward has "
        << numGroups << " perturbation site" << (numGroups == 1 ? "" : "s");
    return signalPassFailure();
  }
  unsigned first = perturbLast > 0 && perturbLast < numGroups
                       ? numGroups - perturbLast
                       : 0;
  SmallVector<unsigned> perturbed;
  if (sites.empty()) {
    for (unsigned g = first; g < numGroups; ++g)
      perturbed.push_back(g);
  } else {
    // Sites by the names of the parameters they read.
    std::string available;
    for (unsigned g = 0; g < numGroups; ++g) {
      SmallVector<std::string> names;
      for (Operation *op : info->groups[g].ops)
        for (Value in : info->paramReads(op))
          if (auto p = info->paramOf(in))
            names.push_back(paramName(fn, info->paramArgs[*p]));
      bool match = llvm::any_of(names, [&](const std::string &n) {
        return llvm::any_of(sites, [&](const std::string &s) {
          return StringRef(n).contains(s);
        });
      });
      if (match)
        perturbed.push_back(g);
      available += (available.empty() ? "" : "; ") + std::to_string(g) + ": " +
                   llvm::join(names, ", ");
    }
    if (perturbed.empty()) {
      fn.emitError("flops-forward-train: no site reads a parameter whose "
                   "name contains one of sites=")
          << llvm::join(sites, ",") << "; the sites read: " << available;
      return signalPassFailure();
    }
  }

  // A parameter shared by several sites gets the sum of their estimates; if
  // only some of them are perturbed, its gradient would miss the others'
  // contributions.
  {
    DenseSet<unsigned> isPerturbed(perturbed.begin(), perturbed.end());
    DenseMap<unsigned, unsigned> perturbedReader; // Param -> a site.
    for (unsigned g : perturbed)
      for (Operation *op : info->groups[g].ops)
        for (Value in : info->paramReads(op))
          if (auto p = info->paramOf(in))
            perturbedReader.try_emplace(*p, g);
    for (unsigned g = 0; g < numGroups; ++g) {
      if (isPerturbed.contains(g))
        continue;
      for (Operation *op : info->groups[g].ops)
        for (Value in : info->paramReads(op)) {
          auto p = info->paramOf(in);
          if (!p || !perturbedReader.count(*p))
            continue;
          op->emitError()
              << "parameter " << paramName(fn, info->paramArgs[*p])
              << " is shared by perturbed site " << perturbedReader[*p]
              << " and by this op of site " << g
              << ", which is not perturbed (perturb-last / sites): its "
                 "gradient would miss this use; perturb both sites";
          return signalPassFailure();
        }
    }
  }

  SmallVector<SiteExtras> extras;
  PointPrefix prefix;
  func::FuncOp rows = buildRows(module, *info, perturbed, extras, prefix);
  buildTrainStep(module, *info, rows, perturbed, extras, prefix, batch,
                 labelType);
  if (ruleFailed)
    return signalPassFailure();
  buildEvalStep(module, *info, batch, labelType);
}

} // namespace
