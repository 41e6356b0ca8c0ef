//===- InitTest.cpp - Seeded He / Glorot initialisers ---------------------===//

#include "flops/Runtime/Init.h"
#include "flops/Runtime/Philox.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

struct Moments {
  double mean, stddev, maxAbs;
};

Moments moments(const Tensor &t) {
  const float *v = t.data<float>();
  int64_t n = t.numElements();
  double s = 0, s2 = 0, m = 0;
  for (int64_t i = 0; i < n; ++i) {
    s += v[i];
    s2 += double(v[i]) * v[i];
    m = std::max(m, std::fabs(double(v[i])));
  }
  double mean = s / n;
  return {mean, std::sqrt(s2 / n - mean * mean), m};
}

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(Init, FanConventions) {
  Fans f;
  std::string err;
  ASSERT_TRUE(computeFans({784, 128}, &f, &err)) << err; // x . W, in x out.
  EXPECT_EQ(f.fanIn, 784);
  EXPECT_EQ(f.fanOut, 128);
  ASSERT_TRUE(computeFans({32, 3, 5, 5}, &f, &err)) << err; // F x C x KH x KW.
  EXPECT_EQ(f.fanIn, 3 * 25);
  EXPECT_EQ(f.fanOut, 32 * 25);
  ASSERT_TRUE(computeFans({16, 8, 3}, &f, &err)) << err; // Conv1d.
  EXPECT_EQ(f.fanIn, 24);
  EXPECT_EQ(f.fanOut, 48);
  EXPECT_FALSE(computeFans({10}, &f, &err));
  EXPECT_TRUE(contains(err, "rank-1")) << err;
  EXPECT_TRUE(contains(err, "zeros for biases")) << err;
  EXPECT_FALSE(computeFans({}, &f, &err));
  EXPECT_FALSE(computeFans({0, 4}, &f, &err));
  EXPECT_TRUE(contains(err, "non-positive")) << err;
  EXPECT_FALSE(computeFans({int64_t(1) << 40, 1, int64_t(1) << 40}, &f, &err));
  EXPECT_TRUE(contains(err, "overflows")) << err;
  EXPECT_DOUBLE_EQ(heStd({50, 7}), 0.2);
  EXPECT_DOUBLE_EQ(glorotLimit({100, 50}), 0.2);
}

TEST(Init, HeNormalStatistics) {
  // 784 x 256 = 200704 draws; std of the sample std is ~0.16%, so 2% is a
  // 12-sigma band that still catches a wrong fan (e.g. fan_out: 75% off).
  Tensor w;
  std::string err;
  ASSERT_TRUE(initParameter(InitKind::HeNormal, {784, 256}, 7, 0, &w, &err))
      << err;
  double expected = std::sqrt(2.0 / 784.0);
  Moments m = moments(w);
  EXPECT_NEAR(m.stddev / expected, 1.0, 0.02) << m.stddev;
  EXPECT_NEAR(m.mean, 0.0, 5 * expected / std::sqrt(784.0 * 256.0));
  EXPECT_GT(m.maxAbs, 3.5 * expected); // Gaussian tails, not a uniform.
  // A conv weight: fan_in = C*KH*KW = 288.
  Tensor c;
  ASSERT_TRUE(initParameter(InitKind::HeNormal, {128, 32, 3, 3}, 7, 1, &c, &err))
      << err;
  EXPECT_NEAR(moments(c).stddev / std::sqrt(2.0 / 288.0), 1.0, 0.02);
}

TEST(Init, GlorotUniformBoundsAndVariance) {
  Tensor w;
  std::string err;
  ASSERT_TRUE(initParameter(InitKind::GlorotUniform, {500, 300}, 11, 3, &w, &err))
      << err;
  double limit = std::sqrt(6.0 / 800.0);
  float flimit = static_cast<float>(limit);
  const float *v = w.data<float>();
  int64_t n = w.numElements();
  int64_t neg = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_LE(std::fabs(v[i]), flimit) << i;
    neg += v[i] < 0;
  }
  Moments m = moments(w);
  EXPECT_GT(m.maxAbs, 0.999 * limit);
  // Uniform(-a, a): variance a^2 / 3; sample-variance noise ~0.3%.
  EXPECT_NEAR(m.stddev * m.stddev / (limit * limit / 3.0), 1.0, 0.02);
  EXPECT_NEAR(double(neg) / double(n), 0.5, 0.01);
  // Conv: fan_in + fan_out = (16 + 8) * 9.
  Tensor c;
  ASSERT_TRUE(initParameter(InitKind::GlorotUniform, {16, 8, 3, 3}, 11, 4, &c, &err));
  EXPECT_LE(moments(c).maxAbs, std::sqrt(6.0 / (24.0 * 9.0)) + 1e-7);
}

