//===- bench-train-step.cpp - one @train_step against one @forward --------===//
//
// Times, in one process and interleaved call by call:
//   train  : one compiled @train_step of examples/mlp.mlir
//            (flops-forward-train{batch-size=B queries=q}, defaults otherwise)
//            on random inputs/labels, state buffers ping-ponged and reused;
//   infer  : the compiled @forward of the same model on N = B*q rows.
// Both go through the driver library (Program::compile) with the same
// pipeline and thread count. Prints one JSON object on stdout (median, min,
// mean of the timed calls, and the median of the per-repetition ratios).
// Not a test: see docs/BENCHMARKS.md and benchmarks/train-step/run.sh.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Device.h"
#include "flops/Driver/Program.h"
#include "flops/Driver/Specialize.h"
#include "flops/Driver/Tensors.h"
#include "flops/Driver/Train.h"
#include "flops/Runtime/Allocators.h"
#include "flops/Runtime/Init.h"
#include "flops/Runtime/StepABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::flops::driver;
namespace rt = ::flops::rt;
namespace cl = llvm::cl;

#ifndef FLOPS_SOURCE_DIR
#define FLOPS_SOURCE_DIR "."
#endif

static cl::OptionCategory benchCat("flops-bench-train-step options");

static cl::opt<std::string> modelPath("model", cl::cat(benchCat), cl::desc("Model with @forward"),
                                      cl::init(FLOPS_SOURCE_DIR
                                               "/examples/mlp.mlir"));
static cl::opt<int64_t> batchSize("batch-size", cl::cat(benchCat), cl::desc("B"), cl::init(64));
static cl::opt<int64_t> queries("queries", cl::cat(benchCat), cl::desc("q"), cl::init(8));
static cl::opt<int64_t>
    numThreads("num-threads",
               cl::cat(benchCat), cl::desc("Threads of the compiled code (0 = all cores)"),
               cl::init(1));
static cl::opt<int> reps("reps", cl::cat(benchCat), cl::desc("Timed repetitions"), cl::init(30));
static cl::opt<int> warmup("warmup", cl::cat(benchCat), cl::desc("Untimed calls first"),
                           cl::init(5));
static cl::opt<std::string>
    pipelineOpt("pipeline", cl::cat(benchCat), cl::desc("cpu | auto | reference"),
                cl::init("cpu"));
static cl::opt<std::string>
    cpuOptions("cpu-options", cl::cat(benchCat), cl::desc("Extra flops-lower-to-cpu options"),
               cl::init(""));
static cl::opt<uint64_t> seed("seed", cl::cat(benchCat), cl::desc("Data/init seed"), cl::init(1));
static cl::opt<bool>
    freezeSigma("freeze-sigma",
                cl::cat(benchCat), cl::desc("Train step without the log-sigma estimate "
                         "(attribution of the step's time)"),
                cl::init(false));
static cl::opt<bool>
    pointPrefix("point-prefix",
                cl::cat(benchCat), cl::desc("flops-forward-train's point-prefix (false: the "
                         "whole forward per query row)"),
                cl::init(true));
static cl::opt<std::string>
    deviceOpt("device", cl::cat(benchCat),
              cl::desc("cpu | cuda (flops-lower-to-cuda, buffers in CUDA "
                       "managed memory; every launch synchronous, so the "
                       "wall-clock times are synchronized)"),
              cl::init("cpu"));
static cl::opt<std::string>
    cudaOptions("cuda-options", cl::cat(benchCat),
                cl::desc("Extra flops-lower-to-cuda options (--device cuda)"));
static cl::opt<std::string> variantCudaOptions(
    "variant-cuda-options", cl::cat(benchCat),
    cl::desc("Also compile a second @train_step (variant B) with these "
             "flops-lower-to-cuda options, e.g. 'contraction=cublas' "
             "(--device cuda)"));
