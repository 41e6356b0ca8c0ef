//===- FlopsModule.cpp - the flops._flops extension (nanobind) ------------===//
//
// Binds the driver's step-at-a-time API (include/flops/Driver/Trainer.h) for
// the Python package in python/flops (docs/PYTHON.md). Arrays cross the
// boundary without copies: inputs are borrowed for the call (the Python
// layer passes C-contiguous arrays of the right dtype, copying once
// otherwise), state tensors are exposed as numpy views of the driver's
// buffers. The GIL is released while compiled code or the compiler runs.
// Driver errors become flops.FlopsError with the driver's message (with
// the MLIR diagnostics and their locations).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileCache.h"
#include "flops/Driver/Device.h"
#include "flops/Driver/Trainer.h"
#include "flops/Runtime/Batcher.h"
#include "flops/Runtime/CInterface.h"
#include "flops/Runtime/SafeTensors.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <dlfcn.h>

#include <chrono>
#include <mutex>
#include <cstring>
#include <stdexcept>

namespace nb = nanobind;
using namespace nb::literals;
using namespace mlir::flops::driver;
namespace rt = ::flops::rt;

namespace {

struct FlopsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &msg) { throw FlopsError(msg); }

/// The file that holds `symbol` (a loaded shared library), or "".
std::string libraryOf(const void *symbol) {
  Dl_info info;
  if (::dladdr(symbol, &info) && info.dli_fname)
    return info.dli_fname;
  return "";
}

/// libFlopsRuntime.so as loaded with this module: JIT code calls it, and
/// the module was loaded RTLD_LOCAL, so the process does not export it.
std::string runtimeLibrary() {
  return libraryOf(
      reinterpret_cast<const void *>(&_mlir_ciface_flops_rt_fill_normal_f32));
}

const char *dtypeString(rt::DType t) {
  switch (t) {
  case rt::DType::F32:
    return "float32";
  case rt::DType::F64:
    return "float64";
  case rt::DType::I32:
    return "int32";
  case rt::DType::I64:
    return "int64";
  case rt::DType::U8:
    return "uint8";
  }
  return "?";
}

nb::dlpack::dtype dlDtype(rt::DType t) {
  switch (t) {
  case rt::DType::F32:
    return nb::dtype<float>();
  case rt::DType::F64:
    return nb::dtype<double>();
  case rt::DType::I32:
    return nb::dtype<int32_t>();
  case rt::DType::I64:
    return nb::dtype<int64_t>();
  case rt::DType::U8:
    return nb::dtype<uint8_t>();
  }
  return nb::dtype<float>();
}

using Array = nb::ndarray<nb::c_contig, nb::device::cpu>;
using NumpyArray = nb::ndarray<nb::numpy>;

/// The data of `a` after checking that it is exactly `spec` (the Python
/// layer converts before calling).
void *checked(const Array &a, const TensorSpec &spec, const char *what) {
  bool ok = a.dtype() == dlDtype(spec.dtype) &&
            size_t(a.ndim()) == spec.shape.size();
  for (size_t i = 0; ok && i < spec.shape.size(); ++i)
    ok = a.shape(i) == size_t(spec.shape[i]);
  if (!ok) {
    std::string shape;
    for (size_t i = 0; i < a.ndim(); ++i)
      shape += (i ? "x" : "") + std::to_string(a.shape(i));
    fail(std::string(what) + ": expected a C-contiguous " +
         dtypeString(spec.dtype) + " array of shape " + spec.str() +
         ", got shape [" + shape + "]");
  }
  return a.data();
}

/// A numpy view of `b`, kept alive by `owner`.
NumpyArray view(Buffer &b, nb::handle owner) {
  std::vector<size_t> shape(b.shape().begin(), b.shape().end());
  return NumpyArray(b.data(), shape.size(), shape.data(), owner, nullptr,
                    dlDtype(b.dtype()), nb::device::cpu::value);
}

/// A numpy array that owns a copy of `b`.
NumpyArray copyOut(Buffer &&b) {
  auto *owned = new Buffer(std::move(b));
  nb::capsule del(owned, [](void *p) noexcept {
    delete static_cast<Buffer *>(p);
  });
  std::vector<size_t> shape(owned->shape().begin(), owned->shape().end());
  return NumpyArray(owned->data(), shape.size(), shape.data(), del, nullptr,
                    dlDtype(owned->dtype()), nb::device::cpu::value);
}

