//===- allocator-variance.cpp - gradient-estimate variance per allocator --===//
//
// flops-allocator-variance: the trace of the covariance of the gradient
// estimate of @train_step at a fixed θ, for each query allocator at the same
// budget (docs/EXPERIMENTS.md, "Allocators").
//
// The step is built with optimizer=sgd momentum=0 and freeze-sigma, and
// called with lr = 0: θ stays fixed and the returned momentum buffers are
// exactly the step's gradient estimate ĝ. One fixed batch (the first B
// training points of Fashion-MNIST) is used throughout; each call draws new
// noise (the step counter advances). `--warmup` calls first let the learned
// allocators adapt at this θ (the Gaussian allocator updates its parameters,
// the Neyman allocator gathers its per-point statistics), then `--reps`
// calls are measured: tr Cov(ĝ) = Σ_elements var(ĝ), with Welford's update
// in double. Prints one JSON object per (allocator, seed).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Program.h"
#include "flops/Driver/Tensors.h"
#include "flops/Driver/Train.h"
#include "flops/Runtime/Allocators.h"
#include "flops/Runtime/Idx.h"
#include "flops/Runtime/Init.h"
#include "flops/Runtime/SafeTensors.h"

#include "llvm/Support/CommandLine.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::flops::driver;
namespace rt = ::flops::rt;
using llvm::cl::opt;

#ifndef FLOPS_SOURCE_DIR
#define FLOPS_SOURCE_DIR "."
#endif

static llvm::cl::OptionCategory benchCat("flops-allocator-variance options");

static opt<std::string> modelPath("model", llvm::cl::cat(benchCat), llvm::cl::desc("Model (@forward)"),
                                  llvm::cl::init(FLOPS_SOURCE_DIR
                                                 "/examples/mlp.mlir"));
static opt<std::string>
    paramsPath("params",
               llvm::cl::cat(benchCat), llvm::cl::desc("θ: parameters (safetensors); default He init"),
               llvm::cl::init(""));
static opt<std::string> dataDir("data-dir",
                                llvm::cl::cat(benchCat), llvm::cl::desc("Fashion-MNIST directory"),
                                llvm::cl::init(rt::kDefaultFashionMnistDir));
static opt<int64_t> batchSize("batch-size", llvm::cl::init(64));
static opt<int64_t> queries("queries",
                            llvm::cl::cat(benchCat), llvm::cl::desc("Budget N = batch-size x queries"),
                            llvm::cl::init(8));
static opt<int64_t> firstRow("first-row",
                             llvm::cl::cat(benchCat), llvm::cl::desc("First training row of the batch"),
                             llvm::cl::init(0));

static llvm::cl::list<std::string>
    allocators("allocators", llvm::cl::CommaSeparated,
               llvm::cl::cat(benchCat), llvm::cl::desc("Allocators (default all four)"));
static llvm::cl::list<uint64_t>
    seeds("seeds", llvm::cl::CommaSeparated,
          llvm::cl::cat(benchCat), llvm::cl::desc("Noise seeds (default 1,2,3)"));
static opt<int> warmupSteps("warmup", llvm::cl::init(200));
static opt<int> reps("reps", llvm::cl::init(100));
static opt<double> sigma("sigma", llvm::cl::init(1e-3));
static opt<int64_t> numThreads("num-threads", llvm::cl::init(0));

namespace {

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "flops-allocator-variance: %s\n", msg.c_str());
  std::exit(1);
}

struct Result {
  double trace = 0, meanNorm = 0, vHat = 0, seconds = 0;
  std::string extra; // the Gaussian allocator's learned (w, c, s, h)
};

