//===- Passes.td - flops code generation passes ------------*- tablegen -*-===//

#ifndef FLOPS_CODEGEN_PASSES_TD
#define FLOPS_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def CPUTileAndVectorizePass
    : Pass<"flops-cpu-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg contractions for cache and registers, "
                "vectorize them and the elementwise ops (CPU, on tensors)";
  let description = [{
    The tensor-level half of the fast CPU path (`flops-lower-to-cpu`):

    1. `fuse-elementwise`: fuses single-use elementwise producers into their
       linalg.generic consumers, never into a contraction or a convolution
       (which would stop being recognisable as one).
    2. `im2col`: rewrites `linalg.conv_2d_{nchw_fchw,nhwc_hwcf,nhwc_fhwc}`
       into an im2col gather and a matmul-shaped contraction (with
       `im2col-slices`, the NCHW im2col with unit dilations is one
       strided-slice copy per filter tap, vectorized along the output row);
       `gather-im2col`: the same for a multiply-accumulate `linalg.generic`
       that reads one input through a non-projected map (the weight-gradient
       convolution Σ Δ · x_pad of the LR rule): the gathered input is copied
       into a column tensor over the loops it uses, and the rest is a
       contraction whose loops contiguous in every operand are collapsed.
    3. `transpose-rhs`: a contraction whose rhs is not contiguous along the
       vectorized n dimension (`x . w^T` with `w` stored out x in, the
       forward layer of an imported model) reads a `linalg.transpose`d copy
       of it instead (one O(k n) copy for an O(m n k) product).
    4. Every contraction (any linalg op matching the contraction interface:
       `linalg.matmul`, `batch_matmul`, transposed variants written as
       `linalg.generic`s, the im2col contractions) is tiled up to three
       times: an `scf.forall` over its outermost parallel dimension (only
       when `num-threads` > 1 and the op has at least `min-parallel-work`
       iterations; the step is the largest multiple of the register tile
       that divides the extent into at least `num-threads` equal chunks),
       `scf.for` cache tiles (`cache-tile-sizes`, in (m, n, k) of the
       contraction; each size shrinks to a divisor of the extent when one
       exists) and `scf.for` register tiles (`register-tile-sizes`, (m, n,
       k); n counts 32-bit lanes, halved for f64); the register tile is
       then vectorized to `vector.contract` (masked when partial).
    5. `vectorize-elementwise`: all-parallel linalg ops are tiled to one
       row of `elementwise-vector-size` elements of their innermost
       dimension (plus the same `scf.forall` split) and vectorized. Ops the
       vectorizer rejects keep their scalar form.
    6. Loop-invariant accumulator reads/writes are hoisted out of the
       reduction loops, and with `lower-contractions` the vector.contracts
       are lowered to vector.fma (outer-product strategy).

    The math of the generated noise is untouched: `math.log/cos/sin/exp`
    stay `math` ops (on vectors) that the LLVM conversion turns into libm
    calls; no polynomial approximation is introduced.
  }];
  let options = [
    ListOption<"registerTileSizes", "register-tile-sizes", "int64_t",
               "Register tile (m, n, k) of a contraction: the shape of its "
               "vector.contract (empty: 8,32,1)">,
    ListOption<"cacheTileSizes", "cache-tile-sizes", "int64_t",
               "Cache tile (m, n, k) of a contraction; 0 leaves a dimension "
               "untiled, 0,0,0 disables the level (empty: 64,256,256)">,
    Option<"numThreads", "num-threads", "int64_t", /*default=*/"1",
           "Threads to split the outermost parallel dimension over with an "
           "scf.forall (1: no scf.forall)">,
    Option<"minParallelWork", "min-parallel-work", "int64_t",
           /*default=*/"65536",
           "Minimal static iteration count of an op for the scf.forall "
           "split">,
    Option<"fuseElementwise", "fuse-elementwise", "bool", /*default=*/"true",
           "Fuse single-use elementwise producers into their consumers "
           "(never into contractions or convolutions)">,
    Option<"im2col", "im2col", "bool", /*default=*/"true",
           "Rewrite 2-D convolutions as im2col + contraction">,
    Option<"im2colSlices", "im2col-slices", "bool", /*default=*/"true",
           "im2col of conv_2d_nchw_fchw (unit dilations) as strided-slice "
           "copies, vectorized along the output row (false: upstream's "
           "gather)">,
    Option<"im2colFoldBatch", "im2col-fold-batch", "int64_t",
           /*default=*/"32",
           "NCHW convolutions (slice im2col) with more than one image and "
           "fewer output pixels than this (default: one register tile's 32 "
           "lanes): the images in the columns of one matrix product "
           "[f, n*oh*ow] (transposed in and out) instead of one product per "
           "image; 0 = never">,
    Option<"im2colPointwiseInPlace", "im2col-pointwise-in-place", "bool",
           /*default=*/"true",
           "1x1 stride-1 NCHW convolutions over an unpadded input (slice "
           "im2col, one product per image): the input itself is the column "
           "matrix, no copy">,
    Option<"gatherIm2col", "gather-im2col", "bool", /*default=*/"true",
           "Rewrite multiply-accumulate generics with one gathered input "
           "(weight-gradient convolutions) as a copy + contraction">,
    Option<"gatherFoldBatch", "gather-fold-batch", "bool", /*default=*/"true",
           "In that rewrite, transpose the other input so that its "
           "reduction dimensions come last (Δ[n, f, P] as [f, n, P]): a "
           "weight gradient becomes one product with the images and pixels "
           "in its reduction instead of one per image">,
    Option<"gatherTransposed", "gather-transposed", "bool",
           /*default=*/"true",
           "In that rewrite, NCHW weight-gradient convolutions with at least "
           "as many images x output pixels as output channels (and c*kh*kw "
           "a multiple of the register tile's m) take their "
           "columns tap by tap as [c*kh*kw, n*oh*ow] (strided-slice copies, "
           "vectorized along the output row) and compute dW^T = "
           "col * Δ^T, instead of a scalar gather into [n*oh*ow, c*kh*kw]">,
    Option<"unrollTaps", "unroll-taps", "bool", /*default=*/"true",
           "Rewrite multiply-accumulate generics with one gathered input and "
           "at most 64 reduction iterations (depthwise convolutions) as "
           "all-parallel sums of strided slices, vectorized and fused with "
           "their epilogue">,
    Option<"transposeRhs", "transpose-rhs", "bool", /*default=*/"true",
           "Copy a contraction rhs that is not contiguous along n (x . w^T) "
           "into a transposed tensor first">,
    Option<"vectorizeElementwise", "vectorize-elementwise", "bool",
           /*default=*/"true",
           "Tile and vectorize all-parallel linalg ops">,
    Option<"widenVectorLoops", "widen-vector-loops", "bool",
           /*default=*/"true",
           "When the innermost output dimension of an elementwise op is "
           "shorter than its vector size (1x1 and 2x2 sites, 3x3 weights), "
           "drop its unit loops and collapse the vector loop with the outer "
           "loops contiguous with it in every operand first">,
    Option<"elementwiseVectorSize", "elementwise-vector-size", "int64_t",
           /*default=*/"16",
           "Elements of the innermost dimension per vectorized elementwise "
           "tile">,
    Option<"expandNoise", "expand-noise", "bool", /*default=*/"true",
           "Expand flops.counter_normal after vectorization (as "
           "flops-expand-noise does); false leaves it (for tests)">,
    Option<"noiseWorkFactor", "noise-work-factor", "int64_t",
           /*default=*/"16",
           "Each element of an op that generates noise counts this many "
           "times against min-parallel-work (a normal costs about a hundred "
           "instructions: the training step's 64 x 256 noise tiles are "
           "worth splitting across threads)">,
    Option<"noiseVectorSize", "noise-vector-size", "int64_t",
           /*default=*/"64",
           "The same for the ops that generate noise (flops.counter_normal, "
           "expanded here after vectorization: 4 lanes share a Philox "
           "block)">,
    Option<"lowerContractions", "lower-contractions", "bool",
           /*default=*/"true",
           "Lower vector.contract to vector.fma (outer products) after "
           "hoisting the accumulators">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def CPUExpandStridedCopiesPass
    : Pass<"flops-cpu-expand-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy between non-contiguous buffers as "
                "linalg.copy";
  let description = [{
    The LLVM conversion lowers a `memref.copy` whose operands are not both
    contiguous (the interior of a padded convolution input, a strided
    subview) to a call of `memrefCopy` from `libmlir_c_runner_utils.so`, a
    library an ExecutionEngine client does not load by default. This pass
    turns such copies into `linalg.copy`, which the loop lowering that
    follows makes plain loops; contiguous copies stay `memref.copy` (a
    `memcpy`).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def DistinctReturnBuffersPass
    : Pass<"flops-distinct-return-buffers", "::mlir::func::FuncOp"> {
  let summary = "Give every memref a function returns its own buffer";
  let description = [{
    A function that returns the same buffer more than once (an ONNX graph
    listing one value as two outputs, or two equal results that CSE merged,
    e.g. two zero-size splits) crashes upstream
    `buffer-results-to-out-params` (MLIR 22). This pass, run on memrefs just
    before it, returns a fresh copy (`memref.alloc` + `memref.copy`) for each
    repeated occurrence, so that every result has its own buffer.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def EmitCInterfacePass : Pass<"flops-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Mark every defined func.func with llvm.emit_c_interface";
  let description = [{
    Adds the `llvm.emit_c_interface` unit attribute to every `func.func`
    with a body, so that the LLVM conversion emits a `_mlir_ciface_<name>`
    wrapper taking memref descriptors by pointer (what a C++ driver over
    the ExecutionEngine calls). Declarations keep their attributes: an
    external function is called with the convention it was declared with.
  }];
}

def GPUTileAndDistributePass
    : Pass<"flops-gpu-tile-and-distribute", "::mlir::func::FuncOp"> {
  let summary = "Tile and fuse linalg ops into scf.forall nests mapped to "
                "GPU blocks and threads (on tensors)";
  let description = [{
    The tensor-level half of `flops-lower-to-cuda` (docs/GPU-CODEGEN.md):

    1. Single-use elementwise producers (the noise generators with their
       `flops.counter_normal`, bias additions, activations) are fused into
       their linalg consumers (not into contractions).
    2. Every linalg op with static shapes and at least one parallel loop,
       consumers first, is tiled with an `scf.forall` over blocks
       (`#gpu.block<x/y/z>`; x = the parallel loop innermost in the first
       result, for coalescing) into which its `linalg.fill` producers are
       fused, and inside it an `scf.forall` over `#gpu.thread<x/y>`
       (`block-size-x` by `block-size-y` threads) into which the fills are
       fused again. Reduction loops stay inside each thread. A
       contraction's thread tile is `contraction-thread-tile` (m, n) outputs,
       register-tiled: its k loop runs over a vector accumulator of that
       shape that stays in registers.
    3. Ops that cannot be tiled this way (no parallel loop, dynamic shapes,
       non-linalg tensor ops) are left alone: they become host code.
  }];
  let options = [
    Option<"blockSizeX", "block-size-x", "int64_t", /*default=*/"32",
           "Threads of a block along x (the innermost parallel loop)">,
    Option<"blockSizeY", "block-size-y", "int64_t", /*default=*/"8",
           "Threads of a block along y">,
    ListOption<"contractionThreadTile", "contraction-thread-tile", "int64_t",
               "Outputs (m, n) of a contraction computed by one thread "
               "(empty: 4,4; 1,1 = no register tile)">,
    Option<"fuseElementwise", "fuse-elementwise", "bool", /*default=*/"true",
           "Fuse single-use elementwise producers into their consumers">,
    Option<"tileContractions", "tile-contractions", "bool", /*default=*/"true",
           "Tile the contractions that flops-gpu-contractions-to-gemm can "
           "call cuBLAS for (false: leave them whole for it)">,
    Option<"contractionKTile", "contraction-k-tile", "int64_t",
           /*default=*/"32",
           "k steps of a contraction's shared-memory block tile: the block "
           "copies its A and B chunks into workgroup memory and the threads "
           "compute from there (0: no staging, operands read from global "
           "memory)">,
    Option<"workgroupMemory", "workgroup-memory", "bool", /*default=*/"true",
           "Stage the chunks in #gpu.address_space<workgroup> buffers "
           "(false: plain buffers, for running the nests as host loops)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def GPUMapForallPass : Pass<"flops-gpu-map-forall", "::mlir::func::FuncOp"> {
  let summary = "Turn block/thread-mapped scf.forall nests (on memrefs) into "
                "gpu.launch";
  let description = [{
    Every outermost `scf.forall` mapped to `#gpu.block<...>` becomes a
    `gpu.launch` whose grid is its trip counts; the `scf.forall`s mapped to
    `#gpu.thread<...>` inside it become the thread ids (the block size is
    the largest trip count per dimension; a smaller nest is guarded by an
    `scf.if`, and consecutive thread nests are separated by `gpu.barrier`).
    Side-effecting ops of the block body outside every thread nest run on
    thread 0 only, followed by a barrier. A per-thread `memref.alloc` of
    static shape inside a kernel becomes a `memref.alloca` (no device
    malloc); any other allocation in a kernel is an error.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def GPUFuseLaunchesPass : Pass<"flops-gpu-fuse-launches", "::mlir::func::FuncOp"> {
  let summary = "Merge independent consecutive gpu.launch ops into one "
                "(horizontal fusion: the multi-tensor optimizer update)";
  let description = [{
    Consecutive `gpu.launch` ops of a block (static grid and block sizes, no
    async tokens, one body block, no workgroup/private attributions) that
    touch disjoint memory become one launch: its grid is 1-D, the sum of
    the parts' block counts; each part runs under `scf.if` on its range of
    block ids, its block ids recovered from the linear one. The block size
    is the per-dimension maximum; a part with a smaller block is guarded by
    its thread ids, and a part that contains a `gpu.barrier` only joins
    launches of its own block size (no barrier under a thread guard).

    Two launches are independent when neither writes a buffer the other
    reads or writes. Buffers are traced through view-like ops to their
    root: distinct allocations, globals and function arguments are
    distinct memory (the step ABI: results never alias arguments; see
    docs/GPU-CODEGEN.md); any other root may alias anything. Host ops
    between the parts must commute with the earlier parts under the same
    rule (the merged launch takes the place of the last part); an op with
    unknown effects (a call) ends the group. A merged launch keeps its
    parameters (the outlined kernel's, estimated from the values it
    captures) within `max-param-bytes`. This is how the optimizer
    update of all parameters becomes one kernel (multi-tensor).
  }];
  let options = [
    Option<"maxParts", "max-parts", "int64_t", /*default=*/"64",
           "Most launches merged into one">,
    Option<"maxParamBytes", "max-param-bytes", "int64_t", /*default=*/"4096",
           "Most bytes of kernel parameters of a merged launch (estimated "
           "from the values it captures; PTX before 8.1 allows 4352)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def GPULaunchToLoopsPass
    : Pass<"flops-gpu-launch-to-loops", "::mlir::func::FuncOp"> {
  let summary = "Run gpu.launch bodies as host loops (test mode)";
  let description = [{
    How `flops-lower-to-cuda{host-launches=true}` tests the kernels that
    `flops-gpu-map-forall` and `flops-gpu-fuse-launches` build on the CPU:
    each synchronous `gpu.launch` becomes `scf.for` loops over its grid
    (z, y, x); in a block, thread-independent pure ops run once, and the
    code between two `gpu.barrier`s runs in a loop nest over the block's
    threads (x innermost), each iteration in a `memref.alloca_scope`. A
    barrier may sit under a result-free `scf.if` on a thread-independent
    condition (the merged launches' parts); any other barrier placement,
    or a per-thread value used across a barrier, is an error.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def GPUSerialKernelsPass
    : Pass<"flops-gpu-serial-kernels", "::mlir::func::FuncOp"> {
  let summary = "Move the host code between kernels into single-thread "
                "kernels";
  let description = [{
    After `flops-gpu-map-forall` (on memrefs): each maximal run of
    consecutive host ops that a kernel can execute (arith, math, scf.for/if,
    memref loads, stores, copies and views, linalg ops on memrefs: the full
    reductions to a scalar, metric stores, untiled copies) becomes one
    `gpu.launch` of one block of one thread, so that a step's launches are
    no longer separated by host code that waits for them. Pure ops whose
    operands come from outside the run stay on the host (the kernel
    captures them). A scalar the moved code defines and later code uses
    goes through an 8-byte slot of one buffer per function: the kernel
    stores it, a later kernel loads it at its start, and only a use that
    stays on the host (a loop bound, a grid size) loads it on the host.
    Not moved: allocations, deallocations, calls, `gpu` ops, anything
    touching a `memref.get_global` (host memory), ops producing buffers
    from moved values, and bulk work (a linalg op with dynamic shapes or
    more than 65536 loop iterations, a copy of more than 65536 or a
    dynamic number of elements), which one thread would run far slower
    than the host. The order of the moved ops and their
    arithmetic are unchanged (same results as on the host).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def GPUHostSharedMemoryPass
    : Pass<"flops-gpu-host-shared-memory", "::mlir::func::FuncOp"> {
  let summary = "Allocate the host buffers as CUDA managed memory";
  let description = [{
    The first memory model of `flops-lower-to-cuda`: every buffer is
    accessible from the host and the device. Host `memref.alloc`s become
    `gpu.alloc host_shared` (mgpuMemAlloc with hostShared = 1, i.e.
    cuMemAllocManaged), their `memref.dealloc`s a `gpu.dealloc` on a
    stream that is synchronised; `memref.get_global` constants that a kernel
    may read are copied into such a buffer (freed at the end of the block).

    A function with the unit attribute `flops.gpu.device_memory` (a caller
    that keeps its buffers on the device, e.g. a test harness) gets plain
    device allocations (`gpu.alloc`, cuMemAlloc) instead, its constants
    copied with `gpu.memcpy`; its own host code must not touch them.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def GPUStageArgumentsPass
    : Pass<"flops-gpu-stage-arguments", "::mlir::func::FuncOp"> {
  let summary = "Managed shadows of the buffer arguments that host code touches";
  let description = [{
    Lets the caller pass plain device memory (cuMemAlloc, which the host
    cannot read) for the step's arguments and out-params. Every memref
    argument of the function that host code (an op outside the
    `gpu.launch`es other than views, `memref.dim` and `gpu.memcpy` /
    `gpu.memset`) may access, traced through view-like ops, is replaced by
    a managed shadow (`gpu.alloc host_shared`): at entry the shadows are
    filled from the arguments (`gpu.memcpy`, all on one stream, one
    synchronisation), and before each return the shadows that anything may
    write are copied back (one stream, one synchronisation) and all are
    freed. Arguments only kernels touch stay as they are, with no copy.
    First, whole-buffer host `memref.copy`s from or to an argument
    (static identity layouts) become `gpu.memcpy`s, which need no shadow.
    Anything the analysis does not understand (a call, a loop-carried
    buffer) counts as a host access that may write.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def GPUExactMathPass : Pass<"flops-gpu-exact-math", "::mlir::gpu::GPUModuleOp"> {
  let summary = "IEEE square roots in the kernels";
  let description = [{
    `math.sqrt` on f32 inside a gpu.module would become libdevice's
    `__nv_sqrtf`, which NVVM reflects to `sqrt.approx`: the noise's
    Box-Muller radius would differ from the CPU's. It becomes a call of
    the intrinsic `llvm.nvvm.sqrt.rn.f` (PTX `sqrt.rn.f32`, correctly
    rounded as on the CPU). Vector square roots in kernels are rejected.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def GPUNumericAddressSpacesPass
    : Pass<"flops-gpu-numeric-address-spaces", "::mlir::gpu::GPUModuleOp"> {
  let summary = "NVVM's numeric address spaces for #gpu.address_space in "
                "the kernels' types";
  let description = [{
    Shared-memory tiles are `#gpu.address_space<workgroup>` memrefs.
    `convert-gpu-to-nvvm` maps that attribute only in the ops it converts;
    the kernels' vector loads and stores are converted later (with the host
    code), whose type converter does not know it. This pass rewrites the
    attribute in every type of the gpu.module to NVVM's numbers
    (global 1, workgroup 3, private 5) first.
  }];
}

def GPUContractionsToGemmPass
    : Pass<"flops-gpu-contractions-to-gemm", "::mlir::ModuleOp"> {
  let summary = "Rewrite host-side f32 contractions on memrefs into calls "
                "of flopsGpuGemmF32 (cuBLAS)";
  let description = [{
    `contraction=cublas` of `flops-lower-to-cuda`, after bufferization: a
    linalg contraction outside kernels with one m, n and k dimension and at
    most one batch dimension, f32 operands, the output stored row-major as
    (batch, m, n), each operand with a unit innermost stride and static
    shapes, becomes

    ```
    %s = gpu.wait async                       // a stream (mgpuStreamCreate)
    call @flopsGpuGemmF32(batch, m, n, k, transA, transB, A, lda, strideA,
                          B, ldb, strideB, C, ldc, strideC,
                          1.0, 1.0, precision, %s)
    ```

    followed, when `flops-lower-to-cuda` adds it just before gpu-to-llvm, by
    `gpu.wait [%s]` (synchronise and destroy the stream; added that late
    because canonicalization erases a wait on a stream it believes empty).

    (alpha = beta = 1: linalg accumulates into its output; transA/transB
    from the operand maps; leading dimensions and batch strides from the
    memref layouts). Other contractions are left alone (host loops).
  }];
  let options = [
    Option<"precision", "precision", "int64_t", /*default=*/"0",
           "flopsGpuGemmF32 precision: 0 = f32, 1 = tf32, 2 = bf16 inputs">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def OutlineLoopNestsPass
    : Pass<"flops-cpu-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Move each loop nest of a big function into a function of "
                "its own (compile time)";
  let description = [{
    LLVM's optimiser and backend are superlinear in a function's size: an
    imported network's training step, everything inlined into
    `@train_step`, is one function of hundreds of thousands of
    instructions. This pass (on memrefs, after bufferization) walks each
    function's body; an op with regions (a loop nest: `scf.for`,
    `scf.parallel`, `scf.if`, `omp.parallel`, ...) of at least `min-ops`
    nested ops and at most `max-ops` becomes a private function
    `@<parent>_nest<k>` (the values it uses from above as arguments,
    constants re-created inside, its results as results) called in its
    place; a bigger one stays and its body's ops are visited in turn (the
    chunk loop of a training step stays; the layers inside it move out).
    Then runs of at least `min-ops` consecutive region-free ops
    (straight-line code) move out in pieces of at most `max-ops`, values
    used after the run becoming results; constants stay, and
    `memref.alloca`, terminators and OpenMP ops end a run.
    Functions with fewer than `min-function-ops` ops are left alone, so
    small programs compile as before. The new functions are `no_inline`
    (LLVM's inliner would put a private function with one call back).
    A call per loop nest costs nanoseconds against the nest's work.
  }];
  let options = [
    Option<"minFunctionOps", "min-function-ops", "int64_t", /*default=*/"2000",
           "Only functions with at least this many ops are split">,
    Option<"minOps", "min-ops", "int64_t", /*default=*/"16",
           "Smallest loop nest (nested ops) that gets a function">,
    Option<"minLoopOps", "min-loop-ops", "int64_t", /*default=*/"1",
           "Smallest loop (scf.for, scf.parallel, scf.while, scf.forall; "
           "nested ops) that gets a function, below min-ops: loops are the "
           "code that runs often, and the JIT compiles what stays in the "
           "function at its cold level (docs/CODEGEN.md)">,
    Option<"maxOps", "max-ops", "int64_t", /*default=*/"2000",
           "Bigger loop nests are split inside instead">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MergeIdenticalFunctionsPass
    : Pass<"flops-merge-identical-functions", "::mlir::ModuleOp"> {
  let summary = "Merge private functions with identical bodies (compile time)";
  let description = [{
    After `flops-cpu-outline-loop-nests` an imported network's steps are
    hundreds of small functions, many of them the same code: the layers of
    a dense block or a stage share their shapes, the evaluation step runs
    the training step's forward, every noise site of one shape generates
    its noise the same way. This pass keeps one function of each set of
    private functions that have the same type, argument and result
    attributes, and bodies equal op by op (locations ignored), and points
    every call of the others at it; the others are erased. It repeats until
    nothing changes, so callers that become equal once their callees are
    merged merge too. Public functions, declarations, and functions
    referenced other than by `func.call` are left alone.

    ```mlir
    func.func private @f_nest0(%a: memref<4xf32>) { ... }
    func.func private @f_nest1(%a: memref<4xf32>) { ... }  // same body
    // After: @f_nest1 is gone, its calls call @f_nest0.
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def LowerVectorPrintPass
    : Pass<"flops-lower-vector-print", "::mlir::ModuleOp"> {
  let summary = "Lower vector.print to LLVM calls on the whole module";
  let description = [{
    The LLVM conversions of `flops-lower-to-cpu` run on each function in
    parallel, but lowering `vector.print` declares the print functions and
    adds the printed strings as globals in the enclosing module: done from
    several functions at once, that is a data race (seen as a rare
    "redefinition of symbol named 'vector_print_str'"). This pass lowers
    every `vector.print` (only test harnesses print) before them, on the
    module, and changes nothing else; a module without `vector.print` is
    left untouched.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // FLOPS_CODEGEN_PASSES_TD
