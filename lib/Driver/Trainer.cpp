//===- Trainer.cpp - a step-at-a-time training API (Python) ---------------===//
//
// See include/flops/Driver/Trainer.h. The setup mirrors runTraining
// (Train.cpp) so that a step here and a step of flops-train agree bit for
// bit (python/tests/test_flops_train_equivalence.py checks it).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Trainer.h"

#include "flops/Driver/Tensors.h"
#include "flops/Import/Onnx.h"
#include "flops/Runtime/Allocators.h"
#include "flops/Runtime/Init.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::flops::driver;
namespace rt = ::flops::rt;

namespace {

std::string exactText(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

} // namespace

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Model::Model() : sess(std::make_unique<Session>()) {}

std::shared_ptr<Model> Model::fromFile(const std::string &path,
                                       std::string *error) {
  if (endsWith(path, ".onnx")) {
    std::shared_ptr<Model> m(new Model());
    DialectRegistry registry;
    onnx_import::registerImportDialects(registry);
    m->sess->context().appendDialectRegistry(registry);
    onnx_import::ImportResult r;
    if (!onnx_import::importOnnxFile(m->sess->context(), path, {}, &r, error))
      return nullptr;
    m->mod = std::move(r.module);
    m->values = std::move(r.weights);
    m->haveWeights = r.numParams > 0;
    m->label = path;
    return m;
  }
  std::shared_ptr<Model> m(new Model());
  m->mod = m->sess->parseFile(path, error);
  if (!m->mod)
    return nullptr;
  m->label = path;
  return m;
}

std::shared_ptr<Model> Model::fromMlir(const std::string &text,
                                       const std::string &name,
                                       std::string *error) {
  std::shared_ptr<Model> m(new Model());
  m->mod = m->sess->parseString(text, name, error);
  if (!m->mod)
    return nullptr;
  m->label = name;
  return m;
}

std::shared_ptr<Model> Model::fromOnnx(const std::string &bytes,
                                       const std::string &name,
                                       std::string *error) {
  std::shared_ptr<Model> m(new Model());
  DialectRegistry registry;
  onnx_import::registerImportDialects(registry);
  m->sess->context().appendDialectRegistry(registry);
  onnx_import::ImportResult r;
  if (!onnx_import::importOnnxBytes(m->sess->context(), bytes, name, {}, &r,
                                    error))
    return nullptr;
  m->mod = std::move(r.module);
  m->values = std::move(r.weights);
  m->haveWeights = r.numParams > 0;
  m->label = name;
  return m;
}

bool Model::loadWeights(const std::string &path, std::string *error) {
  rt::SafeTensors st;
  if (!rt::readSafeTensors(path, &st, error))
    return false;
  values = std::move(st);
  haveWeights = true;
  return true;
}

std::string Model::str() {
  std::string s;
  llvm::raw_string_ostream os(s);
  mod->print(os);
  return s;
}

//===----------------------------------------------------------------------===//
// Trainer
//===----------------------------------------------------------------------===//

struct Trainer::State {
  PingPongState pingPong;
  Buffer metrics, input, labels, pointIds, eInput, eLabels, eOut;
  std::vector<ArgValue> eArgs;
};

Trainer::Trainer() = default;
Trainer::~Trainer() = default;

std::unique_ptr<Trainer> Trainer::create(std::shared_ptr<Model> model,
                                         const TrainerOptions &options,
                                         std::string *error) {
  std::unique_ptr<Trainer> t(new Trainer());
  t->model = model;
  t->opts = options;
  const TrainStepOptions &so = options.step;
  if (so.batchSize < 0) {
    *error = "batch_size must be >= 1, got " + std::to_string(so.batchSize);
    return nullptr;
  }
  for (const std::string *s : {&so.entry, &so.loss, &so.baseline,
                               &so.optimizer, &so.allocator, &so.weighting})
    if (s->empty() || s->find_first_of(" {}=\"'") != std::string::npos) {
      *error = "invalid option value '" + *s + "'";
      return nullptr;
    }
  rt::InitKind initKind;
  if (!rt::parseInitKind(options.init, &initKind, error)) {
    *error = "init: " + *error;
    return nullptr;
  }
  if (options.trainRows < 0) {
    *error = "train_rows must be >= 0";
    return nullptr;
  }

  Session &session = model->session();
  OwningOpRef<ModuleOp> module(model->module().clone());
  auto forward = module->lookupSymbol<func::FuncOp>(so.entry);
  if (!forward || forward.isExternal()) {
    *error = model->name() + ": no function @" + so.entry +
             " to train (it needs @" + so.entry +
             " in linalg on tensors, parameters marked flops.param)";
    return nullptr;
  }
  // The batch and the classes, as flops-train reads them.
  int64_t batch = so.batchSize;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    if (forward.getArgAttr(i, "flops.param"))
      continue;
    auto tt = dyn_cast<RankedTensorType>(forward.getArgumentTypes()[i]);
    if (batch == 0 && tt && tt.getRank() >= 1 && tt.isDynamicDim(0))
      batch = 64;
    break;
  }
  if (forward.getNumResults() >= 1)
    if (auto tt = dyn_cast<RankedTensorType>(forward.getResultTypes()[0]))
      if (tt.getRank() == 2 && !tt.isDynamicDim(1))
        t->classes = tt.getDimSize(1);

