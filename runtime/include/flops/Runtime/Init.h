//===- Init.h - Seeded parameter initialisers -------------------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// He (Kaiming normal) and Glorot (Xavier uniform) initialisers driven by the
// runtime's Philox4x32-10, so a (seed, stream) pair gives the same weights on
// every machine with the same libm (the normals use logf/cosf/sinf exactly as
// the noise sampler does; the uniforms use integer arithmetic and one double
// multiply only).
//
// Fan convention:
//   rank 2, in x out (the W of x . W):      fan_in = in, fan_out = out
//   rank >= 3, F x C x K... (conv, NCHW):   fan_in = C * prod(K),
//                                           fan_out = F * prod(K)
// Other ranks have no fans (biases, rank 1, are initialised with zeros).
//
// Streams: element i of the tensor initialised with (seed, stream) is
//   He:     std * normalF32(initSeed(seed), 0, stream, 0, i, false)
//   Glorot: limit * (2u - 1), u = ((w >> 8) + 0.5) * 2^-24 from word i % 4 of
//           philox4x32_10(initKey(seed), {lo32(i/4), hi32(i/4), stream,
//           0x476C6F72 /* "Glor" */})
// where initSeed(seed) = the first two words of philox4x32_10(key(seed),
// {0x696E6974 /* "init" */, 0, 0, 0}) (lo, hi) and initKey its two words,
// so initialisation never reuses a counter of the training noise streams
// keyed by `seed` itself. Use a distinct `stream` per parameter tensor.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_INIT_H
#define FLOPS_RUNTIME_INIT_H

#include "flops/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flops {
namespace rt {

struct Fans {
  int64_t fanIn = 0;
  int64_t fanOut = 0;
};

/// Fans of a weight shape under the convention above. False (with a
/// message) for ranks 0 and 1, non-positive extents or overflow.
bool computeFans(const std::vector<int64_t> &shape, Fans *out,
                 std::string *error = nullptr);

/// sqrt(2 / fan_in).
double heStd(const Fans &f);
/// sqrt(6 / (fan_in + fan_out)).
double glorotLimit(const Fans &f);

/// The 64-bit seed of the initialisation streams derived from `seed`.
uint64_t initSeed(uint64_t seed);

/// Raw fills of n elements.
void fillHeNormal(float *out, int64_t n, const Fans &f, uint64_t seed,
                  uint32_t stream);
void fillGlorotUniform(float *out, int64_t n, const Fans &f, uint64_t seed,
                       uint32_t stream);

enum class InitKind { Zeros, HeNormal, GlorotUniform };

/// Parses "zeros", "he" (also "kaiming", "he_normal"), "glorot" (also
/// "xavier", "glorot_uniform").
bool parseInitKind(const std::string &name, InitKind *out,
                   std::string *error = nullptr);

/// Makes an F32 tensor of `shape` initialised with `kind`. He and Glorot
/// need a shape with fans (rank >= 2); Zeros accepts any shape.
bool initParameter(InitKind kind, const std::vector<int64_t> &shape,
                   uint64_t seed, uint32_t stream, Tensor *out,
                   std::string *error = nullptr);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_INIT_H
