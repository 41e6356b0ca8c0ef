//===- ContractionTiling.cpp - contractions for threads/cache/registers ---===//
//
// A contraction (anything with the linalg contraction structure: matmul,
// batch_matmul, transposed operands written as generics, the im2col form of a
// convolution) is tiled in up to three levels and its register tile is
// vectorized to one vector.contract:
//
//   scf.forall  (threads: the outermost parallel dim in `numThreads` chunks)
//    scf.for m_c, n_c, k_c   (cache tile, sizes adapted to divide the extent)
//     scf.for m_r, n_r, k_r  (register tile -> vector.contract)
//
// The (m, n, k) triples of the options address the innermost m, n and k
// dimensions of the contraction (those contiguous in the output, resp. the
// lhs); batch dims and the other m/n/k dims are tiled by 1.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::codegen;

int64_t codegen::threadChunk(int64_t size, int64_t numThreads,
                             int64_t multiple) {
  multiple = std::max<int64_t>(multiple, 1);
  // Prefer equal chunks (static shapes, no masks): the largest multiple of
  // `multiple` that divides `size` into at least `numThreads` chunks; the
  // scf.forall may then have more iterations than threads (OpenMP hands each
  // thread a contiguous block of them).
  for (int64_t d = size / numThreads / multiple * multiple; d >= multiple;
       d -= multiple)
    if (size % d == 0)
      return d;
  return llvm::alignTo(llvm::divideCeil(size, numThreads), multiple);
}

FailureOr<linalg::LinalgOp> codegen::tileLinalgOp(RewriterBase &rewriter,
                                                 linalg::LinalgOp op,
                                                 ArrayRef<int64_t> tileSizes,
                                                 bool forall,
                                                 ArrayRef<int64_t> interchange) {
  if (llvm::all_of(tileSizes, [](int64_t s) { return s == 0; }))
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), tileSizes));
  if (!interchange.empty())
    options.setInterchange(interchange);
  if (forall)
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.empty())
    return failure();
  auto tiledOp = dyn_cast<linalg::LinalgOp>(tiled->tiledOps.back());
  if (!tiledOp)
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return tiledOp;
}

LogicalResult codegen::vectorizeLinalgOp(RewriterBase &rewriter,
                                        linalg::LinalgOp op,
                                        ArrayRef<int64_t> vectorSizes) {
  // Static tiles vectorize to their own shape; dynamic (partial) ones use the
  // full tile as the vector shape, under masks.
  SmallVector<int64_t> sizes;
  if (op.hasDynamicShape())
    sizes.assign(vectorSizes.begin(), vectorSizes.end());
  SmallVector<bool> scalable(sizes.size(), false);
  if (failed(linalg::vectorizeOpPrecondition(op, sizes, scalable)))
    return failure();
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
      rewriter, op, sizes, scalable, /*vectorizeNDExtract=*/false,
      /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false,
      /*createNamedContraction=*/true);
  if (failed(result))
    return failure();
  if (result->replacements.empty())
    rewriter.eraseOp(op);
  else
    rewriter.replaceOp(op, result->replacements);
  return success();
}

namespace {

/// The dimension of `dims` whose position among the results of `map` is the
/// largest (the innermost in memory of that operand).
unsigned innermostIn(ArrayRef<unsigned> dims, AffineMap map) {
  unsigned best = dims.back();
  int64_t bestPos = -1;
  for (unsigned d : dims) {
    std::optional<unsigned> pos =
        map.getResultPosition(getAffineDimExpr(d, map.getContext()));
    if (pos && static_cast<int64_t>(*pos) > bestPos) {
      bestPos = *pos;
      best = d;
    }
  }
  return best;
}

/// The cache tile for an extent: the largest multiple of `reg` not above
/// `requested` that divides `extent`, `requested` (rounded to `reg`) when
/// there is none, 0 when the extent fits.
int64_t adaptCacheTile(int64_t extent, int64_t requested, int64_t reg) {
  if (requested <= 0 || requested >= extent)
    return 0;
  reg = std::max<int64_t>(reg, 1);
  int64_t top = std::max(requested / reg * reg, reg);
  for (int64_t t = top; t >= reg; t -= reg)
    if (extent % t == 0)
      return t == extent ? 0 : t;
  return top;
}

} // namespace

bool codegen::isTileableContraction(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op->getNumResults() != 1 || !linalg::isaContractionOpInterface(op))
    return false;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  return succeeded(dims) && !dims->m.empty() && !dims->n.empty() &&
         !dims->k.empty();
}

