//===- CounterNoise.cpp - Philox4x32-10 and Box-Muller in arith -----------===//
//
// The generator of the dialect's noise convention, emitted as arith/math ops.
// It must stay bit-identical to runtime/lib/Philox.cpp: same integer steps,
// same floating-point operations in the same order, no contraction.
//
//===----------------------------------------------------------------------===//

#include "flops/Conversion/FlopsToLinalg/FlopsToLinalg.h"

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

  Value logU = math::LogOp::create(b, loc, u1);
  Value r = math::SqrtOp::create(
      b, loc, arith::MulFOp::create(b, loc, constF(b, loc, ft, -2.0), logU));
  // The f32 constant is the float nearest 2*pi (6.28318548f).
  Value theta = arith::MulFOp::create(
      b, loc, constF(b, loc, ft, 6.283185307179586), u2);
  Value zc = arith::MulFOp::create(b, loc, r, math::CosOp::create(b, loc, theta));
  Value zs = arith::MulFOp::create(b, loc, r, math::SinOp::create(b, loc, theta));
  Value z = arith::SelectOp::create(b, loc, oddLane, zs, zc);
  if (!antithetic)
    return z;
  Value oddRow = arith::TruncIOp::create(b, loc, b.getI1Type(), row64);
  return arith::SelectOp::create(b, loc, oddRow,
                                 arith::NegFOp::create(b, loc, z), z);
}
