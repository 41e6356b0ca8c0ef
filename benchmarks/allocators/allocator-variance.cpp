//===- allocator-variance.cpp - gradient-estimate variance per allocator --===//
//
// flops-allocator-variance: the noise variance of the gradient estimate of
// @train_step at a fixed θ, for each query allocator at the same budget
// (docs/EXPERIMENTS.md, "Query allocators").
//
// The step is built with optimizer=sgd momentum=0 and freeze-sigma, and
// called with lr = 0: θ stays fixed and the returned momentum buffers are
// exactly the step's gradient estimate ĝ. Batches are fresh, as in training:
// `--warmup` calls on consecutive batches of the training set (from
// `--first-row`, wrapping around; the learned allocator adapts, the Neyman
// allocator fills its per-point table, keyed by the training row), then
// `--reps` batches from `--first-row` again (points the warm-up has seen
// once when it spans an epoch, as in a second epoch), each called twice
// with new noise. Per batch, ‖ĝ₁ − ĝ₂‖²/2 estimates tr Cov(ĝ | batch), the
// noise variance that the allocator acts on; the mean over batches and its
// standard error are printed. The pair means m = (ĝ₁ + ĝ₂)/2 estimate the
// training-set gradient: their mean m̄ is kept per allocator and seed, and
// each allocator's is compared with the first allocator's (printCosines).
// One JSON object per (allocator, seed), then one per allocator.
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
static opt<int> warmupSteps("warmup", llvm::cl::cat(benchCat),
                            llvm::cl::desc("Calls on fresh batches before measuring"),
                            llvm::cl::init(937));
static opt<int> reps("reps", llvm::cl::cat(benchCat),
                     llvm::cl::desc("Measured batches (two calls each)"),
                     llvm::cl::init(200));
static opt<double> sigma("sigma", llvm::cl::init(1e-3));
static opt<int64_t> numThreads("num-threads", llvm::cl::init(0));
static opt<std::string> thetaLabel("theta", llvm::cl::cat(benchCat),
                                   llvm::cl::desc("Label of θ in the output"),
                                   llvm::cl::init(""));
static opt<double> gaussianLr("gaussian-lr", llvm::cl::cat(benchCat),
                              llvm::cl::desc("Gaussian allocator: Adam lr (0 = default)"),
                              llvm::cl::init(0.0));
static opt<int64_t> minQueries("min-queries", llvm::cl::cat(benchCat),
                               llvm::cl::desc("A_min (0 = default)"),
                               llvm::cl::init(0));

namespace {

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "flops-allocator-variance: %s\n", msg.c_str());
  std::exit(1);
}

struct Result {
  double trace = 0, traceSe = 0, vHat = 0, meanTrace = 0, seconds = 0;
  std::vector<double> mean; // mean of the pair means m over the batches
  std::string extra;        // the Gaussian allocator's learned (w, c, s, h)
};

/// The compiled step with its ping-pong state, one batch's buffers, and the
/// state positions of the momentum buffers (= ĝ after a call).
struct Step {
  Session session;
  std::unique_ptr<Program> prog;
  const FunctionSignature *ts = nullptr;
  unsigned lrIdx = 0, stepIdx = 0, seedIdx = 0, labelIdx = 0, inputIdx = 0;
  PingPongState pingPong;
  Buffer input, labels, metrics, pointIds;
  bool hasPointIds = false;
  std::vector<unsigned> grads;
  int64_t total = 0; // elements of ĝ
  int cur = 0;       // the state set the next call reads
};

