//===- RecurrentOps.cpp - GRU and LSTM, unrolled ---------------------------===//
//
// ONNX GRU (either linear_before_reset) and LSTM (forward direction,
// default activations, layout 0, no sequence_lens) over a static sequence length, unrolled at import:
//   - the input projection of every step at once, one contraction-shaped
//     linalg.generic reading W [1, G*H, I] through (s, b, n, k) -> (0, n, k);
//   - per step, the recurrent projection h_{t-1} R^T as a contraction
//     reading R through (b, n, k) -> (0, n, k) (R is read at every step);
//   - the biases as adds of their own (linear in B, so that the estimator
//     rules can train B): Wb added to the input projection once, Rb to each
//     step's recurrent projection, B [1, 2*G*H] read through a view
//     [1, 2, G*H] at (0, 0, n) and (0, 1, n);
//   - per step, one elementwise generic over [batch, H] that reads the gate
//     slices of both projections and computes the new state (LSTM: a
//     second one for the cell).
// Y [seq, 1, batch, H] is assembled with tensor.insert_slice; Y_h (and
// LSTM's Y_c) are the last states with a leading unit dimension.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;

namespace {

using IT = utils::IteratorType;

Value sigmoid(OpBuilder &nb, Location l, Value x) {
  Type t = x.getType();
  Value one = arith::ConstantOp::create(nb, l, nb.getFloatAttr(t, 1.0));
  Value e = math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, x));
  return arith::DivFOp::create(nb, l, one, arith::AddFOp::create(nb, l, one, e));
}

