//===- WidenVectorLoops.cpp - longer vector loops for elementwise ops -----===//
//
// tileAndVectorizeElementwise vectorizes the loop of an op's innermost output
// dimension. In a convolutional network that dimension is often short: the
// sites of ResNet-18's last layers hold 2x2 and 1x1 pixels (their noise, Δ
// and log-σ nests ran 2 and 1 lanes wide, without the shared Philox blocks),
// and the optimizer's update of a [f, c, 3, 3] weight ran 3 lanes wide.
// widenVectorLoop first drops the op's unit loops, then collapses the vector
// loop with the outer loops that are contiguous with it in every operand
// (and of the same iterator type), so that the vector runs along e.g. the
// channels of a 1x1 site, the 4 pixels of a 2x2 one, or a whole weight.
//
// The collapse rewrites a collapsed loop's linalg.index as a division and a
// remainder of the new loop's; a counter of flops.counter_normal computed as
// the linear offset of an element, e.g. (c*2 + h)*2 + w, then reads
// (c*2 + p floordiv 2)*2 + p mod 2. Such operands are simplified back to a
// linear form (c*4 + p) as affine expressions, so that the noise expansion
// still sees consecutive lanes (ExpandNoise.cpp) and shares Philox blocks.
// Every element is computed as before (the same counters, the same
// operations); only reductions over the collapsed loops (a per-channel
// log-σ sum over 2x2 pixels) add their terms in a different grouping.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/IR/AffineExprVisitor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::codegen;

namespace {

/// A positive constant, or 0.
int64_t positiveConstant(Value v) {
  APInt c;
  if (!matchPattern(v, m_ConstantInt(&c)) || c.getSExtValue() <= 0)
    return 0;
  return c.getSExtValue();
}

/// The index value `v` of a linalg body as an affine expression of the
/// body's linalg.index dimensions (all non-negative, so that signed and
/// unsigned divisions by positive constants are floor divisions), or null.
/// Index values defined outside the op (a chunk's row offset) are symbols.
struct IndexSymbols {
  Operation *op;
  SmallVector<Value> values;
  AffineExpr of(Value v) {
    auto it = llvm::find(values, v);
    if (it == values.end()) {
      values.push_back(v);
      it = std::prev(values.end());
    }
    return getAffineSymbolExpr(it - values.begin(), op->getContext());
  }
};

AffineExpr indexExpr(Value v, IndexSymbols &syms, int depth = 0) {
  MLIRContext *ctx = v.getContext();
  if (depth > 32 || !v.getType().isIndex())
    return {};
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return getAffineConstantExpr(c.getSExtValue(), ctx);
  if (!syms.op->isAncestor(v.getParentBlock()->getParentOp()))
    return syms.of(v);
  Operation *op = v.getDefiningOp();
  if (!op)
    return {};
  if (auto index = dyn_cast<linalg::IndexOp>(op))
    return getAffineDimExpr(index.getDim(), ctx);
  auto operand = [&](unsigned i) {
    return indexExpr(op->getOperand(i), syms, depth + 1);
  };
  if (isa<arith::AddIOp, arith::MulIOp>(op)) {
    AffineExpr l = operand(0), r = operand(1);
    if (!l || !r)
      return {};
    if (isa<arith::AddIOp>(op))
      return l + r;
    if (!isa<AffineConstantExpr>(l) && !isa<AffineConstantExpr>(r))
      return {};
    return l * r;
  }
  if (isa<arith::DivSIOp, arith::DivUIOp, arith::FloorDivSIOp,
          arith::RemSIOp, arith::RemUIOp>(op)) {
    int64_t d = positiveConstant(op->getOperand(1));
    AffineExpr l = operand(0);
    if (!l || d == 0)
      return {};
    if (isa<arith::RemSIOp, arith::RemUIOp>(op))
      return l % d;
    return l.floorDiv(d);
  }
  if (auto delin = dyn_cast<affine::AffineDelinearizeIndexOp>(op)) {
    std::optional<SmallVector<int64_t>> basis =
        getConstantIntValues(delin.getMixedBasis());
    AffineExpr l = indexExpr(delin.getLinearIndex(), syms, depth + 1);
    if (!basis || !l)
      return {};
    // Result k: (x floordiv prod(basis[k+1:])) mod basis[k]; the first
    // result has no mod when the basis has no outer bound.
    unsigned k = cast<OpResult>(v).getResultNumber();
    unsigned offset = delin.getNumResults() - basis->size();
    int64_t inner = 1;
    for (unsigned i = k + 1; i < delin.getNumResults(); ++i)
      inner *= (*basis)[i - offset];
    AffineExpr e = inner == 1 ? l : l.floorDiv(inner);
    if (k >= offset)
      e = e % (*basis)[k - offset];
    return e;
  }
  return {};
}

bool hasDivOrMod(AffineExpr e) {
  bool found = false;
  e.walk([&](AffineExpr x) {
    if (x.getKind() == AffineExprKind::FloorDiv ||
        x.getKind() == AffineExprKind::CeilDiv ||
        x.getKind() == AffineExprKind::Mod)
      found = true;
  });
  return found;
}

/// The pure linear `e` (sums of constant multiples of dimensions) in arith.
Value materialize(OpBuilder &b, Location loc, AffineExpr e,
                  ArrayRef<Value> syms) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return arith::ConstantIndexOp::create(b, loc, c.getValue());
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return linalg::IndexOp::create(b, loc, d.getPosition());
  if (auto sym = dyn_cast<AffineSymbolExpr>(e))
    return syms[sym.getPosition()];
  auto bin = cast<AffineBinaryOpExpr>(e);
  Value l = materialize(b, loc, bin.getLHS(), syms);
  Value r = materialize(b, loc, bin.getRHS(), syms);
  if (e.getKind() == AffineExprKind::Add)
    return arith::AddIOp::create(b, loc, l, r);
  return arith::MulIOp::create(b, loc, l, r);
}