void build(Step &st, const std::string &allocator, uint64_t seed,
           int64_t trainRows, const rt::SafeTensors *file) {
  std::string error;
  OwningOpRef<ModuleOp> module = st.session.parseFile(modelPath, &error);
  if (!module)
    die(error);
  TrainStepOptions o;
  o.queries = queries;
  o.optimizer = "sgd";
  o.momentum = 0.0;
  o.freezeSigma = true;
  o.sigma = sigma;
  o.allocator = allocator;
  o.neymanPoints = trainRows; // keyed by training row, as in flops-train
  o.bernoulliSwitchStep = 0;  // p = 0.3 throughout
  if (gaussianLr > 0)
    o.gaussianLr = gaussianLr;
  if (minQueries > 0)
    o.minQueries = minQueries;
  if (!runPipeline(*module, o.passText(batchSize), &error))
    die(error + "\n" + st.session.takeDiagnostics());
  CompileOptions copts;
  copts.numThreads = numThreads;
  st.prog = Program::compile(st.session, *module, {"train_step"}, copts, &error);
  if (!st.prog)
    die(error);
  const FunctionSignature &ts = *st.prog->signature("train_step");
  st.ts = &ts;
  st.lrIdx = ts.argsWithRole("lr").at(0);
  st.stepIdx = ts.argsWithRole("step").at(0);
  st.seedIdx = ts.argsWithRole("seed").at(0);
  st.labelIdx = ts.argsWithRole("labels").at(0);
  st.inputIdx = ts.argsWithRole("input").at(0);
  unsigned numState = st.lrIdx;
  if (!st.pingPong.allocate(ts, numState, &error))
    die(error);
  std::vector<Buffer>(&state)[2] = st.pingPong.sets;
  uint32_t stream = 0;
  for (unsigned i = 0; i < numState; ++i) {
    const TensorSpec &s = ts.args[i];
    if (s.role == "param") {
      if (!fillParameter(s, file, paramsPath, rt::InitKind::HeNormal, 0,
                         stream++, &state[0][i], &error))
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
      st.grads.push_back(i);
      st.total += s.numElements();
    }
  }
  if (!st.input.allocate(ts.args[st.inputIdx], &error) ||
      !st.labels.allocate(ts.args[st.labelIdx], &error) ||
      !st.metrics.allocate(ts.results.back(), &error))
    die(error);
  std::vector<unsigned> pid = ts.argsWithRole("point_ids");
  st.hasPointIds = !pid.empty();
  if (st.hasPointIds && !st.pointIds.allocate(ts.args[pid[0]], &error))
    die(error);
  for (int c = 0; c < 2; ++c) {
    std::vector<ArgValue> &args = st.pingPong.args[c];
    args[st.lrIdx] = ArgValue::real(0.0);
    args[st.seedIdx] = ArgValue::integer(int64_t(seed));
    args[st.inputIdx] = ArgValue::of(st.input);
    args[st.labelIdx] = ArgValue::of(st.labels);
    if (st.hasPointIds)
      args[pid[0]] = ArgValue::of(st.pointIds);
    st.pingPong.results[c].push_back(&st.metrics);
  }
}

/// Loads training batch `b` (rows firstRow + b·B on, wrapping around).
void loadBatch(Step &st, const rt::Tensor &x, const rt::Tensor &y,
               int64_t b) {
  int64_t rows = x.shape[0];
  int64_t rowBytes = st.input.numBytes() / batchSize,
          labelBytes = st.labels.numBytes() / batchSize;
  for (int64_t i = 0; i < batchSize; ++i) {
    int64_t r = (firstRow + b * batchSize + i) % rows;
    std::memcpy(static_cast<char *>(st.input.data()) + i * rowBytes,
                x.bytes.data() + r * rowBytes,
                rowBytes);
    std::memcpy(static_cast<char *>(st.labels.data()) + i * labelBytes,
                y.bytes.data() + r * labelBytes, labelBytes);
    if (st.hasPointIds)
      st.pointIds.as<int32_t>()[i] = int32_t(r);
  }
}

/// One call (step counter k); copies ĝ into g.
void call(Step &st, int64_t k, std::vector<double> *g) {
  std::string error;
  st.pingPong.args[st.cur][st.stepIdx] = ArgValue::integer(k);
  if (!st.prog->call("train_step", st.pingPong.args[st.cur],
                     st.pingPong.results[st.cur], &error))
    die(error);
  st.cur ^= 1; // state[cur] now holds the step's results
  if (!g)
    return;
  int64_t e = 0;
  for (unsigned i : st.grads) {
    const float *v = st.pingPong.sets[st.cur][i].as<float>();
    for (int64_t j = 0, m = st.ts->args[i].numElements(); j < m; ++j)
      (*g)[e++] = double(v[j]);
  }
}

Result measure(const std::string &allocator, uint64_t seed,
               const rt::Tensor &x, const rt::Tensor &y,
               const rt::SafeTensors *file) {
  Step st;
  build(st, allocator, seed, x.shape[0], file);
  Result r;
  auto t0 = std::chrono::steady_clock::now();
  int64_t k = 0;
  for (; k < warmupSteps; ++k) {
    loadBatch(st, x, y, k);
    call(st, k, nullptr);
  }
  std::vector<double> g1(st.total), g2(st.total), m2(st.total, 0.0);
  r.mean.assign(st.total, 0.0);
  double sumSq = 0, sumSq2 = 0;
  for (int j = 0; j < reps; ++j) {
    loadBatch(st, x, y, j);
    call(st, k++, &g1);
    r.vHat += st.metrics.as<float>()[4] / double(2 * reps);
    call(st, k++, &g2);
    r.vHat += st.metrics.as<float>()[4] / double(2 * reps);
    double half = 0, n = double(j + 1);
    for (int64_t e = 0; e < st.total; ++e) {
      double d = g1[e] - g2[e], m = 0.5 * (g1[e] + g2[e]);
      half += 0.5 * d * d;
      double dm = m - r.mean[e];
      r.mean[e] += dm / n;
      m2[e] += dm * (m - r.mean[e]);
    }
    sumSq += half;
    sumSq2 += half * half;
  }
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  double n = double(reps);
  r.trace = sumSq / n;
  r.traceSe = std::sqrt(std::max(0.0, sumSq2 / n - r.trace * r.trace) /
                        (n - 1));
  for (int64_t e = 0; e < st.total; ++e)
    r.meanTrace += m2[e] / (n - 1);
  const FunctionSignature &ts = *st.ts;
  for (unsigned i = 0; i < st.lrIdx; ++i)
    if (ts.args[i].role == "allocator_state") {
      const double *s = st.pingPong.sets[st.cur][i].as<double>();
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    ", \"w\": %.4g, \"c\": %.4g, \"s\": %.4g, \"h\": %.4g",
                    s[0], s[1], std::exp(s[2]), std::exp(s[3]));
      r.extra = buf;
    }
  return r;
}

