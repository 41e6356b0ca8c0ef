//===- NoiseMath.h - the sampler's own log and sin/cos ----------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// The Box-Muller transform of the noise convention needs log(u1) for u1 in
// (0, 1) and cos/sin(2*pi*u2) for u2 in (0, 1). libm's versions cannot be
// vectorised by the compiler (they become one call per lane) and differ
// between libm builds, so the convention defines its own: a fixed sequence
// of IEEE operations that the compiler emits as arith ops
// (lib/Conversion/FlopsToLinalg/CounterNoise.cpp) and that this header
// evaluates in C++. Both must perform the same operations in the same order
// with no contraction (the runtime is compiled with -ffp-contract=off), so
// the two agree bit for bit.
//
//   log(u):  u = 2^e * m with m in [1, 2); if m > sqrt(2): m /= 2, e += 1;
//            f = m - 1, s = f / (f + 2), log(m) = 2 atanh(s)
//            = s * P(s^2) with P(w) = sum_k 2/(2k+1) w^k (Horner, highest
//            first); log(u) = e * ln2 + log(m).
//            |s| <= 0.1716: the truncated series is below 1 ulp
//            (6 terms in f32, 11 in f64).
//   cos/sin(2*pi*u):  t = 4u (exact), k = trunc(t), r = t - k (exact);
//            if r >= 1/2: r -= 1, k += 1; x = r * pi/2 in [-pi/4, pi/4);
//            sin x = x * S(x^2), cos x = C(x^2) (Taylor, Horner);
//            quadrant k mod 4 picks +-sin x or +-cos x.
//            f32: S to x^9, C to x^10; f64: S to x^17, C to x^18.
//
// Accuracy against libm (unittests/Runtime/NormalTest.cpp): a few ulp.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_NOISEMATH_H
#define FLOPS_RUNTIME_NOISEMATH_H

#include <cstdint>
#include <cstring>

namespace flops::rt::noise_math {

/// 2/(2k+1), k = 0..10: log(m) = s * sum_k c_k s^(2k).
inline constexpr double kLogCoeffs[11] = {
    2.0,        2.0 / 3.0,  2.0 / 5.0,  2.0 / 7.0,  2.0 / 9.0,  2.0 / 11.0,
    2.0 / 13.0, 2.0 / 15.0, 2.0 / 17.0, 2.0 / 19.0, 2.0 / 21.0};
/// (-1)^j / (2j+1)!, j = 0..8.
inline constexpr double kSinCoeffs[9] = {
    1.0,
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5040.0,
    1.0 / 362880.0,
    -1.0 / 39916800.0,
    1.0 / 6227020800.0,
    -1.0 / 1307674368000.0,
    1.0 / 355687428096000.0};
/// (-1)^j / (2j)!, j = 0..9.
inline constexpr double kCosCoeffs[10] = {
    1.0,
    -1.0 / 2.0,
    1.0 / 24.0,
    -1.0 / 720.0,
    1.0 / 40320.0,
    -1.0 / 3628800.0,
    1.0 / 479001600.0,
    -1.0 / 87178291200.0,
    1.0 / 20922789888000.0,
    -1.0 / 6402373705728000.0};
inline constexpr double kLn2 = 0.6931471805599453;
inline constexpr double kSqrt2 = 1.4142135623730951;
inline constexpr double kHalfPi = 1.5707963267948966;

/// How many coefficients of each series the precision uses.
template <typename T>
struct Terms;
template <>
struct Terms<float> {
  static constexpr int log = 6, sin = 5, cos = 6;
};
template <>
struct Terms<double> {
  static constexpr int log = 11, sin = 9, cos = 10;
};

/// Horner evaluation of sum_{j<n} c_j w^j, highest coefficient first.
template <typename T>
inline T horner(const double *c, int n, T w) {
  T p = static_cast<T>(c[n - 1]);
  for (int j = n - 2; j >= 0; --j) {
    p = p * w;
    p = p + static_cast<T>(c[j]);
  }
  return p;
}

/// log(u) for a normal (not subnormal) u in (0, 1).
template <typename T>
inline T log(T u) {
  int32_t e;
  T m;
  if constexpr (sizeof(T) == 4) {
    uint32_t i;
    std::memcpy(&i, &u, 4);
    e = static_cast<int32_t>(i >> 23) - 127;
    uint32_t mi = (i & 0x007fffffu) | 0x3f800000u;
    std::memcpy(&m, &mi, 4);
  } else {
    uint64_t i;
    std::memcpy(&i, &u, 8);
    e = static_cast<int32_t>(static_cast<uint32_t>(i >> 52)) - 1023;
    uint64_t mi = (i & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    std::memcpy(&m, &mi, 8);
  }
  if (m > static_cast<T>(kSqrt2)) {
    m = m * static_cast<T>(0.5);
    e = e + 1;
  }
  T f = m - static_cast<T>(1.0);
  T s = f / (f + static_cast<T>(2.0));
  T w = s * s;
  T logm = s * horner<T>(kLogCoeffs, Terms<T>::log, w);
  T el = static_cast<T>(e) * static_cast<T>(kLn2);
  return el + logm;
}

/// cos(2*pi*u) (wantSin false) or sin(2*pi*u) (wantSin true), u in (0, 1).
template <typename T>
inline T cosSin2Pi(T u, bool wantSin) {
  T t = u * static_cast<T>(4.0);
  uint32_t k = static_cast<uint32_t>(t);
  T r = t - static_cast<T>(k);
  if (r >= static_cast<T>(0.5)) {
    r = r - static_cast<T>(1.0);
    k = k + 1;
  }
  T x = r * static_cast<T>(kHalfPi);
  T w = x * x;
  T sx = x * horner<T>(kSinCoeffs, Terms<T>::sin, w);
  T cx = horner<T>(kCosCoeffs, Terms<T>::cos, w);
  uint32_t q = k & 3u;
  // cos: (c, -s, -c, s); sin: (s, c, -s, -c) over q = 0..3.
  bool useSin = ((q & 1u) != 0) != wantSin;
  bool negate = ((q + (wantSin ? 0u : 1u)) & 2u) != 0;
  T v = useSin ? sx : cx;
  return negate ? -v : v;
}

} // namespace flops::rt::noise_math

#endif // FLOPS_RUNTIME_NOISEMATH_H
