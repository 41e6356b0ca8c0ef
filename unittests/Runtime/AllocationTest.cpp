//===- AllocationTest.cpp - Sample allocation and row maps ----------------===//

#include "flops/Runtime/Allocation.h"
#include "flops/Runtime/CInterface.h"

#include "gtest/gtest.h"

#include <cmath>
#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

using namespace flops::rt;

namespace {

using Counts = std::vector<int32_t>;

// Deterministic test-input generator (SplitMix64).
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t range(int64_t lo, int64_t hi) { // Inclusive.
    return lo + static_cast<int64_t>(next() % uint64_t(hi - lo + 1));
  }
  double unit() { return double(next() >> 11) * 0x1p-53; }
};

const AllocStrategy kAll[] = {AllocStrategy::Uniform,
                              AllocStrategy::Proportional,
                              AllocStrategy::Neyman};

Counts allocate(AllocStrategy s, const std::vector<double> &scores,
                int64_t budget, int64_t minCount, bool pairs) {
  Counts c(scores.size(), -7);
  std::string err;
  bool ok = allocateCounts(s, scores.data(), int64_t(scores.size()), budget,
                           minCount, pairs, c.data(), &err);
  EXPECT_TRUE(ok) << err;
  return c;
}

/// The uniform allocation in closed form: M / B units each, the remainder
/// one unit each on the lowest indices.
Counts closedFormUniform(int64_t B, int64_t budget, int64_t minCount,
                         bool pairs) {
  int64_t unit = pairs ? 2 : 1;
  int64_t M = (budget - B * minCount) / unit;
  Counts c(B);
  for (int64_t i = 0; i < B; ++i)
    c[i] = int32_t(minCount + unit * (M / B + (i < M % B ? 1 : 0)));
  return c;
}

double clean(double x) { return x > 0.0 ? x : 0.0; }

double variance(const std::vector<double> &sigma, const Counts &c) {
  return allocationVariance(sigma.data(), c.data(), int64_t(c.size()));
}

/// Score vectors covering the awkward cases: ordinary positives, all
/// negative, all zero, NaNs, huge (overflowing sums and squares), infinities,
/// tiny/subnormal, and mixtures of all of these.
std::vector<double> randomScores(Rng &rng, int64_t B, int kind) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v(B);
  for (int64_t i = 0; i < B; ++i) {
    double u = rng.unit();
    switch (kind) {
    case 0: v[i] = 10.0 * u; break;                       // Positive.
    case 1: v[i] = -1.0 - 5.0 * u; break;                 // All negative.
    case 2: v[i] = 0.0; break;                            // All zero.
    case 3: v[i] = u < 0.3 ? nan : u; break;              // Some NaN.
    case 4: v[i] = std::ldexp(1.0 + u, 1000 + int(rng.range(0, 23))); break;
    case 5: v[i] = std::ldexp(1.0 + u, -1074 + int(rng.range(0, 60))); break;
    case 6: v[i] = u < 0.1 ? inf : u; break;               // Some +inf.
    case 7: v[i] = u < 0.5 ? -u : u; break;                // Signs mixed.
    case 8: v[i] = std::ldexp(u, int(rng.range(-40, 40))); break; // Wide.
    default: {                                             // Everything.
      const double pick[] = {nan, -inf, 0.0, -3.0, 1e-310, 1e308,
                             std::numeric_limits<double>::max(), 1.0};
      v[i] = u < 0.5 ? pick[rng.range(0, 7)] : 100.0 * u;
    }
    }
  }
  return v;
}

struct Case {
  std::vector<double> scores;
  int64_t budget, minCount;
  bool pairs;
  int kind;
};

Case randomCase(Rng &rng, bool forNeyman) {
  Case c;
  int64_t B = rng.range(1, 64);
  c.pairs = rng.next() & 1;
  int64_t unit = c.pairs ? 2 : 1;
  c.minCount = unit * rng.range(forNeyman ? 1 : 0, 3);
  int64_t extraUnits = rng.range(0, 40 * B);
  c.budget = B * c.minCount + unit * extraUnits;
  c.kind = int(rng.range(0, 9));
  c.scores = randomScores(rng, B, c.kind);
  return c;
}

