//===- CounterNoise.cpp - Philox4x32-10 and Box-Muller in arith -----------===//
//
// The generator of the dialect's noise convention, emitted as arith/math ops.
// It must stay bit-identical to runtime/lib/Philox.cpp: same integer steps,
// same floating-point operations in the same order, no contraction.
//
//===----------------------------------------------------------------------===//

#include "flops/Conversion/FlopsToLinalg/FlopsToLinalg.h"

#include "flops/Runtime/NoiseMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace {
/// `elem` in the shape of `like` (itself when `like` is a scalar).
Type shapedLike(Type like, Type elem) {
  if (auto v = dyn_cast<VectorType>(like))
    return v.clone(elem);
  return elem;
}
/// A constant of type `t` (a splat when `t` is a vector).
Value constOf(OpBuilder &b, Location loc, Type t, TypedAttr scalar) {
  if (auto v = dyn_cast<VectorType>(t))
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(v, scalar));
  return arith::ConstantOp::create(b, loc, scalar);
}
/// An integer constant with the shape of `like` and `bits` bits.
Value constInt(OpBuilder &b, Location loc, Type like, unsigned bits,
               uint64_t v) {
  Type it = b.getIntegerType(bits);
  return constOf(b, loc, shapedLike(like, it),
                 b.getIntegerAttr(it, APInt(bits, v)));
}
Value constI32(OpBuilder &b, Location loc, Type like, uint32_t v) {
  return constInt(b, loc, like, 32, v);
}
Value constI64(OpBuilder &b, Location loc, Type like, int64_t v) {
  return constInt(b, loc, like, 64, static_cast<uint64_t>(v));
}
/// A float constant of type `t` (f32/f64 or a vector of them).
Value constF(OpBuilder &b, Location loc, Type t, double v) {
  Type e = getElementTypeOrSelf(t);
  return constOf(b, loc, t, b.getFloatAttr(e, v));
}
} // namespace

std::array<Value, 4> mlir::flops::buildPhilox4x32(OpBuilder &b, Location loc,
                                                  std::array<Value, 2> key,
                                                  std::array<Value, 4> c) {
  Type t = c[0].getType();
  Value m0 = constI32(b, loc, t, 0xD2511F53u),
        m1 = constI32(b, loc, t, 0xCD9E8D57u);
  Value w0 = constI32(b, loc, t, 0x9E3779B9u),
        w1 = constI32(b, loc, t, 0xBB67AE85u);
  Value k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = arith::AddIOp::create(b, loc, k0, w0);
      k1 = arith::AddIOp::create(b, loc, k1, w1);
    }
    auto p0 = arith::MulUIExtendedOp::create(b, loc, m0, c[0]);
    auto p1 = arith::MulUIExtendedOp::create(b, loc, m1, c[2]);
    Value n0 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p1.getHigh(), c[1]), k0);
    Value n2 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p0.getHigh(), c[3]), k1);
    c = {n0, p1.getLow(), n2, p0.getLow()};
  }
  return c;
}

/// An exact uniform in (0, 1) from 32 random bits: f32 keeps the top 23
/// bits, f64 all 32; both add one half so that 0 and 1 never occur.
static Value buildUniform(OpBuilder &b, Location loc, Type ft, Value bits) {
  if (getElementTypeOrSelf(ft).isF32()) {
    Value top = arith::ShRUIOp::create(b, loc, bits, constI32(b, loc, ft, 9));
    Value f = arith::UIToFPOp::create(b, loc, ft, top);
    f = arith::AddFOp::create(b, loc, f, constF(b, loc, ft, 0.5));
    return arith::MulFOp::create(b, loc, f, constF(b, loc, ft, 0x1p-23));
  }
  Value f = arith::UIToFPOp::create(b, loc, ft, bits);
  f = arith::AddFOp::create(b, loc, f, constF(b, loc, ft, 0.5));
  return arith::MulFOp::create(b, loc, f, constF(b, loc, ft, 0x1p-32));
}

