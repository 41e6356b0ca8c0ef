//===- TrainLoop.cpp - flops-train's loop behind a step interface ---------===//
//
// See runtime/include/flops/Runtime/TrainLoop.h. No LLVM or MLIR here: this
// file is linked into the programs of flops-compile.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/TrainLoop.h"

#include "flops/Runtime/Allocators.h"
#include "flops/Runtime/Batcher.h"
#include "flops/Runtime/Idx.h"
#include "flops/Runtime/Init.h"
#include "flops/Runtime/Metrics.h"
#include "flops/Runtime/Npy.h"
#include "flops/Runtime/SafeTensors.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace flops::rt;
namespace rt = ::flops::rt;

StepProgram::~StepProgram() = default;

namespace {

/// Decimal integer, the whole string.
bool toInteger(const std::string &s, int64_t *out) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

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

/// %g, with "nan" / "inf" / "-inf" spelled the same everywhere.
std::string number(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// Checks that the directory that will hold `path` exists and is writable.
bool checkOutputDir(const std::string &path, const char *option,
                    std::string *error) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = std::string(option) + " " + path + ": the directory " + dir +
             " does not exist";
    return false;
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    *error = std::string(option) + " " + path + ": the directory " + dir +
             " is not writable";
    return false;
  }
  return true;
}

std::string fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

using Split = DataSplit;

bool readPair(const std::string &xPath, const std::string &yPath,
              const char *xOpt, const char *yOpt, Split *out,
              std::string *error) {
  if (yPath.empty()) {
    *error = std::string(xOpt) + " needs " + yOpt + " (the labels)";
    return false;
  }
  if (!rt::readNpy(xPath, &out->x, error) ||
      !rt::readNpy(yPath, &out->y, error))
    return false;
  out->source = xPath;
  out->labelSource = yPath;
  return true;
}

bool loadSplit(const LoopConfig &cfg, bool train, Split *out, bool *present,
               std::string *error) {
  out->name = train ? "training" : "test";
  *present = true;
  if (!cfg.trainNpy.empty()) {
    if (train) {
      if (!readPair(cfg.trainNpy, cfg.trainLabels, "--train-npy",
                    "--train-labels", out, error))
        return false;
    } else if (cfg.testNpy.empty()) {
      *present = false;
      return true;
    } else if (!readPair(cfg.testNpy, cfg.testLabels, "--test-npy",
                         "--test-labels", out, error)) {
      return false;
    }
  } else {
    if (!cfg.testNpy.empty() && !train) {
      if (!readPair(cfg.testNpy, cfg.testLabels, "--test-npy",
                    "--test-labels", out, error))
        return false;
    } else {
      rt::Dataset ds;
      if (!rt::loadFashionMnist(
              cfg.dataDir, train ? rt::Split::Train : rt::Split::Test, &ds,
              error)) {
        *error += " (set --data-dir, or give --train-npy/--train-labels)";
        return false;
      }
      out->x = std::move(ds.images);
      out->y = std::move(ds.labels);
      out->source = ds.imagesPath;
      out->labelSource = ds.labelsPath;
    }
  }
  if (out->x.shape.empty() || out->y.shape.empty() ||
      out->x.shape[0] != out->y.shape[0]) {
    *error = out->source + ": the " + out->name + " inputs " +
             rt::shapeToString(out->x.shape) + " and labels " +
             rt::shapeToString(out->y.shape) +
             " do not have the same number of rows";
    return false;
  }
  int64_t limit = train ? cfg.limitTrain : cfg.limitTest;
  if (limit > 0 && limit < out->size()) {
    for (rt::Tensor *t : {&out->x, &out->y}) {
      size_t rowBytes = t->bytes.size() / size_t(t->shape[0]);
      t->shape[0] = limit;
      t->bytes.resize(rowBytes * size_t(limit));
    }
  }
  return true;
}

