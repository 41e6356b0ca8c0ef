//===- SafeTensorsTest.cpp - safetensors reading and writing --------------===//

#include "flops/Runtime/FileIO.h"
#include "flops/Runtime/SafeTensors.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

template <typename T>
Tensor tensorOf(std::vector<int64_t> shape, std::vector<T> values) {
  Tensor t;
  std::string err;
  EXPECT_TRUE(makeTensor(std::move(shape), values.data(), &t, &err)) << err;
  return t;
}

SafeTensors checkpoint() {
  SafeTensors st;
  st.add("fc1.weight", tensorOf<float>({2, 3}, {1, -2, 3.5f, 0.1f, 5, 6}));
  st.add("fc1.bias", tensorOf<double>({}, {0.5}));
  st.add("step_counts", tensorOf<int32_t>({3}, {-1, 0, 2147483647}));
  st.add("empty", tensorOf<int64_t>({0, 3}, {}));
  st.add("big_ints", tensorOf<int64_t>({2}, {int64_t(1) << 62, -5}));
  st.add("mask", tensorOf<uint8_t>({5}, {0, 1, 255, 7, 9}));
  st.metadata["step"] = "1200";
  st.metadata["epoch"] = "3";
  st.metadata["seed"] = "18446744073709551615";
  st.metadata["options"] = "{\"lr\": 0.01,\n \"name\": \"caf\xC3\xA9\\\"\"}";
  return st;
}

