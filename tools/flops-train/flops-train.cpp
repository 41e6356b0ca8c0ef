//===- flops-train.cpp - train a model with forward-only gradients --------===//
//
// flops-train MODEL.mlir [options]: builds @train_step/@eval_step from
// @forward (flops-forward-train), compiles them in-process and trains on
// Fashion-MNIST or .npy arrays. A thin main over FlopsDriver (docs/CLI.md).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileFlags.h"
#include "flops/Driver/Train.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <cstdio>

using namespace llvm;
namespace driver = mlir::flops::driver;

static cl::OptionCategory stepCat(
    "Training step (options of the flops-forward-train pass)");
static cl::OptionCategory trainCat("Training");
static cl::OptionCategory dataCat("Data");
static cl::OptionCategory compileCat("Compilation");
static cl::OptionCategory outCat("Output");

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"),
                                      cl::cat(trainCat));

// --- Training step -----------------------------------------------------------
static cl::opt<std::string>
    entry("entry", cl::desc("Forward function to train (default forward)"),
          cl::init("forward"), cl::cat(stepCat));
static cl::opt<std::string> estimator(
    "estimator",
    cl::desc("Gradient estimator: lr (likelihood ratio, noise on layer "
             "outputs) or spsa (MeZO: queries/2 weight directions per step, "
             "two forwards of the batch each, at theta +- sigma z)"),
    cl::init("lr"), cl::cat(stepCat));
static cl::opt<int64_t>
    queries("queries",
            cl::desc("Perturbed queries per data point (N = batch x queries "
                     "rows per step; even with antithetic pairs)"),
            cl::init(8), cl::cat(stepCat));
static cl::opt<int64_t> batchSize(
    "batch-size",
    cl::desc("Data points per step (default: the forward's static batch, or "
             "64 when it is dynamic)"),
    cl::init(0), cl::cat(stepCat));
static cl::opt<bool>
    antithetic("antithetic",
               cl::desc("Antithetic noise pairs (default true)"),
               cl::init(true), cl::cat(stepCat));
static cl::opt<std::string>
    loss("loss",
         cl::desc("Per-row loss: cross-entropy (integer labels) or mse "
                  "(integer labels are one-hot encoded)"),
         cl::init("cross-entropy"), cl::cat(stepCat));
static cl::opt<std::string>
    baseline("baseline",
             cl::desc("Baseline subtracted from row losses: none, "
                      "batch-mean, clean"),
             cl::init("clean"), cl::cat(stepCat));
static cl::opt<int64_t>
    perturbLast("perturb-last",
                cl::desc("Perturb and train only the last k sites (0 = all)"),
                cl::init(0), cl::cat(stepCat));
static cl::opt<std::string>
    allocator("allocator",
              cl::desc("Query allocator: uniform, bernoulli, gaussian (the "
                       "paper's learned allocator) or neyman"),
              cl::init("uniform"), cl::cat(stepCat));
static cl::opt<int64_t>
    budget("budget",
           cl::desc("Rows per step N, a multiple of the batch size "
                    "(0 = batch-size x queries)"),
           cl::init(0), cl::cat(stepCat));
static cl::opt<int64_t>
    minQueries("min-queries",
               cl::desc("Queries every point gets at least (default 2)"),
               cl::init(2), cl::cat(stepCat));
static cl::opt<std::string>
    weighting("weighting",
              cl::desc("Row weights: per-point (1/(B A_i), unbiased) or "
                       "row-mean (1/N)"),
              cl::init("per-point"), cl::cat(stepCat));
static cl::opt<double>
    bernoulliP("bernoulli-p",
               cl::desc("Bernoulli allocator: halving probability in the "
                        "first epoch"),
               cl::init(0.3), cl::cat(stepCat));
static cl::opt<double>
    bernoulliPLate("bernoulli-p-late",
                   cl::desc("Bernoulli allocator: halving probability after "
                            "the first epoch"),
                   cl::init(0.01), cl::cat(stepCat));
static cl::opt<double>
    gaussianLr("gaussian-lr",
               cl::desc("Gaussian allocator: Adam learning rate of its "
                        "parameters"),
               cl::init(1e-2), cl::cat(stepCat));
static cl::opt<double>
    neymanKappa("neyman-kappa",
                cl::desc("Neyman allocator: weight (in queries) of the "
                         "clean-loss prior"),
                cl::init(2.0), cl::cat(stepCat));
static cl::list<std::string>
    sites("sites",
          cl::desc("Perturb and train only the sites that read a parameter "
                   "whose name contains one of these strings, e.g. "
                   "--sites=attn.q,attn.k,attn.v,attn.out,head"),
          cl::CommaSeparated, cl::cat(stepCat));
static cl::opt<double> sigma("sigma",
                             cl::desc("Initial noise standard deviation"),
                             cl::init(1e-3), cl::cat(stepCat));
static cl::opt<bool> freezeSigma("freeze-sigma",
                                 cl::desc("Keep log-sigma fixed"),
                                 cl::init(false), cl::cat(stepCat));
