//===- StepBuilders.h - IR builders of the training step --------*- C++ -*-===//
//
// Small linalg builders used by flops-forward-train: elementwise maps,
// reductions, the built-in losses and the optimizer updates.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_STEPBUILDERS_H
#define FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_STEPBUILDERS_H

#include "mlir/IR/Builders.h"

namespace mlir::flops::step {

using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// A tensor like `like` (shape, element type) whose elements are
/// fn(ins[0][i], ins[1][i], ...); all `ins` have the shape of `like`.
Value map(OpBuilder &b, Location loc, Value like, ValueRange ins, ScalarFn fn);
/// Several results at once (each like the corresponding `likes`).
SmallVector<Value> mapN(OpBuilder &b, Location loc, ValueRange likes,
                        ValueRange ins,
                        function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                        ValueRange)>
                            fn);

/// Sum of all elements of `t`, as a scalar.
Value sumAll(OpBuilder &b, Location loc, Value t);
/// Sum of the squares of all elements of `t`, as a scalar.
Value sumSquares(OpBuilder &b, Location loc, Value t);
/// Zeros shaped like `like`.
Value zerosLike(OpBuilder &b, Location loc, Value like);
/// Float constant of type `t`.
Value constF(OpBuilder &b, Location loc, Type t, double v);

/// Per-row cross-entropy of logits (R x C) against integer labels (R):
/// logsumexp(x) - x[label]; and 1.0 where x[label] is a maximum of the row.
std::pair<Value, Value> crossEntropyRows(OpBuilder &b, Location loc,
                                         Value logits, Value labels);
/// Per-row mean squared error over the non-row dimensions.
Value mseRows(OpBuilder &b, Location loc, Value outputs, Value targets);

} // namespace mlir::flops::step

#endif
