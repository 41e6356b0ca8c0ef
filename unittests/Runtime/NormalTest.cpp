//===- NormalTest.cpp - Counter-based normal sampler ----------------------===//

#include "flops/Runtime/CInterface.h"
#include "flops/Runtime/NoiseMath.h"
#include "flops/Runtime/Philox.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

using namespace flops::rt;

namespace {

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof(u));
  return u;
}

uint64_t bits(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof(u));
  return u;
}

// Straight transcription of the sampler spec (NoiseMath.h's comment and the
// dialect description), written independently of the library so that a
// deviation in either shows up as a bitwise mismatch: frexp instead of bit
// fiddling, coefficients computed here, a switch over quadrants.
template <typename T>
T referenceLog(T u, int logTerms) {
  int e2;
  T m = std::frexp(u, &e2); // u = m 2^e2, m in [1/2, 1)
  m = m * T(2);             // exact: m in [1, 2)
  int e = e2 - 1;
  if (m > T(1.4142135623730951)) {
    m = m * T(0.5);
    e = e + 1;
  }
  T f = m - T(1);
  T s = f / (f + T(2));
  T w = s * s;
  T p = T(2.0 / (2 * (logTerms - 1) + 1));
  for (int k = logTerms - 2; k >= 0; --k)
    p = p * w + T(2.0 / (2 * k + 1));
  return T(e) * T(0.6931471805599453) + s * p;
}

template <typename T>
T referenceCosSin(T u, bool wantSin, int sinTerms, int cosTerms) {
  double fact[20];
  fact[0] = 1;
  for (int i = 1; i < 20; ++i)
    fact[i] = fact[i - 1] * i;
  T t = u * T(4);
  uint32_t k = uint32_t(t);
  T r = t - T(k);
  if (r >= T(0.5)) {
    r = r - T(1);
    k = k + 1;
  }
  T x = r * T(1.5707963267948966);
  T w = x * x;
  auto coeff = [&](int j, int off) {
    return T((j % 2 ? -1.0 : 1.0) / fact[2 * j + off]);
  };
  T ps = coeff(sinTerms - 1, 1);
  for (int j = sinTerms - 2; j >= 0; --j)
    ps = ps * w + coeff(j, 1);
  T pc = coeff(cosTerms - 1, 0);
  for (int j = cosTerms - 2; j >= 0; --j)
    pc = pc * w + coeff(j, 0);
  T sx = x * ps, cx = pc;
  switch (k & 3) {
  case 0:
    return wantSin ? sx : cx;
  case 1:
    return wantSin ? cx : -sx;
  case 2:
    return wantSin ? -sx : -cx;
  default:
    return wantSin ? -cx : sx;
  }
}

float referenceF32(uint64_t seed, uint64_t step, uint32_t site, uint64_t row,
                   uint64_t elem, bool anti) {
  uint64_t pair = anti ? row / 2 : row;
  std::array<uint32_t, 4> x = philox4x32_10(
      {uint32_t(seed), uint32_t(seed >> 32)},
      {uint32_t(elem >> 2), uint32_t(pair), site, uint32_t(step)});
  uint64_t lane = elem & 3;
  uint32_t a = x[2 * (lane >> 1)], b = x[2 * (lane >> 1) + 1];
  float u1 = (float(a >> 9) + 0.5f) * 0x1p-23f;
  float u2 = (float(b >> 9) + 0.5f) * 0x1p-23f;
  float l = referenceLog<float>(u1, 6);
  float r = std::sqrt(-2.0f * l);
  float c = referenceCosSin<float>(u2, lane % 2 == 1, 5, 6);
  float z = r * c;
  return (anti && (row & 1)) ? -z : z;
}

