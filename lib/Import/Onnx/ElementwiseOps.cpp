//===- ElementwiseOps.cpp - arithmetic and activations --------------------===//
//
// Numpy-broadcast binary ops, unary activations, Clip, Where, Cast,
// Identity and Dropout (as identity). Integer inputs with known contents
// (shape arithmetic) are folded symbolically instead of emitting IR.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <cmath>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;

namespace {

enum class Bin { Add, Sub, Mul, Div, Pow };

/// Folds integer shape arithmetic on known i64 contents; true if done.
bool foldSymbolic(Importer &imp, Bin kind, LogicalResult &result) {
  bool sa = false, sc = false;
  auto a = imp.symbolicInput(0, &sa), c = imp.symbolicInput(1, &sc);
  if (!a || !c || kind == Bin::Pow)
    return false;
  size_t n = std::max(a->size(), c->size());
  if ((a->size() != n && a->size() != 1) || (c->size() != n && c->size() != 1))
    return false;
  SmallVector<SymDim> out;
  for (size_t i = 0; i < n; ++i) {
    const SymDim &x = (*a)[a->size() == 1 ? 0 : i];
    const SymDim &y = (*c)[c->size() == 1 ? 0 : i];
    switch (kind) {
    case Bin::Mul:
      out.push_back(mulDims(x, y));
      break;
    case Bin::Div: {
      if (x.isStatic() && y.isStatic()) {
        if (y.coeff == 0)
          return false;
        out.push_back(SymDim::constant(x.coeff / y.coeff)); // truncates
        break;
      }
      std::optional<SymDim> q = divDims(x, y);
      if (!q)
        return false;
      out.push_back(*q);
      break;
    }
    case Bin::Add: case Bin::Sub:
      if (!x.isStatic() || !y.isStatic())
        return false;
      out.push_back(SymDim::constant(kind == Bin::Add ? x.coeff + y.coeff
                                                      : x.coeff - y.coeff));
      break;
    default:
      return false;
    }
  }
  imp.setSymbolicOutput(0, out, sa && sc);
  result = success();
  return true;
}

LogicalResult binary(Importer &imp, Bin kind) {
  LogicalResult folded = failure();
  if (foldSymbolic(imp, kind, folded))
    return folded;
  Value x = imp.input(0), y = imp.input(1);
  if (!x || !y)
    return failure();
  Type et = elementTypeOf(x);
  if (kind == Bin::Pow) {
    if (!isa<FloatType>(et))
      return imp.fail("integer Pow is not supported");
    y = imp.convert(y, et);
  } else if (et != elementTypeOf(y)) {
    return imp.fail("operand element types differ");
  }
  bool f = isa<FloatType>(et);
  if (!f && (et.isInteger(1)))
    return imp.fail("arithmetic on bool tensors is not supported");
  FailureOr<Value> r = imp.elementwise(
      {x, y}, et, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        switch (kind) {
        case Bin::Add:
          return f ? Value(arith::AddFOp::create(nb, l, a[0], a[1]))
                   : Value(arith::AddIOp::create(nb, l, a[0], a[1]));
        case Bin::Sub:
          return f ? Value(arith::SubFOp::create(nb, l, a[0], a[1]))
                   : Value(arith::SubIOp::create(nb, l, a[0], a[1]));
        case Bin::Mul:
          return f ? Value(arith::MulFOp::create(nb, l, a[0], a[1]))
                   : Value(arith::MulIOp::create(nb, l, a[0], a[1]));
        case Bin::Div:
          return f ? Value(arith::DivFOp::create(nb, l, a[0], a[1]))
                   : Value(arith::DivSIOp::create(nb, l, a[0], a[1]));
        case Bin::Pow:
          return math::PowFOp::create(nb, l, a[0], a[1]);
        }
        return Value();
      });
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r);
}

using UnaryFn = std::function<Value(OpBuilder &, Location, Value, Type)>;

LogicalResult unary(Importer &imp, bool floatOnly, const UnaryFn &fn) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  Type et = elementTypeOf(x);
  if (floatOnly && !isa<FloatType>(et))
    return imp.fail("needs a float input");
  FailureOr<Value> r = imp.elementwise(
      {x}, et, [&](OpBuilder &nb, Location l, ValueRange a) {
        return fn(nb, l, a[0], et);
      });
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r);
}