Result measure(const std::string &allocator, uint64_t seed,
               const rt::Tensor &x, const rt::Tensor &y,
               const rt::SafeTensors *file) {
  std::string error;
  Session session;
  OwningOpRef<ModuleOp> module = session.parseFile(modelPath, &error);
  if (!module)
    die(error);
  TrainStepOptions o;
  o.queries = queries;
  o.optimizer = "sgd";
  o.momentum = 0.0;
  o.freezeSigma = true;
  o.sigma = sigma;
  o.allocator = allocator;
  o.neymanPoints = batchSize;
  o.bernoulliSwitchStep = 0; // p = 0.3 throughout (one fixed batch)
  if (!runPipeline(*module, o.passText(batchSize), &error))
    die(error + "\n" + session.takeDiagnostics());
  CompileOptions copts;
  copts.numThreads = numThreads;
  std::unique_ptr<Program> prog =
      Program::compile(session, *module, {"train_step"}, copts, &error);
  if (!prog)
    die(error);
  const FunctionSignature &ts = *prog->signature("train_step");
  unsigned lrIdx = ts.argsWithRole("lr").at(0),
           stepIdx = ts.argsWithRole("step").at(0),
           seedIdx = ts.argsWithRole("seed").at(0),
           labelIdx = ts.argsWithRole("labels").at(0),
           inputIdx = ts.argsWithRole("input").at(0);
  unsigned numState = lrIdx;
  PingPongState pingPong;
  if (!pingPong.allocate(ts, numState, &error))
    die(error);
  std::vector<Buffer>(&state)[2] = pingPong.sets;
  uint32_t stream = 0;
  std::vector<unsigned> grads; // state positions of the momentum buffers
  for (unsigned i = 0; i < numState; ++i) {
    const TensorSpec &s = ts.args[i];
    if (s.role == "param") {
      if (!fillParameter(s, file, paramsPath, rt::InitKind::HeNormal, 0, stream++,
                         &state[0][i], &error))
        die(error);
      std::memcpy(state[1][i].data(), state[0][i].data(), s.numBytes());
    } else if (s.role == "log_sigma") {
      for (int c = 0; c < 2; ++c)
        for (int64_t k = 0; k < s.numElements(); ++k)
          state[c][i].as<float>()[k] = float(std::log(sigma.getValue()));
    } else if (s.role == "allocator_state") {
      if (!rt::gaussianAllocInit(batchSize * queries, batchSize,
                                 state[0][i].as<double>(), &error))
        die(error);
    } else if (s.role == "momentum") {
      grads.push_back(i);
    }
  }
  Buffer input, labels, metrics, pointIds;
  if (!input.allocate(ts.args[inputIdx], &error) ||
      !labels.allocate(ts.args[labelIdx], &error) ||
      !metrics.allocate(ts.results.back(), &error))
    die(error);
  std::memcpy(input.data(),
              x.bytes.data() + firstRow * input.numBytes() / batchSize,
              input.numBytes());
  std::memcpy(labels.data(),
              y.bytes.data() + firstRow * labels.numBytes() / batchSize,
              labels.numBytes());
  std::vector<unsigned> pid = ts.argsWithRole("point_ids");
  if (!pid.empty()) {
    if (!pointIds.allocate(ts.args[pid[0]], &error))
      die(error);
    for (int64_t i = 0; i < batchSize; ++i)
      pointIds.as<int32_t>()[i] = int32_t(i);
  }
  std::vector<ArgValue>(&args)[2] = pingPong.args;
  std::vector<Buffer *>(&results)[2] = pingPong.results;
  for (int s = 0; s < 2; ++s) {
    args[s][lrIdx] = ArgValue::real(0.0);
    args[s][seedIdx] = ArgValue::integer(int64_t(seed));
    args[s][inputIdx] = ArgValue::of(input);
    args[s][labelIdx] = ArgValue::of(labels);
    if (!pid.empty())
      args[s][pid[0]] = ArgValue::of(pointIds);
    results[s].push_back(&metrics);
  }
  int64_t total = 0;
  for (unsigned i : grads)
    total += ts.args[i].numElements();
  std::vector<double> mean(total, 0.0), m2(total, 0.0);
  Result r;
  int cur = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < warmupSteps + reps; ++k) {
    args[cur][stepIdx] = ArgValue::integer(k);
    if (!prog->call("train_step", args[cur], results[cur], &error))
      die(error);
    cur ^= 1; // state[cur] now holds the step's results
    if (k < warmupSteps)
      continue;
    double n = double(k - warmupSteps + 1);
    int64_t e = 0;
    for (unsigned i : grads) {
      const float *g = state[cur][i].as<float>();
      for (int64_t j = 0, m = ts.args[i].numElements(); j < m; ++j, ++e) {
        double d = double(g[j]) - mean[e];
        mean[e] += d / n;
        m2[e] += d * (double(g[j]) - mean[e]);
      }
    }
    r.vHat += metrics.as<float>()[4] / double(reps);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            t0)
                  .count();
  for (unsigned i = 0; i < numState; ++i)
    if (ts.args[i].role == "allocator_state") {
      const double *st = state[cur][i].as<double>();
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    ", \"w\": %.4g, \"c\": %.4g, \"s\": %.4g, \"h\": %.4g",
                    st[0], st[1], std::exp(st[2]), std::exp(st[3]));
      r.extra = buf;
    }
  for (int64_t e = 0; e < total; ++e) {
    r.trace += m2[e] / double(reps - 1);
    r.meanNorm += mean[e] * mean[e];
  }
  r.meanNorm = std::sqrt(r.meanNorm);
  return r;
}

} // namespace

int main(int argc, char **argv) {
  llvm::cl::HideUnrelatedOptions(benchCat);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "flops-allocator-variance: tr Cov of the gradient estimate at a fixed "
      "θ per allocator (JSON lines)\n");
  if (reps < 2)
    die("--reps must be >= 2");
  initializeDriver();
  std::string error;
  rt::Tensor x, y;
  if (!rt::readIdxImages(dataDir + "/train-images-idx3-ubyte.gz", &x,
                         &error) ||
      !rt::readIdxLabels(dataDir + "/train-labels-idx1-ubyte.gz", &y, &error))
    die(error);
  if (firstRow < 0 || firstRow + batchSize > x.shape[0])
    die("--first-row out of range");
  rt::SafeTensors file;
  if (!paramsPath.empty() &&
      !rt::readSafeTensors(paramsPath, &file, &error))
    die(error);
  std::vector<std::string> which(allocators.begin(), allocators.end());
  if (which.empty())
    which = {"uniform", "bernoulli", "gaussian", "neyman"};
  std::vector<uint64_t> seedList(seeds.begin(), seeds.end());
  if (seedList.empty())
    seedList = {1, 2, 3};
  for (const std::string &a : which)
    for (uint64_t s : seedList) {
      Result r = measure(a, s, x, y, paramsPath.empty() ? nullptr : &file);
      std::printf("{\"allocator\": \"%s\", \"seed\": %llu, \"batch\": %lld, "
                  "\"budget\": %lld, \"warmup\": %d, \"reps\": %d, "
                  "\"trace\": %.6g, \"mean_norm\": %.6g, "
                  "\"variance_proxy\": %.6g, \"seconds\": %.3g%s}\n",
                  a.c_str(), (unsigned long long)s, (long long)batchSize.getValue(),
                  (long long)(batchSize * queries), warmupSteps.getValue(),
                  reps.getValue(), r.trace, r.meanNorm, r.vHat, r.seconds,
                  r.extra.c_str());
      std::fflush(stdout);
    }
  return 0;
}