double referenceF64(uint64_t seed, uint64_t step, uint32_t site, uint64_t row,
                    uint64_t elem, bool anti) {
  uint64_t pair = anti ? row / 2 : row;
  std::array<uint32_t, 4> x = philox4x32_10(
      {uint32_t(seed), uint32_t(seed >> 32)},
      {uint32_t(elem >> 2), uint32_t(pair), site, uint32_t(step)});
  uint64_t lane = elem & 3;
  uint32_t a = x[2 * (lane >> 1)], b = x[2 * (lane >> 1) + 1];
  double u1 = (double(a) + 0.5) * 0x1p-32;
  double u2 = (double(b) + 0.5) * 0x1p-32;
  double l = referenceLog<double>(u1, 11);
  double r = std::sqrt(-2.0 * l);
  double c = referenceCosSin<double>(u2, lane % 2 == 1, 9, 10);
  double z = r * c;
  return (anti && (row & 1)) ? -z : z;
}

struct Moments {
  double mean, var, skew, exKurt;
};

template <typename T>
Moments moments(const std::vector<T> &v) {
  double n = static_cast<double>(v.size());
  double s = 0;
  for (T x : v)
    s += x;
  double mean = s / n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (T x : v) {
    double d = static_cast<double>(x) - mean;
    double d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return {mean, m2, m3 / std::pow(m2, 1.5), m4 / (m2 * m2) - 3.0};
}

// 2^20 draws. Standard errors: mean 1e-3, var 1.4e-3, skew 2.4e-3, excess
// kurtosis 4.8e-3; the bounds are >= 4 standard errors.
template <typename T>
void checkMoments(uint64_t seed) {
  const int64_t rows = 1024, elems = 1024;
  std::vector<T> v(rows * elems);
  fillNormal(v.data(), rows, elems, seed, /*step=*/3, /*site=*/1, false);
  Moments m = moments(v);
  EXPECT_LT(std::fabs(m.mean), 0.005);
  EXPECT_LT(std::fabs(m.var - 1.0), 0.01);
  EXPECT_LT(std::fabs(m.skew), 0.02);
  EXPECT_LT(std::fabs(m.exKurt), 0.05);
}

TEST(NormalTest, MomentsF32) { checkMoments<float>(0x5eed0001ull); }
TEST(NormalTest, MomentsF64) { checkMoments<double>(0x5eed0002ull); }

// The library follows the spec literally, bit for bit, including for large
// seeds, steps, rows and elems (truncation to 32-bit counter words).
TEST(NormalTest, MatchesSpecTranscription) {
  const uint64_t seeds[] = {0, 42, 0xfedcba9876543210ull};
  const uint64_t steps[] = {0, 7, 0x100000003ull};
  const uint64_t rowsAt[] = {0, 1, 2, 3, 1000001, 0x1ffffffffull};
  for (uint64_t seed : seeds)
    for (uint64_t step : steps)
      for (uint32_t site : {0u, 5u, 0xffffffffu})
        for (uint64_t row : rowsAt)
          for (uint64_t elem = 0; elem < 24; ++elem)
            for (bool anti : {false, true}) {
              ASSERT_EQ(bits(normalF32(seed, step, site, row, elem, anti)),
                        bits(referenceF32(seed, step, site, row, elem, anti)))
                  << seed << " " << step << " " << site << " " << row << " "
                  << elem << " " << anti;
              ASSERT_EQ(bits(normalF64(seed, step, site, row, elem, anti)),
                        bits(referenceF64(seed, step, site, row, elem, anti)))
                  << seed << " " << step << " " << site << " " << row << " "
                  << elem << " " << anti;
            }
}

// Lanes 2k and 2k+1 are the cos/sin halves of one Box-Muller pair, so
// z0^2 + z1^2 = r^2 = -2 log(u1) of the shared uniform (up to rounding).
TEST(NormalTest, LanePairsShareRadius) {
  for (uint64_t elem = 0; elem < 64; elem += 2) {
    double z0 = normalF64(9, 1, 2, 3, elem, false);
    double z1 = normalF64(9, 1, 2, 3, elem + 1, false);
    std::array<uint32_t, 4> x = philox4x32_10({9u, 0u}, {uint32_t(elem >> 2),
                                                         3u, 2u, 1u});
    double u1 = (double(x[elem & 2]) + 0.5) * 0x1p-32;
    EXPECT_NEAR(z0 * z0 + z1 * z1, -2.0 * std::log(u1), 1e-12) << elem;
  }
}

// Support: f32 uniforms are >= 2^-24, so |z| <= sqrt(-2 log 2^-24) ~ 5.77;
// f64 uniforms are >= 2^-33, so |z| <= ~6.77.
TEST(NormalTest, FiniteAndBounded) {
  std::vector<float> f(256 * 256);
  std::vector<double> d(256 * 256);
  fillNormal(f.data(), 256, 256, 11, 0, 0, false);
  fillNormal(d.data(), 256, 256, 11, 0, 0, false);
  for (size_t i = 0; i < f.size(); ++i) {
    ASSERT_TRUE(std::isfinite(f[i]) && std::fabs(f[i]) < 5.78f) << i;
    ASSERT_TRUE(std::isfinite(d[i]) && std::fabs(d[i]) < 6.78) << i;
  }
}

// The convention's log and cos/sin against libm (in long double) over every
// f32 uniform cell centre of a stride, and random f64 uniforms: a few ulp.
TEST(NormalTest, NoiseMathAccuracy) {
  double worstLog32 = 0, worstTrig32 = 0, worstLog64 = 0, worstTrig64 = 0;
  for (uint32_t c = 0; c < (1u << 23); c += 97) {
    float u = (float(c) + 0.5f) * 0x1p-23f;
    long double lu = u;
    long double l = std::log(lu);
    worstLog32 = std::max<double>(
        worstLog32, std::fabs((noise_math::log(u) - l) / l));
    long double th = 2 * 3.14159265358979323846264338327950288L * lu;
    worstTrig32 = std::max<double>(
        worstTrig32, std::fabs(noise_math::cosSin2Pi(u, false) - std::cos(th)));
    worstTrig32 = std::max<double>(
        worstTrig32, std::fabs(noise_math::cosSin2Pi(u, true) - std::sin(th)));
  }
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200000; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double(uint32_t(state >> 32)) + 0.5) * 0x1p-32;
    long double lu = u;
    long double l = std::log(lu);
    worstLog64 = std::max<double>(
        worstLog64, std::fabs((noise_math::log(u) - l) / l));
    long double th = 2 * 3.14159265358979323846264338327950288L * lu;
    worstTrig64 = std::max<double>(
        worstTrig64, std::fabs(noise_math::cosSin2Pi(u, false) - std::cos(th)));
    worstTrig64 = std::max<double>(
        worstTrig64, std::fabs(noise_math::cosSin2Pi(u, true) - std::sin(th)));
  }
  // f32 ulp is 6e-8 (relative; 2^-24 absolute near 1), f64 ulp 1.1e-16.
  EXPECT_LT(worstLog32, 4e-7) << "f32 log";
  EXPECT_LT(worstTrig32, 4e-7) << "f32 cos/sin";
  EXPECT_LT(worstLog64, 1e-15) << "f64 log";
  EXPECT_LT(worstTrig64, 1e-15) << "f64 cos/sin";
  EXPECT_GT(worstLog32, 0.0) << "the comparison can fail";
}

