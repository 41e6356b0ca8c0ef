//===- FlopsInterfaces.cpp - estimator rule interface ----------------------===//

#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"

using namespace mlir;
using namespace mlir::flops;

#include "flops/Dialect/Flops/IR/FlopsInterfaces.cpp.inc"
