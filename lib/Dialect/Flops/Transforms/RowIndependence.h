//===- RowIndependence.h - rows of the forward are independent -*- C++ -*-===//
//
// The training step evaluates rows of different points (and queries) in one
// batch-sized chunk, so each row of the forward's results must depend on the
// same row of the data alone. checkRowIndependence proves it for the whole
// forward, tracking where the batch lives in every value the data reaches.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_ROWINDEPENDENCE_H
#define FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_ROWINDEPENDENCE_H

#include "SiteAnalysis.h"

namespace mlir::flops {

/// Where the batch lives in a value that data reaches: index i of dimension
/// `dim` is (a * B + b) * inner + c with a < outer, b the batch row, c <
/// inner. The data arguments, the results and the sites have (0, 1, 1): the
/// batch alone in dimension 0.
struct RowLayout {
  int64_t dim = 0;
  int64_t outer = 1;
  int64_t inner = 1;
  bool isBatchAlone() const { return dim == 0 && outer == 1 && inner == 1; }
  bool operator==(const RowLayout &o) const {
    return dim == o.dim && outer == o.outer && inner == o.inner;
  }
};

/// Checks every op of `info`'s forward that data reaches; emits a
/// diagnostic naming the first op that mixes rows (or a result that does not
/// hold the batch alone in dimension 0) and fails. Returns the layout of
/// every value data reaches.
FailureOr<DenseMap<Value, RowLayout>>
checkRowIndependence(const ForwardInfo &info);

} // namespace mlir::flops

#endif
