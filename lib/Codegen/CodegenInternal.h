//===- CodegenInternal.h - pieces of flops-cpu-tile-and-vectorize -*- C++ -*-===//
//
// The steps of the CPU tiling/vectorization pass, each in its own file:
// ContractionTiling.cpp (convolutions to im2col, contractions tiled for
// threads, cache and registers), ElementwiseVectorization.cpp (fusion and the
// all-parallel ops) and VectorLowering.cpp (hoisting and lowering of the
// vectors). TileAndVectorize.cpp is the pass that runs them in order.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_CODEGEN_CODEGENINTERNAL_H
#define FLOPS_LIB_CODEGEN_CODEGENINTERNAL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <array>
#include <cstdint>

namespace mlir::flops::codegen {

/// The knobs of the pass, resolved (defaults filled in, sizes positive).
struct CPUCodegenConfig {
  /// (m, n, k) of the vector.contract of one register tile.
  std::array<int64_t, 3> registerTile = {8, 32, 1};
  /// (m, n, k) of a cache tile; 0 = dimension not tiled at this level.
  std::array<int64_t, 3> cacheTile = {64, 256, 256};
  /// Chunks of the scf.forall level (1 = no scf.forall).
  int64_t numThreads = 1;
  /// Minimal static iteration count of an op for the scf.forall level.
  int64_t minParallelWork = 65536;
  /// Innermost-dimension tile of the vectorized elementwise ops.
  int64_t elementwiseVectorSize = 16;
  /// The same for ops that generate noise (flops.counter_normal): wider, so
  /// that the lanes' shared Philox blocks fill a vector register.
  int64_t noiseVectorSize = 64;
  /// How many elements each noise element counts for against
  /// minParallelWork (a normal costs about a hundred instructions).
  int64_t noiseWorkFactor = 16;
};

/// True for the ops the contraction strategy handles: linalg ops with the
/// contraction structure (named matmuls, contraction-shaped generics) and
/// static shapes.
bool isTileableContraction(linalg::LinalgOp op);

/// True for linalg ops whose loops are all parallel and that the vectorizer
/// accepts (checked on the untiled op, with static shapes).
bool isVectorizableElementwise(linalg::LinalgOp op);

/// The contractions flops-gpu-contractions-to-gemm turns into cuBLAS calls:
/// one m, n, k and at most one batch dimension, f32, static shapes, output
/// maps (batch, m, n), operand maps (batch, m|k, k|m) / (batch, k|n, n|k).
/// On memrefs it also checks the unit innermost strides. Sets `transA`,
/// `transB` when given.
bool isGpuGemm(linalg::LinalgOp op, bool *transA = nullptr,
               bool *transB = nullptr);

/// Fuses single-use elementwise producers into linalg.generic consumers that
/// are neither contractions nor convolutions.
LogicalResult fuseElementwiseOps(func::FuncOp func);

/// Rewrites the 2-D convolutions of `func` as im2col + contraction.
/// With `slices`, NCHW convolutions with unit dilations use
/// rewriteConvNchwAsSliceIm2Col (`foldBatchBelow`, `pointwiseInPlace`: see
/// there).
void convertConvolutionsToIm2Col(RewriterBase &rewriter, func::FuncOp func,
                                 bool slices, int64_t foldBatchBelow,
                                 bool pointwiseInPlace);

/// Rewrites the multiply-accumulate generics that read one input through a
/// non-projected map (the weight-gradient convolution of the LR rule) as a
/// gather copy (im2col) + a contraction (GatherContraction.cpp).
/// With `foldReductions`, the other input is first transposed so that its
/// reduction dimensions come last: the images and pixels of a weight
/// gradient then form one reduction dimension of a plain matrix product.
/// With `transposedConv`, an NCHW weight-gradient convolution
///   dW[f, c, i, j] += x[n, c, oh*sh + i, ow*sw + j] * Δ[n, f, oh, ow]
/// with n*oh*ow >= f and c*kh*kw a multiple of `mTile` (the register tile's
/// rows) instead takes its columns tap by tap as
/// col[c*kh*kw, n*oh*ow] (buildTapMajorColumns: vectorized copies) and
/// computes dW^T[K, f] += col[K, R] * Δ^T[R, f] (Δ and dW transposed around
/// it; the same terms summed in the same order as the folded product).
void convertGatherContractionsToIm2Col(RewriterBase &rewriter,
                                       func::FuncOp func, bool foldReductions,
                                       bool transposedConv, int64_t mTile);

/// col[c*kh*kw, n*oh*ow] with col[(c, i, j), (n, p, q)] =
/// x[n, c, p*sh + i, q*sw + j] for an NCHW `x`: one transposing copy of a
/// strided slice per tap (i, j), vectorized along q.
Value buildTapMajorColumns(RewriterBase &rewriter, Location loc, Value x,
                           int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                           int64_t sh, int64_t sw);

/// True for a generic whose body is `out + a * b` (either operand order,
/// either add order) and nothing else, all of one float type.
bool isPlainMultiplyAccumulate(linalg::GenericOp op);

/// Rewrites the reductions with a gathered input (a map that is not a
/// projected permutation) whose reduction loops have at most `maxTerms`
/// iterations in all (depthwise convolutions, pooling windows: 3x3 taps) as
/// all-parallel ops over strided slices, one body clone per term chained in
/// the loop nest's order (UnrollTaps.cpp): bit-identical results.
void unrollSmallConvolutionTaps(RewriterBase &rewriter, func::FuncOp func,
                                int64_t maxTerms);

/// The im2col of an NCHW tensor `x` (already padded) for a kh x kw filter
/// with strides (sh, sw) and oh x ow outputs, as kh*kw strided-slice copies
/// (linalg.copy, vectorized along ow like any elementwise op):
/// [n, c*kh*kw, oh*ow].
Value buildSliceIm2Col(RewriterBase &rewriter, Location loc, Value x,
                       int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                       int64_t sh, int64_t sw);

/// linalg.conv_2d_nchw_fchw (static, unit dilations) as buildSliceIm2Col +
/// out[n, f, p] += w[f, k] * col[n, k, p].
/// With more than one image and fewer than `foldBatchBelow` output pixels,
/// rewriteConvNchwWithBatchInColumns instead. With `pointwiseInPlace`, a
/// 1x1 stride-1 filter over an unpadded input uses the input itself,
/// collapsed to [n, c, oh*ow], as `col` (no copy).
LogicalResult rewriteConvNchwAsSliceIm2Col(RewriterBase &rewriter,
                                           linalg::Conv2DNchwFchwOp conv,
                                           int64_t foldBatchBelow,
                                           bool pointwiseInPlace);

/// linalg.conv_2d_nchw_fchw (static, unit dilations, strides sh, sw) with
/// the images in the columns of one matrix product,
///   col[c*kh*kw, n*oh*ow] (transposing strided-slice copies),
///   out'[f, n*oh*ow] += w[f, k] * col[k, q],
/// and out' transposed back to [n, f, oh, ow] (the accumulator in
/// likewise): for small images (the deep layers of a ResNet: 4x4, 2x2, 1x1
/// pixels), whose per-image product would have only oh*ow columns to
/// vectorize.
LogicalResult rewriteConvNchwWithBatchInColumns(RewriterBase &rewriter,
                                                linalg::Conv2DNchwFchwOp conv,
                                                int64_t sh, int64_t sw);

/// When the rhs of the contraction `op` is not contiguous along the n
/// dimension that the register tile vectorizes (x . w^T with w stored out x
/// in), copies it once into a transposed tensor (linalg.transpose) and
/// rewrites `op` as a generic reading that copy; returns the new op. Fails
/// (and changes nothing) when there is nothing to do.
/// A two-input contraction generic whose lhs, not its rhs, holds the
/// output's innermost n dimension (a weight gradient Δᵀx of an [out, in]
/// weight) with its inputs swapped, so that the rhs carries n; only for a
/// body `out + a * b` (IEEE multiplication commutes: bit-identical).
FailureOr<linalg::LinalgOp> swapOperandsForRhsN(RewriterBase &rewriter,
                                                linalg::LinalgOp op);

FailureOr<linalg::LinalgOp> transposeRhsToContiguousN(RewriterBase &rewriter,
                                                      linalg::LinalgOp op);

/// Tiles `op` (threads, cache, registers) and vectorizes its register tile.
/// Leaves `op` untouched and fails when it cannot be tiled.
LogicalResult tileAndVectorizeContraction(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          const CPUCodegenConfig &config);

/// Tiles the all-parallel `op` into rows of `elementwiseVectorSize` elements
/// (plus the scf.forall split) and vectorizes the tile.
LogicalResult tileAndVectorizeElementwise(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          const CPUCodegenConfig &config);

/// For an elementwise generic whose innermost output dimension is shorter
/// than its vector size: drops its unit loops and collapses the vector loop
/// with the outer loops contiguous with it in every operand (of the same
/// iterator type), and rewrites noise counters the collapse turned into
/// divisions back into linear offsets (WidenVectorLoops.cpp). Returns the
/// new op, or `op` when nothing applied.
linalg::LinalgOp widenVectorLoop(RewriterBase &rewriter, linalg::LinalgOp op,
                                 const CPUCodegenConfig &config);

/// Folds the tiling's tensor slices into the vector transfers and hoists
/// loop-invariant transfer pairs (the accumulators) out of the loops. Fails
/// when the cleanup patterns did not converge (the hoisting still ran).
LogicalResult hoistVectorAccumulators(RewriterBase &rewriter,
                                      func::FuncOp func);

/// Rewrites the vector arith ops that the LLVM conversion cannot take in
/// n-D form (extended multiplications) into ones it can, exactly.
LogicalResult legalizeVectorArith(func::FuncOp func);

/// Lowers vector.contract to vector.fma through outer products (and the
/// transposes, broadcasts and shape casts that produces).
LogicalResult lowerContractionsToFMA(func::FuncOp func);

/// Tiles `op` with `tileSizes` (one per loop, 0 = untiled) using scf.for, or
/// scf.forall when `forall` is set; returns the tiled op (the op itself when
/// every size is 0). `interchange` (a permutation of the loops, empty = as
/// they are) orders the generated loops.
FailureOr<linalg::LinalgOp> tileLinalgOp(RewriterBase &rewriter,
                                         linalg::LinalgOp op,
                                         ArrayRef<int64_t> tileSizes,
                                         bool forall,
                                         ArrayRef<int64_t> interchange = {});

/// Vectorizes `op`; `vectorSizes` (one per loop) are used as upper bounds with
/// masking when the op has dynamic shapes.
LogicalResult vectorizeLinalgOp(RewriterBase &rewriter, linalg::LinalgOp op,
                                ArrayRef<int64_t> vectorSizes);

/// The scf.forall tile of an extent `size` split over `numThreads` threads:
/// the largest multiple of `multiple` that divides `size` at least
/// `numThreads` times, else ceil(size / numThreads) rounded up to a multiple
/// of `multiple`.
int64_t threadChunk(int64_t size, int64_t numThreads, int64_t multiple);

/// How stageContractionInSharedMemory stages a contraction's block tile.
struct SharedTileOptions {
  /// Steps of the k loop (> 0).
  int64_t kTile = 32;
  /// The block's threads along x and y (the copies' distribution).
  int64_t threadsX = 1, threadsY = 1;
  /// Buffers in #gpu.address_space<workgroup> (false: plain buffers, for
  /// the host-loops test mode).
  bool workgroupMemory = true;
  /// The most bytes the staged chunks of A and B may take.
  int64_t maxBytes = 48 * 1024;
};

/// Gives the block tile `op` of a contraction (one reduction loop, two
/// inputs, projected-permutation maps; `loopBounds` its loops' static upper
/// bounds) a k loop of `kTile` steps in which both input chunks are copied
/// into buffers by all threads, and distributes its fill init over the
/// threads (GPUSharedTile.cpp). Returns the chunk's contraction, for the
/// caller to tile over threads; fails, leaving `op` alone, when the op does
/// not qualify or its chunks would exceed `maxBytes`.
FailureOr<linalg::LinalgOp>
stageContractionInSharedMemory(RewriterBase &rewriter, linalg::LinalgOp op,
                               ArrayRef<int64_t> loopBounds,
                               const SharedTileOptions &options);

} // namespace mlir::flops::codegen

#endif // FLOPS_LIB_CODEGEN_CODEGENINTERNAL_H
