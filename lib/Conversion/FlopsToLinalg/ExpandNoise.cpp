//===- ExpandNoise.cpp - flops.counter_normal into arith ------------------===//
//
// The flops-expand-noise pass and expandCounterNormalOps. A vector
// flops.counter_normal (the noise of a vectorized generic) whose lanes are
// consecutive elements of one row, starting at a multiple of 4, shares each
// Philox block among its 4 lanes and each logarithm among a lane pair
// (buildCounterNormalRow); anything else is expanded lane by lane.
//
// Whether the lanes are consecutive is read off the vector values: the
// vectorizer builds them from broadcast scalars, vector.step and constants
// with arith (LaneForm below). That the first element is a multiple of 4
// comes from the scalars: constants, loop induction variables (lower bound
// and step) and affine maps of them (knownDivisor).
//
//===----------------------------------------------------------------------===//

#include "flops/Conversion/FlopsToLinalg/FlopsToLinalg.h"

#include "flops/Conversion/Passes.h"
#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

#include <numeric>

namespace mlir::flops {
#define GEN_PASS_DEF_EXPANDNOISEPASS
#include "flops/Conversion/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

/// Divisors are capped here (a zero is divisible by anything).
constexpr int64_t kAnyDivisor = int64_t(1) << 40;

int64_t gcd(int64_t a, int64_t b) { return std::gcd(a, b); }
int64_t mulCap(int64_t a, int64_t b) {
  return (a >= kAnyDivisor / std::max<int64_t>(b, 1)) ? kAnyDivisor : a * b;
}

int64_t knownDivisor(Value v, int depth = 0);

int64_t divisorOfFold(OpFoldResult f, int depth) {
  if (auto a = dyn_cast<Attribute>(f)) {
    int64_t c = cast<IntegerAttr>(a).getInt();
    return c == 0 ? kAnyDivisor : std::abs(c);
  }
  return knownDivisor(cast<Value>(f), depth + 1);
}

/// Largest known divisor of an affine expression of operands with divisors.
int64_t exprDivisor(AffineExpr e, ArrayRef<int64_t> dims,
                    ArrayRef<int64_t> syms) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue() == 0 ? kAnyDivisor : std::abs(c.getValue());
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return dims[d.getPosition()];
  if (auto s = dyn_cast<AffineSymbolExpr>(e))
    return syms[s.getPosition()];
  auto bin = cast<AffineBinaryOpExpr>(e);
  int64_t l = exprDivisor(bin.getLHS(), dims, syms);
  int64_t r = exprDivisor(bin.getRHS(), dims, syms);
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return gcd(l, r);
  case AffineExprKind::Mul:
    return mulCap(l, r);
  default:
    return 1;
  }
}

/// The largest divisor of the index/integer scalar `v` that the IR shows.
int64_t knownDivisor(Value v, int depth) {
  if (depth > 32)
    return 1;
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return c.isZero() ? kAnyDivisor : std::abs(c.getSExtValue());
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Operation *parent = arg.getOwner()->getParentOp();
    if (auto loop = dyn_cast<scf::ForOp>(parent))
      if (arg == loop.getInductionVar())
        return gcd(knownDivisor(loop.getLowerBound(), depth + 1),
                   knownDivisor(loop.getStep(), depth + 1));
    if (auto loop = dyn_cast<scf::ForallOp>(parent)) {
      auto ivs = loop.getInductionVars();
      for (unsigned i = 0; i < ivs.size(); ++i)
        if (ivs[i] == arg)
          return gcd(divisorOfFold(loop.getMixedLowerBound()[i], depth),
                     divisorOfFold(loop.getMixedStep()[i], depth));
    }
    if (auto loop = dyn_cast<scf::ParallelOp>(parent)) {
      auto ivs = loop.getInductionVars();
      for (unsigned i = 0; i < ivs.size(); ++i)
        if (ivs[i] == arg)
          return gcd(knownDivisor(loop.getLowerBound()[i], depth + 1),
                     knownDivisor(loop.getStep()[i], depth + 1));
    }
    return 1;
  }
  Operation *op = v.getDefiningOp();
  if (isa<arith::AddIOp, arith::SubIOp>(op))
    return gcd(knownDivisor(op->getOperand(0), depth + 1),
               knownDivisor(op->getOperand(1), depth + 1));
  if (isa<arith::MulIOp>(op))
    return mulCap(knownDivisor(op->getOperand(0), depth + 1),
                  knownDivisor(op->getOperand(1), depth + 1));
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtUIOp,
          arith::ExtSIOp>(op))
    return knownDivisor(op->getOperand(0), depth + 1);
  if (auto apply = dyn_cast<affine::AffineApplyOp>(op)) {
    AffineMap m = apply.getAffineMap();
    SmallVector<int64_t> dims, syms;
    for (unsigned i = 0; i < m.getNumDims(); ++i)
      dims.push_back(knownDivisor(apply.getDimOperands()[i], depth + 1));
    for (unsigned i = 0; i < m.getNumSymbols(); ++i)
      syms.push_back(knownDivisor(apply.getSymbolOperands()[i], depth + 1));
    return exprDivisor(m.getResult(0), dims, syms);
  }
  return 1;
}