void checkInvariants(const Case &k, const Counts &c, const char *what) {
  int64_t sum = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_GE(c[i], k.minCount) << what << " i=" << i;
    if (k.pairs) {
      ASSERT_EQ(c[i] % 2, 0) << what << " i=" << i;
    }
    sum += c[i];
  }
  ASSERT_EQ(sum, k.budget) << what;
}

// >= 2000 random cases per strategy: integer counts >= minCount, even with
// pairs, summing to the budget, and deterministic.
TEST(AllocationTest, RandomInvariantsAndDeterminism) {
  Rng rng{20240601};
  for (int t = 0; t < 3000; ++t) {
    Case k = randomCase(rng, /*forNeyman=*/true);
    for (AllocStrategy s : kAll) {
      SCOPED_TRACE("case " + std::to_string(t) + " strategy " +
                   std::to_string(int(s)) + " kind " + std::to_string(k.kind));
      Counts a = allocate(s, k.scores, k.budget, k.minCount, k.pairs);
      checkInvariants(k, a, "first call");
      Counts b = allocate(s, k.scores, k.budget, k.minCount, k.pairs);
      ASSERT_EQ(a, b);
    }
  }
}

TEST(AllocationTest, UniformIsEvenSplitRemainderFirst) {
  Rng rng{99};
  for (int t = 0; t < 2000; ++t) {
    Case k = randomCase(rng, false);
    int64_t B = int64_t(k.scores.size());
    Counts want = closedFormUniform(B, k.budget, k.minCount, k.pairs);
    // Scores are ignored, and may be null.
    EXPECT_EQ(allocate(AllocStrategy::Uniform, k.scores, k.budget, k.minCount,
                       k.pairs),
              want)
        << "case " << t;
    Counts c(B);
    ASSERT_TRUE(allocateCounts(AllocStrategy::Uniform, nullptr, B, k.budget,
                               k.minCount, k.pairs, c.data()));
    EXPECT_EQ(c, want) << "case " << t;
  }
  EXPECT_EQ(closedFormUniform(3, 11, 1, false), (Counts{4, 4, 3}));
  EXPECT_EQ(allocate(AllocStrategy::Uniform, {0, 0, 0}, 11, 1, false),
            (Counts{4, 4, 3}));
  EXPECT_EQ(allocate(AllocStrategy::Uniform, {0, 0, 0, 0}, 18, 2, true),
            (Counts{6, 4, 4, 4}));
}

// Largest remainder keeps each count within one unit of its continuous share
// minCount + unit * M * w_i / S (uniform fallback when S is not a positive
// finite number).
TEST(AllocationTest, ProportionalTracksContinuousShares) {
  Rng rng{4242};
  int fallbacks = 0, proportional = 0;
  for (int t = 0; t < 3000; ++t) {
    Case k = randomCase(rng, false);
    int64_t B = int64_t(k.scores.size());
    int64_t unit = k.pairs ? 2 : 1;
    int64_t M = (k.budget - B * k.minCount) / unit;
    std::vector<double> w(B);
    double S = 0.0;
    for (int64_t i = 0; i < B; ++i)
      S += (w[i] = clean(k.scores[i]));
    if (!(S > 0.0) || std::isinf(S)) {
      ++fallbacks;
      EXPECT_EQ(allocate(AllocStrategy::Proportional, k.scores, k.budget,
                         k.minCount, k.pairs),
                closedFormUniform(B, k.budget, k.minCount, k.pairs))
          << "case " << t;
      continue;
    }
    ++proportional;
    Counts c = allocate(AllocStrategy::Proportional, k.scores, k.budget,
                        k.minCount, k.pairs);
    for (int64_t i = 0; i < B; ++i) {
      double ideal = double(k.minCount) + double(unit) * double(M) * (w[i] / S);
      EXPECT_LE(std::fabs(double(c[i]) - ideal), unit * (1.0 + 1e-9))
          << "case " << t << " i=" << i << " kind " << k.kind;
    }
  }
  // Both paths must have been exercised.
  EXPECT_GT(fallbacks, 300);
  EXPECT_GT(proportional, 1000);
}

