//===- FlopsPlugin.cpp - the flops dialect and passes as an MLIR plugin ---===//
//
// libFlopsPlugin.so: loaded by an mlir-opt built against the same libMLIR.so
// (Debian's mlir-opt-22) with
//   --load-dialect-plugin=libFlopsPlugin.so  (the flops dialect and the
//                                             estimator rules)
//   --load-pass-plugin=libFlopsPlugin.so     (flops passes and pipelines)
// so that flops-forward-train and the lowering pipelines run inside someone
// else's tool (docs/CLI.md, "Pipeline integration").
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"
#include "flops/Conversion/Passes.h"
#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "flops/Dialect/Flops/Transforms/Passes.h"
#include "flops/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "FlopsPlugin", LLVM_VERSION_STRING,
          [](DialectRegistry *registry) {
            registry->insert<flops::FlopsDialect>();
            flops::registerEstimatorRules(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "FlopsPlugin", LLVM_VERSION_STRING, []() {
            flops::registerFlopsConversionPasses();
            flops::registerFlopsTransformsPasses();
            flops::registerFlopsCodegenPasses();
            flops::registerFlopsPipelines();
          }};
}
