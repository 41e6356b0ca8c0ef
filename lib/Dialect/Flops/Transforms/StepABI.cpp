//===- StepABI.cpp - the state ABI of @train_step -------------------------===//
//
// Arguments: the state (parameters, their optimizer moments, the sites'
// log-sigmas and theirs, the allocator's state), then lr, step, seed, the
// data, the labels and (Neyman) the point ids. Results: the state, updated,
// then the metrics. Every argument and result carries `flops.role` and
// `flops.name`; docs/ARCHITECTURE.md, "Training step ABI".
//
//===----------------------------------------------------------------------===//

#include "TrainStep.h"

#include <cmath>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

/// The parameters read by the perturbed sites, and their gradient slots.
static void markTrainable(StepContext &ctx) {
  StepABI &abi = ctx.abi;
  const ForwardInfo &info = ctx.info;
  abi.trainable.assign(ctx.numParams(), false);
  for (unsigned g : ctx.perturbed)
    for (Operation *op : info.groups[g].ops)
      for (Value v : info.paramReads(op))
        if (auto p = info.paramOf(v))
          abi.trainable[*p] = true;
  for (unsigned i = 0; i < ctx.numParams(); ++i)
    if (abi.trainable[i]) {
      abi.gradOf[i] = abi.trainIdx.size();
      abi.trainIdx.push_back(i);
    }
}

void train::buildStepSignature(StepContext &ctx) {
  markTrainable(ctx);
  const Options &opt = ctx.opt;
  const ForwardInfo &info = ctx.info;
  func::FuncOp fn = info.fn;
  OpBuilder &b = ctx.b;
  StepABI &abi = ctx.abi;
  bool adam = ctx.adam();
  unsigned numParams = ctx.numParams(), numSites = ctx.numSites();

  SmallVector<Type> argTypes;
  SmallVector<std::pair<std::string, std::string>> roles; // (role, name)
  auto addArg = [&](Type t, StringRef role, const std::string &name) {
    argTypes.push_back(t);
    roles.push_back({role.str(), name});
    return argTypes.size() - 1;
  };
  auto pname = [&](unsigned i) { return paramName(fn, info.paramArgs[i]); };
  auto site = [](unsigned k) { return "site" + std::to_string(k); };
  for (unsigned i = 0; i < numParams; ++i)
    abi.pArg.push_back(
        addArg(fn.getArgument(info.paramArgs[i]).getType(), "param",
               pname(i)));
  // In-place MeZO (plain SGD) keeps no momentum.
  for (unsigned i = 0; i < numParams && !ctx.inPlace(); ++i)
    if (abi.trainable[i])
      abi.mArg.push_back(addArg(argTypes[abi.pArg[i]],
                                adam ? "adam_m" : "momentum", pname(i)));
  if (adam)
    for (unsigned i = 0; i < numParams; ++i)
      if (abi.trainable[i])
        abi.vArg.push_back(addArg(argTypes[abi.pArg[i]], "adam_v", pname(i)));
  for (unsigned k = 0; ctx.siteNoise && k < numSites; ++k)
    abi.rhoArg.push_back(addArg(
        ctx.rows.getArgumentTypes()[fn.getNumArguments() + 3 + k],
        "log_sigma", site(k)));
  if (ctx.learnSigma()) {
    for (unsigned k = 0; k < numSites; ++k)
      abi.rmArg.push_back(addArg(argTypes[abi.rhoArg[k]],
                                 adam ? "log_sigma_adam_m"
                                      : "log_sigma_momentum",
                                 site(k)));
    if (adam)
      for (unsigned k = 0; k < numSites; ++k)
        abi.rvArg.push_back(
            addArg(argTypes[abi.rhoArg[k]], "log_sigma_adam_v", site(k)));
  }
  if (ctx.gaussian())
    abi.allocStateArg = addArg(RankedTensorType::get({16}, ctx.f64),
                               "allocator_state", "gaussian");
  if (ctx.neyman())
    abi.neymanArg =
        addArg(RankedTensorType::get({opt.neymanPoints, 2}, ctx.f64),
               "neyman_stats", "neyman");
  abi.numState = argTypes.size();
  abi.lrArg = addArg(ctx.ft, "lr", "lr");
  abi.stepArg = addArg(ctx.i64, "step", "step");
  abi.seedArg = addArg(ctx.i64, "seed", "seed");
  for (unsigned i : info.dataArgs)
    abi.dArg.push_back(
        addArg(withBatch(fn.getArgument(i).getType(), ctx.batch), "input",
               "input" + std::to_string(abi.dArg.size())));
  abi.labelArg = addArg(ctx.labelType, "labels", "labels");
  if (ctx.neyman())
    abi.pointArg = addArg(RankedTensorType::get({ctx.batch}, ctx.i32),
                          "point_ids", "point_ids");

  SmallVector<Type> resultTypes(argTypes.begin(),
                                argTypes.begin() + abi.numState);
  resultTypes.push_back(RankedTensorType::get({5}, ctx.ft));
  b.setInsertionPointToEnd(ctx.module.getBody());
  auto train =
      func::FuncOp::create(b, ctx.loc, "train_step" + opt.suffix,
                           b.getFunctionType(argTypes, resultTypes));
  for (auto [i, r] : llvm::enumerate(roles))
    setRole(train, false, i, r.first, r.second);
  for (unsigned i = 0; i < abi.numState; ++i)
    setRole(train, true, i, roles[i].first, roles[i].second);
  setRole(train, true, abi.numState, "metrics", "metrics");
  train->setAttr("flops.log_sigma_init",
                 b.getF64FloatAttr(std::log(opt.sigma)));
  train->setAttr("flops.batch_size", b.getI64IntegerAttr(ctx.batch));
  train->setAttr("flops.queries", b.getI64IntegerAttr(opt.queries));
  train->setAttr("flops.budget", b.getI64IntegerAttr(ctx.numRows));
  train->setAttr("flops.allocator", b.getStringAttr(opt.allocator));
  if (opt.estimator != "lr")
    train->setAttr("flops.estimator", b.getStringAttr(opt.estimator));
  if (ctx.inPlace())
    train->setAttr("flops.in_place_state", b.getUnitAttr());
  train->setAttr("flops.loss", b.getStringAttr(opt.loss));
  train->setAttr("flops.metrics",
                 b.getStrArrayAttr({"clean_loss", "clean_accuracy",
                                    "row_loss", "grad_norm",
                                    "variance_proxy"}));
  ctx.train = train;
  Block *body = train.addEntryBlock();
  b.setInsertionPointToStart(body);
}
