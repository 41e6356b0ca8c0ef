//===- PhiloxTest.cpp - Philox4x32-10 known answers and diffusion ---------===//

#include "flops/Runtime/CInterface.h"
#include "flops/Runtime/Philox.h"

#include "gtest/gtest.h"

#include <bitset>

using namespace flops::rt;

namespace {

using Block = std::array<uint32_t, 4>;
using Key = std::array<uint32_t, 2>;

// Known-answer vectors from Random123's kat_vectors (philox4x32 10 rounds).
TEST(PhiloxTest, KnownAnswerZero) {
  Block x = philox4x32_10({0u, 0u}, {0u, 0u, 0u, 0u});
  EXPECT_EQ(x, (Block{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
}

TEST(PhiloxTest, KnownAnswerAllOnes) {
  Block x = philox4x32_10({0xffffffffu, 0xffffffffu},
                          {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu});
  EXPECT_EQ(x, (Block{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
}

TEST(PhiloxTest, KnownAnswerPi) {
  Block x = philox4x32_10({0xa4093822u, 0x299f31d0u},
                          {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u});
  EXPECT_EQ(x, (Block{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

// Tiny deterministic generator for test inputs (SplitMix64).
struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t next32() { return static_cast<uint32_t>(next() >> 32); }
};

int hamming(const Block &a, const Block &b) {
  int n = 0;
  for (int i = 0; i < 4; ++i)
    n += static_cast<int>(std::bitset<32>(a[i] ^ b[i]).count());
  return n;
}

// Flipping any single input bit must change a large share of the 128 output
// bits (ideal: 64). Threshold: at least 1/4 (32 bits) on average, and no
// single flip may leave the output unchanged.
TEST(PhiloxTest, CounterBitSensitivity) {
  SplitMix64 rng{12345};
  const int trials = 4000;
  long total = 0;
  for (int t = 0; t < trials; ++t) {
    Key k = {rng.next32(), rng.next32()};
    Block c = {rng.next32(), rng.next32(), rng.next32(), rng.next32()};
    int bit = static_cast<int>(rng.next() % 128);
    Block c2 = c;
    c2[bit / 32] ^= 1u << (bit % 32);
    int d = hamming(philox4x32_10(k, c), philox4x32_10(k, c2));
    ASSERT_GT(d, 0) << "trial " << t << " bit " << bit;
    total += d;
  }
  double mean = static_cast<double>(total) / trials;
  EXPECT_GE(mean, 32.0);
  EXPECT_NEAR(mean, 64.0, 2.0);
}

TEST(PhiloxTest, KeyBitSensitivity) {
  SplitMix64 rng{777};
  const int trials = 4000;
  long total = 0;
  for (int t = 0; t < trials; ++t) {
    Key k = {rng.next32(), rng.next32()};
    Block c = {rng.next32(), rng.next32(), rng.next32(), rng.next32()};
    int bit = static_cast<int>(rng.next() % 64);
    Key k2 = k;
    k2[bit / 32] ^= 1u << (bit % 32);
    int d = hamming(philox4x32_10(k, c), philox4x32_10(k2, c));
    ASSERT_GT(d, 0) << "trial " << t << " bit " << bit;
    total += d;
  }
  double mean = static_cast<double>(total) / trials;
  EXPECT_GE(mean, 32.0);
  EXPECT_NEAR(mean, 64.0, 2.0);
}

// Every counter word and both key words must influence the output (catches a
// round function that drops or misroutes a word).
TEST(PhiloxTest, EveryWordMatters) {
  Key k = {0x01234567u, 0x89abcdefu};
  Block c = {1u, 2u, 3u, 4u};
  Block ref = philox4x32_10(k, c);
  for (int w = 0; w < 4; ++w) {
    Block c2 = c;
    c2[w] += 1;
    EXPECT_NE(philox4x32_10(k, c2), ref) << "counter word " << w;
  }
  for (int w = 0; w < 2; ++w) {
    Key k2 = k;
    k2[w] += 1;
    EXPECT_NE(philox4x32_10(k2, c), ref) << "key word " << w;
  }
}

TEST(PhiloxTest, PlainCWrapperMatches) {
  uint32_t key[2] = {0xa4093822u, 0x299f31d0u};
  uint32_t ctr[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
  uint32_t out[4] = {0, 0, 0, 0};
  flops_rt_philox4x32_10(key, ctr, out);
  EXPECT_EQ(out[0], 0xd16cfe09u);
  EXPECT_EQ(out[1], 0x94fdccebu);
  EXPECT_EQ(out[2], 0x5001e420u);
  EXPECT_EQ(out[3], 0x24126ea1u);
}

// The memref entry point must honour offset and stride.
TEST(PhiloxTest, MemRefInterfaceHonoursStrides) {
  int32_t keyBuf[5] = {-1, static_cast<int32_t>(0xa4093822u), -1,
                       static_cast<int32_t>(0x299f31d0u), -1};
  int32_t ctrBuf[4] = {
      static_cast<int32_t>(0x243f6a88u), static_cast<int32_t>(0x85a308d3u),
      static_cast<int32_t>(0x13198a2eu), static_cast<int32_t>(0x03707344u)};
  int32_t outBuf[9];
  for (int32_t &v : outBuf)
    v = 7;
  StridedMemRefType<int32_t, 1> key{keyBuf, keyBuf, 1, {2}, {2}};
  StridedMemRefType<int32_t, 1> ctr{ctrBuf, ctrBuf, 0, {4}, {1}};
  StridedMemRefType<int32_t, 1> out{outBuf, outBuf, 1, {4}, {2}};
  _mlir_ciface_flops_rt_philox(&key, &ctr, &out);
  EXPECT_EQ(static_cast<uint32_t>(outBuf[1]), 0xd16cfe09u);
  EXPECT_EQ(static_cast<uint32_t>(outBuf[3]), 0x94fdccebu);
  EXPECT_EQ(static_cast<uint32_t>(outBuf[5]), 0x5001e420u);
  EXPECT_EQ(static_cast<uint32_t>(outBuf[7]), 0x24126ea1u);
  for (int i : {0, 2, 4, 6, 8})
    EXPECT_EQ(outBuf[i], 7) << "wrote outside the view at " << i;
}

} // namespace
