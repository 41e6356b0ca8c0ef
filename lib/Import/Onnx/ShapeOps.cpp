//===- ShapeOps.cpp - data movement and shape computations ----------------===//
//
// Reshape, Flatten, Transpose, Concat, Slice, Split, Gather, Unsqueeze,
// Squeeze, Expand, Shape, Constant, ConstantOfShape. The small integer
// vectors PyTorch computes for a dynamic batch (Shape -> Gather -> Unsqueeze
// -> Concat -> Reshape) are evaluated at import time on symbolic extents, so
// no shape arithmetic reaches the IR.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <limits>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;

namespace {

using IT = utils::IteratorType;

/// Static integer contents of input i (constant or all-static symbolic).
std::optional<SmallVector<int64_t>> staticInts(Importer &imp, unsigned i) {
  if (DenseElementsAttr c = imp.constantInput(i)) {
    if (!isa<IntegerType>(c.getElementType()))
      return std::nullopt;
    SmallVector<int64_t> v;
    for (APInt x : c.getValues<APInt>())
      v.push_back(x.getSExtValue());
    return v;
  }
  auto s = imp.symbolicInput(i);
  if (!s)
    return std::nullopt;
  SmallVector<int64_t> v;
  for (const SymDim &d : *s) {
    if (!d.isStatic())
      return std::nullopt;
    v.push_back(d.coeff);
  }
  return v;
}

/// Axes from the attribute (older opsets) or input `inputIndex`.
LogicalResult axesOf(Importer &imp, int64_t inputOpset, unsigned inputIndex,
                     std::optional<SmallVector<int64_t>> &axes) {
  if (imp.opset >= inputOpset) {
    if (!imp.hasInput(inputIndex)) {
      axes = std::nullopt;
      return success();
    }
    axes = staticInts(imp, inputIndex);
    if (!axes)
      return imp.fail("axes must be a constant");
    return success();
  }
  axes = imp.attrInts("axes");
  return success();
}

LogicalResult constant(Importer &imp) {
  OpBuilder &b = imp.b;
  if (const auto *a = imp.attr("value")) {
    std::string msg;
    FailureOr<DenseElementsAttr> attr =
        tensorProtoToAttr(imp.context(), a->t(), &msg);
    if (failed(attr))
      return imp.fail(msg);
    imp.setConstantOutput(0, *attr);
    return success();
  }
  if (const auto *a = imp.attr("value_float")) {
    auto t = RankedTensorType::get({}, b.getF32Type());
    imp.setConstantOutput(0, DenseElementsAttr::get(t, a->f()));
    return success();
  }
  if (const auto *a = imp.attr("value_floats")) {
    SmallVector<float> v(a->floats().begin(), a->floats().end());
    auto t = RankedTensorType::get({(int64_t)v.size()}, b.getF32Type());
    imp.setConstantOutput(0, DenseElementsAttr::get(t, ArrayRef<float>(v)));
    return success();
  }
  if (const auto *a = imp.attr("value_int")) {
    auto t = RankedTensorType::get({}, b.getI64Type());
    imp.setConstantOutput(0, DenseElementsAttr::get(t, (int64_t)a->i()));
    return success();
  }
  if (const auto *a = imp.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    auto t = RankedTensorType::get({(int64_t)v.size()}, b.getI64Type());
    imp.setConstantOutput(0, DenseElementsAttr::get(t, ArrayRef<int64_t>(v)));
    return success();
  }
  return imp.fail("only tensor, float(s) and int(s) values are supported "
                  "(not sparse or string constants)");
}

LogicalResult constantOfShape(Importer &imp) {
  auto shape = imp.symbolicInput(0);
  if (!shape)
    return imp.fail("the shape must be known at import time");
  Type et = imp.b.getF32Type();
  Attribute value = imp.b.getFloatAttr(et, 0.0);
  if (const auto *a = imp.attr("value")) {
    std::string msg;
    FailureOr<DenseElementsAttr> attr =
        tensorProtoToAttr(imp.context(), a->t(), &msg);
    if (failed(attr))
      return imp.fail(msg);
    if (attr->getNumElements() != 1)
      return imp.fail("value must have one element");
    et = attr->getElementType();
    value = *attr->value_begin<Attribute>();
  }
  bool allStatic = llvm::all_of(*shape, [](const SymDim &d) {
    return d.isStatic();
  });
  if (allStatic) {
    SmallVector<int64_t> s;
    for (const SymDim &d : *shape) s.push_back(d.coeff);
    imp.setConstantOutput(
        0, DenseElementsAttr::get(RankedTensorType::get(s, et), value));
    return success();
  }
  return imp.setOutput(0, imp.filled(*shape, et, value));
}

LogicalResult shapeOp(Importer &imp) {
  // The shape of a known vector (shape arithmetic) without materialising it.
  bool scalarIn = false;
  if (auto s = imp.symbolicInput(0, &scalarIn)) {
    SmallVector<int64_t> dims;
    if (!scalarIn)
      dims.push_back(s->size());
    int64_t rank = dims.size();
    int64_t start = imp.attrInt("start", 0), end = imp.attrInt("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    SmallVector<SymDim> out;
    for (int64_t i = start; i < end; ++i)
      out.push_back(SymDim::constant(dims[i]));
    imp.setSymbolicOutput(0, out);
    return success();
  }
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  int64_t start = imp.attrInt("start", 0), end = imp.attrInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  SmallVector<SymDim> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(imp.dimOf(x, i));
  imp.setSymbolicOutput(0, dims);
  return success();
}

LogicalResult reshapeOp(Importer &imp) {
  auto target = imp.symbolicInput(1);
  if (!target)
    return imp.fail("the target shape must be known at import time "
                    "(a constant or computed from shapes)");
  bool allowZero = imp.attrInt("allowzero", 0);
  // Reshaping a known vector (shape arithmetic).
  bool scalarIn = false;
  if (auto s = imp.symbolicInput(0, &scalarIn)) {
    int64_t n = 1;
    bool ok = true;
    for (const SymDim &d : *target) {
      if (!d.isStatic()) { ok = false; break; }
      n *= d.coeff == -1 ? 1 : d.coeff;
    }
    // A 1-D target of -1 keeps the vector (n counts -1 as 1).
    if (ok && target->size() == 1 && (*target)[0].coeff == -1 && !scalarIn)
      n = s->size();
    if (ok && target->size() <= 1 && (int64_t)s->size() == n) {
      imp.setSymbolicOutput(0, *s, target->empty());
      return success();
    }
  }
  Value x = imp.input(0);
  if (!x)
    return failure();
  SmallVector<SymDim> in = imp.dimsOf(x), out;
  int64_t inferAt = -1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d.isStatic() && d.coeff == -1) {
      if (inferAt >= 0)
        return imp.fail("the target shape has more than one -1");
      inferAt = i;
      out.push_back(SymDim::constant(1));
      continue;
    }
    if (d.isStatic() && d.coeff == 0 && !allowZero) {
      if (i >= in.size())
        return imp.fail("inconsistent shape: 0 in the target shape copies "
                        "a dimension the input does not have");
      out.push_back(in[i]);
      continue;
    }
    if (d.isStatic() && d.coeff < 0)
      return imp.fail("the target shape has a negative extent");
    out.push_back(d);
  }
  SymDim total = SymDim::constant(1), known = SymDim::constant(1);
  for (const SymDim &d : in) total = mulDims(total, d);
  for (const SymDim &d : out) known = mulDims(known, d);
  if (inferAt >= 0) {
    std::optional<SymDim> q = divDims(total, known);
    if (!q)
      return imp.fail("inconsistent shape: cannot infer the -1 extent");
    out[inferAt] = *q;
    known = total;
  }
  if (!(known == total)) {
    if (total.isStatic() && known.isStatic())
      return imp.fail("inconsistent shape: cannot reshape " +
                      std::to_string(total.coeff) + " elements to " +
                      std::to_string(known.coeff));
    return imp.fail("inconsistent shape: the symbolic element counts of "
                    "input and target differ");
  }
  FailureOr<Value> r = imp.reshape(x, out);
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r);
}

