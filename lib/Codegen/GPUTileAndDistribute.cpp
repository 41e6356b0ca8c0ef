//===- GPUTileAndDistribute.cpp - linalg ops into block/thread foralls -----===//
//
// flops-gpu-tile-and-distribute (docs/GPU-CODEGEN.md): elementwise fusion,
// then every tileable linalg op (consumers first) becomes an scf.forall over
// GPU blocks with its fill producers fused, containing an scf.forall over
// the block's threads. flops-gpu-map-forall turns the nests into gpu.launch
// after bufferization.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/SubsetOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUTILEANDDISTRIBUTEPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

/// Marks ops this pass decided to leave to the host (removed at the end).
static constexpr llvm::StringLiteral kHostAttr = "flops.gpu_host";

namespace {

/// A linalg op that becomes a kernel: static shapes, tensor semantics, at
/// least one parallel loop, not already inside a tile loop.
bool isKernelRoot(linalg::LinalgOp op) {
  if (op->hasAttr(kHostAttr) || !op.hasPureTensorSemantics() ||
      op.hasDynamicShape() || op->getParentOfType<scf::ForallOp>())
    return false;
  if (op.getNumParallelLoops() == 0)
    return false;
  // A fill whose users are all linalg ops is fused into them (not into the
  // contractions left whole for cuBLAS: then it is its own kernel).
  if (isa<linalg::FillOp>(op.getOperation()) &&
      llvm::all_of(op->getUsers(), [](Operation *u) {
        return isa<linalg::LinalgOp>(u) && !u->hasAttr(kHostAttr);
      }))
    return false;
  return true;
}

/// The tiling of one op: per loop, its block tile (0 = not tiled), the
/// threads along it (0 = not distributed), and the forall mappings.
struct KernelShape {
  /// Per loop, the extent of one thread's tile (its vector shape when the
  /// op is register-tiled; reduction loops 1).
  SmallVector<int64_t> threadTile;
  /// A contraction whose thread tile has more than one output: its k loop
  /// runs over a vector accumulator.
  bool registerTile = false;
  SmallVector<int64_t> blockTile;
  SmallVector<int64_t> threads;
  SmallVector<Attribute> blockMapping;
  SmallVector<Attribute> threadMapping;
  /// The block's threads along x and y.
  int64_t threadsX = 1, threadsY = 1;
  /// Per loop, the static upper bound of the block tile's extent.
  SmallVector<int64_t> blockBounds;
  /// A contraction (with a reduction loop).
  bool contraction = false;
};

KernelShape chooseShape(linalg::LinalgOp op, int64_t bx, int64_t by,
                        ArrayRef<int64_t> contractionTile) {
  MLIRContext *ctx = op.getContext();
  unsigned n = op.getNumLoops();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  bool contraction = linalg::isaContractionOpInterface(op) &&
                     op.getNumReductionLoops() > 0;

  // Parallel loops in the order of the first result's dimensions,
  // innermost last (x).
  SmallVector<unsigned> par;
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  for (AffineExpr e : outMap.getResults())
    if (auto d = dyn_cast<AffineDimExpr>(e))
      if (iters[d.getPosition()] == utils::IteratorType::parallel &&
          !llvm::is_contained(par, d.getPosition()))
        par.push_back(d.getPosition());
  for (unsigned i = 0; i < n; ++i)
    if (iters[i] == utils::IteratorType::parallel && !llvm::is_contained(par, i))
      par.insert(par.begin(), i);

  KernelShape s;
  s.blockTile.assign(n, 0);
  s.threads.assign(n, 0);
  // x, y: threads (and a per-thread chunk for contractions); z: one tile
  // per block; further outer parallel loops stay inside the threads.
  std::array<gpu::MappingId, 3> ids = {gpu::MappingId::DimX,
                                       gpu::MappingId::DimY,
                                       gpu::MappingId::DimZ};
  DenseMap<unsigned, gpu::MappingId> mapped;
  for (unsigned k = 0; k < 3 && k < par.size(); ++k) {
    unsigned loop = par[par.size() - 1 - k];
    int64_t extent = ranges[loop];
    mapped[loop] = ids[k];
    if (k == 2) {
      s.blockTile[loop] = 1;
      continue;
    }
    int64_t chunk = 1;
    if (contraction)
      chunk = contractionTile[k == 0 ? 1 : 0];
    int64_t threads = std::min<int64_t>(k == 0 ? bx : by, llvm::divideCeil(extent, chunk));
    s.threads[loop] = threads;
    s.blockTile[loop] = threads * chunk;
    (k == 0 ? s.threadsX : s.threadsY) = threads;
  }
  s.threadTile.assign(n, 1);
  for (unsigned i = 0; i < n; ++i) {
    if (iters[i] != utils::IteratorType::parallel)
      continue;
    if (s.threads[i] > 0)
      s.threadTile[i] = s.blockTile[i] / s.threads[i];
    else if (s.blockTile[i] == 0)
      s.threadTile[i] = ranges[i];
  }
  s.registerTile = contraction && contractionTile[0] * contractionTile[1] > 1;
  s.contraction = contraction;
  for (unsigned i = 0; i < n; ++i)
    s.blockBounds.push_back(s.blockTile[i] > 0
                                ? std::min(s.blockTile[i], ranges[i])
                                : ranges[i]);
  for (unsigned i = 0; i < n; ++i) {
    auto it = mapped.find(i);
    if (it == mapped.end())
      continue;
    s.blockMapping.push_back(gpu::GPUBlockMappingAttr::get(ctx, it->second));
    if (s.threads[i] > 0)
      s.threadMapping.push_back(
          gpu::GPUThreadMappingAttr::get(ctx, it->second));
  }
  return s;
}

SmallVector<OpFoldResult> asIndexAttrs(MLIRContext *ctx,
                                       ArrayRef<int64_t> values) {
  Builder b(ctx);
  return llvm::map_to_vector(values, [&](int64_t v) -> OpFoldResult {
    return b.getIndexAttr(v);
  });
}

/// Fuses only fills (and their tensor.empty inits) into the tile loops: any
/// other producer is its own kernel (a contraction is not recomputed per
/// tile, a broadcast producer not per element). A fill is recomputed
/// wherever it is fused (its other users keep the original).
std::optional<scf::SCFTileAndFuseOptions::ControlFnResult>
fuseFillsOnly(tensor::ExtractSliceOp, OpResult producer, bool) {
  if (isa<linalg::FillOp>(producer.getOwner()))
    return scf::SCFTileAndFuseOptions::ControlFnResult{};
  return std::nullopt;
}

LogicalResult tileOne(RewriterBase &rewriter, linalg::LinalgOp op,
                      const KernelShape &shape,
                      codegen::SharedTileOptions shared) {
  auto tilingOp = cast<TilingInterface>(op.getOperation());
  MLIRContext *ctx = op.getContext();

  scf::SCFTilingOptions blockTiling;
  blockTiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
      .setTileSizes(asIndexAttrs(ctx, shape.blockTile))
      .setMapping(shape.blockMapping);
  scf::SCFTileAndFuseOptions blockOptions;
  blockOptions.setTilingOptions(blockTiling);
  blockOptions.setFusionControlFn(fuseFillsOnly);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> blocks =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, tilingOp,
                                                blockOptions);
  if (failed(blocks))
    return failure();
  for (OpResult r : op->getResults())
    if (Value v = blocks->replacements.lookup(r))
      rewriter.replaceAllUsesWith(r, v);
  auto blockTile = cast<TilingInterface>(blocks->tiledAndFusedOps.front());

