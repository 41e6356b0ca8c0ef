//===- UnrollTaps.cpp - small reductions as sums of strided slices --------===//
//
// A depthwise convolution (the importer's generic for a Conv with as many
// groups as channels)
//   out[n, f, oh, ow] += x_pad[n, f + c, oh*s + i, ow*s + j] * w[f, c, i, j]
// (c of extent 1) is neither a contraction nor elementwise: it ran as a
// scalar 7-loop nest. Its reduction loops are few and small (3x3 taps), so
// they are unrolled here: for every fixed value of the reduction loops each
// input is a strided slice indexed by the parallel loops alone,
//   x_ij = x_pad[:, :, i : i + s*oh : s, j : j + s*ow : s],  w_ij = w[:, 0, i, j],
// and the op becomes the all-parallel
//   out = ((out + x_00 * w_00) + x_01 * w_01) + ...
// (terms in the order of the reduction loops, the order in which the loop
// nest accumulated them: the same operations, bit for bit), which fuses with
// the elementwise epilogue (bias, batch norm, activation) and is vectorized
// along the output row like any elementwise op. Any body is unrolled the
// same way (one clone per term, chained through the accumulator): max and
// average pooling windows too (named pooling ops are generalized first).
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::codegen;

namespace {

/// `expr` as coeff * d + offset (coeff = 0: a constant), or failure.
struct LinearIndex {
  int64_t coeff = 0;
  unsigned dim = 0;
  int64_t offset = 0;
};

FailureOr<LinearIndex> asLinearIndex(AffineExpr expr) {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return LinearIndex{0, 0, c.getValue()};
  if (auto d = dyn_cast<AffineDimExpr>(expr))
    return LinearIndex{1, d.getPosition(), 0};
  auto bin = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!bin)
    return failure();
  FailureOr<LinearIndex> l = asLinearIndex(bin.getLHS());
  FailureOr<LinearIndex> r = asLinearIndex(bin.getRHS());
  if (failed(l) || failed(r))
    return failure();
  if (bin.getKind() == AffineExprKind::Add) {
    if (l->coeff != 0 && r->coeff != 0)
      return failure();
    LinearIndex s = l->coeff != 0 ? *l : *r;
    s.offset = l->offset + r->offset;
    return s;
  }
  if (bin.getKind() == AffineExprKind::Mul) {
    // One side is a constant (semi-affine products are not affine).
    if (l->coeff != 0 && r->coeff != 0)
      return failure();
    LinearIndex v = l->coeff != 0 ? *l : *r;
    int64_t k = l->coeff != 0 ? r->offset : l->offset;
    return LinearIndex{v.coeff * k, v.dim, v.offset * k};
  }
  return failure();
}

