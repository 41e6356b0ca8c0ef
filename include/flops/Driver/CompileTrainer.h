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

#include <string>

namespace mlir::flops::driver {

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
};

/// Compiles `cfg`'s model into `options.output`. Notes go to cfg.log.
/// --emit=obj/header/shared export @train_step, @eval_step and the model's
/// forward (cfg.step.entry) for a static batch of `options.forwardBatch`
/// rows; --emit=exe only the steps.
bool compileTrainer(const TrainConfig &cfg,
                    const CompileTrainerOptions &options, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_COMPILETRAINER_H