NumpyArray tensorOut(const rt::Tensor &t) {
  auto *owned = new rt::Tensor(t);
  nb::capsule del(owned, [](void *p) noexcept {
    delete static_cast<rt::Tensor *>(p);
  });
  std::vector<size_t> shape(owned->shape.begin(), owned->shape.end());
  return NumpyArray(owned->bytes.data(), shape.size(), shape.data(), del,
                    nullptr, dlDtype(owned->dtype), nb::device::cpu::value);
}

bool parseDType(const nb::dlpack::dtype &d, rt::DType *out) {
  for (rt::DType t : {rt::DType::F32, rt::DType::F64, rt::DType::I32,
                      rt::DType::I64, rt::DType::U8})
    if (d == dlDtype(t)) {
      *out = t;
      return true;
    }
  return false;
}

rt::Tensor tensorIn(const Array &a, const std::string &name) {
  rt::Tensor t;
  if (!parseDType(a.dtype(), &t.dtype))
    fail("tensor '" + name + "': unsupported dtype");
  for (size_t i = 0; i < a.ndim(); ++i)
    t.shape.push_back(int64_t(a.shape(i)));
  const uint8_t *p = static_cast<const uint8_t *>(a.data());
  t.bytes.assign(p, p + a.nbytes());
  return t;
}

/// Compile options from the Python keyword dictionary (names as in
/// flops-train, with underscores).
CompileOptions compileOptions(const nb::dict &o) {
  CompileOptions c;
  c.numThreads = 1;
  c.cacheDir = defaultCacheDir();
  for (auto [k, v] : o) {
    std::string key = nb::cast<std::string>(k);
    if (key == "pipeline") {
      std::string p = nb::cast<std::string>(v);
      if (p == "auto")
        c.pipeline = PipelineKind::Auto;
      else if (p == "cpu")
        c.pipeline = PipelineKind::CPU;
      else if (p == "reference")
        c.pipeline = PipelineKind::Reference;
      else
        fail("pipeline must be auto, cpu or reference, got '" + p + "'");
    } else if (key == "num_threads") {
      c.numThreads = nb::cast<int64_t>(v);
      if (c.numThreads < 0)
        fail("num_threads must be >= 0");
    } else if (key == "cpu_options") {
      c.cpuOptions = nb::cast<std::string>(v);
    } else if (key == "opt_level") {
      int64_t l = nb::cast<int64_t>(v);
      if (l < 0 || l > 3)
        fail("opt_level must be between 0 and 3, got " + std::to_string(l));
      c.optLevel = unsigned(l);
    } else if (key == "cold_opt_level") {
      c.coldOptLevel = nb::cast<int>(v);
    } else if (key == "compile_threads") {
      c.compileThreads = nb::cast<int64_t>(v);
    } else if (key == "cache_dir") {
      c.cacheDir = v.is_none() ? std::string() : nb::cast<std::string>(v);
    } else if (key == "device") {
      std::string d = nb::cast<std::string>(v);
      if (d == "cuda") {
        CudaDeviceOptions cuda;
        if (o.contains("cuda_runtime"))
          cuda.runtimePath = nb::cast<std::string>(o["cuda_runtime"]);
        if (o.contains("cuda_options"))
          cuda.pipelineOptions = nb::cast<std::string>(o["cuda_options"]);
        std::string error;
        c.device = openCudaDevice(cuda, &error);
        if (!c.device)
          fail(error);
      } else if (d != "cpu") {
        fail("device must be cpu or cuda, got '" + d + "'");
      }
    } else if (key == "cuda_runtime" || key == "cuda_options") {
      continue;
    } else {
      fail("unknown compile option '" + key + "'");
    }
  }
  std::string rtLib = runtimeLibrary();
  if (!rtLib.empty())
    c.sharedLibraries.push_back(rtLib);
  return c;
}

