//===- FlopsToLinalg.h - reference lowering of flops ops --------*- C++ -*-===//

#ifndef FLOPS_CONVERSION_FLOPSTOLINALG_FLOPSTOLINALG_H
#define FLOPS_CONVERSION_FLOPSTOLINALG_FLOPSTOLINALG_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
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
/// index values; the result has type `type` (f32 or f64). With vectors (all
/// operands in the shape of `type`), each lane is its own element.
Value buildCounterNormal(OpBuilder &b, Location loc, Type type, Value seed,
                         Value step, uint32_t site, Value row, Value elem,
                         bool antithetic);

/// The same values for the elements elem0, elem0 + 1, ... of one row, as a
/// vector of `type` (shape 1 x ... x 1 x L, L a multiple of 4; elem0 a
/// multiple of 4): one Philox block per 4 lanes and one logarithm, square
/// root and sine/cosine polynomial per 2 lanes. Scalars: seed, step (i64),
/// row, elem0 (index). Bit-identical to buildCounterNormal per lane.
Value buildCounterNormalRow(OpBuilder &b, Location loc, VectorType type,
                            Value seed, Value step, uint32_t site, Value row,
                            Value elem0, bool antithetic);

/// Expands every flops.counter_normal under `root` into arith (and vector
/// shuffles); with `shareRows`, vectors of consecutive elements of one row
/// share their Philox blocks and logarithms (see flops-expand-noise).
void expandCounterNormalOps(Operation *root, bool shareRows);

/// The noise convention's log(u), u in (0, 1) normal, as arith ops on f32 or
/// f64 or vectors of them (bit-identical to flops::rt::noise_math::log).
Value buildNoiseLog(OpBuilder &b, Location loc, Type elemType, Value u);

/// The convention's cos(2*pi*u) or, where the i1 `wantSin` is set,
/// sin(2*pi*u), u in (0, 1) (flops::rt::noise_math::cosSin2Pi).
Value buildNoiseCosSin2Pi(OpBuilder &b, Location loc, Type elemType, Value u,
                          Value wantSin);

} // namespace mlir::flops

#endif // FLOPS_CONVERSION_FLOPSTOLINALG_FLOPSTOLINALG_H
