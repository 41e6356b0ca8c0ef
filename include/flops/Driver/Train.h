//===- Train.h - the training driver behind flops-train ---------*- C++ -*-===//
//
// compile @forward into @train_step / @eval_step (flops-forward-train + a
// lowering pipeline), JIT them, and train on Fashion-MNIST or .npy arrays:
// shuffled batches, ping-pong state buffers, per-epoch test evaluation,
// JSON-lines metrics and atomic safetensors checkpoints (docs/CLI.md).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_TRAIN_H
#define FLOPS_DRIVER_TRAIN_H

#include "flops/Driver/Program.h"
#include "flops/Runtime/TrainLoop.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace mlir::flops::driver {

/// Options of flops-forward-train (same names and defaults as the pass,
/// except batchSize: 0 = the forward's static batch, 64 if it is dynamic).
struct TrainStepOptions {
  std::string entry = "forward";
  /// Gradient estimator: lr, spsa or es (the pass option `estimator`).
  std::string estimator = "lr";
  /// estimator=spsa: in-place MeZO (the pass option `spsa-in-place`).
  bool spsaInPlace = false;
  /// estimator=es: rank of the low-rank weight noise (`es-rank`; 0 = full).
  int64_t esRank = 0;
  int64_t queries = 8;
  int64_t batchSize = 0;
  bool antithetic = true;
  std::string loss = "cross-entropy";
  std::string baseline = "clean";
  int64_t perturbLast = 0;
  /// Sites a query row perturbs: all or layer-wise (the pass option).
  std::string perturb = "all";
  /// Perturb only the sites reading a parameter whose name contains one of
  /// these (the pass option `sites`); empty = all.
  std::vector<std::string> sites;
  double sigma = 1e-3;
  bool freezeSigma = false;
  /// The pass option `point-prefix`: the forward's unperturbed prefix once
  /// per data point.
  bool pointPrefix = true;
  std::string optimizer = "adam";
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, momentum = 0.9;
  double clipNorm = 0.0;
  // Query allocation (docs/CLI.md, "Allocators").
  std::string allocator = "uniform";
  int64_t budget = 0; // 0 = batch x queries
  int64_t minQueries = 2;
  std::string weighting = "per-point";
  double bernoulliP = 0.3, bernoulliPLate = 0.01;
  int64_t bernoulliSwitchStep = -1; // -1: one epoch (set by the driver)
  double gaussianLr = 0.1;
  double neymanKappa = 2.0;
  int64_t neymanPoints = 0; // set by the driver to the training rows

  /// `flops-forward-train{...}` with every option spelled out.
  std::string passText(int64_t resolvedBatch) const;
};

/// flops-train's configuration: the loop's (data, training, output; the
/// LLVM-free FlopsTrainLoop, TrainLoop.h) plus the step and its compilation.
struct TrainConfig : ::flops::rt::LoopConfig {
  TrainStepOptions step;
  CompileOptions compile;
};

/// The step flops-forward-train built from a model, with what the loop needs.
struct TrainStepBuild {
  OwningOpRef<ModuleOp> module; // @train_step / @eval_step on tensors
  FunctionSignature train, eval;
  ::flops::rt::StepFacts facts;
  ::flops::rt::TrainingData data; // read before the pass (row count)
};

/// Checks the options, parses the model (unless `out->module` holds it
/// already), reads the data (its row count enters the step options) and
/// runs flops-forward-train: what flops-train and flops-compile do before
/// compiling.
bool buildTrainStep(Session &session, const TrainConfig &cfg,
                    TrainStepBuild *out, std::string *error);

/// A JIT-compiled Program's @train_step / @eval_step behind the training
/// loop's interface (rt::StepProgram): what flops-train's loop and the
/// Python Trainer (rt::TrainState) call.
class JitStep : public ::flops::rt::StepProgram {
public:
  explicit JitStep(Program &p) : prog(p) {}
  bool call(const char *name, const std::vector<ArgValue> &args,
            const std::vector<Buffer *> &results,
            std::string *error) override;
  std::shared_ptr<::flops::rt::MemorySpace> memory() const override;
  std::string pipelineText() const override;
  int64_t numThreads() const override;
  std::string compileNote() const override;

private:
  Program &prog;
};

/// Trains as configured. False with a message on any error: unreadable or
/// malformed model, pass failure (with its diagnostics), data that do not
/// fit the model, a non-finite loss (naming the step; the last checkpoint
/// written is kept), I/O errors.
bool runTraining(const TrainConfig &config, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_TRAIN_H
