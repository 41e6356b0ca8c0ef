//===- ForwardTrain.cpp - the flops-forward-train pass ---------------------===//
//
// Builds @<entry>_rows, @train_step and @eval_step from a forward function.
// The ABI (argument and result order, roles) is documented in
// docs/ARCHITECTURE.md, "Training step ABI".
//
//===----------------------------------------------------------------------===//

#include "TrainStep.h"
#include "StepBuilders.h"

#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

namespace mlir::flops {
#define GEN_PASS_DEF_FORWARDTRAINPASS
#include "flops/Dialect/Flops/Transforms/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;
using train::paramName;
using train::setRole;
using train::withBatch;

namespace {

struct ForwardTrainPass
    : mlir::flops::impl::ForwardTrainPassBase<ForwardTrainPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult checkOptions(ModuleOp module);
  /// The options as the phase builders read them.
  train::Options options() const;
  /// The labels' type, or null after a diagnostic.
  Type labelTypeFor(ModuleOp module, func::FuncOp fn, int64_t batch);
  /// The perturbed site groups (perturb-last / sites), or failure after a
  /// diagnostic.
  FailureOr<SmallVector<unsigned>> selectSites(func::FuncOp fn,
                                               const ForwardInfo &info);
  void buildEvalStep(ModuleOp module, const ForwardInfo &info, int64_t batch,
                     Type labelType);
};

train::Options ForwardTrainPass::options() const {
  train::Options o;
  o.entry = entry;
  o.estimator = estimator;
  o.spsaInPlace = spsaInPlace;
  o.esRank = esRank;
  o.suffix = suffix;
  o.queries = queries;
  o.batchSize = batchSize;
  o.antithetic = antithetic;
  o.loss = loss;
  o.lossFn = lossFn;
  o.baseline = baseline;
  o.perturbLast = perturbLast;
  o.perturb = perturb;
  o.sites.assign(sites.begin(), sites.end());
  o.allocator = allocator;
  o.budget = budget;
  o.minQueries = minQueries;
  o.weighting = weighting;
  o.bernoulliP = bernoulliP;
  o.bernoulliPLate = bernoulliPLate;
  o.bernoulliSwitchStep = bernoulliSwitchStep;
  o.gaussianLr = gaussianLr;
  o.gaussianJitter = gaussianJitter;
  o.gaussianBaselineDecay = gaussianBaselineDecay;
  o.neymanPoints = neymanPoints;
  o.neymanKappa = neymanKappa;
  o.sigma = sigma;
  o.pointPrefix = pointPrefix;
  o.freezeSigma = freezeSigma;
  o.optimizer = optimizer;
  o.beta1 = beta1;
  o.beta2 = beta2;
  o.epsilon = epsilon;
  o.momentum = momentum;
  o.clipNorm = clipNorm;
  return o;
}

LogicalResult ForwardTrainPass::checkOptions(ModuleOp module) {
  auto bad = [&](const Twine &msg) {
    return module.emitError("flops-forward-train: ") << msg, failure();
  };
  std::unique_ptr<train::Estimator> est = train::createEstimator(estimator);
  if (!est)
    return bad("estimator must be one of " + train::estimatorNames() +
               ", got '" + estimator + "'");
  std::string conflict = est->checkOptions(options());
  if (!conflict.empty())
    return bad(conflict);
  if (perturb != "all" && perturb != "layer-wise")
    return bad("perturb must be all or layer-wise, got '" + perturb + "'");
  if (perturb == "layer-wise" && estimator != "lr")
    return bad("perturb=layer-wise selects the noise sites of estimator=lr; "
               "estimator=" + estimator + " perturbs the weights");
  if (spsaInPlace && estimator != "spsa")
    return bad("spsa-in-place is an option of estimator=spsa (got "
               "estimator=" + estimator + ")");
  if (esRank != 0 && estimator != "es")
    return bad("es-rank is an option of estimator=es (got estimator=" +
               estimator + ")");
  if (esRank < 0)
    return bad("es-rank must be >= 0, got " + Twine(esRank));
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
  // V-hat (docs/METHOD.md §3.2) is unbounded for a point without queries: the
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
  train::Options opt = options();
  auto [lossRows, correct] =
      train::rowLoss(b, loc, opt, module, outs, labels);
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
  std::unique_ptr<train::Estimator> est = train::createEstimator(estimator);
  int64_t unit = est->rowsPerUnit() * batch;
  if (rowsPerStep % unit != 0) {
    module.emitError("flops-forward-train: estimator=")
        << estimator << " evaluates " << est->rowsPerUnit()
        << " forwards of the batch per direction: the rows per step ("
        << rowsPerStep << ") must be a multiple of " << unit;
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

  Type labelType = labelTypeFor(module, fn, batch);
  if (!labelType)
    return signalPassFailure();
  FailureOr<SmallVector<unsigned>> perturbed = selectSites(fn, *info);
  if (failed(perturbed))
    return signalPassFailure();

  train::Options opt = options();
  SmallVector<train::SiteExtras> extras;
  PointPrefix prefix;
  func::FuncOp rows;
  if (est->queriesRows()) {
    rows = est->buildRows(opt, *info, *perturbed, extras, prefix);
    if (!rows)
      return signalPassFailure();
  }
  OpBuilder b(&getContext());
  train::StepContext ctx(opt, module, *info, *perturbed, extras, prefix, rows,
                         batch, rowsPerStep, labelType, b, fn.getLoc());
  train::buildTrainStep(ctx, *est);
  if (ctx.ruleFailed)
    return signalPassFailure();
  buildEvalStep(module, *info, batch, labelType);
}

Type ForwardTrainPass::labelTypeFor(ModuleOp module, func::FuncOp fn,
                                    int64_t batch) {
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
      return Type();
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
      return Type();
    }
    labelType = withBatch(resultType, batch);
  } else {
    auto lf = module.lookupSymbol<func::FuncOp>(lossFn);
    if (!lf || lf.getNumArguments() != fn.getNumResults() + 1 ||
        lf.getNumResults() != 1) {
      module.emitError("loss=user needs a function @")
          << lossFn << "(outputs..., labels) -> tensor<?xf32>";
      return Type();
    }
    labelType = withBatch(lf.getArgumentTypes().back(), batch);
  }