/// Converts the split to the model's input and label types; checks shapes
/// and label ranges.
bool fitSplit(Split &d, const TensorSpec &input, const TensorSpec &labels,
              int64_t numClasses, std::string *error) {
  int64_t have = rowElements(d.x.shape), want = rowElements(input.shape);
  if (have != want) {
    *error = d.source + ": the " + d.name + " inputs have rows of " +
             rowShape(d.x.shape) + " (" + std::to_string(have) +
             " values); the model expects rows of " + rowShape(input.shape) +
             " (" + std::to_string(want) + " values): input '" + input.name +
             "' of @train_step is " + input.str();
    return false;
  }
  if (d.x.dtype != input.dtype) {
    rt::Tensor x;
    if (!convertTensor(d.x, input.dtype, /*u8AsUnit=*/true, &x, error)) {
      *error = d.source + ": " + *error;
      return false;
    }
    d.x = std::move(x);
  }

  int64_t n = d.size();
  bool intLabels = d.y.dtype != rt::DType::F32 && d.y.dtype != rt::DType::F64;
  if (labels.shape.size() == 1) {
    // Class indices.
    if (rowElements(d.y.shape) != 1 || !intLabels) {
      *error = d.labelSource + ": the " + d.name + " labels must be integer " +
               "class indices, one per row (the model takes " +
               labels.str() + "), got " + rt::dtypeName(d.y.dtype) + " " +
               rt::shapeToString(d.y.shape);
      return false;
    }
    rt::Tensor y, y64;
    if (!convertTensor(d.y, rt::DType::I64, false, &y64, error))
      return false;
    const int64_t *v = y64.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      if (v[i] < 0 || (numClasses > 0 && v[i] >= numClasses)) {
        *error = d.labelSource + ": " + d.name + " label " + std::to_string(v[i]) +
                 " at row " + std::to_string(i) + " is outside 0.." +
                 std::to_string(numClasses - 1) + " (the model has " +
                 std::to_string(numClasses) + " outputs)";
        return false;
      }
    if (!convertTensor(y64, labels.dtype, false, &y, error))
      return false;
    y.shape = {n};
    d.y = std::move(y);
    return true;
  }
  // Targets (mse): one-hot for integer labels, else the values.
  int64_t per = rowElements(labels.shape);
  if (intLabels && rowElements(d.y.shape) == 1) {
    rt::Tensor y64, y;
    if (!convertTensor(d.y, rt::DType::I64, false, &y64, error) ||
        !rt::makeTensor(rt::DType::F64, {n, per}, &y, error))
      return false;
    const int64_t *v = y64.data<int64_t>();
    double *o = y.data<double>();
    for (int64_t i = 0; i < n; ++i) {
      if (v[i] < 0 || v[i] >= per) {
        *error = d.labelSource + ": " + d.name + " label " + std::to_string(v[i]) +
                 " at row " + std::to_string(i) + " cannot be one-hot " +
                 "encoded into " + std::to_string(per) + " targets";
        return false;
      }
      o[i * per + v[i]] = 1.0;
    }
    d.y = std::move(y);
  } else if (rowElements(d.y.shape) != per) {
    *error = d.labelSource + ": the " + d.name + " targets have rows of " +
             rowShape(d.y.shape) + "; the model's labels are " + labels.str();
    return false;
  }
  rt::Tensor y;
  if (!convertTensor(d.y, labels.dtype, false, &y, error))
    return false;
  d.y = std::move(y);
  return true;
}

bool isFinite(double v) { return std::isfinite(v); }

} // namespace

bool flops::rt::checkLoopOptions(const LoopConfig &cfg, std::string *error) {
  // --- Options the pass does not check -----------------------------------
  if (cfg.epochs < 0) {
    *error = "--epochs must be >= 0, got " + std::to_string(cfg.epochs);
    return false;
  }
  if (!(cfg.lr > 0.0) || !isFinite(cfg.lr)) {
    *error = "--lr must be a positive number, got " + shortest(cfg.lr);
    return false;
  }
  if (!(cfg.lrDecay > 0.0) || cfg.lrDecayEvery < 0) {
    *error = "--lr-decay must be > 0 and --lr-decay-every >= 0";
    return false;
  }
  if (cfg.limitTrain < 0 || cfg.limitTest < 0) {
    *error = "--limit-train and --limit-test must be >= 0";
    return false;
  }
  if (cfg.saveEvery < 0) {
    *error = "--save-every must be >= 0, got " + std::to_string(cfg.saveEvery);
    return false;
  }
  if (cfg.maxSteps < 0) {
    *error = "--max-steps must be >= 0, got " + std::to_string(cfg.maxSteps);
    return false;
  }
  if (cfg.saveEvery > 0 && cfg.savePath.empty()) {
    *error = "--save-every needs --save (the checkpoint file)";
    return false;
  }
  if (!cfg.resumePath.empty() && !cfg.paramsPath.empty()) {
    *error = "--resume and --params exclude each other (the checkpoint holds "
             "the parameters)";
    return false;
  }
  if (!cfg.savePath.empty() && !checkOutputDir(cfg.savePath, "--save", error))
    return false;
  if (!cfg.metricsPath.empty() && cfg.metricsPath != "-" &&
      !checkOutputDir(cfg.metricsPath, "--metrics", error))
    return false;
  rt::InitKind initKind;
  if (!rt::parseInitKind(cfg.init, &initKind, error)) {
    *error = "--init: " + *error;
    return false;
  }
  return true;
}

