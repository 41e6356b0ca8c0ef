//===- CUDAPipeline.cpp - the flops-lower-to-cuda pipeline -----------------===//
//
// The CUDA path (docs/GPU-CODEGEN.md): the CPU pipeline's structure with
// flops-gpu-tile-and-distribute on tensors (block/thread scf.forall nests,
// fills fused, noise fused into its consumers), then after bufferization
// flops-gpu-map-forall (gpu.launch), managed host buffers, outlining, NVVM
// with IEEE square roots, the host in the LLVM dialect, and gpu.binary from
// ptxas.
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
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
/// Fails with `message` on the module: how the pipeline rejects option
/// values it does not implement (never silently something else).
struct RejectPass : PassWrapper<RejectPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RejectPass)
  explicit RejectPass(std::string message) : message(std::move(message)) {}
  StringRef getArgument() const override { return "flops-cuda-reject"; }
  void runOnOperation() override {
    getOperation().emitError(message);
    signalPassFailure();
  }
  std::string message;
};
/// Synchronises (and destroys) the stream of every flopsGpuGemmF32 call
/// right after it: `gpu.wait [%stream]`. Runs just before gpu-to-llvm,
/// after the last canonicalization (which would erase the wait: it sees
/// no gpu work on the stream).
struct GemmSyncPass : PassWrapper<GemmSyncPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(GemmSyncPass)
  StringRef getArgument() const override { return "flops-cuda-gemm-sync"; }
  void runOnOperation() override {
    getOperation().walk([](func::CallOp call) {
      if (call.getCallee() != "flopsGpuGemmF32" || call.getNumOperands() == 0)
        return;
      Value stream = call.getOperands().back();
      if (!isa<gpu::AsyncTokenType>(stream.getType()))
        return;
      OpBuilder b(call);
      b.setInsertionPointAfter(call);
      gpu::WaitOp::create(b, call.getLoc(), Type(), ValueRange{stream});
    });
  }
};
/// Chains each run of kernel launches on one stream: `gpu.wait async`
/// (a new stream) before the first, `gpu.launch_func async` in order on
/// its token, and one `gpu.wait` (synchronise, destroy) before the first
/// op after the run that is not pure (host code that may read what the
/// kernels wrote, a call, a deallocation) and before the block's
/// terminator. Synchronous `gpu.alloc`s (managed memory) may sit inside a
/// run, and so may an scf.for whose body holds only launches and pure ops
/// (its launches go on the run's stream, no wait per iteration). Runs
/// after outlining, while the host loops are scf, with no host
/// canonicalization after it.
struct AsyncLaunchesPass
    : PassWrapper<AsyncLaunchesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(AsyncLaunchesPass)
  StringRef getArgument() const override { return "flops-cuda-async-launches"; }
  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation().walk([&](gpu::LaunchFuncOp launch) {
      if (launch->getParentOfType<gpu::GPUModuleOp>())
        return;
      Block *b = launch->getBlock();
      if (!llvm::is_contained(blocks, b))
        blocks.push_back(b);
    });
    // Outer blocks first: a loop of launches inside a run joins it.
    auto depth = [](Block *b) {
      int d = 0;
      for (Operation *p = b->getParentOp(); p; p = p->getParentOp())
        ++d;
      return d;
    };
    llvm::stable_sort(blocks, [&](Block *a, Block *b) {
      return depth(a) < depth(b);
    });
    for (Block *b : blocks)
      if (!absorbed.contains(b))
        chain(b, Value());
  }
  /// An scf.for whose body holds only launches, pure ops and such loops:
  /// it joins the run around it (every iteration's launches on the run's
  /// stream, no synchronisation per iteration).
  static bool launchesOnly(Operation *op) {
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop)
      return false;
    bool launches = false;
    for (Operation &inner : *loop.getBody()) {
      if (isa<gpu::LaunchFuncOp>(inner)) {
        launches = true;
        continue;
      }
      if (isa<scf::ForOp>(inner)) {
        if (!launchesOnly(&inner))
          return false;
        launches = true;
        continue;
      }
      if (!inner.hasTrait<OpTrait::IsTerminator>() &&
          !isMemoryEffectFree(&inner))
        return false;
    }
    return launches;
  }
  /// Chains the launches of `block` on one stream per run; `outer`: the
  /// token of the run a loop body joins (no wait at its terminator).
  void chain(Block *block, Value outer) {
    Type tokenType = gpu::AsyncTokenType::get(&getContext());
    Value token = outer;
    for (Operation &op : llvm::make_early_inc_range(*block)) {
      OpBuilder b(&op);
      if (launchesOnly(&op)) {
        if (!token)
          token = gpu::WaitOp::create(b, op.getLoc(), tokenType, ValueRange{})
                      .getAsyncToken();
        Block *body = cast<scf::ForOp>(op).getBody();
        absorbed.insert(body);
        chain(body, token);
        continue;
      }
      if (outer && op.hasTrait<OpTrait::IsTerminator>())
        return;
      auto launch = dyn_cast<gpu::LaunchFuncOp>(&op);
      if (launch && launch.getAsyncDependencies().empty() &&
          !launch.getAsyncToken() && !launch.getAsyncObject()) {
        if (!token)
          token = gpu::WaitOp::create(b, launch.getLoc(), tokenType,
                                      ValueRange{})
                      .getAsyncToken();
        auto async = gpu::LaunchFuncOp::create(
            b, launch.getLoc(), launch.getKernelAttr(),
            launch.getGridSizeOperandValues(),
            launch.getBlockSizeOperandValues(),
            launch.getDynamicSharedMemorySize(), launch.getKernelOperands(),
            tokenType, ValueRange{token},
            launch.hasClusterSize()
                ? std::optional<gpu::KernelDim3>(
                      launch.getClusterSizeOperandValues())
                : std::nullopt);
        token = async.getAsyncToken();
        launch.erase();
        continue;
      }
      if (!token)
        continue;
      auto alloc = dyn_cast<gpu::AllocOp>(&op);
      bool syncAlloc = alloc && alloc.getAsyncDependencies().empty() &&
                       !alloc.getAsyncToken();
      if (!op.hasTrait<OpTrait::IsTerminator>() &&
          (syncAlloc || isMemoryEffectFree(&op)))
        continue;
      gpu::WaitOp::create(b, op.getLoc(), Type(), ValueRange{token});
      token = Value();
    }
  }
  llvm::SmallPtrSet<Block *, 8> absorbed;
};

