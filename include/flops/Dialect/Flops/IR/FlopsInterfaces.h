//===- FlopsInterfaces.h - estimator rules of ops ---------------*- C++ -*-===//

#ifndef FLOPS_DIALECT_FLOPS_IR_FLOPSINTERFACES_H
#define FLOPS_DIALECT_FLOPS_IR_FLOPSINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include <string>

#include "flops/Dialect/Flops/IR/FlopsInterfaces.h.inc"

namespace mlir {
class DialectRegistry;
namespace flops {
/// Attaches the estimator rules (external models) to the upstream ops that
/// have one: linalg contractions and convolutions, elementwise generics.
void registerEstimatorRules(DialectRegistry &registry);
} // namespace flops
} // namespace mlir

#endif // FLOPS_DIALECT_FLOPS_IR_FLOPSINTERFACES_H
