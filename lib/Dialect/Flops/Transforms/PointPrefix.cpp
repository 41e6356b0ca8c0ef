//===- PointPrefix.cpp - forward values shared by a point's rows ----------===//
//
// See PointPrefix.h. Values of the forward's body fall in four kinds:
//  - free: no data reaches them (parameters and their views, constants,
//    shapes, tensor.dim of anything computable per point);
//  - data: the data arguments;
//  - prefix: results of ops that read data, that no perturbation reaches,
//    and that compute each row of their results (dimension 0) from the same
//    row of their data operands (linalg ops with dimension 0 of every data
//    operand and result on one parallel loop the body does not index,
//    reshapes that keep dimension 0 alone, padding of the other dimensions,
//    and whole rows inserted into a filled tensor);
//  - rows: everything else (what a perturbation reaches, and what the
//    analysis cannot prove row-wise); computed per query row as before.
//
//===----------------------------------------------------------------------===//

#include "PointPrefix.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

enum class Kind { Free, Data, Prefix, Rows };

/// The op's operands and the values its regions capture from above.
SetVector<Value> usedValues(Operation *op) {
  SetVector<Value> used(op->operand_begin(), op->operand_end());
  getUsedValuesDefinedAbove(op->getRegions(), used);
  return used;
}

/// Whether a reshape keeps dimension 0 in a group of its own.
bool keepsDim0(ArrayRef<ReassociationIndices> groups) {
  return !groups.empty() && groups.front().size() == 1;
}

/// Whether dimension 0 of `t` has size `size`: a static match, or the same
/// value as the size of the tensor.empty that `t` fills.
bool hasDim0(Value t, OpFoldResult size) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(0))
    return isConstantIntValue(size, type.getDimSize(0));
  auto v = dyn_cast<Value>(size);
  while (v && t) {
    if (auto fill = t.getDefiningOp<linalg::FillOp>()) {
      t = fill.getOutputs()[0];
      continue;
    }
    if (auto empty = t.getDefiningOp<tensor::EmptyOp>())
      return empty.getDynamicSize(0) == v;
    return false;
  }
  return false;
}

/// Whether `size` is dimension 0 of `src` (a data value, whose dimension 0
/// is the batch): a static match, or `tensor.dim` of a data value at 0.
bool isBatchSize(OpFoldResult size, Value src,
                 function_ref<bool(Value)> isData) {
  auto type = cast<RankedTensorType>(src.getType());
  if (!type.isDynamicDim(0))
    return isConstantIntValue(size, type.getDimSize(0));
  auto v = dyn_cast<Value>(size);
  auto dim = v ? v.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
  if (!dim || !isConstantIntValue(dim.getDimension(), 0))
    return false;
  Value of = dim.getSource();
  return of == src || isData(of);
}

} // namespace