/// The strided slice of `source` read through `map` (over the op's loops)
/// when the reduction loops have the values `fixed` (one per loop; only the
/// reduction entries count), with its map over the parallel loops
/// (`newPos`: a parallel loop's position among them). Fails when a result
/// is not `a*d + b` (a > 0) of one parallel loop or a constant, when a loop
/// appears twice, or when the slice leaves the tensor.
FailureOr<std::pair<Value, AffineMap>>
sliceForTerm(RewriterBase &rewriter, Location loc, Value source, AffineMap map,
             ArrayRef<int64_t> fixed, ArrayRef<bool> isReduction,
             ArrayRef<unsigned> newPos, unsigned numParallel,
             ArrayRef<int64_t> extents) {
  MLIRContext *ctx = map.getContext();
  unsigned numLoops = map.getNumDims();
  SmallVector<AffineExpr> subst;
  for (unsigned d = 0; d < numLoops; ++d)
    subst.push_back(isReduction[d] ? getAffineConstantExpr(fixed[d], ctx)
                                   : getAffineDimExpr(d, ctx));
  AffineMap fixedMap = map.replaceDimsAndSymbols(subst, {}, numLoops, 0);
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<int64_t> keptShape;
  SmallVector<AffineExpr> keptResults;
  SmallVector<bool> seen(numLoops, false);
  for (auto [i, e] : llvm::enumerate(fixedMap.getResults())) {
    FailureOr<LinearIndex> li =
        asLinearIndex(simplifyAffineExpr(e, numLoops, 0));
    if (failed(li) || li->coeff < 0)
      return failure();
    int64_t size = 1, stride = 1;
    if (li->coeff > 0) {
      if (isReduction[li->dim] || seen[li->dim])
        return failure();
      seen[li->dim] = true;
      size = extents[li->dim];
      stride = li->coeff;
      keptShape.push_back(size);
      keptResults.push_back(getAffineDimExpr(newPos[li->dim], ctx));
    }
    int64_t last = li->offset + stride * (size - 1);
    if (li->offset < 0 || last >= type.getDimSize(i))
      return failure();
    offsets.push_back(rewriter.getIndexAttr(li->offset));
    sizes.push_back(rewriter.getIndexAttr(size));
    strides.push_back(rewriter.getIndexAttr(stride));
  }
  auto sliceType = RankedTensorType::get(keptShape, type.getElementType());
  Value slice = tensor::ExtractSliceOp::create(rewriter, loc, sliceType, source,
                                               offsets, sizes, strides);
  return std::make_pair(slice,
                        AffineMap::get(numParallel, 0, keptResults, ctx));
}

