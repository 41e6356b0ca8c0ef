//===- CompileTrainer.h - flops-compile: standalone trainers ----*- C++ -*-===//
//
// Builds the training step of a model as flops-train does (buildTrainStep),
// lowers it (lowerEntries), generates its object for a named CPU
// (emitObject) and links a program from it and the LLVM-free libraries
// (runtime/compiled/Main.cpp, FlopsTrainLoop, FlopsIOStatic,
// FlopsRuntimeStatic, static zlib) with the system's compiler driver.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_COMPILETRAINER_H
#define FLOPS_DRIVER_COMPILETRAINER_H

#include "flops/Driver/Aot.h"
#include "flops/Driver/Train.h"

#include "flops/Runtime/SafeTensors.h"

#include <functional>
#include <string>

namespace mlir::flops::driver {

/// Imports an ONNX model into `ctx` as a module with @forward and its
/// parameters' values (flops-compile passes the ONNX importer, which the
/// driver library does not link).
using OnnxImporter = std::function<bool(
    MLIRContext &ctx, const std::string &path, OwningOpRef<ModuleOp> *module,
    ::flops::rt::SafeTensors *weights, unsigned *numParams,
    std::string *error)>;

struct CompileTrainerOptions {
  std::string output;
  /// "exe" (a training program), "obj" (the step's object, with the
  /// embedded description, for the user's own link), "header" (the C
  /// header of the object's entry points) or "shared" (a .so of the object
  /// and the runtime, loadable with ctypes).
  std::string emit = "exe";
  AotTarget target;
  /// The compiler driver that links (found on PATH).
  std::string linker = "c++";
  /// Where libFlopsCompiledMain.a and friends are (the tool's ../lib).
  std::string libDir;
  /// The batch of the exported forward entry (obj, header, shared): 0 = the
  /// step's batch.
  int64_t forwardBatch = 0;
  /// Where the step runs: "cpu", or "cuda" (flops-lower-to-cuda; the
  /// program embeds the device code and links libFlopsCudaRuntimeStatic.a,
  /// which loads the CUDA driver at run time).
  std::string device = "cpu";
  /// Extra key=value options of flops-lower-to-cuda.
  std::string cudaOptions;
  /// For MODEL.onnx; empty = this build cannot read ONNX.
  OnnxImporter importOnnx;
  /// Where an ONNX model's parameter values go: empty = the output with
  /// its extension replaced by .safetensors (see onnxWeightsPath).
  std::string weightsPath;
};

/// `OUT.safetensors` for an output `OUT` or `OUT.EXT` (EXT: o, so, h).
std::string onnxWeightsPath(const std::string &output);

/// Compiles `cfg`'s model into `options.output`. Notes go to cfg.log. A
/// model whose path ends in .onnx is imported with options.importOnnx; its
/// parameter values are written to options.weightsPath (the program starts
/// from them with --params).
/// --emit=obj/header/shared export @train_step, @eval_step and the model's
/// forward (cfg.step.entry) for a static batch of `options.forwardBatch`
/// rows; --emit=exe only the steps.
bool compileTrainer(const TrainConfig &cfg,
                    const CompileTrainerOptions &options, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_COMPILETRAINER_H
