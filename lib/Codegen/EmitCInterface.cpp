//===- EmitCInterface.cpp - the flops-emit-c-interface pass ---------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::flops {
#define GEN_PASS_DEF_EMITCINTERFACEPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {
struct EmitCInterfacePass
    : mlir::flops::impl::EmitCInterfacePassBase<EmitCInterfacePass> {
  void runOnOperation() override {
    StringAttr name = StringAttr::get(
        &getContext(), LLVM::LLVMDialect::getEmitCWrapperAttrName());
    getOperation().walk([&](func::FuncOp func) {
      if (!func.isExternal())
        func->setAttr(name, UnitAttr::get(&getContext()));
    });
  }
};
} // namespace