Value fconst(OpBuilder &nb, Location l, Type t, double v) {
  return arith::ConstantOp::create(nb, l, nb.getFloatAttr(t, v));
}

/// erf in arith/math ops the CPU pipeline lowers (math.erf has no LLVM
/// lowering there): the Maclaurin series up to x^11 for |x| < 0.5 (relative
/// error < 1e-7), Abramowitz-Stegun 7.1.26 otherwise (absolute error
/// < 1.5e-7), computed in f64 for f32 inputs.
Value erfApprox(OpBuilder &nb, Location l, Value x0, Type t) {
  Type f64 = nb.getF64Type();
  Value x = t.isF64() ? x0 : Value(arith::ExtFOp::create(nb, l, f64, x0));
  auto c = [&](double v) { return fconst(nb, l, f64, v); };
  auto mul = [&](Value a, Value b) { return Value(arith::MulFOp::create(nb, l, a, b)); };
  auto add = [&](Value a, Value b) { return Value(arith::AddFOp::create(nb, l, a, b)); };
  Value ax = math::AbsFOp::create(nb, l, x);
  Value x2 = mul(x, x);
  // 2/sqrt(pi) * x * (1 - x^2/3 + x^4/10 - x^6/42 + x^8/216 - x^10/1320)
  Value p = c(-1.0 / 1320);
  for (double k : {1.0 / 216, -1.0 / 42, 1.0 / 10, -1.0 / 3, 1.0})
    p = add(mul(p, x2), c(k));
  Value small = mul(mul(p, x), c(1.1283791670955126));
  Value tt = arith::DivFOp::create(nb, l, c(1.0), add(c(1.0), mul(c(0.3275911), ax)));
  Value q = c(1.061405429);
  for (double k : {-1.453152027, 1.421413741, -0.284496736, 0.254829592})
    q = add(mul(q, tt), c(k));
  q = mul(q, tt);
  Value e = math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, x2));
  Value big = arith::SubFOp::create(nb, l, c(1.0), mul(q, e));
  big = math::CopySignOp::create(nb, l, big, x);
  Value isSmall = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT, ax, c(0.5));
  Value r = arith::SelectOp::create(nb, l, isSmall, small, big);
  return t.isF64() ? r : Value(arith::TruncFOp::create(nb, l, t, r));
}

Value erfGelu(OpBuilder &nb, Location l, Value x, Type t) {
  Value s = arith::MulFOp::create(nb, l, x, fconst(nb, l, t, M_SQRT1_2));
  Value e = erfApprox(nb, l, s, t);
  Value one = arith::AddFOp::create(nb, l, e, fconst(nb, l, t, 1.0));
  Value h = arith::MulFOp::create(nb, l, x, fconst(nb, l, t, 0.5));
  return arith::MulFOp::create(nb, l, h, one);
}

Value tanhGelu(OpBuilder &nb, Location l, Value x, Type t) {
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  Value x3 = arith::MulFOp::create(
      nb, l, arith::MulFOp::create(nb, l, x, x), x);
  Value in = arith::AddFOp::create(
      nb, l, x, arith::MulFOp::create(nb, l, x3, fconst(nb, l, t, 0.044715)));
  Value th = math::TanhOp::create(
      nb, l, arith::MulFOp::create(nb, l, in,
                                   fconst(nb, l, t, std::sqrt(2.0 / M_PI))));
  Value one = arith::AddFOp::create(nb, l, th, fconst(nb, l, t, 1.0));
  Value h = arith::MulFOp::create(nb, l, x, fconst(nb, l, t, 0.5));
  return arith::MulFOp::create(nb, l, h, one);
}

LogicalResult identity(Importer &imp) {
  if (DenseElementsAttr c = imp.constantInput(0)) {
    imp.setConstantOutput(0, c);
    return success();
  }
  bool scalar = false;
  if (auto s = imp.symbolicInput(0, &scalar)) {
    imp.setSymbolicOutput(0, *s, scalar);
    return success();
  }
  Value x = imp.input(0);
  if (!x)
    return failure();
  return imp.setOutput(0, x);
}

