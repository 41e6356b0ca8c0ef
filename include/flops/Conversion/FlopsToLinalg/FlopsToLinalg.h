//===- FlopsToLinalg.h - reference lowering of flops ops --------*- C++ -*-===//

#ifndef FLOPS_CONVERSION_FLOPSTOLINALG_FLOPSTOLINALG_H
#define FLOPS_CONVERSION_FLOPSTOLINALG_FLOPSTOLINALG_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <array>

namespace mlir::flops {

/// Patterns that lower every flops op to linalg/tensor/arith/math/scf.
void populateFlopsToLinalgPatterns(RewritePatternSet &patterns);

/// Emits the ten rounds of Philox4x32-10 on i32 values (arith only).
std::array<Value, 4> buildPhilox4x32(OpBuilder &b, Location loc,
                                     std::array<Value, 2> key,
                                     std::array<Value, 4> ctr);

/// Emits the dialect's counter-based standard normal for one element
/// (see the dialect description). `seed`/`step` are i64, `row`/`elem` are
/// index values; the result has type `elemType` (f32 or f64).
Value buildCounterNormal(OpBuilder &b, Location loc, Type elemType,
                         Value seed, Value step, uint32_t site, Value row,
                         Value elem, bool antithetic);

/// The noise convention's log(u), u in (0, 1) normal, as arith ops on f32 or
/// f64 (bit-identical to flops::rt::noise_math::log; vectorisable).
Value buildNoiseLog(OpBuilder &b, Location loc, Type elemType, Value u);

/// The convention's cos(2*pi*u) or, where the i1 `wantSin` is set,
/// sin(2*pi*u), u in (0, 1) (flops::rt::noise_math::cosSin2Pi).
Value buildNoiseCosSin2Pi(OpBuilder &b, Location loc, Type elemType, Value u,
                          Value wantSin);

} // namespace mlir::flops

#endif // FLOPS_CONVERSION_FLOPSTOLINALG_FLOPSTOLINALG_H