// Antithetic partners are exact negations: only the sign bit differs.
TEST(NormalTest, AntitheticPartnersNegateExactly) {
  const uint64_t seed = 0xabcdef0123ull;
  for (uint64_t k = 0; k < 256; ++k)
    for (uint64_t e = 0; e < 64; ++e) {
      float f0 = normalF32(seed, 4, 2, 2 * k, e, true);
      float f1 = normalF32(seed, 4, 2, 2 * k + 1, e, true);
      ASSERT_EQ(bits(f1), bits(f0) ^ 0x80000000u) << k << " " << e;
      double d0 = normalF64(seed, 4, 2, 2 * k, e, true);
      double d1 = normalF64(seed, 4, 2, 2 * k + 1, e, true);
      ASSERT_EQ(bits(d1), bits(d0) ^ 0x8000000000000000ull) << k << " " << e;
    }
}

// The even row of antithetic pair k is the plain stream's row k.
TEST(NormalTest, AntitheticEvenRowIsPlainPairRow) {
  for (uint64_t k = 0; k < 64; ++k)
    for (uint64_t e = 0; e < 16; ++e) {
      ASSERT_EQ(bits(normalF32(5, 6, 7, 2 * k, e, true)),
                bits(normalF32(5, 6, 7, k, e, false)));
      ASSERT_EQ(bits(normalF64(5, 6, 7, 2 * k, e, true)),
                bits(normalF64(5, 6, 7, k, e, false)));
    }
}

