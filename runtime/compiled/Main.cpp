//===- Main.cpp - main() of the training programs of flops-compile --------===//
//
// A program made by `flops-compile --emit=exe` is this file, the shared
// training loop (FlopsTrainLoop), the I/O and runtime libraries (static)
// and the object flops-compile generated, which defines
//   _flops_packed_train_step, _flops_packed_eval_step  (the packed entries)
//   _flops_manifest  (text: step facts and signatures, written by
//                     lib/Driver/CompileTrainer.cpp)
// No LLVM or MLIR library is linked (docs/CLI.md, "flops-compile"). With
// --device cuda, FLOPS' CUDA runtime is linked in too (it dlopens
// libcuda.so.1 at run time).
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/StepABI.h"
#include "flops/Runtime/TrainLoop.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
extern const char _flops_manifest[];
void _flops_packed_train_step(void **);
void _flops_packed_eval_step(void **);
// Present when the module had global constructors (none on the CPU today;
// CUDA code loads its kernel modules in them).
void _flops_global_ctors() __attribute__((weak));
void _flops_global_dtors() __attribute__((weak));
// FLOPS' CUDA runtime (GpuRuntime.h, the mgpu* entry points): linked only
// into the programs of `flops-compile --device cuda`.
int32_t flopsGpuInit(char *message, int64_t capacity) __attribute__((weak));
int32_t flopsGpuLastError(char *message, int64_t capacity)
    __attribute__((weak));
void *mgpuMemAlloc(uint64_t bytes, void *stream, uint8_t hostShared)
    __attribute__((weak));
void mgpuMemFree(void *p, void *stream) __attribute__((weak));
}

namespace rt = ::flops::rt;

namespace {

struct Manifest {
  std::map<std::string, std::string> values;
  std::vector<rt::FunctionSignature> sigs;
  std::string get(const std::string &k) const {
    auto it = values.find(k);
    return it == values.end() ? std::string() : it->second;
  }
};

bool parseManifest(const char *text, Manifest *m, std::string *error) {
  std::istringstream in(text);
  std::string line, rest;
  bool sigs = false;
  while (std::getline(in, line)) {
    if (sigs) {
      rest += line + "\n";
      continue;
    }
    if (line == "signatures") {
      sigs = true;
      continue;
    }
    size_t sp = line.find(' ');
    if (sp == std::string::npos)
      m->values[line] = "";
    else
      m->values[line.substr(0, sp)] = line.substr(sp + 1);
  }
  if (m->get("format") != "flops-compile-1") {
    *error = "the embedded step description has an unknown format '" +
             m->get("format") + "'";
    return false;
  }
  return rt::parseSignatures(rest, &m->sigs, error);
}

/// CUDA managed memory (the buffers the step reads and writes stay on the
/// device; the host touches what it reads or writes), for CUDA programs.
/// Its kind is the driver's DeviceKind::CUDA.
class CudaMemory : public rt::MemorySpace {
public:
  int memoryKind() const override { return 1; }
  void *allocate(size_t bytes, std::string *error) override {
    void *p = mgpuMemAlloc(bytes ? bytes : 1, nullptr, /*hostShared=*/1);
    if (!p) {
      char message[1024] = {0};
      flopsGpuLastError(message, sizeof(message));
      *error = "cannot allocate " + std::to_string(bytes) +
               " bytes of CUDA managed memory: " + message;
    }
    return p;
  }
  void release(void *p) override { mgpuMemFree(p, nullptr); }
};

/// The linked step behind the loop's interface.
class LinkedStep : public rt::StepProgram {
public:
  LinkedStep(const Manifest &m, const rt::FunctionSignature &train,
             const rt::FunctionSignature &eval,
             std::shared_ptr<rt::MemorySpace> memory)
      : manifest(m), mem(std::move(memory)) {
    bool outParams = m.get("out-params") != "0";
    trainEntry.sig = train;
    trainEntry.fn = &_flops_packed_train_step;
    trainEntry.outParams = outParams;
    evalEntry.sig = eval;
    evalEntry.fn = &_flops_packed_eval_step;
    evalEntry.outParams = outParams;
  }
  bool call(const char *name, const std::vector<rt::ArgValue> &args,
            const std::vector<rt::Buffer *> &results,
            std::string *error) override {
    rt::PackedEntry &e =
        std::strcmp(name, "train_step") == 0 ? trainEntry : evalEntry;
    if (!rt::callPacked(e, mem, args, results, error))
      return false;
    char message[2048] = {0};
    if (mem && flopsGpuLastError(message, sizeof(message)) != 0) {
      *error = "@" + e.sig.name + " failed on the CUDA device: " + message;
      return false;
    }
    return true;
  }
  std::shared_ptr<rt::MemorySpace> memory() const override { return mem; }
  std::string pipelineText() const override {
    return manifest.get("pipeline");
  }
  int64_t numThreads() const override {
    return std::strtoll(manifest.get("threads").c_str(), nullptr, 10);
  }
  std::string compileNote() const override {
    return "compiled ahead of time by flops-compile for " +
           manifest.get("target");
  }

private:
  const Manifest &manifest;
  std::shared_ptr<rt::MemorySpace> mem;
  rt::PackedEntry trainEntry, evalEntry;
};

const char *kHelp =
    "USAGE: %s [options]\n"
    "\n"
    "Trains the model that flops-compile compiled into this program (%s)\n"
    "with forward-only (perturbed-query) gradients; the step options are\n"
    "fixed at compile time (--info prints them). Options as flops-train's:\n"
    "\n"
    "Training:\n"
    "  --epochs=N          passes over the training set (default 20; 0: only\n"
    "                      evaluate/save the initial parameters)\n"
    "  --lr=X              learning rate (default 0.001)\n"
    "  --lr-decay=X        StepLR factor (default 0.8)\n"
    "  --lr-decay-every=N  epochs between decays (default 1; 0 = never)\n"
    "  --seed=N            seed of the initialisation, shuffling and noise\n"
    "  --init=he|glorot    initialisation of weights\n"
    "  --params=FILE       start from these parameters (safetensors)\n"
    "  --save=FILE         checkpoint after every epoch (atomic replace)\n"
    "  --resume=FILE       continue the run saved in this checkpoint\n"
    "  --save-every=N      also checkpoint every N steps\n"
    "  --max-steps=N       stop after N steps in all\n"
    "Data:\n"
    "  --data-dir=DIR      Fashion-MNIST directory (IDX files)\n"
    "  --train-npy=X.npy --train-labels=y.npy --test-npy=X.npy "
    "--test-labels=y.npy\n"
    "  --limit-train=N --limit-test=N   use only the first N rows (0 = all)\n"
    "Output:\n"
    "  --metrics=FILE      one JSON object per epoch ('-' = stdout)\n"
    "  --progress=BOOL     progress line (default true)\n"
    "  --quiet             no banner, epoch lines or summary\n"
    "  --info              print the compiled step's options and exit\n";

bool parseInt(const std::string &opt, const std::string &v, int64_t *out,
              std::string *error) {
  errno = 0;
  char *end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || errno || *end) {
    *error = "--" + opt + ": '" + v + "' is not an integer";
    return false;
  }
  *out = x;
  return true;
}