/// A safetensors file from a header text and data bytes.
std::vector<uint8_t> stFixture(const std::string &header,
                               const std::vector<uint8_t> &data) {
  std::vector<uint8_t> b;
  putLE(b, header.size(), 8);
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

bool parseBytes(const std::vector<uint8_t> &b, SafeTensors *st,
                std::string *err) {
  return parseSafeTensors(b.data(), b.size(), "fixture.safetensors", st, err);
}

void expectSame(const SafeTensors &a, const SafeTensors &b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_EQ(a.tensors[i].tensor.dtype, b.tensors[i].tensor.dtype);
    EXPECT_EQ(a.tensors[i].tensor.shape, b.tensors[i].tensor.shape);
    EXPECT_EQ(a.tensors[i].tensor.bytes, b.tensors[i].tensor.bytes);
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

TEST(SafeTensors, RoundTripWithMetadata) {
  TempDir d;
  SafeTensors st = checkpoint(), back;
  std::string p = d.path("ckpt.safetensors"), err;
  ASSERT_TRUE(writeSafeTensors(p, st, &err)) << err;
  std::vector<uint8_t> bytes = readBytes(p);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= uint64_t(bytes[i]) << (8 * i);
  EXPECT_EQ((8 + n) % 8, 0u) << "data buffer not 8-byte aligned";
  EXPECT_EQ(bytes[8], '{');
  ASSERT_TRUE(readSafeTensors(p, &back, &err)) << err;
  expectSame(st, back);
  ASSERT_NE(back.find("fc1.weight"), nullptr);
  EXPECT_EQ(back.find("fc1.weight")->data<float>()[3], 0.1f);
  EXPECT_EQ(back.find("nope"), nullptr);
  EXPECT_EQ(back.metadata.at("seed"), "18446744073709551615");
  EXPECT_EQ(d.list(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(SafeTensors, EncodesLikeTheReferenceWriter) {
  // What safetensors' serializer (serde_json, compact) writes for one F32
  // tensor "w" = [1, 2] with metadata {"step": "7"}: the JSON below is 82
  // bytes, padded with 6 spaces to 88.
  std::string json = "{\"__metadata__\":{\"step\":\"7\"},\"w\":{\"dtype\":"
                     "\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  ASSERT_EQ(json.size(), 82u);
  std::vector<float> w = {1, 2};
  std::vector<uint8_t> data(8);
  std::memcpy(data.data(), w.data(), 8);
  std::vector<uint8_t> expected = stFixture(json + "      ", data);

  SafeTensors st;
  st.add("w", tensorOf<float>({2}, w));
  st.metadata["step"] = "7";
  std::vector<uint8_t> header;
  std::string err;
  ASSERT_TRUE(encodeSafeTensorsHeader(st, &header, &err)) << err;
  header.insert(header.end(), data.begin(), data.end());
  EXPECT_EQ(header, expected);

  SafeTensors back;
  ASSERT_TRUE(parseBytes(expected, &back, &err)) << err;
  expectSame(st, back);
}

TEST(SafeTensors, ReadsHeadersInAnyOrderWithWhitespace) {
  // Two tensors listed out of buffer order, pretty-printed, no metadata.
  std::string json = "{\n  \"b\": {\"data_offsets\": [8, 12], \"shape\": [1], "
                     "\"dtype\": \"I32\"},\n  \"a\": {\"dtype\": \"F64\", "
                     "\"shape\": [], \"data_offsets\": [0, 8]}\n}   ";
  double a = -0.75;
  int32_t b = 42;
  std::vector<uint8_t> data(12);
  std::memcpy(data.data(), &a, 8);
  std::memcpy(data.data() + 8, &b, 4);
  SafeTensors st;
  std::string err;
  ASSERT_TRUE(parseBytes(stFixture(json, data), &st, &err)) << err;
  ASSERT_EQ(st.tensors.size(), 2u);
  EXPECT_EQ(st.tensors[0].name, "a"); // Buffer order.
  EXPECT_EQ(st.tensors[0].tensor.shape, std::vector<int64_t>{});
  EXPECT_EQ(st.tensors[0].tensor.data<double>()[0], -0.75);
  EXPECT_EQ(st.tensors[1].tensor.data<int32_t>()[0], 42);
  EXPECT_TRUE(st.metadata.empty());
}

TEST(SafeTensors, RejectsBadFiles) {
  std::vector<uint8_t> d8(8, 0), d12(12, 0);
  auto one = [](const std::string &fields) { return "{\"t\":{" + fields + "}}"; };
  const std::string okFields =
      "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]";
  const std::vector<uint8_t> full = stFixture(one(okFields), d8);
  struct Case {
    std::vector<uint8_t> bytes;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{1, 2, 3}, "truncated safetensors file: 3 bytes, too short"},
      {std::vector<uint8_t>(full.begin(), full.begin() + 20),
       "truncated safetensors file: the header declares 54 bytes, only 12 "
       "follow"},
      {stFixture(one(okFields), {1, 2, 3}),
       "truncated safetensors file: tensor \"t\" needs data bytes [0, 8)"},
      {stFixture(one(okFields), d12),
       "size mismatch in safetensors file: the tensors cover 8 data bytes but "
       "the file has 12"},
      {stFixture("[1, 2]", d8), "does not start with '{'"},
      {stFixture("{\"t\": {", d8), "invalid JSON at byte"},
      {stFixture(one(okFields) + "x", d8), "invalid JSON"},
      {stFixture(one("\"shape\":[2],\"data_offsets\":[0,8]"), d8),
       "tensor \"t\" lacks \"dtype\""},
      {stFixture(one("\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]"), d8),
       "tensor \"t\" has unsupported dtype \"BF16\""},
      {stFixture(one("\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]"), d8),
       "not a non-negative integer"},
      {stFixture(one("\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]"), d8),
       "not a non-negative integer"},
      {stFixture(one("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]"), d8),
       "\"data_offsets\" that are not two non-negative integers"},
      {stFixture(one("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]"), d8),
       "end before begin"},
      {stFixture(one("\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]"), d8),
       "has shape 3 of F32 (12 bytes) but data_offsets [0, 8] span 8 bytes"},
      {stFixture(one("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,"
                     "4294967296],\"data_offsets\":[0,8]"),
                 d8),
       "overflows"},
      {stFixture("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                 d8),
       "overlap another tensor"},
      {stFixture("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                 d12),
       "leave a gap (expected to start at byte 4)"},
      {stFixture("{\"t\":{" + okFields + "},\"t\":{" + okFields + "}}", d8),
       "duplicate member name \"t\""},
      {stFixture("{\"__metadata__\":{\"step\":5}," + one(okFields).substr(1), d8),
       "metadata value \"step\" is not a string"},
      {stFixture("{\"__metadata__\":[]," + one(okFields).substr(1), d8),
       "\"__metadata__\" is not an object"},
      {stFixture("{\"t\":[1]}", d8), "tensor \"t\" is not a JSON object"},
  };
  // A header length that is absurd (2^40) and one just above the limit.
  std::vector<uint8_t> huge;
  putLE(huge, uint64_t(1) << 40, 8);
  cases.push_back({huge, "exceeds the 100 MB limit"});
  for (size_t i = 0; i < cases.size(); ++i) {
    SafeTensors st;
    std::string err;
    EXPECT_FALSE(parseBytes(cases[i].bytes, &st, &err)) << "case " << i;
    EXPECT_TRUE(contains(err, "fixture.safetensors: ")) << err;
    EXPECT_TRUE(contains(err, cases[i].expect)) << "case " << i << ": " << err;
  }
}

TEST(SafeTensors, MutatedFilesNeverCrash) {
  SafeTensors st = checkpoint();
  std::vector<uint8_t> file;
  std::string err;
  ASSERT_TRUE(encodeSafeTensorsHeader(st, &file, &err)) << err;
  for (const NamedTensor &t : st.tensors)
    file.insert(file.end(), t.tensor.bytes.begin(), t.tensor.bytes.end());
  // Every truncation fails cleanly.
  for (size_t keep = 0; keep < file.size(); ++keep) {
    SafeTensors out;
    EXPECT_FALSE(parseSafeTensors(file.data(), keep, "cut", &out, &err))
        << keep;
  }
  // Random single and multi-byte corruptions: parse or fail, never crash;
  // whatever parses is self-consistent.
  uint64_t s = 12345;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  };
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> m = file;
    int flips = 1 + int(next() % 3);
    for (int k = 0; k < flips; ++k)
      m[next() % m.size()] = static_cast<uint8_t>(next());
    SafeTensors out;
    if (parseSafeTensors(m.data(), m.size(), "mut", &out, &err)) {
      ++accepted;
      for (const NamedTensor &t : out.tensors) {
        uint64_t n, bytes;
        ASSERT_TRUE(shapeSize(t.tensor.shape, dtypeSize(t.tensor.dtype), &n,
                              &bytes));
        EXPECT_EQ(bytes, t.tensor.bytes.size());
      }
    } else {
      EXPECT_TRUE(contains(err, "mut: ")) << err;
    }
  }
  EXPECT_GT(accepted, 0); // Flips in the data buffer are undetectable.
}

TEST(SafeTensors, WriterRejectsBadNamesAndKeepsOldFile) {
  TempDir d;
  std::string p = d.path("params.safetensors"), err;
  SafeTensors good;
  good.add("w", tensorOf<float>({1}, {3.0f}));
  ASSERT_TRUE(writeSafeTensors(p, good, &err)) << err;
  std::vector<uint8_t> before = readBytes(p);
  const char *bad[] = {"", "__metadata__", "w"};
  for (const char *name : bad) {
    SafeTensors st = good;
    st.add(name, tensorOf<float>({1}, {1.0f}));
    EXPECT_FALSE(writeSafeTensors(p, st, &err)) << name;
    EXPECT_TRUE(contains(err, p + ": ")) << err;
  }
  EXPECT_TRUE(contains(err, "duplicate tensor name \"w\"")) << err;
  SafeTensors broken = good;
  broken.tensors[0].tensor.bytes.pop_back();
  EXPECT_FALSE(writeSafeTensors(p, broken, &err));
  EXPECT_TRUE(contains(err, "inconsistent")) << err;
  EXPECT_EQ(readBytes(p), before);
}

TEST(SafeTensors, FailedCheckpointWriteKeepsPreviousCheckpoint) {
  TempDir d;
  std::string p = d.path("ckpt.safetensors"), err;
  SafeTensors v1;
  v1.add("w", tensorOf<float>({2}, {1, 2}));
  v1.metadata["step"] = "100";
  ASSERT_TRUE(writeSafeTensors(p, v1, &err)) << err;
  SafeTensors v2 = checkpoint();
  for (AtomicWriteStage stage : {AtomicWriteStage::Write,
                                 AtomicWriteStage::Rename}) {
    setAtomicWriteFailureForTesting(stage);
    bool ok = writeSafeTensors(p, v2, &err);
    setAtomicWriteFailureForTesting(AtomicWriteStage::None);
    EXPECT_FALSE(ok);
    SafeTensors back;
    ASSERT_TRUE(readSafeTensors(p, &back, &err)) << err;
    expectSame(v1, back);
    EXPECT_EQ(d.list(), std::vector<std::string>{"ckpt.safetensors"});
  }
  ASSERT_TRUE(writeSafeTensors(p, v2, &err)) << err;
  SafeTensors back;
  ASSERT_TRUE(readSafeTensors(p, &back, &err)) << err;
  expectSame(v2, back);
}

} // namespace