/// Horner evaluation of sum_{j<n} c_j w^j, highest coefficient first
/// (noise_math::horner).
static Value buildHorner(OpBuilder &b, Location loc, Type ft, const double *c,
                         int n, Value w) {
  Value p = constF(b, loc, ft, c[n - 1]);
  for (int j = n - 2; j >= 0; --j) {
    p = arith::MulFOp::create(b, loc, p, w);
    p = arith::AddFOp::create(b, loc, p, constF(b, loc, ft, c[j]));
  }
  return p;
}

Value mlir::flops::buildNoiseLog(OpBuilder &b, Location loc, Type ft,
                                 Value u) {
  namespace nm = ::flops::rt::noise_math;
  bool f32 = getElementTypeOrSelf(ft).isF32();
  Type i32 = shapedLike(ft, b.getI32Type());
  Type it = shapedLike(ft, f32 ? b.getI32Type() : b.getI64Type());
  auto constBits = [&](uint64_t v) -> Value {
    return constInt(b, loc, ft, f32 ? 32 : 64, v);
  };
  Value bits = arith::BitcastOp::create(b, loc, it, u);
  Value ebits = arith::ShRUIOp::create(b, loc, bits, constBits(f32 ? 23 : 52));
  if (!f32)
    ebits = arith::TruncIOp::create(b, loc, i32, ebits);
  Value e = arith::SubIOp::create(b, loc, ebits,
                                  constI32(b, loc, ft, f32 ? 127 : 1023));
  Value mbits = arith::OrIOp::create(
      b, loc,
      arith::AndIOp::create(
          b, loc, bits,
          constBits(f32 ? 0x007fffffull : 0x000fffffffffffffull)),
      constBits(f32 ? 0x3f800000ull : 0x3ff0000000000000ull));
  Value m = arith::BitcastOp::create(b, loc, ft, mbits);
  Value big = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, m,
                                    constF(b, loc, ft, nm::kSqrt2));
  m = arith::SelectOp::create(
      b, loc, big, arith::MulFOp::create(b, loc, m, constF(b, loc, ft, 0.5)), m);
  e = arith::SelectOp::create(
      b, loc, big, arith::AddIOp::create(b, loc, e, constI32(b, loc, ft, 1)),
      e);
  Value f = arith::SubFOp::create(b, loc, m, constF(b, loc, ft, 1.0));
  Value s = arith::DivFOp::create(
      b, loc, f, arith::AddFOp::create(b, loc, f, constF(b, loc, ft, 2.0)));
  Value w = arith::MulFOp::create(b, loc, s, s);
  int terms = f32 ? nm::Terms<float>::log : nm::Terms<double>::log;
  Value logm = arith::MulFOp::create(
      b, loc, s, buildHorner(b, loc, ft, nm::kLogCoeffs, terms, w));
  Value el = arith::MulFOp::create(b, loc,
                                   arith::SIToFPOp::create(b, loc, ft, e),
                                   constF(b, loc, ft, nm::kLn2));
  return arith::AddFOp::create(b, loc, el, logm);
}

