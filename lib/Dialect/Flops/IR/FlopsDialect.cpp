//===- FlopsDialect.cpp - the flops dialect -------------------------------===//

#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::flops;

#include "flops/Dialect/Flops/IR/FlopsDialect.cpp.inc"
#include "flops/Dialect/Flops/IR/FlopsEnums.cpp.inc"

void FlopsDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "flops/Dialect/Flops/IR/FlopsOps.cpp.inc"
      >();
}

Operation *FlopsDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}