TEST(NormalTest, PlainOddRowsAreNotNegations) {
  int negations = 0, total = 0;
  for (uint64_t k = 0; k < 256; ++k)
    for (uint64_t e = 0; e < 64; ++e, ++total) {
      float f0 = normalF32(1, 0, 0, 2 * k, e, false);
      float f1 = normalF32(1, 0, 0, 2 * k + 1, e, false);
      negations += (f1 == -f0);
    }
  EXPECT_EQ(negations, 0) << "of " << total;
}

/// Fraction of a 64x64 block that is bitwise identical between two streams.
template <typename F>
double sameFraction(F a, F b) {
  int same = 0, total = 0;
  for (uint64_t r = 0; r < 64; ++r)
    for (uint64_t e = 0; e < 64; ++e, ++total)
      same += bits(a(r, e)) == bits(b(r, e));
  return static_cast<double>(same) / total;
}

TEST(NormalTest, DistinctStreams) {
  using Fn = std::function<float(uint64_t, uint64_t)>;
  auto stream = [](uint64_t seed, uint64_t step, uint32_t site) -> Fn {
    return [=](uint64_t r, uint64_t e) {
      return normalF32(seed, step, site, r, e, false);
    };
  };
  Fn base = stream(100, 10, 3);
  // A stream compared with itself is identical (the metric can fail).
  EXPECT_EQ(sameFraction(base, stream(100, 10, 3)), 1.0);
  EXPECT_LT(sameFraction(base, stream(100, 10, 4)), 0.001) << "site";
  EXPECT_LT(sameFraction(base, stream(100, 11, 3)), 0.001) << "step";
  EXPECT_LT(sameFraction(base, stream(101, 10, 3)), 0.001) << "seed lo";
  EXPECT_LT(sameFraction(base, stream(100 + (1ull << 32), 10, 3)), 0.001)
      << "seed hi";
  // Shifting the row index by one gives a different block too.
  Fn shifted = [](uint64_t r, uint64_t e) {
    return normalF32(100, 10, 3, r + 1, e, false);
  };
  EXPECT_LT(sameFraction(base, shifted), 0.001) << "row";
  Fn f64 = [](uint64_t r, uint64_t e) {
    return float(normalF64(100, 10, 3, r, e, false));
  };
  Fn f64site = [](uint64_t r, uint64_t e) {
    return float(normalF64(100, 10, 4, r, e, false));
  };
  EXPECT_LT(sameFraction(f64, f64site), 0.001) << "f64 site";
}

TEST(NormalTest, FillMatchesElementwise) {
  const int64_t rows = 37, elems = 23;
  for (bool anti : {false, true}) {
    std::vector<float> f(rows * elems);
    std::vector<double> d(rows * elems);
    fillNormal(f.data(), rows, elems, 77, 2, 9, anti);
    fillNormal(d.data(), rows, elems, 77, 2, 9, anti);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t e = 0; e < elems; ++e) {
        ASSERT_EQ(bits(f[r * elems + e]), bits(normalF32(77, 2, 9, r, e, anti)))
            << r << " " << e;
        ASSERT_EQ(bits(d[r * elems + e]), bits(normalF64(77, 2, 9, r, e, anti)))
            << r << " " << e;
      }
  }
}

