//===- BatchFirstSites.cpp - parametric ops computed batch-first ----------===//
//
// See BatchFirstSites.h. A parametric linalg.generic whose result holds the
// batch at dimension d, merged with `outer` entries before it and `inner`
// after it (RowLayout), is rewritten as
//   1. each operand that its batch loop indexes is expanded (expand_shape)
//      so that dimension d becomes [outer,] B[, inner];
//   2. the batch loop is split into the matching loops, and the op writes a
//      batch-first result: [B, the other dimensions in order];
//   3. a permuting copy and a collapse_shape give back the original layout.
// The rewrite changes no value of the forward; its rows stay the rows they
// were (the copies are row-wise), and the op becomes a site with the batch
// alone in dimension 0.
//
//===----------------------------------------------------------------------===//

#include "BatchFirstSites.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// How the batch loop of one op is split.
struct LoopSplit {
  unsigned loop;       // The batch loop of the original op.
  int64_t outer, inner;
  unsigned extra() const { return (outer > 1) + (inner > 1); }
  /// Position of the batch among the split loops / expanded dimensions.
  unsigned batchPos() const { return outer > 1 ? 1 : 0; }
};

/// The static or dynamic sizes of `v`, with dimension `dim` split into
/// [outer,] B[, inner] (B = size / (outer * inner)).
SmallVector<OpFoldResult> splitSizes(OpBuilder &b, Location loc, Value v,
                                     int64_t dim, const LoopSplit &s) {
  SmallVector<OpFoldResult> sizes;
  auto type = cast<RankedTensorType>(v.getType());
  for (int64_t d = 0; d < type.getRank(); ++d) {
    OpFoldResult size = tensor::getMixedSize(b, loc, v, d);
    if (d != dim) {
      sizes.push_back(size);
      continue;
    }
    OpFoldResult batch;
    if (!type.isDynamicDim(d)) {
      batch = b.getIndexAttr(type.getDimSize(d) / (s.outer * s.inner));
    } else {
      Value factor =
          arith::ConstantIndexOp::create(b, loc, s.outer * s.inner);
      batch = arith::DivUIOp::create(b, loc, cast<Value>(size), factor)
                  .getResult();
    }
    if (s.outer > 1)
      sizes.push_back(b.getIndexAttr(s.outer));
    sizes.push_back(batch);
    if (s.inner > 1)
      sizes.push_back(b.getIndexAttr(s.inner));
  }
  return sizes;
}

RankedTensorType typeOf(ArrayRef<OpFoldResult> sizes, Type elementType) {
  SmallVector<int64_t> shape;
  for (OpFoldResult s : sizes) {
    std::optional<int64_t> c = getConstantIntValue(s);
    shape.push_back(c ? *c : ShapedType::kDynamic);
  }
  return RankedTensorType::get(shape, elementType);
}

/// `v` with dimension `dim` split as `s` (v itself when nothing splits).
Value expandDim(OpBuilder &b, Location loc, Value v, int64_t dim,
                const LoopSplit &s, SmallVector<OpFoldResult> &sizes) {
  sizes = splitSizes(b, loc, v, dim, s);
  if (s.extra() == 0)
    return v;
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<ReassociationIndices> groups;
  int64_t next = 0;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    ReassociationIndices g;
    unsigned n = d == dim ? 1 + s.extra() : 1;
    for (unsigned k = 0; k < n; ++k)
      g.push_back(next++);
    groups.push_back(g);
  }
  return tensor::ExpandShapeOp::create(
      b, loc, typeOf(sizes, type.getElementType()), v, groups, sizes);
}

/// A copy of `src` into a new tensor whose dimension j is dimension
/// perm[j] of `src`.
Value permutedCopy(OpBuilder &b, Location loc, Value src,
                   ArrayRef<unsigned> perm,
                   ArrayRef<OpFoldResult> srcSizes) {
  auto type = cast<RankedTensorType>(src.getType());
  SmallVector<OpFoldResult> sizes;
  for (unsigned p : perm)
    sizes.push_back(srcSizes[p]);
  Value empty = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  MLIRContext *ctx = b.getContext();
  // out[j] = src[perm[j]]: loops over the output, src read at perm^-1.
  SmallVector<AffineExpr> inExprs(perm.size());
  for (auto [j, p] : llvm::enumerate(perm))
    inExprs[p] = getAffineDimExpr(j, ctx);
  SmallVector<AffineMap> maps{
      AffineMap::get(perm.size(), 0, inExprs, ctx),
      AffineMap::getMultiDimIdentityMap(perm.size(), ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, ValueRange{src},
             ValueRange{empty}, maps,
             SmallVector<utils::IteratorType>(perm.size(),
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, a[0]);
             })
      .getResult(0);
}

