//===- StepBuilders.h - IR builders of the training step --------*- C++ -*-===//
//
// Small linalg builders used by flops-forward-train: elementwise maps,
// reductions, the built-in losses and the optimizer updates.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_STEPBUILDERS_H
#define FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_STEPBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

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
/// Sum of the squares of all elements of `t`, as a scalar: per column
/// (last dimension) first, then the columns.
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

/// Calls the C interface of libFlopsRuntime's `name` (declared in `module`
/// on first use, returning i32) with memref views of `ins` (read only), of
/// fresh buffers initialised from `outs` (written by the callee), then the
/// scalars. Returns the written buffers as tensors, in the order of `outs`.
/// All tensors are ranked; the callee sees fully dynamic memrefs.
SmallVector<Value> callRuntime(OpBuilder &b, Location loc, ModuleOp module,
                               StringRef name, ValueRange ins, ValueRange outs,
                               ValueRange scalars);
/// `t` with its elements converted to `elem` (extf/truncf, or sitofp for
/// integers); `t` itself when the type already matches.
Value convertElements(OpBuilder &b, Location loc, Value t, Type elem);
/// Per-row (dimension 0) sum of squares of `t`.
Value rowSumSquares(OpBuilder &b, Location loc, Value t);
/// A static tensor filled with `value` (a typed attribute of `elem`).
Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elem,
             Attribute value);

} // namespace mlir::flops::step

#endif
