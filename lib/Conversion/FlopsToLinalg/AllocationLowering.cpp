//===- AllocationLowering.cpp - allocate and row_map to scf ----------------===//
//
// The integer rounding of query allocations as scf loops over small tensors.
// The steps and the floating-point operations are those of
// runtime/lib/Allocation.cpp (flops::rt::allocateCounts), so both give the
// same counts; test/Integration/CPU/allocate.mlir checks that they do.
//
//===----------------------------------------------------------------------===//

#include "PatternsInternal.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// Small builder for the scalar code of this file.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i64(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  }
  Value f64(double v) {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  }
  Value toIndex(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value toI64(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
  }
  Value toF64(Value i) {
    return arith::SIToFPOp::create(b, loc, b.getF64Type(), i);
  }
  Value at(Value t, Value i) { return tensor::ExtractOp::create(b, loc, t, i); }
  Value put(Value v, Value t, Value i) {
    return tensor::InsertOp::create(b, loc, v, t, i);
  }
  /// A 1-D tensor of `size` (static when it is an attribute) filled with v.
  Value filled(Type elem, OpFoldResult size, Value v) {
    Value e = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{size},
                                      elem);
    return linalg::FillOp::create(b, loc, v, ValueRange{e}).getResult(0);
  }
};

using BodyFn = function_ref<SmallVector<Value>(Emitter &, Value iv,
                                               ValueRange iters)>;

/// scf.for lb..ub carrying `inits`; the body returns the next iter values.
SmallVector<Value> loop(Emitter &e, Value lb, Value ub, ValueRange inits,
                        BodyFn body) {
  auto forOp = scf::ForOp::create(
      e.b, e.loc, lb, ub, e.idx(1), inits,
      [&](OpBuilder &nb, Location l, Value iv, ValueRange iters) {
        Emitter inner{nb, l};
        scf::YieldOp::create(nb, l, body(inner, iv, iters));
      });
  return SmallVector<Value>(forOp.getResults());
}

/// Index of the largest value of f64 `scoreAt(i)` over i in [0, n); ties go
/// to the lowest index (only a strictly greater value replaces the best).
Value argmax(Emitter &e, Value n,
             function_ref<Value(Emitter &, Value)> scoreAt) {
  Value first = scoreAt(e, e.idx(0));
  return loop(e, e.idx(1), n, {e.idx(0), first},
              [&](Emitter &in, Value i, ValueRange it) -> SmallVector<Value> {
                Value v = scoreAt(in, i);
                Value better = arith::CmpFOp::create(
                    in.b, in.loc, arith::CmpFPredicate::OGT, v, it[1]);
                return {arith::SelectOp::create(in.b, in.loc, better, i, it[0]),
                        arith::SelectOp::create(in.b, in.loc, better, v,
                                                it[1])};
              })[0];
}

/// Counts (i32) = minCount + unit * units (i64).
Value unitsToCounts(Emitter &e, Value units, Type countType, int64_t minCount,
                    int64_t unit, Value n, OpFoldResult size) {
  auto type = cast<RankedTensorType>(countType);
  Value out = e.filled(type.getElementType(), size,
                       arith::ConstantOp::create(
                           e.b, e.loc, e.b.getI32IntegerAttr(0)));
  return loop(e, e.idx(0), n, {out},
              [&](Emitter &in, Value i, ValueRange it) -> SmallVector<Value> {
                Value u = in.at(units, i);
                Value c = arith::AddIOp::create(
                    in.b, in.loc, in.i64(minCount),
                    arith::MulIOp::create(in.b, in.loc, in.i64(unit), u));
                Value c32 = arith::TruncIOp::create(in.b, in.loc,
                                                    in.b.getI32Type(), c);
                return {in.put(c32, it[0], i)};
              })[0];
}

