//===- ConstantFold.cpp - evaluate nodes on known values at import --------===//
//
// A node whose inputs are all known constants (Constant nodes, inline
// initializers, folded shape computations) is evaluated here and its
// outputs become constants, so that shape-only subgraphs (Range, Equal,
// Where, ConstantOfShape, ScatterND, Mod, ...: the attention-mask and
// padding computations of Swin, the expand shape of ViT's class token)
// never reach the IR and the ops that need known shapes, pads or axes get
// them. Small symbolic vectors (a dynamic batch extent) go through Equal,
// Where and Reshape as symbolic vectors.
//
// Values are held as int64 (integers, bool) or double (floats) and rounded
// to the element type when stored; only results up to kMaxFoldElements
// elements are folded (larger nodes are converted to IR as usual).
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <cmath>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;

namespace {

constexpr int64_t kMaxFoldElements = 1 << 20;

struct Arr {
  SmallVector<int64_t> shape;
  Type et;
  std::vector<int64_t> i; // integers and bool
  std::vector<double> f;  // floats
  bool isF() const { return isa<FloatType>(et); }
  int64_t size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  double getF(int64_t k) const { return isF() ? f[k] : double(i[k]); }
  int64_t getI(int64_t k) const { return isF() ? int64_t(f[k]) : i[k]; }
  void resize(int64_t n) {
    if (isF()) f.assign(n, 0.0);
    else i.assign(n, 0);
  }
};

Arr fromAttr(DenseElementsAttr a) {
  Arr r;
  auto t = cast<ShapedType>(a.getType());
  r.shape.assign(t.getShape().begin(), t.getShape().end());
  r.et = t.getElementType();
  if (r.isF()) {
    for (APFloat v : a.getValues<APFloat>())
      r.f.push_back(v.convertToDouble());
  } else if (r.et.isInteger(1)) {
    for (bool v : a.getValues<bool>())
      r.i.push_back(v);
  } else {
    for (APInt v : a.getValues<APInt>())
      r.i.push_back(v.getSExtValue());
  }
  return r;
}

DenseElementsAttr toAttr(const Arr &r) {
  auto type = RankedTensorType::get(r.shape, r.et);
  if (r.et.isF32()) {
    SmallVector<float> v(r.f.begin(), r.f.end());
    return DenseElementsAttr::get(type, ArrayRef<float>(v));
  }
  if (r.et.isF64())
    return DenseElementsAttr::get(type, ArrayRef<double>(r.f));
  if (r.et.isInteger(1)) {
    SmallVector<bool> v;
    for (int64_t x : r.i) v.push_back(x != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(v));
  }
  unsigned w = r.et.getIntOrFloatBitWidth();
  SmallVector<APInt> v;
  for (int64_t x : r.i) v.push_back(APInt(w, uint64_t(x), /*isSigned=*/true,
                                          /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, v);
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// Numpy broadcast of shapes; nullopt when incompatible.
std::optional<SmallVector<int64_t>> broadcast(ArrayRef<const Arr *> in) {
  size_t r = 0;
  for (const Arr *a : in) r = std::max(r, a->shape.size());
  SmallVector<int64_t> out(r, 1);
  for (const Arr *a : in)
    for (size_t k = 0; k < a->shape.size(); ++k) {
      int64_t &o = out[r - a->shape.size() + k];
      int64_t d = a->shape[k];
      if (d == o || d == 1) continue;
      if (o != 1) return std::nullopt;
      o = d;
    }
  return out;
}

/// Flat index into `a` of the output element at multi-index `idx` (numpy
/// broadcast).
int64_t bcastIndex(const Arr &a, ArrayRef<int64_t> idx) {
  size_t off = idx.size() - a.shape.size();
  int64_t k = 0;
  for (size_t d = 0; d < a.shape.size(); ++d)
    k = k * a.shape[d] + (a.shape[d] == 1 ? 0 : idx[off + d]);
  return k;
}

void unflatten(int64_t k, ArrayRef<int64_t> shape, SmallVectorImpl<int64_t> &idx) {
  idx.assign(shape.size(), 0);
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    idx[d] = shape[d] ? k % shape[d] : 0;
    k = shape[d] ? k / shape[d] : 0;
  }
}

int64_t floorMod(int64_t a, int64_t b) {
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

/// Outcome of folding: not applicable, folded, or an error (already
/// reported through imp.fail).
enum class Fold { No, Done, Error };

struct Folder {
  Importer &imp;
  SmallVector<Arr> in;
  SmallVector<bool> present;

  Fold fail(const Twine &msg) {
    (void)imp.fail(msg);
    return Fold::Error;
  }
  Fold out(unsigned k, Arr r) {
    if (r.size() > kMaxFoldElements)
      return Fold::No;
    imp.setConstantOutput(k, toAttr(r));
    return Fold::Done;
  }
  std::optional<SmallVector<int64_t>> ints(unsigned k) {
    if (k >= in.size() || !present[k])
      return std::nullopt;
    SmallVector<int64_t> v;
    for (int64_t j = 0; j < in[k].size(); ++j) v.push_back(in[k].getI(j));
    return v;
  }

  Fold elementwise(StringRef op);
  Fold run(StringRef op);
};

Fold Folder::elementwise(StringRef op) {
  SmallVector<const Arr *> args;
  for (const Arr &a : in) args.push_back(&a);
  auto shape = broadcast(args);
  if (!shape)
    return fail("inconsistent shapes: the operands do not broadcast");
  bool cmp = op == "Equal" || op == "Less" || op == "Greater" ||
             op == "LessOrEqual" || op == "GreaterOrEqual";
  bool logic = op == "And" || op == "Or" || op == "Xor" || op == "Not";
  Arr r;
  r.shape = *shape;
  if (op == "Where")
    r.et = in[1].et;
  else if (cmp || logic)
    r.et = imp.b.getI1Type();
  else
    r.et = in[0].et;
  if (op == "Where" && in[1].et != in[2].et)
    return fail("X and Y element types differ");
  if (!cmp && !logic && op != "Where" && in.size() == 2 &&
      in[0].et != in[1].et && op != "Pow")
    return fail("operand element types differ");
  int64_t n = r.size();
  r.resize(n);
  bool fl = in[0].isF() || (op == "Where" && in[1].isF());
  SmallVector<int64_t> idx;
  for (int64_t k = 0; k < n; ++k) {
    unflatten(k, r.shape, idx);
    auto F = [&](unsigned a) { return in[a].getF(bcastIndex(in[a], idx)); };
    auto I = [&](unsigned a) { return in[a].getI(bcastIndex(in[a], idx)); };
    if (op == "Where") {
      bool c = I(0) != 0;
      if (fl) r.f[k] = c ? F(1) : F(2);
      else r.i[k] = c ? I(1) : I(2);
      continue;
    }
    if (cmp) {
      bool v;
      if (fl) {
        double a = F(0), b = F(1);
        v = op == "Equal" ? a == b : op == "Less" ? a < b : op == "Greater" ? a > b
            : op == "LessOrEqual" ? a <= b : a >= b;
      } else {
        int64_t a = I(0), b = I(1);
        v = op == "Equal" ? a == b : op == "Less" ? a < b : op == "Greater" ? a > b
            : op == "LessOrEqual" ? a <= b : a >= b;
      }
      r.i[k] = v;
      continue;
    }
    if (logic) {
      bool a = I(0) != 0, b = op == "Not" ? false : I(1) != 0;
      r.i[k] = op == "Not" ? !a : op == "And" ? (a && b) : op == "Or" ? (a || b)
               : (a != b);
      continue;
    }
    if (fl) {
      double a = F(0), b = in.size() > 1 ? F(1) : 0.0, v = 0;
      if (op == "Add") v = a + b;
      else if (op == "Sub") v = a - b;
      else if (op == "Mul") v = a * b;
      else if (op == "Div") v = a / b;
      else if (op == "Pow") v = std::pow(a, b);
      else if (op == "Mod") v = imp.attrInt("fmod", 0) ? std::fmod(a, b)
                                : a - b * std::floor(a / b);
      else if (op == "Max") v = std::max(a, b);
      else if (op == "Min") v = std::min(a, b);
      else if (op == "Neg") v = -a;
      else if (op == "Abs") v = std::fabs(a);
      else if (op == "Sqrt") v = std::sqrt(a);
      else if (op == "Floor") v = std::floor(a);
      else if (op == "Ceil") v = std::ceil(a);
      else if (op == "Reciprocal") v = 1.0 / a;
      else if (op == "Exp") v = std::exp(a);
      else if (op == "Log") v = std::log(a);
      r.f[k] = r.et.isF32() ? double(float(v)) : v;
    } else {
      int64_t a = I(0), b = in.size() > 1 ? I(1) : 0, v = 0;
      if ((op == "Div" || op == "Mod") && b == 0)
        return fail("integer division by zero");
      if (op == "Add") v = a + b;
      else if (op == "Sub") v = a - b;
      else if (op == "Mul") v = a * b;
      else if (op == "Div") v = a / b;
      else if (op == "Mod") v = imp.attrInt("fmod", 0) ? a % b : floorMod(a, b);
      else if (op == "Max") v = std::max(a, b);
      else if (op == "Min") v = std::min(a, b);
      else if (op == "Neg") v = -a;
      else if (op == "Abs") v = a < 0 ? -a : a;
      else return Fold::No;
      r.i[k] = v;
    }
  }
  return out(0, std::move(r));
}

Fold Folder::run(StringRef op) {
  static const llvm::StringSet<> ew = {
      "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Neg", "Abs",
      "Sqrt", "Floor", "Ceil", "Reciprocal", "Exp", "Log", "Equal", "Less",
      "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not",
      "Where"};
  if (ew.contains(op)) {
    if ((op == "Max" || op == "Min") && in.size() != 2)
      return Fold::No;
    return elementwise(op);
  }
  const Arr &x = in[0];
  if (op == "Identity")
    return out(0, x);
  if (op == "Cast") {
    Type to = imp.elementType(imp.attrInt("to", 0));
    if (!to)
      return Fold::No;
    Arr r;
    r.shape = x.shape;
    r.et = to;
    r.resize(x.size());
    for (int64_t k = 0; k < x.size(); ++k) {
      if (r.isF()) r.f[k] = to.isF32() ? double(float(x.getF(k))) : x.getF(k);
      else if (to.isInteger(1)) r.i[k] = x.getF(k) != 0;
      else r.i[k] = x.isF() ? int64_t(std::trunc(x.f[k])) : x.i[k];
    }
    return out(0, std::move(r));
  }
  if (op == "Shape") {
    int64_t rank = x.shape.size();
    int64_t s = imp.attrInt("start", 0), e = imp.attrInt("end", rank);
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    s = std::clamp<int64_t>(s, 0, rank);
    e = std::clamp<int64_t>(e, 0, rank);
    Arr r;
    r.et = imp.b.getI64Type();
    for (int64_t d = s; d < e; ++d) r.i.push_back(x.shape[d]);
    r.shape = {(int64_t)r.i.size()};
    return out(0, std::move(r));
  }
  if (op == "Range") {
    if (x.size() != 1 || in[1].size() != 1 || in[2].size() != 1)
      return fail("start, limit and delta must be scalars");
    Arr r;
    r.et = x.et;
    if (x.isF()) {
      double s = x.f[0], l = in[1].getF(0), d = in[2].getF(0);
      if (d == 0) return fail("delta is zero");
      int64_t n = std::max<int64_t>(0, (int64_t)std::ceil((l - s) / d));
      if (n > kMaxFoldElements) return Fold::No;
      for (int64_t k = 0; k < n; ++k) r.f.push_back(s + k * d);
    } else {
      int64_t s = x.i[0], l = in[1].getI(0), d = in[2].getI(0);
      if (d == 0) return fail("delta is zero");
      int64_t n = std::max<int64_t>(
          0, (l - s) / d + (((l - s) % d) != 0 && ((l - s) > 0) == (d > 0)));
      if (n > kMaxFoldElements) return Fold::No;
      for (int64_t k = 0; k < n; ++k) r.i.push_back(s + k * d);
    }
    r.shape = {(int64_t)(r.isF() ? r.f.size() : r.i.size())};
    return out(0, std::move(r));
  }
  if (op == "Expand") {
    auto s = ints(1);
    if (!s) return Fold::No;
    Arr target;
    target.shape.assign(s->begin(), s->end());
    for (int64_t d : target.shape)
      if (d < 0) return fail("the shape has a negative extent");
    auto shape = broadcast({&x, &target});
    if (!shape)
      return fail("inconsistent shapes: cannot expand");
    Arr r;
    r.shape = *shape;
    r.et = x.et;
    r.resize(r.size());
    SmallVector<int64_t> idx;
    for (int64_t k = 0; k < r.size(); ++k) {
      unflatten(k, r.shape, idx);
      int64_t j = bcastIndex(x, idx);
      if (r.isF()) r.f[k] = x.f[j];
      else r.i[k] = x.i[j];
    }
    return out(0, std::move(r));
  }
  if (op == "Reshape" || op == "Flatten" || op == "Unsqueeze" ||
      op == "Squeeze") {
    Arr r = x;
    int64_t rank = x.shape.size();
    if (op == "Reshape") {
      auto s = ints(1);
      if (!s) return Fold::No;
      bool allowZero = imp.attrInt("allowzero", 0);
      int64_t known = 1, infer = -1;
      r.shape.clear();
      for (auto [k, d] : llvm::enumerate(*s)) {
        if (d == 0 && !allowZero) {
          if ((int64_t)k >= rank) return fail("0 copies a missing dimension");
          d = x.shape[k];
        }
        if (d == -1) {
          if (infer >= 0) return fail("the target shape has more than one -1");
          infer = k;
          r.shape.push_back(1);
          continue;
        }
        if (d < 0) return fail("the target shape has a negative extent");
        r.shape.push_back(d);
        known *= d;
      }
      if (infer >= 0) {
        if (known == 0 || x.size() % known)
          return fail("inconsistent shape: cannot infer the -1 extent");
        r.shape[infer] = x.size() / known;
      }
    } else if (op == "Flatten") {
      int64_t a = imp.attrInt("axis", 1);
      if (a < 0) a += rank;
      int64_t p = 1;
      for (int64_t d = 0; d < a; ++d) p *= x.shape[d];
      r.shape = {p, p ? x.size() / p : 0};
    } else {
      std::optional<SmallVector<int64_t>> axes;
      if (imp.opset >= 13) axes = ints(1);
      else axes = imp.attrInts("axes");
      if (op == "Unsqueeze") {
        if (!axes) return Fold::No;
        int64_t nr = rank + axes->size();
        SmallVector<bool> unit(nr, false);
        for (int64_t a : *axes) unit[a < 0 ? a + nr : a] = true;
        r.shape.clear();
        int64_t j = 0;
        for (int64_t d = 0; d < nr; ++d)
          r.shape.push_back(unit[d] ? 1 : x.shape[j++]);
      } else {
        SmallVector<bool> drop(rank, false);
        if (axes) for (int64_t a : *axes) drop[a < 0 ? a + rank : a] = true;
        else for (int64_t d = 0; d < rank; ++d) drop[d] = x.shape[d] == 1;
        r.shape.clear();
        for (int64_t d = 0; d < rank; ++d)
          if (!drop[d]) r.shape.push_back(x.shape[d]);
      }
    }
    if (r.size() != x.size())
      return fail("inconsistent shape: cannot reshape " +
                  std::to_string(x.size()) + " elements");
    return out(0, std::move(r));
  }
  if (op == "Concat") {
    int64_t rank = x.shape.size();
    int64_t a = imp.attrInt("axis", 0);
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return fail("axis out of range");
    Arr r;
    r.et = x.et;
    r.shape = x.shape;
    r.shape[a] = 0;
    for (const Arr &p : in) {
      if ((int64_t)p.shape.size() != rank || p.et != x.et)
        return fail("inputs differ in rank or element type");
      r.shape[a] += p.shape[a];
    }
    int64_t outer = 1;
    for (int64_t d = 0; d < a; ++d) outer *= x.shape[d];
    for (int64_t o = 0; o < outer; ++o)
      for (const Arr &p : in) {
        int64_t chunk = p.size() / std::max<int64_t>(outer, 1);
        for (int64_t k = 0; k < chunk; ++k) {
          if (r.isF()) r.f.push_back(p.f[o * chunk + k]);
          else r.i.push_back(p.i[o * chunk + k]);
        }
      }
    return out(0, std::move(r));
  }
  if (op == "Transpose") {
    int64_t rank = x.shape.size();
    SmallVector<int64_t> perm;
    if (auto p = imp.attrInts("perm")) perm = *p;
    else for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    Arr r;
    r.et = x.et;
    for (int64_t p : perm) r.shape.push_back(x.shape[p]);
    r.resize(r.size());
    auto xs = stridesOf(x.shape);
    SmallVector<int64_t> idx;
    for (int64_t k = 0; k < r.size(); ++k) {
      unflatten(k, r.shape, idx);
      int64_t j = 0;
      for (int64_t d = 0; d < rank; ++d) j += idx[d] * xs[perm[d]];
      if (r.isF()) r.f[k] = x.f[j];
      else r.i[k] = x.i[j];
    }
    return out(0, std::move(r));
  }
  if (op == "Gather") {
    int64_t rank = x.shape.size();
    int64_t a = imp.attrInt("axis", 0);
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return fail("axis out of range");
    const Arr &ix = in[1];
    Arr r;
    r.et = x.et;
    for (int64_t d = 0; d < a; ++d) r.shape.push_back(x.shape[d]);
    for (int64_t d : ix.shape) r.shape.push_back(d);
    for (int64_t d = a + 1; d < rank; ++d) r.shape.push_back(x.shape[d]);
    r.resize(r.size());
    auto xs = stridesOf(x.shape);
    SmallVector<int64_t> idx;
    int64_t ri = ix.shape.size();
    for (int64_t k = 0; k < r.size(); ++k) {
      unflatten(k, r.shape, idx);
      int64_t q = 0;
      for (int64_t d = 0; d < ri; ++d) q = q * ix.shape[d] + idx[a + d];
      int64_t g = ix.getI(q);
      if (g < 0) g += x.shape[a];
      if (g < 0 || g >= x.shape[a])
        return fail("index " + std::to_string(ix.getI(q)) + " is out of range");
      int64_t j = 0;
      for (int64_t d = 0; d < a; ++d) j += idx[d] * xs[d];
      j += g * xs[a];
      for (int64_t d = a + 1; d < rank; ++d) j += idx[d - 1 + ri] * xs[d];
      if (r.isF()) r.f[k] = x.f[j];
      else r.i[k] = x.i[j];
    }
    return out(0, std::move(r));
  }
  if (op == "Slice") {
    if (imp.opset < 10) return Fold::No;
    auto starts = ints(1), ends = ints(2);
    if (!starts || !ends) return Fold::No;
    int64_t rank = x.shape.size();
    SmallVector<int64_t> axes, steps;
    if (auto v = ints(3)) axes = *v;
    else for (size_t k = 0; k < starts->size(); ++k) axes.push_back(k);
    if (auto v = ints(4)) steps = *v;
    else steps.assign(starts->size(), 1);
    SmallVector<int64_t> st(rank, 0), sp(rank, 1), len(x.shape);
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];
      if (a < 0 || a >= rank) return fail("axis out of range");
      int64_t dim = x.shape[a], s = (*starts)[k], e = (*ends)[k], p = steps[k];
      if (p == 0) return fail("step is zero");
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      if (p > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        len[a] = e > s ? (e - s + p - 1) / p : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        len[a] = s > e ? (s - e + (-p) - 1) / (-p) : 0;
      }
      st[a] = s;
      sp[a] = p;
    }
    Arr r;
    r.et = x.et;
    r.shape = len;
    r.resize(r.size());
    auto xs = stridesOf(x.shape);
    SmallVector<int64_t> idx;
    for (int64_t k = 0; k < r.size(); ++k) {
      unflatten(k, r.shape, idx);
      int64_t j = 0;
      for (int64_t d = 0; d < rank; ++d) j += (st[d] + idx[d] * sp[d]) * xs[d];
      if (r.isF()) r.f[k] = x.f[j];
      else r.i[k] = x.i[j];
    }
    return out(0, std::move(r));
  }
  if (op == "Tile") {
    auto rep = ints(1);
    if (!rep || rep->size() != x.shape.size())
      return fail("repeats must have one entry per dimension");
    Arr r;
    r.et = x.et;
    for (size_t d = 0; d < x.shape.size(); ++d)
      r.shape.push_back(x.shape[d] * (*rep)[d]);
    if (r.size() > kMaxFoldElements) return Fold::No;
    r.resize(r.size());
    auto xs = stridesOf(x.shape);
    SmallVector<int64_t> idx;
    for (int64_t k = 0; k < r.size(); ++k) {
      unflatten(k, r.shape, idx);
      int64_t j = 0;
      for (size_t d = 0; d < x.shape.size(); ++d)
        j += (idx[d] % x.shape[d]) * xs[d];
      if (r.isF()) r.f[k] = x.f[j];
      else r.i[k] = x.i[j];
    }
    return out(0, std::move(r));
  }
  if (op == "ScatterND") {
    if (imp.attrString("reduction", "none") != "none")
      return Fold::No;
    const Arr &ix = in[1], &up = in[2];
    int64_t q = ix.shape.size(), kdim = q ? ix.shape[q - 1] : 0;
    int64_t rank = x.shape.size();
    if (q < 1 || kdim > rank)
      return fail("indices do not fit the data rank");
    Arr r = x;
    auto xs = stridesOf(x.shape);
    int64_t slice = 1;
    for (int64_t d = kdim; d < rank; ++d) slice *= x.shape[d];
    int64_t nIdx = ix.size() / std::max<int64_t>(kdim, 1);
    if (up.size() != nIdx * slice || up.et != x.et)
      return fail("updates do not match the indices");
    for (int64_t n = 0; n < nIdx; ++n) {
      int64_t base = 0;
      for (int64_t d = 0; d < kdim; ++d) {
        int64_t g = ix.getI(n * kdim + d);
        if (g < 0) g += x.shape[d];
        if (g < 0 || g >= x.shape[d]) return fail("index out of range");
        base += g * xs[d];
      }
      for (int64_t k = 0; k < slice; ++k) {
        if (r.isF()) r.f[base + k] = up.f[n * slice + k];
        else r.i[base + k] = up.i[n * slice + k];
      }
    }
    return out(0, std::move(r));
  }
  return Fold::No;
}

/// Equal / Where / Reshape on small symbolic vectors (an extent of the
/// dynamic batch among known values).
Fold foldSymbolic(Importer &imp) {
  StringRef op = imp.node->op_type();
  if (op == "Equal") {
    bool sa = false, sb = false;
    auto a = imp.symbolicInput(0, &sa), b = imp.symbolicInput(1, &sb);
    if (!a || !b)
      return Fold::No;
    size_t n = std::max(a->size(), b->size());
    if ((a->size() != n && a->size() != 1) || (b->size() != n && b->size() != 1))
      return Fold::No;
    SmallVector<bool> v;
    for (size_t k = 0; k < n; ++k) {
      const SymDim &x = (*a)[a->size() == 1 ? 0 : k];
      const SymDim &y = (*b)[b->size() == 1 ? 0 : k];
      if (x == y) { v.push_back(true); continue; }
      if (x.isStatic() && y.isStatic()) { v.push_back(false); continue; }
      // An extent is never negative.
      const SymDim &c = x.isStatic() ? x : y;
      if (c.isStatic() && c.coeff < 0) { v.push_back(false); continue; }
      (void)imp.fail("cannot decide at import time whether a runtime extent "
                     "equals " + std::to_string(c.isStatic() ? c.coeff : 0));
      return Fold::Error;
    }
    auto type = (sa && sb) ? RankedTensorType::get({}, imp.b.getI1Type())
                           : RankedTensorType::get({(int64_t)n},
                                                   imp.b.getI1Type());
    imp.setConstantOutput(0, DenseElementsAttr::get(type, ArrayRef<bool>(v)));
    return Fold::Done;
  }
  if (op == "Where") {
    DenseElementsAttr c = imp.constantInput(0);
    bool sx = false, sy = false;
    auto x = imp.symbolicInput(1, &sx), y = imp.symbolicInput(2, &sy);
    if (!c || !x || !y || cast<ShapedType>(c.getType()).getRank() > 1)
      return Fold::No;
    SmallVector<bool> cv(c.getValues<bool>());
    size_t n = std::max({cv.size(), x->size(), y->size()});
    for (size_t s : {cv.size(), x->size(), y->size()})
      if (s != n && s != 1)
        return Fold::No;
    SmallVector<SymDim> r;
    for (size_t k = 0; k < n; ++k)
      r.push_back(cv[cv.size() == 1 ? 0 : k] ? (*x)[x->size() == 1 ? 0 : k]
                                             : (*y)[y->size() == 1 ? 0 : k]);
    imp.setSymbolicOutput(0, r, sx && sy && cv.size() == 1 &&
                                    cast<ShapedType>(c.getType()).getRank() == 0);
    return Fold::Done;
  }
  return Fold::No;
}

} // namespace

FailureOr<bool> onnx_import::foldNode(Importer &imp) {
  const auto &n = *imp.node;
  bool allConst = n.input_size() > 0;
  for (int k = 0; k < n.input_size(); ++k)
    if (!n.input(k).empty() && !imp.constantInput(k))
      allConst = false;
  Fold f = Fold::No;
  if (allConst) {
    Folder folder{imp, {}, {}};
    for (int k = 0; k < n.input_size(); ++k) {
      folder.present.push_back(!n.input(k).empty());
      folder.in.push_back(n.input(k).empty() ? Arr()
                                             : fromAttr(imp.constantInput(k)));
    }
    int64_t total = 0;
    for (const Arr &a : folder.in) total += a.size();
    if (total <= kMaxFoldElements)
      f = folder.run(n.op_type());
  }
  if (f == Fold::No)
    f = foldSymbolic(imp);
  if (f == Fold::Error)
    return failure();
  return f == Fold::Done;
}
