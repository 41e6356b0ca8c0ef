//===- BatchFirstSites.h - parametric ops computed batch-first --*- C++ -*-===//
//
// The noise and the estimates index a perturbation site's rows as the
// batch's, so a site must hold the batch alone in dimension 0. Imported
// attention runs sequence-first ([tokens, batch, width]) and windowed
// attention merges the batch with the windows ([batch * windows, tokens,
// width]); makeSitesBatchFirst rewrites such parametric linalg.generic ops
// to compute their result batch-first and copy it back to the layout the
// rest of the forward reads.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_BATCHFIRSTSITES_H
#define FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_BATCHFIRSTSITES_H

#include "RowIndependence.h"

namespace mlir::flops {

/// Rewrites every parametric linalg.generic of `info`'s forward whose result
/// does not hold the batch alone in dimension 0 (per `layout`, the row
/// analysis of the same forward). Returns whether anything changed; ops of
/// other forms are left for the site check to diagnose.
FailureOr<bool> makeSitesBatchFirst(const ForwardInfo &info,
                                    const DenseMap<Value, RowLayout> &layout);

} // namespace mlir::flops

#endif
