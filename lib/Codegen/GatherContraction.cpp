//===- GatherContraction.cpp - im2col for gathered multiply-accumulates ---===//
//
// A multiply-accumulate generic out[.] += a[.] * b[.] whose maps are
// projected permutations except the one of a single input (e.g. the
// weight-gradient convolution the LR rule emits for a conv site:
//   dW[f, c, kh, kw] += x_pad[n, c, oh*s + kh, ow*s + kw] * Δ[n, f, oh, ow]
// ) is neither a contraction nor elementwise, so it would run as scalar
// loops. Here the gathered input is first copied into a "column" tensor
// indexed by the loops it uses (an im2col), which turns the op into a
// contraction; the loops are then reordered (output loops first, the
// reduction loops in the order of the other input) and the runs of loops
// that are contiguous in every operand are collapsed, so the contraction is
// the plain batch-reduced matrix product dW[f, K] += Δ[n, f, P] * col[n, P, K]
// that ContractionTiling tiles and vectorizes along K.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::codegen;

/// out + a * b (either operand order, either add order), nothing else, all
/// of one float type.
bool codegen::isPlainMultiplyAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  Type t = body.getArgument(0).getType();
  if (!isa<FloatType>(t) || body.getArgument(1).getType() != t ||
      body.getArgument(2).getType() != t)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value prod = add.getLhs() == acc   ? add.getRhs()
               : add.getRhs() == acc ? add.getLhs()
                                     : Value();
  auto mul = prod ? prod.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value x = body.getArgument(0), y = body.getArgument(1);
  return (mul.getLhs() == x && mul.getRhs() == y) ||
         (mul.getLhs() == y && mul.getRhs() == x);
}

namespace {

Value transposed(RewriterBase &rewriter, Location loc, Value x,
                 ArrayRef<int64_t> perm);

/// The input that the rewrite gathers (its map is not a projected
/// permutation; every other map is), or -1.
int gatheredInput(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || op.getNumReductionLoops() == 0 ||
      linalg::isaContractionOpInterface(op) || !isPlainMultiplyAccumulate(op))
    return -1;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[2].isProjectedPermutation())
    return -1;
  int gathered = -1;
  for (int i = 0; i < 2; ++i) {
    if (maps[i].getNumSymbols() != 0)
      return -1;
    if (maps[i].isProjectedPermutation())
      continue;
    if (gathered >= 0)
      return -1;
    gathered = i;
  }
  return gathered;
}

/// Groups of consecutive loops that are contiguous and in order in every
/// map that uses one of them (and absent from the others): what
/// collapseOpIterationDims may fold.
SmallVector<ReassociationIndices> foldableLoops(ArrayRef<AffineMap> maps,
                                               unsigned numLoops) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices current = {0};
  auto extends = [&](unsigned d) {
    for (AffineMap m : maps) {
      MLIRContext *ctx = m.getContext();
      std::optional<unsigned> p =
          m.getResultPosition(getAffineDimExpr(d - 1, ctx));
      std::optional<unsigned> q = m.getResultPosition(getAffineDimExpr(d, ctx));
      if (p.has_value() != q.has_value())
        return false;
      if (p && *q != *p + 1)
        return false;
    }
    return true;
  };
  for (unsigned d = 1; d < numLoops; ++d) {
    if (extends(d)) {
      current.push_back(d);
      continue;
    }
    if (current.size() > 1)
      groups.push_back(current);
    current = {static_cast<int64_t>(d)};
  }
  if (current.size() > 1)
    groups.push_back(current);
  return groups;
}

