//===- CPUPipeline.cpp - the flops-lower-to-cpu pipeline -------------------===//
//
// The fast CPU path (docs/CODEGEN.md): the reference pipeline's structure with
// flops-cpu-tile-and-vectorize on tensors, results as out-params, vector
// lowering, and the scf.forall tiles as OpenMP parallel loops when
// num-threads > 1.
//
//===----------------------------------------------------------------------===//

#include "flops/Pipelines/Pipelines.h"

#include "flops/Codegen/Passes.h"
#include "flops/Conversion/Passes.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::flops::buildLowerToCPUPipeline(OpPassManager &pm,
                                          const LowerToCPUOptions &options) {
  bool threads = options.numThreads > 1;
  // The canonicalizers after tiling see one loop nest per layer in one big
  // function; MLIR's generic RegionBranchOpInterface patterns recompute a
  // loop's successor-operand mapping over its whole body whenever they look
  // at it, which took most of the lowering of big train steps.
  auto canonicalizeTiled = [&]() {
    if (options.regionBranchCanonicalization)
      return createCanonicalizerPass();
    return createCanonicalizerPass(
        GreedyRewriteConfig(),
        {"(anonymous namespace)::RemoveDuplicateSuccessorInputUses",
         "(anonymous namespace)::RemoveDeadRegionBranchOpSuccessorInputs",
         "(anonymous namespace)::MakeRegionBranchOpSuccessorInputsDead"});
  };

  // Tensors: the flops ops as linalg, then tiled and vectorized.
  // The noise stays one flops.counter_normal per element until
  // flops-cpu-tile-and-vectorize has vectorized it.
  ConvertFlopsToLinalgPassOptions toLinalg;
  toLinalg.expandNoise = false;
  pm.addPass(createConvertFlopsToLinalgPass(toLinalg));
  // Out-params need static result shapes at every call boundary; calls of
  // functions with a dynamic batch (@forward inside @train_step) are inlined
  // first (the flops ops have no inliner interface: after flops-to-linalg).
  if (options.outParams)
    pm.addPass(createInlinerPass());
  pm.addPass(createCanonicalizerPass());
  CPUTileAndVectorizePassOptions codegen;
  codegen.registerTileSizes.assign(options.registerTileSizes.begin(),
                                   options.registerTileSizes.end());
  codegen.cacheTileSizes.assign(options.cacheTileSizes.begin(),
                                options.cacheTileSizes.end());
  codegen.numThreads = options.numThreads;
  codegen.minParallelWork = options.minParallelWork;
  codegen.fuseElementwise = options.fuseElementwise;
  codegen.gatherIm2col = options.gatherIm2col;
  codegen.gatherFoldBatch = options.gatherFoldBatch;
  codegen.gatherTransposed = options.gatherTransposed;
  codegen.im2colSlices = options.im2colSlices;
  codegen.unrollTaps = options.unrollTaps;
  codegen.im2colFoldBatch = options.im2colFoldBatch;
  codegen.im2colPointwiseInPlace = options.im2colPointwiseInPlace;
  codegen.vectorizeElementwise = options.vectorizeElementwise;
  codegen.widenVectorLoops = options.widenVectorLoops;
  codegen.elementwiseVectorSize = options.elementwiseVectorSize;
  codegen.noiseVectorSize = options.noiseVectorSize;
  codegen.noiseWorkFactor = options.noiseWorkFactor;
  pm.addNestedPass<func::FuncOp>(createCPUTileAndVectorizePass(codegen));
  pm.addPass(canonicalizeTiled());
  pm.addPass(createCSEPass());

  // Buffers: identity layouts at function boundaries, results written into
  // caller-provided buffers, then ownership-based deallocation.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // Training loops carry tensors produced by calls (fresh buffers).
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // The tile loops now carry memrefs that they only forward: folding them
  // lets buffer-results-to-out-params see which allocation is returned (and
  // write into the caller's buffer instead of copying; that folding needs
  // the RegionBranchOpInterface patterns).
  pm.addPass(createCanonicalizerPass());
  if (options.outParams) {
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.hoistStaticAllocs = true;
    outParams.modifyPublicFunctions = true;
    pm.addNestedPass<func::FuncOp>(createDistinctReturnBuffersPass());
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  }
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  // Loops: what is left of linalg as scf.for, the thread tiles as OpenMP (or
  // sequential) loops, the vector transfers unrolled to 1-D.
  // Strided copies (padding) as loops, not calls into the runner utils.
  pm.addNestedPass<func::FuncOp>(createCPUExpandStridedCopiesPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (threads) {
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
    ConvertSCFToOpenMPPassOptions omp;
    omp.numThreads = options.numThreads;
    pm.addPass(createConvertSCFToOpenMPPass(omp));
  } else {
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  }
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1)));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  // LICM hoists the same invariant out of many loop nests (the noise
  // generators' Philox round keys, broadcast to each nest's vector width:
  // 1593 broadcasts of 84 distinct values in a small Inception's train
  // step); one per value, or each outlined nest and the chunk loop's body
  // take the copies as arguments.
  pm.addPass(createCSEPass());
  // Compile time: LLVM gets one function per loop nest of a big function
  // (after all MLIR-level hoisting, so the code inside is what it was).
  if (options.outlineFunctionOps > 0) {
    OutlineLoopNestsPassOptions outline;
    outline.minFunctionOps = options.outlineFunctionOps;
    outline.maxOps = options.outlineMaxOps;
    pm.addPass(createOutlineLoopNestsPass(outline));
    // The layers of a block, the evaluation step's forward and the training
    // step's, the noise sites of one shape: many outlined nests are the same
    // code, which LLVM then compiles once.
    if (options.mergeFunctions)
      pm.addPass(createMergeIdenticalFunctionsPass());
  }

  // LLVM dialect (shared with flops-reference-to-llvm).
  buildLoopsToLLVMPipeline(pm, /*openMP=*/threads, options.cInterface,
                           /*perFunction=*/true);
}

void mlir::flops::registerLowerToCPUPipeline() {
  PassPipelineRegistration<LowerToCPUOptions>(
      "flops-lower-to-cpu",
      "Lower flops ops to fast CPU code in the LLVM dialect: tiled and "
      "vectorized contractions and elementwise ops, out-params, optional "
      "OpenMP threads (see docs/CODEGEN.md)",
      buildLowerToCPUPipeline);
}