  return labelType;
}

FailureOr<SmallVector<unsigned>>
ForwardTrainPass::selectSites(func::FuncOp fn, const ForwardInfo &info) {
  unsigned numGroups = info.groups.size();
  if (perturbLast > numGroups) {
    fn.emitError("flops-forward-train: perturb-last=")
        << static_cast<int64_t>(perturbLast) << " but the forward has "
        << numGroups << " perturbation site" << (numGroups == 1 ? "" : "s");
    return failure();
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
      for (Operation *op : info.groups[g].ops)
        for (Value in : info.paramReads(op))
          if (auto p = info.paramOf(in))
            names.push_back(paramName(fn, info.paramArgs[*p]));
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
      return failure();
    }
  }

  // A parameter shared by several sites gets the sum of their estimates; if
  // only some of them are perturbed, its gradient would miss the others'
  // contributions.
  {
    DenseSet<unsigned> isPerturbed(perturbed.begin(), perturbed.end());
    DenseMap<unsigned, unsigned> perturbedReader; // Param -> a site.
    for (unsigned g : perturbed)
      for (Operation *op : info.groups[g].ops)
        for (Value in : info.paramReads(op))
          if (auto p = info.paramOf(in))
            perturbedReader.try_emplace(*p, g);
    for (unsigned g = 0; g < numGroups; ++g) {
      if (isPerturbed.contains(g))
        continue;
      for (Operation *op : info.groups[g].ops)
        for (Value in : info.paramReads(op)) {
          auto p = info.paramOf(in);
          if (!p || !perturbedReader.count(*p))
            continue;
          op->emitError()
              << "parameter " << paramName(fn, info.paramArgs[*p])
              << " is shared by perturbed site " << perturbedReader[*p]
              << " and by this op of site " << g
              << ", which is not perturbed (perturb-last / sites): its "
                 "gradient would miss this use; perturb both sites";
          return failure();
        }
    }
  }

  return perturbed;
}

} // namespace