bool mlir::flops::isRowwiseOp(Operation *op,
                              function_ref<bool(Value)> isData) {
  for (Type t : op->getResultTypes()) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || rt.getRank() < 1)
      return false;
  }
  if (isa<tensor::CastOp>(op))
    return true;
  // Elementwise ops on tensors (arith/math on whole tensors).
  if (op->hasTrait<OpTrait::Elementwise>() && op->getNumRegions() == 0)
    return llvm::all_of(op->getOperandTypes(), [&](Type t) {
      auto rt = dyn_cast<RankedTensorType>(t);
      return rt && rt.getRank() == cast<RankedTensorType>(
                                       op->getResultTypes()[0])
                                       .getRank();
    });
  // Rows of a slice: all of dimension 0, in order.
  if (auto ex = dyn_cast<tensor::ExtractSliceOp>(op)) {
    if (ex.getSourceType().getRank() < 1 || ex.getDroppedDims().test(0))
      return false;
    return isConstantIntValue(ex.getMixedOffsets()[0], 0) &&
           isConstantIntValue(ex.getMixedStrides()[0], 1) &&
           isBatchSize(ex.getMixedSizes()[0], ex.getSource(), isData);
  }
  // Concatenation along another dimension.
  if (auto cat = dyn_cast<tensor::ConcatOp>(op))
    return cat.getDim() != 0;
  if (auto sm = dyn_cast<linalg::SoftmaxOp>(op))
    return sm.getDimension() != 0;
  if (auto c = dyn_cast<tensor::CollapseShapeOp>(op))
    return keepsDim0(c.getReassociationIndices());
  if (auto e = dyn_cast<tensor::ExpandShapeOp>(op))
    return keepsDim0(e.getReassociationIndices());
  // Padding of the other dimensions (a convolution's zero border).
  if (auto pad = dyn_cast<tensor::PadOp>(op)) {
    Value value = pad.getConstantPaddingValue();
    return pad.getStaticLow()[0] == 0 && pad.getStaticHigh()[0] == 0 &&
           value && !isData(value);
  }
  // Every row of the source into the same row of the destination (the
  // importer's padding: a filled tensor with the input inserted).
  if (auto ins = dyn_cast<tensor::InsertSliceOp>(op)) {
    if (ins.getSourceType().getRank() != ins.getDestType().getRank())
      return false;
    return isConstantIntValue(ins.getMixedOffsets()[0], 0) &&
           isConstantIntValue(ins.getMixedStrides()[0], 1) &&
           hasDim0(ins.getDest(), ins.getMixedSizes()[0]);
  }
  auto lin = dyn_cast<linalg::LinalgOp>(op);
  if (!lin || !lin.hasPureTensorSemantics())
    return false;
  // Data captured by the body is read at indices the maps do not show.
  SetVector<Value> captured;
  getUsedValuesDefinedAbove(op->getRegions(), captured);
  if (llvm::any_of(captured, isData))
    return false;
  std::optional<unsigned> loop;
  for (OpOperand &o : op->getOpOperands()) {
    if (!isData(o.get()))
      continue;
    AffineMap m = lin.getMatchingIndexingMap(&o);
    if (m.getNumResults() == 0)
      return false;
    auto d = dyn_cast<AffineDimExpr>(m.getResult(0));
    if (!d || (loop && *loop != d.getPosition()))
      return false;
    loop = d.getPosition();
  }
  if (!loop ||
      lin.getIteratorTypesArray()[*loop] != utils::IteratorType::parallel)
    return false;
  AffineExpr rowDim = getAffineDimExpr(*loop, op->getContext());
  for (OpOperand &o : op->getOpOperands()) {
    AffineMap m = lin.getMatchingIndexingMap(&o);
    // The row loop may only index dimension 0, and must for every result.
    for (unsigned r = 0; r < m.getNumResults(); ++r)
      if (m.getResult(r).isFunctionOfDim(*loop) &&
          !(r == 0 && m.getResult(r) == rowDim))
        return false;
    if (lin.isDpsInit(&o) &&
        (m.getNumResults() == 0 || m.getResult(0) != rowDim))
      return false;
  }
  bool readsRow = false;
  lin.getBlock()->walk([&](linalg::IndexOp i) {
    if (i.getDim() == *loop)
      readsRow = true;
  });
  return !readsRow;
}