LogicalResult flatten(Importer &imp) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  int64_t axis = imp.attrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return imp.fail("axis " + std::to_string(axis) + " is out of range");
  if (axis < 0)
    axis += rank;
  SymDim a = SymDim::constant(1), c = SymDim::constant(1);
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? a : c) = mulDims(i < axis ? a : c, imp.dimOf(x, i));
  FailureOr<Value> r = imp.reshape(x, {a, c});
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r);
}

LogicalResult transpose(Importer &imp) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  SmallVector<int64_t> perm;
  if (auto p = imp.attrInts("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  SmallVector<int64_t> inv(rank, -1);
  if ((int64_t)perm.size() != rank)
    return imp.fail("perm has " + std::to_string(perm.size()) +
                    " entries for a rank-" + std::to_string(rank) + " input");
  for (int64_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank || inv[perm[i]] != -1)
      return imp.fail("perm is not a permutation");
    inv[perm[i]] = i;
  }
  SmallVector<SymDim> out;
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i) {
    out.push_back(imp.dimOf(x, perm[i]));
    exprs.push_back(imp.b.getAffineDimExpr(inv[i]));
  }
  AffineMap m = AffineMap::get(rank, 0, exprs, &imp.context());
  return imp.setOutput(0, imp.copyWithMap(x, out, m));
}

