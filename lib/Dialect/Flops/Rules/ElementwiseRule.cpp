//===- ElementwiseRule.cpp - estimator rule of elementwise generics --------===//
//
// For an all-parallel linalg.generic whose result is linear in input i (bias
// add, scale, the affine γ x̂ + β of a normalisation, ...), the estimate of
// the gradient with respect to input i is
//   ĝ_i[map_i(d)] = Σ_{dims not in map_i} Δ[d] * ∂y/∂x_i (d),
// where ∂y/∂x_i is derived symbolically from the body (addf, subf, mulf,
// divf by an independent value, negf) and must not depend on x_i.
//
//===----------------------------------------------------------------------===//

#include "RulesInternal.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SmallBitVector.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// Symbolic derivative of values of one generic body with respect to one of
/// its block arguments, emitted into another body.
class Derivative {
public:
  Derivative(Block &body, BlockArgument wrt, OpBuilder &b, IRMapping &map)
      : body(body), wrt(wrt), b(b), map(map) {}

  /// Whether `v` (in the old body) depends on `wrt`.
  bool depends(Value v) {
    if (v == wrt)
      return true;
    auto it = cache.find(v);
    if (it != cache.end())
      return it->second;
    bool dep = false;
    if (Operation *def = v.getDefiningOp())
      if (def->getBlock() == &body)
        for (Value operand : def->getOperands())
          dep = dep || depends(operand);
    cache[v] = dep;
    return dep;
  }

  /// `v` re-emitted in the new body (it must not depend on `wrt`). A
  /// constant defined above the generic is re-created inside; any other
  /// value from above cannot be carried to where the rule is built, and
  /// sets `capturesValue`.
  Value clone(Value v) {
    if (Value mapped = map.lookupOrNull(v))
      return mapped;
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != &body) {
      if (def && def->hasTrait<OpTrait::ConstantLike>()) {
        Operation *copy = b.clone(*def);
        map.map(v, copy->getResult(0));
        return copy->getResult(0);
      }
      capturesValue = true;
      return v;
    }
    for (Value operand : def->getOperands())
      clone(operand);
    Operation *copy = b.clone(*def, map);
    return copy->getResult(cast<OpResult>(v).getResultNumber());
  }

  /// d v / d wrt in the new body; a null Value means zero. Fails when the
  /// body is not linear in `wrt` or uses an op this rule does not know.
  FailureOr<Value> of(Value v, std::string &reason) {
    if (v == wrt)
      return oneLike(v);
    if (!depends(v))
      return Value();
    Operation *def = v.getDefiningOp();
    Location loc = def->getLoc();
    auto bothDepend = [&](Value x, Value y) {
      if (depends(x) && depends(y)) {
        reason = "is not linear in the input ('" +
                 def->getName().getStringRef().str() +
                 "' of two dependent values)";
        return true;
      }
      return false;
    };
    if (isa<arith::AddFOp, arith::SubFOp>(def)) {
      FailureOr<Value> x = of(def->getOperand(0), reason);
      FailureOr<Value> y = of(def->getOperand(1), reason);
      if (failed(x) || failed(y))
        return failure();
      if (isa<arith::AddFOp>(def)) {
        if (!*x)
          return *y;
        if (!*y)
          return *x;
        return Value(arith::AddFOp::create(b, loc, *x, *y));
      }
      if (!*y)
        return *x;
      Value negY = arith::NegFOp::create(b, loc, *y);
      if (!*x)
        return negY;
      return Value(arith::SubFOp::create(b, loc, *x, *y));
    }
    if (isa<arith::MulFOp>(def)) {
      Value x = def->getOperand(0), y = def->getOperand(1);
      if (bothDepend(x, y))
        return failure();
      Value dep = depends(x) ? x : y, indep = depends(x) ? y : x;
      FailureOr<Value> d = of(dep, reason);
      if (failed(d) || !*d)
        return d;
      return Value(arith::MulFOp::create(b, loc, *d, clone(indep)));
    }
    if (isa<arith::DivFOp>(def)) {
      Value x = def->getOperand(0), y = def->getOperand(1);
      if (depends(y)) {
        reason = "divides by a value that depends on the input";
        return failure();
      }
      FailureOr<Value> d = of(x, reason);
      if (failed(d) || !*d)
        return d;
      return Value(arith::DivFOp::create(b, loc, *d, clone(y)));
    }
    if (isa<arith::NegFOp>(def)) {
      FailureOr<Value> d = of(def->getOperand(0), reason);
      if (failed(d) || !*d)
        return d;
      return Value(arith::NegFOp::create(b, loc, *d));
    }
    reason = "depends on the input through '" +
             def->getName().getStringRef().str() +
             "', which is not affine (only addf, subf, mulf, divf, negf)";
    return failure();
  }

