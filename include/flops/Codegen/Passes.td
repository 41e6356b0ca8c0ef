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
       into an im2col gather and a matmul-shaped contraction.
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
    Option<"transposeRhs", "transpose-rhs", "bool", /*default=*/"true",
           "Copy a contraction rhs that is not contiguous along n (x . w^T) "
           "into a transposed tensor first">,
    Option<"vectorizeElementwise", "vectorize-elementwise", "bool",
           /*default=*/"true",
           "Tile and vectorize all-parallel linalg ops">,
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
    Option<"maxOps", "max-ops", "int64_t", /*default=*/"2000",
           "Bigger loop nests are split inside instead">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // FLOPS_CODEGEN_PASSES_TD