Value mlir::flops::buildNoiseCosSin2Pi(OpBuilder &b, Location loc, Type ft,
                                       Value u, Value wantSin) {
  namespace nm = ::flops::rt::noise_math;
  bool f32 = getElementTypeOrSelf(ft).isF32();
  Type i32 = shapedLike(ft, b.getI32Type());
  Value t = arith::MulFOp::create(b, loc, u, constF(b, loc, ft, 4.0));
  Value k = arith::FPToUIOp::create(b, loc, i32, t);
  Value r = arith::SubFOp::create(b, loc, t,
                                  arith::UIToFPOp::create(b, loc, ft, k));
  Value up = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, r,
                                   constF(b, loc, ft, 0.5));
  r = arith::SelectOp::create(
      b, loc, up, arith::SubFOp::create(b, loc, r, constF(b, loc, ft, 1.0)), r);
  k = arith::SelectOp::create(
      b, loc, up, arith::AddIOp::create(b, loc, k, constI32(b, loc, ft, 1)),
      k);
  Value x = arith::MulFOp::create(b, loc, r, constF(b, loc, ft, nm::kHalfPi));
  Value w = arith::MulFOp::create(b, loc, x, x);
  int sinTerms = f32 ? nm::Terms<float>::sin : nm::Terms<double>::sin;
  int cosTerms = f32 ? nm::Terms<float>::cos : nm::Terms<double>::cos;
  Value sx = arith::MulFOp::create(
      b, loc, x, buildHorner(b, loc, ft, nm::kSinCoeffs, sinTerms, w));
  Value cx = buildHorner(b, loc, ft, nm::kCosCoeffs, cosTerms, w);
  Value q = arith::AndIOp::create(b, loc, k, constI32(b, loc, ft, 3));
  Value qOdd =
      arith::TruncIOp::create(b, loc, shapedLike(ft, b.getI1Type()), q);
  Value useSin = arith::XOrIOp::create(b, loc, qOdd, wantSin);
  // negate = ((q + (wantSin ? 0 : 1)) & 2) != 0
  Value addend = arith::SelectOp::create(
      b, loc, wantSin, constI32(b, loc, ft, 0), constI32(b, loc, ft, 1));
  Value negBit = arith::AndIOp::create(
      b, loc, arith::AddIOp::create(b, loc, q, addend),
      constI32(b, loc, ft, 2));
  Value negate = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                       negBit, constI32(b, loc, ft, 0));
  Value v = arith::SelectOp::create(b, loc, useSin, sx, cx);
  return arith::SelectOp::create(b, loc, negate,
                                 arith::NegFOp::create(b, loc, v), v);
}

Value mlir::flops::buildCounterNormal(OpBuilder &b, Location loc, Type ft,
                                      Value seed, Value step, uint32_t site,
                                      Value row, Value elem, bool antithetic) {
  // Every value has the shape of `ft` (scalars, or vectors of lanes).
  Type i32 = shapedLike(ft, b.getI32Type()), i64 = shapedLike(ft, b.getI64Type());
  Type i1 = shapedLike(ft, b.getI1Type());
  Value row64 = arith::IndexCastUIOp::create(b, loc, i64, row);
  Value elem64 = arith::IndexCastUIOp::create(b, loc, i64, elem);
  Value pair = antithetic
                   ? Value(arith::ShRUIOp::create(b, loc, row64,
                                                  constI64(b, loc, ft, 1)))
                   : row64;
  auto lo32 = [&](Value v) -> Value {
    return arith::TruncIOp::create(b, loc, i32, v);
  };
  Value key0 = lo32(seed);
  Value key1 =
      lo32(arith::ShRUIOp::create(b, loc, seed, constI64(b, loc, ft, 32)));
  Value c0 =
      lo32(arith::ShRUIOp::create(b, loc, elem64, constI64(b, loc, ft, 2)));
  std::array<Value, 4> x = buildPhilox4x32(
      b, loc, {key0, key1}, {c0, lo32(pair), constI32(b, loc, ft, site),
                             lo32(step)});

  Value lane =
      lo32(arith::AndIOp::create(b, loc, elem64, constI64(b, loc, ft, 3)));
  Value upper = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, lane,
                                      constI32(b, loc, ft, 2));
  Value oddLane = arith::TruncIOp::create(b, loc, i1, lane);
  Value bitsA = arith::SelectOp::create(b, loc, upper, x[2], x[0]);
  Value bitsB = arith::SelectOp::create(b, loc, upper, x[3], x[1]);
  Value u1 = buildUniform(b, loc, ft, bitsA);
  Value u2 = buildUniform(b, loc, ft, bitsB);

  Value logU = buildNoiseLog(b, loc, ft, u1);
  Value r = math::SqrtOp::create(
      b, loc, arith::MulFOp::create(b, loc, constF(b, loc, ft, -2.0), logU));
  // Even lanes take cos(2*pi*u2), odd lanes sin(2*pi*u2).
  Value z = arith::MulFOp::create(b, loc, r,
                                  buildNoiseCosSin2Pi(b, loc, ft, u2, oddLane));
  if (!antithetic)
    return z;
  Value oddRow = arith::TruncIOp::create(b, loc, i1, row64);
  return arith::SelectOp::create(b, loc, oddRow,
                                 arith::NegFOp::create(b, loc, z), z);
}

