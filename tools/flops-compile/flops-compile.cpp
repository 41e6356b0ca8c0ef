//===- flops-compile.cpp - standalone training programs -------------------===//
//
// flops-compile MODEL.mlir|MODEL.onnx -o OUT [--emit=exe|obj|header|shared]
// [step options]: builds the training step as flops-train does, generates
// its code ahead of time for a named CPU and links a training program that
// needs no LLVM or MLIR library (docs/CLI.md, "flops-compile"). A thin main
// over FlopsDriver (and the ONNX importer, when built).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileTrainer.h"
#ifdef FLOPS_HAVE_ONNX
#include "flops/Import/Onnx.h"
#endif

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"

#include <cstdio>

using namespace llvm;
namespace driver = mlir::flops::driver;

static cl::OptionCategory stepCat(
    "Training step (options of the flops-forward-train pass)");
static cl::OptionCategory dataCat(
    "Data (read at compile time for the training row count)");
static cl::OptionCategory compileCat("Compilation");

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir|model.onnx>"),
                                      cl::cat(compileCat));
static cl::opt<std::string> output("o", cl::desc("Output file"),
                                   cl::value_desc("OUT"), cl::Required,
                                   cl::cat(compileCat));
static cl::opt<std::string>
    emit("emit",
         cl::desc("What to write: exe (a training program), obj (the "
                  "object file of the train and eval steps and the forward), "
                  "header (its C header) or shared (a .so with those entry "
                  "points)"),
         cl::init("exe"), cl::cat(compileCat));
static cl::opt<std::string> targetCpu(
    "target-cpu",
    cl::desc("CPU to generate code for: an LLVM CPU name (x86-64, "
             "x86-64-v2, x86-64-v3, x86-64-v4, skylake, znver4, ...) or "
             "native"),
    cl::init("x86-64-v2"), cl::cat(compileCat));
static cl::opt<std::string>
    targetFeatures("target-features",
                   cl::desc("Extra LLVM target features (+avx2,-fma)"),
                   cl::cat(compileCat));
static cl::opt<int64_t> numThreads(
    "num-threads",
    cl::desc("Threads of the generated step (OpenMP when > 1: the program "
             "then needs libomp.so.5)"),
    cl::init(1), cl::cat(compileCat));
static cl::opt<driver::PipelineKind> pipeline(
    "pipeline", cl::desc("Lowering pipeline"),
    cl::values(clEnumValN(driver::PipelineKind::Auto, "auto",
                          "flops-lower-to-cpu, falling back to the "
                          "reference pipeline"),
               clEnumValN(driver::PipelineKind::CPU, "cpu",
                          "flops-lower-to-cpu"),
               clEnumValN(driver::PipelineKind::Reference, "reference",
                          "flops-reference-to-llvm")),
    cl::init(driver::PipelineKind::Auto), cl::cat(compileCat));
static cl::opt<std::string> device(
    "device",
    cl::desc("Where the step runs: cpu, or cuda (flops-lower-to-cuda; the "
             "program embeds the device code and FLOPS' CUDA runtime, which "
             "loads libcuda.so.1 at run time)"),
    cl::init("cpu"), cl::cat(compileCat));
static cl::opt<std::string>
    cudaOptions("cuda-options",
                cl::desc("Extra key=value options of flops-lower-to-cuda "
                         "(with --device cuda)"),
                cl::cat(compileCat));
static cl::opt<std::string>
    cpuOptions("cpu-options",
               cl::desc("Extra key=value options of flops-lower-to-cpu"),
               cl::cat(compileCat));
static cl::opt<unsigned> optLevel("opt-level",
                                  cl::desc("LLVM optimisation level (0-3)"),
                                  cl::init(3), cl::cat(compileCat));
static cl::opt<int64_t> forwardBatch(
    "forward-batch",
    cl::desc("Rows of the exported forward entry of --emit=obj|header|shared "
             "(its shapes are static; default: the step's batch)"),
    cl::init(0), cl::cat(compileCat));