/// Rewrites the counters of the noise in `op`'s body that the collapse left
/// as divisions and remainders of a collapsed index into their linear form.
void simplifyNoiseCounters(RewriterBase &rewriter, linalg::LinalgOp op) {
  unsigned numLoops = op.getNumLoops();
  op->walk([&](CounterNormalOp noise) {
    for (OpOperand &use : noise->getOpOperands()) {
      IndexSymbols syms{op};
      AffineExpr e = indexExpr(use.get(), syms);
      if (!e || !hasDivOrMod(e))
        continue;
      AffineExpr simple =
          simplifyAffineExpr(e, numLoops, syms.values.size());
      if (hasDivOrMod(simple) || !simple.isPureAffine())
        continue;
      rewriter.setInsertionPoint(noise);
      Value linear =
          materialize(rewriter, noise.getLoc(), simple, syms.values);
      rewriter.modifyOpInPlace(noise, [&] { use.set(linear); });
    }
  });
}

/// True when the dims [first, last] of the tensor `v` will be contiguous
/// in memory after bufferization, so that collapsing them is a view and not
/// a copy: fresh tensors, function arguments, reshapes of contiguous tensors,
/// and slices with unit strides along those dims that are whole along all of
/// them but the first (of a source contiguous there); loop-carried tensors
/// as their initial values. Anything else (a strided slice of a depthwise
/// convolution's taps) is not.
bool isContiguous(Value v, int64_t first, int64_t last, int depth = 0) {
  if (depth > 16)
    return false;
  auto type = cast<RankedTensorType>(v.getType());
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Operation *parent = arg.getOwner()->getParentOp();
    if (isa<func::FuncOp>(parent))
      return true;
    if (auto loop = dyn_cast<LoopLikeOpInterface>(parent)) {
      OpOperand *init = loop.getTiedLoopInit(arg);
      return init && isContiguous(init->get(), first, last, depth + 1);
    }
    return false;
  }
  Operation *op = v.getDefiningOp();
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
    if (slice.getSourceType().getRank() != type.getRank())
      return false;
    ArrayRef<int64_t> srcShape = slice.getSourceType().getShape();
    for (int64_t d = first; d <= last; ++d) {
      if (slice.getStaticStrides()[d] != 1)
        return false;
      if (d > first && (slice.getStaticOffsets()[d] != 0 ||
                        slice.getStaticSizes()[d] != srcShape[d] ||
                        ShapedType::isDynamic(srcShape[d])))
        return false;
    }
    return isContiguous(slice.getSource(), first, last, depth + 1);
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op)) {
    Value src = op->getOperand(0);
    int64_t rank = cast<RankedTensorType>(src.getType()).getRank();
    return isContiguous(src, 0, rank - 1, depth + 1);
  }
  if (isa<tensor::CastOp, tensor::InsertSliceOp, tensor::PadOp>(op))
    return false;
  // Loop results are the loops' own (iter_args) buffers.
  if (auto loop = dyn_cast<LoopLikeOpInterface>(op)) {
    auto inits = loop.getInitsMutable();
    unsigned i = cast<OpResult>(v).getResultNumber();
    return i < inits.size() &&
           isContiguous(inits[i].get(), first, last, depth + 1);
  }
  // Anything else makes a new tensor (a fresh buffer, identity layout).
  return true;
}

/// True when collapsing the loops `group` of `op` folds only contiguous
/// dims of each of its operands.
bool collapsesContiguousDims(linalg::GenericOp op,
                             ReassociationIndicesRef group) {
  MLIRContext *ctx = op.getContext();
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap m = op.getMatchingIndexingMap(&operand);
    std::optional<unsigned> first =
        m.getResultPosition(getAffineDimExpr(group.front(), ctx));
    std::optional<unsigned> last =
        m.getResultPosition(getAffineDimExpr(group.back(), ctx));
    if (!first || !last)
      continue;
    if (!isContiguous(operand.get(), *first, *last))
      return false;
  }
  return true;
}