static cl::opt<std::string> variantCpuOptions(
    "variant-cpu-options",
    cl::cat(benchCat), cl::desc("Also compile a second @train_step (variant B) with these "
             "flops-lower-to-cpu options instead of --cpu-options, and time "
             "it interleaved with the first (reports ratio_variant_over_train)"),
    cl::init(""));
static cl::opt<unsigned> optLevel("opt-level",
                                  cl::cat(benchCat), cl::desc("LLVM optimisation level (0-3)"),
                                  cl::init(3));
static cl::opt<int> variantOptLevel(
    "variant-opt-level",
    cl::cat(benchCat), cl::desc("Variant B with this LLVM optimisation level (-1: --opt-level)"),
    cl::init(-1));
static cl::opt<int> coldOptLevel(
    "cold-opt-level", cl::cat(benchCat),
    cl::desc("LLVM optimisation level of the code that only sequences "
             "outlined loop nests (-1: --opt-level)"),
    cl::init(0));
static cl::opt<int> variantColdOptLevel(
    "variant-cold-opt-level", cl::cat(benchCat),
    cl::desc("Variant B with this --cold-opt-level (-1: --opt-level; -2: "
             "--cold-opt-level)"),
    cl::init(-2));
static cl::opt<std::string> variantPointPrefix(
    "variant-point-prefix",
    cl::cat(benchCat), cl::desc("Variant B with this point-prefix (true/false) instead of "
             "--point-prefix"),
    cl::init(""));
static cl::opt<bool>
    forwardOnly("forward-only", cl::cat(benchCat),
                cl::desc("Time only @forward on the N rows (no @train_step is "
                         "compiled; for models whose step compiles slowly)"),
                cl::init(false));
static cl::opt<int64_t>
    perturbLast("perturb-last",
                cl::cat(benchCat), cl::desc("Perturb only the last k sites (0 = all)"),
                cl::init(0));
static cl::opt<std::string>
    estimatorOpt("estimator", cl::cat(benchCat),
                 cl::desc("flops-forward-train's estimator (lr, spsa, es)"),
                 cl::init("lr"));
static cl::opt<bool> spsaInPlaceOpt(
    "spsa-in-place", cl::cat(benchCat),
    cl::desc("flops-forward-train's spsa-in-place (in-place MeZO); the "
             "step's parameter results then alias its parameter arguments "
             "(one set of state buffers)"),
    cl::init(false));
static cl::opt<std::string> allocatorOpt(
    "allocator", cl::cat(benchCat),
    cl::desc("flops-forward-train's allocator (uniform, bernoulli, gaussian, "
             "neyman); batch row i is training point i mod --neyman-points"),
    cl::init("uniform"));
static cl::opt<int64_t> neymanPointsOpt(
    "neyman-points", cl::cat(benchCat),
    cl::desc("allocator neyman: rows of its per-point table (flops-train: the "
             "training rows)"),
    cl::init(60000));
static cl::opt<std::string> perturbOpt(
    "perturb", cl::cat(benchCat),
    cl::desc("flops-forward-train's perturb (all, layer-wise)"),
    cl::init("all"));
static cl::opt<int64_t> esRankOpt(
    "es-rank", cl::cat(benchCat),
    cl::desc("flops-forward-train's es-rank (low-rank ES noise; 0 = full)"),
    cl::init(0));
static cl::opt<std::string>
    optimizerOpt("optimizer", cl::cat(benchCat),
                 cl::desc("flops-forward-train's optimizer (adam, sgd)"),
                 cl::init("adam"));
static cl::opt<double> momentumOpt("momentum", cl::cat(benchCat),
                                   cl::desc("SGD momentum"), cl::init(0.9));
static cl::opt<int64_t>
    forwardRows("forward-rows", cl::cat(benchCat),
                cl::desc("Rows of the compiled @forward (0 = N = B*q)"),
                cl::init(0));