/// The other (not gathered) input `x` with map `map`, transposed so that its
/// reduction loops come last (in their order in `map`) when they are not
/// already: then they are contiguous in both inputs of the contraction and
/// fold into one (dW[f, K] += Δ[f, n*P] * col[n*P, K], one product with the
/// images in its reduction instead of one per image). Returns the value and
/// map to use (the given ones when nothing is to be done).
std::pair<Value, AffineMap>
reductionsLast(RewriterBase &rewriter, Location loc, Value x, AffineMap map,
               ArrayRef<utils::IteratorType> iters) {
  SmallVector<int64_t> perm;
  for (bool reductionPart : {false, true})
    for (auto [i, e] : llvm::enumerate(map.getResults()))
      if (linalg::isReductionIterator(
              iters[cast<AffineDimExpr>(e).getPosition()]) == reductionPart)
        perm.push_back(static_cast<int64_t>(i));
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return {x, map};
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> results;
  for (int64_t p : perm) {
    shape.push_back(type.getDimSize(p));
    results.push_back(map.getResult(p));
  }
  Value init =
      tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
  Value t =
      linalg::TransposeOp::create(rewriter, loc, x, init, perm)->getResult(0);
  return {t, AffineMap::get(map.getNumDims(), 0, results, map.getContext())};
}

/// `e` as `outer * stride + inner` (or `outer + inner`, stride 1) with
/// `outer` a reduction loop and `inner` a parallel one.
bool matchStridedTap(AffineExpr e, ArrayRef<utils::IteratorType> iters,
                     unsigned &outer, unsigned &inner, int64_t &stride) {
  auto add = dyn_cast<AffineBinaryOpExpr>(e);
  if (!add || add.getKind() != AffineExprKind::Add)
    return false;
  auto term = [&](AffineExpr t, unsigned &d, int64_t &k) {
    k = 1;
    if (auto mul = dyn_cast<AffineBinaryOpExpr>(t)) {
      auto c = dyn_cast<AffineConstantExpr>(mul.getRHS());
      auto dim = dyn_cast<AffineDimExpr>(mul.getLHS());
      if (mul.getKind() != AffineExprKind::Mul || !c || !dim ||
          c.getValue() <= 0)
        return false;
      d = dim.getPosition();
      k = c.getValue();
      return true;
    }
    auto dim = dyn_cast<AffineDimExpr>(t);
    if (!dim)
      return false;
    d = dim.getPosition();
    return true;
  };
  unsigned a, b;
  int64_t ka, kb;
  if (!term(add.getLHS(), a, ka) || !term(add.getRHS(), b, kb) || a == b)
    return false;
  // The reduction loop (output pixel) carries the stride; the tap has none.
  if (linalg::isReductionIterator(iters[b]) &&
      linalg::isParallelIterator(iters[a])) {
    std::swap(a, b);
    std::swap(ka, kb);
  }
  if (!linalg::isReductionIterator(iters[a]) ||
      !linalg::isParallelIterator(iters[b]) || kb != 1)
    return false;
  outer = a;
  inner = b;
  stride = ka;
  return true;
}