LogicalResult concat(Importer &imp) {
  int64_t axisAttr = imp.attrInt("axis", 0);
  // Known vectors (shape arithmetic).
  SmallVector<SymDim> sym;
  bool allSym = true;
  for (unsigned i = 0; i < imp.numInputs() && allSym; ++i) {
    bool scalar = false;
    auto s = imp.symbolicInput(i, &scalar);
    if (!s || scalar)
      allSym = false;
    else
      sym.append(s->begin(), s->end());
  }
  if (allSym && imp.numInputs() > 0) {
    imp.setSymbolicOutput(0, sym);
    return success();
  }
  SmallVector<Value> ins;
  for (unsigned i = 0; i < imp.numInputs(); ++i) {
    Value v = imp.input(i);
    if (!v)
      return failure();
    ins.push_back(v);
  }
  if (ins.empty())
    return imp.fail("needs at least one input");
  int64_t rank = rankOf(ins[0]);
  FailureOr<int64_t> axis = imp.normalizeAxis(axisAttr, rank);
  if (failed(axis))
    return failure();
  SmallVector<SymDim> out = imp.dimsOf(ins[0]);
  int64_t total = 0;
  for (Value v : ins) {
    if (rankOf(v) != rank || elementTypeOf(v) != elementTypeOf(ins[0]))
      return imp.fail("inputs differ in rank or element type");
    for (int64_t d = 0; d < rank; ++d) {
      SymDim e = imp.dimOf(v, d);
      if (d == *axis) {
        if (!e.isStatic())
          return imp.fail("concatenation along a dynamic dimension is not "
                          "supported");
        total += e.coeff;
      } else if (!(e == out[d]) && e.isStatic() && out[d].isStatic()) {
        return imp.fail("inconsistent shapes: extent " +
                        std::to_string(e.coeff) + " vs " +
                        std::to_string(out[d].coeff) + " in dimension " +
                        std::to_string(d));
      }
    }
  }
  out[*axis] = SymDim::constant(total);
  Value acc = imp.empty(out, elementTypeOf(ins[0]));
  int64_t off = 0;
  for (Value v : ins) {
    SmallVector<OpFoldResult> offs(rank, imp.b.getIndexAttr(0)), sizes,
        strides(rank, imp.b.getIndexAttr(1));
    offs[*axis] = imp.b.getIndexAttr(off);
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(imp.foldResult(d == *axis ? imp.dimOf(v, d) : out[d]));
    acc = tensor::InsertSliceOp::create(imp.b, imp.loc, v, acc, offs, sizes,
                                        strides);
    off += imp.dimOf(v, *axis).coeff;
  }
  return imp.setOutput(0, acc);
}

