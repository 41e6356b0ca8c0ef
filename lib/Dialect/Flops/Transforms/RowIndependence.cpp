//===- RowIndependence.cpp - rows of the forward are independent ----------===//
//
// See RowIndependence.h. Each value the data reaches gets a RowLayout; an op
// is accepted when every entry of its results depends on entries of its data
// operands that belong to the same batch row, with a layout derived from its
// operands':
//  - linalg ops: the data operands read their batch dimension through one
//    parallel loop that nothing else indexes (no other expression of any
//    map, no linalg.index in the body) and that each result writes as one of
//    its dimensions;
//  - reshapes: dimensions merged with the batch dimension become outer or
//    inner factors of it; a split of it must keep whole batch rows together;
//  - extract_slice/insert_slice/pad: all of the batch dimension, nothing
//    added to it; concatenation and softmax along another dimension;
//    elementwise ops on tensors and casts.
// Everything else that data reaches (reductions across the batch, indexing
// it, scalars extracted from data, ops with regions capturing data) is
// rejected with a diagnostic naming the op.
//
//===----------------------------------------------------------------------===//

#include "RowIndependence.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// The static product of shape[from, to), or nullopt.
std::optional<int64_t> product(ArrayRef<int64_t> shape, size_t from,
                               size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) {
    if (ShapedType::isDynamic(shape[i]))
      return std::nullopt;
    p *= shape[i];
  }
  return p;
}

class RowAnalysis {
public:
  RowAnalysis(const ForwardInfo &info) : info(info) {}

  LogicalResult run();
  DenseMap<Value, RowLayout> layout;

private:
  const ForwardInfo &info;

  std::optional<RowLayout> of(Value v) const {
    auto it = layout.find(v);
    if (it == layout.end())
      return std::nullopt;
    return it->second;
  }
  /// Whether `size` is the whole of dimension `dim` of `t` (a static match,
  /// the dynamic size of the tensor.empty that `t` fills, or `tensor.dim`
  /// of a value with the same layout at its batch dimension).
  bool isWholeDim(OpFoldResult size, Value t, int64_t dim) const;
  /// c when `v` is c x B (B the batch size): tensor.dim of a value at the
  /// dimension that holds its batch, times constants.
  std::optional<int64_t> batchMultiple(Value v) const;
  /// One layout per result of `op`, or failure when it mixes rows.
  FailureOr<SmallVector<RowLayout>> transfer(Operation *op) const;
  FailureOr<SmallVector<RowLayout>> linalgLayouts(linalg::LinalgOp op) const;
  std::optional<RowLayout> collapse(tensor::CollapseShapeOp op) const;
  std::optional<RowLayout> expand(tensor::ExpandShapeOp op) const;
};

std::optional<int64_t> RowAnalysis::batchMultiple(Value v) const {
  if (auto d = v.getDefiningOp<tensor::DimOp>()) {
    std::optional<RowLayout> l = of(d.getSource());
    std::optional<int64_t> idx = d.getConstantIndex();
    if (l && idx && *idx == l->dim)
      return l->outer * l->inner;
    return std::nullopt;
  }
  if (auto mul = v.getDefiningOp<arith::MulIOp>()) {
    std::optional<int64_t> c = getConstantIntValue(mul.getRhs());
    std::optional<int64_t> m = batchMultiple(mul.getLhs());
    if (!c) {
      c = getConstantIntValue(mul.getLhs());
      m = batchMultiple(mul.getRhs());
    }
    if (c && m)
      return *c * *m;
  }
  return std::nullopt;
}

bool RowAnalysis::isWholeDim(OpFoldResult size, Value t, int64_t dim) const {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(dim))
    return isConstantIntValue(size, type.getDimSize(dim));
  auto v = dyn_cast<Value>(size);
  if (!v)
    return false;
  if (auto d = v.getDefiningOp<tensor::DimOp>())
    if (d.getSource() == t && d.getConstantIndex() == dim)
      return true;
  // `size` is c x B and dimension `dim` of `t` holds c entries per row.
  std::optional<RowLayout> lt = of(t);
  std::optional<int64_t> multiple = batchMultiple(v);
  if (lt && multiple && lt->dim == dim && *multiple == lt->outer * lt->inner)
    return true;
  // The size of the tensor.empty that `t` fills (through fills and slices
  // inserted into it).
  while (t) {
    if (auto fill = t.getDefiningOp<linalg::FillOp>()) {
      t = fill.getOutputs()[0];
      continue;
    }
    if (auto ins = t.getDefiningOp<tensor::InsertSliceOp>()) {
      t = ins.getDest();
      continue;
    }
    if (auto empty = t.getDefiningOp<tensor::EmptyOp>())
      return empty.getDynamicSize(dim) == v;
    return false;
  }
  return false;
}