/// The NCHW weight-gradient convolution
///   dW[f, c, i, j] += x[n, c, p*sh + i, q*sw + j] * Δ[n, f, p, q]
/// (loops in any order) with n*p*q >= f and c*kh*kw a multiple of `mTile`
/// (the register tile's rows: a masked tail tile of the product lowers to
/// slow code, e.g. 7x7 stem filters over 3 channels, K = 147) as
///   dW^T[(c, i, j), f] += col[(c, i, j), (n, p, q)] * Δ^T[(n, p, q), f]
/// with col from buildTapMajorColumns (vectorized copies instead of a scalar
/// gather). Δ and dW are transposed around the product; each dW element is
/// the same FMA chain over (n, p, q) in the same order as in the folded
/// product dW[f, K] += Δ'[f, R] * col[R, K].
LogicalResult rewriteConvWeightGradientTransposed(RewriterBase &rewriter,
                                                  linalg::GenericOp op,
                                                  int gathered, int64_t mTile) {
  if (op.getNumLoops() != 7)
    return failure();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap gMap = maps[gathered], oMap = maps[1 - gathered], outMap = maps[2];
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (gMap.getNumResults() != 4 || oMap.getNumResults() != 4 ||
      outMap.getNumResults() != 4)
    return failure();
  auto dimAt = [](AffineMap m, unsigned i) -> int {
    auto d = dyn_cast<AffineDimExpr>(m.getResult(i));
    return d ? static_cast<int>(d.getPosition()) : -1;
  };
  int n = dimAt(gMap, 0), c = dimAt(gMap, 1);
  unsigned p, i, q, j;
  int64_t sh, sw;
  if (n < 0 || c < 0 ||
      !matchStridedTap(gMap.getResult(2), iters, p, i, sh) ||
      !matchStridedTap(gMap.getResult(3), iters, q, j, sw))
    return failure();
  int f = dimAt(oMap, 1);
  if (f < 0 || dimAt(oMap, 0) != n || dimAt(oMap, 2) != static_cast<int>(p) ||
      dimAt(oMap, 3) != static_cast<int>(q) || dimAt(outMap, 0) != f ||
      dimAt(outMap, 1) != c || dimAt(outMap, 2) != static_cast<int>(i) ||
      dimAt(outMap, 3) != static_cast<int>(j) ||
      !linalg::isReductionIterator(iters[n]) ||
      !linalg::isParallelIterator(iters[c]) ||
      !linalg::isParallelIterator(iters[f]))
    return failure();
  SmallVector<int64_t> ext = op.getStaticLoopRanges();
  int64_t rows = ext[n] * ext[p] * ext[q];
  int64_t k = ext[c] * ext[i] * ext[j];
  if (rows < ext[f] || k % mTile != 0)
    return failure();
  Value x = op.getDpsInputOperand(gathered)->get();
  Value d = op.getDpsInputOperand(1 - gathered)->get();
  Value acc = op.getDpsInitOperand(0)->get();
  auto xType = cast<RankedTensorType>(x.getType());
  Type et = xType.getElementType();
  if (cast<RankedTensorType>(d.getType()).getElementType() != et ||
      cast<RankedTensorType>(acc.getType()).getElementType() != et)
    return failure();
  // The taps' slices stay inside x (the op reads them all).
  if ((ext[p] - 1) * sh + ext[i] > xType.getDimSize(2) ||
      (ext[q] - 1) * sw + ext[j] > xType.getDimSize(3))
    return failure();

  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value col = buildTapMajorColumns(rewriter, loc, x, ext[i], ext[j], ext[p],
                                   ext[q], sh, sw);
  // Δ^T[(n, p, q), f]
  Value dT = tensor::CollapseShapeOp::create(
      rewriter, loc, transposed(rewriter, loc, d, {0, 2, 3, 1}),
      SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
  // dW^T[K, f]: a zero fill stays a fill, anything else is transposed.
  auto accT = RankedTensorType::get({k, ext[f]}, et);
  Value init;
  if (auto fill = acc.getDefiningOp<linalg::FillOp>()) {
    Value empty = tensor::EmptyOp::create(rewriter, loc, accT.getShape(), et);
    init = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], empty)
               .getResult(0);
  } else {
    Value acc2 = tensor::CollapseShapeOp::create(
        rewriter, loc, acc, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    init = transposed(rewriter, loc, acc2, {1, 0});
  }
  // out[k, f] += col[k, r] * dT[r, f]; loops (k, f, r).
  AffineExpr dk, df, dr;
  bindDims(ctx, dk, df, dr);
  SmallVector<AffineMap> mmMaps = {AffineMap::get(3, 0, {dk, dr}, ctx),
                                   AffineMap::get(3, 0, {dr, df}, ctx),
                                   AffineMap::get(3, 0, {dk, df}, ctx)};
  auto mm = linalg::GenericOp::create(
      rewriter, loc, TypeRange{accT}, ValueRange{col, dT}, ValueRange{init},
      mmMaps,
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                       utils::IteratorType::parallel,
                                       utils::IteratorType::reduction},
      [](OpBuilder &b, Location l, ValueRange args) {
        Value prod = arith::MulFOp::create(b, l, args[0], args[1]);
        linalg::YieldOp::create(
            b, l, Value(arith::AddFOp::create(b, l, args[2], prod)));
      });
  Value out = tensor::ExpandShapeOp::create(
      rewriter, loc, acc.getType(),
      transposed(rewriter, loc, mm.getResult(0), {1, 0}),
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  rewriter.replaceOp(op, out);
  return success();
}

