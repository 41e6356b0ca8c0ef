//===- Allocation.cpp - Integer sample allocation across points -----------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// The allocation is computed in "units" (1 sample, or 2 with antithetic
// pairs): every point first gets minCount samples, then M = (budget -
// B * minCount) / unit units are handed out. The MLIR lowering performs the
// same steps in the same order; keep the two in sync.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Allocation.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace flops::rt;

namespace {

bool fail(std::string *error, const std::string &msg) {
  if (error)
    *error = msg;
  return false;
}

std::string param(const char *name, int64_t value) {
  return std::string(name) + " = " + std::to_string(value);
}

/// Largest-remainder rounding of the shares M * w_i / S. Returns the units
/// per point; `w` is consumed.
bool largestRemainder(std::vector<double> &w, int64_t M,
                      std::vector<int64_t> &units, std::string *error) {
  int64_t B = static_cast<int64_t>(w.size());
  double S = 0.0;
  for (int64_t i = 0; i < B; ++i)
    S = S + w[i];
  if (!(S > 0.0) || std::isinf(S)) {
    for (int64_t i = 0; i < B; ++i)
      w[i] = 1.0;
    S = static_cast<double>(B);
  }
  double dM = static_cast<double>(M);
  // M * w_i <= M * S (rounding is monotone and w_i <= S). If that product
  // overflows, scale w and S by 2^-64: exact for every w_i that can get a
  // nonzero share, and it leaves each share's value M * w_i / S unchanged
  // while keeping M * w_i finite (M < 2^63 so M * S * 2^-64 < S).
  if (std::isinf(dM * S)) {
    for (int64_t i = 0; i < B; ++i)
      w[i] = w[i] * 0x1p-64;
    S = S * 0x1p-64;
  }

  std::vector<double> rem(B);
  units.assign(B, 0);
  int64_t F = 0;
  for (int64_t i = 0; i < B; ++i) {
    double share = (dM * w[i]) / S;
    double fl = std::floor(share);
    units[i] = static_cast<int64_t>(fl);
    rem[i] = share - static_cast<double>(units[i]);
    F += units[i];
  }
  // F <= M: each share is within a relative (B + 1) * eps of its exact value
  // M * w_i / sum(w) (two roundings in the share, B - 1 in S), so
  //   F = sum floor(share_i) <= sum share_i <= M * (1 + (B + 1) * eps) < M + 1
  // as long as M * (B + 1) < 2^52, which the int32 budget cap guarantees for
  // any B < 2^21. F is an integer, hence F <= M. Guard anyway.
  if (F > M)
    return fail(error, "internal error: rounded shares exceed the budget (" +
                           param("B", B) + ", " + param("units", M) + ")");
  for (int64_t l = F; l < M; ++l) {
    int64_t best = 0;
    for (int64_t i = 1; i < B; ++i)
      if (rem[i] > rem[best])
        best = i;
    units[best] += 1;
    rem[best] = rem[best] - 1.0;
  }
  return true;
}

/// Exact greedy for min sum_i s_i^2 / A_i: each unit goes to the point whose
/// variance drops most. Returns false if every s_i is zero (caller falls back
/// to uniform).
bool neymanGreedy(const double *scores, int64_t B, int64_t M, int64_t minCount,
                  int64_t unit, std::vector<int64_t> &counts) {
  std::vector<double> s(B);
  double sMax = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    s[i] = scores[i] > 0.0 ? scores[i] : 0.0;
    if (s[i] > sMax)
      sMax = s[i];
  }
  if (sMax == 0.0)
    return false;
  // Scale by a power of two so that max s lies in [0.5, 1): exact, and it
  // multiplies every gain by the same power of two, so decisions match the
  // unscaled greedy wherever s_i^2 neither overflows nor underflows there;
  // without it, s_i^2 = inf for s_i > ~1.3e154 makes all such gains tie.
  // AllocationLowering.cpp computes the same scale from the bits of sMax.
  if (std::isfinite(sMax)) {
    int e = 0;
    std::frexp(sMax, &e);
    for (int64_t i = 0; i < B; ++i)
      s[i] = std::ldexp(s[i], -e);
  }
  counts.assign(B, minCount);
  for (int64_t m = 0; m < M; ++m) {
    int64_t best = -1;
    double bestGain = 0.0;
    for (int64_t i = 0; i < B; ++i) {
      double a = static_cast<double>(counts[i]);
      double aNext = static_cast<double>(counts[i] + unit);
      double sq = s[i] * s[i];
      double d = 1.0 / a - 1.0 / aNext;
      double gain = sq * d;
      if (best < 0 || gain > bestGain) {
        best = i;
        bestGain = gain;
      }
    }
    counts[best] += unit;
  }
  return true;
}

} // namespace