  // A contraction's A and B chunks staged in shared memory: the threads
  // then tile the chunk's contraction inside the block's k loop.
  if (shape.contraction && shared.kTile > 0 && !shape.threadMapping.empty()) {
    shared.threadsX = shape.threadsX;
    shared.threadsY = shape.threadsY;
    FailureOr<linalg::LinalgOp> chunk = codegen::stageContractionInSharedMemory(
        rewriter, cast<linalg::LinalgOp>(blockTile.getOperation()),
        shape.blockBounds, shared);
    if (succeeded(chunk))
      blockTile = cast<TilingInterface>(chunk->getOperation());
  }

  if (shape.threadMapping.empty())
    return success();
  scf::SCFTilingOptions threadTiling;
  threadTiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
      .setNumThreads(asIndexAttrs(ctx, shape.threads))
      .setMapping(shape.threadMapping);
  scf::SCFTileAndFuseOptions threadOptions;
  threadOptions.setTilingOptions(threadTiling);
  threadOptions.setFusionControlFn(fuseFillsOnly);
  rewriter.setInsertionPoint(blockTile);
  FailureOr<scf::SCFTileAndFuseResult> threads =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, blockTile,
                                                threadOptions);
  if (failed(threads))
    return failure();
  for (OpResult r : blockTile->getResults())
    if (Value v = threads->replacements.lookup(r))
      rewriter.replaceAllUsesWith(r, v);
  if (!shape.registerTile)
    return success();

  // Register tile: the thread's k loop as scf.for steps of 1 over a vector
  // contraction of the thread tile's shape (masked when the tile is
  // partial); the accumulator is hoisted out of the loop later.
  auto threadOp = cast<linalg::LinalgOp>(threads->tiledAndFusedOps.front());
  SmallVector<int64_t> kTile;
  for (utils::IteratorType it : threadOp.getIteratorTypesArray())
    kTile.push_back(it == utils::IteratorType::reduction ? 1 : 0);
  FailureOr<linalg::LinalgOp> kLoop =
      codegen::tileLinalgOp(rewriter, threadOp, kTile, /*forall=*/false);
  // Partial tiles (dynamic shapes, masks) stay scalar: correct, slower.
  if (failed(kLoop) || kLoop->hasDynamicShape())
    return success();
  (void)codegen::vectorizeLinalgOp(rewriter, *kLoop, shape.threadTile);
  return success();
}

