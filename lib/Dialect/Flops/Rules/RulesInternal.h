//===- RulesInternal.h - shared pieces of the estimator rules ---*- C++ -*-===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_RULES_RULESINTERNAL_H
#define FLOPS_LIB_DIALECT_FLOPS_RULES_RULESINTERNAL_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <string>

namespace mlir::flops::rules {

/// A tensor shaped like `like` filled with zeros (or `init` if it is set).
Value zerosLike(OpBuilder &b, Location loc, Value like);

/// Iterator types over `op`'s loops: parallel for the dims that `resultMap`
/// reads, reduction for the others (a reduction onto that operand).
SmallVector<utils::IteratorType> reduceOnto(AffineMap resultMap);

/// Bilinear ops (contractions and convolutions: out += a * b).
/// Whether `op`'s body is exactly out + a * b (operands in either order,
/// float casts allowed) over its two inputs and its init.
bool isMultiplyAccumulate(linalg::LinalgOp op);
LogicalResult checkBilinear(linalg::LinalgOp op, unsigned index,
                            std::string &reason);
FailureOr<Value> buildBilinearGradient(linalg::LinalgOp op, OpBuilder &b,
                                       Location loc, unsigned index,
                                       Value delta, ValueRange inputs,
                                       Value init);
int64_t bilinearChannelDim(linalg::LinalgOp op);

/// Elementwise generics linear in the input.
LogicalResult checkElementwise(linalg::GenericOp op, unsigned index,
                               std::string &reason);
FailureOr<Value> buildElementwiseGradient(linalg::GenericOp op, OpBuilder &b,
                                          Location loc, unsigned index,
                                          Value delta, ValueRange inputs,
                                          Value init);

/// Gathers from a captured table (embedding lookups).
LogicalResult checkGather(linalg::GenericOp op, Value captured,
                          std::string &reason);
FailureOr<Value> buildGatherGradient(linalg::GenericOp op, OpBuilder &b,
                                     Location loc, Value captured,
                                     Value delta, ValueRange inputs,
                                     Value init);

} // namespace mlir::flops::rules

#endif