LogicalResult slice(Importer &imp) {
  std::optional<SmallVector<int64_t>> starts, ends, axes, steps;
  if (imp.opset >= 10) {
    starts = staticInts(imp, 1);
    ends = staticInts(imp, 2);
    if (!starts || !ends)
      return imp.fail("starts and ends must be constants");
    if (imp.hasInput(3) && !(axes = staticInts(imp, 3)))
      return imp.fail("axes must be a constant");
    if (imp.hasInput(4) && !(steps = staticInts(imp, 4)))
      return imp.fail("steps must be a constant");
  } else {
    starts = imp.attrInts("starts");
    ends = imp.attrInts("ends");
    axes = imp.attrInts("axes");
    if (!starts || !ends)
      return imp.fail("starts and ends are required");
  }
  size_t n = starts->size();
  if (ends->size() != n || (axes && axes->size() != n) ||
      (steps && steps->size() != n))
    return imp.fail("starts, ends, axes and steps differ in length");
  bool scalarIn = false;
  auto sym = imp.symbolicInput(0, &scalarIn);
  Value x;
  int64_t rank;
  if (sym && !scalarIn) {
    rank = 1;
  } else {
    sym.reset();
    x = imp.input(0);
    if (!x)
      return failure();
    rank = rankOf(x);
  }
  SmallVector<SymDim> in = sym ? SmallVector<SymDim>{SymDim::constant(
                                     (int64_t)sym->size())}
                               : imp.dimsOf(x);
  SmallVector<int64_t> st(rank, 0), sp(rank, 1);
  SmallVector<SymDim> out = in;
  SmallVector<bool> full(rank, true);
  for (size_t i = 0; i < n; ++i) {
    int64_t a = axes ? (*axes)[i] : (int64_t)i;
    FailureOr<int64_t> ax = imp.normalizeAxis(a, rank);
    if (failed(ax))
      return failure();
    int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0)
      return imp.fail("a step is 0");
    int64_t s = (*starts)[i], e = (*ends)[i];
    SymDim d = in[*ax];
    if (!d.isStatic()) {
      if (s == 0 && step == 1 && e >= std::numeric_limits<int32_t>::max())
        continue; // the whole dynamic dimension
      return imp.fail("slicing a dynamic dimension is not supported");
    }
    int64_t dim = d.coeff;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    int64_t size;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      size = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      size = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    st[*ax] = s;
    sp[*ax] = step;
    out[*ax] = SymDim::constant(size);
    full[*ax] = false;
  }
  if (sym) {
    SmallVector<SymDim> r;
    for (int64_t k = 0; k < out[0].coeff; ++k)
      r.push_back((*sym)[st[0] + k * sp[0]]);
    imp.setSymbolicOutput(0, r);
    return success();
  }
  Type et = elementTypeOf(x);
  if (llvm::any_of(out, [](const SymDim &d) {
        return d.isStatic() && d.coeff == 0;
      })) {
    Attribute zero = isa<FloatType>(et) ? Attribute(imp.b.getFloatAttr(et, 0))
                                        : imp.b.getIntegerAttr(et, 0);
    return imp.setOutput(0, imp.filled(out, et, zero));
  }
  if (llvm::all_of(sp, [](int64_t v) { return v > 0; })) {
    SmallVector<OpFoldResult> offs, sizes, strides;
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d) {
      offs.push_back(imp.b.getIndexAttr(st[d]));
      sizes.push_back(imp.foldResult(out[d]));
      strides.push_back(imp.b.getIndexAttr(sp[d]));
      shape.push_back(Importer::staticExtent(out[d]));
    }
    Value r = tensor::ExtractSliceOp::create(
        imp.b, imp.loc, RankedTensorType::get(shape, et), x, offs, sizes,
        strides);
    return imp.setOutput(0, r);
  }
  // Negative steps: a copy through start + step * d.
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d) {
    AffineExpr e = imp.b.getAffineDimExpr(d);
    exprs.push_back(full[d] ? e : e * sp[d] + st[d]);
  }
  AffineMap m = AffineMap::get(rank, 0, exprs, &imp.context());
  return imp.setOutput(0, imp.copyWithMap(x, out, m));
}