static cl::opt<bool> pointPrefix(
    "point-prefix",
    cl::desc("Compute the part of the forward before the first perturbation "
             "once per data point instead of once per query row (same "
             "estimate up to rounding; --point-prefix=false for the plain "
             "per-row step)"),
    cl::init(true), cl::cat(stepCat));
static cl::opt<std::string>
    optimizer("optimizer", cl::desc("Optimizer: adam or sgd (with momentum)"),
              cl::init("adam"), cl::cat(stepCat));
static cl::opt<double> beta1("beta1", cl::desc("Adam beta1"), cl::init(0.9),
                             cl::cat(stepCat));
static cl::opt<double> beta2("beta2", cl::desc("Adam beta2"), cl::init(0.999),
                             cl::cat(stepCat));
static cl::opt<double> epsilon("epsilon", cl::desc("Adam epsilon"),
                               cl::init(1e-8), cl::cat(stepCat));
static cl::opt<double> momentum("momentum", cl::desc("SGD momentum"),
                                cl::init(0.9), cl::cat(stepCat));
static cl::opt<double>
    clipNorm("clip-norm",
             cl::desc("Clip the global gradient norm to this value (0 = off)"),
             cl::init(0.0), cl::cat(stepCat));

// --- Training ----------------------------------------------------------------
static cl::opt<int64_t> epochs("epochs",
                               cl::desc("Passes over the training set (0: "
                                        "only evaluate/save the initial "
                                        "parameters)"),
                               cl::init(driver::TrainConfig().epochs),
                               cl::cat(trainCat));
static cl::opt<double> lr("lr", cl::desc("Learning rate"),
                          cl::init(driver::TrainConfig().lr),
                          cl::cat(trainCat));
static cl::opt<double>
    lrDecay("lr-decay",
            cl::desc("StepLR: multiply the learning rate by this factor "
                     "every --lr-decay-every epochs"),
            cl::init(driver::TrainConfig().lrDecay), cl::cat(trainCat));
static cl::opt<int64_t>
    lrDecayEvery("lr-decay-every",
                 cl::desc("Epochs between learning-rate decays (0 = never)"),
                 cl::init(driver::TrainConfig().lrDecayEvery),
                 cl::cat(trainCat));
static cl::opt<uint64_t>
    seed("seed",
         cl::desc("Seed of the initialisation, the shuffling and the noise"),
         cl::init(0), cl::cat(trainCat));
static cl::opt<std::string>
    init("init",
         cl::desc("Initialisation of weights (rank >= 2): he or glorot; "
                  "biases start at zero"),
         cl::init("he"), cl::cat(trainCat));
static cl::opt<std::string>
    params("params",
           cl::desc("Start from these parameters (safetensors, tensors named "
                    "by flops.name)"),
           cl::value_desc("P.safetensors"), cl::cat(trainCat));
static cl::opt<std::string>
    save("save",
         cl::desc("Write the checkpoint (parameters and the whole training "
                  "state, see --resume) here after every epoch (atomic "
                  "replace)"),
         cl::value_desc("OUT.safetensors"), cl::cat(trainCat));

static cl::opt<std::string> resume(
    "resume",
    cl::desc("Continue the run saved in this checkpoint (--save): its "
             "parameters, optimizer moments, log sigma, allocator state, "
             "step and position; same step options, seed and data. Ends "
             "bit-identical to an uninterrupted run (same --num-threads)"),
    cl::value_desc("CKPT.safetensors"), cl::cat(trainCat));
static cl::opt<int64_t> saveEvery(
    "save-every",
    cl::desc("Also write the --save checkpoint every N steps (0 = only "
             "after each epoch)"),
    cl::init(0), cl::cat(trainCat));

static cl::opt<int64_t> maxSteps(
    "max-steps",
    cl::desc("Stop after this many steps in all (0 = no limit), writing "
             "the --save checkpoint there; --resume goes on"),
    cl::init(0), cl::cat(trainCat));

// --- Data --------------------------------------------------------------------
static cl::opt<std::string>
    dataDir("data-dir", cl::desc("Fashion-MNIST directory (IDX files)"),
            cl::init("/usr/share/datasets/fashion-mnist"), cl::cat(dataCat));
static cl::opt<std::string> trainNpy(
    "train-npy",
    cl::desc("Training inputs as .npy (N x ...; f32/f64, or u8 scaled by "
             "1/255) instead of Fashion-MNIST"),
    cl::value_desc("X.npy"), cl::cat(dataCat));
static cl::opt<std::string>
    trainLabels("train-labels",
                cl::desc("Training labels as .npy (N integers, or targets)"),
                cl::value_desc("y.npy"), cl::cat(dataCat));
static cl::opt<std::string> testNpy("test-npy",
                                    cl::desc("Test inputs as .npy"),
                                    cl::value_desc("X.npy"), cl::cat(dataCat));
static cl::opt<std::string> testLabels("test-labels",
                                       cl::desc("Test labels as .npy"),
                                       cl::value_desc("y.npy"),
                                       cl::cat(dataCat));
