//===- PointPrefix.h - forward values shared by a point's rows -*- C++ -*-===//
//
// Every query row of a data point starts from the point's input, and until a
// perturbation reaches them the forward computes the same values for all of
// a point's rows. flops-forward-train computes that prefix once per point
// (@<entry>_points) and expands the values the rest of the forward reads to
// the rows (flops.expand); a site inside the prefix sums its Δ per point
// (flops.scatter_add) and applies its estimator rules once per point.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_POINTPREFIX_H
#define FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_POINTPREFIX_H

#include "SiteAnalysis.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir::flops {

struct PointPrefix {
  /// Ops of the forward's body computed per point: no perturbed value
  /// reaches them, they read the data, and each row of their results
  /// (dimension 0) depends on the same row of their data operands alone.
  DenseSet<Operation *> ops;
  /// Ops whose results need no data (parameters, shapes, constants): both
  /// the points and the rows function compute them.
  DenseSet<Operation *> freeOps;
  /// Per perturbed site (in the order given): all its ops are in the prefix.
  SmallVector<bool> pointSite;
  /// Prefix values that the rows function reads (the forward's values),
  /// each an argument of the rows function, expanded to the rows.
  SmallVector<Value> frontier;
  /// What the points function returns: the frontier, then the point sites'
  /// layer inputs that are prefix values.
  SmallVector<Value> results;
  DenseMap<Value, unsigned> resultPos;
  /// @<entry>_points(forward's arguments) -> results; null when the prefix
  /// is empty.
  func::FuncOp fn;

  bool empty() const { return ops.empty(); }
};

/// Whether each row (dimension 0) of `op`'s results depends on the same row
/// of its data operands (`isData`) alone: linalg ops whose data operands and
/// results have dimension 0 on one parallel loop that nothing else indexes,
/// reshapes keeping dimension 0 alone, padding and slices of the other
/// dimensions, whole rows inserted into a filled tensor, concatenation and
/// softmax along another dimension, elementwise ops on tensors, casts.
bool isRowwiseOp(Operation *op, function_ref<bool(Value)> isData);

/// Classifies the ops of `info.fn` (ops, freeOps and pointSite);
/// `perturbed` are the perturbed site groups, in site order.
PointPrefix analyzePointPrefix(const ForwardInfo &info,
                               ArrayRef<unsigned> perturbed);

/// Fills `prefix.frontier` (prefix values read outside the prefix, by the
/// rows function's results `rowResults`, or perturbed) and
/// `prefix.results`, then builds the points function after the forward.
void buildPointsFunction(const ForwardInfo &info, ArrayRef<unsigned> perturbed,
                         ArrayRef<Value> rowResults, StringRef name,
                         PointPrefix &prefix);

} // namespace mlir::flops

#endif