/// Largest-remainder rounding of M units in proportion to w (docs/METHOD.md §3.3).
/// When `good` is false every point weighs 1 (the uniform fallback).
Value proportionalUnits(Emitter &e, Value w, Value sum, Value good, Value m,
                        Value n, OpFoldResult size) {
  Value mf = e.toF64(m);
  Value seff = arith::SelectOp::create(e.b, e.loc, good, sum,
                                       e.toF64(e.toI64(n)));
  // When M * S overflows, scale weights and sum by 2^-64 (exact), as the
  // runtime does; otherwise multiply by 1 (the identity, bit for bit).
  Value big = arith::CmpFOp::create(
      e.b, e.loc, arith::CmpFPredicate::OEQ,
      math::AbsFOp::create(e.b, e.loc,
                           arith::MulFOp::create(e.b, e.loc, mf, seff)),
      e.f64(std::numeric_limits<double>::infinity()));
  Value scale =
      arith::SelectOp::create(e.b, e.loc, big, e.f64(0x1p-64), e.f64(1.0));
  seff = arith::MulFOp::create(e.b, e.loc, seff, scale);
  Value units0 = e.filled(e.b.getI64Type(), size, e.i64(0));
  Value rem0 = e.filled(e.b.getF64Type(), size, e.f64(0.0));
  SmallVector<Value> r = loop(
      e, e.idx(0), n, {units0, rem0, e.i64(0)},
      [&](Emitter &in, Value i, ValueRange it) -> SmallVector<Value> {
        Value wi = arith::SelectOp::create(in.b, in.loc, good, in.at(w, i),
                                           in.f64(1.0));
        wi = arith::MulFOp::create(in.b, in.loc, wi, scale);
        Value share = arith::DivFOp::create(
            in.b, in.loc, arith::MulFOp::create(in.b, in.loc, mf, wi), seff);
        Value fl = math::FloorOp::create(in.b, in.loc, share);
        Value fi =
            arith::FPToSIOp::create(in.b, in.loc, in.b.getI64Type(), fl);
        Value rem = arith::SubFOp::create(in.b, in.loc, share, fl);
        return {in.put(fi, it[0], i), in.put(rem, it[1], i),
                arith::AddIOp::create(in.b, in.loc, it[2], fi)};
      });
  // Sum(floor) <= M: each floor is <= its share and the shares sum to M up
  // to rounding far below one unit.
  Value left = e.toIndex(arith::SubIOp::create(e.b, e.loc, m, r[2]));
  return loop(e, e.idx(0), left, {r[0], r[1]},
              [&](Emitter &in, Value, ValueRange it) -> SmallVector<Value> {
                Value best = argmax(in, n, [&](Emitter &x, Value i) {
                  return x.at(it[1], i);
                });
                Value u = arith::AddIOp::create(in.b, in.loc,
                                                in.at(it[0], best), in.i64(1));
                Value rm = arith::SubFOp::create(
                    in.b, in.loc, in.at(it[1], best), in.f64(1.0));
                return {in.put(u, it[0], best), in.put(rm, it[1], best)};
              })[0];
}

