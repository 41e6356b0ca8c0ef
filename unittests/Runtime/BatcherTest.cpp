//===- BatcherTest.cpp - Epoch shuffling, batches and gathering -----------===//

#include "flops/Runtime/Batcher.h"
#include "flops/Runtime/Philox.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

bool isPermutation(std::vector<int64_t> p) {
  std::sort(p.begin(), p.end());
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != int64_t(i))
      return false;
  return true;
}

TEST(Batcher, ShuffleIsAPermutationForAllSizes) {
  std::vector<int64_t> p;
  for (int64_t n : {0, 1, 2, 3, 7, 64, 1000, 60000}) {
    shufflePermutation(99, 0, n, &p);
    EXPECT_EQ(int64_t(p.size()), n);
    EXPECT_TRUE(isPermutation(p)) << n;
  }
  shufflePermutation(99, 0, -5, &p);
  EXPECT_TRUE(p.empty());
}

TEST(Batcher, DeterministicPerSeedAndEpochAndDiffersOtherwise) {
  std::vector<int64_t> a, b, nextEpoch, otherSeed;
  shufflePermutation(42, 3, 10000, &a);
  shufflePermutation(42, 3, 10000, &b);
  shufflePermutation(42, 4, 10000, &nextEpoch);
  shufflePermutation(43, 3, 10000, &otherSeed);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, nextEpoch);
  EXPECT_NE(a, otherSeed);
  std::vector<int64_t> id(10000);
  std::iota(id.begin(), id.end(), 0);
  EXPECT_NE(a, id);
  // Different epochs agree on few positions (1 expected for random perms).
  int64_t same = 0;
  for (size_t i = 0; i < a.size(); ++i)
    same += a[i] == nextEpoch[i];
  EXPECT_LT(same, 10);
  // Epochs far apart (high word of the epoch counter) differ too.
  shufflePermutation(42, 3 + (uint64_t(1) << 32), 10000, &b);
  EXPECT_NE(a, b);
}

TEST(Batcher, MatchesTheDocumentedStream) {
  // Transcription of Batcher.h: Fisher-Yates over Philox draws.
  const uint64_t seed = 0xFEEDFACECAFEBEEFull, epoch = 7;
  const int64_t n = 500;
  std::array<uint32_t, 4> w = philox4x32_10(
      {uint32_t(seed), uint32_t(seed >> 32)}, {0x73687566u, 0, 0, 0});
  std::array<uint32_t, 2> key = {w[0], w[1]};
  uint64_t k = 0;
  auto draw = [&] {
    std::array<uint32_t, 4> blk = philox4x32_10(
        key, {uint32_t(k / 2), uint32_t((k / 2) >> 32), uint32_t(epoch),
              uint32_t(epoch >> 32)});
    uint64_t j = k % 2;
    ++k;
    return uint64_t(blk[2 * j]) | uint64_t(blk[2 * j + 1]) << 32;
  };
  std::vector<int64_t> expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  for (int64_t i = n - 1; i >= 1; --i) {
    uint64_t bound = uint64_t(i) + 1, r;
    do
      r = draw();
    while (r < (0 - bound) % bound);
    std::swap(expected[i], expected[r % bound]);
  }
  std::vector<int64_t> got;
  shufflePermutation(seed, epoch, n, &got);
  EXPECT_EQ(got, expected);
}

TEST(Batcher, PositionsAreRoughlyUniform) {
  // Where does element 0 land over 4000 epochs of n = 8? Chi-square with 7
  // degrees of freedom: 0.9999 quantile ~29.9; a biased shuffle (e.g. the
  // naive "swap with any index") scores in the hundreds.
  const int n = 8, trials = 4000;
  std::vector<int> counts(n, 0);
  std::vector<int64_t> p;
  for (int e = 0; e < trials; ++e) {
    shufflePermutation(5, uint64_t(e), n, &p);
    ++counts[std::find(p.begin(), p.end(), 0) - p.begin()];
  }
  double chi2 = 0, expect = double(trials) / n;
  for (int c : counts)
    chi2 += (c - expect) * (c - expect) / expect;
  EXPECT_LT(chi2, 35.0);
}

TEST(Batcher, TrainBatchesDropTheTail) {
  TrainBatches tb;
  std::string err;
  ASSERT_TRUE(tb.reset(10, 3, 1, &err)) << err;
  EXPECT_EQ(tb.numBatches(), 3);
  EXPECT_EQ(tb.size(), 3);
  tb.beginEpoch(0);
  std::vector<int64_t> seen;
  for (int64_t b = 0; b < tb.numBatches(); ++b)
    seen.insert(seen.end(), tb.batch(b), tb.batch(b) + tb.size());
  EXPECT_EQ(seen.size(), 9u);
  std::vector<int64_t> perm;
  shufflePermutation(1, 0, 10, &perm);
  EXPECT_EQ(seen, std::vector<int64_t>(perm.begin(), perm.begin() + 9));
  EXPECT_EQ(tb.permutation(), perm);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  tb.beginEpoch(1);
  EXPECT_NE(tb.permutation(), perm);

  EXPECT_EQ(numFullBatches(10, 20), 0);
  EXPECT_EQ(numFullBatches(60000, 128), 468);
  EXPECT_FALSE(tb.reset(10, 0, 1, &err));
  EXPECT_TRUE(contains(err, "batches of 0")) << err;
  EXPECT_FALSE(tb.reset(-1, 4, 1, &err));
}

