//===- Builders.cpp - symbolic extents and the IR builders the ops share --===//

#include "ImporterImpl.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;

SymDim onnx_import::mulDims(const SymDim &a, const SymDim &b) {
  SymDim r;
  r.coeff = a.coeff * b.coeff;
  r.factors.append(a.factors.begin(), a.factors.end());
  r.factors.append(b.factors.begin(), b.factors.end());
  llvm::sort(r.factors, [](Value x, Value y) {
    return x.getAsOpaquePointer() < y.getAsOpaquePointer();
  });
  return r;
}

std::optional<SymDim> onnx_import::divDims(const SymDim &a, const SymDim &b) {
  if (b.coeff == 0 || a.coeff % b.coeff != 0)
    return std::nullopt;
  SymDim r;
  r.coeff = a.coeff / b.coeff;
  SmallVector<Value, 1> rest(a.factors.begin(), a.factors.end());
  for (Value f : b.factors) {
    auto it = llvm::find(rest, f);
    if (it == rest.end())
      return std::nullopt;
    rest.erase(it);
  }
  r.factors = rest;
  return r;
}

SymDim Importer::dimOf(Value v, unsigned i) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(i))
    return SymDim::constant(type.getDimSize(i));
  Operation *def = v.getDefiningOp();
  auto fromIndex = [&](Value s) {
    auto it = indexDims.find(s);
    if (it != indexDims.end())
      return it->second;
    SymDim d;
    d.factors.push_back(s);
    indexDims[s] = d;
    return d;
  };
  if (auto e = dyn_cast_or_null<tensor::EmptyOp>(def))
    return fromIndex(e.getDynamicSize(i));
  if (auto dps = dyn_cast_or_null<DestinationStyleOpInterface>(def))
    return dimOf(dps.getDpsInits()[cast<OpResult>(v).getResultNumber()], i);
  if (auto ex = dyn_cast_or_null<tensor::ExpandShapeOp>(def)) {
    OpFoldResult s = ex.getMixedOutputShape()[i];
    if (auto val = dyn_cast<Value>(s))
      return fromIndex(val);
  }
  if (auto co = dyn_cast_or_null<tensor::CollapseShapeOp>(def)) {
    SymDim d;
    // Keep the reassociation alive: iterating an element of the returned
    // temporary would read freed memory.
    SmallVector<ReassociationIndices> re = co.getReassociationIndices();
    for (int64_t j : re[i])
      d = mulDims(d, dimOf(co.getSrc(), j));
    return d;
  }
  if (auto sl = dyn_cast_or_null<tensor::ExtractSliceOp>(def)) {
    // Never rank-reducing here: result dim i is size i.
    OpFoldResult s = sl.getMixedSizes()[i];
    if (auto val = dyn_cast<Value>(s))
      return fromIndex(val);
  }
  if (auto c = dyn_cast_or_null<tensor::CastOp>(def))
    return dimOf(c.getSource(), i);
  // A graph input or anything else: the tensor.dim is its own factor
  // (cached so that the same extent is the same factor).
  auto key = std::make_pair(v.getAsOpaquePointer(), (int64_t)i);
  auto it = materialized.find(key);
  if (it != materialized.end())
    return fromIndex(it->second);
  OpBuilder::InsertionGuard g(b);
  if (auto arg = dyn_cast<BlockArgument>(v))
    b.setInsertionPointToStart(arg.getOwner());
  else
    b.setInsertionPointAfter(def);
  Value c = arith::ConstantIndexOp::create(b, v.getLoc(), i);
  Value d = tensor::DimOp::create(b, v.getLoc(), v, c);
  materialized[key] = d;
  return fromIndex(d);
}

SmallVector<SymDim> Importer::dimsOf(Value v) {
  SmallVector<SymDim> r;
  for (int64_t i = 0; i < rankOf(v); ++i)
    r.push_back(dimOf(v, i));
  return r;
}

Value Importer::materialize(const SymDim &d) {
  if (d.isStatic())
    return arith::ConstantIndexOp::create(b, loc, d.coeff);
  if (d.coeff == 1 && d.factors.size() == 1)
    return d.factors.front();
  Value acc = d.factors.front();
  for (Value f : ArrayRef<Value>(d.factors).drop_front())
    acc = arith::MulIOp::create(b, loc, acc, f);
  if (d.coeff != 1)
    acc = arith::MulIOp::create(
        b, loc, acc, arith::ConstantIndexOp::create(b, loc, d.coeff));
  indexDims[acc] = d;
  return acc;
}

OpFoldResult Importer::foldResult(const SymDim &d) {
  if (d.isStatic())
    return b.getIndexAttr(d.coeff);
  return materialize(d);
}