FailureOr<SmallVector<RowLayout>>
RowAnalysis::linalgLayouts(linalg::LinalgOp lin) const {
  Operation *op = lin.getOperation();
  if (!lin.hasPureTensorSemantics())
    return failure();
  SetVector<Value> captured;
  getUsedValuesDefinedAbove(op->getRegions(), captured);
  if (llvm::any_of(captured, [&](Value v) { return of(v).has_value(); }))
    return failure();
  std::optional<unsigned> loop;
  std::optional<RowLayout> common;
  for (OpOperand &o : op->getOpOperands()) {
    std::optional<RowLayout> l = of(o.get());
    if (!l)
      continue;
    AffineMap m = lin.getMatchingIndexingMap(&o);
    if (l->dim >= m.getNumResults())
      return failure();
    auto d = dyn_cast<AffineDimExpr>(m.getResult(l->dim));
    if (!d || (loop && *loop != d.getPosition()))
      return failure();
    if (common && (common->outer != l->outer || common->inner != l->inner))
      return failure();
    loop = d.getPosition();
    common = l;
  }
  if (!loop ||
      lin.getIteratorTypesArray()[*loop] != utils::IteratorType::parallel)
    return failure();
  AffineExpr rowExpr = getAffineDimExpr(*loop, op->getContext());
  for (OpOperand &o : op->getOpOperands()) {
    AffineMap m = lin.getMatchingIndexingMap(&o);
    std::optional<RowLayout> l = of(o.get());
    for (unsigned r = 0; r < m.getNumResults(); ++r) {
      if (!m.getResult(r).isFunctionOfDim(*loop))
        continue;
      // The batch loop only as a whole dimension; of a data operand, only
      // as its batch dimension.
      if (m.getResult(r) != rowExpr || (l && r != l->dim))
        return failure();
    }
  }
  bool readsRow = false;
  lin.getBlock()->walk([&](linalg::IndexOp i) {
    if (i.getDim() == *loop)
      readsRow = true;
  });
  if (readsRow)
    return failure();
  SmallVector<RowLayout> results;
  for (OpOperand &init : lin.getDpsInitsMutable()) {
    AffineMap m = lin.getMatchingIndexingMap(&init);
    std::optional<unsigned> pos = m.getResultPosition(rowExpr);
    if (!pos)
      return failure(); // A reduction across the batch.
    results.push_back(RowLayout{*pos, common->outer, common->inner});
  }
  return results;
}

std::optional<RowLayout>
RowAnalysis::collapse(tensor::CollapseShapeOp op) const {
  RowLayout l = *of(op.getSrc());
  ArrayRef<int64_t> shape = op.getSrcType().getShape();
  for (auto [g, group] : llvm::enumerate(op.getReassociationIndices())) {
    if (!llvm::is_contained(group, l.dim))
      continue;
    std::optional<int64_t> before = product(shape, group.front(), l.dim);
    std::optional<int64_t> after = product(shape, l.dim + 1, group.back() + 1);
    if (!before || !after)
      return std::nullopt;
    return RowLayout{static_cast<int64_t>(g), l.outer * *before,
                     l.inner * *after};
  }
  return std::nullopt;
}

std::optional<RowLayout>
RowAnalysis::expand(tensor::ExpandShapeOp op) const {
  RowLayout l = *of(op.getSrc());
  auto groups = op.getReassociationIndices();
  if (l.dim >= static_cast<int64_t>(groups.size()))
    return std::nullopt;
  const ReassociationIndices &group = groups[l.dim];
  ArrayRef<int64_t> shape = op.getResultType().getShape();
  for (int64_t j : group) {
    std::optional<int64_t> before = product(shape, group.front(), j);
    std::optional<int64_t> after = product(shape, j + 1, group.back() + 1);
    if (!before || !after || *before == 0 || *after == 0 ||
        l.outer % *before != 0 || l.inner % *after != 0)
      continue;
    RowLayout n{j, l.outer / *before, l.inner / *after};
    // Dimension j must hold outer x B x inner entries.
    int64_t extent = shape[j];
    if (!ShapedType::isDynamic(extent) &&
        (ShapedType::isDynamic(info.batch) ||
         extent != n.outer * info.batch * n.inner))
      continue;
    return n;
  }
  return std::nullopt;
}