TEST(Batcher, EvalBatchesKeepThePartialTail) {
  std::vector<BatchSpan> s = evalBatches(10, 4);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].begin, 0);
  EXPECT_EQ(s[0].size, 4);
  EXPECT_EQ(s[1].begin, 4);
  EXPECT_EQ(s[2].begin, 8);
  EXPECT_EQ(s[2].size, 2);
  EXPECT_EQ(evalBatches(8, 4).size(), 2u);
  EXPECT_EQ(evalBatches(8, 4).back().size, 4);
  EXPECT_TRUE(evalBatches(0, 4).empty());
  EXPECT_TRUE(evalBatches(5, 0).empty());
  EXPECT_EQ(spanIndices(s[2]), (std::vector<int64_t>{8, 9}));
  int64_t total = 0;
  for (const BatchSpan &b : evalBatches(10000, 128))
    total += b.size;
  EXPECT_EQ(total, 10000);
}

TEST(Batcher, GatherRowsCopiesPadsAndChecks) {
  // 5 rows of 2x3 floats, value = 100 * row + element.
  std::vector<float> v(5 * 6);
  for (int r = 0; r < 5; ++r)
    for (int e = 0; e < 6; ++e)
      v[r * 6 + e] = float(100 * r + e);
  Tensor src, dst;
  std::string err;
  ASSERT_TRUE(makeTensor({5, 2, 3}, v.data(), &src, &err));
  std::vector<int64_t> rows = {4, 0, 4};
  ASSERT_TRUE(gatherRows(src, rows.data(), 3, &dst, 0, &err)) << err;
  EXPECT_EQ(dst.shape, (std::vector<int64_t>{3, 2, 3}));
  for (int i = 0; i < 3; ++i)
    for (int e = 0; e < 6; ++e)
      EXPECT_EQ(dst.data<float>()[i * 6 + e], float(100 * rows[i] + e));
  const void *storage = dst.raw();
  // Reuses the storage when the shape is unchanged.
  std::vector<int64_t> rows2 = {1, 2, 3};
  ASSERT_TRUE(gatherRows(src, rows2.data(), 3, &dst, 0, &err));
  EXPECT_EQ(dst.raw(), storage);
  EXPECT_EQ(dst.data<float>()[6], 200.0f);
  // Padding a partial eval batch to 4 rows with zeros.
  ASSERT_TRUE(gatherRows(src, rows.data(), 2, &dst, 4, &err));
  EXPECT_EQ(dst.shape, (std::vector<int64_t>{4, 2, 3}));
  EXPECT_EQ(dst.data<float>()[0], 400.0f); // Row 4 of src.
  EXPECT_EQ(dst.data<float>()[7], 1.0f);   // Row 0 of src.
  for (int i = 12; i < 24; ++i)
    EXPECT_EQ(dst.data<float>()[i], 0.0f);
  // Labels (int32, rank 1).
  std::vector<int32_t> lab = {7, 8, 9};
  Tensor l, lb;
  ASSERT_TRUE(makeTensor({3}, lab.data(), &l, &err));
  std::vector<int64_t> pick = {2, 2, 0};
  ASSERT_TRUE(gatherRows(l, pick.data(), 3, &lb, 0, &err));
  EXPECT_EQ(std::vector<int32_t>(lb.data<int32_t>(), lb.data<int32_t>() + 3),
            (std::vector<int32_t>{9, 9, 7}));
  // Errors.
  std::vector<int64_t> bad = {0, 5};
  EXPECT_FALSE(gatherRows(src, bad.data(), 2, &dst, 0, &err));
  EXPECT_TRUE(contains(err, "row index 5 (batch position 1) is out of range "
                            "for 5 rows"))
      << err;
  bad = {-1};
  EXPECT_FALSE(gatherRows(src, bad.data(), 1, &dst, 0, &err));
  EXPECT_FALSE(gatherRows(src, rows.data(), 1, &src, 0, &err));
  Tensor scalar;
  ASSERT_TRUE(makeTensor(DType::F32, {}, &scalar));
  EXPECT_FALSE(gatherRows(scalar, rows.data(), 1, &dst, 0, &err));
}

} // namespace