// The memref entry points use (dim 0, dim 1) indices as (row, elem) and
// honour offset and strides (here a transposed view inside a larger buffer).
TEST(NormalTest, MemRefFillHonoursStrides) {
  const int64_t rows = 5, elems = 3, offset = 4;
  std::vector<float> fbuf(offset + rows * elems + 4, 123.0f);
  std::vector<double> dbuf(offset + rows * elems + 4, 123.0);
  // Column-major view: element (r, e) at offset + e * rows + r.
  StridedMemRefType<float, 2> fm{fbuf.data(), fbuf.data(), offset,
                                 {rows, elems}, {1, rows}};
  StridedMemRefType<double, 2> dm{dbuf.data(), dbuf.data(), offset,
                                  {rows, elems}, {1, rows}};
  const int64_t seed = -5; // Reinterpreted as uint64.
  _mlir_ciface_flops_rt_fill_normal_f32(&fm, seed, 8, 3, 1);
  _mlir_ciface_flops_rt_fill_normal_f64(&dm, seed, 8, 3, 1);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < elems; ++e) {
      size_t at = offset + e * rows + r;
      EXPECT_EQ(bits(fbuf[at]),
                bits(normalF32(uint64_t(seed), 8, 3, r, e, true)));
      EXPECT_EQ(bits(dbuf[at]),
                bits(normalF64(uint64_t(seed), 8, 3, r, e, true)));
    }
  for (int64_t i = 0; i < offset; ++i) {
    EXPECT_EQ(fbuf[i], 123.0f);
    EXPECT_EQ(dbuf[i], 123.0);
  }
  for (size_t i = offset + rows * elems; i < fbuf.size(); ++i) {
    EXPECT_EQ(fbuf[i], 123.0f);
    EXPECT_EQ(dbuf[i], 123.0);
  }
}

TEST(NormalTest, PlainCWrappersMatch) {
  EXPECT_EQ(bits(flops_rt_normal_f32(3, 4, 5, 6, 7, 1)),
            bits(normalF32(3, 4, 5, 6, 7, true)));
  EXPECT_EQ(bits(flops_rt_normal_f64(3, 4, 5, 6, 7, 0)),
            bits(normalF64(3, 4, 5, 6, 7, false)));
  float f[6];
  flops_rt_fill_normal_f32(f, 2, 3, 3, 4, 5, 0);
  EXPECT_EQ(bits(f[5]), bits(normalF32(3, 4, 5, 1, 2, false)));
}

} // namespace

// Known answers produced by the MLIR-generated sampler (flops.normal lowered
// by flops-to-linalg, printed as bit patterns by
// test/Integration/CPU/runtime-agreement.mlir): seed 0x0123456789abcdef,
// step 3000000000, site 7, antithetic, rows 0-1, elements 0-4 of row 0 and
// element 0 of row 1.
TEST(NormalTest, NormalKnownAnswers) {
  const uint64_t seed = 0x0123456789abcdefull, step = 3000000000ull;
  const uint32_t f32Row0[5] = {3201285644u, 1067157412u, 1060449801u,
                               1035698877u, 3206543522u};
  const int64_t f64Row0[2] = {-4622391129116987503ll, 4608151038873841325ll};
  for (uint64_t e = 0; e < 5; ++e) {
    float z = normalF32(seed, step, 7, 0, e, true);
    uint32_t bits;
    std::memcpy(&bits, &z, sizeof bits);
    EXPECT_EQ(bits, f32Row0[e]) << "f32 element " << e;
  }
  for (uint64_t e = 0; e < 2; ++e) {
    double z = normalF64(seed, step, 7, 0, e, true);
    int64_t bits;
    std::memcpy(&bits, &z, sizeof bits);
    EXPECT_EQ(bits, f64Row0[e]) << "f64 element " << e;
  }
  float z1 = normalF32(seed, step, 7, 1, 0, true);
  uint32_t b1;
  std::memcpy(&b1, &z1, sizeof b1);
  EXPECT_EQ(b1, 1053801996u);
  double d1 = normalF64(seed, step, 7, 1, 0, true);
  int64_t db1;
  std::memcpy(&db1, &d1, sizeof db1);
  EXPECT_EQ(db1, 4600980907737788305ll);
}
