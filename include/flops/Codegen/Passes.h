//===- Passes.h - flops code generation passes ------------------*- C++ -*-===//

#ifndef FLOPS_CODEGEN_PASSES_H
#define FLOPS_CODEGEN_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::flops {

#define GEN_PASS_DECL
#include "flops/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "flops/Codegen/Passes.h.inc"

} // namespace mlir::flops

#endif // FLOPS_CODEGEN_PASSES_H
