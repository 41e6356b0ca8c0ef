//===- Passes.h - flops dialect passes --------------------------*- C++ -*-===//

#ifndef FLOPS_DIALECT_FLOPS_TRANSFORMS_PASSES_H
#define FLOPS_DIALECT_FLOPS_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::flops {

#define GEN_PASS_DECL
#include "flops/Dialect/Flops/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "flops/Dialect/Flops/Transforms/Passes.h.inc"

} // namespace mlir::flops

#endif // FLOPS_DIALECT_FLOPS_TRANSFORMS_PASSES_H