/// A vector whose lane l (along its only non-unit, innermost dimension)
/// holds base + stride * l; `base` is a scalar built before the op being
/// expanded.
struct LaneForm {
  Value base;
  int64_t stride;
};

/// Only the innermost dimension may exceed 1.
bool isRowVector(VectorType t) {
  return !t.isScalable() &&
         llvm::all_of(t.getShape().drop_back(), [](int64_t d) { return d == 1; });
}

class LaneAnalysis {
public:
  LaneAnalysis(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  /// The form of `v`: uniform (stride 0) in any shape, or with a stride
  /// along the innermost dimension of a row vector.
  std::optional<LaneForm> of(Value v, int depth = 0) {
    std::optional<LaneForm> f = formOf(v, depth);
    auto vt = dyn_cast<VectorType>(v.getType());
    if (f && f->stride != 0 && (!vt || !isRowVector(vt)))
      return std::nullopt;
    return f;
  }

private:
  std::optional<LaneForm> formOf(Value v, int depth) {
    if (depth > 32)
      return std::nullopt;
    auto vt = dyn_cast<VectorType>(v.getType());
    if (!vt || vt.isScalable())
      return std::nullopt;
    Type elem = vt.getElementType();
    Operation *op = v.getDefiningOp();
    if (!op)
      return std::nullopt;
    if (auto bc = dyn_cast<vector::BroadcastOp>(op)) {
      Value src = bc.getSource();
      auto st = dyn_cast<VectorType>(src.getType());
      if (!st)
        return LaneForm{src, 0};
      std::optional<LaneForm> f = of(src, depth + 1);
      if (!f || f->stride == 0)
        return f;
      // Lanes along the innermost dimension, copied along new leading ones.
      if (st.getShape().back() != vt.getShape().back())
        return std::nullopt;
      return f;
    }
    if (auto sc = dyn_cast<vector::ShapeCastOp>(op)) {
      std::optional<LaneForm> f = of(sc.getSource(), depth + 1);
      auto st = cast<VectorType>(sc.getSource().getType());
      if (!f || f->stride == 0)
        return f;
      if (st.getShape().back() != vt.getShape().back())
        return std::nullopt;
      return f;
    }
    if (auto tr = dyn_cast<vector::TransposeOp>(op)) {
      std::optional<LaneForm> f = of(tr.getVector(), depth + 1);
      if (!f || f->stride == 0)
        return f;
      // Moving unit dimensions only: the innermost one must stay last.
      ArrayRef<int64_t> perm = tr.getPermutation();
      if (perm.back() != static_cast<int64_t>(perm.size()) - 1)
        return std::nullopt;
      return f;
    }
    if (isa<vector::StepOp>(op))
      return LaneForm{constant(elem, 0), vt.getNumElements() > 1 ? 1 : 0};
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseIntElementsAttr>(c.getValue());
      if (!dense)
        return std::nullopt;
      SmallVector<APInt> vals(dense.getValues<APInt>());
      int64_t first = vals.front().getSExtValue();
      int64_t stride =
          vals.size() > 1 ? vals[1].getSExtValue() - first : 0;
      for (size_t i = 0; i < vals.size(); ++i)
        if (vals[i].getSExtValue() != first + stride * int64_t(i))
          return std::nullopt;
      return LaneForm{constant(elem, first), stride};
    }
    if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op)) {
      std::optional<LaneForm> l = of(op->getOperand(0), depth + 1);
      std::optional<LaneForm> r = of(op->getOperand(1), depth + 1);
      if (!l || !r)
        return std::nullopt;
      if (isa<arith::AddIOp>(op))
        return LaneForm{arith::AddIOp::create(b, loc, l->base, r->base),
                        l->stride + r->stride};
      if (isa<arith::SubIOp>(op))
        return LaneForm{arith::SubIOp::create(b, loc, l->base, r->base),
                        l->stride - r->stride};
      // (l.base + l.s k)(r.base + r.s k) is affine in k if one side is
      // uniform; its stride must be a constant.
      if (l->stride != 0 && r->stride != 0)
        return std::nullopt;
      LaneForm &lin = l->stride != 0 ? *l : *r;
      LaneForm &uni = l->stride != 0 ? *r : *l;
      int64_t stride = 0;
      if (lin.stride != 0) {
        APInt c;
        if (!matchPattern(uni.base, m_ConstantInt(&c)))
          return std::nullopt;
        stride = lin.stride * c.getSExtValue();
      }
      return LaneForm{arith::MulIOp::create(b, loc, l->base, r->base),
                      stride};
    }
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(op)) {
      std::optional<LaneForm> f = of(op->getOperand(0), depth + 1);
      if (!f)
        return std::nullopt;
      Value base =
          isa<arith::IndexCastOp>(op)
              ? Value(arith::IndexCastOp::create(b, loc, elem, f->base))
              : Value(arith::IndexCastUIOp::create(b, loc, elem, f->base));
      return LaneForm{base, f->stride};
    }
    return std::nullopt;
  }

  Value constant(Type t, int64_t v) {
    if (auto vt = dyn_cast<VectorType>(t))
      t = vt.getElementType();
    if (t.isIndex())
      return arith::ConstantIndexOp::create(b, loc, v);
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v));
  }
  OpBuilder &b;
  Location loc;
};

