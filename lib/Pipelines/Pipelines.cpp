//===- Pipelines.cpp - registered flops pipelines --------------------------===//

#include "flops/Pipelines/Pipelines.h"

#include "flops/Codegen/Passes.h"
#include "flops/Conversion/Passes.h"
#include "flops/Dialect/Flops/Transforms/Passes.h"
#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/TosaToTensor/TosaToTensor.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::flops::buildReferenceToLLVMPipeline(
    OpPassManager &pm, const ReferenceToLLVMOptions &options) {
  pm.addPass(createConvertFlopsToLinalgPass());
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = options.bufferizeFunctionBoundaries;
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  buildLoopsToLLVMPipeline(pm, /*openMP=*/false, /*cInterface=*/false);
}

void mlir::flops::buildLoopsToLLVMPipeline(OpPassManager &pm, bool openMP,
                                           bool cInterface, bool perFunction) {
  // The op-agnostic conversions, on the module or on each function (one
  // nested pipeline: MLIR runs it on the functions in parallel).
  // vector.print adds module-level symbols when lowered: it goes first, on
  // the module, so that the functions' conversions touch only themselves.
  if (perFunction)
    pm.addPass(createLowerVectorPrintPass());
  OpPassManager &local = perFunction ? pm.nest<func::FuncOp>() : pm;
  // The math ops become libm intrinsics (never polynomial approximations:
  // the noise must match the C++ runtime bit for bit).
  local.addPass(memref::createExpandStridedMetadataPass());
  local.addPass(createLowerAffinePass());
  local.addPass(createSCFToControlFlowPass());
  local.addPass(createConvertVectorToLLVMPass());
  local.addPass(createConvertMathToLLVMPass());
  local.addPass(createArithToLLVMConversionPass());
  local.addPass(createConvertIndexToLLVMPass());
  local.addPass(createUBToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  if (openMP)
    pm.addPass(createConvertOpenMPToLLVMPass());
  if (cInterface)
    pm.addPass(createEmitCInterfacePass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::flops::buildTosaToForwardPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalgNamed());
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalg());
  pm.addPass(createTosaToArithPass());
  pm.addPass(createTosaToTensorPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createPrepareForwardPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::flops::registerFlopsPipelines() {
  PassPipelineRegistration<>(
      "flops-tosa-to-forward",
      "Lower a tosa forward to the linalg form flops-forward-train reads "
      "(tosa-to-linalg, then flops-prepare-forward)",
      [](OpPassManager &pm) { buildTosaToForwardPipeline(pm); });
  PassPipelineRegistration<ReferenceToLLVMOptions>(
      "flops-reference-to-llvm",
      "Lower flops ops through linalg, bufferization and plain loops to the "
      "LLVM dialect (the unoptimised reference path of the execution tests)",
      buildReferenceToLLVMPipeline);
  registerLowerToCPUPipeline();
  registerLowerToCUDAPipeline();
}