/// The test modes' tail: what remains of the kernels (their noise, strided
/// copies, linalg ops and vector masks) lowered to host loops and on to the
/// LLVM dialect, as the CPU pipeline does without OpenMP.
void addHostLoopsTail(OpPassManager &pm,
                      const flops::LowerToCUDAOptions &options,
                      bool forallToFor) {
  pm.addPass(flops::createExpandNoisePass());
  pm.addNestedPass<func::FuncOp>(flops::createCPUExpandStridedCopiesPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (forallToFor)
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1)));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  flops::buildLoopsToLLVMPipeline(pm, /*openMP=*/false, options.cInterface);
}
} // namespace

void mlir::flops::buildLowerToCUDAPipeline(OpPassManager &pm,
                                           const LowerToCUDAOptions &options) {
  std::string contraction = options.contraction;
  std::string precision = options.precision;
  bool cublas = contraction == "cublas";
  if (contraction != "mlir" && !cublas) {
    pm.addPass(std::make_unique<RejectPass>(
        "flops-lower-to-cuda: unknown contraction '" + contraction +
        "' (expected mlir or cublas)"));
    return;
  }
  int64_t precisionCode = precision == "f32"    ? 0
                          : precision == "tf32" ? 1
                          : precision == "bf16" ? 2
                                                : -1;
  if (precisionCode < 0) {
    pm.addPass(std::make_unique<RejectPass>(
        "flops-lower-to-cuda: unknown precision '" + precision +
        "' (expected f32, tf32 or bf16)"));
    return;
  }
  if (precisionCode > 0 && !cublas) {
    pm.addPass(std::make_unique<RejectPass>(
        "flops-lower-to-cuda: precision=" + precision +
        " needs contraction=cublas (the mlir contractions have no tensor-core "
        "path yet)"));
    return;
  }
  if (options.hostLoops && options.hostLaunches) {
    pm.addPass(std::make_unique<RejectPass>(
        "flops-lower-to-cuda: host-loops and host-launches are two test "
        "modes; choose one"));
    return;
  }
  if (options.stageArguments && (options.hostLoops || options.hostLaunches)) {
    pm.addPass(std::make_unique<RejectPass>(
        "flops-lower-to-cuda: stage-arguments=true stages device buffers; "
        "the host-loops/host-launches test modes run on host memory"));
    return;
  }
  if (cublas && (options.hostLoops || options.hostLaunches)) {
    pm.addPass(std::make_unique<RejectPass>(
        "flops-lower-to-cuda: host-loops=true tests our own kernels; it "
        "cannot run contraction=cublas"));
    return;
  }

  // Tensors: the flops ops as linalg (the noise stays one
  // flops.counter_normal per element, expanded where it ends up), inlined
  // calls (static out-params), then the block/thread tiling with fusion.
  ConvertFlopsToLinalgPassOptions toLinalg;
  toLinalg.expandNoise = false;
  pm.addPass(createConvertFlopsToLinalgPass(toLinalg));
  if (options.outParams)
    pm.addPass(createInlinerPass());
  pm.addPass(createCanonicalizerPass());
  // Equal contractions once (the clean and the perturbed forward share
  // x W): their shared-memory tiles allocate, so cse cannot merge the
  // tiled nests afterwards.
  pm.addPass(createCSEPass());
  GPUTileAndDistributePassOptions tiling;
  tiling.blockSizeX = options.blockSizeX;
  tiling.blockSizeY = options.blockSizeY;
  tiling.contractionThreadTile.assign(options.contractionThreadTile.begin(),
                                      options.contractionThreadTile.end());
  tiling.tileContractions = !cublas;
  tiling.contractionKTile = options.contractionKTile;
  tiling.workgroupMemory = !options.hostLoops;
  pm.addNestedPass<func::FuncOp>(createGPUTileAndDistributePass(tiling));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Buffers, as in flops-lower-to-cpu.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // cse first: the tiles' memref.copy %x, %x self-copies then fold away.
  pm.addPass(createCSEPass());
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
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());

  if (options.hostLoops) {
    // Test mode: the block/thread loops run as host loops, on the CPU tail.
    addHostLoopsTail(pm, options, /*forallToFor=*/true);
    return;
  }

  // Contractions left whole: cuBLAS calls on managed buffers.
  if (cublas) {
    GPUContractionsToGemmPassOptions gemm;
    gemm.precision = precisionCode;
    pm.addPass(createGPUContractionsToGemmPass(gemm));
  }

  if (options.hostLaunches) {
    // Test mode: the launches as built for the GPU, run as host loops.
    pm.addNestedPass<func::FuncOp>(createGPUMapForallPass());
    if (options.serialKernels)
      pm.addNestedPass<func::FuncOp>(createGPUSerialKernelsPass());
    if (options.fuseLaunches)
      pm.addNestedPass<func::FuncOp>(createGPUFuseLaunchesPass());
    pm.addNestedPass<func::FuncOp>(createGPULaunchToLoopsPass());
    addHostLoopsTail(pm, options, /*forallToFor=*/false);
    return;
  }

  // Kernels: gpu.launch per block nest, managed host buffers, the noise
  // expanded in place, loops, outlining.
  pm.addNestedPass<func::FuncOp>(createGPUMapForallPass());
  if (options.serialKernels)
    pm.addNestedPass<func::FuncOp>(createGPUSerialKernelsPass());
  pm.addNestedPass<func::FuncOp>(createGPUHostSharedMemoryPass());
  if (options.stageArguments)
    pm.addNestedPass<func::FuncOp>(createGPUStageArgumentsPass());
  if (options.fuseLaunches)
    pm.addNestedPass<func::FuncOp>(createGPUFuseLaunchesPass());
  pm.addNestedPass<func::FuncOp>(createCPUExpandStridedCopiesPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  // The register tiles' masks and transfers as 1-D vector code.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1)));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  pm.addPass(createGpuKernelOutliningPass());
  if (options.stopAtKernels)
    return;
  // Streams for the runs of launches, while the host loops are still scf
  // (a loop of launches joins the run around it); no host canonicalization
  // follows (it would erase waits it sees no GPU work for).
  if (options.asyncLaunches)
    pm.addPass(std::make_unique<AsyncLaunchesPass>());
  // The noise expanded where it ended up (kernels and host), square roots
  // made IEEE in the kernels.
  pm.addPass(createExpandNoisePass());
  pm.addNestedPass<gpu::GPUModuleOp>(createGPUExactMathPass());

  // Device code: NVVM, then (after the host) ptxas through
  // gpu-module-to-binary.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addNestedPass<gpu::GPUModuleOp>(createGPUNumericAddressSpacesPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());

  // Host code, as the CPU tail plus the GPU runtime calls.
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  if (options.cInterface)
    pm.addPass(createEmitCInterfacePass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (cublas)
    pm.addPass(std::make_unique<GemmSyncPass>());
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());

  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkit;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::flops::registerLowerToCUDAPipeline() {
  PassPipelineRegistration<LowerToCUDAOptions>(
      "flops-lower-to-cuda",
      "Lower flops ops to CUDA: fused block/thread kernels (noise generated "
      "in its consumers), managed buffers, host code in the LLVM dialect "
      "with a gpu.binary (see docs/GPU-CODEGEN.md)",
      buildLowerToCUDAPipeline);
}