  TrainStepOptions stepOpts = so;
  if (stepOpts.allocator == "neyman")
    stepOpts.neymanPoints = options.trainRows;
  if (stepOpts.bernoulliSwitchStep < 0)
    stepOpts.bernoulliSwitchStep = batch > 0 ? options.trainRows / batch : 0;
  t->pass = stepOpts.passText(batch);
  if (!runPipeline(*module, t->pass, error)) {
    std::string d = session.takeDiagnostics();
    *error = "flops-forward-train failed on " + model->name() +
             (d.empty() ? "" : ":\n" + d);
    return nullptr;
  }
  for (auto [name, sig] : {std::pair<const char *, FunctionSignature *>{
                               "train_step", &t->ts},
                           {"eval_step", &t->es}}) {
    auto f = module->lookupSymbol<func::FuncOp>(name);
    if (!f) {
      *error = std::string("flops-forward-train did not produce @") + name;
      return nullptr;
    }
    if (!readSignature(f, sig, error))
      return nullptr;
  }

  // The step ABI (as runTraining reads it).
  auto one = [&](const FunctionSignature &sig, const char *role,
                 unsigned *idx) {
    return sig.uniqueArgWithRole(role, idx, error);
  };
  const FunctionSignature &ts = t->ts, &es = t->es;
  if (!one(ts, "lr", &t->lrIdx) || !one(ts, "step", &t->stepIdx) ||
      !one(ts, "seed", &t->seedIdx) || !one(ts, "labels", &t->labelIdx) ||
      !one(es, "labels", &t->eLabelIdx) || !one(es, "valid", &t->eValidIdx))
    return nullptr;
  std::vector<unsigned> inputs = ts.argsWithRole("input"),
                        eInputs = es.argsWithRole("input");
  t->eParams = es.argsWithRole("param");
  if (inputs.size() != 1 || eInputs.size() != 1) {
    *error = "the trainer feeds one data input; @" + so.entry + " has " +
             std::to_string(inputs.size());
    return nullptr;
  }
  t->inputIdx = inputs[0];
  t->eInputIdx = eInputs[0];
  unsigned numState = t->lrIdx;
  t->numStateArgs = numState;
  if (ts.results.size() != numState + 1 ||
      ts.results.back().numElements() < 4) {
    *error = "@train_step does not return its state plus metrics";
    return nullptr;
  }
  for (unsigned i = 0; i < numState; ++i)
    if (ts.args[i].role == "param")
      t->params.push_back(i);
  if (t->eParams.size() != t->params.size()) {
    *error = "@eval_step and @train_step disagree on the parameters";
    return nullptr;
  }
  std::vector<unsigned> pointIdArgs = ts.argsWithRole("point_ids");
  if (!pointIdArgs.empty())
    t->pointIdIdx = int(pointIdArgs[0]);