PointPrefix mlir::flops::analyzePointPrefix(const ForwardInfo &info,
                                            ArrayRef<unsigned> perturbed) {
  PointPrefix prefix;
  DenseMap<Value, Kind> kind;
  for (unsigned i : info.dataArgs)
    kind[info.entry->getArgument(i)] = Kind::Data;
  auto kindOf = [&](Value v) {
    auto it = kind.find(v);
    return it == kind.end() ? Kind::Free : it->second;
  };
  auto isData = [&](Value v) {
    Kind k = kindOf(v);
    return k == Kind::Data || k == Kind::Prefix;
  };
  DenseSet<Operation *> tails;
  for (unsigned g : perturbed)
    tails.insert(info.groups[g].tail.getDefiningOp());

  for (Operation &op : info.entry->without_terminator()) {
    SetVector<Value> used = usedValues(&op);
    bool rows = llvm::any_of(used, [&](Value v) {
      return kindOf(v) == Kind::Rows;
    });
    bool data = llvm::any_of(used, isData);
    Kind k;
    if (rows)
      k = Kind::Rows;
    else if (isa<tensor::DimOp>(op))
      k = Kind::Free; // A shape, computable wherever its operand is.
    else if (data)
      k = isRowwiseOp(&op, isData) ? Kind::Prefix : Kind::Rows;
    else
      k = Kind::Free;
    for (Value r : op.getResults())
      kind[r] = k;
    if (k == Kind::Prefix)
      prefix.ops.insert(&op);
    else if (k == Kind::Free)
      prefix.freeOps.insert(&op);
    // Past a perturbation, every value is per row.
    if (tails.contains(&op))
      kind[op.getResult(0)] = Kind::Rows;
  }
  for (unsigned g : perturbed)
    prefix.pointSite.push_back(
        llvm::all_of(info.groups[g].ops,
                     [&](Operation *op) { return prefix.ops.contains(op); }));
  return prefix;
}

void mlir::flops::buildPointsFunction(const ForwardInfo &info,
                                      ArrayRef<unsigned> perturbed,
                                      ArrayRef<Value> rowResults,
                                      StringRef name, PointPrefix &prefix) {
  if (prefix.empty())
    return;
  auto add = [&](Value v) {
    if (prefix.resultPos.count(v))
      return;
    prefix.resultPos[v] = prefix.results.size();
    prefix.results.push_back(v);
  };
  // The top-level op of the forward's body that holds `user`.
  Block *entry = info.entry;
  auto topLevel = [&](Operation *user) {
    return entry->findAncestorOpInBlock(*user);
  };
  DenseSet<Value> needed(rowResults.begin(), rowResults.end());
  for (unsigned g : perturbed)
    needed.insert(info.groups[g].tail);
  for (Operation &op : entry->without_terminator()) {
    if (!prefix.ops.contains(&op))
      continue;
    for (Value r : op.getResults()) {
      bool outside =
          needed.contains(r) || llvm::any_of(r.getUsers(), [&](Operation *u) {
            Operation *top = topLevel(u);
            return !top || !prefix.ops.contains(top);
          });
      if (outside)
        prefix.frontier.push_back(r);
    }
  }
  for (Value v : prefix.frontier)
    add(v);
  // The layer inputs of the sites the step estimates per point.
  for (auto [k, g] : llvm::enumerate(perturbed)) {
    if (!prefix.pointSite[k])
      continue;
    for (Operation *op : info.groups[g].ops)
      for (Value in : cast<DestinationStyleOpInterface>(op).getDpsInputs())
        if (!info.paramOf(in) && !isa<BlockArgument>(in))
          add(in);
  }

  func::FuncOp fn = info.fn;
  OpBuilder b(fn.getContext());
  b.setInsertionPointAfter(fn);
  SmallVector<Type> resultTypes;
  for (Value v : prefix.results)
    resultTypes.push_back(v.getType());
  auto points = func::FuncOp::create(
      b, fn.getLoc(), name,
      b.getFunctionType(fn.getArgumentTypes(), resultTypes));
  points.setPrivate();
  Block *body = points.addEntryBlock();
  OpBuilder pb = OpBuilder::atBlockBegin(body);
  IRMapping map;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
    map.map(fn.getArgument(i), body->getArgument(i));
  for (Operation &op : entry->without_terminator())
    if (prefix.ops.contains(&op) || prefix.freeOps.contains(&op))
      pb.clone(op, map);
  SmallVector<Value> results;
  for (Value v : prefix.results)
    results.push_back(map.lookup(v));
  func::ReturnOp::create(pb, fn.getLoc(), results);
  prefix.fn = points;
}
