//===- Passes.cpp - C API of the flops passes -----------------------------===//
//
// The mlir-tblgen-generated C entry points (include/flops-c/Passes.h) over
// the passes' C++ registration and constructors.
//
//===----------------------------------------------------------------------===//

#include "flops-c/Passes.h"

#include "flops/Codegen/Passes.h"
#include "flops/Conversion/Passes.h"
#include "flops/Dialect/Flops/Transforms/Passes.h"

#include "mlir/CAPI/Pass.h"

using namespace mlir;
using namespace mlir::flops;

#ifdef __cplusplus
extern "C" {
#endif
#include "flops/Codegen/Passes.capi.cpp.inc"
#include "flops/Conversion/Passes.capi.cpp.inc"
#include "flops/Dialect/Flops/Transforms/Passes.capi.cpp.inc"
#ifdef __cplusplus
}
#endif
