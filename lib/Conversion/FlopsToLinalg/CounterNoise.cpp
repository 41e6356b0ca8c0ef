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

using namespace mlir;

namespace {
Value constI32(OpBuilder &b, Location loc, uint32_t v) {
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(b.getI32Type(), APInt(32, v)));
}
Value constI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}
Value constF(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
}
} // namespace

std::array<Value, 4> mlir::flops::buildPhilox4x32(OpBuilder &b, Location loc,
                                                  std::array<Value, 2> key,
                                                  std::array<Value, 4> c) {
  Value m0 = constI32(b, loc, 0xD2511F53u), m1 = constI32(b, loc, 0xCD9E8D57u);
  Value w0 = constI32(b, loc, 0x9E3779B9u), w1 = constI32(b, loc, 0xBB67AE85u);
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
  if (ft.isF32()) {
    Value top = arith::ShRUIOp::create(b, loc, bits, constI32(b, loc, 9));
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
  bool f32 = ft.isF32();
  Type i32 = b.getI32Type();
  Type it = f32 ? i32 : b.getI64Type();
  auto constInt = [&](uint64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, b.getIntegerAttr(it, APInt(f32 ? 32 : 64, v)));
  };
  Value bits = arith::BitcastOp::create(b, loc, it, u);
  Value ebits = arith::ShRUIOp::create(b, loc, bits, constInt(f32 ? 23 : 52));
  if (!f32)
    ebits = arith::TruncIOp::create(b, loc, i32, ebits);
  Value e = arith::SubIOp::create(b, loc, ebits, constI32(b, loc, f32 ? 127 : 1023));
  Value mbits = arith::OrIOp::create(
      b, loc,
      arith::AndIOp::create(
          b, loc, bits,
          constInt(f32 ? 0x007fffffull : 0x000fffffffffffffull)),
      constInt(f32 ? 0x3f800000ull : 0x3ff0000000000000ull));
  Value m = arith::BitcastOp::create(b, loc, ft, mbits);
  Value big = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, m,
                                    constF(b, loc, ft, nm::kSqrt2));
  m = arith::SelectOp::create(
      b, loc, big, arith::MulFOp::create(b, loc, m, constF(b, loc, ft, 0.5)), m);
  e = arith::SelectOp::create(
      b, loc, big, arith::AddIOp::create(b, loc, e, constI32(b, loc, 1)), e);
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
  bool f32 = ft.isF32();
  Type i32 = b.getI32Type();
  Value t = arith::MulFOp::create(b, loc, u, constF(b, loc, ft, 4.0));
  Value k = arith::FPToUIOp::create(b, loc, i32, t);
  Value r = arith::SubFOp::create(b, loc, t,
                                  arith::UIToFPOp::create(b, loc, ft, k));
  Value up = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, r,
                                   constF(b, loc, ft, 0.5));
  r = arith::SelectOp::create(
      b, loc, up, arith::SubFOp::create(b, loc, r, constF(b, loc, ft, 1.0)), r);
  k = arith::SelectOp::create(
      b, loc, up, arith::AddIOp::create(b, loc, k, constI32(b, loc, 1)), k);
  Value x = arith::MulFOp::create(b, loc, r, constF(b, loc, ft, nm::kHalfPi));
  Value w = arith::MulFOp::create(b, loc, x, x);
  int sinTerms = f32 ? nm::Terms<float>::sin : nm::Terms<double>::sin;
  int cosTerms = f32 ? nm::Terms<float>::cos : nm::Terms<double>::cos;
  Value sx = arith::MulFOp::create(
      b, loc, x, buildHorner(b, loc, ft, nm::kSinCoeffs, sinTerms, w));
  Value cx = buildHorner(b, loc, ft, nm::kCosCoeffs, cosTerms, w);
  Value q = arith::AndIOp::create(b, loc, k, constI32(b, loc, 3));
  Value qOdd = arith::TruncIOp::create(b, loc, b.getI1Type(), q);
  Value useSin = arith::XOrIOp::create(b, loc, qOdd, wantSin);
  // negate = ((q + (wantSin ? 0 : 1)) & 2) != 0
  Value addend = arith::SelectOp::create(b, loc, wantSin, constI32(b, loc, 0),
                                         constI32(b, loc, 1));
  Value negBit = arith::AndIOp::create(
      b, loc, arith::AddIOp::create(b, loc, q, addend), constI32(b, loc, 2));
  Value negate = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                       negBit, constI32(b, loc, 0));
  Value v = arith::SelectOp::create(b, loc, useSin, sx, cx);
  return arith::SelectOp::create(b, loc, negate,
                                 arith::NegFOp::create(b, loc, v), v);
}

Value mlir::flops::buildCounterNormal(OpBuilder &b, Location loc, Type ft,
                                      Value seed, Value step, uint32_t site,
                                      Value row, Value elem, bool antithetic) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Value row64 = arith::IndexCastUIOp::create(b, loc, i64, row);
  Value elem64 = arith::IndexCastUIOp::create(b, loc, i64, elem);
  Value pair = antithetic
                   ? Value(arith::ShRUIOp::create(b, loc, row64,
                                                  constI64(b, loc, 1)))
                   : row64;
  auto lo32 = [&](Value v) -> Value {
    return arith::TruncIOp::create(b, loc, i32, v);
  };
  Value key0 = lo32(seed);
  Value key1 =
      lo32(arith::ShRUIOp::create(b, loc, seed, constI64(b, loc, 32)));
  Value c0 =
      lo32(arith::ShRUIOp::create(b, loc, elem64, constI64(b, loc, 2)));
  std::array<Value, 4> x = buildPhilox4x32(
      b, loc, {key0, key1}, {c0, lo32(pair), constI32(b, loc, site),
                             lo32(step)});

  Value lane = lo32(arith::AndIOp::create(b, loc, elem64, constI64(b, loc, 3)));
  Value upper = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, lane,
                                      constI32(b, loc, 2));
  Value oddLane = arith::TruncIOp::create(b, loc, b.getI1Type(), lane);
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
  Value oddRow = arith::TruncIOp::create(b, loc, b.getI1Type(), row64);
  return arith::SelectOp::create(b, loc, oddRow,
                                 arith::NegFOp::create(b, loc, z), z);
}
