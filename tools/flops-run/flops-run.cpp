//===- flops-run.cpp - run a model's forward function ---------------------===//
//
// flops-run MODEL.mlir --input X.npy [--params P.safetensors] --output Y.npy:
// compiles @forward alone with the flops-train lowering and runs it once
// (inference). A thin main over FlopsDriver (docs/CLI.md).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileFlags.h"
#include "flops/Driver/Run.h"
#include "flops/Runtime/StepABI.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <cstdio>

using namespace llvm;
namespace driver = mlir::flops::driver;

static cl::OptionCategory runCat("flops-run options");

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"),
                                      cl::cat(runCat));
static cl::opt<std::string> entry("entry",
                                  cl::desc("Function to run (default forward)"),
                                  cl::init("forward"), cl::cat(runCat));
static cl::list<std::string>
    inputs("input",
           cl::desc("Input .npy, one per data argument in order (rows = the "
                    "batch; each row is reshaped to the argument's shape)"),
           cl::value_desc("X.npy"), cl::cat(runCat));
static cl::opt<std::string>
    params("params",
           cl::desc("Parameters (safetensors, tensors named by flops.name); "
                    "without it they are initialised with --init/--seed"),
           cl::value_desc("P.safetensors"), cl::cat(runCat));
static cl::opt<std::string>
    init("init", cl::desc("Initialisation without --params: he or glorot "
                          "(biases zero)"),
         cl::init("he"), cl::cat(runCat));
static cl::opt<uint64_t> seed("seed", cl::desc("Initialisation seed"),
                              cl::init(0), cl::cat(runCat));
static cl::list<std::string>
    outputs("output",
            cl::desc("Output .npy, one per result; or a single "
                     ".safetensors file with every result"),
            cl::value_desc("Y.npy"), cl::cat(runCat));
static cl::opt<bool> print("print",
                           cl::desc("Print the results as text on stdout"),
                           cl::init(false), cl::cat(runCat));
static driver::CompileFlags compileFlags(runCat, /*defaultThreads=*/1);

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  // Compiled code frees its temporaries each call: keep that memory.
  flops::rt::retainFreedHostMemory();
  cl::HideUnrelatedOptions(runCat);
  cl::ParseCommandLineOptions(
      argc, argv,
      "flops-run: compile @forward of MODEL.mlir and run it on .npy inputs\n\n"
      "  flops-run examples/mlp.mlir --input X.npy --params mlp.safetensors "
      "--output logits.npy\n");

  driver::RunConfig c;
  c.modelPath = modelPath;
  c.entry = entry;
  c.inputs.assign(inputs.begin(), inputs.end());
  c.paramsPath = params;
  c.init = init;
  c.seed = seed;
  c.outputs.assign(outputs.begin(), outputs.end());
  c.print = print;
  {
    std::string flagError;
    if (!compileFlags.check(&flagError)) {
      std::fprintf(stderr, "flops-run: error: %s\n", flagError.c_str());
      return 1;
    }
  }
  c.compile = compileFlags.apply();

  std::string error;
  // The device first: no input is read and nothing written without it.
  if (!compileFlags.openDevice(&c.compile, &error)) {
    std::fprintf(stderr, "flops-run: error: %s\n", error.c_str());
    return 1;
  }
  if (!driver::runInference(c, &error)) {
    std::fflush(stdout);
    std::fprintf(stderr, "flops-run: error: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