struct GPUTileAndDistributePass
    : mlir::flops::impl::GPUTileAndDistributePassBase<
          GPUTileAndDistributePass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    linalg::registerTilingInterfaceExternalModels(registry);
    linalg::registerSubsetOpInterfaceExternalModels(registry);
    tensor::registerTilingInterfaceExternalModels(registry);
    tensor::registerSubsetOpInterfaceExternalModels(registry);
    vector::registerSubsetOpInterfaceExternalModels(registry);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<int64_t> tile(contractionThreadTile.begin(),
                              contractionThreadTile.end());
    if (tile.empty())
      tile = {4, 4};
    if (tile.size() != 2 || tile[0] < 1 || tile[1] < 1 || blockSizeX < 1 ||
        blockSizeY < 1 || blockSizeX * blockSizeY > 1024) {
      func.emitError("flops-gpu-tile-and-distribute: contraction-thread-tile "
                     "needs two positive sizes and block-size-x * "
                     "block-size-y must be in 1..1024");
      return signalPassFailure();
    }
    if (contractionKTile < 0) {
      func.emitError("flops-gpu-tile-and-distribute: contraction-k-tile must "
                     "be 0 (no shared-memory tile) or positive");
      return signalPassFailure();
    }
    if (fuseElementwise && failed(codegen::fuseElementwiseOps(func)))
      func.emitWarning("elementwise fusion did not converge");

    IRRewriter rewriter(func.getContext());
    if (!tileContractions)
      func.walk([&](linalg::LinalgOp op) {
        if (op.hasPureTensorSemantics() && codegen::isGpuGemm(op))
          op->setAttr(kHostAttr, rewriter.getUnitAttr());
      });
    // One fill per consumer (canonicalization merged equal fills), so that
    // each can be fused into its consumer's tiles.
    SmallVector<linalg::FillOp> fills;
    func.walk([&](linalg::FillOp fill) { fills.push_back(fill); });
    for (linalg::FillOp fill : fills) {
      if (!fill.hasPureTensorSemantics())
        continue;
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : fill->getResult(0).getUses())
        uses.push_back(&use);
      for (OpOperand *use : llvm::drop_begin(uses)) {
        rewriter.setInsertionPoint(use->getOwner());
        Operation *copy = rewriter.clone(*fill);
        rewriter.modifyOpInPlace(use->getOwner(),
                                 [&] { use->set(copy->getResult(0)); });
      }
    }
    // Consumers first, so that their fills are fused before they could be
    // taken as roots; a fresh walk each time (tiling erases ops).
    while (true) {
      linalg::LinalgOp root;
      func.walk<WalkOrder::PostOrder, ReverseIterator>(
          [&](linalg::LinalgOp op) {
            if (!isKernelRoot(op))
              return WalkResult::advance();
            root = op;
            return WalkResult::interrupt();
          });
      if (!root)
        break;
      // An empty loop does no work (and tiling would divide by its zero
      // extent): it stays a host loop nest that runs zero times.
      if (llvm::is_contained(root.getStaticLoopRanges(), 0)) {
        root->setAttr(kHostAttr, rewriter.getUnitAttr());
        continue;
      }
      KernelShape shape = chooseShape(root, blockSizeX, blockSizeY, tile);
      codegen::SharedTileOptions shared;
      shared.kTile = contractionKTile;
      shared.workgroupMemory = workgroupMemory;
      if (failed(tileOne(rewriter, root, shape, shared))) {
        root->setAttr(kHostAttr, rewriter.getUnitAttr());
        continue;
      }
      if (root->use_empty())
        rewriter.eraseOp(root);
      else
        root->setAttr(kHostAttr, rewriter.getUnitAttr());
    }
    func.walk([](Operation *op) { op->removeAttr(kHostAttr); });
    // The register tiles: accumulators out of the k loops, contractions as
    // FMAs (outer products), n-D vector arith the LLVM conversion accepts.
    bool vectors = false;
    func.walk([&](vector::ContractionOp) { vectors = true; });
    if (!vectors)
      return;
    if (failed(codegen::hoistVectorAccumulators(rewriter, func)))
      func.emitWarning("accumulator hoisting did not converge");
    if (failed(codegen::lowerContractionsToFMA(func)))
      func.emitWarning("contraction lowering did not converge");
    if (failed(codegen::legalizeVectorArith(func)))
      return signalPassFailure();
  }
};

} // namespace