bool flops::rt::loadTrainingData(const LoopConfig &cfg, TrainingData *data,
                                 std::string *error) {
  data->started = Clock::now();
  bool haveTrain;
  if (!loadSplit(cfg, true, &data->train, &haveTrain, error) ||
      !loadSplit(cfg, false, &data->test, &data->haveTest, error))
    return false;
  if (data->haveTest && data->test.size() == 0) {
    *error = data->test.source + ": the test set has no rows";
    return false;
  }
  if (cfg.epochs > 0 && data->train.size() == 0) {
    *error = data->train.source + ": the training set has no rows";
    return false;
  }
  return true;
}

struct TrainLoop::State {
  LoopConfig cfg;
  StepFacts facts;
  FunctionSignature ts, es;
  DataSplit train, test;
  bool haveTest = false;
  rt::InitKind initKind = rt::InitKind::HeNormal;
  /// The step ABI and the training state (shared with the Python Trainer).
  TrainState tstate;
  unsigned numState = 0;
  std::vector<unsigned> params; // state positions of the parameters
  int64_t B = 0;
  bool classify = false;
  rt::SafeTensors file; // --params
  bool haveFile = false;
  rt::SafeTensors ckpt; // --resume
  bool resume = false;
  int64_t ckptEpoch = 0, ckptBatch = 0, ckptStep = 0;
  double ckptSums[5] = {0, 0, 0, 0, 0}, ckptFirst[2] = {NAN, NAN};
  double dataSeconds = 0.0;
  bool prepared = false;

  bool prepare(std::string *error);
  bool run(StepProgram &program, std::string *error);
};

TrainLoop::TrainLoop() : s(std::make_unique<State>()) {}
TrainLoop::~TrainLoop() = default;

bool TrainLoop::prepare(const LoopConfig &cfg, TrainingData data,
                        const FunctionSignature &train,
                        const FunctionSignature &eval, const StepFacts &facts,
                        std::string *error) {
  s->cfg = cfg;
  s->facts = facts;
  s->ts = train;
  s->es = eval;
  s->train = std::move(data.train);
  s->test = std::move(data.test);
  s->haveTest = data.haveTest;
  if (!rt::parseInitKind(cfg.init, &s->initKind, error)) {
    *error = "--init: " + *error;
    return false;
  }
  if (!s->prepare(error))
    return false;
  s->dataSeconds = since(data.started);
  s->prepared = true;
  return true;
}

bool TrainLoop::run(StepProgram &program, std::string *error) {
  if (!s->prepared) {
    *error = "TrainLoop::run before a successful prepare";
    return false;
  }
  return s->run(program, error);
}

