//===- flops-import-onnx.cpp - ONNX model -> @forward + weights -----------===//
//
// flops-import-onnx MODEL.onnx -o OUT.mlir [--weights OUT.safetensors]:
// a thin main over FlopsImportOnnx (docs/CLI.md, docs/ONNX.md). On any error
// it prints `flops-import-onnx: error: ...`, exits with status 1 and writes
// nothing.
//
//===----------------------------------------------------------------------===//

#include "flops/Import/Onnx.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
namespace imp = mlir::flops::onnx_import;

static cl::OptionCategory cat("flops-import-onnx options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx>"), cl::cat(cat));
static cl::opt<std::string> outPath("o", cl::Required,
                                    cl::desc("Output .mlir file ('-' = stdout)"),
                                    cl::value_desc("OUT.mlir"), cl::cat(cat));
static cl::opt<std::string>
    weightsPath("weights",
                cl::desc("Weights file (default: OUT.mlir with the extension "
                         ".safetensors)"),
                cl::value_desc("W.safetensors"), cl::cat(cat));
static cl::opt<std::string> entry("entry",
                                  cl::desc("Function name (default forward)"),
                                  cl::init("forward"), cl::cat(cat));
static cl::opt<int64_t> minParam(
    "min-param-elements",
    cl::desc("Float initializers with fewer elements stay inline constants "
             "(default 2)"),
    cl::init(2), cl::cat(cat));
static cl::opt<bool> inlineInits(
    "inline-initializers",
    cl::desc("Keep every initializer as an inline constant (no parameters)"),
    cl::init(false), cl::cat(cat));
static cl::opt<int64_t> staticBatch(
    "static-batch",
    cl::desc("Give symbolic input extents this static value (0 = keep them "
             "dynamic)"),
    cl::init(0), cl::cat(cat));

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv,
                              "ONNX model -> flops @forward + weights\n");
  mlir::DialectRegistry registry;
  imp::registerImportDialects(registry);
  mlir::MLIRContext ctx(registry);
  imp::ImportOptions opts;
  opts.entry = entry;
  opts.minParamElements = minParam;
  opts.inlineInitializers = inlineInits;
  opts.staticBatch = staticBatch;
  imp::ImportResult result;
  std::string error;
  if (outPath != "-" && !weightsPath.empty() && weightsPath == outPath) {
    errs() << "flops-import-onnx: error: --weights and -o name the same file\n";
    return 1;
  }
  std::string weights = weightsPath.empty()
                            ? imp::defaultWeightsPath(
                                  outPath == "-" ? std::string("forward.mlir")
                                                 : std::string(outPath))
                            : std::string(weightsPath);
  if (!imp::importOnnxFile(ctx, modelPath, opts, &result, &error) ||
      !imp::writeImport(result, outPath, weights, &error)) {
    errs() << "flops-import-onnx: error: " << error << "\n";
    return 1;
  }
  if (outPath != "-")
    errs() << "flops-import-onnx: wrote " << outPath << " (" << result.numInputs
           << " data argument(s), " << result.numParams << " parameter(s))"
           << (result.numParams ? " and " + weights : std::string()) << "\n";
  return 0;
}
