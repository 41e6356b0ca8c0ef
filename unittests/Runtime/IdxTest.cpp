//===- IdxTest.cpp - IDX files, gzip and Fashion-MNIST --------------------===//

#include "flops/Runtime/Idx.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <zlib.h>

#include <numeric>
#include <sys/stat.h>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

void putBE32(std::vector<uint8_t> &b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8)
    b.push_back(static_cast<uint8_t>(v >> s));
}

std::vector<uint8_t> idxBytes(uint32_t magic, const std::vector<uint32_t> &dims,
                              const std::vector<uint8_t> &data) {
  std::vector<uint8_t> b;
  putBE32(b, magic);
  for (uint32_t d : dims)
    putBE32(b, d);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

/// Writes a gzip file through zlib's gzFile interface.
bool writeGzipFile(const std::string &path, const std::vector<uint8_t> &b) {
  gzFile f = gzopen(path.c_str(), "wb9");
  if (!f)
    return false;
  int n = gzwrite(f, b.data(), static_cast<unsigned>(b.size()));
  return gzclose(f) == Z_OK && n == static_cast<int>(b.size());
}

std::vector<uint8_t> pixelData(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i)
    p[i] = static_cast<uint8_t>(i * 37 % 256);
  p[0] = 0;
  p[1] = 255;
  return p;
}

TEST(Idx, ImagesFromGzipFile) {
  TempDir d;
  std::vector<uint8_t> px = pixelData(3 * 4 * 5);
  std::string path = d.path("imgs-idx3-ubyte.gz"), err;
  ASSERT_TRUE(writeGzipFile(path, idxBytes(kIdxImagesMagic, {3, 4, 5}, px)));
  Tensor t;
  ASSERT_TRUE(readIdxImages(path, &t, &err)) << err;
  EXPECT_EQ(t.dtype, DType::F32);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{3, 4, 5}));
  const float *v = t.data<float>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v[0], 0.0f);
  EXPECT_EQ(v[1], 1.0f);
  for (size_t i = 0; i < px.size(); ++i) {
    EXPECT_EQ(v[i], float(px[i]) / 255.0f) << i;
    EXPECT_GE(v[i], 0.0f);
    EXPECT_LE(v[i], 1.0f);
  }
}

TEST(Idx, LabelsFromPlainFile) {
  TempDir d;
  std::string path = d.path("labels-idx1-ubyte"), err;
  ASSERT_TRUE(writeBytes(path, idxBytes(kIdxLabelsMagic, {6}, {9, 0, 3, 7, 1, 200})));
  Tensor t;
  ASSERT_TRUE(readIdxLabels(path, &t, &err)) << err;
  EXPECT_EQ(t.dtype, DType::I32);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{6}));
  std::vector<int32_t> got(t.data<int32_t>(), t.data<int32_t>() + 6);
  EXPECT_EQ(got, (std::vector<int32_t>{9, 0, 3, 7, 1, 200}));
}

TEST(Idx, EmptyDataSetIsValid) {
  TempDir d;
  std::string path = d.path("none"), err;
  ASSERT_TRUE(writeBytes(path, idxBytes(kIdxImagesMagic, {0, 28, 28}, {})));
  Tensor t;
  ASSERT_TRUE(readIdxImages(path, &t, &err)) << err;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{0, 28, 28}));
  EXPECT_TRUE(t.bytes.empty());
}

TEST(Idx, WrongMagic) {
  TempDir d;
  std::string labels = d.path("labels"), floats = d.path("floats"),
              text = d.path("text"), err;
  ASSERT_TRUE(writeBytes(labels, idxBytes(kIdxLabelsMagic, {2}, {1, 2})));
  ASSERT_TRUE(writeBytes(floats, idxBytes(0x00000D03, {1, 1, 1}, {0, 0, 0, 0})));
  ASSERT_TRUE(writeBytes(text, bytesOf("hello, this is not IDX")));
  Tensor t;
  EXPECT_FALSE(readIdxImages(labels, &t, &err));
  EXPECT_TRUE(contains(err, labels + ": wrong magic number 0x00000801, "
                                     "expected 0x00000803"))
      << err;
  EXPECT_TRUE(contains(err, "rank 1")) << err;
  EXPECT_FALSE(readIdxImages(floats, &t, &err));
  EXPECT_TRUE(contains(err, "element type 0x0000000D")) << err;
  EXPECT_FALSE(readIdxLabels(text, &t, &err));
  EXPECT_TRUE(contains(err, text + ": wrong magic number")) << err;
  EXPECT_TRUE(contains(err, "not an IDX file")) << err;
}

