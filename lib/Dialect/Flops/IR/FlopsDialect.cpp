//===- FlopsDialect.cpp - the flops dialect -------------------------------===//

#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::flops;

#include "flops/Dialect/Flops/IR/FlopsDialect.cpp.inc"
#include "flops/Dialect/Flops/IR/FlopsEnums.cpp.inc"

namespace {
/// Every flops op computes its results from its operands alone (no regions,
/// nothing tied to the enclosing function): a call of a function holding
/// them can be inlined, e.g. @<entry>_rows with its flops.perturb, or a
/// lowered one whose generics still hold flops.counter_normal.
struct FlopsInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void FlopsDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "flops/Dialect/Flops/IR/FlopsOps.cpp.inc"
      >();
  addInterfaces<FlopsInlinerInterface>();
}

Operation *FlopsDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}