TrainerOptions trainerOptions(const nb::dict &o) {
  TrainerOptions t;
  TrainStepOptions &s = t.step;
  nb::dict compile;
  for (auto [k, v] : o) {
    std::string key = nb::cast<std::string>(k);
    auto str = [&]() { return nb::cast<std::string>(v); };
    auto i64 = [&]() { return nb::cast<int64_t>(v); };
    auto f64 = [&]() { return nb::cast<double>(v); };
    if (key == "entry") s.entry = str();
    else if (key == "estimator") s.estimator = str();
    else if (key == "perturb") s.perturb = str();
    else if (key == "queries") s.queries = i64();
    else if (key == "batch_size") s.batchSize = i64();
    else if (key == "antithetic") s.antithetic = nb::cast<bool>(v);
    else if (key == "loss") s.loss = str();
    else if (key == "baseline") s.baseline = str();
    else if (key == "perturb_last") s.perturbLast = i64();
    else if (key == "sites") s.sites = nb::cast<std::vector<std::string>>(v);
    else if (key == "sigma") s.sigma = f64();
    else if (key == "freeze_sigma") s.freezeSigma = nb::cast<bool>(v);
    else if (key == "point_prefix") s.pointPrefix = nb::cast<bool>(v);
    else if (key == "optimizer") s.optimizer = str();
    else if (key == "beta1") s.beta1 = f64();
    else if (key == "beta2") s.beta2 = f64();
    else if (key == "epsilon") s.epsilon = f64();
    else if (key == "momentum") s.momentum = f64();
    else if (key == "clip_norm") s.clipNorm = f64();
    else if (key == "allocator") s.allocator = str();
    else if (key == "budget") s.budget = i64();
    else if (key == "min_queries") s.minQueries = i64();
    else if (key == "weighting") s.weighting = str();
    else if (key == "bernoulli_p") s.bernoulliP = f64();
    else if (key == "bernoulli_p_late") s.bernoulliPLate = f64();
    else if (key == "bernoulli_switch_step") s.bernoulliSwitchStep = i64();
    else if (key == "gaussian_lr") s.gaussianLr = f64();
    else if (key == "neyman_kappa") s.neymanKappa = f64();
    else if (key == "seed") {
      int64_t seed = i64();
      if (seed < 0)
        fail("seed must be >= 0");
      t.seed = uint64_t(seed);
    } else if (key == "init") t.init = str();
    else if (key == "train_rows") t.trainRows = i64();
    else compile[k] = v;
  }
  t.compile = compileOptions(compile);
  return t;
}

struct PyModel {
  std::shared_ptr<Model> model;
};
struct PyTrainer {
  std::unique_ptr<Trainer> t;
  // Calls release the GIL: one step/evaluate at a time per trainer.
  std::mutex busy;
};
struct PyForward {
  std::unique_ptr<Forward> f;
};

nb::dict specDict(const TensorSpec &s) {
  nb::dict d;
  d["role"] = s.role;
  d["name"] = s.name;
  d["dtype"] = dtypeString(s.dtype);
  d["shape"] = nb::tuple(nb::cast(s.shape));
  return d;
}

} // namespace