bool flops::rt::allocateCounts(AllocStrategy s, const double *scores,
                               int64_t B, int64_t budget, int64_t minCount,
                               bool pairs, int32_t *counts,
                               std::string *error) {
  if (s != AllocStrategy::Uniform && s != AllocStrategy::Proportional &&
      s != AllocStrategy::Neyman)
    return fail(error, "invalid allocation strategy: " +
                           param("strategy", static_cast<int32_t>(s)) +
                           " (expected 0 = uniform, 1 = proportional, "
                           "2 = neyman)");
  if (B < 1)
    return fail(error, "invalid number of points: " + param("B", B) +
                           " (must be >= 1)");
  if (minCount < 0)
    return fail(error, "invalid minimum count: " + param("minCount", minCount) +
                           " (must be >= 0)");
  if (budget < 0 || (minCount > 0 && B > budget / minCount))
    return fail(error, "budget too small: " + param("budget", budget) +
                           " < B * minCount (" + param("B", B) + ", " +
                           param("minCount", minCount) + ")");
  if (budget > std::numeric_limits<int32_t>::max())
    return fail(error, "budget too large: " + param("budget", budget) +
                           " (counts are int32; must be <= 2147483647)");
  if (pairs && budget % 2 != 0)
    return fail(error, "antithetic pairs need an even budget: " +
                           param("budget", budget));
  if (pairs && minCount % 2 != 0)
    return fail(error, "antithetic pairs need an even minimum count: " +
                           param("minCount", minCount));
  if (s == AllocStrategy::Neyman && minCount < 1)
    return fail(error, "neyman allocation needs a positive minimum count: " +
                           param("minCount", minCount) + " (must be >= 1)");
  if (s != AllocStrategy::Uniform && !scores)
    return fail(error, "scores must not be null for a non-uniform strategy");
  if (!counts)
    return fail(error, "counts must not be null");

  int64_t unit = pairs ? 2 : 1;
  int64_t M = (budget - B * minCount) / unit;

  std::vector<int64_t> result;
  if (s == AllocStrategy::Neyman &&
      neymanGreedy(scores, B, M, minCount, unit, result)) {
    for (int64_t i = 0; i < B; ++i)
      counts[i] = static_cast<int32_t>(result[i]);
    return true;
  }

  std::vector<double> w(B, 1.0);
  if (s == AllocStrategy::Proportional)
    for (int64_t i = 0; i < B; ++i)
      w[i] = scores[i] > 0.0 ? scores[i] : 0.0;
  if (!largestRemainder(w, M, result, error))
    return false;
  for (int64_t i = 0; i < B; ++i)
    counts[i] = static_cast<int32_t>(minCount + unit * result[i]);
  return true;
}

void flops::rt::rowMap(const int32_t *counts, int64_t B, int32_t *map,
                       int64_t N) {
  int64_t row = 0;
  for (int64_t i = 0; i < B && row < N; ++i)
    for (int32_t k = 0; k < counts[i] && row < N; ++k)
      map[row++] = static_cast<int32_t>(i);
  int32_t last = B > 0 ? static_cast<int32_t>(B - 1) : 0;
  for (; row < N; ++row)
    map[row] = last;
}

double flops::rt::allocationVariance(const double *sigma,
                                     const int32_t *counts, int64_t B) {
  double sum = 0.0;
  for (int64_t i = 0; i < B; ++i)
    sum += sigma[i] * sigma[i] / static_cast<double>(counts[i]);
  double dB = static_cast<double>(B);
  return sum / (dB * dB);
}
