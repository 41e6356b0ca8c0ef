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
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
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

/// Whether two paths name the same file: the same existing file, or the same
/// absolute, normalized path.
static bool samePath(const std::string &a, const std::string &b) {
  if (a == "-" || b == "-")
    return false;
  bool same = false;
  if (!sys::fs::equivalent(a, b, same))
    return same;
  SmallString<256> x(a), y(b);
  sys::fs::make_absolute(x);
  sys::fs::make_absolute(y);
  sys::path::remove_dots(x, /*remove_dot_dot=*/true);
  sys::path::remove_dots(y, /*remove_dot_dot=*/true);
  return x == y;
}

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
  auto fail = [](const std::string &msg) {
    errs() << "flops-import-onnx: error: " << msg << "\n";
    return 1;
  };
  if (staticBatch < 0)
    return fail("--static-batch must be >= 0 (0 = keep symbolic extents), "
                "got " + std::to_string(staticBatch));
  if (minParam < 0)
    return fail("--min-param-elements must be >= 0, got " +
                std::to_string(minParam));
  if (outPath != "-" && !weightsPath.empty() &&
      samePath(weightsPath, outPath))
    return fail("--weights and -o name the same file (" + weightsPath + ")");
  if (samePath(modelPath, outPath) ||
      (!weightsPath.empty() && samePath(modelPath, weightsPath)))
    return fail("an output would overwrite the input model " + modelPath);
  if (!imp::importOnnxFile(ctx, modelPath, opts, &result, &error))
    return fail(error);
  // The module on stdout leaves no name to derive the weights file from:
  // writing ./forward.safetensors unasked could replace a user's file.
  if (outPath == "-" && weightsPath.empty() && result.numParams > 0)
    return fail("-o - writes the module to stdout; name the weights file of "
                "its " + std::to_string(result.numParams) +
                " parameter(s) with --weights (or --inline-initializers)");
  std::string weights = weightsPath.empty()
                            ? imp::defaultWeightsPath(std::string(outPath))
                            : std::string(weightsPath);
  if (samePath(modelPath, weights))
    return fail("the weights file " + weights +
                " would overwrite the input model");
  if (!imp::writeImport(result, outPath, weights, &error)) {
    errs() << "flops-import-onnx: error: " << error << "\n";
    return 1;
  }
  if (outPath != "-")
    errs() << "flops-import-onnx: wrote " << outPath << " (" << result.numInputs
           << " data argument(s), " << result.numParams << " parameter(s))"
           << (result.numParams ? " and " + weights : std::string()) << "\n";
  return 0;
}