bool TrainLoop::State::prepare(std::string *error) {
  // --- The step ABI -------------------------------------------------------
  if (!tstate.bind(ts, es, cfg.toolName, facts.entry, error))
    return false;
  numState = tstate.numState();
  params = tstate.paramPositions();
  const TensorSpec &inputSpec = tstate.inputSpec();
  const TensorSpec &labelSpec = tstate.labelSpec();
  B = tstate.batchSize();
  classify = facts.loss == "cross-entropy";

  // --- Parameters file (checked before the slow steps) ---------------------
  haveFile = !cfg.paramsPath.empty();
  if (haveFile) {
    if (!rt::readSafeTensors(cfg.paramsPath, &file, error))
      return false;
    for (unsigned i : params) {
      const TensorSpec &s = ts.args[i];
      const rt::Tensor *t = file.find(s.name);
      if (!t) {
        *error = cfg.paramsPath + ": no tensor '" + s.name +
                 "' (the model's parameter " + s.str() + ")";
        return false;
      }
      if (t->shape != s.shape) {
        *error = cfg.paramsPath + ": tensor '" + s.name + "' has shape " +
                 rt::shapeToString(t->shape) + ", the model expects " +
                 s.str();
        return false;
      }
    }
  }

  // --- Checkpoint to resume (checked before the slow steps) ---------------
  resume = !cfg.resumePath.empty();
  if (resume) {
    if (!rt::readSafeTensors(cfg.resumePath, &ckpt, error))
      return false;
    auto meta = [&](const char *key) -> const std::string * {
      auto it = ckpt.metadata.find(key);
      return it == ckpt.metadata.end() ? nullptr : &it->second;
    };
    auto bad = [&](const std::string &what) {
      *error = cfg.resumePath + ": " + what;
      return false;
    };
    const std::string *fmt = meta("format"), *ver = meta("resume");
    if (!fmt || *fmt != "flops-train")
      return bad("not a flops-train checkpoint (no format=flops-train "
                 "metadata)");
    if (!ver)
      return bad("the checkpoint holds no resume state (written by an older "
                 "flops-train); --params starts from its parameters");
    if (*ver != "1")
      return bad("unknown resume-state version '" + *ver + "'");
    const std::string *rows = meta("train_rows");
    if (!rows || *rows != std::to_string(train.size()))
      return bad("the checkpoint was written for " +
                 (rows ? *rows : std::string("?")) +
                 " training rows, this run has " +
                 std::to_string(train.size()));
    const std::string *ft = meta("forward_train");
    if (!ft || *ft != facts.passText)
      return bad("the checkpoint was written with other step options:\n  "
                 "checkpoint: " +
                 (ft ? *ft : std::string("(none)")) + "\n  this run:   " +
                 facts.passText);
    const std::string *sd = meta("seed");
    if (!sd || *sd != std::to_string(cfg.seed))
      return bad("the checkpoint was written with --seed " +
                 (sd ? *sd : std::string("(none)")) + ", this run has --seed " +
                 std::to_string(cfg.seed));
    const std::string *e = meta("epoch"), *bt = meta("batch"),
                      *st = meta("step"), *sums = meta("epoch_sums"),
                      *first = meta("first");
    if (!e || !bt || !st || !sums || !first ||
        !toInteger(*e, &ckptEpoch) || !toInteger(*bt, &ckptBatch) ||
        !toInteger(*st, &ckptStep) || ckptEpoch < 0 ||
        ckptBatch < 0 || ckptStep < 0 ||
        std::sscanf(sums->c_str(), "%la %la %la %la %la", &ckptSums[0],
                    &ckptSums[1], &ckptSums[2], &ckptSums[3],
                    &ckptSums[4]) != 5 ||
        std::sscanf(first->c_str(), "%la %la", &ckptFirst[0],
                    &ckptFirst[1]) != 2)
      return bad("malformed resume metadata (epoch, batch, step, epoch_sums, "
                 "first)");
  }

  // --- Data ---------------------------------------------------------------
  if (!fitSplit(train, inputSpec, labelSpec, facts.numClasses, error) ||
      (haveTest && !fitSplit(test, inputSpec, labelSpec, facts.numClasses, error)))
    return false;
  return true;
}

