//===- PatternsInternal.h - pattern groups of flops-to-linalg ---*- C++ -*-===//

#ifndef FLOPS_LIB_CONVERSION_FLOPSTOLINALG_PATTERNSINTERNAL_H
#define FLOPS_LIB_CONVERSION_FLOPSTOLINALG_PATTERNSINTERNAL_H

#include "flops/Conversion/FlopsToLinalg/FlopsToLinalg.h"

namespace mlir::flops {
/// philox, normal, perturb, site_delta, log_sigma_grad.
void populateNoiseLoweringPatterns(RewritePatternSet &patterns);
/// allocate, row_map.
void populateAllocationLoweringPatterns(RewritePatternSet &patterns);
/// expand, row_weights, residual.
void populateEstimatorLoweringPatterns(RewritePatternSet &patterns);
} // namespace mlir::flops

#endif
