//===- GatherRule.cpp - estimator rule of a gather from a parameter -------===//
//
// An embedding lookup as the ONNX importer writes Gather: an all-parallel
// linalg.generic whose body yields `tensor.extract %table[indices]`, the
// table a value defined above the op (the parameter) and the indices
// computed from the op's inputs (the ids) and `linalg.index`. The output is
// linear in the table, and the estimate is the scatter-add of Δ into the
// looked-up entries:
//   ĝ[indices(d)] += Δ[d]   for every point d of the op's iteration space,
// built as a loop nest over the iteration space that re-computes the
// indices from the inputs (repeated ids add up).
//
//===----------------------------------------------------------------------===//

#include "RulesInternal.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// The extract of `captured` whose result the body yields, or null.
tensor::ExtractOp yieldedExtract(linalg::GenericOp op, Value captured) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return {};
  auto ex = yield.getOperand(0).getDefiningOp<tensor::ExtractOp>();
  if (!ex || ex->getBlock() != &body || ex.getTensor() != captured ||
      !ex.getResult().hasOneUse())
    return {};
  return ex;
}

/// The ops of the body that the extract's indices depend on, in order.
/// Fails when they read anything but block arguments, linalg.index,
/// constants, or pure region-free ops of them.
FailureOr<SmallVector<Operation *>> indexSlice(linalg::GenericOp op,
                                              tensor::ExtractOp ex,
                                              std::string &reason) {
  Block &body = op.getRegion().front();
  llvm::SetVector<Operation *> slice;
  SmallVector<Value> work(ex.getIndices().begin(), ex.getIndices().end());
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != &body ||
          arg.getArgNumber() >= op.getNumDpsInputs()) {
        reason = "computes the gathered indices from its output or from "
                 "values outside the op";
        return failure();
      }
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (def->getBlock() != &body) {
      if (def->hasTrait<OpTrait::ConstantLike>())
        continue;
      reason = "computes the gathered indices from a value defined outside "
               "the op";
      return failure();
    }
    if (def->getNumRegions() != 0 || !isPure(def)) {
      reason = "computes the gathered indices with '" +
               def->getName().getStringRef().str() +
               "', which is not a pure op";
      return failure();
    }
    if (slice.insert(def))
      work.append(def->operand_begin(), def->operand_end());
  }
  SmallVector<Operation *> ordered;
  for (Operation &inner : body)
    if (slice.contains(&inner))
      ordered.push_back(&inner);
  return ordered;
}

} // namespace

LogicalResult rules::checkGather(linalg::GenericOp op, Value captured,
                                 std::string &reason) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 0) {
    reason = "reads it in a body that is not an elementwise op with one "
             "result";
    return failure();
  }
  if (!isa<FloatType>(getElementTypeOrSelf(captured.getType())) ||
      !isa<RankedTensorType>(captured.getType())) {
    reason = "reads a non-float or unranked tensor";
    return failure();
  }
  if (!op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isPermutation()) {
    reason = "writes its result through a map that is not a permutation";
    return failure();
  }
  for (OpOperand *in : op.getDpsInputOperands())
    if (!op.getMatchingIndexingMap(in).isProjectedPermutation()) {
      reason = "reads its inputs through maps that are not projected "
               "permutations";
      return failure();
    }
  tensor::ExtractOp ex = yieldedExtract(op, captured);
  if (!ex) {
    reason = "reads it other than as a gather (the body must yield "
             "`tensor.extract` of it, used once)";
    return failure();
  }
  Block &body = op.getRegion().front();
  for (Operation &inner : body)
    for (Value v : inner.getOperands())
      if (v == captured && &inner != ex.getOperation()) {
        reason = "reads it more than once";
        return failure();
      }
  if (failed(indexSlice(op, ex, reason)))
    return failure();
  return success();
}

FailureOr<Value> rules::buildGatherGradient(linalg::GenericOp op,
                                            OpBuilder &b, Location loc,
                                            Value captured, Value delta,
                                            ValueRange inputs, Value init) {
  std::string reason;
  if (failed(checkGather(op, captured, reason)))
    return failure();
  tensor::ExtractOp ex = yieldedExtract(op, captured);
  FailureOr<SmallVector<Operation *>> slice = indexSlice(op, ex, reason);
  if (failed(slice))
    return failure();
  Value acc = init ? init : zerosLike(b, loc, captured);
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  unsigned numLoops = op.getNumLoops();
  // Loop d runs over the dimension of Δ that the output map puts it in.
  SmallVector<Value> lbs, ubs, steps;
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  for (unsigned d = 0; d < numLoops; ++d) {
    unsigned pos = *outMap.getResultPosition(getAffineDimExpr(d, b.getContext()));
    lbs.push_back(c0);
    ubs.push_back(tensor::DimOp::create(b, loc, delta, pos));
    steps.push_back(c1);
  }
  Block &body = op.getRegion().front();
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{acc},
      [&](OpBuilder &nb, Location l, ValueRange ivs,
          ValueRange iter) -> scf::ValueVector {
        IRMapping map;
        // The inputs' elements at this point.
        for (OpOperand *in : op.getDpsInputOperands()) {
          AffineMap m = op.getMatchingIndexingMap(in);
          SmallVector<Value> idx;
          for (AffineExpr e : m.getResults())
            idx.push_back(ivs[cast<AffineDimExpr>(e).getPosition()]);
          unsigned k = in->getOperandNumber();
          map.map(body.getArgument(k),
                  tensor::ExtractOp::create(nb, l, inputs[k], idx));
        }
        for (Operation *inner : *slice) {
          if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
            map.map(index.getResult(), ivs[index.getDim()]);
            continue;
          }
          // Constants defined above the op (checked by indexSlice).
          for (Value v : inner->getOperands())
            if (!map.contains(v) && v.getDefiningOp() &&
                v.getDefiningOp()->getBlock() != &body)
              map.map(v, nb.clone(*v.getDefiningOp())->getResult(0));
          nb.clone(*inner, map);
        }
        SmallVector<Value> where;
        for (Value v : ex.getIndices()) {
          if (Value m = map.lookupOrNull(v)) {
            where.push_back(m);
            continue;
          }
          // A constant defined above the op.
          where.push_back(nb.clone(*v.getDefiningOp())->getResult(0));
        }
        SmallVector<Value> outIdx;
        for (AffineExpr e : outMap.getResults())
          outIdx.push_back(ivs[cast<AffineDimExpr>(e).getPosition()]);
        Value d = tensor::ExtractOp::create(nb, l, delta, outIdx);
        Value old = tensor::ExtractOp::create(nb, l, iter[0], where);
        Value sum = arith::AddFOp::create(nb, l, old, d);
        return {tensor::InsertOp::create(nb, l, sum, iter[0], where)};
      });
  return nest.results[0];
}
