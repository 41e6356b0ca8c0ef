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
#include <cmath>
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

/// Where a checkpoint stands in a run: the metadata --resume reads
/// (docs/CLI.md). flops-train's loop and the Python Trainer both write it
/// through TrainState::checkpoint.
struct ResumePoint {
  /// `batch` batches of `epoch` are done; `step` steps in all.
  int64_t epoch = 0, batch = 0, step = 0;
  int64_t trainRows = 0;
  /// The epoch's running metric sums so far.
  double sums[5] = {0, 0, 0, 0, 0};
  /// The first epoch's loss and accuracy (NaN: none yet).
  double first[2] = {NAN, NAN};
  uint64_t seed = 0;
  /// The model (file name), the flops-forward-train pass text (--resume
  /// compares it) and the lowering pipeline.
  std::string model, forwardTrain, pipeline;
};

/// The step ABI of a compiled @train_step / @eval_step pair and the
/// training state on it, one step at a time. TrainLoop::run drives one, and
/// so does the Python package's Trainer (lib/Driver/Trainer.cpp): both read
/// the ABI, initialise the state and call the step the same way, so one
/// Python step equals one flops-train step bit for bit.
///
/// Order: bind (the signatures; before compiling), init (after compiling:
/// the buffers live in the program's memory), then step / evaluate.
class TrainState {
public:
  TrainState();
  ~TrainState();
  TrainState(const TrainState &) = delete;
  TrainState &operator=(const TrainState &) = delete;

  /// Reads and checks the step ABI (the arguments' roles). Messages name
  /// `tool` (what feeds the data) and `entry` (the trained function).
  bool bind(const FunctionSignature &train, const FunctionSignature &eval,
            const std::string &tool, const std::string &entry,
            std::string *error);
  const FunctionSignature &trainSignature() const { return ts; }
  const FunctionSignature &evalSignature() const { return es; }
  const TensorSpec &inputSpec() const { return ts.args[inputIdx]; }
  const TensorSpec &labelSpec() const { return ts.args[labelIdx]; }
  /// Rows per batch (dimension 0 of the input).
  int64_t batchSize() const { return inputSpec().shape[0]; }
  /// The training state: the step's first arguments (parameters, optimizer
  /// moments, log sigma, allocator state).
  unsigned numState() const { return numStateArgs; }
  /// State positions of the parameters, in order (parameter k is
  /// initialised from Philox stream k).
  const std::vector<unsigned> &paramPositions() const { return params; }
  bool needsPointIds() const { return pointIdIdx >= 0; }
  /// The checkpoint name of state tensor i: parameters by flops.name,
  /// allocator.<name>, else state.<role>.<name>.
  std::string stateKey(unsigned i) const;
  /// Rows per step (flops.budget, else batch x queries).
  int64_t budget(int64_t queries) const;

  /// Allocates every buffer (in `memory`; null: the host's) and sets the
  /// starting state: parameters from `file` (by flops.name; `fileName` in
  /// messages) or by `init` with `seed` (parameter k from stream k), log
  /// sigma from flops.log_sigma_init or log(sigma), the Gaussian
  /// allocator's uniform start.
  bool init(std::shared_ptr<MemorySpace> memory, const SafeTensors *file,
            const std::string &fileName, InitKind init, uint64_t seed,
            double sigma, int64_t queries, std::string *error);
  /// State tensor i of the current state (valid until the next step: steps
  /// alternate between two buffer sets).
  Buffer &state(unsigned i) { return pingPong.sets[cur][i]; }
  const Buffer &state(unsigned i) const { return pingPong.sets[cur][i]; }
  /// A checkpoint of the whole training state (every state tensor under
  /// its stateKey) with `at`'s resume metadata.
  SafeTensors checkpoint(const ResumePoint &at) const;
  /// The step's own batch buffers (in the program's memory): a caller may
  /// gather a batch into them and pass their data to step / evaluate.
  Buffer &inputBuffer() { return input; }
  Buffer &labelBuffer() { return labels; }
  Buffer &pointIdBuffer() { return pointIds; }
  Buffer &evalInputBuffer() { return eInput; }
  Buffer &evalLabelBuffer() { return eLabels; }

  /// One @train_step at learning rate `lr` and step number `step` on `x`
  /// and `y` (B dense rows of inputSpec / labelSpec). In host memory they
  /// are passed as they are (borrowed, no copy); in a device's memory they
  /// are copied into the own buffers (unless they are those). `pointIds`
  /// (B training-row indices) is required when needsPointIds. On success
  /// the new state is current and the step's metrics are in metrics().
  bool step(StepProgram &program, const void *x, const void *y,
            const int32_t *pointIds, double lr, int64_t step,
            std::string *error);
  /// The last step's metrics (clean loss, accuracy, row loss, gradient
  /// norm, [variance proxy]).
  const Buffer &metrics() const { return metricsBuf; }
  /// The data pointer of the input descriptor the last step handed to the
  /// compiled code.
  uintptr_t lastInputAddress() const { return lastInput; }
  /// One @eval_step batch on the current parameters: `x`, `y` as for step,
  /// the first `valid` rows count; out = {loss sum, correct count}.
  bool evaluate(StepProgram &program, const void *x, const void *y,
                int64_t valid, double out[2], std::string *error);

private:
  FunctionSignature ts, es;
  unsigned lrIdx = 0, stepIdx = 0, seedIdx = 0, labelIdx = 0, inputIdx = 0;
  unsigned eInputIdx = 0, eLabelIdx = 0, eValidIdx = 0, numStateArgs = 0;
  int pointIdIdx = -1;
  std::vector<unsigned> params, eParams;
  std::shared_ptr<MemorySpace> memory;
  PingPongState pingPong;
  Buffer metricsBuf, input, labels, pointIds, eInput, eLabels, eOut;
  Buffer xView, yView; // borrowed batches (host memory)
  std::vector<ArgValue> eArgs;
  int cur = 0;
  uintptr_t lastInput = 0;
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
