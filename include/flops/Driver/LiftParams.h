//===- LiftParams.h - frozen weights -> flops.param arguments ---*- C++ -*-===//
//
// flops-lift-params: a model that arrives with frozen weights (what
// torch-mlir's and other exporters' linalg output looks like: the weights
// are `arith.constant dense<...>` tensors) becomes a forward whose large
// float constants are `flops.param` arguments, with their values in a
// safetensors file, so that it enters flops-forward-train (and flops-train
// --params) directly (docs/CLI.md, "flops-lift-params").
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_LIFTPARAMS_H
#define FLOPS_DRIVER_LIFTPARAMS_H

#include "flops/Runtime/SafeTensors.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>

namespace mlir::flops::driver {

struct LiftParamsOptions {
  std::string entry = "forward";
  /// Float constants with at least this many elements are lifted.
  int64_t minElements = 16;
  /// Names are `<prefix><k>` in program order.
  std::string prefix = "param";
};

/// Appends one `flops.param` argument (named by `flops.name`) per lifted
/// constant of the entry's body to the entry, replaces the constant's uses
/// by it, and adds its value to `out`. `*count` is the number lifted.
bool liftParams(ModuleOp module, const LiftParamsOptions &options,
                ::flops::rt::SafeTensors *out, int64_t *count,
                std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_LIFTPARAMS_H