/// `a[0], b[0], a[1], b[1], ...` for two vectors of n lanes.
static Value interleave(OpBuilder &b, Location loc, Value x, Value y) {
  int64_t n = cast<VectorType>(x.getType()).getNumElements();
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < n; ++i) {
    mask.push_back(i);
    mask.push_back(n + i);
  }
  return vector::ShuffleOp::create(b, loc, x, y, mask);
}

Value mlir::flops::buildCounterNormalRow(OpBuilder &b, Location loc,
                                         VectorType type, Value seed,
                                         Value step, uint32_t site, Value row,
                                         Value elem0, bool antithetic) {
  int64_t lanes = type.getShape().back();
  int64_t blocks = lanes / 4;
  Type ft = type.getElementType();
  auto blockType = VectorType::get({blocks}, b.getI32Type());
  auto pairType = VectorType::get({2 * blocks}, ft);
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  auto lo32 = [&](Value v) -> Value {
    return arith::TruncIOp::create(b, loc, i32, v);
  };
  auto splat = [&](Value v) -> Value {
    return vector::BroadcastOp::create(b, loc, blockType, v);
  };
  Value row64 = arith::IndexCastUIOp::create(b, loc, i64, row);
  Value elem64 = arith::IndexCastUIOp::create(b, loc, i64, elem0);
  Value pair = antithetic
                   ? Value(arith::ShRUIOp::create(b, loc, row64,
                                                  constI64(b, loc, i64, 1)))
                   : row64;
  Value key0 = splat(lo32(seed));
  Value key1 = splat(
      lo32(arith::ShRUIOp::create(b, loc, seed, constI64(b, loc, i64, 32))));
  // Lanes 4k..4k+3 read block (elem0 >> 2) + k.
  SmallVector<int32_t> iota;
  for (int64_t k = 0; k < blocks; ++k)
    iota.push_back(static_cast<int32_t>(k));
  Value c0 = arith::AddIOp::create(
      b, loc,
      splat(lo32(arith::ShRUIOp::create(b, loc, elem64,
                                        constI64(b, loc, i64, 2)))),
      arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(blockType, ArrayRef<int32_t>(iota))));
  std::array<Value, 4> x = buildPhilox4x32(
      b, loc, {key0, key1},
      {c0, splat(lo32(pair)), constI32(b, loc, blockType, site),
       splat(lo32(step))});
  // Pair 2k takes (x0, x1)[k] (lanes 4k, 4k+1), pair 2k+1 (x2, x3)[k].
  Value u1 = buildUniform(b, loc, pairType, interleave(b, loc, x[0], x[2]));
  Value u2 = buildUniform(b, loc, pairType, interleave(b, loc, x[1], x[3]));
  Value logU = buildNoiseLog(b, loc, pairType, u1);
  Value r = math::SqrtOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, constF(b, loc, pairType, -2.0), logU));
  Type i1 = shapedLike(pairType, b.getI1Type());
  Value cosv = buildNoiseCosSin2Pi(b, loc, pairType, u2,
                                   constOf(b, loc, i1, b.getBoolAttr(false)));
  Value sinv = buildNoiseCosSin2Pi(b, loc, pairType, u2,
                                   constOf(b, loc, i1, b.getBoolAttr(true)));
  // Even lanes cos, odd lanes sin.
  Value z = interleave(b, loc, arith::MulFOp::create(b, loc, r, cosv),
                       arith::MulFOp::create(b, loc, r, sinv));
  if (antithetic) {
    Value oddRow = arith::TruncIOp::create(b, loc, b.getI1Type(), row64);
    z = arith::SelectOp::create(b, loc, oddRow,
                                arith::NegFOp::create(b, loc, z), z);
  }
  return vector::ShapeCastOp::create(b, loc, type, z);
}