LogicalResult unrollTaps(RewriterBase &rewriter, linalg::GenericOp op,
                         int64_t maxTerms) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      op.getNumReductionLoops() == 0 || linalg::isaContractionOpInterface(op))
    return failure();
  Block &body = op.getRegion().front();
  if (!body.getOps<linalg::IndexOp>().empty())
    return failure();
  // Only gathers (an input read through a map that is not a projected
  // permutation: a convolution or a pooling window); plain reductions are
  // left to the other strategies.
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned numInputs = op.getNumDpsInputs();
  bool gathers = false;
  for (unsigned i = 0; i < numInputs; ++i)
    gathers |= !body.getArgument(i).use_empty() &&
               !maps[i].isProjectedPermutation();
  if (!gathers)
    return failure();
  unsigned numLoops = op.getNumLoops();
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<bool> isReduction;
  SmallVector<unsigned> reductions, newPos(numLoops, 0);
  unsigned numParallel = 0;
  int64_t terms = 1;
  for (unsigned d = 0; d < numLoops; ++d) {
    isReduction.push_back(linalg::isReductionIterator(iters[d]));
    if (isReduction.back()) {
      reductions.push_back(d);
      terms *= extents[d];
      if (terms > maxTerms)
        return failure();
    } else {
      newPos[d] = numParallel++;
    }
  }
  if (terms == 0 || numParallel == 0)
    return failure();
  // Window loops only: in the gathered maps every reduction loop is added
  // to a parallel one (oh*s + kh), never an index of its own. (A weight
  // gradient's reductions over the images and output pixels are not taps.)
  SmallVector<bool> inWindow(numLoops, false);
  for (unsigned i = 0; i < numInputs; ++i) {
    if (body.getArgument(i).use_empty() || maps[i].isProjectedPermutation())
      continue;
    for (AffineExpr e : maps[i].getResults()) {
      bool hasParallel = false, hasReduction = false;
      e.walk([&](AffineExpr sub) {
        if (auto d = dyn_cast<AffineDimExpr>(sub))
          (isReduction[d.getPosition()] ? hasReduction : hasParallel) = true;
      });
      if (hasReduction && !hasParallel)
        return failure();
      if (hasReduction)
        e.walk([&](AffineExpr sub) {
          if (auto d = dyn_cast<AffineDimExpr>(sub))
            inWindow[d.getPosition()] = true;
        });
    }
  }
  for (unsigned d : reductions)
    if (!inWindow[d])
      return failure();
  // The output: every parallel loop once (no reduction loop).
  AffineMap outMap = maps.back();
  if (!outMap.isProjectedPermutation() ||
      outMap.getNumResults() != numParallel)
    return failure();
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineExpr> outSubst;
  for (unsigned d = 0; d < numLoops; ++d)
    outSubst.push_back(getAffineDimExpr(isReduction[d] ? 0 : newPos[d], ctx));
  AffineMap newOutMap =
      outMap.replaceDimsAndSymbols(outSubst, {}, numParallel, 0);

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> newMaps;
  SmallVector<Operation *> created;
  // termArgs[t][i]: the new op's block argument index of input i in term t
  // (-1: the body does not read input i).
  SmallVector<SmallVector<int64_t>> termArgs(terms,
                                             SmallVector<int64_t>(numInputs, -1));
  SmallVector<int64_t> fixed(numLoops, 0);
  for (int64_t t = 0; t < terms; ++t) {
    // The t-th assignment of the reduction loops, the last one fastest (the
    // order of the loop nest).
    int64_t rest = t;
    for (unsigned d : llvm::reverse(reductions)) {
      fixed[d] = rest % extents[d];
      rest /= extents[d];
    }
    for (unsigned i = 0; i < numInputs; ++i) {
      if (body.getArgument(i).use_empty())
        continue;
      FailureOr<std::pair<Value, AffineMap>> s = sliceForTerm(
          rewriter, loc, op.getDpsInputOperand(i)->get(), maps[i], fixed,
          isReduction, newPos, numParallel, extents);
      if (failed(s)) {
        for (Operation *c : llvm::reverse(created))
          rewriter.eraseOp(c);
        return failure();
      }
      created.push_back(s->first.getDefiningOp());
      termArgs[t][i] = inputs.size();
      inputs.push_back(s->first);
      newMaps.push_back(s->second);
    }
  }
  newMaps.push_back(newOutMap);

  // The body, cloned once per term, each clone accumulating onto the
  // previous one's result.
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Value acc = body.getArgument(numInputs);
  auto unrolled = linalg::GenericOp::create(
      rewriter, loc, op->getResultTypes(), inputs,
      ValueRange{op.getDpsInitOperand(0)->get()}, newMaps,
      SmallVector<utils::IteratorType>(numParallel,
                                       utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value sum = args.back();
        for (int64_t t = 0; t < terms; ++t) {
          IRMapping map;
          for (unsigned i = 0; i < numInputs; ++i)
            if (termArgs[t][i] >= 0)
              map.map(body.getArgument(i), args[termArgs[t][i]]);
          map.map(acc, sum);
          for (Operation &o : body.without_terminator())
            b.clone(o, map);
          sum = map.lookupOrDefault(yield.getValues()[0]);
        }
        linalg::YieldOp::create(b, l, sum);
      });
  rewriter.replaceOp(op, unrolled->getResults());
  return success();
}

} // namespace

void codegen::unrollSmallConvolutionTaps(RewriterBase &rewriter,
                                         func::FuncOp func, int64_t maxTerms) {
  SmallVector<linalg::LinalgOp> candidates;
  func.walk([&](linalg::LinalgOp op) {
    if (isa<linalg::GenericOp, linalg::PoolingNchwMaxOp,
            linalg::PoolingNchwSumOp, linalg::PoolingNhwcMaxOp,
            linalg::PoolingNhwcSumOp>(op.getOperation()))
      candidates.push_back(op);
  });
  for (linalg::LinalgOp op : candidates) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      // A named pooling op as the generic it stands for (the same loops:
      // the loop lowering would do the same).
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
          llvm::product_of(op.getStaticLoopRanges()) == 0)
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
      if (failed(g))
        continue;
      generic = *g;
    }
    (void)unrollTaps(rewriter, generic, maxTerms);
  }
}