private:
  Value oneLike(Value v) {
    return arith::ConstantOp::create(b, v.getLoc(),
                                     b.getFloatAttr(v.getType(), 1.0));
  }

  Block &body;
  BlockArgument wrt;
  OpBuilder &b;
  IRMapping &map;
  DenseMap<Value, bool> cache;

public:
  bool capturesValue = false;
};

/// A map whose results are distinct dims or constants within the extents
/// of `type` (the constant 0 of a unit dimension, as tosa-to-linalg
/// broadcasts a 1 x n bias; an index into a parameter view, as the importer
/// reads a recurrent net's input and hidden biases from one [1, 2, G*H]
/// view).
bool isBroadcastMap(AffineMap map, Type type) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  if (!shaped || shaped.getRank() != map.getNumResults())
    return false;
  llvm::SmallBitVector seen(map.getNumDims());
  for (auto [r, e] : llvm::enumerate(map.getResults())) {
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() < 0 || shaped.isDynamicDim(r) ||
          c.getValue() >= shaped.getDimSize(r))
        return false;
      continue;
    }
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d || seen.test(d.getPosition()))
      return false;
    seen.set(d.getPosition());
  }
  return true;
}

/// Reassociation that folds the constant (unit) results of `map` into a
/// neighbouring kept dimension.
SmallVector<ReassociationIndices> unitReassociation(AffineMap map) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    pending.push_back(i);
    if (isa<AffineDimExpr>(e)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}

bool isAllParallel(linalg::GenericOp op) {
  return llvm::all_of(op.getIteratorTypesArray(), [](utils::IteratorType t) {
    return t == utils::IteratorType::parallel;
  });
}

} // namespace

LogicalResult rules::checkElementwise(linalg::GenericOp op, unsigned index,
                                      std::string &reason) {
  if (!isAllParallel(op) || op.getNumDpsInits() != 1) {
    reason = "is not an elementwise op with one result";
    return failure();
  }
  if (index >= op.getNumDpsInputs()) {
    reason = "has no input #" + std::to_string(index);
    return failure();
  }
  AffineMap inMap = op.getMatchingIndexingMap(op.getDpsInputOperand(index));
  bool hasDim = llvm::any_of(inMap.getResults(), [](AffineExpr e) {
    return isa<AffineDimExpr>(e);
  });
  if (!op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isPermutation() ||
      !isBroadcastMap(inMap, op.getDpsInputs()[index].getType()) ||
      (!inMap.isProjectedPermutation() && !hasDim)) {
    reason = "reads its operands through maps that are not (broadcast) "
             "permutations";
    return failure();
  }
  if (!isa<FloatType>(
          getElementTypeOrSelf(op.getDpsInputs()[index].getType()))) {
    reason = "has a non-float input";
    return failure();
  }
  Block &body = op.getRegion().front();
  // The derivative is emitted into a body whose output argument is the
  // gradient accumulator, so the op's own output value must not be read
  // (e.g. `%o * %b` with the data passed as `outs`).
  if (!body.getArgument(op.getNumDpsInputs()).use_empty()) {
    reason = "reads its output (init) operand in the body; only bodies "
             "computed from the inputs alone are supported";
    return failure();
  }
  // Dry run of the derivative into a scratch block.
  OpBuilder scratch(op.getContext());
  Block tmp;
  scratch.setInsertionPointToStart(&tmp);
  IRMapping map;
  for (BlockArgument arg : body.getArguments())
    map.map(arg, tmp.addArgument(arg.getType(), arg.getLoc()));
  Derivative d(body, body.getArgument(index), scratch, map);
  Value yielded = body.getTerminator()->getOperand(0);
  FailureOr<Value> result = d.of(yielded, reason);
  // The derivative is built only from values independent of the input, so
  // success means the body is linear in it.
  bool ok = succeeded(result);
  if (ok && d.capturesValue) {
    reason = "has a derivative that reads a non-constant value defined "
             "outside the op";
    ok = false;
  }
  while (!tmp.empty())
    tmp.back().erase();
  return ok ? success() : failure();
}