/// True when, with the loops `group` of `op` collapsed into one, every
/// noise counter of `op` is still a linear offset (its row and element
/// without divisions; the row then does not vary along the group, and the
/// element moves by one per lane where it did along the innermost loop).
/// Otherwise the expansion would build each lane's Philox block alone
/// (e.g. rows of 12 elements collapsed with the rows: 4 times the work).
bool countersStayLinear(linalg::GenericOp op, ReassociationIndicesRef group,
                        ArrayRef<int64_t> extents) {
  MLIRContext *ctx = op.getContext();
  unsigned numLoops = op.getNumLoops();
  SmallVector<AffineExpr> replacement;
  for (unsigned d = 0; d < numLoops; ++d)
    replacement.push_back(getAffineDimExpr(d, ctx));
  AffineExpr collapsed = getAffineDimExpr(numLoops, ctx);
  int64_t inner = 1;
  for (int64_t i = static_cast<int64_t>(group.size()) - 1; i >= 0; --i) {
    int64_t d = group[i];
    AffineExpr e = inner == 1 ? collapsed : collapsed.floorDiv(inner);
    if (i > 0)
      e = e % extents[d];
    replacement[d] = e;
    inner *= extents[d];
  }
  bool linear = true;
  op->walk([&](CounterNormalOp noise) {
    for (Value v : {noise.getRow(), noise.getElem()}) {
      IndexSymbols syms{op};
      AffineExpr e = indexExpr(v, syms);
      if (!e) {
        linear = false;
        continue;
      }
      AffineExpr after =
          simplifyAffineExpr(e.replaceDims(replacement), numLoops + 1,
                             syms.values.size());
      if (hasDivOrMod(after))
        linear = false;
    }
  });
  return linear;
}

/// The loop that indexes the innermost dimension of the first result.
std::optional<unsigned> innermostOutputLoop(linalg::LinalgOp op) {
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  if (outMap.getNumResults() == 0)
    return std::nullopt;
  if (auto d = dyn_cast<AffineDimExpr>(outMap.getResults().back()))
    return d.getPosition();
  return std::nullopt;
}

} // namespace

linalg::LinalgOp codegen::widenVectorLoop(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          const CPUCodegenConfig &config) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || !generic.hasPureTensorSemantics() ||
      generic.hasDynamicShape())
    return op;
  bool noise = false;
  generic->walk([&](CounterNormalOp) { noise = true; });
  int64_t width =
      noise ? config.noiseVectorSize : config.elementwiseVectorSize;
  std::optional<unsigned> vecDim = innermostOutputLoop(generic);
  SmallVector<int64_t> extents = generic.getStaticLoopRanges();
  if (!vecDim || extents[*vecDim] >= width)
    return op;

  // Unit loops first (a 1x1 site's pixels): their indices become 0.
  rewriter.setInsertionPoint(generic);
  if (llvm::is_contained(extents, 1) &&
      llvm::any_of(extents, [](int64_t e) { return e > 1; })) {
    linalg::ControlDropUnitDims control;
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, generic, control);
    if (succeeded(dropped)) {
      rewriter.replaceOp(generic, dropped->replacements);
      generic = cast<linalg::GenericOp>(dropped->resultOp.getOperation());
      rewriter.setInsertionPoint(generic);
      extents = generic.getStaticLoopRanges();
      vecDim = innermostOutputLoop(generic);
      if (!vecDim || extents[*vecDim] >= width)
        return generic;
    }
  }

  // The vector loop with the outer loops contiguous with it everywhere
  // (areDimSequencesPreserved takes projected permutations only: a map with
  // a constant result, e.g. (d0, d1, 0) for a broadcast size-1 dimension,
  // is not one).
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!llvm::all_of(maps,
                    [](AffineMap m) { return m.isProjectedPermutation(); }))
    return generic;
  SmallVector<utils::IteratorType> iters = generic.getIteratorTypesArray();
  ReassociationIndices group = {static_cast<int64_t>(*vecDim)};
  for (int64_t d = static_cast<int64_t>(*vecDim) - 1; d >= 0; --d) {
    if (iters[d] != iters[*vecDim])
      break;
    ReassociationIndices wider = {d};
    llvm::append_range(wider, group);
    if (!linalg::areDimSequencesPreserved(maps, {wider}))
      break;
    group = std::move(wider);
  }
  if (group.size() < 2 || !collapsesContiguousDims(generic, group) ||
      (noise && !countersStayLinear(generic, group, extents)))
    return generic;
  rewriter.setInsertionPoint(generic);
  FailureOr<linalg::CollapseResult> collapsed = linalg::collapseOpIterationDims(
      cast<linalg::LinalgOp>(generic.getOperation()), {group}, rewriter);
  if (failed(collapsed))
    return generic;
  rewriter.replaceOp(generic, collapsed->results);
  simplifyNoiseCounters(rewriter, collapsed->collapsedOp);
  rewriter.setInsertionPoint(collapsed->collapsedOp);
  return collapsed->collapsedOp;
}