static cl::opt<std::string> weightsPath(
    "weights",
    cl::desc("MODEL.onnx: where its parameter values go (default: OUT with "
             "the extension .safetensors)"),
    cl::value_desc("W.safetensors"), cl::cat(compileCat));
static cl::opt<std::string>
    linker("linker",
           cl::desc("Compiler driver that links the program (default c++)"),
           cl::init("c++"), cl::cat(compileCat));

#include "StepOptions.inc"

static cl::opt<int64_t> bernoulliSwitchStep(
    "bernoulli-switch-step",
    cl::desc("Step at which the Bernoulli allocator switches to "
             "--bernoulli-p-late (default: one epoch of the compile-time "
             "training rows; given, the program runs on any row count)"),
    cl::init(-1), cl::cat(stepCat));

#ifdef FLOPS_HAVE_ONNX
/// MODEL.onnx as flops-import-onnx reads it (default options).
static bool importOnnx(mlir::MLIRContext &ctx, const std::string &path,
                       mlir::OwningOpRef<mlir::ModuleOp> *module,
                       flops::rt::SafeTensors *weights, unsigned *numParams,
                       std::string *error) {
  namespace imp = mlir::flops::onnx_import;
  mlir::DialectRegistry registry;
  imp::registerImportDialects(registry);
  ctx.appendDialectRegistry(registry);
  imp::ImportResult r;
  if (!imp::importOnnxFile(ctx, path, {}, &r, error))
    return false;
  *module = std::move(r.module);
  *weights = std::move(r.weights);
  *numParams = r.numParams;
  return true;
}
#endif

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions({&stepCat, &dataCat, &compileCat});
  cl::ParseCommandLineOptions(
      argc, argv,
      "flops-compile: compile MODEL.mlir's training step into a standalone "
      "training program\n\n"
      "  flops-compile examples/mlp.mlir -o mlp-train --batch-size 64\n"
      "  ./mlp-train --epochs 5 --save mlp.safetensors --metrics m.jsonl\n");
  driver::TrainConfig c;
  c.modelPath = modelPath;
  c.toolName = "flops-compile";
  applyStepAndDataOptions(c);
  if (bernoulliSwitchStep.getNumOccurrences()) {
    if (bernoulliSwitchStep < 0) {
      std::fprintf(stderr, "flops-compile: error: --bernoulli-switch-step "
                           "must be >= 0, got %lld\n",
                   (long long)bernoulliSwitchStep);
      return 1;
    }
    c.step.bernoulliSwitchStep = bernoulliSwitchStep;
  }
  if (batchSize.getNumOccurrences() && batchSize <= 0) {
    std::fprintf(stderr, "flops-compile: error: --batch-size must be >= 1, "
                         "got %lld\n", (long long)batchSize);
    return 1;
  }
  c.compile.pipeline = pipeline;
  c.compile.numThreads = numThreads;
  c.compile.cpuOptions = cpuOptions;
  c.compile.optLevel = optLevel;
  driver::CompileTrainerOptions o;
  o.output = output;
  o.emit = emit;
  o.target.cpu = targetCpu;
  o.target.features = targetFeatures;
  o.target.optLevel = optLevel;
  o.linker = linker;
  o.forwardBatch = forwardBatch;
  o.weightsPath = weightsPath;
  o.device = device;
  o.cudaOptions = cudaOptions;
#ifdef FLOPS_HAVE_ONNX
  o.importOnnx = importOnnx;
#endif
  std::string exe = sys::fs::getMainExecutable(argv[0], (void *)&main);
  SmallString<256> lib(sys::path::parent_path(sys::path::parent_path(exe)));
  sys::path::append(lib, "lib");
  o.libDir = std::string(lib);
  std::string error;
  if (!driver::compileTrainer(c, o, &error)) {
    std::fprintf(stderr, "flops-compile: error: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