LogicalResult split(Importer &imp) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  FailureOr<int64_t> axis = imp.normalizeAxis(imp.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SymDim d = imp.dimOf(x, *axis);
  if (!d.isStatic())
    return imp.fail("splitting a dynamic dimension is not supported");
  SmallVector<int64_t> sizes;
  if (imp.opset >= 13 && imp.hasInput(1)) {
    auto s = staticInts(imp, 1);
    if (!s)
      return imp.fail("split must be a constant");
    sizes = *s;
  } else if (auto s = imp.attrInts("split")) {
    sizes = *s;
  } else {
    int64_t n = imp.numOutputs();
    int64_t chunk = (d.coeff + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::min(chunk, d.coeff - i * chunk));
  }
  if ((int64_t)sizes.size() != imp.numOutputs())
    return imp.fail("split has " + std::to_string(sizes.size()) +
                    " sizes for " + std::to_string(imp.numOutputs()) +
                    " outputs");
  int64_t sum = 0;
  for (int64_t s : sizes) sum += s;
  if (sum != d.coeff || llvm::any_of(sizes, [](int64_t s) { return s < 0; }))
    return imp.fail("inconsistent shape: split sizes add up to " +
                    std::to_string(sum) + " but the axis has " +
                    std::to_string(d.coeff));
  int64_t off = 0;
  Type et = elementTypeOf(x);
  for (auto [i, s] : llvm::enumerate(sizes)) {
    SmallVector<OpFoldResult> offs(rank, imp.b.getIndexAttr(0)), sz,
        strides(rank, imp.b.getIndexAttr(1));
    SmallVector<int64_t> shape;
    for (int64_t k = 0; k < rank; ++k) {
      SymDim e = k == *axis ? SymDim::constant(s) : imp.dimOf(x, k);
      sz.push_back(imp.foldResult(e));
      shape.push_back(Importer::staticExtent(e));
    }
    offs[*axis] = imp.b.getIndexAttr(off);
    off += s;
    if (s == 0) {
      SmallVector<SymDim> dims = imp.dimsOf(x);
      dims[*axis] = SymDim::constant(0);
      // A fill, not a bare tensor.empty: a function returning tensor.empty
      // crashes flops-lower-to-cpu's buffer-results-to-out-params.
      Attribute zero = isa<FloatType>(et) ? Attribute(imp.b.getFloatAttr(et, 0))
                                          : imp.b.getIntegerAttr(et, 0);
      if (failed(imp.setOutput(i, imp.filled(dims, et, zero))))
        return failure();
      continue;
    }
    Value r = tensor::ExtractSliceOp::create(
        imp.b, imp.loc, RankedTensorType::get(shape, et), x, offs, sz,
        strides);
    if (failed(imp.setOutput(i, r)))
      return failure();
  }
  return success();
}

LogicalResult gather(Importer &imp) {
  int64_t axisAttr = imp.attrInt("axis", 0);
  bool scalarIn = false;
  auto sym = imp.symbolicInput(0, &scalarIn);
  DenseElementsAttr idxConst = imp.constantInput(1);
  if (sym && !scalarIn && idxConst &&
      cast<ShapedType>(idxConst.getType()).getRank() <= 1) {
    SmallVector<SymDim> r;
    for (APInt v : idxConst.getValues<APInt>()) {
      int64_t k = v.getSExtValue();
      if (k < 0) k += sym->size();
      if (k < 0 || k >= (int64_t)sym->size())
        return imp.fail("index " + std::to_string(v.getSExtValue()) +
                        " is out of range");
      r.push_back((*sym)[k]);
    }
    imp.setSymbolicOutput(0, r,
                          cast<ShapedType>(idxConst.getType()).getRank() == 0);
    return success();
  }
  Value x = imp.input(0), idx = imp.input(1);
  if (!x || !idx)
    return failure();
  int64_t rank = rankOf(x), ri = rankOf(idx);
  FailureOr<int64_t> axis = imp.normalizeAxis(axisAttr, rank);
  if (failed(axis))
    return failure();
  if (!isa<IntegerType>(elementTypeOf(idx)))
    return imp.fail("indices must be integers");
  SymDim ad = imp.dimOf(x, *axis);
  // A constant scalar index: a slice.
  if (idxConst && ri == 0 && ad.isStatic()) {
    int64_t k = (*idxConst.getValues<APInt>().begin()).getSExtValue();
    if (k < 0) k += ad.coeff;
    if (k < 0 || k >= ad.coeff)
      return imp.fail("index out of range");
    SmallVector<OpFoldResult> offs(rank, imp.b.getIndexAttr(0)), sz,
        strides(rank, imp.b.getIndexAttr(1));
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d) {
      SymDim e = d == *axis ? SymDim::constant(1) : imp.dimOf(x, d);
      sz.push_back(imp.foldResult(e));
      shape.push_back(Importer::staticExtent(e));
    }
    offs[*axis] = imp.b.getIndexAttr(k);
    Value s = tensor::ExtractSliceOp::create(
        imp.b, imp.loc, RankedTensorType::get(shape, elementTypeOf(x)), x,
        offs, sz, strides);
    return imp.setOutput(0, imp.dropUnitDims(s, {*axis}));
  }
  // General: out[pre, i..., post] = x[pre, idx[i...], post].
  SmallVector<SymDim> out;
  for (int64_t d = 0; d < *axis; ++d) out.push_back(imp.dimOf(x, d));
  for (int64_t d = 0; d < ri; ++d) out.push_back(imp.dimOf(idx, d));
  for (int64_t d = *axis + 1; d < rank; ++d) out.push_back(imp.dimOf(x, d));
  int64_t ro = out.size();
  MLIRContext *ctx = &imp.context();
  SmallVector<AffineExpr> ie;
  for (int64_t d = 0; d < ri; ++d) ie.push_back(getAffineDimExpr(*axis + d, ctx));
  Value axisSize = imp.materialize(ad);
  Value init = imp.empty(out, elementTypeOf(x));
  Value y = imp.generic(
      {idx}, init,
      {AffineMap::get(ro, 0, ie, ctx), AffineMap::getMultiDimIdentityMap(ro, ctx)},
      SmallVector<IT>(ro, IT::parallel),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value k = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
        Value neg = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::slt, k,
            arith::ConstantIndexOp::create(nb, l, 0));
        Value wrapped = arith::AddIOp::create(nb, l, k, axisSize);
        k = arith::SelectOp::create(nb, l, neg, wrapped, k);
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < *axis; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, l, d));
        ivs.push_back(k);
        for (int64_t d = *axis + 1; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, l, d - 1 + ri));
        return Value(tensor::ExtractOp::create(nb, l, x, ivs));
      });
  return imp.setOutput(0, y);
}

