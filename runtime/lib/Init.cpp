//===- Init.cpp - Seeded parameter initialisers ---------------------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Init.h"
#include "flops/Runtime/Philox.h"

#include <cmath>
#include <limits>

using namespace flops::rt;

namespace {

constexpr uint32_t kInitTag = 0x696E6974;   // "init"
constexpr uint32_t kGlorotTag = 0x476C6F72; // "Glor"

void setError(std::string *error, std::string msg) {
  if (error)
    *error = std::move(msg);
}

std::array<uint32_t, 2> keyOf(uint64_t seed) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}

} // namespace

bool flops::rt::computeFans(const std::vector<int64_t> &shape, Fans *out,
                            std::string *error) {
  if (shape.size() < 2) {
    setError(error, "a rank-" + std::to_string(shape.size()) +
                        " tensor has no fan-in/fan-out (He and Glorot need a "
                        "2-D in x out or a F x C x K... weight; use zeros for "
                        "biases)");
    return false;
  }
  for (int64_t d : shape)
    if (d <= 0) {
      setError(error, "weight shape " + shapeToString(shape) +
                          " has a non-positive extent");
      return false;
    }
  if (shape.size() == 2) {
    out->fanIn = shape[0];
    out->fanOut = shape[1];
    return true;
  }
  int64_t receptive = 1;
  const int64_t limit = std::numeric_limits<int64_t>::max();
  for (size_t i = 2; i < shape.size(); ++i) {
    if (receptive > limit / shape[i]) {
      setError(error, "weight shape " + shapeToString(shape) + " overflows");
      return false;
    }
    receptive *= shape[i];
  }
  if (receptive > limit / shape[0] || receptive > limit / shape[1]) {
    setError(error, "weight shape " + shapeToString(shape) + " overflows");
    return false;
  }
  out->fanIn = shape[1] * receptive;
  out->fanOut = shape[0] * receptive;
  return true;
}

double flops::rt::heStd(const Fans &f) {
  return std::sqrt(2.0 / static_cast<double>(f.fanIn));
}

double flops::rt::glorotLimit(const Fans &f) {
  return std::sqrt(6.0 / (static_cast<double>(f.fanIn) +
                          static_cast<double>(f.fanOut)));
}

uint64_t flops::rt::initSeed(uint64_t seed) {
  std::array<uint32_t, 4> w = philox4x32_10(keyOf(seed), {kInitTag, 0, 0, 0});
  return uint64_t(w[0]) | uint64_t(w[1]) << 32;
}

void flops::rt::fillHeNormal(float *out, int64_t n, const Fans &f,
                             uint64_t seed, uint32_t stream) {
  const float sd = static_cast<float>(heStd(f));
  const uint64_t s = initSeed(seed);
  for (int64_t i = 0; i < n; ++i)
    out[i] = sd * normalF32(s, 0, stream, 0, static_cast<uint64_t>(i), false);
}

void flops::rt::fillGlorotUniform(float *out, int64_t n, const Fans &f,
                                  uint64_t seed, uint32_t stream) {
  const double limit = glorotLimit(f);
  const std::array<uint32_t, 2> key = keyOf(initSeed(seed));
  std::array<uint32_t, 4> block{};
  for (int64_t i = 0; i < n; ++i) {
    uint64_t b = static_cast<uint64_t>(i) >> 2;
    if ((i & 3) == 0)
      block = philox4x32_10(key, {static_cast<uint32_t>(b),
                                  static_cast<uint32_t>(b >> 32), stream,
                                  kGlorotTag});
    // 24-bit uniform at a cell centre: exact in double, strictly in (0, 1).
    double u = (static_cast<double>(block[i & 3] >> 8) + 0.5) * 0x1p-24;
    out[i] = static_cast<float>((2.0 * u - 1.0) * limit);
  }
}

bool flops::rt::parseInitKind(const std::string &name, InitKind *out,
                              std::string *error) {
  if (name == "zeros" || name == "zero")
    *out = InitKind::Zeros;
  else if (name == "he" || name == "kaiming" || name == "he_normal")
    *out = InitKind::HeNormal;
  else if (name == "glorot" || name == "xavier" || name == "glorot_uniform")
    *out = InitKind::GlorotUniform;
  else {
    setError(error, "unknown initialiser \"" + name +
                        "\" (expected zeros, he or glorot)");
    return false;
  }
  return true;
}

bool flops::rt::initParameter(InitKind kind, const std::vector<int64_t> &shape,
                              uint64_t seed, uint32_t stream, Tensor *out,
                              std::string *error) {
  Fans f;
  if (kind != InitKind::Zeros && !computeFans(shape, &f, error))
    return false;
  Tensor t;
  if (!makeTensor(DType::F32, shape, &t, error))
    return false;
  if (kind == InitKind::HeNormal)
    fillHeNormal(t.data<float>(), t.numElements(), f, seed, stream);
  else if (kind == InitKind::GlorotUniform)
    fillGlorotUniform(t.data<float>(), t.numElements(), f, seed, stream);
  *out = std::move(t);
  return true;
}
