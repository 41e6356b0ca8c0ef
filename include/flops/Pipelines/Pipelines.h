//===- Pipelines.h - registered flops pipelines -----------------*- C++ -*-===//

#ifndef FLOPS_PIPELINES_PIPELINES_H
#define FLOPS_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::flops {

/// Options of `flops-reference-to-llvm`.
struct ReferenceToLLVMOptions
    : public PassPipelineOptions<ReferenceToLLVMOptions> {
  PassOptions::Option<bool> bufferizeFunctionBoundaries{
      *this, "bufferize-function-boundaries",
      llvm::cl::desc("Bufferize function arguments and results (identity "
                     "layouts) so that tensor functions can be called"),
      llvm::cl::init(true)};
};

/// flops-to-linalg, bufferization, linalg to plain loops and the LLVM
/// dialect: the simple, unoptimised reference path that execution tests use.
void buildReferenceToLLVMPipeline(OpPassManager &pm,
                                  const ReferenceToLLVMOptions &options);

/// Registers every flops pipeline by name.
void registerFlopsPipelines();

} // namespace mlir::flops

#endif // FLOPS_PIPELINES_PIPELINES_H