FailureOr<Value> rules::buildElementwiseGradient(linalg::GenericOp op,
                                                 OpBuilder &b, Location loc,
                                                 unsigned index, Value delta,
                                                 ValueRange inputs,
                                                 Value init) {
  std::string reason;
  if (failed(checkElementwise(op, index, reason)))
    return failure();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  AffineMap inMap = op.getMatchingIndexingMap(op.getDpsInputOperand(index));
  SmallVector<AffineMap> maps{outMap};
  for (OpOperand *in : op.getDpsInputOperands())
    maps.push_back(op.getMatchingIndexingMap(in));
  // Unit dimensions read through a constant 0 are dropped from the
  // accumulator and restored afterwards.
  bool unitDims = !inMap.isProjectedPermutation();
  // Constants that are not the 0 of a unit dimension: the estimate goes to
  // that slice of the accumulator (rank-reduced).
  auto inType = cast<RankedTensorType>(inputs[index].getType());
  bool sliced = llvm::any_of(llvm::enumerate(inMap.getResults()), [&](auto e) {
    auto c = dyn_cast<AffineConstantExpr>(e.value());
    return c && inType.getDimSize(e.index()) != 1;
  });
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<ReassociationIndices> reassoc;
  AffineMap accMap = inMap;
  if (unitDims) {
    reassoc = unitReassociation(inMap);
    SmallVector<AffineExpr> kept;
    for (AffineExpr e : inMap.getResults())
      if (isa<AffineDimExpr>(e))
        kept.push_back(e);
    accMap = AffineMap::get(inMap.getNumDims(), 0, kept, b.getContext());
  }
  maps.push_back(accMap);
  SmallVector<Value> ins{delta};
  ins.append(inputs.begin(), inputs.end());
  Value acc = init ? init : zerosLike(b, loc, inputs[index]);
  Type fullType = acc.getType();
  Value full = acc;
  if (sliced) {
    SmallVector<int64_t> shape;
    for (auto [r, e] : llvm::enumerate(inMap.getResults())) {
      strides.push_back(b.getIndexAttr(1));
      if (auto c = dyn_cast<AffineConstantExpr>(e)) {
        offsets.push_back(b.getIndexAttr(c.getValue()));
        sizes.push_back(b.getIndexAttr(1));
        continue;
      }
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(inType.getDimSize(r)));
      shape.push_back(inType.getDimSize(r));
    }
    acc = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(shape, inType.getElementType()), acc,
        offsets, sizes, strides);
  } else if (unitDims) {
    acc = tensor::CollapseShapeOp::create(b, loc, acc, reassoc);
  }
  Block &body = op.getRegion().front();
  bool failedBody = false;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ins, ValueRange{acc}, maps,
      reduceOnto(accMap), [&](OpBuilder &nb, Location l, ValueRange args) {
        IRMapping map;
        for (unsigned i = 0, e = op.getNumDpsInputs(); i < e; ++i)
          map.map(body.getArgument(i), args[1 + i]);
        // checkElementwise rejects bodies that read the output block
        // argument, so it is deliberately left unmapped here.
        Derivative d(body, body.getArgument(index), nb, map);
        std::string why;
        FailureOr<Value> dy = d.of(body.getTerminator()->getOperand(0), why);
        Value acc = args.back();
        if (failed(dy)) {
          failedBody = true;
          linalg::YieldOp::create(nb, l, acc);
          return;
        }
        if (!*dy) {
          linalg::YieldOp::create(nb, l, acc);
          return;
        }
        Value p = arith::MulFOp::create(nb, l, args[0], *dy);
        linalg::YieldOp::create(nb, l,
                                Value(arith::AddFOp::create(nb, l, acc, p)));
      });
  if (failedBody) {
    generic.erase();
    return failure();
  }
  if (sliced)
    return Value(tensor::InsertSliceOp::create(b, loc, generic.getResult(0),
                                               full, offsets, sizes, strides));
  if (unitDims)
    return Value(tensor::ExpandShapeOp::create(b, loc, fullType,
                                               generic.getResult(0), reassoc));
  return generic.getResult(0);
}