  // Starting values from the model (checked before compiling).
  const rt::SafeTensors *file = model->weights();
  if (file)
    for (unsigned i : t->params) {
      const TensorSpec &s = ts.args[i];
      const rt::Tensor *w = file->find(s.name);
      if (!w) {
        *error = model->name() + ": no value for parameter '" + s.name +
                 "' (" + s.str() + ")";
        return nullptr;
      }
      if (w->shape != s.shape) {
        *error = model->name() + ": parameter '" + s.name + "' has shape " +
                 rt::shapeToString(w->shape) + ", the model expects " +
                 s.str();
        return nullptr;
      }
    }

  CompileOptions copts = options.compile;
  std::string notes;
  llvm::raw_string_ostream notesOS(notes);
  copts.log = &notesOS;
  t->prog = Program::compile(session, *module, {"train_step", "eval_step"},
                             copts, error);
  if (!t->prog)
    return nullptr;

  // State and buffers (runTraining's).
  t->st = std::make_unique<State>();
  State &s = *t->st;
  const std::shared_ptr<Device> &dev = t->prog->device();
  if (!s.pingPong.allocate(ts, numState, error, dev))
    return nullptr;
  if (!s.metrics.allocate(ts.results.back(), error, dev) ||
      !s.eOut.allocate(es.results[0], error, dev))
    return nullptr;
  if (dev && (!s.input.allocate(ts.args[t->inputIdx], error, dev) ||
              !s.labels.allocate(ts.args[t->labelIdx], error, dev) ||
              !s.eInput.allocate(es.args[t->eInputIdx], error, dev) ||
              !s.eLabels.allocate(es.args[t->eLabelIdx], error, dev)))
    return nullptr;
  if (t->pointIdIdx >= 0 &&
      !s.pointIds.allocate(ts.args[t->pointIdIdx], error, dev))
    return nullptr;
  std::vector<Buffer> &state0 = s.pingPong.sets[0];
  double logSigma0 = std::log(so.sigma);
  if (auto it = ts.attrs.find("flops.log_sigma_init"); it != ts.attrs.end())
    logSigma0 = std::strtod(it->second.c_str(), nullptr);
  for (unsigned k = 0; k < t->params.size(); ++k) {
    unsigned i = t->params[k];
    if (!fillParameter(ts.args[i], file, model->name(), initKind,
                       options.seed, k, &state0[i], error))
      return nullptr;
  }
  for (unsigned i = 0; i < numState; ++i)
    if (ts.args[i].role == "log_sigma") {
      if (ts.args[i].dtype == rt::DType::F32) {
        float *p = state0[i].as<float>();
        for (int64_t k = 0, n = state0[i].numElements(); k < n; ++k)
          p[k] = float(logSigma0);
      } else {
        double *p = state0[i].as<double>();
        for (int64_t k = 0, n = state0[i].numElements(); k < n; ++k)
          p[k] = logSigma0;
      }
    }
  int64_t B = ts.args[t->inputIdx].shape[0];
  int64_t budget = B * so.queries;
  if (auto it = ts.attrs.find("flops.budget"); it != ts.attrs.end())
    budget = std::strtoll(it->second.c_str(), nullptr, 10);
  for (unsigned i = 0; i < numState; ++i)
    if (ts.args[i].role == "allocator_state") {
      if (ts.args[i].dtype != rt::DType::F64 ||
          ts.args[i].numElements() != rt::kGaussianAllocStateSize ||
          !rt::gaussianAllocInit(budget, B, state0[i].as<double>(), error)) {
        *error = "@train_step: bad allocator_state argument " +
                 ts.args[i].str() + (error->empty() ? "" : ": " + *error);
        return nullptr;
      }
    }

  for (int k = 0; k < 2; ++k) {
    std::vector<ArgValue> &a = s.pingPong.args[k];
    a[t->seedIdx] = ArgValue::integer(int64_t(options.seed));
    if (dev) {
      a[t->inputIdx] = ArgValue::of(s.input);
      a[t->labelIdx] = ArgValue::of(s.labels);
    }
    if (t->pointIdIdx >= 0)
      a[t->pointIdIdx] = ArgValue::of(s.pointIds);
    s.pingPong.results[k].push_back(&s.metrics);
  }
  s.eArgs.assign(es.args.size(), ArgValue());
  return t;
}