Value Importer::empty(ArrayRef<SymDim> dims, Type elementType) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  for (const SymDim &d : dims) {
    shape.push_back(staticExtent(d));
    if (!d.isStatic())
      dyn.push_back(materialize(d));
  }
  return tensor::EmptyOp::create(b, loc, shape, elementType, dyn);
}

Value Importer::constantScalar(Type type, double value) {
  if (isa<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(type, (int64_t)value));
}

Value Importer::filled(ArrayRef<SymDim> dims, Type elementType,
                       Attribute value) {
  Value e = empty(dims, elementType);
  Value c = arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
  return linalg::FillOp::create(b, loc, c, ValueRange{e}).getResult(0);
}

Value Importer::generic(ArrayRef<Value> inputs, Value init,
                        ArrayRef<AffineMap> maps,
                        ArrayRef<utils::IteratorType> iterators,
                        const BodyFn &body) {
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args));
      });
  return op.getResult(0);
}

FailureOr<SmallVector<SymDim>>
Importer::broadcastShape(ArrayRef<Value> inputs) {
  int64_t rank = 0;
  for (Value v : inputs)
    rank = std::max(rank, rankOf(v));
  SmallVector<SymDim> out(rank, SymDim::constant(1));
  for (int64_t d = 0; d < rank; ++d) {
    std::optional<SymDim> chosen;
    for (Value v : inputs) {
      int64_t j = d - (rank - rankOf(v));
      if (j < 0)
        continue;
      SymDim e = dimOf(v, j);
      if (e.isStatic() && e.coeff == 1)
        continue;
      if (!chosen) {
        chosen = e;
        continue;
      }
      if (e == *chosen)
        continue;
      if (e.isStatic() && chosen->isStatic())
        return fail("inconsistent shapes: cannot broadcast extent " +
                    std::to_string(e.coeff) + " against " +
                    std::to_string(chosen->coeff) + " (dimension " +
                    std::to_string(d) + " of the result)"),
               failure();
      // A static extent wins over a symbolic one (they must agree at run
      // time); two different symbols are assumed equal.
      if (e.isStatic())
        chosen = e;
    }
    if (chosen)
      out[d] = *chosen;
  }
  return out;
}

