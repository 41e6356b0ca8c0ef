//===- FlopsDialect.h - the flops dialect -----------------------*- C++ -*-===//

#ifndef FLOPS_DIALECT_FLOPS_IR_FLOPSDIALECT_H
#define FLOPS_DIALECT_FLOPS_IR_FLOPSDIALECT_H

#include "mlir/IR/Dialect.h"

#include "flops/Dialect/Flops/IR/FlopsDialect.h.inc"

#endif // FLOPS_DIALECT_FLOPS_IR_FLOPSDIALECT_H
