//===- SiteAnalysis.h - perturbation sites of a forward function -*- C++ -*-===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_SITEANALYSIS_H
#define FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_SITEANALYSIS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::flops {

/// One perturbation site: a parametric contraction followed by the
/// elementwise parametric ops (bias, scale) applied to its result alone, or
/// a chain of such elementwise ops on its own. Noise goes on `tail`.
struct SiteGroup {
  SmallVector<Operation *> ops; // Program order.
  Value tail;
  int64_t channelDim = 0;
};

struct ForwardInfo {
  func::FuncOp fn;
  Block *entry = nullptr; // The forward's body.
  SmallVector<unsigned> paramArgs; // Argument numbers, in order.
  SmallVector<unsigned> dataArgs;
  int64_t batch = 0; // Static batch, or ShapedType::kDynamic.
  SmallVector<SiteGroup> groups;
  /// Parameter argument number -> position in paramArgs.
  DenseMap<unsigned, unsigned> paramPos;
  /// Reshapes of a parameter (tensor.collapse_shape / expand_shape, as
  /// tosa-to-linalg emits for biases) -> the parameter's position.
  DenseMap<Value, unsigned> views;

  /// Parameters that an op's body reads (captured from above, e.g. the
  /// table of an embedding gather) -> the op; its rule's
  /// checkCapturedEstimable accepts them.
  DenseMap<Operation *, SmallVector<Value>> captured;
  /// The op's operands, then the parameters its body captures.
  SmallVector<Value> paramReads(Operation *op) const;

  /// The parameter position of `v` if it is a parameter argument or a
  /// reshape of one.
  std::optional<unsigned> paramOf(Value v) const;
  /// The reshape op if `v` is a view of a parameter.
  Operation *viewOp(Value v) const {
    return views.count(v) ? v.getDefiningOp() : nullptr;
  }
};

/// Whether `op` is a copy of a statically shaped tensor that permutes and
/// flips its dimensions (out[i...] = in[signed permutation of i...], as the
/// ONNX importer flips a transposed convolution's window): an all-parallel
/// linalg.generic with one input whose body yields it. Such a copy of a
/// parameter is a view of it.
bool isPermutedCopy(Operation *op);
/// The map of the inverse copy of a permuted copy (the gradient of its
/// input from the gradient of its output).
AffineMap inversePermutedCopyMap(Operation *op);

/// Finds parameters, data arguments, the batch size and the perturbation
/// sites of `fn`; emits a diagnostic on the offending op and fails on input
/// the pass cannot handle. With `batchFirst`, parametric ops whose result
/// holds the batch elsewhere than alone in dimension 0 are first rewritten
/// to compute batch-first (makeSitesBatchFirst), which changes `fn`.
FailureOr<ForwardInfo> analyzeForward(func::FuncOp fn, bool batchFirst = true);

} // namespace mlir::flops

#endif
