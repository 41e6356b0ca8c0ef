//===- LinearOps.cpp - Gemm, MatMul, convolutions and pooling -------------===//
//
// Contractions are emitted in forms the estimator rules recognise: Gemm and
// MatMul as contraction-shaped linalg.generic ops reading the weight in its
// ONNX layout (Gemm transB=1 reads [out, in] through (n, k)), 2-D
// convolutions without groups as linalg.conv_2d_nchw_fchw after an explicit
// pad, other convolutions (1-D/3-D, groups, ConvTranspose) as generics.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;

namespace {

using IT = utils::IteratorType;

BodyFn macBody(Type et) {
  return [et](OpBuilder &nb, Location l, ValueRange a) -> Value {
    if (isa<FloatType>(et)) {
      Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
      return arith::AddFOp::create(nb, l, a[2], p);
    }
    Value p = arith::MulIOp::create(nb, l, a[0], a[1]);
    return arith::AddIOp::create(nb, l, a[2], p);
  };
}

Attribute zeroAttr(OpBuilder &b, Type et) {
  if (isa<FloatType>(et))
    return b.getFloatAttr(et, 0.0);
  return b.getIntegerAttr(et, 0);
}

LogicalResult matmul(Importer &imp) {
  Value a = imp.input(0), c = imp.input(1);
  if (!a || !c)
    return failure();
  Type et = elementTypeOf(a);
  if (et != elementTypeOf(c))
    return imp.fail("operand element types differ");
  if (rankOf(a) == 0 || rankOf(c) == 0)
    return imp.fail("operands must have rank >= 1");
  bool aVec = rankOf(a) == 1, cVec = rankOf(c) == 1;
  if (aVec)
    a = imp.insertUnitDims(a, {0});
  if (cVec)
    c = imp.insertUnitDims(c, {1});
  int64_t ra = rankOf(a), rc = rankOf(c);
  SymDim k1 = imp.dimOf(a, ra - 1), k2 = imp.dimOf(c, rc - 2);
  if (k1.isStatic() && k2.isStatic() && k1.coeff != k2.coeff)
    return imp.fail("inconsistent shapes: contraction extents " +
                    std::to_string(k1.coeff) + " and " +
                    std::to_string(k2.coeff) + " differ");
  // Broadcast the batch dimensions.
  int64_t nb = std::max(ra, rc) - 2;
  SmallVector<SymDim> out;
  for (int64_t d = 0; d < nb; ++d) {
    std::optional<SymDim> chosen;
    for (auto [v, r] : {std::make_pair(a, ra), std::make_pair(c, rc)}) {
      int64_t j = d - (nb - (r - 2));
      if (j < 0)
        continue;
      SymDim e = imp.dimOf(v, j);
      if (e.isStatic() && e.coeff == 1)
        continue;
      if (chosen && e.isStatic() && chosen->isStatic() && !(e == *chosen))
        return imp.fail("inconsistent shapes: batch extents " +
                        std::to_string(e.coeff) + " and " +
                        std::to_string(chosen->coeff) + " differ");
      if (!chosen || e.isStatic())
        chosen = e;
    }
    out.push_back(chosen ? *chosen : SymDim::constant(1));
  }
  SymDim m = imp.dimOf(a, ra - 2), n = imp.dimOf(c, rc - 1);
  out.push_back(m);
  out.push_back(n);
  MLIRContext *ctx = &imp.context();
  int64_t nd = nb + 3, dm = nb, dn = nb + 1, dk = nb + 2;
  auto batchExprs = [&](Value v, int64_t r) {
    SmallVector<AffineExpr> e;
    for (int64_t j = 0; j < r - 2; ++j) {
      int64_t d = nb - (r - 2) + j;
      SymDim x = imp.dimOf(v, j);
      bool unit = x.isStatic() && x.coeff == 1;
      bool outUnit = out[d].isStatic() && out[d].coeff == 1;
      e.push_back(unit && !outUnit ? getAffineConstantExpr(0, ctx)
                                   : getAffineDimExpr(d, ctx));
    }
    return e;
  };
  SmallVector<AffineExpr> ea = batchExprs(a, ra), ec = batchExprs(c, rc), eo;
  ea.append({getAffineDimExpr(dm, ctx), getAffineDimExpr(dk, ctx)});
  ec.append({getAffineDimExpr(dk, ctx), getAffineDimExpr(dn, ctx)});
  for (int64_t d = 0; d < nb + 2; ++d)
    eo.push_back(getAffineDimExpr(d, ctx));
  SmallVector<IT> its(nb + 2, IT::parallel);
  its.push_back(IT::reduction);
  Value init = imp.filled(out, et, zeroAttr(imp.b, et));
  Value r = imp.generic({a, c}, init,
                        {AffineMap::get(nd, 0, ea, ctx),
                         AffineMap::get(nd, 0, ec, ctx),
                         AffineMap::get(nd, 0, eo, ctx)},
                        its, macBody(et));
  int64_t ro = nb + 2;
  SmallVector<int64_t> drop;
  if (aVec)
    drop.push_back(ro - 2);
  if (cVec)
    drop.push_back(ro - 1);
  return imp.setOutput(0, imp.dropUnitDims(r, drop));
}

LogicalResult gemm(Importer &imp) {
  Value a = imp.input(0), w = imp.input(1);
  if (!a || !w)
    return failure();
  if (rankOf(a) != 2 || rankOf(w) != 2)
    return imp.fail("A and B must be matrices");
  Type et = elementTypeOf(a);
  if (!isa<FloatType>(et))
    return imp.fail("needs float operands");
  bool ta = imp.attrInt("transA", 0), tb = imp.attrInt("transB", 0);
  double alpha = imp.attrFloat("alpha", 1.0f), beta = imp.attrFloat("beta", 1.0f);
  SymDim m = imp.dimOf(a, ta ? 1 : 0), k1 = imp.dimOf(a, ta ? 0 : 1);
  SymDim k2 = imp.dimOf(w, tb ? 1 : 0), n = imp.dimOf(w, tb ? 0 : 1);
  if (k1.isStatic() && k2.isStatic() && k1.coeff != k2.coeff)
    return imp.fail("inconsistent shapes: A has " + std::to_string(k1.coeff) +
                    " columns but B has " + std::to_string(k2.coeff) +
                    " rows (after transA/transB)");
  MLIRContext *ctx = &imp.context();
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dk = getAffineDimExpr(2, ctx);
  AffineMap ma = AffineMap::get(3, 0, ta ? SmallVector<AffineExpr>{dk, dm}
                                         : SmallVector<AffineExpr>{dm, dk}, ctx);
  AffineMap mb = AffineMap::get(3, 0, tb ? SmallVector<AffineExpr>{dn, dk}
                                         : SmallVector<AffineExpr>{dk, dn}, ctx);
  AffineMap mo = AffineMap::get(3, 0, {dm, dn}, ctx);
  Value init = imp.filled({m, n}, et, imp.b.getFloatAttr(et, 0.0));
  Value y = imp.generic({a, w}, init, {ma, mb, mo},
                        {IT::parallel, IT::parallel, IT::reduction},
                        macBody(et));
  if (alpha != 1.0)
    y = *imp.elementwise({y}, et, [&](OpBuilder &nb, Location l, ValueRange v) {
      Value s = arith::ConstantOp::create(nb, l, nb.getFloatAttr(et, alpha));
      return Value(arith::MulFOp::create(nb, l, v[0], s));
    });
  if (imp.hasInput(2) && beta != 0.0) {
    Value c = imp.input(2);
    if (!c)
      return failure();
    if (rankOf(c) > 2)
      return imp.fail("C must have rank <= 2");
    FailureOr<Value> r = imp.elementwise(
        {y, c}, et, [&](OpBuilder &nb, Location l, ValueRange v) {
          Value cv = v[1];
          if (beta != 1.0)
            cv = arith::MulFOp::create(
                nb, l, cv,
                arith::ConstantOp::create(nb, l, nb.getFloatAttr(et, beta)));
          return Value(arith::AddFOp::create(nb, l, v[0], cv));
        });
    if (failed(r))
      return failure();
    if (!(imp.dimOf(*r, 0) == m) || !(imp.dimOf(*r, 1) == n))
      return imp.fail("inconsistent shapes: C does not broadcast to [M, N]");
    y = *r;
  }
  return imp.setOutput(0, y);
}

/// Spatial attributes of Conv / ConvTranspose / pools.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd;
};