LogicalResult recurrent(Importer &imp, bool lstm) {
  const unsigned G = lstm ? 4 : 3;
  std::string dir = imp.attrString("direction", "forward");
  if (dir != "forward")
    return imp.fail("direction '" + dir + "' is not supported (only forward)");
  if (imp.attrInt("layout", 0) != 0)
    return imp.fail("layout 1 is not supported");
  if (imp.attr("clip"))
    return imp.fail("clip is not supported");
  if (const auto *a = imp.attr("activations")) {
    SmallVector<std::string> want =
        lstm ? SmallVector<std::string>{"Sigmoid", "Tanh", "Tanh"}
             : SmallVector<std::string>{"Sigmoid", "Tanh"};
    bool ok = a->strings_size() == (int)want.size();
    for (int k = 0; ok && k < a->strings_size(); ++k)
      ok = a->strings(k) == want[k];
    if (!ok)
      return imp.fail("only the default activations are supported");
  }
  if (lstm && imp.attrInt("input_forget", 0))
    return imp.fail("input_forget is not supported");
  if (imp.hasInput(4))
    return imp.fail("sequence_lens is not supported (static sequence length "
                    "only)");
  if (lstm && imp.hasInput(7))
    return imp.fail("peephole weights (P) are not supported");

  bool linearBeforeReset = !lstm && imp.attrInt("linear_before_reset", 0);
  Value x = imp.input(0), w = imp.input(1), r = imp.input(2);
  if (!x || !w || !r)
    return failure();
  Type et = elementTypeOf(x);
  if (!isa<FloatType>(et) || elementTypeOf(w) != et || elementTypeOf(r) != et)
    return imp.fail("X, W and R must have the same float element type");
  if (rankOf(x) != 3 || rankOf(w) != 3 || rankOf(r) != 3)
    return imp.fail("X, W and R must have rank 3");
  SymDim seqD = imp.dimOf(x, 0), batch = imp.dimOf(x, 1), inD = imp.dimOf(x, 2);
  if (!seqD.isStatic())
    return imp.fail("the sequence length must be static");
  int64_t seq = seqD.coeff;
  int64_t H = imp.attrInt("hidden_size", 0);
  auto wt = cast<RankedTensorType>(w.getType());
  auto rt = cast<RankedTensorType>(r.getType());
  if (H <= 0 && !wt.isDynamicDim(1))
    H = wt.getDimSize(1) / G;
  if (H <= 0 || wt.getShape() != ArrayRef<int64_t>{1, G * H, wt.getDimSize(2)} ||
      !inD.isStatic() || wt.getDimSize(2) != inD.coeff ||
      rt.getShape() != ArrayRef<int64_t>{1, G * H, H})
    return imp.fail("inconsistent shapes: W must be [1, " + std::to_string(G) +
                    "*hidden, input] and R [1, " + std::to_string(G) +
                    "*hidden, hidden]");
  Value bias;
  if (imp.hasInput(3)) {
    bias = imp.input(3);
    if (!bias)
      return failure();
    if (cast<RankedTensorType>(bias.getType()).getShape() !=
            ArrayRef<int64_t>{1, 2 * G * H} ||
        elementTypeOf(bias) != et)
      return imp.fail("B must be [1, " + std::to_string(2 * G) + "*hidden]");
  }
  MLIRContext *ctx = &imp.context();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SymDim hD = SymDim::constant(H);
  auto initialState = [&](unsigned idx) -> FailureOr<Value> {
    if (!imp.hasInput(idx))
      return imp.filled({batch, hD}, et, b.getFloatAttr(et, 0.0));
    Value v = imp.input(idx);
    if (!v)
      return failure();
    if (rankOf(v) != 3 || !imp.dimOf(v, 0).isStatic() ||
        imp.dimOf(v, 0).coeff != 1 || !imp.dimOf(v, 2).isStatic() ||
        imp.dimOf(v, 2).coeff != H ||
        elementTypeOf(v) != et) {
      (void)imp.fail("initial states must be [1, batch, hidden]");
      return failure();
    }
    return imp.dropUnitDims(v, {0});
  };
  FailureOr<Value> h0 = initialState(5);
  if (failed(h0))
    return failure();
  Value h = *h0, c;
  if (lstm) {
    FailureOr<Value> c0 = initialState(6);
    if (failed(c0))
      return failure();
    c = *c0;
  }

  auto d = [&](unsigned k) { return getAffineDimExpr(k, ctx); };
  auto zero = getAffineConstantExpr(0, ctx);
  auto macBody = [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::AddFOp::create(nb, l, a[2],
                                 arith::MulFOp::create(nb, l, a[0], a[1]));
  };
  // XW[s, b, n] = sum_k X[s, b, k] W[0, n, k]
  SymDim gh = SymDim::constant(G * H);
  Value xwInit = imp.filled({seqD, batch, gh}, et, b.getFloatAttr(et, 0.0));
  Value xw = imp.generic(
      {x, w}, xwInit,
      {AffineMap::get(4, 0, {d(0), d(1), d(3)}, ctx),
       AffineMap::get(4, 0, {zero, d(2), d(3)}, ctx),
       AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)},
      {IT::parallel, IT::parallel, IT::parallel, IT::reduction}, macBody);

  // The biases are adds of their own, linear in B, so that the estimator
  // rules train B: Wb is added to XW once, Rb to each step's RH (and, for
  // GRU with linear_before_reset = 0, Rb_h to (r * h) R_h^T). B [1, 2*G*H]
  // is read through views [1, 2, G*H] (and [1, 2, G, H]).
  auto addBody = [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::AddFOp::create(nb, l, a[0], a[1]);
  };
  Value bias3, bias4;
  if (bias) {
    bias3 = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1, 2, G * H}, et), bias,
        SmallVector<ReassociationIndices>{{0}, {1, 2}});
    if (!lstm && !linearBeforeReset)
      bias4 = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, 2, G, H}, et), bias,
          SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    bias = Value(); // The gate generics read no bias.
    auto id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
    xw = imp.generic({xw, bias3}, imp.empty({seqD, batch, gh}, et),
                     {id3, AffineMap::get(3, 0, {zero, zero, d(2)}, ctx), id3},
                     {IT::parallel, IT::parallel, IT::parallel}, addBody);
  }
  auto one1 = getAffineConstantExpr(1, ctx);

  Value y = imp.empty({seqD, SymDim::constant(1), batch, hD}, et);
  for (int64_t t = 0; t < seq; ++t) {
    // RH[b, n] = sum_k h[b, k] R[0, n, k]
    Value rhInit = imp.filled({batch, gh}, et, b.getFloatAttr(et, 0.0));
    Value rh = imp.generic(
        {h, r}, rhInit,
        {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
         AffineMap::get(3, 0, {zero, d(1), d(2)}, ctx),
         AffineMap::get(3, 0, {d(0), d(1)}, ctx)},
        {IT::parallel, IT::parallel, IT::reduction}, macBody);
    if (bias3) {
      auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
      rh = imp.generic({rh, bias3}, imp.empty({batch, gh}, et),
                       {id2, AffineMap::get(2, 0, {zero, one1, d(1)}, ctx), id2},
                       {IT::parallel, IT::parallel}, addBody);
    }
    // Inputs of the step: h (and c) first (the loop extents [batch, H] are
    // inferred from the first operands), then the gate rows of XW (G), of
    // RH (G) and of B (2G), read through offset maps.
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    ins.push_back(h);
    maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
    if (lstm) {
      ins.push_back(c);
      maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
    }
    // Static slices (non rank-reducing, then unit dimensions dropped).
    auto slice = [&](Value src, ArrayRef<int64_t> offs, ArrayRef<SymDim> sz) {
      SmallVector<OpFoldResult> o, n, st;
      SmallVector<int64_t> shape;
      for (auto [k, off] : llvm::enumerate(offs)) {
        o.push_back(b.getIndexAttr(off));
        n.push_back(imp.foldResult(sz[k]));
        st.push_back(b.getIndexAttr(1));
        shape.push_back(Importer::staticExtent(sz[k]));
      }
      return Value(tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get(shape, et), src, o, n, st));
    };
    SymDim one = SymDim::constant(1);
    auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    for (unsigned g = 0; g < G; ++g) {
      ins.push_back(imp.dropUnitDims(slice(xw, {t, 0, g * H}, {one, batch, hD}),
                                     {0}));
      maps.push_back(id2);
    }
    for (unsigned g = 0; g < G; ++g) {
      ins.push_back(slice(rh, {0, g * H}, {batch, hD}));
      maps.push_back(id2);
    }
    if (bias)
      for (unsigned g = 0; g < 2 * G; ++g) {
        ins.push_back(slice(bias, {0, g * H}, {one, hD}));
        maps.push_back(AffineMap::get(2, 0, {zero, d(1)}, ctx));
      }
    // GRU with linear_before_reset = 0: the candidate reads (r * h) R_h^T,
    // so r comes first (its own generic) and the contraction reads the h
    // rows of R through (b, n, k) -> (0, n + 2H, k).
    if (!lstm && !linearBeforeReset) {
      unsigned s0 = 1;
      SmallVector<Value> rin = {h, ins[s0 + 1], ins[s0 + G + 1]};
      SmallVector<AffineMap> rmaps = {id2, id2, id2};
      if (bias) {
        rin.push_back(ins[s0 + 2 * G + 1]);
        rin.push_back(ins[s0 + 3 * G + 1]);
        rmaps.push_back(maps[s0 + 2 * G + 1]);
        rmaps.push_back(maps[s0 + 3 * G + 1]);
      }
      rmaps.push_back(id2);
      Value rhProd = imp.generic(
          rin, imp.empty({batch, hD}, et), rmaps, {IT::parallel, IT::parallel},
          [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
            Value v = arith::AddFOp::create(nb, l, a[1], a[2]);
            if (bias) {
              v = arith::AddFOp::create(nb, l, v, a[3]);
              v = arith::AddFOp::create(nb, l, v, a[4]);
            }
            return arith::MulFOp::create(nb, l, sigmoid(nb, l, v), a[0]);
          });
      Value init = imp.filled({batch, hD}, et, b.getFloatAttr(et, 0.0));
      Value rhh = imp.generic(
          {rhProd, r}, init,
          {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
           AffineMap::get(3, 0, {zero, d(1) + 2 * H, d(2)}, ctx),
           AffineMap::get(3, 0, {d(0), d(1)}, ctx)},
          {IT::parallel, IT::parallel, IT::reduction}, macBody);
      if (bias4)
        rhh = imp.generic(
            {rhh, bias4}, imp.empty({batch, hD}, et),
            {id2, AffineMap::get(2, 0, {zero, one1, getAffineConstantExpr(2, ctx), d(1)}, ctx),
             id2},
            {IT::parallel, IT::parallel}, addBody);
      ins.push_back(rhh);
      maps.push_back(id2);
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
    // LSTM computes c_t then h_t: two generics sharing the gate code.
    auto stepBody = [&](bool wantCell) {
      return [&, wantCell](OpBuilder &nb, Location l, ValueRange a) -> Value {
        auto add = [&](Value p, Value q) {
          return Value(arith::AddFOp::create(nb, l, p, q));
        };
        auto mul = [&](Value p, Value q) {
          return Value(arith::MulFOp::create(nb, l, p, q));
        };
        unsigned s0 = lstm ? 2 : 1; // h (and c) come first
        auto xg = [&](unsigned g) { return a[s0 + g]; };
        auto rg = [&](unsigned g) { return a[s0 + G + g]; };
        auto wb = [&](unsigned g) { return bias ? a[s0 + 2 * G + g] : Value(); };
        auto rb = [&](unsigned g) { return bias ? a[s0 + 3 * G + g] : Value(); };
        auto withB = [&](Value v, Value bb) { return bb ? add(v, bb) : v; };
        Value hp = a[0];
        if (!lstm) {
          // gates z, r, h
          Value z = sigmoid(nb, l, withB(withB(add(xg(0), rg(0)), wb(0)), rb(0)));
          Value rr = sigmoid(nb, l, withB(withB(add(xg(1), rg(1)), wb(1)), rb(1)));
          // linear_before_reset: r * (h R_h^T + Rb_h); otherwise
          // (r * h) R_h^T + Rb_h (the last input).
          Value cand =
              linearBeforeReset
                  ? add(withB(xg(2), wb(2)), mul(rr, withB(rg(2), rb(2))))
                  : withB(add(withB(xg(2), wb(2)), a[a.size() - 2]), rb(2));
          Value ht = math::TanhOp::create(nb, l, cand);
          Value one = arith::ConstantOp::create(nb, l, nb.getFloatAttr(et, 1.0));
          return add(mul(arith::SubFOp::create(nb, l, one, z), ht), mul(z, hp));
        }
        // gates i, o, f, c
        Value cp = a[1];
        auto gate = [&](unsigned g) {
          return withB(withB(add(xg(g), rg(g)), wb(g)), rb(g));
        };
        Value i = sigmoid(nb, l, gate(0));
        Value o = sigmoid(nb, l, gate(1));
        Value f = sigmoid(nb, l, gate(2));
        Value cc = math::TanhOp::create(nb, l, gate(3));
        Value ct = add(mul(f, cp), mul(i, cc));
        if (wantCell)
          return ct;
        return mul(o, math::TanhOp::create(nb, l, ct));
      };
    };
    SmallVector<IT> par(2, IT::parallel);
    Value hNew = imp.generic(ins, imp.empty({batch, hD}, et), maps, par,
                             stepBody(false));
    if (lstm)
      c = imp.generic(ins, imp.empty({batch, hD}, et), maps, par,
                      stepBody(true));
    h = hNew;
    // Y[t, 0] = h
    SmallVector<OpFoldResult> offs = {b.getIndexAttr(t), b.getIndexAttr(0),
                                      b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                       imp.foldResult(batch),
                                       b.getIndexAttr(H)};
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    y = tensor::InsertSliceOp::create(b, loc, imp.insertUnitDims(h, {0, 1}), y,
                                      offs, sizes, strides);
  }
  if (failed(imp.setOutput(0, y)) ||
      failed(imp.setOutput(1, imp.insertUnitDims(h, {0}))))
    return failure();
  if (lstm && failed(imp.setOutput(2, imp.insertUnitDims(c, {0}))))
    return failure();
  return success();
}

LogicalResult gru(Importer &imp) { return recurrent(imp, false); }

} // namespace

void onnx_import::registerRecurrentOps(OpTable &t) {
  t["GRU"] = gru;
  t["LSTM"] = [](Importer &i) { return recurrent(i, true); };
}