LogicalResult clip(Importer &imp) {
  Value x = imp.input(0);
  if (!x)
    return failure();
  Type et = elementTypeOf(x);
  bool f = isa<FloatType>(et);
  Value lo, hi;
  if (imp.opset < 11) {
    if (imp.attr("min"))
      lo = imp.constantScalar(et, imp.attrFloat("min", 0));
    if (imp.attr("max"))
      hi = imp.constantScalar(et, imp.attrFloat("max", 0));
  } else {
    auto scalar = [&](unsigned i) -> Value {
      if (!imp.hasInput(i))
        return Value();
      Value t = imp.input(i);
      if (!t)
        return Value();
      if (rankOf(t) != 0) {
        (void)imp.fail("min/max must be scalars");
        return Value();
      }
      return tensor::ExtractOp::create(imp.b, imp.loc, t, ValueRange{});
    };
    lo = scalar(1);
    hi = scalar(2);
    if ((imp.hasInput(1) && !lo) || (imp.hasInput(2) && !hi))
      return failure();
  }
  FailureOr<Value> r = imp.elementwise(
      {x}, et, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value v = a[0];
        if (lo)
          v = f ? Value(arith::MaximumFOp::create(nb, l, v, lo))
                : Value(arith::MaxSIOp::create(nb, l, v, lo));
        if (hi)
          v = f ? Value(arith::MinimumFOp::create(nb, l, v, hi))
                : Value(arith::MinSIOp::create(nb, l, v, hi));
        return v;
      });
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r);
}

LogicalResult where(Importer &imp) {
  Value c = imp.input(0), x = imp.input(1), y = imp.input(2);
  if (!c || !x || !y)
    return failure();
  if (!elementTypeOf(c).isInteger(1))
    return imp.fail("the condition must be bool");
  if (elementTypeOf(x) != elementTypeOf(y))
    return imp.fail("X and Y element types differ");
  FailureOr<Value> r = imp.elementwise(
      {c, x, y}, elementTypeOf(x),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return Value(arith::SelectOp::create(nb, l, a[0], a[1], a[2]));
      });
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r);
}

LogicalResult castOp(Importer &imp) {
  int64_t to = imp.attrInt("to", 0);
  Type et = imp.elementType(to);
  if (!et)
    return imp.fail("cast to ONNX type " + std::to_string(to) +
                    " is not supported");
  bool scalar = false;
  if (et.isInteger(64))
    if (auto s = imp.symbolicInput(0, &scalar)) {
      imp.setSymbolicOutput(0, *s, scalar);
      return success();
    }
  Value x = imp.input(0);
  if (!x)
    return failure();
  return imp.setOutput(0, imp.convert(x, et));
}

LogicalResult dropout(Importer &imp) {
  if (imp.hasInput(2)) {
    DenseElementsAttr t = imp.constantInput(2);
    // Training mode with a known ratio of 0 drops nothing (torchvision's
    // Swin passes training=True to its attention dropout of p = 0).
    DenseElementsAttr ratio = imp.constantInput(1);
    bool zeroRatio = ratio && isa<FloatType>(ratio.getElementType()) &&
                     ratio.getNumElements() == 1 &&
                     (*ratio.getValues<APFloat>().begin()).isZero();
    if (!t || (t.getSplatValue<bool>() && !zeroRatio))
      return imp.fail("training_mode must be a constant false (inference), "
                      "or the ratio a constant 0");
  }
  Value x = imp.input(0);
  if (!x)
    return failure();
  if (failed(imp.setOutput(0, x)))
    return failure();
  if (imp.hasOutput(1)) {
    Value m = imp.filled(imp.dimsOf(x), imp.b.getI1Type(),
                         imp.b.getBoolAttr(true));
    return imp.setOutput(1, m);
  }
  return success();
}

/// Comparisons (Equal, Less, ...) and logic (And, Or, Xor, Not) on
/// runtime tensors; bool results. (Known values are folded before.)
enum class Cmp { Eq, Lt, Gt, Le, Ge, And, Or, Xor, Not };