FailureOr<linalg::LinalgOp>
codegen::swapOperandsForRhsN(RewriterBase &rewriter, linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic.getNumDpsInits() != 1)
    return failure();
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty())
    return failure();
  // The output's innermost dimension should be an n dimension (of the rhs):
  // the register tile vectorizes it. When it is an m dimension (of the lhs),
  // swapping the inputs turns it into n.
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  if (outMap.getNumResults() == 0)
    return failure();
  auto inner = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!inner || !llvm::is_contained(dims->m, inner.getPosition()))
    return failure();
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  // The body must be symmetric in the two inputs for the swap to be exact:
  // a product (IEEE multiplication commutes) accumulated into the output.
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (body.getOperations().size() != 3 || !add)
    return failure();
  Value acc = body.getArgument(2);
  auto mul = add.getLhs().getDefiningOp<arith::MulFOp>();
  if (!mul || add.getRhs() != acc) {
    mul = add.getRhs().getDefiningOp<arith::MulFOp>();
    if (add.getLhs() != acc)
      return failure();
  }
  if (!mul || mul.getLhs() == mul.getRhs() ||
      !llvm::is_contained(
          SmallVector<Value>{body.getArgument(0), body.getArgument(1)},
          mul.getLhs()) ||
      !llvm::is_contained(
          SmallVector<Value>{body.getArgument(0), body.getArgument(1)},
          mul.getRhs()))
    return failure();
  // Swap the inputs and their maps; the block arguments follow.
  std::swap(maps[0], maps[1]);
  Value in0 = generic.getDpsInputOperand(0)->get();
  Value in1 = generic.getDpsInputOperand(1)->get();
  rewriter.modifyOpInPlace(generic, [&] {
    generic.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    generic->setOperand(0, in1);
    generic->setOperand(1, in0);
    BlockArgument a0 = body.getArgument(0), a1 = body.getArgument(1);
    Value tmp = body.addArgument(a0.getType(), a0.getLoc());
    a0.replaceAllUsesWith(tmp);
    a1.replaceAllUsesWith(a0);
    tmp.replaceAllUsesWith(a1);
    body.eraseArgument(body.getNumArguments() - 1);
    // The product's operand order decides which input becomes the lhs of the
    // vector.contract the vectorizer builds: keep it (arg0, arg1).
    mul->setOperands({body.getArgument(0), body.getArgument(1)});
  });
  return cast<linalg::LinalgOp>(generic.getOperation());
}

FailureOr<linalg::LinalgOp>
codegen::transposeRhsToContiguousN(RewriterBase &rewriter, linalg::LinalgOp op) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->n.empty())
    return failure();
  MLIRContext *ctx = op.getContext();
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  unsigned nDim = innermostIn(dims->n, outMap);
  OpOperand *rhs = op.getDpsInputOperand(1);
  AffineMap rhsMap = op.getMatchingIndexingMap(rhs);
  auto rhsType = dyn_cast<RankedTensorType>(rhs->get().getType());
  if (!rhsType || !rhsType.hasStaticShape() || !rhsMap.isProjectedPermutation())
    return failure();
  std::optional<unsigned> pos =
      rhsMap.getResultPosition(getAffineDimExpr(nDim, ctx));
  unsigned rank = rhsMap.getNumResults();
  if (!pos || *pos == rank - 1)
    return failure();

  // Move the n dimension of the rhs last: out[i] = in[perm[i]].
  SmallVector<int64_t> perm;
  for (unsigned i = 0; i < rank; ++i)
    if (i != *pos)
      perm.push_back(i);
  perm.push_back(*pos);
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> results;
  for (int64_t i : perm) {
    shape.push_back(rhsType.getDimSize(i));
    results.push_back(rhsMap.getResult(i));
  }
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value init =
      tensor::EmptyOp::create(rewriter, loc, shape, rhsType.getElementType());
  Value transposed =
      linalg::TransposeOp::create(rewriter, loc, rhs->get(), init, perm)
          ->getResult(0);

  linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    FailureOr<linalg::GenericOp> generalized =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(generalized))
      return failure();
    generic = *generalized;
  }
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  maps[1] = AffineMap::get(rhsMap.getNumDims(), 0, results, ctx);
  rewriter.modifyOpInPlace(generic, [&] {
    generic.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    generic->setOperand(1, transposed);
  });
  return cast<linalg::LinalgOp>(generic.getOperation());
}