/// Rewrites `op` (see the file comment); fails without changing anything
/// when its form is not one this handles.
LogicalResult rewriteBatchFirst(linalg::GenericOp op, const RowLayout &l) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      !op.hasPureTensorSemantics())
    return failure();
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(init);
  auto batchExpr = dyn_cast<AffineDimExpr>(outMap.getResult(l.dim));
  if (!batchExpr)
    return failure();
  LoopSplit s{batchExpr.getPosition(), l.outer, l.inner};
  MLIRContext *ctx = op.getContext();
  unsigned numLoops = op.getNumLoops(), newLoops = numLoops + s.extra();
  // Old loop -> new loop expressions (the batch loop -> its split loops).
  auto loopExprs = [&](unsigned d) {
    SmallVector<AffineExpr> e;
    if (d < s.loop)
      e.push_back(getAffineDimExpr(d, ctx));
    else if (d > s.loop)
      e.push_back(getAffineDimExpr(d + s.extra(), ctx));
    else
      for (unsigned k = 0; k <= s.extra(); ++k)
        e.push_back(getAffineDimExpr(d + k, ctx));
    return e;
  };
  SmallVector<AffineExpr> shifted;
  for (unsigned d = 0; d < numLoops; ++d)
    shifted.push_back(loopExprs(d).front());

  // Where each input reads the batch loop (as a whole dimension, at most
  // once); the output reads it only at l.dim.
  AffineExpr batchLoop = getAffineDimExpr(s.loop, ctx);
  SmallVector<std::optional<int64_t>> batchAt;
  for (OpOperand *in : op.getDpsInputOperands()) {
    std::optional<int64_t> at;
    for (auto [r, e] :
         llvm::enumerate(op.getMatchingIndexingMap(in).getResults())) {
      if (!e.isFunctionOfDim(s.loop))
        continue;
      if (e != batchLoop || at)
        return failure();
      at = r;
    }
    batchAt.push_back(at);
  }
  for (auto [r, e] : llvm::enumerate(outMap.getResults()))
    if (static_cast<int64_t>(r) != l.dim && e.isFunctionOfDim(s.loop))
      return failure();

  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (auto [k, in] : llvm::enumerate(op.getDpsInputOperands())) {
    AffineMap m = op.getMatchingIndexingMap(in);
    std::optional<int64_t> at = batchAt[k];
    SmallVector<AffineExpr> exprs;
    for (auto [r, e] : llvm::enumerate(m.getResults())) {
      if (at && static_cast<int64_t>(r) == *at)
        llvm::append_range(exprs, loopExprs(s.loop));
      else
        exprs.push_back(e.replaceDims(shifted));
    }
    maps.push_back(AffineMap::get(newLoops, 0, exprs, ctx));
    SmallVector<OpFoldResult> sizes;
    inputs.push_back(at ? expandDim(b, loc, in->get(), *at, s, sizes)
                        : in->get());
  }
  // The output: expanded order, then batch-first.
  SmallVector<AffineExpr> outExprs;
  for (auto [r, e] : llvm::enumerate(outMap.getResults())) {
    if (static_cast<int64_t>(r) == l.dim)
      llvm::append_range(outExprs, loopExprs(s.loop));
    else
      outExprs.push_back(e.replaceDims(shifted));
  }
  unsigned batchDim = l.dim + s.batchPos();
  SmallVector<unsigned> perm{batchDim};
  for (unsigned d = 0; d < outExprs.size(); ++d)
    if (d != batchDim)
      perm.push_back(d);
  SmallVector<AffineExpr> firstExprs;
  for (unsigned p : perm)
    firstExprs.push_back(outExprs[p]);
  maps.push_back(AffineMap::get(newLoops, 0, firstExprs, ctx));

  SmallVector<OpFoldResult> outSizes;
  Value expandedInit = expandDim(b, loc, init->get(), l.dim, s, outSizes);
  Type et = getElementTypeOrSelf(init->get().getType());
  Value newInit;
  Block *body = op.getBlock();
  bool readsOut = !body->getArgument(body->getNumArguments() - 1).use_empty();
  if (!readsOut) {
    SmallVector<OpFoldResult> sizes;
    for (unsigned p : perm)
      sizes.push_back(outSizes[p]);
    newInit = tensor::EmptyOp::create(b, loc, sizes, et);
  } else if (auto fill = init->get().getDefiningOp<linalg::FillOp>()) {
    SmallVector<OpFoldResult> sizes;
    for (unsigned p : perm)
      sizes.push_back(outSizes[p]);
    Value empty = tensor::EmptyOp::create(b, loc, sizes, et);
    newInit = linalg::FillOp::create(b, loc, fill.getInputs()[0],
                                     ValueRange{empty})
                  .getResult(0);
  } else {
    newInit = permutedCopy(b, loc, expandedInit, perm, outSizes);
  }

  SmallVector<utils::IteratorType> iters;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray())) {
    iters.push_back(it);
    if (d == s.loop)
      iters.append(s.extra(), it);
  }
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{newInit.getType()}, inputs, ValueRange{newInit}, maps,
      iters);
  IRRewriter rewriter(b);
  rewriter.cloneRegionBefore(op.getRegion(), generic.getRegion(),
                             generic.getRegion().begin());
  // Loop indices the body reads, renumbered past the split.
  generic.getRegion().walk([&](linalg::IndexOp i) {
    if (i.getDim() > s.loop)
      i.setDim(i.getDim() + s.extra());
  });
  for (NamedAttribute a : op->getDiscardableAttrs())
    generic->setAttr(a.getName(), a.getValue());

  // Back to the original layout: undo the permutation, merge the split.
  SmallVector<OpFoldResult> firstSizes;
  for (unsigned p : perm)
    firstSizes.push_back(outSizes[p]);
  SmallVector<unsigned> inverse(perm.size());
  for (auto [j, p] : llvm::enumerate(perm))
    inverse[p] = j;
  bool identity = llvm::all_of(llvm::enumerate(inverse), [](auto e) {
    return e.index() == e.value();
  });
  Value back = identity ? generic.getResult(0)
                        : permutedCopy(b, loc, generic.getResult(0), inverse,
                                       firstSizes);
  if (s.extra() > 0) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    SmallVector<ReassociationIndices> groups;
    int64_t next = 0;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      ReassociationIndices g;
      unsigned n = d == l.dim ? 1 + s.extra() : 1;
      for (unsigned k = 0; k < n; ++k)
        g.push_back(next++);
      groups.push_back(g);
    }
    back = tensor::CollapseShapeOp::create(b, loc, type, back, groups);
  }
  op->getResult(0).replaceAllUsesWith(back);
  op->erase();
  return success();
}

} // namespace

FailureOr<bool>
mlir::flops::makeSitesBatchFirst(const ForwardInfo &info,
                                 const DenseMap<Value, RowLayout> &layout) {
  SmallVector<std::pair<linalg::GenericOp, RowLayout>> todo;
  for (Operation &op : info.entry->without_terminator()) {
    if (op.getNumResults() != 1 || info.views.count(op.getResult(0)))
      continue;
    bool usesParam = llvm::any_of(info.paramReads(&op), [&](Value v) {
      return info.paramOf(v).has_value();
    });
    auto it = layout.find(op.getResult(0));
    if (!usesParam || it == layout.end() || it->second.isBatchAlone())
      continue;
    auto g = dyn_cast<linalg::GenericOp>(op);
    if (!g)
      continue; // Left to the site check's diagnostic.
    todo.push_back({g, it->second});
  }
  bool changed = false;
  for (auto [g, l] : todo)
    changed |= succeeded(rewriteBatchFirst(g, l));
  return changed;
}