TEST(AllocationTest, ProportionalExamples) {
  // Shares 10 * (1, 3) / 4 = (2.5, 7.5): remainders tie, lowest index wins.
  EXPECT_EQ(allocate(AllocStrategy::Proportional, {1, 3}, 10, 0, false),
            (Counts{3, 7}));
  // Negative and NaN scores count as zero.
  EXPECT_EQ(allocate(AllocStrategy::Proportional,
                     {-1, std::nan(""), 2, 2}, 14, 1, false),
            (Counts{1, 1, 6, 6}));
  // Huge scores whose products M * w_i overflow: still proportional.
  EXPECT_EQ(allocate(AllocStrategy::Proportional, {1e308, 3e307}, 130, 0,
                     false),
            (Counts{100, 30}));
  // The sum overflows to infinity: uniform fallback.
  EXPECT_EQ(allocate(AllocStrategy::Proportional, {1.7e308, 1.7e308, 1.0}, 9,
                     0, false),
            (Counts{3, 3, 3}));
}

// Scores that are all <= 0 (or NaN) carry no information: proportional and
// Neyman both reduce to the uniform allocation.
TEST(AllocationTest, NonPositiveScoresGiveUniform) {
  Rng rng{7};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int t = 0; t < 2000; ++t) {
    Case k = randomCase(rng, true);
    for (double &x : k.scores) {
      double u = rng.unit();
      x = u < 0.2 ? nan : u < 0.4 ? 0.0 : u < 0.5 ? -0.0 : -1e300 * u;
    }
    Counts want = closedFormUniform(int64_t(k.scores.size()), k.budget,
                                    k.minCount, k.pairs);
    EXPECT_EQ(allocate(AllocStrategy::Proportional, k.scores, k.budget,
                       k.minCount, k.pairs),
              want)
        << "case " << t;
    EXPECT_EQ(
        allocate(AllocStrategy::Neyman, k.scores, k.budget, k.minCount, k.pairs),
        want)
        << "case " << t;
  }
}

/// Smallest V(A) over all integer allocations A_i = minCount + unit * k_i
/// with sum A_i = budget.
double bruteForceMinVariance(const std::vector<double> &sigma, int64_t budget,
                             int64_t minCount, int64_t unit) {
  int64_t B = int64_t(sigma.size());
  int64_t M = (budget - B * minCount) / unit;
  double best = std::numeric_limits<double>::infinity();
  Counts a(B, int32_t(minCount));
  std::function<void(int64_t, int64_t)> rec = [&](int64_t i, int64_t left) {
    if (i == B - 1) {
      a[i] = int32_t(minCount + unit * left);
      best = std::min(best, variance(sigma, a));
      return;
    }
    for (int64_t k = 0; k <= left; ++k) {
      a[i] = int32_t(minCount + unit * k);
      rec(i + 1, left - k);
    }
  };
  rec(0, M);
  return best;
}

TEST(AllocationTest, NeymanMatchesBruteForce) {
  Rng rng{31337};
  int cases = 0;
  for (int t = 0; t < 3000; ++t) {
    int64_t B = rng.range(1, 4);
    bool pairs = rng.next() & 1;
    int64_t unit = pairs ? 2 : 1;
    int64_t minCount = unit * rng.range(1, 2);
    if (B * minCount > 16)
      continue;
    int64_t budget = B * minCount + unit * rng.range(0, (16 - B * minCount) /
                                                           unit);
    std::vector<double> sigma(B);
    for (double &s : sigma) {
      double u = rng.unit();
      s = u < 0.15 ? 0.0 : u < 0.3 ? 1.0 : 5.0 * rng.unit(); // Ties too.
    }
    bool allZero = std::all_of(sigma.begin(), sigma.end(),
                               [](double s) { return s == 0.0; });
    if (allZero)
      continue;
    ++cases;
    Counts c = allocate(AllocStrategy::Neyman, sigma, budget, minCount, pairs);
    double best = bruteForceMinVariance(sigma, budget, minCount, unit);
    double got = variance(sigma, c);
    EXPECT_LE(got, best * (1.0 + 1e-12))
        << "case " << t << " B=" << B << " budget=" << budget
        << " min=" << minCount << " pairs=" << pairs;
  }
  EXPECT_GT(cases, 1500);
}

