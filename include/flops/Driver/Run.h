//===- Run.h - the inference driver behind flops-run ------------*- C++ -*-===//
//
// Compiles a model's @forward alone (no training step) with the same
// lowering as flops-train and runs it on .npy inputs (docs/CLI.md).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_RUN_H
#define FLOPS_DRIVER_RUN_H

#include "flops/Driver/Program.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace mlir::flops::driver {

struct RunConfig {
  std::string modelPath;
  std::string entry = "forward";
  /// One .npy per data argument of the entry, in argument order.
  std::vector<std::string> inputs;
  /// Parameters by flops.name; empty: initialise with `init` and `seed`.
  std::string paramsPath;
  std::string init = "he";
  uint64_t seed = 0;
  /// One .npy per result, or a single .safetensors holding every result
  /// (named by the results' flops.name, else output<i>).
  std::vector<std::string> outputs;
  /// Print the results as text on `out`.
  bool print = false;
  CompileOptions compile;
  std::FILE *out = stdout;
  std::FILE *log = stderr;
};

/// Specialises a dynamic batch (dimension 0 of the data arguments and
/// results) to the rows of the inputs, compiles the entry and runs it once.
bool runInference(const RunConfig &config, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_RUN_H
