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

/// Options of `flops-lower-to-cpu` (see docs/CODEGEN.md).
struct LowerToCPUOptions : public PassPipelineOptions<LowerToCPUOptions> {
  PassOptions::Option<int64_t> numThreads{
      *this, "num-threads",
      llvm::cl::desc("Threads for the big contractions and elementwise ops "
                     "(scf.forall lowered to OpenMP, needs libomp at run "
                     "time); 1 = sequential code, no OpenMP"),
      llvm::cl::init(1)};
  PassOptions::ListOption<int64_t> registerTileSizes{
      *this, "register-tile-sizes",
      llvm::cl::desc("Register tile (m, n, k) of the contractions (empty: "
                     "8,32,1)")};
  PassOptions::ListOption<int64_t> cacheTileSizes{
      *this, "cache-tile-sizes",
      llvm::cl::desc("Cache tile (m, n, k) of the contractions; 0,0,0 "
                     "disables (empty: 64,256,256)")};
  PassOptions::Option<int64_t> minParallelWork{
      *this, "min-parallel-work",
      llvm::cl::desc("Minimal static iteration count of an op to be split "
                     "over the threads"),
      llvm::cl::init(65536)};
  PassOptions::Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse single-use elementwise producers into their "
                     "consumers (not into contractions)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorizeElementwise{
      *this, "vectorize-elementwise",
      llvm::cl::desc("Tile and vectorize the all-parallel linalg ops"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> elementwiseVectorSize{
      *this, "elementwise-vector-size",
      llvm::cl::desc("Innermost-dimension elements per vectorized "
                     "elementwise tile"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> noiseVectorSize{
      *this, "noise-vector-size",
      llvm::cl::desc("The same for the noise generators (4 lanes share a "
                     "Philox block)"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> noiseWorkFactor{
      *this, "noise-work-factor",
      llvm::cl::desc("Weight of a noise element against min-parallel-work"),
      llvm::cl::init(16)};
  PassOptions::Option<bool> outParams{
      *this, "out-params",
      llvm::cl::desc("Functions return nothing and write their results into "
                     "caller-provided buffers (appended arguments)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> cInterface{
      *this, "c-interface",
      llvm::cl::desc("Emit a _mlir_ciface_ wrapper for every defined "
                     "function"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> outlineFunctionOps{
      *this, "outline-function-ops",
      llvm::cl::desc("Functions with at least this many ops (in loops) get "
                     "one function per loop nest "
                     "(flops-cpu-outline-loop-nests; 0 = never)"),
      llvm::cl::init(2000)};
  PassOptions::Option<int64_t> outlineMaxOps{
      *this, "outline-max-ops",
      llvm::cl::desc("Largest loop nest outlined whole (bigger ones are "
                     "split inside)"),
      llvm::cl::init(2000)};
};

/// The fast CPU path: flops-to-linalg, flops-cpu-tile-and-vectorize,
/// one-shot bufferization, out-params, deallocation, loops (OpenMP with
/// num-threads > 1) and the LLVM dialect.
void buildLowerToCPUPipeline(OpPassManager &pm,
                             const LowerToCPUOptions &options);

/// Registers `flops-lower-to-cpu` (called by registerFlopsPipelines).
void registerLowerToCPUPipeline();

/// tosa -> linalg (named ops and generics), arith, tensor, then
/// flops-prepare-forward: the input form of flops-forward-train.
void buildTosaToForwardPipeline(OpPassManager &pm);

/// The shared tail of both CPU pipelines: loops, vectors and memrefs to the
/// LLVM dialect (OpenMP and the C-interface wrappers on request).
void buildLoopsToLLVMPipeline(OpPassManager &pm, bool openMP,
                              bool cInterface);

/// Registers every flops pipeline by name.
void registerFlopsPipelines();

} // namespace mlir::flops

#endif // FLOPS_PIPELINES_PIPELINES_H