LogicalResult readWindow(Importer &imp, int64_t r, ArrayRef<int64_t> kernel,
                         Window &w) {
  w.kernel.assign(kernel.begin(), kernel.end());
  auto get = [&](StringRef name, int64_t n, int64_t dflt,
                 SmallVector<int64_t> &out) -> LogicalResult {
    auto v = imp.attrInts(name);
    if (!v) {
      out.assign(n, dflt);
      return success();
    }
    if ((int64_t)v->size() != n)
      return imp.fail("attribute '" + name + "' has " +
                      std::to_string(v->size()) + " values, expected " +
                      std::to_string(n));
    out = *v;
    return success();
  };
  if (failed(get("strides", r, 1, w.strides)) ||
      failed(get("dilations", r, 1, w.dilations)))
    return failure();
  SmallVector<int64_t> pads;
  if (failed(get("pads", 2 * r, 0, pads)))
    return failure();
  w.padBegin.assign(pads.begin(), pads.begin() + r);
  w.padEnd.assign(pads.begin() + r, pads.end());
  for (int64_t i = 0; i < r; ++i)
    if (w.strides[i] < 1 || w.dilations[i] < 1 || w.kernel[i] < 1 ||
        w.padBegin[i] < 0 || w.padEnd[i] < 0)
      return imp.fail("strides, dilations and kernel must be positive and "
                      "pads non-negative");
  return success();
}