bool parseReal(const std::string &opt, const std::string &v, double *out,
               std::string *error) {
  errno = 0;
  char *end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || errno || *end) {
    *error = "--" + opt + ": '" + v + "' is not a number";
    return false;
  }
  *out = x;
  return true;
}

bool parseBool(const std::string &opt, const std::string &v, bool *out,
               std::string *error) {
  if (v == "true" || v == "1" || v.empty()) {
    *out = true;
    return true;
  }
  if (v == "false" || v == "0") {
    *out = false;
    return true;
  }
  *error = "--" + opt + ": '" + v + "' is not true or false";
  return false;
}

} // namespace

int main(int argc, char **argv) {
  // Compiled steps free their temporaries each call: keep that memory.
  flops::rt::retainFreedHostMemory();
  std::string tool = argv[0];
  if (size_t s = tool.find_last_of('/'); s != std::string::npos)
    tool = tool.substr(s + 1);
  auto fail = [&](const std::string &msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: %s\n", tool.c_str(), msg.c_str());
    return 1;
  };
  Manifest m;
  std::string error;
  if (!parseManifest(_flops_manifest, &m, &error))
    return fail(error);
  if (m.sigs.size() < 2 || m.sigs[0].name != "train_step" ||
      m.sigs[1].name != "eval_step")
    return fail("the embedded step description lacks train_step/eval_step");

  rt::LoopConfig cfg;
  cfg.toolName = tool;
  cfg.modelPath = m.get("model");
  bool progress = true, info = false;
  // Options: --name=value, --name value, and bare booleans.
  const std::vector<std::string> boolOpts = {"progress", "quiet", "info",
                                             "help"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0)
      return fail("unexpected argument '" + a + "' (options start with --; " +
                  tool + " --help lists them)");
    std::string name = a.substr(2), value;
    bool hasValue = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    bool isBool = false;
    for (const std::string &b : boolOpts)
      isBool |= b == name;
    if (!hasValue && !isBool) {
      if (i + 1 >= argc)
        return fail("--" + name + " needs a value");
      value = argv[++i];
    }
    bool ok = true;
    if (name == "help") {
      std::printf(kHelp, tool.c_str(), cfg.modelPath.c_str());
      return 0;
    } else if (name == "info") {
      ok = parseBool(name, value, &info, &error);
    } else if (name == "progress") {
      ok = parseBool(name, value, &progress, &error);
    } else if (name == "quiet") {
      ok = parseBool(name, value, &cfg.quiet, &error);
    } else if (name == "epochs") {
      ok = parseInt(name, value, &cfg.epochs, &error);
    } else if (name == "lr") {
      ok = parseReal(name, value, &cfg.lr, &error);
    } else if (name == "lr-decay") {
      ok = parseReal(name, value, &cfg.lrDecay, &error);
    } else if (name == "lr-decay-every") {
      ok = parseInt(name, value, &cfg.lrDecayEvery, &error);
    } else if (name == "seed") {
      int64_t s = 0;
      ok = parseInt(name, value, &s, &error);
      if (ok && s < 0) {
        error = "--seed must be >= 0, got " + value;
        ok = false;
      }
      cfg.seed = uint64_t(s);
    } else if (name == "init") {
      cfg.init = value;
    } else if (name == "params") {
      cfg.paramsPath = value;
    } else if (name == "save") {
      cfg.savePath = value;
    } else if (name == "resume") {
      cfg.resumePath = value;
    } else if (name == "save-every") {
      ok = parseInt(name, value, &cfg.saveEvery, &error);
    } else if (name == "max-steps") {
      ok = parseInt(name, value, &cfg.maxSteps, &error);
    } else if (name == "data-dir") {
      cfg.dataDir = value;
    } else if (name == "train-npy") {
      cfg.trainNpy = value;
    } else if (name == "train-labels") {
      cfg.trainLabels = value;
    } else if (name == "test-npy") {
      cfg.testNpy = value;
    } else if (name == "test-labels") {
      cfg.testLabels = value;
    } else if (name == "limit-train") {
      ok = parseInt(name, value, &cfg.limitTrain, &error);
    } else if (name == "limit-test") {
      ok = parseInt(name, value, &cfg.limitTest, &error);
    } else if (name == "metrics") {
      cfg.metricsPath = value;
    } else {
      return fail("unknown option --" + name + " (" + tool +
                  " --help lists the options; the step options are fixed "
                  "by flops-compile)");
    }
    if (!ok)
      return fail(error);
  }
  cfg.progress = progress && !cfg.quiet;
  bool cuda = m.get("device") == "cuda";
  if (info) {
    std::printf("model: %s\nstep: %s\npipeline: %s\nthreads: %s\ndevice: "
                "%s\ntarget: %s\ncompiled for %s training rows\n",
                cfg.modelPath.c_str(), m.get("pass").c_str(),
                m.get("pipeline").c_str(), m.get("threads").c_str(),
                cuda ? "cuda" : "cpu", m.get("target").c_str(),
                m.get("train-rows").c_str());
    return 0;
  }
  // The device first: no data is read and nothing written without it.
  std::shared_ptr<rt::MemorySpace> memory;
  if (cuda) {
    if (!flopsGpuInit || !flopsGpuLastError || !mgpuMemAlloc || !mgpuMemFree)
      return fail("the step was compiled for CUDA but the program lacks "
                  "FLOPS' CUDA runtime (link libFlopsCudaRuntimeStatic.a)");
    char message[1024] = {0};
    if (flopsGpuInit(message, sizeof(message)) != 0)
      return fail(message);
    memory = std::make_shared<CudaMemory>();
  }

  rt::StepFacts facts;
  facts.entry = m.get("entry");
  facts.passText = m.get("pass");
  facts.loss = m.get("loss");
  facts.allocator = m.get("allocator");
  facts.queries = std::strtoll(m.get("queries").c_str(), nullptr, 10);
  facts.sigma = std::strtod(m.get("sigma").c_str(), nullptr);
  facts.numClasses = std::strtoll(m.get("classes").c_str(), nullptr, 10);

  if (!rt::checkLoopOptions(cfg, &error))
    return fail(error);
  rt::TrainingData data;
  if (!rt::loadTrainingData(cfg, &data, &error))
    return fail(error);
  // The row count entered the step options of the Neyman allocator (its
  // per-point table) and of the Bernoulli allocator (its switch step, one
  // epoch, when not given) at compile time: another count would train with
  // other statistics than flops-train's, so it is refused.
  std::string rows = std::to_string(data.train.size());
  if (m.get("rows-matter") == "1" && rows != m.get("train-rows"))
    return fail("this program was compiled for " + m.get("train-rows") +
                " training rows (the " + facts.allocator +
                " allocator's step options depend on them); this run has " +
                rows + ": run flops-compile with the same data options" +
                (facts.allocator == "bernoulli"
                     ? std::string(", or give it --bernoulli-switch-step "
                                   "(then any row count works)")
                     : std::string()));
  rt::TrainLoop loop;
  if (!loop.prepare(cfg, std::move(data), m.sigs[0], m.sigs[1], facts,
                    &error))
    return fail(error);
  if (_flops_global_ctors)
    _flops_global_ctors();
  if (cuda) {
    char message[2048] = {0};
    if (flopsGpuLastError(message, sizeof(message)) != 0)
      return fail(std::string("loading the CUDA kernels failed: ") + message);
  }
  LinkedStep step(m, m.sigs[0], m.sigs[1], memory);
  bool ok = loop.run(step, &error);
  if (_flops_global_dtors)
    _flops_global_dtors();
  if (!ok)
    return fail(error);
  return 0;
}