TEST(AllocationTest, NeymanKnownAnswer) {
  std::vector<double> sigma = {0.5, 1, 2, 4};
  EXPECT_EQ(allocate(AllocStrategy::Neyman, sigma, 40, 2, false),
            (Counts{3, 5, 11, 21}));
  // Equal gains go to the lowest index.
  EXPECT_EQ(allocate(AllocStrategy::Neyman, {1, 1, 1}, 5, 1, false),
            (Counts{2, 2, 1}));
  EXPECT_EQ(allocate(AllocStrategy::Neyman, {3, 1, 3}, 12, 2, true),
            (Counts{6, 2, 4}));
}

TEST(AllocationTest, NeymanNoWorseThanUniform) {
  Rng rng{555};
  for (int t = 0; t < 2000; ++t) {
    Case k = randomCase(rng, true);
    std::vector<double> sigma(k.scores.size());
    for (size_t i = 0; i < sigma.size(); ++i)
      sigma[i] = clean(k.scores[i]);
    int64_t B = int64_t(sigma.size());
    Counts ney =
        allocate(AllocStrategy::Neyman, k.scores, k.budget, k.minCount, k.pairs);
    Counts uni = closedFormUniform(B, k.budget, k.minCount, k.pairs);
    double vn = variance(sigma, ney), vu = variance(sigma, uni);
    EXPECT_TRUE(vn <= vu * (1.0 + 1e-12) || (std::isnan(vn) && std::isnan(vu)))
        << "case " << t << " kind " << k.kind << " V(neyman)=" << vn
        << " V(uniform)=" << vu;
  }
}

// A larger sigma never gets fewer samples; equal sigmas differ by at most one
// unit (ties go to the lower index). Finite scores only, including ones whose
// squares overflow or underflow a double.
TEST(AllocationTest, NeymanMonotoneInSigma) {
  Rng rng{8080};
  for (int t = 0; t < 2000; ++t) {
    Case k = randomCase(rng, true);
    for (double &x : k.scores)
      if (!std::isfinite(x))
        x = 0.5;
    if (t % 10 == 0) // Force some exact ties.
      k.scores.back() = k.scores.front();
    Counts c =
        allocate(AllocStrategy::Neyman, k.scores, k.budget, k.minCount, k.pairs);
    int64_t unit = k.pairs ? 2 : 1;
    for (size_t i = 0; i < c.size(); ++i)
      for (size_t j = 0; j < c.size(); ++j) {
        double si = clean(k.scores[i]), sj = clean(k.scores[j]);
        if (si < sj && sj > si * (1.0 + 1e-9)) {
          ASSERT_LE(c[i], c[j]) << "case " << t << " kind " << k.kind << " "
                                << si << " < " << sj;
        }
        if (si == sj && i < j) { // Ties favour the lower index.
          ASSERT_GE(c[i], c[j]) << "case " << t;
          ASSERT_LE(c[i] - c[j], unit) << "case " << t;
        }
      }
  }
}

TEST(AllocationTest, NeymanExtremeScales) {
  // Squares overflow (1e200^2) or underflow (1e-200^2) in double; the result
  // must still follow the ratios.
  for (double scale : {1e200, 1e-200, 1.0}) {
    std::vector<double> sigma = {0.5 * scale, 1 * scale, 2 * scale, 4 * scale};
    EXPECT_EQ(allocate(AllocStrategy::Neyman, sigma, 40, 2, false),
              (Counts{3, 5, 11, 21}))
        << scale;
  }
}

TEST(AllocationTest, VarianceFormula) {
  std::vector<double> sigma = {1, 2, 3};
  Counts c = {1, 4, 9};
  // (1/9) * (1/1 + 4/4 + 9/9) = 1/3.
  EXPECT_DOUBLE_EQ(variance(sigma, c), 1.0 / 3.0);
}