LogicalResult
codegen::tileAndVectorizeContraction(RewriterBase &rewriter, linalg::LinalgOp op,
                                    const CPUCodegenConfig &config) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims))
    return failure();
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  unsigned numLoops = op.getNumLoops();
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  AffineMap lhsMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  std::array<unsigned, 3> mnk = {innermostIn(dims->m, outMap),
                                 innermostIn(dims->n, outMap),
                                 innermostIn(dims->k, lhsMap)};

  // Register tile: (m, n, k) on the chosen dims, 1 elsewhere, clamped to the
  // extents. The n size counts 32-bit lanes: wider elements get fewer (the
  // same number of vector registers).
  std::array<int64_t, 3> regMNK = config.registerTile;
  Type elementType = getElementTypeOrSelf(op->getResult(0).getType());
  unsigned bits =
      elementType.isIntOrFloat() ? elementType.getIntOrFloatBitWidth() : 32;
  if (bits > 32)
    regMNK[1] = std::max<int64_t>(1, regMNK[1] * 32 / bits);
  SmallVector<int64_t> reg(numLoops, 1);
  for (auto [i, d] : llvm::enumerate(mnk))
    reg[d] = std::min(regMNK[i], extents[d]);
  // An n tile that does not divide the extent leaves a masked tail tile,
  // which the FMA lowering handles poorly: halve it (down to 8 lanes) while
  // that makes it divide (784 = 49 x 16).
  {
    unsigned d = mnk[1];
    while (reg[d] > 8 && reg[d] % 2 == 0 && extents[d] % reg[d] != 0 &&
           extents[d] % (reg[d] / 2) == 0)
      reg[d] /= 2;
  }

  // Threads: the outermost batch/m/n dim with room for a chunk per thread.
  SmallVector<int64_t> current = extents;
  SmallVector<int64_t> threadTiles(numLoops, 0);
  int64_t work = 1;
  for (int64_t e : extents)
    work *= e;
  if (config.numThreads > 1 && work >= config.minParallelWork) {
    SmallVector<unsigned> parallel(dims->batch.begin(), dims->batch.end());
    parallel.append(dims->m.begin(), dims->m.end());
    parallel.append(dims->n.begin(), dims->n.end());
    llvm::sort(parallel);
    for (unsigned d : parallel) {
      if (extents[d] < config.numThreads * reg[d])
        continue;
      threadTiles[d] = threadChunk(extents[d], config.numThreads, reg[d]);
      current[d] = threadTiles[d];
      break;
    }
  }

  // Cache tile on the chosen dims, adapted to the (per-thread) extents.
  SmallVector<int64_t> cache(numLoops, 0);
  for (auto [i, d] : llvm::enumerate(mnk)) {
    cache[d] = adaptCacheTile(current[d], config.cacheTile[i], reg[d]);
    if (cache[d])
      current[d] = cache[d];
  }

  // Register-level tile sizes: a dim whose current extent is the register
  // tile needs no loop.
  SmallVector<int64_t> regTiles(numLoops, 0);
  for (unsigned d = 0; d < numLoops; ++d)
    regTiles[d] = reg[d] >= current[d] ? 0 : reg[d];

  // Loop order of the cache and register tiles: the parallel dims first,
  // the reduction (k) dims innermost, so that the register tile's
  // accumulators stay in registers across k (a weight gradient x^T delta
  // has its k, the rows, as the first loop).
  SmallVector<int64_t> order;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < numLoops; ++d)
    if (linalg::isParallelIterator(iters[d]))
      order.push_back(d);
  for (unsigned d = 0; d < numLoops; ++d)
    if (!linalg::isParallelIterator(iters[d]))
      order.push_back(d);

  linalg::LinalgOp target = op;
  for (auto [sizes, forall] :
       {std::make_pair(ArrayRef<int64_t>(threadTiles), true),
        std::make_pair(ArrayRef<int64_t>(cache), false),
        std::make_pair(ArrayRef<int64_t>(regTiles), false)}) {
    FailureOr<linalg::LinalgOp> tiled = tileLinalgOp(
        rewriter, target, sizes, forall,
        forall ? ArrayRef<int64_t>() : ArrayRef<int64_t>(order));
    if (failed(tiled))
      return target == op ? failure() : success();
    target = *tiled;
  }
  // A register tile the vectorizer rejects stays a (tiled) scalar op.
  (void)vectorizeLinalgOp(rewriter, target, reg);
  return success();
}

void codegen::convertConvolutionsToIm2Col(RewriterBase &rewriter,
                                         func::FuncOp func, bool slices,
                                         int64_t foldBatchBelow,
                                         bool pointwiseInPlace) {
  SmallVector<Operation *> convs;
  func.walk([&](Operation *op) {
    if (isa<linalg::Conv2DNchwFchwOp, linalg::Conv2DNhwcHwcfOp,
            linalg::Conv2DNhwcFhwcOp>(op) &&
        cast<linalg::LinalgOp>(op).hasPureTensorSemantics() &&
        !cast<linalg::LinalgOp>(op).hasDynamicShape())
      convs.push_back(op);
  });
  for (Operation *op : convs) {
    rewriter.setInsertionPoint(op);
    // A convolution that im2col does not support stays as it is (it lowers
    // to loops).
    if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
      // Strided-slice copies (vectorized) where they apply, upstream's
      // gather (scalar loops) otherwise.
      if (!slices || failed(rewriteConvNchwAsSliceIm2Col(rewriter, conv,
                                                       foldBatchBelow,
                                                       pointwiseInPlace)))
        (void)linalg::rewriteInIm2Col(rewriter, conv);
    }
    else if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op))
      (void)linalg::rewriteInIm2Col(rewriter, conv);
    else if (auto conv = dyn_cast<linalg::Conv2DNhwcFhwcOp>(op))
      (void)linalg::rewriteInIm2Col(rewriter, conv);
  }
}