NB_MODULE(_flops, m) {
  m.doc() = "FLOPS-MLIR driver bindings (use the `flops` package)";
  initializeDriver();
  nb::exception<FlopsError>(m, "FlopsError", PyExc_RuntimeError);

  m.def("runtime_library", &runtimeLibrary,
        "libFlopsRuntime.so as loaded with this module");
  m.def("default_cache_dir", &defaultCacheDir);
  m.def(
      "epoch_order",
      [](int64_t rows, int64_t batch, uint64_t seed, uint64_t epoch) {
        rt::TrainBatches b;
        std::string error;
        if (!b.reset(rows, batch, seed, &error))
          fail(error);
        b.beginEpoch(epoch);
        auto *v = new std::vector<int64_t>(
            b.permutation().begin(),
            b.permutation().begin() + b.numBatches() * batch);
        nb::capsule del(v, [](void *p) noexcept {
          delete static_cast<std::vector<int64_t> *>(p);
        });
        size_t n = v->size();
        return NumpyArray(v->data(), 1, &n, del, nullptr,
                          nb::dtype<int64_t>(), nb::device::cpu::value);
      },
      "rows"_a, "batch"_a, "seed"_a, "epoch"_a,
      "flops-train's shuffled row order of epoch `epoch` (0-based): the "
      "full batches' rows, batch after batch");

  nb::class_<PyModel>(m, "Model")
      .def_static(
          "from_file",
          [](const std::string &path) {
            std::string error;
            std::shared_ptr<Model> md;
            {
              nb::gil_scoped_release release;
              md = Model::fromFile(path, &error);
            }
            if (!md)
              fail(error);
            return PyModel{md};
          },
          "path"_a)
      .def_static(
          "from_mlir",
          [](const std::string &text, const std::string &name) {
            std::string error;
            auto md = Model::fromMlir(text, name, &error);
            if (!md)
              fail(error);
            return PyModel{md};
          },
          "text"_a, "name"_a = "<string>")
      .def_static(
          "from_onnx",
          [](nb::bytes bytes, const std::string &name) {
            std::string error, data(bytes.c_str(), bytes.size());
            std::shared_ptr<Model> md;
            {
              nb::gil_scoped_release release;
              md = Model::fromOnnx(data, name, &error);
            }
            if (!md)
              fail(error);
            return PyModel{md};
          },
          "data"_a, "name"_a = "<bytes>")
      .def("load_weights",
           [](PyModel &self, const std::string &path) {
             std::string error;
             if (!self.model->loadWeights(path, &error))
               fail(error);
           })
      .def("set_weight",
           [](PyModel &self, const std::string &name, Array a) {
             rt::SafeTensors &w = self.model->mutableWeights();
             rt::Tensor t = tensorIn(a, name);
             if (rt::Tensor *old = w.find(name))
               *old = std::move(t);
             else
               w.add(name, std::move(t));
           })
      .def("weights",
           [](PyModel &self) {
             nb::dict d;
             if (const rt::SafeTensors *w = self.model->weights())
               for (const rt::NamedTensor &t : w->tensors)
                 d[nb::str(t.name.c_str())] = tensorOut(t.tensor);
             return d;
           })
      .def_prop_ro("name", [](PyModel &self) { return self.model->name(); })
      .def("__str__", [](PyModel &self) { return self.model->str(); });

  nb::class_<PyTrainer>(m, "Trainer")
      .def("__init__",
           [](PyTrainer *self, PyModel &model, nb::dict options) {
             TrainerOptions o = trainerOptions(options);
             std::string error;
             std::unique_ptr<Trainer> t;
             {
               nb::gil_scoped_release release;
               t = Trainer::create(model.model, o, &error);
             }
             if (!t)
               fail(error);
             new (self) PyTrainer{std::move(t)};
           })
      .def_prop_ro("batch_size", [](PyTrainer &p) { return p.t->batchSize(); })
      .def_prop_ro("num_classes", [](PyTrainer &p) { return p.t->numClasses(); })
      .def_prop_ro("needs_point_ids", [](PyTrainer &p) { return p.t->needsPointIds(); })
      .def_prop_ro("input_spec",
                   [](PyTrainer &p) { return specDict(p.t->inputSpec()); })
      .def_prop_ro("label_spec",
                   [](PyTrainer &p) { return specDict(p.t->labelSpec()); })
      .def_prop_ro("pass_text", [](PyTrainer &p) { return p.t->passText(); })
      .def_prop_ro("pipeline",
                   [](PyTrainer &p) { return p.t->program().pipelineText(); })
      .def_prop_ro("compile_seconds",
                   [](PyTrainer &p) { return p.t->program().compileSeconds(); })
      .def_prop_ro("cache_hit",
                   [](PyTrainer &p) { return p.t->program().cacheHit(); })
      .def_prop_ro("last_input_address",
                   [](PyTrainer &p) { return p.t->lastInputAddress(); })
      .def_prop_rw(
          "step_count", [](PyTrainer &p) { return p.t->stepCount(); },
          [](PyTrainer &p, int64_t s) { p.t->setStepCount(s); })
      .def("state_specs",
           [](PyTrainer &p) {
            Trainer &t = *p.t;
             nb::list l;
             for (unsigned i = 0; i < t.numState(); ++i) {
               nb::dict d = specDict(t.stateSpec(i));
               d["key"] = t.stateKey(i);
               l.append(d);
             }
             return l;
           })
      .def(
          "state_view",
          [](PyTrainer &p, unsigned i) {
            Trainer &t = *p.t;
            if (i >= t.numState())
              fail("no state tensor " + std::to_string(i));
            return view(t.state(i), nb::find(&p));
          },
          "index"_a)
      .def(
          "step",
          [](PyTrainer &p, Array x, Array y, double lr,
             std::optional<Array> pointIds) {
            Trainer &t = *p.t;
            void *xp = checked(x, t.inputSpec(), "step input");
            void *yp = checked(y, t.labelSpec(), "step labels");
            const int32_t *ids = nullptr;
            if (pointIds) {
              if (pointIds->dtype() != nb::dtype<int32_t>() ||
                  pointIds->ndim() != 1 ||
                  int64_t(pointIds->shape(0)) != t.batchSize())
                fail("point_ids must be an int32 array of " +
                     std::to_string(t.batchSize()) + " row indices");
              ids = static_cast<const int32_t *>(pointIds->data());
            }
            std::vector<float> metrics;
            std::string error;
            bool ok;
            {
              nb::gil_scoped_release release;
              std::lock_guard<std::mutex> lock(p.busy);
              ok = t.step(xp, yp, ids, lr, &metrics, &error);
            }
            if (!ok)
              fail(error);
            return metrics;
          },
          "x"_a, "y"_a, "lr"_a, "point_ids"_a = nb::none())
      .def(
          "time_steps",
          [](PyTrainer &p, Array x, Array y, double lr, int64_t n) {
            // Benchmark support (benchmarks/python/step_overhead.py): n
            // steps on one batch in a C++ loop, no Python in between.
            Trainer &t = *p.t;
            void *xp = checked(x, t.inputSpec(), "step input");
            void *yp = checked(y, t.labelSpec(), "step labels");
            std::vector<float> metrics;
            std::string error;
            bool ok = true;
            double seconds;
            {
              nb::gil_scoped_release release;
              std::lock_guard<std::mutex> lock(p.busy);
              auto t0 = std::chrono::steady_clock::now();
              for (int64_t i = 0; ok && i < n; ++i)
                ok = t.step(xp, yp, nullptr, lr, &metrics, &error);
              seconds = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - t0)
                            .count();
            }
            if (!ok)
              fail(error);
            return seconds;
          },
          "x"_a, "y"_a, "lr"_a, "n"_a)
      .def(
          "evaluate",
          [](PyTrainer &p, Array x, Array y, int64_t valid) {
            Trainer &t = *p.t;
            void *xp = checked(x, t.inputSpec(), "evaluate input");
            void *yp = checked(y, t.labelSpec(), "evaluate labels");
            double out[2];
            std::string error;
            bool ok;
            {
              nb::gil_scoped_release release;
              std::lock_guard<std::mutex> lock(p.busy);
              ok = t.evaluate(xp, yp, valid, out, &error);
            }
            if (!ok)
              fail(error);
            return std::make_pair(out[0], out[1]);
          },
          "x"_a, "y"_a, "valid"_a)
      .def(
          "save",
          [](PyTrainer &p, const std::string &path,
             std::map<std::string, std::string> extra) {
            Trainer &t = *p.t;
            std::string error;
            if (!t.saveCheckpoint(path, extra, &error))
              fail(error);
          },
          "path"_a, "metadata"_a = std::map<std::string, std::string>())
      .def(
          "load",
          [](PyTrainer &p, const std::string &path, bool requireAll) {
            Trainer &t = *p.t;
            rt::SafeTensors st;
            std::string error;
            if (!rt::readSafeTensors(path, &st, &error) ||
                !t.loadState(st, requireAll, path, &error))
              fail(error);
            return st.metadata;
          },
          "path"_a, "require_all"_a = true)
      .def(
          "load_state",
          [](PyTrainer &p, nb::dict tensors, bool requireAll) {
            Trainer &t = *p.t;
            rt::SafeTensors st;
            for (auto [k, v] : tensors) {
              std::string name = nb::cast<std::string>(k);
              st.add(name, tensorIn(nb::cast<Array>(v), name));
            }
            std::string error;
            if (!t.loadState(st, requireAll, "state_dict", &error))
              fail(error);
          },
          "tensors"_a, "require_all"_a = true);

  nb::class_<PyForward>(m, "Forward")
      .def("__init__",
           [](PyForward *self, PyModel &model, const std::string &entry,
              int64_t batch, nb::dict options) {
             CompileOptions o = compileOptions(options);
             std::string error;
             std::unique_ptr<Forward> f;
             {
               nb::gil_scoped_release release;
               f = Forward::create(*model.model, entry, batch, o, &error);
             }
             if (!f)
               fail(error);
             new (self) PyForward{std::move(f)};
           })
      .def("signature",
           [](PyForward &p) {
        Forward &f = *p.f;
             nb::list args, results;
             for (const TensorSpec &s : f.signature().args)
               args.append(specDict(s));
             for (const TensorSpec &s : f.signature().results)
               results.append(specDict(s));
             return std::make_pair(args, results);
           })
      .def("run", [](PyForward &p, nb::dict params, std::vector<Array> inputs) {
        Forward &f = *p.f;
        std::map<std::string, void *> values;
        const FunctionSignature &sig = f.signature();
        for (const TensorSpec &s : sig.args)
          if (s.role == "param") {
            if (!params.contains(s.name.c_str()))
              fail("no value for parameter '" + s.name + "' (" + s.str() +
                   ")");
            Array a = nb::cast<Array>(params[s.name.c_str()]);
            values[s.name] =
                checked(a, s, ("parameter '" + s.name + "'").c_str());
          }
        std::vector<void *> in;
        size_t k = 0;
        for (const TensorSpec &s : sig.args)
          if (s.role != "param") {
            if (k >= inputs.size())
              fail("@" + sig.name + " takes more data inputs than the " +
                   std::to_string(inputs.size()) + " given");
            in.push_back(checked(inputs[k++], s, "forward input"));
          }
        std::vector<Buffer> outs;
        std::string error;
        bool ok;
        {
          nb::gil_scoped_release release;
          ok = f.run(values, in, &outs, &error);
        }
        if (!ok)
          fail(error);
        nb::list l;
        for (Buffer &b : outs)
          l.append(copyOut(std::move(b)));
        return l;
      });
}