LogicalResult rewriteGatherContraction(RewriterBase &rewriter,
                                       linalg::GenericOp op, int gathered,
                                       bool foldReductions) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  unsigned numLoops = op.getNumLoops();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap gMap = maps[gathered], oMap = maps[1 - gathered], outMap = maps[2];
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  Value other = op.getDpsInputOperand(1 - gathered)->get();
  rewriter.setInsertionPoint(op);
  if (foldReductions)
    std::tie(other, oMap) = reductionsLast(rewriter, loc, other, oMap, iters);

  // New loop order: the output's loops in its order, then the reduction
  // loops in the order of the other input, then any others.
  SmallVector<unsigned> order;
  auto add = [&](unsigned d) {
    if (!llvm::is_contained(order, d))
      order.push_back(d);
  };
  for (AffineExpr e : outMap.getResults())
    add(cast<AffineDimExpr>(e).getPosition());
  for (AffineExpr e : oMap.getResults())
    add(cast<AffineDimExpr>(e).getPosition());
  for (unsigned d = 0; d < numLoops; ++d)
    add(d);
  SmallVector<unsigned> newPos(numLoops);
  for (auto [i, d] : llvm::enumerate(order))
    newPos[d] = i;

  // The column tensor: the loops the gathered input uses, reductions first,
  // each part in the new loop order.
  llvm::SmallBitVector used(numLoops);
  gMap.walkExprs([&](AffineExpr e) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      used.set(d.getPosition());
  });
  SmallVector<unsigned> colDims;
  for (bool reductionPart : {true, false})
    for (unsigned d : order)
      if (used.test(d) && linalg::isReductionIterator(iters[d]) == reductionPart)
        colDims.push_back(d);
  SmallVector<int64_t> colShape;
  for (unsigned d : colDims)
    colShape.push_back(extents[d]);

  // The gather copy: col[i...] = g[gMap(colDims[i]...)].
  SmallVector<AffineExpr> toCol(numLoops, getAffineConstantExpr(0, ctx));
  for (auto [i, d] : llvm::enumerate(colDims))
    toCol[d] = getAffineDimExpr(i, ctx);
  AffineMap gatherIn = gMap.replaceDimsAndSymbols(toCol, {}, colDims.size(), 0);
  Value g = op.getDpsInputOperand(gathered)->get();
  Type et = cast<RankedTensorType>(g.getType()).getElementType();
  rewriter.setInsertionPoint(op);
  Value colInit = tensor::EmptyOp::create(rewriter, loc, colShape, et);
  auto gather = linalg::GenericOp::create(
      rewriter, loc, TypeRange{colInit.getType()}, ValueRange{g},
      ValueRange{colInit},
      SmallVector<AffineMap>{
          gatherIn, rewriter.getMultiDimIdentityMap(colDims.size())},
      SmallVector<utils::IteratorType>(colDims.size(),
                                       utils::IteratorType::parallel),
      [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, args[0]);
      });

  // The contraction in the new loop order: (other, col) -> out.
  auto renumber = [&](AffineMap m) {
    SmallVector<AffineExpr> subst;
    for (unsigned d = 0; d < numLoops; ++d)
      subst.push_back(getAffineDimExpr(newPos[d], ctx));
    return m.replaceDimsAndSymbols(subst, {}, numLoops, 0);
  };
  SmallVector<AffineExpr> colResults;
  for (unsigned d : colDims)
    colResults.push_back(getAffineDimExpr(newPos[d], ctx));
  SmallVector<AffineMap> newMaps = {
      renumber(oMap), AffineMap::get(numLoops, 0, colResults, ctx),
      renumber(outMap)};
  SmallVector<utils::IteratorType> newIters;
  for (unsigned d : order)
    newIters.push_back(iters[d]);
  auto contraction = linalg::GenericOp::create(
      rewriter, loc, op->getResultTypes(),
      ValueRange{other, gather.getResult(0)},
      ValueRange{op.getDpsInitOperand(0)->get()}, newMaps, newIters,
      [](OpBuilder &b, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(b, l, args[0], args[1]);
        linalg::YieldOp::create(b, l,
                                Value(arith::AddFOp::create(b, l, args[2], p)));
      });

  SmallVector<ReassociationIndices> groups = foldableLoops(newMaps, numLoops);
  if (groups.empty()) {
    rewriter.replaceOp(op, contraction->getResults());
    return success();
  }
  FailureOr<linalg::CollapseResult> collapsed = linalg::collapseOpIterationDims(
      cast<linalg::LinalgOp>(contraction.getOperation()), groups, rewriter);
  if (failed(collapsed)) {
    rewriter.replaceOp(op, contraction->getResults());
    return success();
  }
  rewriter.replaceOp(contraction, collapsed->results);
  rewriter.replaceOp(op, collapsed->results);
  return success();
}

} // namespace