Counts repeatInterleave(const Counts &counts, int64_t N) {
  Counts map;
  for (size_t i = 0; i < counts.size(); ++i)
    for (int32_t k = 0; k < counts[i]; ++k)
      map.push_back(int32_t(i));
  map.resize(std::min<size_t>(map.size(), size_t(N)));
  map.resize(size_t(N), int32_t(counts.size()) - 1);
  return map;
}

TEST(AllocationTest, RowMapIsRepeatInterleave) {
  Counts c = {2, 0, 3};
  Counts m(5);
  rowMap(c.data(), 3, m.data(), 5);
  EXPECT_EQ(m, (Counts{0, 0, 2, 2, 2}));
  Counts shortMap(3); // Sum exceeds N: truncated.
  rowMap(c.data(), 3, shortMap.data(), 3);
  EXPECT_EQ(shortMap, (Counts{0, 0, 2}));
  Counts longMap(8); // Sum below N: tail maps to B - 1.
  Counts c2 = {1, 2, 0};
  rowMap(c2.data(), 3, longMap.data(), 8);
  EXPECT_EQ(longMap, (Counts{0, 1, 1, 2, 2, 2, 2, 2}));
  Counts neg = {-3, 2, 1};
  Counts m3(3);
  rowMap(neg.data(), 3, m3.data(), 3);
  EXPECT_EQ(m3, (Counts{1, 1, 2}));

  Rng rng{2718};
  for (int t = 0; t < 2000; ++t) {
    int64_t B = rng.range(1, 64);
    Counts counts(B);
    for (int32_t &x : counts)
      x = int32_t(rng.range(-2, 9));
    int64_t sum = 0;
    for (int32_t x : counts)
      sum += std::max(x, 0);
    int64_t N = rng.range(0, sum + 20); // Below, at and above the sum.
    Counts map(N, -99);
    rowMap(counts.data(), B, map.data(), N);
    ASSERT_EQ(map, repeatInterleave(counts, N)) << "case " << t;
  }
}

TEST(AllocationTest, RowMapOfAllocationCoversBudget) {
  std::vector<double> sigma = {0.5, 1, 2, 4};
  Counts c = allocate(AllocStrategy::Neyman, sigma, 40, 2, false);
  Counts map(40);
  rowMap(c.data(), 4, map.data(), 40);
  for (int32_t p = 0; p < 4; ++p)
    EXPECT_EQ(std::count(map.begin(), map.end(), p), c[p]);
  EXPECT_TRUE(std::is_sorted(map.begin(), map.end()));
}

struct BadCase {
  AllocStrategy s;
  int64_t B, budget, minCount;
  bool pairs;
  const char *needle; // Must appear in the error message.
};

TEST(AllocationTest, InvalidParametersAreRejected) {
  const BadCase cases[] = {
      {AllocStrategy::Uniform, 0, 10, 1, false, "B = 0"},
      {AllocStrategy::Proportional, -3, 10, 1, false, "B = -3"},
      {AllocStrategy::Uniform, 4, 10, -1, false, "minCount = -1"},
      {AllocStrategy::Uniform, 4, 7, 2, false, "budget = 7"},
      {AllocStrategy::Uniform, 4, -1, 0, false, "budget = -1"},
      {AllocStrategy::Proportional, 4, 11, 2, true, "budget = 11"},
      {AllocStrategy::Uniform, 4, 12, 1, true, "minCount = 1"},
      {AllocStrategy::Neyman, 4, 12, 0, false, "minCount = 0"},
      {AllocStrategy::Uniform, 2, 3000000000ll, 1, false, "budget = 3000000000"},
      {AllocStrategy(7), 4, 12, 1, false, "strategy = 7"},
  };
  std::vector<double> scores(8, 1.0);
  for (const BadCase &b : cases) {
    Counts c(8, -5);
    std::string err;
    EXPECT_FALSE(allocateCounts(b.s, scores.data(), b.B, b.budget, b.minCount,
                                b.pairs, c.data(), &err))
        << b.needle;
    EXPECT_NE(err.find(b.needle), std::string::npos)
        << "message '" << err << "' lacks '" << b.needle << "'";
    EXPECT_EQ(c, Counts(8, -5)) << "counts written on failure: " << b.needle;
    // A null error pointer is allowed.
    EXPECT_FALSE(allocateCounts(b.s, scores.data(), b.B, b.budget, b.minCount,
                                b.pairs, c.data()));
  }
  std::string err;
  Counts c(2);
  EXPECT_FALSE(allocateCounts(AllocStrategy::Neyman, nullptr, 2, 4, 1, false,
                              c.data(), &err));
  EXPECT_NE(err.find("scores"), std::string::npos) << err;
  // Boundary values are valid: budget == B * minCount, minCount 0 uniform.
  EXPECT_EQ(allocate(AllocStrategy::Neyman, {1, 2}, 4, 2, true),
            (Counts{2, 2}));
  EXPECT_EQ(allocate(AllocStrategy::Uniform, {1, 2}, 0, 0, false),
            (Counts{0, 0}));
}