/// The map reading `v` (rank r_v) inside an iteration space of the
/// broadcast result `out` (numpy rules: trailing alignment, unit extents
/// read at 0).
static AffineMap broadcastMap(Importer &imp, Value v, ArrayRef<SymDim> out) {
  MLIRContext *ctx = v.getContext();
  int64_t rank = out.size(), rv = rankOf(v);
  SmallVector<AffineExpr> exprs;
  for (int64_t j = 0; j < rv; ++j) {
    int64_t d = rank - rv + j;
    SymDim e = imp.dimOf(v, j);
    bool unit = e.isStatic() && e.coeff == 1;
    bool outUnit = out[d].isStatic() && out[d].coeff == 1;
    exprs.push_back(unit && !outUnit ? getAffineConstantExpr(0, ctx)
                                     : getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

FailureOr<Value> Importer::elementwise(ArrayRef<Value> inputs,
                                       Type resultElement,
                                       const BodyFn &body) {
  FailureOr<SmallVector<SymDim>> shape = broadcastShape(inputs);
  if (failed(shape))
    return failure();
  SmallVector<AffineMap> maps;
  for (Value v : inputs)
    maps.push_back(broadcastMap(*this, v, *shape));
  maps.push_back(b.getMultiDimIdentityMap(shape->size()));
  Value init = empty(*shape, resultElement);
  SmallVector<utils::IteratorType> its(shape->size(),
                                       utils::IteratorType::parallel);
  return generic(inputs, init, maps, its, body);
}

FailureOr<Value> Importer::broadcastTo(Value x, ArrayRef<SymDim> dims) {
  if ((int64_t)dims.size() < rankOf(x))
    return fail("cannot broadcast a rank-" + std::to_string(rankOf(x)) +
                " tensor to rank " + std::to_string(dims.size())),
           failure();
  for (int64_t j = 0; j < rankOf(x); ++j) {
    SymDim e = dimOf(x, j);
    const SymDim &o = dims[dims.size() - rankOf(x) + j];
    if (e.isStatic() && o.isStatic() && e.coeff != 1 && e.coeff != o.coeff)
      return fail("inconsistent shapes: cannot broadcast extent " +
                  std::to_string(e.coeff) + " to " + std::to_string(o.coeff)),
             failure();
  }
  AffineMap m = broadcastMap(*this, x, dims);
  Value init = empty(dims, elementTypeOf(x));
  SmallVector<utils::IteratorType> its(dims.size(),
                                       utils::IteratorType::parallel);
  return generic({x}, init, {m, b.getMultiDimIdentityMap(dims.size())}, its,
                 [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

Value Importer::reduce(Value x, ArrayRef<int64_t> axes, bool keepdims,
                       Attribute init, const BodyFn &combine) {
  int64_t rank = rankOf(x);
  SmallVector<SymDim> outDims;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> its;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    its.push_back(reduced ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
    if (!reduced) {
      outDims.push_back(dimOf(x, d));
      outExprs.push_back(b.getAffineDimExpr(d));
    }
  }
  Value acc = filled(outDims, elementTypeOf(x), init);
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, b.getContext());
  Value r = generic({x}, acc, {b.getMultiDimIdentityMap(rank), outMap}, its,
                    combine);
  return keepdims ? insertUnitDims(r, axes) : r;
}

Value Importer::withReduced(Value x, Value reduced, Type resultElement,
                            const BodyFn &body) {
  return *elementwise({x, reduced}, resultElement, body);
}

/// Groups of `rank` consecutive dimensions when `units` (sorted positions in
/// the larger shape of rank `rank`) are unit dimensions to attach.
static SmallVector<ReassociationIndices>
unitReassociation(int64_t rank, ArrayRef<int64_t> units) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < rank; ++i) {
    if (llvm::is_contained(units, i)) {
      if (groups.empty())
        pending.push_back(i);
      else
        groups.back().push_back(i);
      continue;
    }
    ReassociationIndices g = pending;
    pending.clear();
    g.push_back(i);
    groups.push_back(g);
  }
  return groups; // empty when every dimension is a unit one
}

Value Importer::insertUnitDims(Value x, ArrayRef<int64_t> positions) {
  if (positions.empty())
    return x;
  int64_t rank = rankOf(x) + positions.size();
  SmallVector<OpFoldResult> outShape;
  SmallVector<int64_t> staticShape;
  int64_t src = 0;
  for (int64_t i = 0; i < rank; ++i) {
    SymDim d = llvm::is_contained(positions, i) ? SymDim::constant(1)
                                                : dimOf(x, src++);
    staticShape.push_back(staticExtent(d));
    outShape.push_back(foldResult(d));
  }
  auto type = RankedTensorType::get(staticShape, elementTypeOf(x));
  return tensor::ExpandShapeOp::create(b, loc, type, x,
                                       unitReassociation(rank, positions),
                                       outShape);
}

Value Importer::dropUnitDims(Value x, ArrayRef<int64_t> positions) {
  if (positions.empty())
    return x;
  SmallVector<int64_t> shape;
  auto xt = cast<RankedTensorType>(x.getType());
  for (int64_t i = 0; i < xt.getRank(); ++i)
    if (!llvm::is_contained(positions, i))
      shape.push_back(xt.getDimSize(i));
  auto type = RankedTensorType::get(shape, xt.getElementType());
  return tensor::CollapseShapeOp::create(
      b, loc, type, x, unitReassociation(xt.getRank(), positions));
}

FailureOr<Value> Importer::reshape(Value x, ArrayRef<SymDim> dims) {
  SmallVector<SymDim> src = dimsOf(x);
  if (src == SmallVector<SymDim>(dims.begin(), dims.end()))
    return x;
  Type et = elementTypeOf(x);
  auto isOne = [](const SymDim &d) { return d.isStatic() && d.coeff == 1; };
  // Greedy grouping into a common coarser shape ("meet").
  SmallVector<ReassociationIndices> gs, gt;
  SmallVector<SymDim> meet;
  size_t i = 0, j = 0;
  bool ok = true;
  while (i < src.size() && j < dims.size()) {
    ReassociationIndices a{(int64_t)i}, c{(int64_t)j};
    SymDim ps = src[i], pt = dims[j];
    while (!(ps == pt)) {
      std::optional<SymDim> q = divDims(pt, ps);
      if (q && !isOne(*q) && i + 1 < src.size()) {
        ps = mulDims(ps, src[++i]);
        a.push_back(i);
        continue;
      }
      q = divDims(ps, pt);
      if (q && !isOne(*q) && j + 1 < dims.size()) {
        pt = mulDims(pt, dims[++j]);
        c.push_back(j);
        continue;
      }
      ok = false;
      break;
    }
    if (!ok)
      break;
    gs.push_back(a);
    gt.push_back(c);
    meet.push_back(ps);
    ++i;
    ++j;
  }
  // Trailing unit dimensions join the last group.
  for (; ok && i < src.size(); ++i) {
    if (!isOne(src[i]) || gs.empty()) { ok = false; break; }
    gs.back().push_back(i);
  }
  for (; ok && j < dims.size(); ++j) {
    if (!isOne(dims[j]) || gt.empty()) { ok = false; break; }
    gt.back().push_back(j);
  }
  if (!ok || (gs.empty() && !(src.empty() && dims.empty()))) {
    // Through one dimension (or a scalar).
    SymDim total = SymDim::constant(1), want = SymDim::constant(1);
    for (const SymDim &d : src) total = mulDims(total, d);
    for (const SymDim &d : dims) want = mulDims(want, d);
    if (total.isStatic() && want.isStatic() && total.coeff != want.coeff)
      return fail("inconsistent shape: cannot reshape " +
                  std::to_string(total.coeff) + " elements to " +
                  std::to_string(want.coeff)),
             failure();
    gs.clear();
    gt.clear();
    meet.clear();
    if (!src.empty()) {
      ReassociationIndices a;
      for (size_t k = 0; k < src.size(); ++k) a.push_back(k);
      gs.push_back(a);
    }
    if (!dims.empty()) {
      ReassociationIndices c;
      for (size_t k = 0; k < dims.size(); ++k) c.push_back(k);
      gt.push_back(c);
    }
    if (!src.empty() && !dims.empty())
      meet.push_back(total);
  }
  Value v = x;
  if (meet.size() != src.size()) {
    SmallVector<int64_t> shape;
    for (const SymDim &d : meet) shape.push_back(staticExtent(d));
    v = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get(shape, et), v, gs);
  }
  if (meet.size() != dims.size()) {
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> outShape;
    for (const SymDim &d : dims) {
      shape.push_back(staticExtent(d));
      outShape.push_back(foldResult(d));
    }
    v = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(shape, et),
                                      v, gt, outShape);
  }
  return v;
}

Value Importer::convert(Value x, Type to) {
  Type from = elementTypeOf(x);
  if (from == to)
    return x;
  return *elementwise({x}, to, [&](OpBuilder &nb, Location l, ValueRange a) {
    Value v = a[0];
    bool ff = isa<FloatType>(from), tf = isa<FloatType>(to);
    if (ff && tf)
      return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
                 ? Value(arith::ExtFOp::create(nb, l, to, v))
                 : Value(arith::TruncFOp::create(nb, l, to, v));
    if (!ff && tf)
      return from.isInteger(1) ? Value(arith::UIToFPOp::create(nb, l, to, v))
                               : Value(arith::SIToFPOp::create(nb, l, to, v));
    if (ff && !tf) {
      if (to.isInteger(1)) {
        Value z = arith::ConstantOp::create(nb, l, nb.getFloatAttr(from, 0));
        return Value(arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNE,
                                           v, z));
      }
      return Value(arith::FPToSIOp::create(nb, l, to, v));
    }
    if (to.isInteger(1)) {
      Value z = arith::ConstantOp::create(nb, l, nb.getIntegerAttr(from, 0));
      return Value(
          arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne, v, z));
    }
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return from.isInteger(1) ? Value(arith::ExtUIOp::create(nb, l, to, v))
                               : Value(arith::ExtSIOp::create(nb, l, to, v));
    return Value(arith::TruncIOp::create(nb, l, to, v));
  });
}

Value Importer::pad(Value x, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                    Attribute value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return x;
  SmallVector<SymDim> dims;
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (int64_t i = 0; i < rankOf(x); ++i) {
    SymDim d = dimOf(x, i);
    SymDim p = d;
    if (low[i] || high[i])
      p = SymDim::constant(d.coeff + low[i] + high[i]); // static by caller
    dims.push_back(p);
    offsets.push_back(b.getIndexAttr(low[i]));
    sizes.push_back(foldResult(d));
    strides.push_back(b.getIndexAttr(1));
  }
  Value dest = filled(dims, elementTypeOf(x), value);
  return tensor::InsertSliceOp::create(b, loc, x, dest, offsets, sizes,
                                       strides);
}

Value Importer::copyWithMap(Value x, ArrayRef<SymDim> outDims,
                            AffineMap inputMap) {
  Value init = empty(outDims, elementTypeOf(x));
  SmallVector<utils::IteratorType> its(outDims.size(),
                                       utils::IteratorType::parallel);
  return generic({x}, init, {inputMap, b.getMultiDimIdentityMap(outDims.size())},
                 its, [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

FailureOr<int64_t> Importer::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return fail("axis " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(rank)),
           failure();
  return axis < 0 ? axis + rank : axis;
}