void codegen::convertGatherContractionsToIm2Col(RewriterBase &rewriter,
                                               func::FuncOp func,
                                               bool foldReductions,
                                               bool transposedConv,
                                               int64_t mTile) {
  SmallVector<std::pair<linalg::GenericOp, int>> candidates;
  func.walk([&](linalg::GenericOp op) {
    int g = gatheredInput(op);
    if (g >= 0)
      candidates.push_back({op, g});
  });
  for (auto [op, g] : candidates) {
    if (transposedConv &&
        succeeded(
            rewriteConvWeightGradientTransposed(rewriter, op, g, mTile)))
      continue;
    (void)rewriteGatherContraction(rewriter, op, g, foldReductions);
  }
}

//===----------------------------------------------------------------------===//
// im2col as strided slices
//===----------------------------------------------------------------------===//

Value codegen::buildSliceIm2Col(RewriterBase &rewriter, Location loc, Value x,
                                int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                                int64_t sh, int64_t sw) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t n = xType.getDimSize(0), c = xType.getDimSize(1);
  Type et = xType.getElementType();
  auto sliceType = RankedTensorType::get({n, c, oh, ow}, et);
  Value col = tensor::EmptyOp::create(rewriter, loc,
                                      ArrayRef<int64_t>{n, c, kh, kw, oh, ow}, et);
  auto idx = [&](int64_t v) -> OpFoldResult { return rewriter.getIndexAttr(v); };
  for (int64_t i = 0; i < kh; ++i) {
    for (int64_t j = 0; j < kw; ++j) {
      // x[:, :, i : i + sh*oh : sh, j : j + sw*ow : sw]
      Value src = tensor::ExtractSliceOp::create(
          rewriter, loc, sliceType, x,
          SmallVector<OpFoldResult>{idx(0), idx(0), idx(i), idx(j)},
          SmallVector<OpFoldResult>{idx(n), idx(c), idx(oh), idx(ow)},
          SmallVector<OpFoldResult>{idx(1), idx(1), idx(sh), idx(sw)});
      SmallVector<OpFoldResult> offsets = {idx(0), idx(0), idx(i),
                                           idx(j), idx(0), idx(0)};
      SmallVector<OpFoldResult> sizes = {idx(n), idx(c), idx(1),
                                         idx(1), idx(oh), idx(ow)};
      SmallVector<OpFoldResult> ones(6, idx(1));
      Value dst = tensor::ExtractSliceOp::create(rewriter, loc, sliceType, col,
                                                 offsets, sizes, ones);
      Value copied =
          linalg::CopyOp::create(rewriter, loc, src, dst).getResult(0);
      col = tensor::InsertSliceOp::create(rewriter, loc, copied, col, offsets,
                                          sizes, ones);
    }
  }
  // [n, c*kh*kw, oh*ow]
  return tensor::CollapseShapeOp::create(
      rewriter, loc, col,
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4, 5}});
}

