//===- LowerVectorPrint.cpp - flops-lower-vector-print --------------------===//
//
// Lowers vector.print on the whole module before the per-function LLVM
// conversions, which would otherwise add module-level declarations and
// string globals from several threads at once.
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::flops {
#define GEN_PASS_DEF_LOWERVECTORPRINTPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {

struct LowerVectorPrintPass
    : mlir::flops::impl::LowerVectorPrintPassBase<LowerVectorPrintPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool any = false;
    module.walk([&](vector::PrintOp) {
      any = true;
      return WalkResult::interrupt();
    });
    if (!any)
      return;
    LLVMTypeConverter converter(&getContext());
    RewritePatternSet patterns(&getContext());
    populateVectorToLLVMConversionPatterns(converter, patterns);
    // Only vector.print must go; every other op stays as it is (the
    // per-function conversions lower it), with casts to the LLVM types
    // where a print's operands were converted.
    ConversionTarget target(getContext());
    target.addIllegalOp<vector::PrintOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