bool TrainLoop::State::run(StepProgram &program, std::string *error) {
  std::FILE *log = cfg.log;
  const char *tool = cfg.toolName.c_str();
  rt::TrainBatches batches;
  if (!batches.reset(train.size(), B, cfg.seed, error))
    return false;
  int64_t numBatches = batches.numBatches();
  if (numBatches == 0 && cfg.epochs > 0) {
    *error = "the training set has " + std::to_string(train.size()) +
             " rows, fewer than one batch of " + std::to_string(B);
    return false;
  }

  // --- State --------------------------------------------------------------
  // On a device (--device cuda) every buffer the step reads or writes lives
  // in its memory, the state across steps included.
  if (!tstate.init(program.memory(), haveFile ? &file : nullptr,
                   cfg.paramsPath, initKind, cfg.seed, facts.sigma,
                   facts.queries, error))
    return false;
  int64_t numParams = 0;
  for (unsigned i : params)
    numParams += ts.args[i].numElements();
  // Rows per step N (the budget option, or B x queries).
  int64_t budget = tstate.budget(facts.queries);
  // A checkpoint written with --save resumes the learned allocator.
  if (haveFile)
    for (unsigned i = 0; i < numState; ++i)
      if (ts.args[i].role == "allocator_state")
        if (const rt::Tensor *t = file.find("allocator." + ts.args[i].name)) {
          if (t->dtype != rt::DType::F64 ||
              t->numElements() != rt::kGaussianAllocStateSize) {
            *error = cfg.paramsPath + ": tensor 'allocator." +
                     ts.args[i].name + "' is not " +
                     std::to_string(rt::kGaussianAllocStateSize) + " f64";
            return false;
          }
          std::memcpy(tstate.state(i).data(), t->bytes.data(),
                      t->bytes.size());
        }
  // A resumed run continues from the checkpoint's whole state.
  if (resume)
    for (unsigned i = 0; i < numState; ++i) {
      std::string key = tstate.stateKey(i);
      const rt::Tensor *t = ckpt.find(key);
      if (!t) {
        *error = cfg.resumePath + ": no tensor '" + key + "' (the step's " +
                 ts.args[i].role + " state " + ts.args[i].str() + ")";
        return false;
      }
      if (t->dtype != ts.args[i].dtype || t->shape != ts.args[i].shape ||
          t->bytes.size() != tstate.state(i).numBytes()) {
        *error = cfg.resumePath + ": tensor '" + key + "' has shape " +
                 rt::shapeToString(t->shape) + ", the step expects " +
                 ts.args[i].str();
        return false;
      }
      std::memcpy(tstate.state(i).data(), t->bytes.data(), t->bytes.size());
    }
  // The batch buffers the loop gathers into (in the program's memory).
  Buffer &input = tstate.inputBuffer(), &labels = tstate.labelBuffer(),
         &eInput = tstate.evalInputBuffer(),
         &eLabels = tstate.evalLabelBuffer();
  const Buffer &metrics = tstate.metrics();
  // The Neyman allocator reads and updates statistics per training point.
  int32_t *pointIds =
      tstate.needsPointIds() ? tstate.pointIdBuffer().as<int32_t>() : nullptr;

  // Test-set evaluation of the current state.
  auto evaluate = [&](double *loss, double *acc) {
    size_t xRow = eInput.numBytes() / size_t(B),
           yRow = eLabels.numBytes() / size_t(B);
    double lossSum = 0.0, correct = 0.0;
    for (const rt::BatchSpan &span : rt::evalBatches(test.size(), B)) {
      std::memcpy(eInput.data(), test.x.bytes.data() + span.begin * xRow,
                  size_t(span.size) * xRow);
      std::memcpy(eLabels.data(), test.y.bytes.data() + span.begin * yRow,
                  size_t(span.size) * yRow);
      if (span.size < B) {
        std::memset(eInput.as<uint8_t>() + span.size * xRow, 0,
                    size_t(B - span.size) * xRow);
        std::memset(eLabels.as<uint8_t>() + span.size * yRow, 0,
                    size_t(B - span.size) * yRow);
      }
      double m[2];
      if (!tstate.evaluate(program, eInput.data(), eLabels.data(), span.size,
                           m, error))
        return false;
      lossSum += m[0];
      correct += m[1];
    }
    *loss = lossSum / double(test.size());
    *acc = correct / double(test.size());
    return true;
  };

  // Checkpoints.
  std::string savedWhat; // the checkpoint this run wrote last
  // `batch` batches of `epoch` are done (numBatches at the end of an
  // epoch); `sums` are the epoch's running metric sums so far, `first` the
  // first epoch's loss and accuracy (for the summary line).
  auto save = [&](int64_t epoch, int64_t batch, int64_t step,
                  const double *sums, const double *first) {
    rt::ResumePoint at;
    at.epoch = epoch;
    at.batch = batch;
    at.step = step;
    at.trainRows = train.size();
    std::copy(sums, sums + 5, at.sums);
    std::copy(first, first + 2, at.first);
    at.seed = cfg.seed;
    at.model = cfg.modelPath;
    at.forwardTrain = facts.passText;
    at.pipeline = program.pipelineText();
    rt::SafeTensors st = tstate.checkpoint(at);
    if (!rt::writeSafeTensors(cfg.savePath, st, error))
      return false;
    savedWhat = batch >= numBatches || epoch == 0
                    ? "epoch " + std::to_string(epoch)
                    : "step " + std::to_string(step) + " (epoch " +
                          std::to_string(epoch) + ", batch " +
                          std::to_string(batch) + "/" +
                          std::to_string(numBatches) + ")";
    return true;
  };

  rt::MetricsWriter metricsOut;
  // A resumed run appends to the metrics of the run it continues.
  if (!cfg.metricsPath.empty() &&
      !metricsOut.open(cfg.metricsPath, /*append=*/resume, error))
    return false;

  if (!cfg.quiet) {
    std::fprintf(log,
                 "%s: %s: %lld parameters in %zu tensors; batch %lld, "
                 "%lld queries per point%s (%lld rows per step%s%s)\n",
                 tool, cfg.modelPath.c_str(), (long long)numParams, params.size(),
                 (long long)B, (long long)(budget / B),
                 facts.allocator == "uniform" ? "" : " on average",
                 (long long)budget,
                 facts.allocator == "uniform" ? "" : ", allocator ",
                 facts.allocator == "uniform"
                     ? ""
                     : facts.allocator.c_str());
    std::fprintf(log,
                 "%s: %s with %s (%lld thread%s); "
                 "data: %lld training rows%s%s (%.1f s)\n",
                 tool, program.compileNote().c_str(),
                 program.pipelineText().c_str(),
                 (long long)program.numThreads(),
                 program.numThreads() == 1 ? "" : "s", (long long)train.size(),
                 haveTest ? ", test rows " : ", no test set",
                 haveTest ? std::to_string(test.size()).c_str() : "",
                 dataSeconds);
  }

  // --- Training -----------------------------------------------------------
  int64_t step = 0, startEpoch = 1, startBatch = 0;
  double firstLoss = NAN, lastLoss = NAN, firstAcc = NAN, lastAcc = NAN;
  if (resume) {
    step = ckptStep;
    firstLoss = ckptFirst[0];
    firstAcc = ckptFirst[1];
    if (ckptEpoch == 0 || ckptBatch >= numBatches) {
      startEpoch = ckptEpoch + 1;
    } else {
      startEpoch = ckptEpoch;
      startBatch = ckptBatch;
    }
    if (!cfg.quiet)
      std::fprintf(log, "%s: resuming %s at epoch %lld, batch "
                   "%lld/%lld (step %lld)\n",
                   tool, cfg.resumePath.c_str(), (long long)startEpoch,
                   (long long)startBatch, (long long)numBatches,
                   (long long)step);
    if (startEpoch > cfg.epochs) {
      if (!cfg.quiet)
        std::fprintf(log, "%s: the checkpoint already holds %lld "
                     "epoch(s); nothing to train (--epochs %lld)\n",
                     tool, (long long)(startEpoch - 1), (long long)cfg.epochs);
      return cfg.metricsPath.empty() || metricsOut.close(error);
    }
  }
  auto tAll = Clock::now();
  std::unique_ptr<rt::ProgressPrinter> progress;
  if (cfg.progress)
    progress = std::make_unique<rt::ProgressPrinter>(log);

  if (cfg.epochs == 0) {
    if (haveTest) {
      double tl, ta;
      if (!evaluate(&tl, &ta))
        return false;
      if (!cfg.quiet) {
        std::string line = "initial parameters: test loss " + fixed4(tl);
        if (classify)
          line += " acc " + fixed4(ta);
        std::fprintf(log, "%s\n", line.c_str());
      }
    }
    double zero[5] = {0, 0, 0, 0, 0}, none[2] = {NAN, NAN};
    if (!cfg.savePath.empty() && !save(0, 0, 0, zero, none))
      return false;
    return cfg.metricsPath.empty() || metricsOut.close(error);
  }

  for (int64_t epoch = startEpoch; epoch <= cfg.epochs; ++epoch) {
    double lr = cfg.lr;
    if (cfg.lrDecayEvery > 0)
      lr *= std::pow(cfg.lrDecay, double((epoch - 1) / cfg.lrDecayEvery));
    batches.beginEpoch(uint64_t(epoch - 1));
    size_t xRow = input.numBytes() / size_t(B),
           yRow = labels.numBytes() / size_t(B);
    double sums[5] = {0, 0, 0, 0, 0}; // loss, acc, row loss, norm, V-hat
    int64_t b0 = epoch == startEpoch ? startBatch : 0;
    if (b0 > 0)
      std::copy(ckptSums, ckptSums + 5, sums);
    double &sumLoss = sums[0], &sumAcc = sums[1], &sumRow = sums[2],
           &sumNorm = sums[3], &sumV = sums[4];
    bool haveV = metrics.numElements() >= 5;
    auto tEpoch = Clock::now();
    std::clock_t cpuEpoch = std::clock(); // process CPU time (all threads)
    for (int64_t b = b0; b < numBatches; ++b) {
      const int64_t *rows = batches.batch(b);
      rt::gatherRowsRaw(train.x.bytes.data(), xRow, rows, B, input.data());
      rt::gatherRowsRaw(train.y.bytes.data(), yRow, rows, B, labels.data());
      if (pointIds)
        for (int64_t i = 0; i < B; ++i)
          pointIds[i] = int32_t(rows[i]);
      if (!tstate.step(program, input.data(), labels.data(), pointIds, lr,
                       step, error))
        return false;
      const float *m = metrics.as<float>();
      if (!isFinite(m[0]) || !isFinite(m[2]) || !isFinite(m[3])) {
        if (progress)
          progress->finish();
        // Name what is non-finite: a finite loss with a non-finite
        // gradient norm is a diverging estimate (e.g. log sigma), not a
        // diverging model.
        std::string what;
        for (auto [name, v] : {std::pair<const char *, float>{"clean loss",
                                                              m[0]},
                               {"row loss", m[2]},
                               {"gradient norm", m[3]}})
          if (!isFinite(v))
            what += (what.empty() ? "" : ", ") + std::string(name);
        *error = "non-finite " + what + " at step " + std::to_string(step) +
                 " (epoch " + std::to_string(epoch) + ", batch " +
                 std::to_string(b + 1) + "/" + std::to_string(numBatches) +
                 "): clean loss " + number(m[0]) + ", row loss " +
                 number(m[2]) + ", gradient norm " + number(m[3]) +
                 "; training stopped";
        if (!cfg.savePath.empty())
          *error += !savedWhat.empty()
                        ? "; " + cfg.savePath + " keeps the checkpoint of " +
                              savedWhat
                        : "; nothing was saved to " + cfg.savePath;
        return false;
      }
      sumLoss += m[0];
      sumAcc += m[1];
      sumRow += m[2];
      sumNorm += m[3];
      if (haveV)
        sumV += m[4];
      ++step;
      if (cfg.saveEvery > 0 && step % cfg.saveEvery == 0 && b + 1 < numBatches &&
          !save(epoch, b + 1, step, sums, std::array<double, 2>{
                                                   firstLoss, firstAcc}
                                                   .data()))
        return false;
      if (cfg.maxSteps > 0 && step >= cfg.maxSteps && b + 1 < numBatches) {
        // Stop inside the epoch: checkpoint the position, no epoch record.
        if (progress)
          progress->finish();
        double firsts[2] = {firstLoss, firstAcc};
        bool justSaved = cfg.saveEvery > 0 && step % cfg.saveEvery == 0;
        if (!cfg.savePath.empty() && !justSaved &&
            !save(epoch, b + 1, step, sums, firsts))
          return false;
        if (!cfg.quiet)
          std::fprintf(log,
                       "%s: stopped after step %lld (--max-steps; "
                       "epoch %lld, batch %lld/%lld)%s\n",
                       tool, (long long)step, (long long)epoch, (long long)(b + 1),
                       (long long)numBatches,
                       cfg.savePath.empty()
                           ? ""
                           : ("; --resume " + cfg.savePath + " goes on")
                                 .c_str());
        return !metricsOut.isOpen() || metricsOut.close(error);
      }
      if (progress) {
        rt::ProgressState ps;
        ps.epoch = epoch;
        ps.epochs = cfg.epochs;
        ps.step = b + 1;
        ps.steps = numBatches;
        ps.loss = sumLoss / double(b + 1);
        if (classify)
          ps.accuracy = sumAcc / double(b + 1);
        ps.rowsPerSec = double((b + 1) * B) / std::max(since(tEpoch), 1e-9);
        progress->update(ps);
      }
    }
    double seconds = since(tEpoch);
    double cpuSeconds = double(std::clock() - cpuEpoch) / CLOCKS_PER_SEC;
    double n = double(numBatches);
    double rowsThisRun = double(numBatches - b0) * double(B);
    double trainLoss = sumLoss / n, trainAcc = sumAcc / n;
    double testLoss = NAN, testAcc = NAN, evalSeconds = 0;
    if (haveTest) {
      auto tEval = Clock::now();
      if (!evaluate(&testLoss, &testAcc))
        return false;
      evalSeconds = since(tEval);
      if (!isFinite(testLoss)) {
        if (progress)
          progress->finish();
        *error = "non-finite test loss after epoch " + std::to_string(epoch) +
                 " (step " + std::to_string(step - 1) + "); training stopped";
        if (!cfg.savePath.empty())
          *error += !savedWhat.empty()
                        ? "; " + cfg.savePath + " keeps the checkpoint of " +
                              savedWhat
                        : "; nothing was saved to " + cfg.savePath;
        return false;
      }
    }
    double rowsPerSec = rowsThisRun / seconds;
    if (epoch == 1) {
      firstLoss = trainLoss;
      firstAcc = haveTest ? testAcc : trainAcc;
    }
    lastLoss = trainLoss;
    lastAcc = haveTest ? testAcc : trainAcc;

    rt::MetricsRecord r;
    r.add("epoch", epoch).add("steps", step).add("lr", lr);
    if (haveV && (facts.allocator == "gaussian" ||
                  facts.allocator == "neyman"))
      r.add("variance_proxy", sumV / n);
    r.add("train_loss", trainLoss);
    if (classify)
      r.add("train_accuracy", trainAcc);
    else
      r.addNull("train_accuracy");
    r.add("row_loss", sumRow / n).add("grad_norm", sumNorm / n);
    if (haveTest) {
      r.add("test_loss", testLoss);
      if (classify)
        r.add("test_accuracy", testAcc);
      else
        r.addNull("test_accuracy");
    } else {
      r.addNull("test_loss").addNull("test_accuracy");
    }
    r.add("seconds", seconds).add("cpu_seconds", cpuSeconds);
    r.add("rows_per_s", rowsPerSec);
    r.add("eval_seconds", evalSeconds);
    if (metricsOut.isOpen() && !metricsOut.write(r, error))
      return false;
    double firsts[2] = {firstLoss, firstAcc};
    if (!cfg.savePath.empty() &&
        !save(epoch, numBatches, step, sums, firsts))
      return false;
    if (progress)
      progress->finish();
    if (!cfg.quiet) {
      std::string line = "epoch " + std::to_string(epoch) + "/" +
                         std::to_string(cfg.epochs) + ": train loss " +
                         fixed4(trainLoss);
      if (classify)
        line += " acc " + fixed4(trainAcc);
      if (haveTest) {
        line += ", test loss " + fixed4(testLoss);
        if (classify)
          line += " acc " + fixed4(testAcc);
      }
      char buf[128];
      std::snprintf(buf, sizeof buf, "; %.2f s, %.0f rows/s", seconds,
                    rowsPerSec);
      std::fprintf(log, "%s%s\n", line.c_str(), buf);
    }
    if (cfg.maxSteps > 0 && step >= cfg.maxSteps && epoch < cfg.epochs) {
      if (!cfg.quiet)
        std::fprintf(log, "%s: stopped after step %lld (--max-steps; "
                     "end of epoch %lld)\n",
                     tool, (long long)step, (long long)epoch);
      break;
    }
  }
  if (metricsOut.isOpen() && !metricsOut.close(error))
    return false;
  if (!cfg.quiet) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s: %lld epochs (%lld steps) in %.1f s; train "
                  "loss %.4f -> %.4f (%+.1f%%)",
                  tool, (long long)cfg.epochs, (long long)step, since(tAll),
                  firstLoss, lastLoss,
                  100.0 * (lastLoss - firstLoss) / firstLoss);
    std::string s = buf;
    if (classify) {
      std::snprintf(buf, sizeof buf, "; %s accuracy %.4f -> %.4f",
                    haveTest ? "test" : "train", firstAcc, lastAcc);
      s += buf;
    }
    std::fprintf(log, "%s\n", s.c_str());
  }
  return true;
}

