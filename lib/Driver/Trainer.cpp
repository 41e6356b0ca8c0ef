//===- Trainer.cpp - a step-at-a-time training API (Python) ---------------===//
//
// See include/flops/Driver/Trainer.h. The step ABI, the initial state and
// the step call are rt::TrainState's, which flops-train's loop uses too, so
// a step here and a step of flops-train agree bit for bit
// (python/tests/test_checkpoint.py::test_step_equals_flops_train checks it).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Trainer.h"

#include "flops/Driver/Specialize.h"
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
  /// The step ABI and state, shared with flops-train's loop.
  rt::TrainState tstate;
  std::unique_ptr<JitStep> program;
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
  FunctionSignature ts, es;
  for (auto [name, sig] : {std::pair<const char *, FunctionSignature *>{
                               "train_step", &ts},
                           {"eval_step", &es}}) {
    auto f = module->lookupSymbol<func::FuncOp>(name);
    if (!f) {
      *error = std::string("flops-forward-train did not produce @") + name;
      return nullptr;
    }
    if (!readSignature(f, sig, error))
      return nullptr;
  }
  // The step ABI (flops-train's loop reads it the same way).
  t->st = std::make_unique<State>();
  rt::TrainState &tstate = t->st->tstate;
  if (!tstate.bind(ts, es, "the trainer", so.entry, error))
    return nullptr;

  // Starting values from the model (checked before compiling).
  const rt::SafeTensors *file = model->weights();
  if (file)
    for (unsigned i : tstate.paramPositions()) {
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
  t->st->program = std::make_unique<JitStep>(*t->prog);

  // The state, as flops-train's loop initialises it.
  if (!tstate.init(t->st->program->memory(), file, model->name(), initKind,
                   options.seed, so.sigma, so.queries, error))
    return nullptr;
  return t;
}

const TensorSpec &Trainer::inputSpec() const { return st->tstate.inputSpec(); }
const TensorSpec &Trainer::labelSpec() const { return st->tstate.labelSpec(); }
int64_t Trainer::batchSize() const { return st->tstate.batchSize(); }
bool Trainer::needsPointIds() const { return st->tstate.needsPointIds(); }
unsigned Trainer::numMetrics() const {
  return unsigned(st->tstate.trainSignature().results.back().numElements());
}
unsigned Trainer::numState() const { return st->tstate.numState(); }
const TensorSpec &Trainer::stateSpec(unsigned i) const {
  return st->tstate.trainSignature().args[i];
}
Buffer &Trainer::state(unsigned i) { return st->tstate.state(i); }
std::string Trainer::stateKey(unsigned i) const {
  return st->tstate.stateKey(i);
}
uintptr_t Trainer::lastInputAddress() const {
  return st->tstate.lastInputAddress();
}

bool Trainer::step(void *x, void *y, const int32_t *pointIds, double lr,
                   std::vector<float> *metrics, std::string *error) {
  rt::TrainState &tstate = st->tstate;
  if (tstate.needsPointIds() && !pointIds) {
    *error = "the " + opts.step.allocator +
             " allocator needs the training-row index of each batch row "
             "(point_ids)";
    return false;
  }
  if (!tstate.step(*st->program, x, y, pointIds, lr, steps, error))
    return false;
  const Buffer &m = tstate.metrics();
  metrics->assign(m.as<float>(), m.as<float>() + m.numElements());
  ++steps;
  return true;
}

bool Trainer::evaluate(void *x, void *y, int64_t valid, double out[2],
                       std::string *error) {
  return st->tstate.evaluate(*st->program, x, y, valid, out, error);
}

bool Trainer::saveCheckpoint(const std::string &path,
                             const std::map<std::string, std::string> &extra,
                             std::string *error) {
  // A step-at-a-time run has no epochs: it resumes at batch 0 of epoch 0
  // after `steps` steps, with no metric sums and no first epoch.
  rt::ResumePoint at;
  at.step = steps;
  at.trainRows = opts.trainRows;
  at.seed = opts.seed;
  at.model = model->name();
  at.forwardTrain = pass;
  at.pipeline = prog->pipelineText();
  rt::SafeTensors out = st->tstate.checkpoint(at);
  for (const auto &[k, v] : extra)
    out.metadata[k] = v;
  return rt::writeSafeTensors(path, out, error);
}

bool Trainer::loadState(const rt::SafeTensors &in, bool requireAll,
                        const std::string &source, std::string *error) {
  // Check everything before changing anything.
  std::vector<std::pair<unsigned, const rt::Tensor *>> found;
  for (unsigned i = 0; i < numState(); ++i) {
    std::string key = stateKey(i);
    const rt::Tensor *t = in.find(key);
    const TensorSpec &s = stateSpec(i);
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
    const TensorSpec &s = stateSpec(i);
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