static cl::opt<std::string> peakRss(
    "peak-rss", cl::cat(benchCat),
    cl::desc("train | forward: no timing; call that function once (no "
             "warm-up) and print the process's resident memory before the "
             "call, its peak during it (/proc/self/status VmHWM, reset "
             "through /proc/self/clear_refs) and the bytes of the call's "
             "arguments and results (JSON). Run once per function, each in "
             "its own process (benchmarks/estimators/memory.sh)"),
    cl::init(""));

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "flops-bench-train-step: %s\n", msg.c_str());
  std::exit(1);
}

struct Stats {
  double median = 0, min = 0, mean = 0;
};

Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v.front();
  for (double x : v)
    s.mean += x;
  s.mean /= double(n);
  return s;
}

std::string json(const char *name, const Stats &s, double scale) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"%s\": {\"median\": %.6g, \"min\": %.6g, \"mean\": %.6g}",
                name, s.median * scale, s.min * scale, s.mean * scale);
  return buf;
}

/// A field of /proc/self/status in kB (-1 if absent).
long long statusKb(const char *field) {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long long v = -1;
  size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f))
    if (!std::strncmp(line, field, n) && line[n] == ':') {
      v = std::atoll(line + n + 1);
      break;
    }
  std::fclose(f);
  return v;
}

/// Resets VmHWM to the current RSS (Linux: "5" to clear_refs).
bool resetPeakRss() {
  FILE *f = std::fopen("/proc/self/clear_refs", "w");
  if (!f)
    return false;
  bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

void fillUniform(Buffer &b, std::mt19937_64 &rng) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  if (b.dtype() != rt::DType::F32)
    die("inputs must be f32");
  float *p = b.as<float>();
  for (int64_t i = 0, n = b.numElements(); i < n; ++i)
    p[i] = u(rng);
}

/// One compiled @train_step with its own ping-pong state.
struct TimedStep {
  Session session;
  std::unique_ptr<Program> program;
  std::string passText;
  PingPongState pingPong;
  Buffer metrics, pointIds;
  unsigned lrIdx = 0, stepIdx = 0, seedIdx = 0, labelIdx = 0, inputIdx = 0;
  int cur = 0;
  int64_t step = 0;
  double sigma = 1e-3;

  static std::unique_ptr<TimedStep> compile(const TrainStepOptions &opts,
                                            const CompileOptions &copts,
                                            int64_t batch, std::string *error) {
    auto s = std::make_unique<TimedStep>();
    OwningOpRef<ModuleOp> module = s->session.parseFile(modelPath, error);
    if (!module)
      return nullptr;
    s->passText = opts.passText(batch);
    s->sigma = opts.sigma;
    if (!runPipeline(*module, s->passText, error)) {
      *error += "\n" + s->session.takeDiagnostics();
      return nullptr;
    }
    s->program =
        Program::compile(s->session, *module, {"train_step"}, copts, error);
    if (!s->program)
      return nullptr;
    const FunctionSignature &ts = *s->program->signature("train_step");
    s->lrIdx = ts.argsWithRole("lr").at(0);
    s->stepIdx = ts.argsWithRole("step").at(0);
    s->seedIdx = ts.argsWithRole("seed").at(0);
    s->labelIdx = ts.argsWithRole("labels").at(0);
    s->inputIdx = ts.argsWithRole("input").at(0);
    return s;
  }