LogicalResult unsqueeze(Importer &imp) {
  std::optional<SmallVector<int64_t>> axes;
  if (failed(axesOf(imp, 13, 1, axes)))
    return failure();
  if (!axes)
    return imp.fail("axes are required");
  bool scalarIn = false;
  if (auto s = imp.symbolicInput(0, &scalarIn)) {
    if (scalarIn && axes->size() == 1 && ((*axes)[0] == 0 || (*axes)[0] == -1)) {
      imp.setSymbolicOutput(0, *s, false);
      return success();
    }
  }
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x) + axes->size();
  SmallVector<int64_t> pos;
  for (int64_t a : *axes) {
    FailureOr<int64_t> n = imp.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    pos.push_back(*n);
  }
  llvm::sort(pos);
  if (std::adjacent_find(pos.begin(), pos.end()) != pos.end())
    return imp.fail("axes contain duplicates");
  return imp.setOutput(0, imp.insertUnitDims(x, pos));
}

LogicalResult squeeze(Importer &imp) {
  std::optional<SmallVector<int64_t>> axes;
  if (failed(axesOf(imp, 13, 1, axes)))
    return failure();
  bool scalarIn = false;
  if (auto s = imp.symbolicInput(0, &scalarIn)) {
    if (!scalarIn && s->size() == 1) {
      imp.setSymbolicOutput(0, *s, true);
      return success();
    }
  }
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  SmallVector<int64_t> pos;
  if (axes) {
    for (int64_t a : *axes) {
      FailureOr<int64_t> n = imp.normalizeAxis(a, rank);
      if (failed(n))
        return failure();
      SymDim d = imp.dimOf(x, *n);
      if (!d.isStatic() || d.coeff != 1)
        return imp.fail("inconsistent shape: dimension " +
                        std::to_string(*n) + " is not 1");
      pos.push_back(*n);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) {
      SymDim d = imp.dimOf(x, i);
      if (d.isStatic() && d.coeff == 1)
        pos.push_back(i);
    }
  }
  llvm::sort(pos);
  pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
  return imp.setOutput(0, imp.dropUnitDims(x, pos));
}