FailureOr<SmallVector<RowLayout>>
RowAnalysis::transfer(Operation *op) const {
  for (Type t : op->getResultTypes())
    if (!isa<RankedTensorType>(t))
      return failure();
  SetVector<Value> used(op->operand_begin(), op->operand_end());
  getUsedValuesDefinedAbove(op->getRegions(), used);
  // The layout all data operands share (for ops that treat every operand
  // alike).
  auto shared = [&]() -> std::optional<RowLayout> {
    std::optional<RowLayout> common;
    for (Value v : used) {
      std::optional<RowLayout> l = of(v);
      if (!l)
        continue;
      if (common && !(*common == *l))
        return std::nullopt;
      common = l;
    }
    return common;
  };
  auto one = [](std::optional<RowLayout> l)
      -> FailureOr<SmallVector<RowLayout>> {
    if (!l)
      return failure();
    return SmallVector<RowLayout>{*l};
  };
  if (auto c = dyn_cast<tensor::CollapseShapeOp>(op))
    return one(collapse(c));
  if (auto e = dyn_cast<tensor::ExpandShapeOp>(op))
    return one(expand(e));
  if (isa<tensor::CastOp>(op) || (op->hasTrait<OpTrait::Elementwise>() &&
                                  op->getNumRegions() == 0))
    return one(shared());
  if (auto ex = dyn_cast<tensor::ExtractSliceOp>(op)) {
    RowLayout l = *of(ex.getSource());
    llvm::SmallBitVector dropped = ex.getDroppedDims();
    if (dropped.test(l.dim) ||
        !isConstantIntValue(ex.getMixedOffsets()[l.dim], 0) ||
        !isConstantIntValue(ex.getMixedStrides()[l.dim], 1) ||
        !isWholeDim(ex.getMixedSizes()[l.dim], ex.getSource(), l.dim))
      return failure();
    int64_t before = 0;
    for (int64_t i = 0; i < l.dim; ++i)
      before += dropped.test(i);
    return one(RowLayout{l.dim - before, l.outer, l.inner});
  }
  if (auto ins = dyn_cast<tensor::InsertSliceOp>(op)) {
    std::optional<RowLayout> l = shared();
    if (!l || ins.getSourceType().getRank() != ins.getDestType().getRank() ||
        !isConstantIntValue(ins.getMixedOffsets()[l->dim], 0) ||
        !isConstantIntValue(ins.getMixedStrides()[l->dim], 1) ||
        !isWholeDim(ins.getMixedSizes()[l->dim], ins.getDest(), l->dim))
      return failure();
    return one(l);
  }
  if (auto pad = dyn_cast<tensor::PadOp>(op)) {
    std::optional<RowLayout> l = of(pad.getSource());
    Value value = pad.getConstantPaddingValue();
    if (!l || !value || of(value) || pad.getStaticLow()[l->dim] != 0 ||
        pad.getStaticHigh()[l->dim] != 0)
      return failure();
    return one(l);
  }
  if (auto cat = dyn_cast<tensor::ConcatOp>(op)) {
    std::optional<RowLayout> l = shared();
    if (!l || static_cast<int64_t>(cat.getDim()) == l->dim)
      return failure();
    return one(l);
  }
  if (auto sm = dyn_cast<linalg::SoftmaxOp>(op)) {
    std::optional<RowLayout> l = shared();
    if (!l || static_cast<int64_t>(sm.getDimension()) == l->dim)
      return failure();
    return one(l);
  }
  if (auto lin = dyn_cast<linalg::LinalgOp>(op))
    return linalgLayouts(lin);
  return failure();
}

LogicalResult RowAnalysis::run() {
  for (unsigned i : info.dataArgs)
    layout[info.entry->getArgument(i)] = RowLayout();
  for (Operation &op : info.entry->without_terminator()) {
    SetVector<Value> used(op.operand_begin(), op.operand_end());
    getUsedValuesDefinedAbove(op.getRegions(), used);
    if (isa<tensor::DimOp>(op) ||
        llvm::none_of(used, [&](Value v) { return of(v).has_value(); }))
      continue; // Row-free (a shape is the same for every row).
    FailureOr<SmallVector<RowLayout>> results = transfer(&op);
    if (failed(results))
      return op.emitError()
             << "'" << op.getName()
             << "' mixes the rows of the batch: each row of its result must "
                "depend on the same row of the data alone, because the "
                "training step evaluates rows of different points together "
                "(batch statistics, reductions or indexing across the batch "
                "dimension, and reshapes that split it, are not supported)";
    for (auto [r, l] : llvm::zip(op.getResults(), *results))
      layout[r] = l;
  }
  Operation *ret = info.entry->getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    std::optional<RowLayout> l = of(v);
    if (l && !l->isBatchAlone())
      return ret->emitError()
             << "result #" << i
             << " does not hold the batch alone in dimension 0 (batch in "
                "dimension "
             << l->dim << ", " << l->outer * l->inner
             << " entries per row there)";
  }
  return success();
}

} // namespace

FailureOr<DenseMap<Value, RowLayout>>
mlir::flops::checkRowIndependence(const ForwardInfo &info) {
  RowAnalysis analysis(info);
  if (failed(analysis.run()))
    return failure();
  return std::move(analysis.layout);
}