/// auto_pad SAME_UPPER / SAME_LOWER / VALID for Conv and pools.
LogicalResult applyAutoPad(Importer &imp, ArrayRef<int64_t> in, Window &w) {
  std::string ap = imp.attrString("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty())
    return success();
  for (size_t i = 0; i < in.size(); ++i) {
    if (ap == "VALID") {
      w.padBegin[i] = w.padEnd[i] = 0;
      continue;
    }
    if (ap != "SAME_UPPER" && ap != "SAME_LOWER")
      return imp.fail("auto_pad '" + ap + "' is not supported");
    int64_t out = (in[i] + w.strides[i] - 1) / w.strides[i];
    int64_t total = std::max<int64_t>(
        (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 -
            in[i],
        0);
    int64_t small = total / 2, big = total - small;
    w.padBegin[i] = ap == "SAME_UPPER" ? small : big;
    w.padEnd[i] = ap == "SAME_UPPER" ? big : small;
  }
  return success();
}

/// Static spatial extents of x (dimensions 2..), or failure.
FailureOr<SmallVector<int64_t>> spatial(Importer &imp, Value x) {
  SmallVector<int64_t> s;
  auto t = cast<RankedTensorType>(x.getType());
  for (int64_t i = 2; i < t.getRank(); ++i) {
    if (t.isDynamicDim(i)) {
      (void)imp.fail("spatial dimensions must be static");
      return failure();
    }
    s.push_back(t.getDimSize(i));
  }
  return s;
}

/// out[n, f, o] = sum_{c, k} x[n, (f / Fg) * Cg + c, o * s + k * d] *
///                W[f, c, k]        (conv)
///                W[(f / Fg) * Cg + c, f % Fg, k]  (transposed; the caller
///                                                  flips W's window)
Value convGeneric(Importer &imp, Value x, Value w, SymDim n, int64_t f,
                  int64_t fg, int64_t cg, ArrayRef<int64_t> outSpatial,
                  const Window &win, bool transposed) {
  MLIRContext *ctx = &imp.context();
  int64_t r = outSpatial.size();
  int64_t nd = 2 + r + 1 + r; // n, f, o..., c, k...
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  AffineExpr dn = d(0), df = d(1), dc = d(2 + r);
  AffineExpr chan = dc;
  if (f != fg) // groups
    chan = df.floorDiv(fg) * cg + dc;
  SmallVector<AffineExpr> ex{dn, chan}, ew, eo{dn, df};
  if (transposed) {
    ew.push_back(chan);
    ew.push_back(f == fg ? df : df % fg);
  } else {
    ew.push_back(df);
    ew.push_back(dc);
  }
  for (int64_t i = 0; i < r; ++i) {
    AffineExpr o = d(2 + i), k = d(3 + r + i);
    ex.push_back(o * win.strides[i] + k * win.dilations[i]);
    ew.push_back(k);
    eo.push_back(o);
  }
  SmallVector<IT> its(2 + r, IT::parallel);
  its.append(1 + r, IT::reduction);
  SmallVector<SymDim> outDims{n, SymDim::constant(f)};
  for (int64_t o : outSpatial)
    outDims.push_back(SymDim::constant(o));
  Type et = elementTypeOf(x);
  Value init = imp.filled(outDims, et, zeroAttr(imp.b, et));
  return imp.generic({x, w}, init,
                     {AffineMap::get(nd, 0, ex, ctx),
                      AffineMap::get(nd, 0, ew, ctx),
                      AffineMap::get(nd, 0, eo, ctx)},
                     its, macBody(et));
}

LogicalResult addChannelBias(Importer &imp, Value y, unsigned biasInput,
                             Value *out) {
  *out = y;
  if (!imp.hasInput(biasInput))
    return success();
  Value bias = imp.input(biasInput);
  if (!bias)
    return failure();
  if (rankOf(bias) != 1 || !(imp.dimOf(bias, 0) == imp.dimOf(y, 1)))
    return imp.fail("inconsistent shape: the bias must have one value per "
                    "output channel");
  MLIRContext *ctx = &imp.context();
  int64_t r = rankOf(y);
  Type et = elementTypeOf(y);
  Value init = imp.empty(imp.dimsOf(y), et);
  *out = imp.generic(
      {y, bias}, init,
      {AffineMap::getMultiDimIdentityMap(r, ctx),
       AffineMap::get(r, 0, {getAffineDimExpr(1, ctx)}, ctx),
       AffineMap::getMultiDimIdentityMap(r, ctx)},
      SmallVector<IT>(r, IT::parallel),
      [](OpBuilder &nb, Location l, ValueRange a) {
        return Value(arith::AddFOp::create(nb, l, a[0], a[1]));
      });
  return success();
}

LogicalResult conv(Importer &imp) {
  Value x = imp.input(0), w = imp.input(1);
  if (!x || !w)
    return failure();
  int64_t rank = rankOf(x);
  if (rank < 3 || rankOf(w) != rank)
    return imp.fail("X and W must have the same rank >= 3");
  Type et = elementTypeOf(x);
  if (!isa<FloatType>(et))
    return imp.fail("needs float operands");
  auto wt = cast<RankedTensorType>(w.getType());
  if (!wt.hasStaticShape())
    return imp.fail("the weight must have a static shape");
  FailureOr<SmallVector<int64_t>> in = spatial(imp, x);
  if (failed(in))
    return failure();
  int64_t r = rank - 2, g = imp.attrInt("group", 1);
  int64_t f = wt.getDimSize(0), cg = wt.getDimSize(1);
  SymDim c = imp.dimOf(x, 1);
  if (!c.isStatic())
    return imp.fail("the channel dimension must be static");
  if (g < 1 || c.coeff != cg * g || f % g != 0)
    return imp.fail("inconsistent shape: X has " + std::to_string(c.coeff) +
                    " channels, W expects " + std::to_string(cg) + " x " +
                    std::to_string(g) + " groups");
  if (auto ks = imp.attrInts("kernel_shape"))
    if (SmallVector<int64_t>(wt.getShape().drop_front(2)) != *ks)
      return imp.fail("inconsistent shape: kernel_shape disagrees with W");
  Window win;
  if (failed(readWindow(imp, r, wt.getShape().drop_front(2), win)) ||
      failed(applyAutoPad(imp, *in, win)))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < r; ++i) {
    int64_t span = (win.kernel[i] - 1) * win.dilations[i] + 1;
    int64_t padded = (*in)[i] + win.padBegin[i] + win.padEnd[i];
    if (padded < span)
      return imp.fail("inconsistent shape: the kernel is larger than the "
                      "padded input");
    out.push_back((padded - span) / win.strides[i] + 1);
  }
  SmallVector<int64_t> lo{0, 0}, hi{0, 0};
  lo.append(win.padBegin);
  hi.append(win.padEnd);
  Value xp = imp.pad(x, lo, hi, imp.b.getFloatAttr(et, 0.0));
  SymDim n = imp.dimOf(x, 0);
  Value y;
  if (r == 2 && g == 1) {
    SmallVector<SymDim> outDims{n, SymDim::constant(f),
                                SymDim::constant(out[0]),
                                SymDim::constant(out[1])};
    Value init = imp.filled(outDims, et, imp.b.getFloatAttr(et, 0.0));
    auto attr = [&](ArrayRef<int64_t> v) {
      return DenseIntElementsAttr::get(
          RankedTensorType::get({2}, imp.b.getI64Type()), v);
    };
    y = linalg::Conv2DNchwFchwOp::create(
            imp.b, imp.loc, TypeRange{init.getType()}, ValueRange{xp, w},
            ValueRange{init}, attr(win.strides), attr(win.dilations))
            .getResult(0);
  } else {
    y = convGeneric(imp, xp, w, n, f, f / g, cg, out, win, false);
  }
  Value res;
  if (failed(addChannelBias(imp, y, 2, &res)))
    return failure();
  return imp.setOutput(0, res);
}

LogicalResult convTranspose(Importer &imp) {
  Value x = imp.input(0), w = imp.input(1);
  if (!x || !w)
    return failure();
  int64_t rank = rankOf(x);
  if (rank < 3 || rankOf(w) != rank)
    return imp.fail("X and W must have the same rank >= 3");
  Type et = elementTypeOf(x);
  if (!isa<FloatType>(et))
    return imp.fail("needs float operands");
  auto wt = cast<RankedTensorType>(w.getType());
  if (!wt.hasStaticShape())
    return imp.fail("the weight must have a static shape");
  FailureOr<SmallVector<int64_t>> in = spatial(imp, x);
  if (failed(in))
    return failure();
  int64_t r = rank - 2, g = imp.attrInt("group", 1);
  SymDim c = imp.dimOf(x, 1);
  int64_t fg = wt.getDimSize(1), f = fg * g;
  if (!c.isStatic() || g < 1 || c.coeff != wt.getDimSize(0) ||
      c.coeff % g != 0)
    return imp.fail("inconsistent shape: X channels disagree with W");
  int64_t cg = c.coeff / g;
  Window win;
  if (failed(readWindow(imp, r, wt.getShape().drop_front(2), win)))
    return failure();
  SmallVector<int64_t> outPad(r, 0);
  if (auto op = imp.attrInts("output_padding")) {
    if ((int64_t)op->size() != r)
      return imp.fail("output_padding has the wrong length");
    outPad = *op;
  }
  std::string ap = imp.attrString("auto_pad", "NOTSET");
  auto outShape = imp.attrInts("output_shape");
  if (outShape && (int64_t)outShape->size() != r)
    return imp.fail("output_shape has the wrong length");
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < r; ++i) {
    int64_t full = win.strides[i] * ((*in)[i] - 1) + outPad[i] +
                   (win.kernel[i] - 1) * win.dilations[i] + 1;
    if (outShape || ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      int64_t target = outShape ? (*outShape)[i] : (*in)[i] * win.strides[i];
      // May be negative (output_shape beyond the full output): then the
      // padding is negative, i.e. extra zero-contribution rows.
      int64_t total = full - target;
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); // floor
      // ONNX: SAME_UPPER puts the larger half at the end; otherwise
      // (SAME_LOWER, or output_shape without auto_pad) at the beginning.
      bool upper = ap == "SAME_UPPER";
      win.padBegin[i] = upper ? half : total - half;
      win.padEnd[i] = total - win.padBegin[i];
    } else if (ap == "VALID") {
      win.padBegin[i] = win.padEnd[i] = 0;
    } else if (ap != "NOTSET" && !ap.empty()) {
      return imp.fail("auto_pad '" + ap + "' is not supported");
    }
    out.push_back(full - win.padBegin[i] - win.padEnd[i]);
  }
  // Upsample by the strides (zeros between the inputs), then pad by
  // d (K - 1) - pad (cropping when negative), then a flipped convolution.
  SymDim n = imp.dimOf(x, 0);
  Value xu = x;
  if (llvm::any_of(win.strides, [](int64_t s) { return s > 1; })) {
    SmallVector<SymDim> dims{n, c};
    SmallVector<OpFoldResult> offs(rank, imp.b.getIndexAttr(0)), sizes,
        strides(rank, imp.b.getIndexAttr(1));
    sizes.push_back(imp.foldResult(n));
    sizes.push_back(imp.b.getIndexAttr(c.coeff));
    for (int64_t i = 0; i < r; ++i) {
      dims.push_back(SymDim::constant(((*in)[i] - 1) * win.strides[i] + 1));
      sizes.push_back(imp.b.getIndexAttr((*in)[i]));
      strides[2 + i] = imp.b.getIndexAttr(win.strides[i]);
    }
    Value z = imp.filled(dims, et, imp.b.getFloatAttr(et, 0.0));
    xu = tensor::InsertSliceOp::create(imp.b, imp.loc, x, z, offs, sizes,
                                       strides);
  }
  SmallVector<int64_t> lo{0, 0}, hi{0, 0}, cropLo(rank, 0), cropHi(rank, 0);
  bool crop = false;
  for (int64_t i = 0; i < r; ++i) {
    int64_t span = (win.kernel[i] - 1) * win.dilations[i];
    int64_t l = span - win.padBegin[i], h = span - win.padEnd[i] + outPad[i];
    lo.push_back(std::max<int64_t>(l, 0));
    hi.push_back(std::max<int64_t>(h, 0));
    cropLo[2 + i] = std::max<int64_t>(-l, 0);
    cropHi[2 + i] = std::max<int64_t>(-h, 0);
    crop |= l < 0 || h < 0;
  }
  Value xp = imp.pad(xu, lo, hi, imp.b.getFloatAttr(et, 0.0));
  if (crop) {
    SmallVector<OpFoldResult> offs, sizes, strides(rank, imp.b.getIndexAttr(1));
    SmallVector<int64_t> shape;
    for (int64_t i = 0; i < rank; ++i) {
      SymDim d = imp.dimOf(xp, i);
      offs.push_back(imp.b.getIndexAttr(cropLo[i]));
      SymDim s = d.isStatic()
                     ? SymDim::constant(d.coeff - cropLo[i] - cropHi[i])
                     : d;
      sizes.push_back(imp.foldResult(s));
      shape.push_back(Importer::staticExtent(s));
    }
    xp = tensor::ExtractSliceOp::create(
        imp.b, imp.loc, RankedTensorType::get(shape, et), xp, offs, sizes,
        strides);
  }
  // The flipped window, as a copy (a map K - 1 - k inside the convolution
  // would leave its loop bounds non-invertible).
  SmallVector<AffineExpr> flip{imp.b.getAffineDimExpr(0),
                               imp.b.getAffineDimExpr(1)};
  for (int64_t i = 0; i < r; ++i)
    flip.push_back((win.kernel[i] - 1) - imp.b.getAffineDimExpr(2 + i));
  Value wf = imp.copyWithMap(w, imp.dimsOf(w),
                             AffineMap::get(rank, 0, flip, &imp.context()));
  Window unit = win;
  unit.strides.assign(r, 1);
  Value y = convGeneric(imp, xp, wf, n, f, fg, cg, out, unit, true);
  Value res;
  if (failed(addChannelBias(imp, y, 2, &res)))
    return failure();
  return imp.setOutput(0, res);
}