LogicalResult expand(Importer &imp) {
  auto shape = imp.symbolicInput(1);
  if (!shape)
    return imp.fail("the shape must be known at import time");
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rx = rankOf(x), rs = shape->size(), r = std::max(rx, rs);
  SmallVector<SymDim> out;
  for (int64_t d = 0; d < r; ++d) {
    int64_t jx = d - (r - rx), js = d - (r - rs);
    SymDim a = jx >= 0 ? imp.dimOf(x, jx) : SymDim::constant(1);
    SymDim s = js >= 0 ? (*shape)[js] : SymDim::constant(1);
    if (s.isStatic() && s.coeff == 1)
      out.push_back(a);
    else if (a.isStatic() && a.coeff == 1)
      out.push_back(s);
    else if (a == s || !a.isStatic() || !s.isStatic())
      out.push_back(a.isStatic() ? a : s);
    else
      return imp.fail("inconsistent shapes: cannot expand extent " +
                      std::to_string(a.coeff) + " to " +
                      std::to_string(s.coeff));
  }
  FailureOr<Value> y = imp.broadcastTo(x, out);
  if (failed(y))
    return failure();
  return imp.setOutput(0, *y);
}

/// Pad, constant mode, with known pads (negative pads crop first).
LogicalResult padOp(Importer &imp) {
  std::string mode = imp.attrString("mode", "constant");
  if (mode != "constant")
    return imp.fail("mode '" + mode + "' is not supported (only constant)");
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  Type et = elementTypeOf(x);
  SmallVector<int64_t> pads;
  double value = 0;
  if (imp.opset < 11) {
    auto p = imp.attrInts("pads");
    if (!p)
      return imp.fail("pads are required");
    pads = *p;
    value = imp.attrFloat("value", 0.0f);
  } else {
    auto p = staticInts(imp, 1);
    if (!p)
      return imp.fail("pads must be known at import time");
    pads = *p;
    if (imp.hasInput(2)) {
      DenseElementsAttr c = imp.constantInput(2);
      if (!c || c.getNumElements() != 1)
        return imp.fail("constant_value must be a known scalar");
      value = isa<FloatType>(c.getElementType())
                  ? (*c.getValues<APFloat>().begin()).convertToDouble()
                  : double((*c.getValues<APInt>().begin()).getSExtValue());
    }
  }
  SmallVector<int64_t> axes;
  if (imp.hasInput(3)) {
    auto a = staticInts(imp, 3);
    if (!a)
      return imp.fail("axes must be known at import time");
    for (int64_t v : *a) {
      FailureOr<int64_t> n = imp.normalizeAxis(v, rank);
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  if ((int64_t)pads.size() != 2 * (int64_t)axes.size())
    return imp.fail("expected " + std::to_string(2 * axes.size()) +
                    " pads, got " + std::to_string(pads.size()));
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (auto [k, a] : llvm::enumerate(axes)) {
    low[a] = pads[k];
    high[a] = pads[k + axes.size()];
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (low[d] < 0 || high[d] < 0)
      return imp.fail("negative pads are not supported");
    if ((low[d] || high[d]) && !imp.dimOf(x, d).isStatic())
      return imp.fail("padding dimension " + std::to_string(d) +
                      ", which has a runtime extent, is not supported");
  }
  Attribute v = isa<FloatType>(et) ? Attribute(imp.b.getFloatAttr(et, value))
                                   : Attribute(imp.b.getIntegerAttr(
                                         et, (int64_t)value));
  return imp.setOutput(0, imp.pad(x, low, high, v));
}

} // namespace

void onnx_import::registerShapeOps(OpTable &t) {
  t["Constant"] = constant;
  t["ConstantOfShape"] = constantOfShape;
  t["Shape"] = shapeOp;
  t["Reshape"] = reshapeOp;
  t["Flatten"] = flatten;
  t["Transpose"] = transpose;
  t["Concat"] = concat;
  t["Slice"] = slice;
  t["Split"] = split;
  t["Gather"] = gather;
  t["Unsqueeze"] = unsqueeze;
  t["Squeeze"] = squeeze;
  t["Expand"] = expand;
  t["Pad"] = padOp;
  // Evaluated at import time when their inputs are known (ConstantFold.cpp);
  // runtime inputs are not supported.
  for (const char *op : {"Range", "ScatterND", "Tile", "Mod"})
    t[op] = [op](Importer &i) {
      return i.fail(std::string(op) + " with inputs that are not known at "
                    "import time is not supported");
    };
}