const TensorSpec &Trainer::inputSpec() const { return ts.args[inputIdx]; }
const TensorSpec &Trainer::labelSpec() const { return ts.args[labelIdx]; }
int64_t Trainer::batchSize() const { return inputSpec().shape[0]; }
unsigned Trainer::numMetrics() const {
  return unsigned(ts.results.back().numElements());
}
const TensorSpec &Trainer::stateSpec(unsigned i) const { return ts.args[i]; }
Buffer &Trainer::state(unsigned i) { return st->pingPong.sets[cur][i]; }

std::string Trainer::stateKey(unsigned i) const {
  // flops-train's names (Train.cpp, stateKey).
  const TensorSpec &s = ts.args[i];
  if (s.role == "param")
    return s.name;
  if (s.role == "allocator_state")
    return "allocator." + s.name;
  return "state." + s.role + "." + s.name;
}

bool Trainer::step(void *x, void *y, const int32_t *pointIds, double lr,
                   std::vector<float> *metrics, std::string *error) {
  State &s = *st;
  std::vector<ArgValue> &args = s.pingPong.args[cur];
  Buffer xv, yv;
  if (prog->device()) {
    std::memcpy(s.input.data(), x, s.input.numBytes());
    std::memcpy(s.labels.data(), y, s.labels.numBytes());
  } else {
    xv.wrap(inputSpec(), x);
    yv.wrap(labelSpec(), y);
    args[inputIdx] = ArgValue::of(xv);
    args[labelIdx] = ArgValue::of(yv);
  }
  if (pointIdIdx >= 0) {
    if (!pointIds) {
      *error = "the " + opts.step.allocator +
               " allocator needs the training-row index of each batch row "
               "(point_ids)";
      return false;
    }
    std::memcpy(s.pointIds.data(), pointIds, s.pointIds.numBytes());
  }
  args[lrIdx] = ArgValue::real(lr);
  args[stepIdx] = ArgValue::integer(steps);
  // Descriptor word 1 is the aligned data pointer the code reads.
  lastInput = uintptr_t(
      static_cast<const int64_t *>(args[inputIdx].buffer->descriptor())[1]);
  bool ok = prog->call("train_step", args, s.pingPong.results[cur], error);
  if (!prog->device()) {
    args[inputIdx] = ArgValue();
    args[labelIdx] = ArgValue();
  }
  if (!ok)
    return false;
  const float *m = s.metrics.as<float>();
  metrics->assign(m, m + s.metrics.numElements());
  cur ^= 1;
  ++steps;
  return true;
}

bool Trainer::evaluate(void *x, void *y, int64_t valid, double out[2],
                       std::string *error) {
  State &s = *st;
  if (valid < 0 || valid > batchSize()) {
    *error = "valid rows must be between 0 and the batch size " +
             std::to_string(batchSize()) + ", got " + std::to_string(valid);
    return false;
  }
  for (unsigned k = 0; k < params.size(); ++k)
    s.eArgs[eParams[k]] = ArgValue::of(state(params[k]));
  Buffer xv, yv;
  if (prog->device()) {
    std::memcpy(s.eInput.data(), x, s.eInput.numBytes());
    std::memcpy(s.eLabels.data(), y, s.eLabels.numBytes());
    s.eArgs[eInputIdx] = ArgValue::of(s.eInput);
    s.eArgs[eLabelIdx] = ArgValue::of(s.eLabels);
  } else {
    xv.wrap(es.args[eInputIdx], x);
    yv.wrap(es.args[eLabelIdx], y);
    s.eArgs[eInputIdx] = ArgValue::of(xv);
    s.eArgs[eLabelIdx] = ArgValue::of(yv);
  }
  s.eArgs[eValidIdx] = ArgValue::integer(valid);
  bool ok = prog->call("eval_step", s.eArgs, {&s.eOut}, error);
  s.eArgs[eInputIdx] = ArgValue();
  s.eArgs[eLabelIdx] = ArgValue();
  if (!ok)
    return false;
  const float *m = s.eOut.as<float>();
  out[0] = m[0];
  out[1] = m[1];
  return true;
}

