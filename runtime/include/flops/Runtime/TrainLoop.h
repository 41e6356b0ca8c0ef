//===- TrainLoop.h - flops-train's loop behind a step interface -*- C++ -*-===//
//
// The training loop of flops-train, with no LLVM or MLIR dependency: data
// loading and fitting, parameter initialisation, shuffled batches, ping-pong
// state buffers, per-epoch test evaluation, JSON-lines metrics, progress,
// atomic safetensors checkpoints and --resume (docs/CLI.md). The compiled
// @train_step / @eval_step are reached through StepProgram: flops-train
// wraps its JIT'd functions (lib/Driver/Train.cpp), a program made by
// flops-compile its linked symbols (runtime/compiled/). One implementation,
// so both print the same messages and write the same metrics and
// checkpoints.
//
// Order (what the driver does around it):
//   checkLoopOptions; loadTrainingData (its row count enters the step
//   options); [driver: flops-forward-train, signatures]; TrainLoop::prepare
//   (step ABI, --params, --resume, fitting the data: every data problem is
//   reported before the slow compilation); [driver: compile];
//   TrainLoop::run.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_TRAINLOOP_H
#define FLOPS_RUNTIME_TRAINLOOP_H

#include "flops/Runtime/Init.h"
#include "flops/Runtime/SafeTensors.h"
#include "flops/Runtime/StepABI.h"
#include "flops/Runtime/Tensor.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace flops::rt {

/// Data, training and output options (flops-train's, and a compiled
/// program's). Defaults are flops-train's.
struct LoopConfig {
  /// The model file (messages and checkpoint metadata).
  std::string modelPath;
  /// The prefix of banner and status lines ("flops-train").
  std::string toolName = "flops-train";

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

/// The facts of the compiled step the loop needs besides its signatures.
struct StepFacts {
  /// The trained forward function's name (messages).
  std::string entry = "forward";
  /// The flops-forward-train pass text (checkpoint metadata; --resume
  /// compares it).
  std::string passText;
  std::string loss = "cross-entropy";
  std::string allocator = "uniform";
  int64_t queries = 8;
  double sigma = 1e-3;
  /// Outputs of the forward (class count) for label checks; 0 = unknown.
  int64_t numClasses = 0;
};

/// The compiled @train_step and @eval_step.
class StepProgram {
public:
  virtual ~StepProgram();
  /// Calls `name` ("train_step" / "eval_step"), as callPacked.
  virtual bool call(const char *name, const std::vector<ArgValue> &args,
                    const std::vector<Buffer *> &results,
                    std::string *error) = 0;
  /// Where the call buffers live (null: host memory).
  virtual std::shared_ptr<MemorySpace> memory() const { return nullptr; }
  /// The textual pipeline that lowered the step (checkpoint metadata).
  virtual std::string pipelineText() const = 0;
  virtual int64_t numThreads() const = 0;
  /// The banner's second line starts with this ("compiled in 1.2 s").
  virtual std::string compileNote() const = 0;
};

/// Checks the options no pass checks (ranges, exclusions, writable output
/// directories, --init). False with a message naming the option.
bool checkLoopOptions(const LoopConfig &cfg, std::string *error);

/// One split of the data.
struct DataSplit {
  Tensor x, y;
  std::string name;        // "training" / "test"
  std::string source;      // the inputs' file
  std::string labelSource; // the labels' file
  int64_t size() const { return x.shape.empty() ? 0 : x.shape[0]; }
};

struct TrainingData {
  DataSplit train, test;
  bool haveTest = false;
  std::chrono::steady_clock::time_point started;
};

/// Reads the training and test splits (--limit-* applied), checks that
/// neither is empty where it is needed.
bool loadTrainingData(const LoopConfig &cfg, TrainingData *data,
                      std::string *error);

/// The loop. prepare() before compiling the step, run() after.
class TrainLoop {
public:
  TrainLoop();
  ~TrainLoop();
  /// Checks the step ABI of `train`/`eval`, reads --params and --resume,
  /// fits the data to the step's input and label types.
  bool prepare(const LoopConfig &cfg, TrainingData data,
               const FunctionSignature &train, const FunctionSignature &eval,
               const StepFacts &facts, std::string *error);
  /// Trains (prepare must have succeeded).
  bool run(StepProgram &program, std::string *error);

private:
  struct State;
  std::unique_ptr<State> s;
};

} // namespace flops::rt

#endif // FLOPS_RUNTIME_TRAINLOOP_H
