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
  PassOptions::Option<bool> im2colSlices{
      *this, "im2col-slices",
      llvm::cl::desc("im2col of NCHW convolutions as strided-slice copies "
                     "(vectorized) instead of upstream's gather"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> im2colFoldBatch{
      *this, "im2col-fold-batch",
      llvm::cl::desc("NCHW convolutions with fewer output pixels than this "
                     "(and more than one image) as one matrix product with "
                     "the images in its columns; 0 = never"),
      llvm::cl::init(32)};
  PassOptions::Option<bool> im2colPointwiseInPlace{
      *this, "im2col-pointwise-in-place",
      llvm::cl::desc("1x1 stride-1 NCHW convolutions read their input as the "
                     "column matrix (no im2col copy)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> gatherIm2col{
      *this, "gather-im2col",
      llvm::cl::desc("Rewrite multiply-accumulate generics with one gathered "
                     "input (weight-gradient convolutions) as an im2col copy "
                     "+ a contraction"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> gatherFoldBatch{
      *this, "gather-fold-batch",
      llvm::cl::desc("Weight-gradient convolutions (gather-im2col) as one "
                     "product with the images folded into its reduction "
                     "(the deltas transposed to [f, n, P] first)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> gatherTransposed{
      *this, "gather-transposed",
      llvm::cl::desc("NCHW weight-gradient convolutions with n*oh*ow >= f: "
                     "columns [c*kh*kw, n*oh*ow] copied tap by tap "
                     "(vectorized) and dW^T = col * Δ^T, instead of a "
                     "scalar gather"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> unrollTaps{
      *this, "unroll-taps",
      llvm::cl::desc("Depthwise convolutions (multiply-accumulate generics "
                     "with a gathered input and <= 64 reduction iterations) "
                     "as vectorized sums of strided slices"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorizeElementwise{
      *this, "vectorize-elementwise",
      llvm::cl::desc("Tile and vectorize the all-parallel linalg ops"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> widenVectorLoops{
      *this, "widen-vector-loops",
      llvm::cl::desc("Elementwise ops with a short innermost dimension "
                     "(1x1 and 2x2 sites, 3x3 weights): unit loops dropped "
                     "and the vector loop collapsed with the outer loops "
                     "contiguous with it"),
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
  PassOptions::Option<bool> regionBranchCanonicalization{
      *this, "region-branch-canonicalization",
      llvm::cl::desc("Let the canonicalizer after tiling run MLIR's "
                     "RegionBranchOpInterface patterns (dead and duplicate "
                     "loop-carried values); off by default: their cost grows "
                     "with the square of a loop body's size (docs/CODEGEN.md, "
                     "\"Compile time\")"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> outlineMaxOps{
      *this, "outline-max-ops",
      llvm::cl::desc("Largest loop nest outlined whole (bigger ones are "
                     "split inside)"),
      llvm::cl::init(2000)};
  PassOptions::Option<bool> mergeFunctions{
      *this, "merge-functions",
      llvm::cl::desc("After outlining, keep one function of each set of "
                     "identical outlined functions "
                     "(flops-merge-identical-functions)"),
      llvm::cl::init(true)};
};

/// The fast CPU path: flops-to-linalg, flops-cpu-tile-and-vectorize,
/// one-shot bufferization, out-params, deallocation, loops (OpenMP with
/// num-threads > 1) and the LLVM dialect.
void buildLowerToCPUPipeline(OpPassManager &pm,
                             const LowerToCPUOptions &options);

/// Registers `flops-lower-to-cpu` (called by registerFlopsPipelines).
void registerLowerToCPUPipeline();

/// Options of `flops-lower-to-cuda` (see docs/GPU-CODEGEN.md).
struct LowerToCUDAOptions : public PassPipelineOptions<LowerToCUDAOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("GPU architecture of the device code"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX features (PTX ISA version)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit root (ptxas, fatbinary, libdevice)"),
      llvm::cl::init("/usr/local/cuda")};
  PassOptions::Option<int> optLevel{
      *this, "opt-level",
      llvm::cl::desc("Optimisation level of the device code (0-3)"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("gpu.binary format: fatbin, bin (cubin), isa (PTX "
                     "text) or offload (LLVM IR)"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<std::string> contraction{
      *this, "contraction",
      llvm::cl::desc("Contractions as our own tiled kernels (mlir) or as "
                     "calls of flopsGpuGemmF32, the runtime's cuBLAS "
                     "wrapper (cublas)"),
      llvm::cl::init("mlir")};
  PassOptions::Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("Contraction precision: f32, or tf32 / bf16 (only "
                     "with contraction=cublas)"),
      llvm::cl::init("f32")};
  PassOptions::Option<int64_t> blockSizeX{
      *this, "block-size-x",
      llvm::cl::desc("Threads of a block along x (innermost loop)"),
      llvm::cl::init(32)};
  PassOptions::Option<int64_t> blockSizeY{
      *this, "block-size-y", llvm::cl::desc("Threads of a block along y"),
      llvm::cl::init(8)};
  PassOptions::ListOption<int64_t> contractionThreadTile{
      *this, "contraction-thread-tile",
      llvm::cl::desc("Outputs (m, n) of a contraction per thread (empty: "
                     "4,4)")};
  PassOptions::Option<int64_t> contractionKTile{
      *this, "contraction-k-tile",
      llvm::cl::desc("k steps of a contraction's shared-memory block tile "
                     "(0: operands read from global memory)"),
      llvm::cl::init(32)};
  PassOptions::Option<bool> fuseLaunches{
      *this, "fuse-launches",
      llvm::cl::desc("Merge independent consecutive kernels into one "
                     "(flops-gpu-fuse-launches: the multi-tensor optimizer "
                     "update)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> serialKernels{
      *this, "serial-kernels",
      llvm::cl::desc("Run the host code between kernels (full reductions "
                     "to a scalar, metric stores, untiled copies) as "
                     "single-thread kernels (flops-gpu-serial-kernels), so "
                     "that it no longer waits for the kernels before it"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> hostLoops{
      *this, "host-loops",
      llvm::cl::desc("Test mode: stop before the GPU mapping and run the "
                     "tiled, fused block/thread loops as host loops (CPU "
                     "LLVM dialect, no gpu ops): the kernels' numerics "
                     "without a GPU"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> asyncLaunches{
      *this, "async-launches",
      llvm::cl::desc("Chain each run of consecutive kernel launches on one "
                     "stream (gpu.launch_func async), one synchronisation "
                     "before the host code that follows; false: every "
                     "launch synchronous on its own stream"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> stageArguments{
      *this, "stage-arguments",
      llvm::cl::desc("Let the caller pass plain device memory: the buffer "
                     "arguments host code touches get managed shadows with "
                     "explicit copies in and out (flops-gpu-stage-arguments)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> hostLaunches{
      *this, "host-launches",
      llvm::cl::desc("Test mode: map the loops to gpu.launch and merge "
                     "launches as for the GPU, then run the launches as "
                     "host loops (flops-gpu-launch-to-loops; CPU LLVM "
                     "dialect): the kernels as launched, without a GPU"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> stopAtKernels{
      *this, "stop-at-kernels",
      llvm::cl::desc("Inspection mode: stop after kernel outlining (host "
                     "func.func + gpu.module/gpu.func, the noise still "
                     "flops.counter_normal)"),
      llvm::cl::init(false)};
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
};

/// The CUDA path: flops-to-linalg, flops-gpu-tile-and-distribute on
/// tensors, bufferization, out-params, deallocation, flops-gpu-map-forall
/// (gpu.launch), managed host buffers, kernel outlining, NVVM and the host
/// LLVM dialect, gpu.binary via ptxas.
void buildLowerToCUDAPipeline(OpPassManager &pm,
                              const LowerToCUDAOptions &options);

/// Registers `flops-lower-to-cuda` (called by registerFlopsPipelines).
void registerLowerToCUDAPipeline();

/// tosa -> linalg (named ops and generics), arith, tensor, then
/// flops-prepare-forward: the input form of flops-forward-train.
void buildTosaToForwardPipeline(OpPassManager &pm);

/// The shared tail of both CPU pipelines: loops, vectors and memrefs to the
/// LLVM dialect (OpenMP and the C-interface wrappers on request).
/// `perFunction`: the conversions that work on any op (strided metadata,
/// affine, scf, vector, math, arith, index, ub) run nested on each
/// `func.func`, so that MLIR's thread pool converts the functions of an
/// outlined module in parallel; only for modules whose code is all in
/// `func.func`s (not the CUDA pipeline's `gpu.module`s).
void buildLoopsToLLVMPipeline(OpPassManager &pm, bool openMP,
                              bool cInterface, bool perFunction = false);

/// Registers every flops pipeline by name.
void registerFlopsPipelines();

} // namespace mlir::flops

#endif // FLOPS_PIPELINES_PIPELINES_H