bool Trainer::saveCheckpoint(const std::string &path,
                             const std::map<std::string, std::string> &extra,
                             std::string *error) {
  rt::SafeTensors out;
  out.metadata["format"] = "flops-train";
  out.metadata["resume"] = "1";
  out.metadata["epoch"] = "0";
  out.metadata["batch"] = "0";
  out.metadata["step"] = std::to_string(steps);
  out.metadata["train_rows"] = std::to_string(opts.trainRows);
  out.metadata["epoch_sums"] = exactText(0) + " " + exactText(0) + " " +
                               exactText(0) + " " + exactText(0) + " " +
                               exactText(0);
  out.metadata["first"] = exactText(NAN) + " " + exactText(NAN);
  out.metadata["seed"] = std::to_string(opts.seed);
  out.metadata["model"] = model->name();
  out.metadata["forward_train"] = pass;
  out.metadata["pipeline"] = prog->pipelineText();
  for (const auto &[k, v] : extra)
    out.metadata[k] = v;
  for (unsigned i = 0; i < numStateArgs; ++i)
    out.add(stateKey(i), state(i).toTensor());
  return rt::writeSafeTensors(path, out, error);
}

bool Trainer::loadState(const rt::SafeTensors &in, bool requireAll,
                        const std::string &source, std::string *error) {
  // Check everything before changing anything.
  std::vector<std::pair<unsigned, const rt::Tensor *>> found;
  for (unsigned i = 0; i < numStateArgs; ++i) {
    std::string key = stateKey(i);
    const rt::Tensor *t = in.find(key);
    const TensorSpec &s = ts.args[i];
    if (!t) {
      if (requireAll || s.role == "param") {
        *error = source + ": no tensor '" + key + "' (the step's " + s.role +
                 " state " + s.str() + ")";
        return false;
      }
      continue;
    }
    if (t->shape != s.shape) {
      *error = source + ": tensor '" + key + "' has shape " +
               rt::shapeToString(t->shape) + ", the step expects " + s.str();
      return false;
    }
    found.push_back({i, t});
  }
  for (auto [i, t] : found) {
    const TensorSpec &s = ts.args[i];
    if (t->dtype == s.dtype) {
      if (!state(i).copyFrom(*t, error))
        return false;
      continue;
    }
    rt::Tensor conv;
    if (!convertTensor(*t, s.dtype, false, &conv, error) ||
        !state(i).copyFrom(conv, error)) {
      *error = source + ": tensor '" + stateKey(i) + "': " + *error;
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

Forward::Forward() = default;
Forward::~Forward() = default;

namespace {

std::string typeText(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// Gives the data arguments' and results' dynamic dimension 0 the extent
/// `batch` (what flops-run does with its inputs' rows).
bool specializeBatch(func::FuncOp fn, int64_t batch, std::string *error) {
  MLIRContext *ctx = fn.getContext();
  OpBuilder b(ctx);
  Block &entry = fn.getBody().front();
  b.setInsertionPointToStart(&entry);
  SmallVector<Type> argTypes(fn.getArgumentTypes());
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto tt = dyn_cast<RankedTensorType>(argTypes[i]);
    if (!tt || !tt.hasStaticShape()) {
      bool param = bool(fn.getArgAttr(i, "flops.param"));
      bool batchOnly = tt && tt.getRank() >= 1;
      for (int64_t d = 1; tt && d < tt.getRank(); ++d)
        batchOnly &= !tt.isDynamicDim(d);
      if (param || !batchOnly) {
        *error = "@" + fn.getName().str() + " argument " + std::to_string(i) +
                 " has type " + typeText(argTypes[i]) +
                 (param ? "; parameters need static shapes"
                        : "; only dimension 0 (the batch) may be dynamic");
        return false;
      }
    }
    if (!tt || !tt.isDynamicDim(0))
      continue;
    SmallVector<int64_t> shape(tt.getShape());
    shape[0] = batch;
    auto st = RankedTensorType::get(shape, tt.getElementType());
    BlockArgument arg = entry.getArgument(i);
    arg.setType(st);
    auto c = tensor::CastOp::create(b, fn.getLoc(), tt, arg);
    arg.replaceAllUsesExcept(c.getResult(), c.getOperation());
    argTypes[i] = st;
  }
  SmallVector<Type> resultTypes(fn.getResultTypes());
  Operation *ret = entry.getTerminator();
  b.setInsertionPoint(ret);
  for (unsigned r = 0; r < resultTypes.size(); ++r) {
    auto tt = dyn_cast<RankedTensorType>(resultTypes[r]);
    if (!tt || tt.hasStaticShape())
      continue;
    SmallVector<int64_t> shape(tt.getShape());
    for (int64_t d = 1; d < tt.getRank(); ++d)
      if (tt.isDynamicDim(d)) {
        *error = "@" + fn.getName().str() + " result " + std::to_string(r) +
                 " (" + typeText(tt) + ") has a dynamic dimension that is "
                 "not the batch";
        return false;
      }
    shape[0] = batch;
    auto st = RankedTensorType::get(shape, tt.getElementType());
    auto c = tensor::CastOp::create(b, fn.getLoc(), st, ret->getOperand(r));
    ret->setOperand(r, c.getResult());
    resultTypes[r] = st;
  }
  fn.setType(FunctionType::get(ctx, argTypes, resultTypes));
  return true;
}

} // namespace

std::unique_ptr<Forward> Forward::create(Model &model, const std::string &entry,
                                         int64_t batch,
                                         const CompileOptions &options,
                                         std::string *error) {
  if (batch < 1) {
    *error = "the batch must be >= 1, got " + std::to_string(batch);
    return nullptr;
  }
  OwningOpRef<ModuleOp> module(model.module().clone());
  auto fn = module->lookupSymbol<func::FuncOp>(entry);
  if (!fn || fn.isExternal()) {
    *error = model.name() + ": no function @" + entry + " to run";
    return nullptr;
  }
  model.session().context().getOrLoadDialect<tensor::TensorDialect>();
  if (!specializeBatch(fn, batch, error))
    return nullptr;
  std::unique_ptr<Forward> f(new Forward());
  f->entryName = entry;
  CompileOptions copts = options;
  std::string notes;
  llvm::raw_string_ostream notesOS(notes);
  copts.log = &notesOS;
  f->prog = Program::compile(model.session(), *module, {entry}, copts, error);
  if (!f->prog)
    return nullptr;
  return f;
}

const FunctionSignature &Forward::signature() const {
  return *prog->signature(entryName);
}

bool Forward::run(const std::map<std::string, void *> &params,
                  const std::vector<void *> &inputs,
                  std::vector<Buffer> *outputs, std::string *error) {
  const FunctionSignature &sig = signature();
  const std::shared_ptr<Device> &dev = prog->device();
  std::vector<Buffer> views(sig.args.size());
  std::vector<ArgValue> args(sig.args.size());
  size_t nextInput = 0;
  for (size_t i = 0; i < sig.args.size(); ++i) {
    const TensorSpec &s = sig.args[i];
    void *data = nullptr;
    if (s.role == "param") {
      auto it = params.find(s.name);
      if (it == params.end()) {
        *error = "no value for parameter '" + s.name + "' (" + s.str() + ")";
        return false;
      }
      data = it->second;
    } else {
      if (nextInput >= inputs.size()) {
        *error = "@" + sig.name + " takes more data inputs than the " +
                 std::to_string(inputs.size()) + " given";
        return false;
      }
      data = inputs[nextInput++];
    }
    if (s.scalar) {
      *error = "@" + sig.name + " argument " + std::to_string(i) +
               " is a scalar; forward takes tensors only";
      return false;
    }
    if (dev) {
      if (!views[i].allocate(s, error, dev))
        return false;
      std::memcpy(views[i].data(), data, views[i].numBytes());
    } else {
      views[i].wrap(s, data);
    }
    args[i] = ArgValue::of(views[i]);
  }
  if (nextInput != inputs.size()) {
    *error = "@" + sig.name + " takes " + std::to_string(nextInput) +
             " data inputs, got " + std::to_string(inputs.size());
    return false;
  }
  outputs->clear();
  outputs->resize(sig.results.size());
  std::vector<Buffer *> results;
  for (size_t r = 0; r < sig.results.size(); ++r) {
    if (!(*outputs)[r].allocate(sig.results[r], error, dev))
      return false;
    results.push_back(&(*outputs)[r]);
  }
  return prog->call(sig.name, args, results, error);
}
