//===- Train.cpp - the training driver behind flops-train -----------------===//

#include "flops/Driver/Train.h"

#include "flops/Driver/Device.h"
#include "flops/Runtime/TrainLoop.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace mlir::flops::driver;
namespace rt = ::flops::rt;

namespace {

/// The shortest decimal text that reads back as `v`.
std::string shortest(double v) {
  char buf[64];
  for (int p = 6; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

} // namespace

std::string TrainStepOptions::passText(int64_t batch) const {
  auto b = [](bool v) { return v ? "true" : "false"; };
  return "flops-forward-train{entry=" + entry +
         (estimator == "lr" ? std::string() : " estimator=" + estimator) +
         (spsaInPlace ? " spsa-in-place=true" : "") +
         (esRank ? " es-rank=" + std::to_string(esRank) : std::string()) +
         " queries=" + std::to_string(queries) +
         " batch-size=" + std::to_string(batch) +
         " antithetic=" + b(antithetic) + " loss=" + loss +
         " baseline=" + baseline +
         " perturb-last=" + std::to_string(perturbLast) +
         (perturb == "all" ? std::string() : " perturb=" + perturb) +
         (sites.empty() ? std::string()
                        : " sites=" + llvm::join(sites, ",")) +
         " sigma=" + shortest(sigma) + " freeze-sigma=" + b(freezeSigma) +
         " point-prefix=" + b(pointPrefix) +
         " optimizer=" + optimizer + " beta1=" + shortest(beta1) +
         " beta2=" + shortest(beta2) + " epsilon=" + shortest(epsilon) +
         " momentum=" + shortest(momentum) +
         " clip-norm=" + shortest(clipNorm) + " allocator=" + allocator +
         " budget=" + std::to_string(budget) +
         " min-queries=" + std::to_string(minQueries) +
         " weighting=" + weighting + " bernoulli-p=" + shortest(bernoulliP) +
         " bernoulli-p-late=" + shortest(bernoulliPLate) +
         " bernoulli-switch-step=" +
         std::to_string(std::max<int64_t>(bernoulliSwitchStep, 0)) +
         " gaussian-lr=" + shortest(gaussianLr) +
         " neyman-points=" + std::to_string(neymanPoints) +
         " neyman-kappa=" + shortest(neymanKappa) + "}";
}

bool mlir::flops::driver::buildTrainStep(Session &session,
                                         const TrainConfig &cfg,
                                         TrainStepBuild *out,
                                         std::string *error) {
  if (!rt::checkLoopOptions(cfg, error))
    return false;
  if (cfg.step.batchSize < 0) {
    *error = "--batch-size must be >= 1, got " +
             std::to_string(cfg.step.batchSize);
    return false;
  }
  for (const std::string *s : {&cfg.step.entry, &cfg.step.loss,
                               &cfg.step.baseline, &cfg.step.optimizer,
                               &cfg.step.perturb})
    if (s->empty() || s->find_first_of(" {}=\"'") != std::string::npos) {
      *error = "invalid option value '" + *s + "'";
      return false;
    }

  // --- Model --------------------------------------------------------------
  if (!out->module) // a caller may have imported it (flops-compile, ONNX)
    out->module = session.parseFile(cfg.modelPath, error);
  if (!out->module)
    return false;
  ModuleOp module = *out->module;
  auto forward = module.lookupSymbol<func::FuncOp>(cfg.step.entry);
  if (!forward || forward.isExternal()) {
    *error = cfg.modelPath + ": no function @" + cfg.step.entry +
             " to train (flops-train needs @" + cfg.step.entry +
             " in linalg on tensors, parameters marked flops.param)";
    return false;
  }
  int64_t batch = cfg.step.batchSize, numClasses = 0;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    if (forward.getArgAttr(i, "flops.param"))
      continue;
    auto t = dyn_cast<RankedTensorType>(forward.getArgumentTypes()[i]);
    if (batch == 0 && t && t.getRank() >= 1 && t.isDynamicDim(0))
      batch = 64;
    break;
  }
  if (forward.getNumResults() >= 1)
    if (auto t = dyn_cast<RankedTensorType>(forward.getResultTypes()[0]))
      if (t.getRank() == 2 && !t.isDynamicDim(1))
        numClasses = t.getDimSize(1);
  // The training rows (their count sizes the Neyman allocator's table and
  // the Bernoulli allocator's first epoch); fitted to the step's shapes by
  // TrainLoop::prepare.
  if (!rt::loadTrainingData(cfg, &out->data, error))
    return false;
  int64_t trainRows = out->data.train.size();
  TrainStepOptions stepOpts = cfg.step;
  if (stepOpts.allocator == "neyman")
    stepOpts.neymanPoints = trainRows;
  if (stepOpts.bernoulliSwitchStep < 0)
    stepOpts.bernoulliSwitchStep = batch > 0 ? trainRows / batch : 0;
  std::string passText = stepOpts.passText(batch);
  if (!runPipeline(module, passText, error)) {
    std::string d = session.takeDiagnostics();
    *error = "flops-forward-train failed on " + cfg.modelPath +
             (d.empty() ? "" : ":\n" + d);
    return false;
  }
  // The step ABI is read on the tensor level, so that data problems are
  // reported before the (slow) compilation.
  for (auto [name, sig] : {std::pair<const char *, FunctionSignature *>{
                               "train_step", &out->train},
                           {"eval_step", &out->eval}}) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    if (!f) {
      *error = std::string("flops-forward-train did not produce @") + name;
      return false;
    }
    if (!readSignature(f, sig, error))
      return false;
  }
  out->facts.entry = cfg.step.entry;
  out->facts.passText = passText;
  out->facts.loss = cfg.step.loss;
  out->facts.allocator = cfg.step.allocator;
  out->facts.queries = cfg.step.queries;
  out->facts.sigma = cfg.step.sigma;
  out->facts.numClasses = numClasses;
  return true;
}

bool JitStep::call(const char *name, const std::vector<ArgValue> &args,
                   const std::vector<Buffer *> &results, std::string *error) {
  return prog.call(name, args, results, error);
}

std::shared_ptr<rt::MemorySpace> JitStep::memory() const {
  return prog.device();
}

std::string JitStep::pipelineText() const { return prog.pipelineText(); }

int64_t JitStep::numThreads() const { return prog.numThreads(); }

std::string JitStep::compileNote() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "compiled in %.1f s", prog.compileSeconds());
  return buf;
}

bool mlir::flops::driver::runTraining(const TrainConfig &cfg,
                                      std::string *error) {
  Session session;
  TrainStepBuild step;
  if (!buildTrainStep(session, cfg, &step, error))
    return false;
  rt::TrainLoop loop;
  if (!loop.prepare(cfg, std::move(step.data), step.train, step.eval,
                    step.facts, error))
    return false;
  CompileOptions copts = cfg.compile;
  std::string notes;
  llvm::raw_string_ostream notesOS(notes);
  copts.log = &notesOS;
  std::unique_ptr<Program> prog = Program::compile(
      session, *step.module, {"train_step", "eval_step"}, copts, error);
  notesOS.flush();
  if (!notes.empty())
    std::fputs(notes.c_str(), cfg.log);
  if (!prog)
    return false;
  JitStep jit(*prog);
  return loop.run(jit, error);
}