struct AllocateLowering : OpConversionPattern<AllocateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AllocateOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    Value scores = a.getScores();
    int64_t unit = op.getPairs() ? 2 : 1, minCount = op.getMinCount();
    AllocStrategy strategy = op.getStrategy();
    Value n = tensor::DimOp::create(rewriter, e.loc, scores, 0);
    OpFoldResult size = tensor::getMixedSize(rewriter, e.loc, scores, 0);
    Value m = arith::DivSIOp::create(
        rewriter, e.loc,
        arith::SubIOp::create(
            rewriter, e.loc, e.i64(op.getBudget()),
            arith::MulIOp::create(rewriter, e.loc, e.toI64(n),
                                  e.i64(minCount))),
        e.i64(unit));

    // w_i = max(score_i, 0) in f64 (NaN -> 0); all ones for `uniform`.
    Value w0 = e.filled(rewriter.getF64Type(), size, e.f64(0.0));
    SmallVector<Value> ws = loop(
        e, e.idx(0), n, {w0, e.f64(0.0)},
        [&](Emitter &in, Value i, ValueRange it) -> SmallVector<Value> {
          Value wi;
          if (strategy == AllocStrategy::uniform) {
            wi = in.f64(1.0);
          } else {
            Value s = in.at(scores, i);
            if (!s.getType().isF64())
              s = arith::ExtFOp::create(in.b, in.loc, in.b.getF64Type(), s);
            Value pos = arith::CmpFOp::create(
                in.b, in.loc, arith::CmpFPredicate::OGT, s, in.f64(0.0));
            wi = arith::SelectOp::create(in.b, in.loc, pos, s, in.f64(0.0));
          }
          return {in.put(wi, it[0], i),
                  arith::AddFOp::create(in.b, in.loc, it[1], wi)};
        });
    Value w = ws[0], sum = ws[1];
    Value positive = arith::CmpFOp::create(
        rewriter, e.loc, arith::CmpFPredicate::OGT, sum, e.f64(0.0));
    Value finite = arith::CmpFOp::create(
        rewriter, e.loc, arith::CmpFPredicate::ONE, sum,
        e.f64(std::numeric_limits<double>::infinity()));

    Type countType = op.getCounts().getType();
    Value units;
    if (strategy != AllocStrategy::neyman) {
      Value good = arith::AndIOp::create(rewriter, e.loc, positive, finite);
      units = proportionalUnits(e, w, sum, good, m, n, size);
    } else {
      auto ifOp = scf::IfOp::create(
          rewriter, e.loc, positive,
          [&](OpBuilder &nb, Location l) {
            Emitter in{nb, l};
            Value u = neymanUnits(in, w, m, n, size, minCount, unit);
            scf::YieldOp::create(nb, l, u);
          },
          [&](OpBuilder &nb, Location l) {
            Emitter in{nb, l};
            Value no = arith::ConstantOp::create(nb, l, nb.getBoolAttr(false));
            scf::YieldOp::create(nb, l,
                                 proportionalUnits(in, w, sum, no, m, n, size));
          });
      units = ifOp.getResult(0);
    }
    rewriter.replaceOp(op,
                       unitsToCounts(e, units, countType, minCount, unit, n, size));
    return success();
  }

  /// A power of two 2^k (k in [-1074, 1023]) built from its bits.
  static Value pow2(Emitter &e, Value k) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    Value normalBits = arith::ShLIOp::create(
        b, loc, arith::AddIOp::create(b, loc, k, e.i64(1023)), e.i64(52));
    Value subBits = arith::ShLIOp::create(
        b, loc, e.i64(1), arith::AddIOp::create(b, loc, k, e.i64(1074)));
    Value isNormal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                           k, e.i64(-1022));
    return arith::BitcastOp::create(
        b, loc, b.getF64Type(),
        arith::SelectOp::create(b, loc, isNormal, normalBits, subBits));
  }

  /// ldexp(s, -ex) where smax = f * 2^ex, f in [0.5, 1) (frexp), for a finite
  /// positive max(s); s unchanged otherwise. Exact, so the greedy's decisions
  /// are those of the unscaled problem while s^2 neither overflows nor
  /// underflows; mirrors flops::rt's neymanGreedy (std::frexp/std::ldexp).
  static Value normalizeScale(Emitter &e, Value s, Value n, OpFoldResult size) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    Value smax = loop(e, e.idx(0), n, {e.f64(0.0)},
                      [&](Emitter &in, Value i,
                          ValueRange it) -> SmallVector<Value> {
                        Value v = in.at(s, i);
                        Value gt = arith::CmpFOp::create(
                            in.b, in.loc, arith::CmpFPredicate::OGT, v, it[0]);
                        return {arith::SelectOp::create(in.b, in.loc, gt, v,
                                                        it[0])};
                      })[0];
    Value bits = arith::BitcastOp::create(b, loc, b.getI64Type(), smax);
    Value biased = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, bits, e.i64(52)),
        e.i64(0x7ff));
    Value finitePos = arith::AndIOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, smax,
                              e.f64(0.0)),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, biased,
                              e.i64(0x7ff)));
    // k = -ex: 1022 - biased for normal numbers; for subnormals
    // ex = bitwidth(mantissa) - 1074, i.e. k = 1010 + ctlz(bits).
    Value subK = arith::AddIOp::create(
        b, loc, e.i64(1010), math::CountLeadingZerosOp::create(b, loc, bits));
    Value isSub = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        biased, e.i64(0));
    Value k = arith::SelectOp::create(
        b, loc, isSub, subK,
        arith::SubIOp::create(b, loc, e.i64(1022), biased));
    // 2^k may exceed the double range (k up to 1073): scale up in two exact
    // steps; a scale down (k < 0) is one correctly rounded multiply.
    Value split = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, k,
                                        e.i64(1000));
    Value k2 = arith::SelectOp::create(b, loc, split, e.i64(512), e.i64(0));
    Value k1 = arith::SubIOp::create(b, loc, k, k2);
    Value one = e.f64(1.0);
    Value p1 = arith::SelectOp::create(b, loc, finitePos, pow2(e, k1), one);
    Value p2 = arith::SelectOp::create(b, loc, finitePos, pow2(e, k2), one);
    Value out = e.filled(b.getF64Type(), size, e.f64(0.0));
    return loop(e, e.idx(0), n, {out},
                [&](Emitter &in, Value i, ValueRange it) -> SmallVector<Value> {
                  Value v = arith::MulFOp::create(in.b, in.loc, in.at(s, i), p1);
                  v = arith::MulFOp::create(in.b, in.loc, v, p2);
                  return {in.put(v, it[0], i)};
                })[0];
  }

  /// Exact greedy for min Σ σ²/A: each unit to the largest σ²(1/A - 1/(A+u)).
  static Value neymanUnits(Emitter &e, Value s, Value m, Value n,
                           OpFoldResult size, int64_t minCount, int64_t unit) {
    s = normalizeScale(e, s, n, size);
    Value a0 = e.filled(e.b.getI64Type(), size, e.i64(minCount));
    Value a = loop(
        e, e.idx(0), e.toIndex(m), {a0},
        [&](Emitter &in, Value, ValueRange it) -> SmallVector<Value> {
          Value best = argmax(in, n, [&](Emitter &x, Value i) -> Value {
            Value si = x.at(s, i);
            Value ai = x.at(it[0], i);
            Value next = arith::AddIOp::create(x.b, x.loc, ai, x.i64(unit));
            Value d = arith::SubFOp::create(
                x.b, x.loc,
                arith::DivFOp::create(x.b, x.loc, x.f64(1.0), x.toF64(ai)),
                arith::DivFOp::create(x.b, x.loc, x.f64(1.0), x.toF64(next)));
            return arith::MulFOp::create(
                x.b, x.loc, arith::MulFOp::create(x.b, x.loc, si, si), d);
          });
          Value up = arith::AddIOp::create(in.b, in.loc, in.at(it[0], best),
                                           in.i64(unit));
          return {in.put(up, it[0], best)};
        })[0];
    // Back to units so that both branches share unitsToCounts.
    return loop(e, e.idx(0), n, {a},
                [&](Emitter &in, Value i, ValueRange it) -> SmallVector<Value> {
                  Value u = arith::DivSIOp::create(
                      in.b, in.loc,
                      arith::SubIOp::create(in.b, in.loc, in.at(it[0], i),
                                            in.i64(minCount)),
                      in.i64(unit));
                  return {in.put(u, it[0], i)};
                })[0];
  }
};

