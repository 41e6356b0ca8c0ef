//===- GPUSharedTile.cpp - contraction block tiles staged in shared memory -===//
//
// Part of flops-gpu-tile-and-distribute (docs/GPU-CODEGEN.md, "Shared-memory
// block tiles"): a contraction's block tile gets a k loop of `k-tile`
// steps; in each step the block's threads copy the A and B chunks into
// workgroup memory, and the register tiles are computed from there. On
// tensors, before the thread tiling:
//
//   block forall:
//     thread forall: C tile = 0                      (the fused fill)
//     scf.for k0 step kTile:
//       thread forall: As = A[bm, k0 : k0 + kTile]   (workgroup buffer)
//       thread forall: Bs = B[k0 : k0 + kTile, bn]
//       C tile += As * Bs                            (thread-tiled by the caller)
//
// flops-gpu-map-forall adds the barriers (after each nest, the last one of
// the loop included: the next step refills As and Bs) and turns the
// workgroup allocations into the launch's workgroup attributions. The sums
// run over k in the same order as without the stage: results are unchanged.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// Distributes the all-parallel op `op` over the block's threads: its last
/// dimension over `threadsX`, the one before over `threadsY` (each capped
/// by the dimension's static bound), the others inside each thread.
LogicalResult distribute(RewriterBase &rewriter, TilingInterface op,
                         ArrayRef<int64_t> bounds, int64_t threadsX,
                         int64_t threadsY) {
  MLIRContext *ctx = op->getContext();
  size_t rank = bounds.size();
  if (rank == 0)
    return failure();
  SmallVector<int64_t> numThreads(rank, 0);
  SmallVector<Attribute> mapping;
  if (rank >= 2) {
    numThreads[rank - 2] = std::max<int64_t>(
        1, std::min(threadsY, bounds[rank - 2]));
    mapping.push_back(
        gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimY));
  }
  numThreads[rank - 1] =
      std::max<int64_t>(1, std::min(threadsX, bounds[rank - 1]));
  mapping.push_back(gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimX));
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
      .setNumThreads(getAsIndexOpFoldResult(ctx, numThreads))
      .setMapping(mapping);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, op, options);
  if (failed(tiled))
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return success();
}

/// The static bounds of the operand of `op` read through `map`, from the
/// loops' static bounds.
SmallVector<int64_t> operandBounds(AffineMap map, ArrayRef<int64_t> loops) {
  return llvm::map_to_vector(map.getResults(), [&](AffineExpr e) {
    return loops[cast<AffineDimExpr>(e).getPosition()];
  });
}

} // namespace

FailureOr<linalg::LinalgOp> codegen::stageContractionInSharedMemory(
    RewriterBase &rewriter, linalg::LinalgOp op,
    ArrayRef<int64_t> loopBounds, const SharedTileOptions &options) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  if (options.kTile <= 0 || !op.hasPureTensorSemantics() ||
      op.getNumReductionLoops() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 2 ||
      loopBounds.size() != static_cast<size_t>(op.getNumLoops()) ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isProjectedPermutation(); }))
    return failure();

  // The chunk's static bounds and the workgroup memory they take.
  SmallVector<int64_t> bounds(loopBounds);
  SmallVector<int64_t> kSizes(bounds.size(), 0);
  for (auto [i, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction) {
      kSizes[i] = options.kTile;
      bounds[i] = std::min(bounds[i], options.kTile);
    }
  int64_t bytes = 0;
  for (OpOperand *in : op.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(in->get().getType());
    if (!type || !type.getElementType().isIntOrFloat())
      return failure();
    int64_t elems = 1;
    for (int64_t b : operandBounds(op.getMatchingIndexingMap(in), bounds))
      elems *= b;
    bytes += elems * llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  }
  if (bytes > options.maxBytes)
    return failure();

  // The k loop; its init (the fused fill) distributed over the threads.
  FailureOr<linalg::LinalgOp> chunk =
      codegen::tileLinalgOp(rewriter, op, kSizes, /*forall=*/false);
  if (failed(chunk))
    return failure();
  auto loop = (*chunk)->getParentOfType<scf::ForOp>();
  if (!loop || loop.getNumRegionIterArgs() != 1)
    return failure();
  SmallVector<int64_t> outBounds = operandBounds(
      chunk->getMatchingIndexingMap(chunk->getDpsInitOperand(0)), loopBounds);
  if (auto fill = loop.getInitArgs()[0].getDefiningOp<linalg::FillOp>())
    if (failed(distribute(rewriter, cast<TilingInterface>(fill.getOperation()),
                          outBounds, options.threadsX, options.threadsY)))
      return failure();

  // The inputs copied into (workgroup) buffers of the chunk's static shape,
  // each copy distributed over the threads.
  Attribute space;
  if (options.workgroupMemory)
    space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  for (OpOperand *in : chunk->getDpsInputOperands()) {
    Value src = in->get();
    auto type = cast<RankedTensorType>(src.getType());
    SmallVector<int64_t> shape =
        operandBounds(chunk->getMatchingIndexingMap(in), bounds);
    rewriter.setInsertionPoint(*chunk);
    auto buffer = bufferization::AllocTensorOp::create(
        rewriter, loc, RankedTensorType::get(shape, type.getElementType()),
        ValueRange{}, /*copy=*/Value(), /*size_hint=*/Value(), space);
    SmallVector<OpFoldResult> zeros(shape.size(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> ones(shape.size(), rewriter.getIndexAttr(1));
    auto view = tensor::ExtractSliceOp::create(
        rewriter, loc, buffer, zeros, tensor::getMixedSizes(rewriter, loc, src),
        ones);
    auto copy = linalg::CopyOp::create(rewriter, loc, src, view.getResult());
    rewriter.modifyOpInPlace(*chunk, [&] { in->set(copy.getResult(0)); });
    if (failed(distribute(rewriter, cast<TilingInterface>(copy.getOperation()),
                          shape, options.threadsX, options.threadsY)))
      return failure();
  }
  return chunk;
}