/// The shared-row expansion of `op`, or null where it does not apply.
Value expandAsRow(OpBuilder &b, CounterNormalOp op) {
  auto type = dyn_cast<VectorType>(op.getType());
  if (!type || !isRowVector(type))
    return {};
  int64_t lanes = type.getShape().back();
  if (lanes < 4 || lanes % 4 != 0)
    return {};
  LaneAnalysis lanesOf(b, op.getLoc());
  std::optional<LaneForm> seed = lanesOf.of(op.getSeed());
  std::optional<LaneForm> step = lanesOf.of(op.getStep());
  std::optional<LaneForm> row = lanesOf.of(op.getRow());
  std::optional<LaneForm> elem = lanesOf.of(op.getElem());
  if (!seed || !step || !row || !elem || seed->stride != 0 ||
      step->stride != 0 || row->stride != 0 || elem->stride != 1)
    return {};
  if (knownDivisor(elem->base) % 4 != 0)
    return {};
  return buildCounterNormalRow(b, op.getLoc(), type, seed->base, step->base,
                               static_cast<uint32_t>(op.getSite()),
                               row->base, elem->base, op.getAntithetic());
}

} // namespace

void mlir::flops::expandCounterNormalOps(Operation *root, bool shareRows) {
  SmallVector<CounterNormalOp> ops;
  root->walk([&](CounterNormalOp op) { ops.push_back(op); });
  OpBuilder b(root->getContext());
  for (CounterNormalOp op : ops) {
    b.setInsertionPoint(op);
    Value z = shareRows ? expandAsRow(b, op) : Value();
    if (!z)
      z = buildCounterNormal(b, op.getLoc(), op.getType(), op.getSeed(),
                             op.getStep(), static_cast<uint32_t>(op.getSite()),
                             op.getRow(), op.getElem(), op.getAntithetic());
    op.replaceAllUsesWith(z);
    op.erase();
  }
}

namespace {
struct ExpandNoisePass
    : mlir::flops::impl::ExpandNoisePassBase<ExpandNoisePass> {
  void runOnOperation() override {
    expandCounterNormalOps(getOperation(), /*shareRows=*/true);
  }
};
} // namespace
