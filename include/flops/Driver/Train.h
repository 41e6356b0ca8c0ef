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

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace mlir::flops::driver {

/// Options of flops-forward-train (same names and defaults as the pass,
/// except batchSize: 0 = the forward's static batch, 64 if it is dynamic).
struct TrainStepOptions {
  std::string entry = "forward";
  /// Gradient estimator: lr or spsa (the pass option `estimator`).
  std::string estimator = "lr";
  int64_t queries = 8;
  int64_t batchSize = 0;
  bool antithetic = true;
  std::string loss = "cross-entropy";
  std::string baseline = "clean";
  int64_t perturbLast = 0;
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
  double gaussianLr = 1e-2;
  double neymanKappa = 2.0;
  int64_t neymanPoints = 0; // set by the driver to the training rows

  /// `flops-forward-train{...}` with every option spelled out.
  std::string passText(int64_t resolvedBatch) const;
};

struct TrainConfig {
  std::string modelPath;
  TrainStepOptions step;
  CompileOptions compile;

  // Data: Fashion-MNIST from dataDir unless trainNpy is given.
  std::string dataDir = "/usr/share/datasets/fashion-mnist";
  std::string trainNpy, trainLabels, testNpy, testLabels;
  int64_t limitTrain = 0, limitTest = 0; // 0 = all rows

  // Training.
  // Defaults: the MLP reaches >= 82 % test accuracy on Fashion-MNIST with
  // them (docs/EXPERIMENTS.md).
  int64_t epochs = 20;
  double lr = 1e-3;
  double lrDecay = 0.8;     // StepLR factor
  int64_t lrDecayEvery = 1; // epochs between decays; 0 = constant
  uint64_t seed = 0;
  std::string init = "he";
  std::string paramsPath, savePath, metricsPath;
  /// Continue the run whose checkpoint (written by --save) is here: the
  /// whole training state (parameters, optimizer moments, log sigma,
  /// allocator state), the step, the epoch and the position in it. The
  /// resumed run ends bit-identical to an uninterrupted one (same threads).
  std::string resumePath;
  /// Also write the checkpoint every N steps (0: only after each epoch).
  int64_t saveEvery = 0;
  /// Stop after this many steps in all (0: no limit), writing the
  /// checkpoint there (mid-epoch when it falls inside one); --resume goes on.
  int64_t maxSteps = 0;

  // Output.
  bool progress = true;  // live progress line (a terminal) / periodic lines
  bool quiet = false;    // no banner and summary
  std::FILE *log = stderr;
};

/// Trains as configured. False with a message on any error: unreadable or
/// malformed model, pass failure (with its diagnostics), data that do not
/// fit the model, a non-finite loss (naming the step; the last checkpoint
/// written is kept), I/O errors.
bool runTraining(const TrainConfig &config, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_TRAIN_H