TEST(Idx, TruncatedFiles) {
  TempDir d;
  std::vector<uint8_t> full = idxBytes(kIdxImagesMagic, {2, 3, 3}, pixelData(18));
  struct Case {
    size_t keep;
    const char *expect;
  } cases[] = {{0, "too short for the 4-byte magic"},
               {2, "too short for the 4-byte magic"},
               {9, "the header needs 16 bytes, the file has 9"},
               {16, "declares 2x3x3 = 18 data bytes, the file has only 0"},
               {30, "the file has only 14"}};
  for (const Case &c : cases) {
    std::string path = d.path("cut" + std::to_string(c.keep)), err;
    ASSERT_TRUE(writeBytes(
        path, std::vector<uint8_t>(full.begin(), full.begin() + c.keep)));
    Tensor t;
    EXPECT_FALSE(readIdxImages(path, &t, &err)) << c.keep;
    EXPECT_TRUE(contains(err, path + ": truncated IDX image file")) << err;
    EXPECT_TRUE(contains(err, c.expect)) << err;
    // The same through gzip: the decompressed content is checked alike.
    std::string gz = path + ".gz";
    ASSERT_TRUE(writeGzipFile(
        gz, std::vector<uint8_t>(full.begin(), full.begin() + c.keep)));
    EXPECT_FALSE(readIdxImages(gz, &t, &err));
    EXPECT_TRUE(contains(err, gz + ": truncated IDX image file")) << err;
  }
}

TEST(Idx, TrailingBytesAreASizeMismatch) {
  TempDir d;
  std::vector<uint8_t> b = idxBytes(kIdxLabelsMagic, {3}, {1, 2, 3, 4});
  std::string path = d.path("long"), err;
  ASSERT_TRUE(writeBytes(path, b));
  Tensor t;
  EXPECT_FALSE(readIdxLabels(path, &t, &err));
  EXPECT_TRUE(contains(err, path + ": size mismatch in IDX label file")) << err;
  EXPECT_TRUE(contains(err, "declares 3 = 3 data bytes, the file has 4"))
      << err;
}

TEST(Idx, CorruptAndTruncatedGzip) {
  TempDir d;
  std::vector<uint8_t> gz =
      gzipBytes(idxBytes(kIdxImagesMagic, {4, 8, 8}, pixelData(256)));
  std::string cut = d.path("cut.gz"), bad = d.path("bad.gz"), err;
  ASSERT_TRUE(writeBytes(cut, std::vector<uint8_t>(gz.begin(),
                                                   gz.begin() + gz.size() / 2)));
  std::vector<uint8_t> flipped = gz;
  flipped[flipped.size() - 7] ^= 1; // CRC-32 in the trailer.
  ASSERT_TRUE(writeBytes(bad, flipped));
  Tensor t;
  EXPECT_FALSE(readIdxImages(cut, &t, &err));
  EXPECT_TRUE(contains(err, cut + ": truncated gzip file")) << err;
  EXPECT_FALSE(readIdxImages(bad, &t, &err));
  EXPECT_TRUE(contains(err, bad + ": corrupt gzip data")) << err;
}

TEST(Idx, MissingFile) {
  TempDir d;
  Tensor t;
  std::string err;
  EXPECT_FALSE(readIdxLabels(d.path("absent.gz"), &t, &err));
  EXPECT_TRUE(contains(err, d.path("absent.gz") + ": cannot open")) << err;
}

/// A fake Fashion-MNIST directory: plain train files, gzip t10k files.
void writeFakeFashion(const TempDir &d, int nTrain, int nTrainLabels,
                      uint8_t badLabel = 0) {
  std::vector<uint8_t> labels(nTrainLabels);
  for (int i = 0; i < nTrainLabels; ++i)
    labels[i] = static_cast<uint8_t>(i % 10);
  if (badLabel)
    labels.back() = badLabel;
  ASSERT_TRUE(writeBytes(d.path("train-images-idx3-ubyte"),
                         idxBytes(kIdxImagesMagic, {uint32_t(nTrain), 28, 28},
                                  pixelData(size_t(nTrain) * 784))));
  ASSERT_TRUE(writeBytes(d.path("train-labels-idx1-ubyte"),
                         idxBytes(kIdxLabelsMagic, {uint32_t(nTrainLabels)},
                                  labels)));
  ASSERT_TRUE(writeGzipFile(d.path("t10k-images-idx3-ubyte.gz"),
                            idxBytes(kIdxImagesMagic, {2, 28, 28},
                                     pixelData(2 * 784))));
  ASSERT_TRUE(writeGzipFile(d.path("t10k-labels-idx1-ubyte.gz"),
                            idxBytes(kIdxLabelsMagic, {2}, {4, 5})));
}