LogicalResult compare(Importer &imp, Cmp kind) {
  bool logic = kind == Cmp::And || kind == Cmp::Or || kind == Cmp::Xor ||
               kind == Cmp::Not;
  SmallVector<Value> xs;
  for (unsigned k = 0; k < (kind == Cmp::Not ? 1u : 2u); ++k) {
    Value v = imp.input(k);
    if (!v)
      return failure();
    xs.push_back(v);
  }
  Type et = elementTypeOf(xs[0]);
  if (logic && !et.isInteger(1))
    return imp.fail("needs bool inputs");
  if (xs.size() == 2 && et != elementTypeOf(xs[1]))
    return imp.fail("operand element types differ");
  bool f = isa<FloatType>(et);
  FailureOr<Value> r = imp.elementwise(
      xs, imp.b.getI1Type(), [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        switch (kind) {
        case Cmp::And: return arith::AndIOp::create(nb, l, a[0], a[1]);
        case Cmp::Or: return arith::OrIOp::create(nb, l, a[0], a[1]);
        case Cmp::Xor: return arith::XOrIOp::create(nb, l, a[0], a[1]);
        case Cmp::Not: {
          Value t = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
          return arith::XOrIOp::create(nb, l, a[0], t);
        }
        default: break;
        }
        if (f) {
          arith::CmpFPredicate p =
              kind == Cmp::Eq ? arith::CmpFPredicate::OEQ
              : kind == Cmp::Lt ? arith::CmpFPredicate::OLT
              : kind == Cmp::Gt ? arith::CmpFPredicate::OGT
              : kind == Cmp::Le ? arith::CmpFPredicate::OLE
                                : arith::CmpFPredicate::OGE;
          return arith::CmpFOp::create(nb, l, p, a[0], a[1]);
        }
        arith::CmpIPredicate p =
            kind == Cmp::Eq ? arith::CmpIPredicate::eq
            : kind == Cmp::Lt ? arith::CmpIPredicate::slt
            : kind == Cmp::Gt ? arith::CmpIPredicate::sgt
            : kind == Cmp::Le ? arith::CmpIPredicate::sle
                              : arith::CmpIPredicate::sge;
        return arith::CmpIOp::create(nb, l, p, a[0], a[1]);
      });
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r);
}

/// HardSigmoid: max(0, min(1, alpha x + beta)); HardSwish: x HardSigmoid(x)
/// with alpha = 1/6, beta = 1/2.
LogicalResult hardSigmoid(Importer &imp, bool swish) {
  double alpha = swish ? 1.0 / 6 : imp.attrFloat("alpha", 0.2f);
  double beta = swish ? 0.5 : imp.attrFloat("beta", 0.5f);
  return unary(imp, true, [&](OpBuilder &nb, Location l, Value x, Type t) {
    Value y = arith::AddFOp::create(
        nb, l, arith::MulFOp::create(nb, l, x, fconst(nb, l, t, alpha)),
        fconst(nb, l, t, beta));
    y = arith::MinimumFOp::create(nb, l, y, fconst(nb, l, t, 1.0));
    y = arith::MaximumFOp::create(nb, l, y, fconst(nb, l, t, 0.0));
    return swish ? Value(arith::MulFOp::create(nb, l, x, y)) : y;
  });
}

} // namespace