TEST(Init, DeterministicPerSeedAndStream) {
  for (InitKind k : {InitKind::HeNormal, InitKind::GlorotUniform}) {
    Tensor a, b, otherStream, otherSeed;
    ASSERT_TRUE(initParameter(k, {64, 33}, 2024, 5, &a));
    ASSERT_TRUE(initParameter(k, {64, 33}, 2024, 5, &b));
    ASSERT_TRUE(initParameter(k, {64, 33}, 2024, 6, &otherStream));
    ASSERT_TRUE(initParameter(k, {64, 33}, 2025, 5, &otherSeed));
    EXPECT_EQ(a.bytes, b.bytes);
    EXPECT_NE(a.bytes, otherStream.bytes);
    EXPECT_NE(a.bytes, otherSeed.bytes);
    // Element i does not depend on the tensor's size (a prefix property).
    Tensor small;
    ASSERT_TRUE(initParameter(k, {64, 10}, 2024, 5, &small));
    Fans big{64, 33}, sm{64, 10};
    if (k == InitKind::HeNormal) {
      // Same fan_in, same scale: the draws agree bit for bit.
      EXPECT_EQ(0, std::memcmp(small.raw(), a.raw(), small.bytes.size()));
    } else {
      // Different fans scale differently; compare the unit-scaled draws.
      for (int i = 0; i < 640; ++i)
        EXPECT_NEAR(small.data<float>()[i] / glorotLimit(sm),
                    a.data<float>()[i] / glorotLimit(big), 1e-6);
    }
  }
}

TEST(Init, MatchesTheDocumentedStreams) {
  // Transcription of Init.h's stream definition.
  const uint64_t seed = 0x0123456789ABCDEFull;
  const uint32_t stream = 9;
  std::array<uint32_t, 4> w = philox4x32_10(
      {uint32_t(seed), uint32_t(seed >> 32)}, {0x696E6974u, 0, 0, 0});
  uint64_t derived = uint64_t(w[0]) | uint64_t(w[1]) << 32;
  EXPECT_EQ(initSeed(seed), derived);

  Fans f{20, 10};
  std::vector<float> he(37), gl(37);
  fillHeNormal(he.data(), 37, f, seed, stream);
  fillGlorotUniform(gl.data(), 37, f, seed, stream);
  float sd = static_cast<float>(std::sqrt(2.0 / 20.0));
  double limit = std::sqrt(6.0 / 30.0);
  for (uint64_t i = 0; i < 37; ++i) {
    EXPECT_EQ(bitsOf(he[i]),
              bitsOf(sd * normalF32(derived, 0, stream, 0, i, false)))
        << i;
    std::array<uint32_t, 4> blk = philox4x32_10(
        {uint32_t(derived), uint32_t(derived >> 32)},
        {uint32_t(i / 4), uint32_t((i / 4) >> 32), stream, 0x476C6F72u});
    double u = (double(blk[i % 4] >> 8) + 0.5) / 16777216.0;
    EXPECT_EQ(bitsOf(gl[i]), bitsOf(float((2 * u - 1) * limit))) << i;
  }
}

TEST(Init, ZerosAndErrors) {
  Tensor b;
  std::string err;
  ASSERT_TRUE(initParameter(InitKind::Zeros, {10}, 1, 0, &b, &err)) << err;
  EXPECT_EQ(b.shape, std::vector<int64_t>{10});
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(b.data<float>()[i], 0.0f);
  EXPECT_FALSE(initParameter(InitKind::HeNormal, {10}, 1, 0, &b, &err));
  EXPECT_TRUE(contains(err, "rank-1")) << err;
  InitKind k;
  EXPECT_TRUE(parseInitKind("he", &k));
  EXPECT_EQ(k, InitKind::HeNormal);
  EXPECT_TRUE(parseInitKind("xavier", &k));
  EXPECT_EQ(k, InitKind::GlorotUniform);
  EXPECT_TRUE(parseInitKind("zeros", &k));
  EXPECT_EQ(k, InitKind::Zeros);
  EXPECT_FALSE(parseInitKind("orthogonal", &k, &err));
  EXPECT_TRUE(contains(err, "\"orthogonal\"")) << err;
}

} // namespace