LogicalResult pool(Importer &imp, bool isMax) {
  if (imp.hasOutput(1))
    return imp.fail("the Indices output is not supported");
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x), r = rank - 2;
  if (rank < 3)
    return imp.fail("X must have rank >= 3");
  Type et = elementTypeOf(x);
  if (!isa<FloatType>(et))
    return imp.fail("needs a float input");
  FailureOr<SmallVector<int64_t>> in = spatial(imp, x);
  if (failed(in))
    return failure();
  auto ks = imp.attrInts("kernel_shape");
  if (!ks || (int64_t)ks->size() != r)
    return imp.fail("kernel_shape is missing or has the wrong length");
  Window win;
  if (failed(readWindow(imp, r, *ks, win)) ||
      failed(applyAutoPad(imp, *in, win)))
    return failure();
  bool ceilMode = imp.attrInt("ceil_mode", 0);
  bool countPad = imp.attrInt("count_include_pad", 0);
  SmallVector<int64_t> out, extra;
  for (int64_t i = 0; i < r; ++i) {
    int64_t span = (win.kernel[i] - 1) * win.dilations[i] + 1;
    int64_t padded = (*in)[i] + win.padBegin[i] + win.padEnd[i];
    if (padded < span)
      return imp.fail("inconsistent shape: the window is larger than the "
                      "padded input");
    int64_t o = ceilMode ? (padded - span + win.strides[i] - 1) /
                                   win.strides[i] + 1
                         : (padded - span) / win.strides[i] + 1;
    if (ceilMode && (o - 1) * win.strides[i] >= (*in)[i] + win.padBegin[i])
      --o;
    out.push_back(o);
    extra.push_back(
        std::max<int64_t>((o - 1) * win.strides[i] + span - padded, 0));
  }
  double lowest = -std::numeric_limits<double>::infinity();
  SmallVector<int64_t> lo{0, 0}, hi{0, 0};
  for (int64_t i = 0; i < r; ++i) {
    lo.push_back(win.padBegin[i]);
    hi.push_back(win.padEnd[i] + extra[i]);
  }
  Value xp = imp.pad(x, lo, hi, imp.b.getFloatAttr(et, isMax ? lowest : 0.0));
  MLIRContext *ctx = &imp.context();
  int64_t nd = 2 + 2 * r;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> ex{d(0), d(1)}, ew, eo{d(0), d(1)};
  for (int64_t i = 0; i < r; ++i) {
    ex.push_back(d(2 + i) * win.strides[i] + d(2 + r + i) * win.dilations[i]);
    ew.push_back(d(2 + r + i));
    eo.push_back(d(2 + i));
  }
  SmallVector<SymDim> outDims{imp.dimOf(x, 0), imp.dimOf(x, 1)};
  SmallVector<SymDim> kdims;
  for (int64_t i = 0; i < r; ++i) {
    outDims.push_back(SymDim::constant(out[i]));
    kdims.push_back(SymDim::constant(win.kernel[i]));
  }
  Value window = imp.empty(kdims, et);
  Value init = imp.filled(outDims, et,
                          imp.b.getFloatAttr(et, isMax ? lowest : 0.0));
  SmallVector<IT> its(2 + r, IT::parallel);
  its.append(r, IT::reduction);
  Value y = imp.generic(
      {xp, window}, init,
      {AffineMap::get(nd, 0, ex, ctx), AffineMap::get(nd, 0, ew, ctx),
       AffineMap::get(nd, 0, eo, ctx)},
      its, [isMax](OpBuilder &nb, Location l, ValueRange a) {
        return isMax ? Value(arith::MaximumFOp::create(nb, l, a[2], a[0]))
                     : Value(arith::AddFOp::create(nb, l, a[2], a[0]));
      });
  if (!isMax) {
    // Divisors per output position: window elements inside the input (or
    // inside the explicit padding with count_include_pad).
    int64_t total = 1;
    for (int64_t o : out) total *= o;
    std::vector<double> counts(total, 1.0);
    for (int64_t idx = 0; idx < total; ++idx) {
      int64_t rem = idx;
      double cnt = 1;
      for (int64_t i = r - 1; i >= 0; --i) {
        int64_t o = rem % out[i];
        rem /= out[i];
        int64_t lo_ = countPad ? -win.padBegin[i] : 0;
        int64_t hi_ = countPad ? (*in)[i] + win.padEnd[i] : (*in)[i];
        int64_t c = 0;
        for (int64_t k = 0; k < win.kernel[i]; ++k) {
          int64_t p = o * win.strides[i] + k * win.dilations[i] -
                      win.padBegin[i];
          c += p >= lo_ && p < hi_;
        }
        cnt *= c;
      }
      counts[idx] = cnt;
    }
    auto ct = RankedTensorType::get(out, et);
    DenseElementsAttr ca;
    if (et.isF32()) {
      SmallVector<float> v(counts.begin(), counts.end());
      ca = DenseElementsAttr::get(ct, ArrayRef<float>(v));
    } else {
      ca = DenseElementsAttr::get(ct, ArrayRef<double>(counts));
    }
    Value cv = arith::ConstantOp::create(imp.b, imp.loc, ca);
    y = *imp.elementwise({y, cv}, et,
                         [](OpBuilder &nb, Location l, ValueRange a) {
                           return Value(
                               arith::DivFOp::create(nb, l, a[0], a[1]));
                         });
  }
  return imp.setOutput(0, y);
}