void onnx_import::registerElementwiseOps(OpTable &t) {
  t["Add"] = [](Importer &i) { return binary(i, Bin::Add); };
  t["Sub"] = [](Importer &i) { return binary(i, Bin::Sub); };
  t["Mul"] = [](Importer &i) { return binary(i, Bin::Mul); };
  t["Div"] = [](Importer &i) { return binary(i, Bin::Div); };
  t["Pow"] = [](Importer &i) { return binary(i, Bin::Pow); };
  t["Neg"] = [](Importer &i) {
    return unary(i, false, [](OpBuilder &nb, Location l, Value x, Type t) {
      if (isa<FloatType>(t))
        return Value(arith::NegFOp::create(nb, l, x));
      Value z = arith::ConstantOp::create(nb, l, nb.getIntegerAttr(t, 0));
      return Value(arith::SubIOp::create(nb, l, z, x));
    });
  };
  t["Abs"] = [](Importer &i) {
    return unary(i, false, [](OpBuilder &nb, Location l, Value x, Type t) {
      if (isa<FloatType>(t))
        return Value(math::AbsFOp::create(nb, l, x));
      return Value(math::AbsIOp::create(nb, l, x));
    });
  };
  t["Relu"] = [](Importer &i) {
    return unary(i, false, [](OpBuilder &nb, Location l, Value x, Type t) {
      if (isa<FloatType>(t))
        return Value(arith::MaximumFOp::create(nb, l, x, fconst(nb, l, t, 0)));
      Value z = arith::ConstantOp::create(nb, l, nb.getIntegerAttr(t, 0));
      return Value(arith::MaxSIOp::create(nb, l, x, z));
    });
  };
  t["LeakyRelu"] = [](Importer &i) {
    double alpha = i.attrFloat("alpha", 0.01f);
    return unary(i, true, [alpha](OpBuilder &nb, Location l, Value x, Type t) {
      Value z = fconst(nb, l, t, 0);
      Value neg = arith::MulFOp::create(nb, l, x, fconst(nb, l, t, alpha));
      Value pos = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE, x, z);
      return Value(arith::SelectOp::create(nb, l, pos, x, neg));
    });
  };
  t["Sigmoid"] = [](Importer &i) {
    return unary(i, true, [](OpBuilder &nb, Location l, Value x, Type t) {
      Value e = math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, x));
      Value d = arith::AddFOp::create(nb, l, e, fconst(nb, l, t, 1));
      return Value(arith::DivFOp::create(nb, l, fconst(nb, l, t, 1), d));
    });
  };
  auto mathUnary = [&t](StringRef name, auto tag) {
    using OpTy = decltype(tag);
    t[name] = [](Importer &i) {
      return unary(i, true, [](OpBuilder &nb, Location l, Value x, Type) {
        return Value(OpTy::create(nb, l, x));
      });
    };
  };
  mathUnary("Tanh", math::TanhOp());
  mathUnary("Sqrt", math::SqrtOp());
  mathUnary("Exp", math::ExpOp());
  mathUnary("Log", math::LogOp());
  mathUnary("Floor", math::FloorOp());
  mathUnary("Ceil", math::CeilOp());
  t["Erf"] = [](Importer &i) {
    return unary(i, true, [](OpBuilder &nb, Location l, Value x, Type t) {
      return erfApprox(nb, l, x, t);
    });
  };
  t["Reciprocal"] = [](Importer &i) {
    return unary(i, true, [](OpBuilder &nb, Location l, Value x, Type t) {
      return Value(arith::DivFOp::create(nb, l, fconst(nb, l, t, 1), x));
    });
  };
  t["Gelu"] = [](Importer &i) {
    std::string approx = i.attrString("approximate", "none");
    if (approx != "none" && approx != "tanh")
      return i.fail("approximate='" + approx + "' is not supported");
    return unary(i, true, approx == "tanh" ? UnaryFn(tanhGelu)
                                           : UnaryFn(erfGelu));
  };
  t["Clip"] = clip;
  t["Where"] = where;
  t["Cast"] = castOp;
  t["Identity"] = identity;
  t["Dropout"] = dropout;
  t["HardSigmoid"] = [](Importer &i) { return hardSigmoid(i, false); };
  t["HardSwish"] = [](Importer &i) { return hardSigmoid(i, true); };
  t["Equal"] = [](Importer &i) { return compare(i, Cmp::Eq); };
  t["Less"] = [](Importer &i) { return compare(i, Cmp::Lt); };
  t["Greater"] = [](Importer &i) { return compare(i, Cmp::Gt); };
  t["LessOrEqual"] = [](Importer &i) { return compare(i, Cmp::Le); };
  t["GreaterOrEqual"] = [](Importer &i) { return compare(i, Cmp::Ge); };
  t["And"] = [](Importer &i) { return compare(i, Cmp::And); };
  t["Or"] = [](Importer &i) { return compare(i, Cmp::Or); };
  t["Xor"] = [](Importer &i) { return compare(i, Cmp::Xor); };
  t["Not"] = [](Importer &i) { return compare(i, Cmp::Not); };
}
