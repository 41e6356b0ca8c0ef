//===- Passes.h - flops conversion passes -----------------------*- C++ -*-===//

#ifndef FLOPS_CONVERSION_PASSES_H
#define FLOPS_CONVERSION_PASSES_H

#include "flops/Conversion/FlopsToLinalg/FlopsToLinalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir::flops {

#define GEN_PASS_DECL
#include "flops/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "flops/Conversion/Passes.h.inc"

} // namespace mlir::flops

#endif // FLOPS_CONVERSION_PASSES_H
