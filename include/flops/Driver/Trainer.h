//===- Trainer.h - a step-at-a-time training API (Python) -------*- C++ -*-===//
//
// What the Python package (python/, docs/PYTHON.md) calls: a Model (a
// parsed or ONNX-imported module plus the parameter values that came with
// it), a Trainer that compiles @train_step / @eval_step exactly as
// flops-train does and runs one step at a time on caller-owned batches, and
// a compiled @forward for a fixed batch.
//
// One Trainer::step equals one step of flops-train's loop on the same state:
// the same pass options (TrainStepOptions::passText), and the same code
// reads the step ABI, initialises the state (parameters from the seed and
// stream k of parameter k, log sigma, the Gaussian allocator's start) and
// calls the step: rt::TrainState (runtime/lib/TrainState.cpp), which
// flops-train's loop drives too. The checkpoint format is
// flops-train's (--save / --resume / --params read what saveCheckpoint
// writes, and loadCheckpoint reads what they write).
//
// Batches are borrowed (Buffer::wrap): nothing is copied on the way in
// (with --device cuda's memory they are copied into the step's buffers).
// Not thread-safe: one call at a time per Trainer.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_TRAINER_H
#define FLOPS_DRIVER_TRAINER_H

#include "flops/Driver/Program.h"
#include "flops/Driver/Train.h"
#include "flops/Runtime/SafeTensors.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::flops::driver {

/// A model: its module (in its own Session) and, for an imported ONNX model
/// or after loadWeights, parameter values by flops.name.
class Model {
public:
  /// `.onnx` files are imported (docs/ONNX.md); anything else is parsed as
  /// MLIR.
  static std::shared_ptr<Model> fromFile(const std::string &path,
                                         std::string *error);
  static std::shared_ptr<Model> fromMlir(const std::string &text,
                                         const std::string &name,
                                         std::string *error);
  /// A serialized ONNX ModelProto.
  static std::shared_ptr<Model> fromOnnx(const std::string &bytes,
                                         const std::string &name,
                                         std::string *error);
  /// Parameter values to start from (safetensors, by flops.name).
  bool loadWeights(const std::string &path, std::string *error);

  Session &session() { return *sess; }
  ModuleOp module() { return *mod; }
  const std::string &name() const { return label; }
  /// The parameter values, or nullptr when there are none.
  const ::flops::rt::SafeTensors *weights() const {
    return haveWeights ? &values : nullptr;
  }
  ::flops::rt::SafeTensors &mutableWeights() {
    haveWeights = true;
    return values;
  }
  /// The module as text.
  std::string str();

private:
  Model();
  std::unique_ptr<Session> sess;
  OwningOpRef<ModuleOp> mod;
  ::flops::rt::SafeTensors values;
  bool haveWeights = false;
  std::string label;
};

struct TrainerOptions {
  TrainStepOptions step;
  CompileOptions compile;
  uint64_t seed = 0;
  std::string init = "he";
  /// Rows of the training set: sizes the Neyman allocator's table and the
  /// Bernoulli allocator's first epoch (flops-train sets both from it).
  int64_t trainRows = 0;
};

class Trainer {
public:
  ~Trainer();
  /// Runs flops-forward-train on a copy of the model's module, compiles the
  /// steps and initialises the state (from the model's weights when it has
  /// them, else by `init`).
  static std::unique_ptr<Trainer> create(std::shared_ptr<Model> model,
                                         const TrainerOptions &options,
                                         std::string *error);

  const TensorSpec &inputSpec() const;
  const TensorSpec &labelSpec() const;
  int64_t batchSize() const;
  /// Output classes of @forward (0 when not a [B, C] result).
  int64_t numClasses() const { return classes; }
  bool needsPointIds() const;
  unsigned numMetrics() const;
  const std::string &passText() const { return pass; }
  const Program &program() const { return *prog; }
  const TrainerOptions &options() const { return opts; }

  /// The training state: parameters, optimizer moments, log sigma,
  /// allocator state (the step's first arguments).
  unsigned numState() const;
  const TensorSpec &stateSpec(unsigned i) const;
  /// The checkpoint name of state tensor i (parameters by flops.name).
  std::string stateKey(unsigned i) const;
  /// The current values (valid until the next step: steps alternate
  /// between two buffer sets).
  Buffer &state(unsigned i);

  /// One training step on `x` and `y` (B rows of inputSpec / labelSpec,
  /// dense, borrowed) at learning rate `lr`; `pointIds` (B training-row
  /// indices) is required by the Neyman allocator and ignored otherwise.
  /// The step's metrics go to `metrics` (clean loss, accuracy, row loss,
  /// gradient norm, [variance proxy]).
  bool step(void *x, void *y, const int32_t *pointIds, double lr,
            std::vector<float> *metrics, std::string *error);
  /// @eval_step on the current parameters: the first `valid` rows count;
  /// `out` = {loss sum, correct count}.
  bool evaluate(void *x, void *y, int64_t valid, double out[2],
                std::string *error);
  /// Steps taken (the `step` scalar of the next call).
  int64_t stepCount() const { return steps; }
  /// The data pointer of the input descriptor that the last step handed
  /// to the compiled code (tests check that it is the caller's array).
  uintptr_t lastInputAddress() const;
  void setStepCount(int64_t s) { steps = s; }

  /// flops-train's checkpoint: the whole state by stateKey and the
  /// metadata (format, resume, seed, model, forward_train, pipeline, step,
  /// train_rows; `extra` adds or overrides keys such as epoch and batch).
  bool saveCheckpoint(const std::string &path,
                      const std::map<std::string, std::string> &extra,
                      std::string *error);
  /// Copies the tensors of `st` named by stateKey into the state. With
  /// `requireAll`, every state tensor must be there; else missing ones keep
  /// their values (a --params file holds only the parameters). Shapes and
  /// dtypes must match.
  bool loadState(const ::flops::rt::SafeTensors &st, bool requireAll,
                 const std::string &source, std::string *error);

private:
  Trainer();
  std::shared_ptr<Model> model;
  TrainerOptions opts;
  std::string pass;
  std::unique_ptr<Program> prog;
  int64_t classes = 0;
  struct State;
  std::unique_ptr<State> st;
  int64_t steps = 0;
};

/// @forward compiled for a fixed batch: parameters by flops.name, then the
/// data inputs, as in the model.
class Forward {
public:
  ~Forward();
  /// Specialises a dynamic batch (dimension 0 of the data arguments and
  /// results) to `batch` and compiles `entry` alone.
  static std::unique_ptr<Forward> create(Model &model,
                                         const std::string &entry,
                                         int64_t batch,
                                         const CompileOptions &options,
                                         std::string *error);
  const FunctionSignature &signature() const;
  /// Calls it: `params` by flops.name (each dense, of its spec), `inputs`
  /// (one per data argument), results into `outputs` (allocated here).
  bool run(const std::map<std::string, void *> &params,
           const std::vector<void *> &inputs, std::vector<Buffer> *outputs,
           std::string *error);

private:
  Forward();
  std::unique_ptr<Program> prog;
  std::string entryName;
};

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_TRAINER_H