Value codegen::buildTapMajorColumns(RewriterBase &rewriter, Location loc,
                                   Value x, int64_t kh, int64_t kw, int64_t oh,
                                   int64_t ow, int64_t sh, int64_t sw) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t n = xType.getDimSize(0), c = xType.getDimSize(1);
  Type et = xType.getElementType();
  auto idx = [&](int64_t v) -> OpFoldResult { return rewriter.getIndexAttr(v); };
  // col[c, i, j, n, oh, ow] = x[n, c, i + sh*oh, j + sw*ow]: one transposing
  // copy per tap, vectorized along ow.
  auto tapType = RankedTensorType::get({n, c, oh, ow}, et);
  auto colTapType = RankedTensorType::get({c, n, oh, ow}, et);
  Value col = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{c, kh, kw, n, oh, ow}, et);
  for (int64_t i = 0; i < kh; ++i) {
    for (int64_t j = 0; j < kw; ++j) {
      Value src = tensor::ExtractSliceOp::create(
          rewriter, loc, tapType, x,
          SmallVector<OpFoldResult>{idx(0), idx(0), idx(i), idx(j)},
          SmallVector<OpFoldResult>{idx(n), idx(c), idx(oh), idx(ow)},
          SmallVector<OpFoldResult>{idx(1), idx(1), idx(sh), idx(sw)});
      SmallVector<OpFoldResult> offsets = {idx(0), idx(i), idx(j),
                                           idx(0), idx(0), idx(0)};
      SmallVector<OpFoldResult> sizes = {idx(c), idx(1), idx(1),
                                         idx(n), idx(oh), idx(ow)};
      SmallVector<OpFoldResult> ones(6, idx(1));
      Value dst = tensor::ExtractSliceOp::create(rewriter, loc, colTapType,
                                                 col, offsets, sizes, ones);
      Value copied = linalg::TransposeOp::create(rewriter, loc, src, dst,
                                                 ArrayRef<int64_t>{1, 0, 2, 3})
                         ->getResult(0);
      col = tensor::InsertSliceOp::create(rewriter, loc, copied, col, offsets,
                                          sizes, ones);
    }
  }
  // [c*kh*kw, n*oh*ow]
  return tensor::CollapseShapeOp::create(
      rewriter, loc, col,
      SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

namespace {

/// The strides of a 2-D convolution with unit dilations, static shapes and
/// pure tensor semantics, or failure.
FailureOr<std::pair<int64_t, int64_t>> unitDilationStrides(
    linalg::Conv2DNchwFchwOp conv) {
  if (!conv.hasPureTensorSemantics() || conv.hasDynamicShape())
    return failure();
  for (APInt d : conv.getDilations())
    if (d.getSExtValue() != 1)
      return failure();
  SmallVector<int64_t> s;
  for (APInt v : conv.getStrides())
    s.push_back(v.getSExtValue());
  return std::make_pair(s[0], s[1]);
}

} // namespace

namespace {

/// linalg.transpose of `x` by `perm` into a new tensor.
Value transposed(RewriterBase &rewriter, Location loc, Value x,
                 ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init =
      tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, x, init, perm)
      ->getResult(0);
}

} // namespace

LogicalResult codegen::rewriteConvNchwWithBatchInColumns(
    RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv, int64_t sh,
    int64_t sw) {
  Value x = conv.getInputs()[0], w = conv.getInputs()[1];
  Value init = conv.getOutputs()[0];
  auto wType = cast<RankedTensorType>(w.getType());
  auto oType = cast<RankedTensorType>(init.getType());
  int64_t n = oType.getDimSize(0), f = oType.getDimSize(1);
  int64_t oh = oType.getDimSize(2), ow = oType.getDimSize(3);
  int64_t kh = wType.getDimSize(2), kw = wType.getDimSize(3);
  Type et = oType.getElementType();
  Location loc = conv.getLoc();
  MLIRContext *ctx = conv.getContext();

  Value col2 = buildTapMajorColumns(rewriter, loc, x, kh, kw, oh, ow, sh, sw);
  Value w2 = tensor::CollapseShapeOp::create(
      rewriter, loc, w, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  // The accumulator as [f, n*oh*ow].
  Value init3 = tensor::CollapseShapeOp::create(
      rewriter, loc, init, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  Value initT = tensor::CollapseShapeOp::create(
      rewriter, loc, transposed(rewriter, loc, init3, {1, 0, 2}),
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  // out[f, q] += w[f, k] * col[k, q]; loops (f, q, k).
  AffineExpr df, dq, dk;
  bindDims(ctx, df, dq, dk);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {df, dk}, ctx),
                                 AffineMap::get(3, 0, {dk, dq}, ctx),
                                 AffineMap::get(3, 0, {df, dq}, ctx)};
  auto mm = linalg::GenericOp::create(
      rewriter, loc, TypeRange{initT.getType()}, ValueRange{w2, col2},
      ValueRange{initT}, maps,
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                       utils::IteratorType::parallel,
                                       utils::IteratorType::reduction},
      [](OpBuilder &b, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(b, l, args[0], args[1]);
        linalg::YieldOp::create(b, l,
                                Value(arith::AddFOp::create(b, l, args[2], p)));
      });
  Value out3 = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get({f, n, oh * ow}, et),
      mm.getResult(0), SmallVector<ReassociationIndices>{{0}, {1, 2}});
  Value out = tensor::ExpandShapeOp::create(
      rewriter, loc, oType, transposed(rewriter, loc, out3, {1, 0, 2}),
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  rewriter.replaceOp(conv, out);
  return success();
}

