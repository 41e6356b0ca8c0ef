//===- Philox.h - Philox4x32-10 and counter-based normals -------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11) and the counter-based
// Box-Muller normal sampler used by FLOPS. The compiler emits the same sampler
// as arith/math code; both must agree bit for bit, so the operation order in
// the implementation is part of the contract.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_PHILOX_H
#define FLOPS_RUNTIME_PHILOX_H

#include <array>
#include <cstdint>

namespace flops {
namespace rt {

/// Philox round multipliers and key (Weyl) increments.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

/// The Philox4x32 block function with 10 rounds.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 2> key,
                                      std::array<uint32_t, 4> ctr);

/// One standard normal draw addressed by (seed, step, site, row, elem).
///
/// With `antithetic`, rows 2k and 2k+1 share the Philox counter of pair k and
/// row 2k+1 is the exact negation of row 2k.
float normalF32(uint64_t seed, uint64_t step, uint32_t site, uint64_t row,
                uint64_t elem, bool antithetic);
double normalF64(uint64_t seed, uint64_t step, uint32_t site, uint64_t row,
                 uint64_t elem, bool antithetic);

/// One uniform draw in (0, 1) addressed by (seed, step, site, row, elem): word
/// `elem & 3` of philox4x32_10(key = (lo32(seed), hi32(seed)), counter =
/// (lo32(elem >> 2), lo32(row), site, lo32(step))) taken to the centre of its
/// cell, (w + 0.5) * 2^-32. Exact (integer work, one add and one multiply by a
/// power of two), so identical on every IEEE machine. Give each consumer its
/// own `site` so its stream never overlaps the training noise.
double uniformF64(uint64_t seed, uint64_t step, uint32_t site, uint64_t row,
                  uint64_t elem);

/// Row-major fill: out[r * rowElems + e] = normalF32(seed, step, site, r, e,
/// antithetic) for r < rows, e < rowElems.
void fillNormal(float *out, int64_t rows, int64_t rowElems, uint64_t seed,
                uint64_t step, uint32_t site, bool antithetic);
void fillNormal(double *out, int64_t rows, int64_t rowElems, uint64_t seed,
                uint64_t step, uint32_t site, bool antithetic);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_PHILOX_H
