//===- flops-opt.cpp - mlir-opt with the flops dialect ----------------------===//
//
// Registers the upstream dialects and passes that the flops pipelines use,
// plus the flops dialect, its passes and its pipelines.
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"
#include "flops/Conversion/Passes.h"
#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "flops/Dialect/Flops/Transforms/Passes.h"
#include "flops/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace mlir::flops::test {
void registerTestRuleVjpPass();
void registerTestRuleModels(mlir::DialectRegistry &registry);
} // namespace mlir::flops::test

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::flops::registerFlopsConversionPasses();
  mlir::flops::registerFlopsTransformsPasses();
  mlir::flops::test::registerTestRuleVjpPass();
  mlir::flops::registerFlopsCodegenPasses();
  mlir::flops::registerFlopsPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary (flops-lower-to-cuda) translates kernels to LLVM IR.
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::flops::FlopsDialect>();
  mlir::flops::registerEstimatorRules(registry);
  mlir::flops::test::registerTestRuleModels(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "FLOPS-MLIR optimizer driver\n", registry));
}
