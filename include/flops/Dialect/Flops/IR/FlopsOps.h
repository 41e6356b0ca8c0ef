//===- FlopsOps.h - flops dialect ops ---------------------------*- C++ -*-===//

#ifndef FLOPS_DIALECT_FLOPS_IR_FLOPSOPS_H
#define FLOPS_DIALECT_FLOPS_IR_FLOPSOPS_H

#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "flops/Dialect/Flops/IR/FlopsEnums.h.inc"

#define GET_OP_CLASSES
#include "flops/Dialect/Flops/IR/FlopsOps.h.inc"

#endif // FLOPS_DIALECT_FLOPS_IR_FLOPSOPS_H