double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

/// means[a][s]: allocator a's mean m̄ at noise seed s. Same batches for all,
/// so m̄ carries the batch-sampling noise in common; pairs of different
/// seeds carry independent query noise. Per allocator, over seed pairs
/// s ≠ s': the cosine of m̄_{a,s} with the first allocator's m̄_{0,s'}, and
/// ⟨m̄_{a,s}, m̄_{0,s'}⟩ / ⟨m̄_{0,s}, m̄_{0,s'}⟩ (both 1 up to sampling error
/// for an estimator unbiased for the same gradient; for allocator 0 itself
/// the cosine is the floor that the noise of the means allows).
void printCosines(const std::vector<std::string> &names,
                  const std::vector<std::vector<std::vector<double>>> &means) {
  size_t seedsN = means[0].size();
  if (seedsN < 2)
    return;
  double refDot = 0;
  int pairs = 0;
  for (size_t s = 0; s < seedsN; ++s)
    for (size_t t = 0; t < seedsN; ++t)
      if (s != t) {
        refDot += dot(means[0][s], means[0][t]);
        ++pairs;
      }
  refDot /= pairs;
  for (size_t a = 0; a < names.size(); ++a) {
    double cs = 0, ds = 0;
    for (size_t s = 0; s < seedsN; ++s)
      for (size_t t = 0; t < seedsN; ++t)
        if (s != t) {
          double ab = dot(means[a][s], means[0][t]);
          cs += ab / std::sqrt(dot(means[a][s], means[a][s]) *
                               dot(means[0][t], means[0][t]));
          ds += ab;
        }
    std::printf("{\"theta\": \"%s\", \"allocator\": \"%s\", \"versus\": "
                "\"%s\", \"cosine\": %.6g, \"dot_ratio\": %.6g}\n",
                thetaLabel.c_str(), names[a].c_str(), names[0].c_str(),
                cs / pairs, ds / pairs / refDot);
  }
}

} // namespace

int main(int argc, char **argv) {
  llvm::cl::HideUnrelatedOptions(benchCat);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "flops-allocator-variance: noise variance of the gradient estimate at "
      "a fixed θ per allocator, on fresh batches (JSON lines)\n");
  if (reps < 2)
    die("--reps must be >= 2, got " + std::to_string(reps));
  if (warmupSteps < 0)
    die("--warmup must be >= 0, got " + std::to_string(warmupSteps));
  initializeDriver();
  std::string error;
  rt::Tensor x, y;
  if (!rt::readIdxImages(dataDir + "/train-images-idx3-ubyte.gz", &x,
                         &error) ||
      !rt::readIdxLabels(dataDir + "/train-labels-idx1-ubyte.gz", &y, &error))
    die(error);
  if (firstRow < 0 || firstRow >= x.shape[0] || batchSize > x.shape[0])
    die("--first-row " + std::to_string(firstRow) + " or --batch-size " +
        std::to_string(batchSize) + " out of range for " +
        std::to_string(x.shape[0]) + " training rows");
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
  std::vector<std::vector<std::vector<double>>> means(which.size());
  for (size_t ai = 0; ai < which.size(); ++ai)
    for (uint64_t s : seedList) {
      const std::string &a = which[ai];
      Result r = measure(a, s, x, y, paramsPath.empty() ? nullptr : &file);
      std::printf("{\"theta\": \"%s\", \"allocator\": \"%s\", \"seed\": %llu, "
                  "\"batch\": %lld, \"budget\": %lld, \"warmup\": %d, "
                  "\"reps\": %d, \"trace\": %.6g, \"trace_se\": %.4g, "
                  "\"mean_norm\": %.6g, \"mean_trace\": %.6g, "
                  "\"variance_proxy\": %.6g, \"seconds\": %.3g%s}\n",
                  thetaLabel.c_str(), a.c_str(), (unsigned long long)s,
                  (long long)batchSize.getValue(),
                  (long long)(batchSize * queries), warmupSteps.getValue(),
                  reps.getValue(), r.trace, r.traceSe,
                  std::sqrt(dot(r.mean, r.mean)), r.meanTrace, r.vHat,
                  r.seconds, r.extra.c_str());
      std::fflush(stdout);
      means[ai].push_back(std::move(r.mean));
    }
  printCosines(which, means);
  return 0;
}