  /// Same parameters for every step compiled (same init streams), log
  /// sigma at its initial value, the shared input and labels.
  bool setUp(rt::InitKind init, Buffer &input, Buffer &labels,
             std::string *error) {
    const FunctionSignature &ts = *program->signature("train_step");
    unsigned numState = lrIdx;
    // flops.in_place_state (spsa-in-place): one set of state buffers serves
    // as the step's arguments and results.
    if (!pingPong.allocate(ts, numState, error, program->device(),
                           rt::stepUpdatesInPlace(ts)) ||
        !metrics.allocate(ts.results.back(), error, program->device()))
      return false;
    std::vector<Buffer>(&state)[2] = pingPong.sets;
    double logSigma0 = std::log(sigma);
    uint32_t stream = 0;
    for (unsigned i = 0; i < numState; ++i) {
      const TensorSpec &s = ts.args[i];
      if (s.role == "param") {
        if (!fillParameter(s, nullptr, "", init, seed, stream++, &state[0][i],
                           error))
          return false;
      } else if (s.role == "log_sigma") {
        float *p = state[0][i].as<float>();
        for (int64_t k = 0; k < state[0][i].numElements(); ++k)
          p[k] = float(logSigma0);
      } else if (s.role == "allocator_state") {
        // The Gaussian allocator starts uniform, as in flops-train; the
        // bench's budget is always batch x queries (no --budget option).
        int64_t B = input.shape()[0];
        if (!rt::gaussianAllocInit(B * queries, B, state[0][i].as<double>(),
                                   error))
          return false;
      }
    }
    std::vector<unsigned> ids = ts.argsWithRole("point_ids");
    if (!ids.empty()) {
      if (!pointIds.allocate(ts.args[ids[0]], error, program->device()))
        return false;
      int32_t *p = pointIds.as<int32_t>();
      for (int64_t r = 0; r < pointIds.numElements(); ++r)
        p[r] = int32_t(r % std::max<int64_t>(1, neymanPointsOpt));
      for (int s = 0; s < 2; ++s)
        pingPong.args[s][ids[0]] = ArgValue::of(pointIds);
    }
    for (int s = 0; s < 2; ++s) {
      pingPong.args[s][lrIdx] = ArgValue::real(1e-4);
      pingPong.args[s][seedIdx] = ArgValue::integer(int64_t(seed));
      pingPong.args[s][inputIdx] = ArgValue::of(input);
      pingPong.args[s][labelIdx] = ArgValue::of(labels);
      pingPong.results[s].push_back(&metrics);
    }
    return true;
  }

  void call() {
    std::string error;
    pingPong.args[cur][stepIdx] = ArgValue::integer(step++);
    if (!program->call("train_step", pingPong.args[cur],
                       pingPong.results[cur], &error))
      die(error);
    cur = pingPong.next(cur);
  }
};

} // namespace