struct RowMapLowering : OpConversionPattern<RowMapOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RowMapOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    auto type = op.getResult().getType();
    Value counts = a.getCounts();
    Value rows = type.isDynamicDim(0) ? a.getRows()
                                      : e.idx(type.getDimSize(0));
    OpFoldResult rowsSize =
        type.isDynamicDim(0) ? OpFoldResult(rows)
                             : OpFoldResult(rewriter.getIndexAttr(
                                   type.getDimSize(0)));
    Value points = tensor::DimOp::create(rewriter, e.loc, counts, 0);
    // max(B - 1, 0), as flops::rt::rowMap.
    Value last = arith::IndexCastOp::create(
        rewriter, e.loc, rewriter.getI32Type(),
        arith::MaxSIOp::create(
            rewriter, e.loc,
            arith::SubIOp::create(rewriter, e.loc, points, e.idx(1)),
            e.idx(0)));
    // Rows past Σ counts keep point B-1.
    Value map0 = e.filled(rewriter.getI32Type(), rowsSize, last);
    Value map = loop(
        e, e.idx(0), points, {map0, e.idx(0)},
        [&](Emitter &in, Value i, ValueRange it) -> SmallVector<Value> {
          Value c = in.at(counts, i);
          c = arith::MaxSIOp::create(
              in.b, in.loc, c,
              arith::ConstantOp::create(in.b, in.loc,
                                        in.b.getI32IntegerAttr(0)));
          Value end = arith::MinUIOp::create(
              in.b, in.loc,
              arith::AddIOp::create(in.b, in.loc, it[1], in.toIndex(c)), rows);
          Value point = arith::IndexCastOp::create(in.b, in.loc,
                                                   in.b.getI32Type(), i);
          Value filled = loop(in, it[1], end, {it[0]},
                              [&](Emitter &x, Value r,
                                  ValueRange jt) -> SmallVector<Value> {
                                return {x.put(point, jt[0], r)};
                              })[0];
          return {filled, end};
        })[0];
    rewriter.replaceOp(op, map);
    return success();
  }
};

} // namespace

void mlir::flops::populateAllocationLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AllocateLowering, RowMapLowering>(patterns.getContext());
}
