//===- flops-train.cpp - train a model with forward-only gradients --------===//
//
// flops-train MODEL.mlir [options]: builds @train_step/@eval_step from
// @forward (flops-forward-train), compiles them in-process and trains on
// Fashion-MNIST or .npy arrays. A thin main over FlopsDriver (docs/CLI.md).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileFlags.h"
#include "flops/Driver/Train.h"
#include "flops/Runtime/StepABI.h"

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

#include "StepOptions.inc"

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
  // Compiled steps free their temporaries each call: keep that memory.
  flops::rt::retainFreedHostMemory();
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
  applyStepAndDataOptions(c);
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