int main(int argc, char **argv) {
  // As flops-train and flops-run: freed temporaries are reused, not
  // faulted in again each call (unless the environment tunes malloc).
  rt::retainFreedHostMemory();
  cl::HideUnrelatedOptions(benchCat);
  cl::ParseCommandLineOptions(argc, argv,
                              "flops-bench-train-step: @train_step vs "
                              "@forward timings (JSON on stdout)\n");
  initializeDriver();
  std::string error;
  PipelineKind kind = pipelineOpt == "reference" ? PipelineKind::Reference
                      : pipelineOpt == "auto"    ? PipelineKind::Auto
                                                 : PipelineKind::CPU;
  if (pipelineOpt != "cpu" && pipelineOpt != "auto" &&
      pipelineOpt != "reference")
    die("--pipeline must be cpu, auto or reference");
  rt::InitKind init;
  if (!rt::parseInitKind("he", &init, &error))
    die(error);
  const int64_t B = batchSize, N = batchSize * queries;

  if (deviceOpt != "cpu" && deviceOpt != "cuda")
    die("--device must be cpu or cuda");
  if (deviceOpt == "cpu" &&
      (!cudaOptions.empty() || !variantCudaOptions.empty()))
    die("--cuda-options / --variant-cuda-options need --device cuda");
  // The device first: without a driver or device, fail before compiling.
  auto openDevice = [&](const std::string &options) {
    CudaDeviceOptions o;
    o.pipelineOptions = options;
    std::unique_ptr<Device> d = openCudaDevice(o, &error);
    if (!d)
      die(error);
    return std::shared_ptr<Device>(std::move(d));
  };
  CompileOptions copts;
  if (deviceOpt == "cuda")
    copts.device = openDevice(cudaOptions);
  copts.pipeline = kind;
  copts.numThreads = numThreads;
  copts.cpuOptions = cpuOptions;
  copts.optLevel = optLevel;
  copts.coldOptLevel = coldOptLevel;
  std::string notes;
  llvm::raw_string_ostream notesOS(notes);
  copts.log = &notesOS;

  // --- @train_step (and variant B) ---------------------------------------
  TrainStepOptions stepOpts;
  stepOpts.batchSize = B;
  stepOpts.queries = queries;
  stepOpts.freezeSigma = freezeSigma;
  stepOpts.perturbLast = perturbLast;
  stepOpts.estimator = estimatorOpt;
  stepOpts.spsaInPlace = spsaInPlaceOpt;
  stepOpts.esRank = esRankOpt;
  stepOpts.allocator = allocatorOpt;
  stepOpts.neymanPoints = neymanPointsOpt;
  stepOpts.perturb = perturbOpt;
  stepOpts.optimizer = optimizerOpt;
  stepOpts.momentum = momentumOpt;
  if (!peakRss.empty() && peakRss != "train" && peakRss != "forward")
    die("--peak-rss must be train or forward");
  stepOpts.pointPrefix = pointPrefix;
  bool haveVariant =
      !variantCpuOptions.empty() || !variantPointPrefix.empty() ||
      variantOptLevel >= 0 || !variantCudaOptions.empty() ||
      variantColdOptLevel >= -1;
  // --forward-only with --variant-cpu-options / --variant-opt-level: a
  // second @forward (variant B), timed interleaved with the first.
  if (forwardOnly && (!variantPointPrefix.empty() ||
                      !variantCudaOptions.empty() || variantColdOptLevel >= -1))
    die("--forward-only compares only --variant-cpu-options and "
        "--variant-opt-level (there is no train step)");
  if (!variantPointPrefix.empty() && variantPointPrefix != "true" &&
      variantPointPrefix != "false")
    die("--variant-point-prefix must be true or false");
  std::unique_ptr<TimedStep> train;
  if (!forwardOnly) {
    train = TimedStep::compile(stepOpts, copts, B, &error);
    if (!train)
      die(error);
  }
  std::unique_ptr<TimedStep> variant;
  if (haveVariant && !forwardOnly) {
    TrainStepOptions vOpts = stepOpts;
    if (!variantPointPrefix.empty())
      vOpts.pointPrefix = variantPointPrefix == "true";
    CompileOptions vCopts = copts;
    if (!variantCpuOptions.empty())
      vCopts.cpuOptions = variantCpuOptions;
    if (variantOptLevel >= 0)
      vCopts.optLevel = unsigned(variantOptLevel);
    if (!variantCudaOptions.empty())
      vCopts.device = openDevice(variantCudaOptions);
    if (variantColdOptLevel >= -1)
      vCopts.coldOptLevel = variantColdOptLevel;
    variant = TimedStep::compile(vOpts, vCopts, B, &error);
    if (!variant)
      die(error);
  }
  std::string passText = train ? train->passText : "";

  // --- @forward on N rows ----------------------------------------------
  Session fwdSession;
  OwningOpRef<ModuleOp> fwdModule = fwdSession.parseFile(modelPath, &error);
  if (!fwdModule)
    die(error);
  auto fwdFn = fwdModule->lookupSymbol<func::FuncOp>("forward");
  if (!fwdFn)
    die("no @forward");
  fwdSession.context().getOrLoadDialect<tensor::TensorDialect>();
  if (!specializeBatch(fwdFn, forwardRows > 0 ? int64_t(forwardRows) : N,
                       &error))
    die(error);
  std::unique_ptr<Program> infer =
      Program::compile(fwdSession, *fwdModule, {"forward"}, copts, &error);
  if (!infer)
    die(error);
  // Variant B of the forward (--forward-only): the same model compiled
  // with the variant's options.
  Session vfwdSession;
  std::unique_ptr<Program> vinfer;
  if (forwardOnly && haveVariant) {
    OwningOpRef<ModuleOp> m = vfwdSession.parseFile(modelPath, &error);
    if (!m)
      die(error);
    auto fn = m->lookupSymbol<func::FuncOp>("forward");
    vfwdSession.context().getOrLoadDialect<tensor::TensorDialect>();
    if (!fn || !specializeBatch(fn, N, &error))
      die(fn ? error : "no @forward");
    CompileOptions vCopts = copts;
    if (!variantCpuOptions.empty())
      vCopts.cpuOptions = variantCpuOptions;
    if (variantOptLevel >= 0)
      vCopts.optLevel = unsigned(variantOptLevel);
    vinfer = Program::compile(vfwdSession, *m, {"forward"}, vCopts, &error);
    if (!vinfer)
      die(error);
  }
  notesOS.flush();
  if (!notes.empty())
    std::fputs(notes.c_str(), stderr);
  const FunctionSignature &fs = *infer->signature("forward");

  // --- Buffers -------------------------------------------------------------
  std::mt19937_64 rng(seed);
  Buffer input, labels;
  if (train) {
    const FunctionSignature &ts = *train->program->signature("train_step");
    if (!input.allocate(ts.args[train->inputIdx], &error, copts.device) ||
        !labels.allocate(ts.args[train->labelIdx], &error, copts.device))
      die(error);
    fillUniform(input, rng);
    int64_t numClasses = fs.results.at(0).shape.back();
    std::uniform_int_distribution<int32_t> lab(0, int32_t(numClasses) - 1);
    int32_t *p = labels.as<int32_t>();
    for (int64_t i = 0; i < labels.numElements(); ++i)
      p[i] = lab(rng);
    if (!train->setUp(init, input, labels, &error) ||
        (variant && !variant->setUp(init, input, labels, &error)))
      die(error);
  }

  // Forward: same initial parameters (same init streams), N random rows.
  std::vector<Buffer> fargBufs(fs.args.size());
  std::vector<ArgValue> fargs(fs.args.size());
  uint32_t stream = 0;
  for (size_t i = 0; i < fs.args.size(); ++i) {
    const TensorSpec &s = fs.args[i];
    if (!fargBufs[i].allocate(s, &error, copts.device))
      die(error);
    fargs[i] = ArgValue::of(fargBufs[i]);
    if (s.role == "param") {
      if (!fillParameter(s, nullptr, "", init, seed, stream++, &fargBufs[i],
                         &error))
        die(error);
    } else {
      fillUniform(fargBufs[i], rng);
    }
  }
  std::vector<Buffer> fresBufs(fs.results.size());
  std::vector<Buffer *> fres;
  for (size_t r = 0; r < fs.results.size(); ++r) {
    if (!fresBufs[r].allocate(fs.results[r], &error, copts.device))
      die(error);
    fres.push_back(&fresBufs[r]);
  }

  // --- Timing: warm-up, then one train step and one forward per rep ----
  auto inferCall = [&]() {
    if (!infer->call("forward", fargs, fres, &error))
      die(error);
  };
  if (!peakRss.empty()) {
    bool isTrain = peakRss == "train";
    if (isTrain && !train)
      die("--peak-rss=train needs the train step (not --forward-only)");
    size_t ioBytes = 0;
    if (isTrain) {
      for (const Buffer &b : train->pingPong.sets[0])
        ioBytes += b.numBytes(); // The state, read.
      for (const Buffer &b : train->pingPong.sets[1])
        ioBytes += b.numBytes(); // The state, written (empty in place).
      ioBytes += input.numBytes() + labels.numBytes();
    } else {
      for (const Buffer &b : fargBufs)
        ioBytes += b.numBytes();
      for (const Buffer &b : fresBufs)
        ioBytes += b.numBytes();
    }
    if (!resetPeakRss())
      die("cannot reset the peak RSS (/proc/self/clear_refs)");
    long long before = statusKb("VmRSS");
    if (isTrain)
      train->call();
    else
      inferCall();
    long long peak = statusKb("VmHWM");
    std::printf("{\"function\": \"%s\", \"rows\": %lld, \"pass\": \"%s\", "
                "\"rss_before_kb\": %lld, \"peak_kb\": %lld, "
                "\"peak_above_before_kb\": %lld, \"io_kb\": %.1f}\n",
                isTrain ? "train_step" : "forward",
                (long long)(isTrain ? B : (forwardRows > 0 ? forwardRows : N)),
                passText.c_str(), before, peak, peak - before,
                double(ioBytes) / 1024.0);
    return 0;
  }
  if (!train) {
    // --forward-only: @forward alone, or interleaved with variant B (whose
    // results go to their own buffers and are compared with A's).
    std::vector<Buffer> vresBufs(vinfer ? fs.results.size() : 0);
    std::vector<Buffer *> vres;
    for (size_t r = 0; r < vresBufs.size(); ++r) {
      if (!vresBufs[r].allocate(fs.results[r], &error, copts.device))
        die(error);
      vres.push_back(&vresBufs[r]);
    }
    auto variantCall = [&]() {
      if (!vinfer->call("forward", fargs, vres, &error))
        die(error);
    };
    for (int i = 0; i < std::max(warmup.getValue(), 1); ++i) {
      inferCall();
      if (vinfer)
        variantCall();
    }
    std::vector<double> tInfer, tVariant, ratioVariant;
    for (int i = 0; i < reps; ++i) {
      double t[2] = {0, 0};
      int n = vinfer ? 2 : 1;
      for (int k = 0; k < n; ++k) {
        int which = (k + i) % n;
        auto t0 = Clock::now();
        if (which == 0)
          inferCall();
        else
          variantCall();
        t[which] = std::chrono::duration<double>(Clock::now() - t0).count();
      }
      tInfer.push_back(t[0]);
      if (vinfer) {
        tVariant.push_back(t[1]);
        ratioVariant.push_back(t[1] / t[0]);
      }
    }
    std::string variantJson;
    if (vinfer) {
      // The largest |A - B| over the results (f32), and how many differ.
      double maxDiff = 0;
      long long differing = 0;
      for (size_t r = 0; r < fres.size(); ++r) {
        const float *a = fres[r]->as<float>(), *b = vres[r]->as<float>();
        for (int64_t e = 0; e < fres[r]->numElements(); ++e) {
          double d = std::fabs(double(a[e]) - double(b[e]));
          if (a[e] != b[e])
            ++differing;
          if (!(d <= maxDiff))
            maxDiff = d;
        }
      }
      char buf[160];
      std::snprintf(buf, sizeof(buf),
                    " \"variant_max_abs_diff\": %.6g, "
                    "\"variant_differing_elements\": %lld,\n",
                    maxDiff, differing);
      variantJson = " \"variant_lowering\": \"" + vinfer->pipelineText() +
                    "\",\n " + json("variant_forward_ms", stats(tVariant), 1e3) +
                    ",\n " +
                    json("ratio_variant_over_forward", stats(ratioVariant), 1.0) +
                    ",\n" + buf;
    }
    std::printf("{\"tool\": \"flops-bench-train-step\", \"model\": \"%s\", "
                "\"rows\": %lld, \"pipeline\": \"%s\", \"threads\": %lld, "
                "\"reps\": %d, \"warmup\": %d, \"forward_only\": true,\n",
                modelPath.c_str(), (long long)N,
                pipelineName(infer->pipeline()),
                (long long)infer->numThreads(), reps.getValue(),
                warmup.getValue());
    std::printf(" \"lowering\": \"%s\",\n \"compile_s\": {\"forward\": %.3f},\n"
                "%s %s}\n",
                infer->pipelineText().c_str(), infer->compileSeconds(),
                variantJson.c_str(),
                json("forward_ms", stats(tInfer), 1e3).c_str());
    return 0;
  }
  const float *m = train->metrics.as<float>();
  float firstLoss = NAN, firstNorm = NAN;
  for (int i = 0; i < std::max(warmup.getValue(), 1); ++i) {
    train->call();
    if (i == 0) {
      firstLoss = m[0];
      firstNorm = m[3];
    }
    if (variant)
      variant->call();
    inferCall();
  }
  std::vector<double> tTrain, tInfer, tVariant, ratio, ratioVariant;
  for (int i = 0; i < reps; ++i) {
    // Rotate the order so no call always follows the same one.
    double t[3] = {0, 0, 0};
    int n = variant ? 3 : 2;
    for (int k = 0; k < n; ++k) {
      int which = (k + i) % n;
      auto t0 = Clock::now();
      if (which == 0)
        train->call();
      else if (which == 1)
        inferCall();
      else
        variant->call();
      t[which] = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    tTrain.push_back(t[0]);
    tInfer.push_back(t[1]);
    ratio.push_back(t[0] / t[1]);
    if (variant) {
      tVariant.push_back(t[2]);
      ratioVariant.push_back(t[2] / t[0]);
    }
  }
  float lastLoss = m[0];
  if (!std::isfinite(lastLoss) || !std::isfinite(m[3]))
    die("non-finite metrics after the timed steps");

  Stats sT = stats(tTrain), sI = stats(tInfer), sR = stats(ratio);
  std::printf("{\"tool\": \"flops-bench-train-step\", \"model\": \"%s\", "
              "\"batch\": %lld, \"queries\": %lld, \"rows\": %lld, "
              "\"pipeline\": \"%s\", \"threads\": %lld, \"reps\": %d, "
              "\"warmup\": %d,\n",
              modelPath.c_str(), (long long)B, (long long)queries.getValue(),
              (long long)N, pipelineName(train->program->pipeline()),
              (long long)train->program->numThreads(), reps.getValue(),
              warmup.getValue());
  std::printf(" \"device\": \"%s\",\n",
              copts.device ? copts.device->description().c_str() : "cpu");
  std::printf(" \"forward_train\": \"%s\",\n \"lowering\": \"%s\",\n",
              passText.c_str(), train->program->pipelineText().c_str());
  std::printf(" \"compile_s\": {\"train_step\": %.3f, \"forward\": %.3f},\n",
              train->program->compileSeconds(), infer->compileSeconds());
  if (variant) {
    Stats sV = stats(tVariant), sRV = stats(ratioVariant);
    std::printf(" \"variant_forward_train\": \"%s\",\n \"variant_lowering\": "
                "\"%s\",\n %s,\n %s,\n",
                variant->passText.c_str(),
                variant->program->pipelineText().c_str(),
                json("variant_train_step_ms", sV, 1e3).c_str(),
                json("ratio_variant_over_train", sRV, 1.0).c_str());
  }
  std::printf(" %s,\n %s,\n %s,\n", json("train_step_ms", sT, 1e3).c_str(),
              json("forward_ms", sI, 1e3).c_str(),
              json("ratio_train_over_forward", sR, 1.0).c_str());
  std::printf(" \"rows_per_s_train\": %.1f,\n", double(N) / sT.median);
  std::printf(" \"clean_loss_first\": %.6g, \"clean_loss_last\": %.6g, "
              "\"grad_norm_first\": %.6g, \"grad_norm_last\": %.6g}\n",
              firstLoss, lastLoss, firstNorm, m[3]);
  return 0;
}