LogicalResult codegen::rewriteConvNchwAsSliceIm2Col(RewriterBase &rewriter,
                                                    linalg::Conv2DNchwFchwOp conv,
                                                    int64_t foldBatchBelow,
                                                    bool pointwiseInPlace) {
  FailureOr<std::pair<int64_t, int64_t>> strides = unitDilationStrides(conv);
  if (failed(strides))
    return failure();
  Value x = conv.getInputs()[0], w = conv.getInputs()[1];
  Value init = conv.getOutputs()[0];
  auto wType = cast<RankedTensorType>(w.getType());
  auto oType = cast<RankedTensorType>(init.getType());
  auto xType = cast<RankedTensorType>(x.getType());
  Type et = oType.getElementType();
  if (xType.getElementType() != et || wType.getElementType() != et)
    return failure();
  int64_t oh = oType.getDimSize(2), ow = oType.getDimSize(3);
  int64_t kh = wType.getDimSize(2), kw = wType.getDimSize(3);
  Location loc = conv.getLoc();
  MLIRContext *ctx = conv.getContext();
  rewriter.setInsertionPoint(conv);
  int64_t n = oType.getDimSize(0);
  if (n > 1 && oh * ow < foldBatchBelow)
    return rewriteConvNchwWithBatchInColumns(rewriter, conv, strides->first,
                                             strides->second);
  // A 1x1 stride-1 filter over an unpadded input reads every pixel once in
  // place: the input itself, collapsed, is the column matrix (no copy).
  Value col =
      pointwiseInPlace && kh == 1 && kw == 1 && strides->first == 1 &&
              strides->second == 1 &&
              xType.getDimSize(2) == oh && xType.getDimSize(3) == ow
          ? Value(tensor::CollapseShapeOp::create(
                rewriter, loc, x,
                SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}}))
          : buildSliceIm2Col(rewriter, loc, x, kh, kw, oh, ow, strides->first,
                             strides->second);
  Value w2 = tensor::CollapseShapeOp::create(
      rewriter, loc, w, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  Value o3 = tensor::CollapseShapeOp::create(
      rewriter, loc, init, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  // out[n, f, p] += w[f, k] * col[n, k, p]; loops (n, f, p, k).
  AffineExpr dn, df, dp, dk;
  bindDims(ctx, dn, df, dp, dk);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {df, dk}, ctx),
                                 AffineMap::get(4, 0, {dn, dk, dp}, ctx),
                                 AffineMap::get(4, 0, {dn, df, dp}, ctx)};
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  auto mm = linalg::GenericOp::create(
      rewriter, loc, TypeRange{o3.getType()}, ValueRange{w2, col},
      ValueRange{o3}, maps, iters,
      [](OpBuilder &b, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(b, l, args[0], args[1]);
        linalg::YieldOp::create(b, l,
                                Value(arith::AddFOp::create(b, l, args[2], p)));
      });
  Value out = tensor::ExpandShapeOp::create(
      rewriter, loc, oType, mm.getResult(0),
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  rewriter.replaceOp(conv, out);
  return success();
}