static cl::opt<int64_t>
    limitTrain("limit-train",
               cl::desc("Use only the first N training rows (0 = all)"),
               cl::init(0), cl::cat(dataCat));
static cl::opt<int64_t>
    limitTest("limit-test",
              cl::desc("Use only the first N test rows (0 = all)"),
              cl::init(0), cl::cat(dataCat));

// --- Compilation -------------------------------------------------------------
static driver::CompileFlags compileFlags(compileCat, /*defaultThreads=*/0);
static cl::opt<std::string>
    dumpBefore("dump-before-lowering",
               cl::desc("Write the module (train_step/eval_step on tensors) "
                        "before lowering"),
               cl::value_desc("FILE"), cl::cat(compileCat));

// --- Output ------------------------------------------------------------------
static cl::opt<std::string>
    metrics("metrics",
            cl::desc("Write one JSON object per epoch here ('-' = stdout)"),
            cl::value_desc("FILE"), cl::cat(outCat));
static cl::opt<bool> progress(
    "progress",
    cl::desc("Progress line (rewritten on a terminal, every 10 s otherwise; "
             "default true)"),
    cl::init(true), cl::cat(outCat));
static cl::opt<bool> quiet("quiet",
                           cl::desc("No banner, epoch lines or summary"),
                           cl::init(false), cl::cat(outCat));
static cl::opt<bool> verbose("verbose",
                             cl::desc("Print the pipeline and compile time"),
                             cl::init(false), cl::cat(outCat));

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions({&stepCat, &trainCat, &dataCat, &compileCat,
                            &outCat});
  cl::ParseCommandLineOptions(
      argc, argv,
      "flops-train: train @forward of MODEL.mlir with forward-only "
      "(perturbed-query) gradients\n\n"
      "  flops-train examples/mlp.mlir --epochs 5 --save mlp.safetensors\n"
      "  flops-train model.mlir --train-npy X.npy --train-labels y.npy "
      "--metrics m.jsonl\n");

  driver::TrainConfig c;
  c.modelPath = modelPath;
  c.step.entry = entry;
  c.step.estimator = estimator;
  c.step.queries = queries;
  c.step.batchSize = batchSize;
  c.step.antithetic = antithetic;
  c.step.loss = loss;
  c.step.baseline = baseline;
  c.step.perturbLast = perturbLast;
  c.step.sites.assign(sites.begin(), sites.end());
  c.step.allocator = allocator;
  c.step.budget = budget;
  c.step.minQueries = minQueries;
  c.step.weighting = weighting;
  c.step.bernoulliP = bernoulliP;
  c.step.bernoulliPLate = bernoulliPLate;
  c.step.gaussianLr = gaussianLr;
  c.step.neymanKappa = neymanKappa;
  c.step.sigma = sigma;
  c.step.freezeSigma = freezeSigma;
  c.step.pointPrefix = pointPrefix;
  c.step.optimizer = optimizer;
  c.step.beta1 = beta1;
  c.step.beta2 = beta2;
  c.step.epsilon = epsilon;
  c.step.momentum = momentum;
  c.step.clipNorm = clipNorm;
  {
    std::string flagError;
    if (!compileFlags.check(&flagError)) {
      std::fprintf(stderr, "flops-train: error: %s\n", flagError.c_str());
      return 1;
    }
  }
  if (batchSize.getNumOccurrences() && batchSize <= 0) {
    std::fprintf(stderr, "flops-train: error: --batch-size must be >= 1, "
                         "got %lld\n", (long long)batchSize);
    return 1;
  }
  c.compile = compileFlags.apply(c.compile);
  c.compile.dumpBeforeLowering = dumpBefore;
  c.compile.verbose = verbose;
  c.dataDir = dataDir;
  c.trainNpy = trainNpy;
  c.trainLabels = trainLabels;
  c.testNpy = testNpy;
  c.testLabels = testLabels;
  c.limitTrain = limitTrain;
  c.limitTest = limitTest;
  c.epochs = epochs;
  c.lr = lr;
  c.lrDecay = lrDecay;
  c.lrDecayEvery = lrDecayEvery;
  c.seed = seed;
  c.init = init;
  c.paramsPath = params;
  c.savePath = save;
  c.resumePath = resume;
  c.saveEvery = saveEvery;
  c.maxSteps = maxSteps;
  c.metricsPath = metrics;
  c.progress = progress && !quiet;
  c.quiet = quiet;

  std::string error;
  // The device first: no data is read and nothing written without it.
  if (!compileFlags.openDevice(&c.compile, &error)) {
    std::fprintf(stderr, "flops-train: error: %s\n", error.c_str());
    return 1;
  }
  if (c.compile.device && !quiet)
    std::fprintf(stderr, "flops-train: %s\n",
                 c.compile.device->description().c_str());
  if (!driver::runTraining(c, &error)) {
    std::fflush(stdout);
    std::fprintf(stderr, "flops-train: error: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