TEST(AllocationTest, MemRefAllocateHonoursStrides) {
  // scores (0.5, 1, 2, 4) at stride 2 after an offset of 1.
  float sbuf[9] = {-1, 0.5f, -1, 1.0f, -1, 2.0f, -1, 4.0f, -1};
  int32_t cbuf[8];
  for (int32_t &x : cbuf)
    x = -9;
  StridedMemRefType<float, 1> scores{sbuf, sbuf, 1, {4}, {2}};
  StridedMemRefType<int32_t, 1> counts{cbuf, cbuf, 0, {4}, {2}};
  EXPECT_EQ(_mlir_ciface_flops_rt_allocate(&scores, &counts, 40, 2, 0,
                                           int32_t(AllocStrategy::Neyman)),
            1);
  EXPECT_EQ((Counts{cbuf[0], cbuf[2], cbuf[4], cbuf[6]}),
            (Counts{3, 5, 11, 21}));
  for (int i : {1, 3, 5, 7})
    EXPECT_EQ(cbuf[i], -9);
  // Invalid parameters: 0 and counts untouched.
  EXPECT_EQ(_mlir_ciface_flops_rt_allocate(&scores, &counts, 41, 2, 1, 0), 0);
  EXPECT_EQ(cbuf[0], 3);
  // counts of the wrong size.
  StridedMemRefType<int32_t, 1> small{cbuf, cbuf, 0, {3}, {1}};
  EXPECT_EQ(_mlir_ciface_flops_rt_allocate(&scores, &small, 40, 2, 0, 0), 0);

  std::vector<double> d = {0.5, 1, 2, 4};
  Counts c(4);
  EXPECT_EQ(flops_rt_allocate(d.data(), 4, 40, 2, 0, 2, c.data()), 1);
  EXPECT_EQ(c, (Counts{3, 5, 11, 21}));
  EXPECT_EQ(flops_rt_allocate(d.data(), 4, 40, 2, 0, 9, c.data()), 0);
}

TEST(AllocationTest, MemRefRowMapHonoursStrides) {
  int32_t cbuf[3] = {2, 0, 3};
  int32_t mbuf[13];
  for (int32_t &x : mbuf)
    x = -1;
  StridedMemRefType<int32_t, 1> counts{cbuf, cbuf, 0, {3}, {1}};
  StridedMemRefType<int32_t, 1> map{mbuf, mbuf, 1, {6}, {2}};
  _mlir_ciface_flops_rt_row_map(&counts, &map);
  Counts got;
  for (int i = 0; i < 6; ++i)
    got.push_back(mbuf[1 + 2 * i]);
  EXPECT_EQ(got, (Counts{0, 0, 2, 2, 2, 2}));
  for (int i = 0; i < 13; i += 2)
    EXPECT_EQ(mbuf[i], -1);
  Counts plain(4);
  flops_rt_row_map(cbuf, 3, plain.data(), 4);
  EXPECT_EQ(plain, (Counts{0, 0, 2, 2}));
}

} // namespace