LogicalResult globalPool(Importer &imp, bool isMax) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  int64_t rank = rankOf(x);
  Type et = elementTypeOf(x);
  if (rank < 3 || !isa<FloatType>(et))
    return imp.fail("needs a float input of rank >= 3");
  FailureOr<SmallVector<int64_t>> in = spatial(imp, x);
  if (failed(in))
    return failure();
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t i = 2; i < rank; ++i) {
    axes.push_back(i);
    count *= (*in)[i - 2];
  }
  double lowest = -std::numeric_limits<double>::infinity();
  Value y = imp.reduce(x, axes, true, imp.b.getFloatAttr(et, isMax ? lowest : 0),
                       [isMax](OpBuilder &nb, Location l, ValueRange a) {
                         return isMax ? Value(arith::MaximumFOp::create(
                                            nb, l, a[1], a[0]))
                                      : Value(arith::AddFOp::create(nb, l,
                                                                    a[1], a[0]));
                       });
  if (!isMax)
    y = *imp.elementwise({y}, et, [&](OpBuilder &nb, Location l, ValueRange a) {
      Value c = arith::ConstantOp::create(nb, l, nb.getFloatAttr(et, count));
      return Value(arith::DivFOp::create(nb, l, a[0], c));
    });
  return imp.setOutput(0, y);
}

} // namespace

void onnx_import::registerLinearOps(OpTable &t) {
  t["MatMul"] = matmul;
  t["Gemm"] = gemm;
  t["Conv"] = conv;
  t["ConvTranspose"] = convTranspose;
  t["MaxPool"] = [](Importer &i) { return pool(i, true); };
  t["AveragePool"] = [](Importer &i) { return pool(i, false); };
  t["GlobalAveragePool"] = [](Importer &i) { return globalPool(i, false); };
  t["GlobalMaxPool"] = [](Importer &i) { return globalPool(i, true); };
}