TEST(Idx, FashionMnistLayoutPlainAndGzip) {
  TempDir d;
  writeFakeFashion(d, 5, 5);
  Dataset train, test;
  std::string err;
  ASSERT_TRUE(loadFashionMnist(d.root(), Split::Train, &train, &err)) << err;
  ASSERT_TRUE(loadFashionMnist(d.root(), Split::Test, &test, &err)) << err;
  EXPECT_EQ(train.size(), 5);
  EXPECT_EQ(train.imagesPath, d.path("train-images-idx3-ubyte"));
  EXPECT_EQ(test.size(), 2);
  EXPECT_EQ(test.labelsPath, d.path("t10k-labels-idx1-ubyte.gz"));
  EXPECT_EQ(test.labels.data<int32_t>()[1], 5);
  EXPECT_EQ(test.numClasses, 10);
}

TEST(Idx, FashionMnistCountMismatchAndBadLabel) {
  {
    TempDir d;
    writeFakeFashion(d, 5, 4);
    Dataset ds;
    std::string err;
    EXPECT_FALSE(loadFashionMnist(d.root(), Split::Train, &ds, &err));
    EXPECT_TRUE(contains(err, "4 labels, but " +
                                  d.path("train-images-idx3-ubyte") +
                                  " holds 5 images"))
        << err;
  }
  {
    TempDir d;
    writeFakeFashion(d, 5, 5, 10);
    Dataset ds;
    std::string err;
    EXPECT_FALSE(loadFashionMnist(d.root(), Split::Train, &ds, &err));
    EXPECT_TRUE(contains(err, "label 10 at index 4")) << err;
  }
}

TEST(Idx, FashionMnistMissingDirectory) {
  TempDir d;
  Dataset ds;
  std::string err;
  EXPECT_FALSE(loadFashionMnist(d.path("nowhere"), Split::Test, &ds, &err));
  EXPECT_TRUE(contains(err, d.path("nowhere/t10k-images-idx3-ubyte.gz"))) << err;
  EXPECT_TRUE(contains(err, "dataset-fashion-mnist")) << err;
}

TEST(Idx, RealFashionMnist) {
  struct stat st;
  if (::stat(kDefaultFashionMnistDir, &st) != 0)
    GTEST_SKIP() << kDefaultFashionMnistDir
                 << " is missing (Debian package dataset-fashion-mnist)";
  const struct {
    Split split;
    int64_t n;
    std::vector<int32_t> first;
    double meanPixel;
  } splits[] = {
      {Split::Train, 60000, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 0.28604},
      {Split::Test, 10000, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 0.28685},
  };
  for (const auto &s : splits) {
    Dataset ds;
    std::string err;
    ASSERT_TRUE(loadFashionMnist(kDefaultFashionMnistDir, s.split, &ds, &err))
        << err;
    EXPECT_EQ(ds.images.shape, (std::vector<int64_t>{s.n, 28, 28}));
    EXPECT_EQ(ds.labels.shape, (std::vector<int64_t>{s.n}));
    EXPECT_EQ(ds.numClasses, 10);
    const int32_t *lab = ds.labels.data<int32_t>();
    std::vector<int64_t> perClass(10, 0);
    for (int64_t i = 0; i < s.n; ++i) {
      ASSERT_GE(lab[i], 0);
      ASSERT_LE(lab[i], 9);
      ++perClass[lab[i]];
    }
    EXPECT_EQ(perClass, std::vector<int64_t>(10, s.n / 10));
    EXPECT_EQ(std::vector<int32_t>(lab, lab + 10), s.first);
    const float *px = ds.images.data<float>();
    double sum = 0;
    float lo = 1, hi = 0;
    for (int64_t i = 0, n = ds.images.numElements(); i < n; ++i) {
      sum += px[i];
      lo = std::min(lo, px[i]);
      hi = std::max(hi, px[i]);
    }
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
    EXPECT_NEAR(sum / double(ds.images.numElements()), s.meanPixel, 1e-4);
  }
}

} // namespace
