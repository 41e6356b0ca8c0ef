//===- Allocation.h - Integer sample allocation across points ---*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// Distributes an integer sample budget over B points (uniform, proportional
// to a score, or Neyman-optimal), and lays the allocation out as rows. The
// MLIR lowering implements the same steps; see Allocation.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_ALLOCATION_H
#define FLOPS_RUNTIME_ALLOCATION_H

#include <cstdint>
#include <string>

namespace flops {
namespace rt {

enum class AllocStrategy : int32_t { Uniform = 0, Proportional = 1, Neyman = 2 };

/// Fills counts[0..B) with integers >= minCount (even when `pairs`) summing to
/// `budget`. Returns false, with a message naming the offending parameter in
/// *error (if non-null), on invalid parameters; counts is then untouched.
/// `scores` may be null for Uniform.
bool allocateCounts(AllocStrategy s, const double *scores, int64_t B,
                    int64_t budget, int64_t minCount, bool pairs,
                    int32_t *counts, std::string *error = nullptr);

/// Repeat-interleave: row r of N maps to the point owning it when point i
/// owns max(counts[i], 0) consecutive rows in point order. Rows past
/// sum(counts) map to B - 1 (0 if B < 1); points past row N are truncated.
void rowMap(const int32_t *counts, int64_t B, int32_t *map, int64_t N);

/// (1 / B^2) * sum_i sigma_i^2 / counts_i: the variance of the mean of the B
/// per-point sample means.
double allocationVariance(const double *sigma, const int32_t *counts,
                          int64_t B);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_ALLOCATION_H
