//===- Philox.cpp - Philox4x32-10 and counter-based normals ---------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// Compiled with -ffp-contract=off: the normal sampler must round exactly like
// the arith/math code the compiler generates, one operation at a time. Its
// log and cos/sin are the convention's own (NoiseMath.h), not libm's.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Philox.h"
#include "flops/Runtime/NoiseMath.h"

#include <cmath>

using namespace flops::rt;

namespace {

struct HiLo {
  uint32_t hi;
  uint32_t lo;
};

inline HiLo mulhilo32(uint32_t a, uint32_t b) {
  uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  return {static_cast<uint32_t>(p >> 32), static_cast<uint32_t>(p)};
}

/// The Philox counter words feeding one draw, and which half of the block
/// output it uses.
struct DrawSite {
  std::array<uint32_t, 4> x; // Philox output block.
  uint32_t a;                // First uniform source word.
  uint32_t b;                // Second uniform source word.
  bool useCos;               // Even lane: cos branch; odd lane: sin branch.
  bool negate;               // Odd row of an antithetic pair.
};

DrawSite locateDraw(uint64_t seed, uint64_t step, uint32_t site, uint64_t row,
                    uint64_t elem, bool antithetic) {
  uint64_t pair = antithetic ? row / 2 : row;
  DrawSite d;
  d.negate = antithetic && (row & 1);
  std::array<uint32_t, 2> key = {static_cast<uint32_t>(seed),
                                 static_cast<uint32_t>(seed >> 32)};
  std::array<uint32_t, 4> ctr = {static_cast<uint32_t>(elem >> 2),
                                 static_cast<uint32_t>(pair), site,
                                 static_cast<uint32_t>(step)};
  d.x = philox4x32_10(key, ctr);
  unsigned lane = static_cast<unsigned>(elem & 3);
  unsigned m = lane >> 1;
  d.a = d.x[2 * m];
  d.b = d.x[2 * m + 1];
  d.useCos = (lane & 1) == 0;
  return d;
}

} // namespace

std::array<uint32_t, 4> flops::rt::philox4x32_10(std::array<uint32_t, 2> key,
                                                 std::array<uint32_t, 4> ctr) {
  for (int round = 0; round < 10; ++round) {
    if (round != 0) {
      key[0] += kPhiloxW0;
      key[1] += kPhiloxW1;
    }
    HiLo p0 = mulhilo32(kPhiloxM0, ctr[0]);
    HiLo p1 = mulhilo32(kPhiloxM1, ctr[2]);
    ctr = {p1.hi ^ ctr[1] ^ key[0], p1.lo, p0.hi ^ ctr[3] ^ key[1], p0.lo};
  }
  return ctr;
}

float flops::rt::normalF32(uint64_t seed, uint64_t step, uint32_t site,
                           uint64_t row, uint64_t elem, bool antithetic) {
  DrawSite d = locateDraw(seed, step, site, row, elem, antithetic);
  // 23-bit uniforms at the centres of 2^23 equal cells: exact, in (0, 1).
  float ua = static_cast<float>(d.a >> 9);
  float ub = static_cast<float>(d.b >> 9);
  ua = ua + 0.5f;
  ub = ub + 0.5f;
  float u1 = ua * 0x1p-23f;
  float u2 = ub * 0x1p-23f;
  float lg = noise_math::log(u1);
  float t = -2.0f * lg;
  float r = std::sqrt(t);
  float trig = noise_math::cosSin2Pi(u2, !d.useCos);
  float z = r * trig;
  return d.negate ? -z : z;
}

double flops::rt::normalF64(uint64_t seed, uint64_t step, uint32_t site,
                            uint64_t row, uint64_t elem, bool antithetic) {
  DrawSite d = locateDraw(seed, step, site, row, elem, antithetic);
  // 32-bit uniforms at the centres of 2^32 equal cells: exact, in (0, 1).
  double ua = static_cast<double>(d.a);
  double ub = static_cast<double>(d.b);
  ua = ua + 0.5;
  ub = ub + 0.5;
  double u1 = ua * 0x1p-32;
  double u2 = ub * 0x1p-32;
  double lg = noise_math::log(u1);
  double t = -2.0 * lg;
  double r = std::sqrt(t);
  double trig = noise_math::cosSin2Pi(u2, !d.useCos);
  double z = r * trig;
  return d.negate ? -z : z;
}

double flops::rt::uniformF64(uint64_t seed, uint64_t step, uint32_t site,
                             uint64_t row, uint64_t elem) {
  std::array<uint32_t, 2> key = {static_cast<uint32_t>(seed),
                                 static_cast<uint32_t>(seed >> 32)};
  std::array<uint32_t, 4> ctr = {static_cast<uint32_t>(elem >> 2),
                                 static_cast<uint32_t>(row), site,
                                 static_cast<uint32_t>(step)};
  uint32_t w = philox4x32_10(key, ctr)[elem & 3];
  double u = static_cast<double>(w) + 0.5;
  return u * 0x1p-32;
}

void flops::rt::fillNormal(float *out, int64_t rows, int64_t rowElems,
                           uint64_t seed, uint64_t step, uint32_t site,
                           bool antithetic) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < rowElems; ++e)
      out[r * rowElems + e] =
          normalF32(seed, step, site, static_cast<uint64_t>(r),
                    static_cast<uint64_t>(e), antithetic);
}

void flops::rt::fillNormal(double *out, int64_t rows, int64_t rowElems,
                           uint64_t seed, uint64_t step, uint32_t site,
                           bool antithetic) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < rowElems; ++e)
      out[r * rowElems + e] =
          normalF64(seed, step, site, static_cast<uint64_t>(r),
                    static_cast<uint64_t>(e), antithetic);
}
