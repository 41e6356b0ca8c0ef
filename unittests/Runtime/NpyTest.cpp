//===- NpyTest.cpp - NumPy .npy reading and writing -----------------------===//

#include "flops/Runtime/FileIO.h"
#include "flops/Runtime/Npy.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

/// .npy bytes with a hand-written header: magic, version, little-endian
/// header length, `dict` padded with spaces to `padTo` total prefix bytes
/// (0: no padding) and a newline, then `data`.
std::vector<uint8_t> npyFixture(const std::string &dict,
                                const std::vector<uint8_t> &data,
                                int major = 1, size_t padTo = 0) {
  size_t lenBytes = major == 1 ? 2 : 4;
  std::string header = dict;
  if (padTo)
    header.append(padTo - 8 - lenBytes - dict.size() - 1, ' ');
  header += '\n';
  std::vector<uint8_t> b = bytesOf("\x93NUMPY");
  b.push_back(static_cast<uint8_t>(major));
  b.push_back(0);
  putLE(b, header.size(), static_cast<int>(lenBytes));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

template <typename T> std::vector<uint8_t> rawBytes(const std::vector<T> &v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty())
    std::memcpy(b.data(), v.data(), b.size());
  return b;
}

bool parseBytes(const std::vector<uint8_t> &b, Tensor *t, std::string *err) {
  return parseNpy(b.data(), b.size(), "fixture.npy", t, err);
}

template <typename T>
void roundTrip(const TempDir &d, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t e : shape)
    n *= e;
  std::vector<T> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    values[i] = static_cast<T>((i * 7919) % 251) - (std::is_signed<T>::value ? T(100) : T(0));
  if (std::is_floating_point<T>::value && n > 1)
    values[1] = static_cast<T>(0.1);
  Tensor t, back;
  std::string err;
  ASSERT_TRUE(makeTensor(shape, values.data(), &t, &err)) << err;
  std::string path = d.path(std::string(dtypeName(t.dtype)) + "_" +
                            shapeToString(shape) + ".npy");
  ASSERT_TRUE(writeNpy(path, t, &err)) << err;
  std::vector<uint8_t> bytes = readBytes(path);
  uint16_t hlen = uint16_t(bytes[8] | bytes[9] << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u) << "data not 64-byte aligned";
  EXPECT_EQ(bytes[10 + hlen - 1], '\n');
  ASSERT_TRUE(readNpy(path, &back, &err)) << err;
  EXPECT_EQ(back.dtype, t.dtype);
  EXPECT_EQ(back.shape, shape);
  EXPECT_EQ(back.bytes, t.bytes);
}

TEST(Npy, RoundTripEveryDType) {
  TempDir d;
  for (auto shape : std::vector<std::vector<int64_t>>{
           {}, {1}, {7}, {3, 4}, {2, 3, 5}, {0, 4}, {2, 1, 1, 3}}) {
    roundTrip<float>(d, shape);
    roundTrip<double>(d, shape);
    roundTrip<int32_t>(d, shape);
    roundTrip<int64_t>(d, shape);
    roundTrip<uint8_t>(d, shape);
  }
}

TEST(Npy, EncodesLikeNumpySave) {
  // numpy.save(f, numpy.arange(6, dtype='<f4').reshape(2, 3)), numpy 1.x:
  // version 1.0, header length 118 ('v'), data at byte 128.
  std::vector<float> v = {0, 1, 2, 3, 4, 5};
  std::vector<uint8_t> expected = npyFixture(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      rawBytes(v), 1, 128);
  ASSERT_EQ(expected[8], 'v');
  ASSERT_EQ(expected.size(), 128u + 24u);
  Tensor t;
  std::string err;
  ASSERT_TRUE(makeTensor({2, 3}, v.data(), &t, &err)) << err;
  std::vector<uint8_t> enc;
  ASSERT_TRUE(encodeNpy(t, &enc, &err)) << err;
  EXPECT_EQ(enc, expected);

  // 1-D int64 and uint8: "(5,)" and '|u1'.
  std::vector<int64_t> l = {3, 1, 4, 1, 5};
  ASSERT_TRUE(makeTensor({5}, l.data(), &t, &err));
  ASSERT_TRUE(encodeNpy(t, &enc, &err));
  EXPECT_EQ(enc, npyFixture("{'descr': '<i8', 'fortran_order': False, "
                            "'shape': (5,), }",
                            rawBytes(l), 1, 128));
  std::vector<uint8_t> u = {1, 2};
  ASSERT_TRUE(makeTensor({}, u.data(), &t, &err));
  ASSERT_TRUE(encodeNpy(t, &enc, &err));
  EXPECT_EQ(enc, npyFixture("{'descr': '|u1', 'fortran_order': False, "
                            "'shape': (), }",
                            {1}, 1, 128));
}

TEST(Npy, ReadsHandWrittenFixtures) {
  std::vector<double> v = {1.5, -2.25, 1e300, 0.0};
  Tensor t;
  std::string err;
  // Version 1.0, numpy's layout.
  ASSERT_TRUE(parseBytes(npyFixture("{'descr': '<f8', 'fortran_order': False, "
                                    "'shape': (2, 2), }",
                                    rawBytes(v), 1, 128),
                         &t, &err))
      << err;
  EXPECT_EQ(t.dtype, DType::F64);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t.data<double>()[2], 1e300);
  // Version 2.0 (4-byte length), no padding, Python 2 longs, other key
  // order, no trailing comma.
  ASSERT_TRUE(parseBytes(npyFixture("{'shape': (4L,), 'fortran_order': False, "
                                    "'descr': '<f8'}",
                                    rawBytes(v), 2),
                         &t, &err))
      << err;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(t.data<double>()[1], -2.25);
  // Version 3.0 (utf-8 header, same layout as 2.0); int32.
  std::vector<int32_t> iv = {-1, 2147483647};
  ASSERT_TRUE(parseBytes(npyFixture("{'descr': '<i4', 'fortran_order': False, "
                                    "'shape': (2,), }",
                                    rawBytes(iv), 3, 128),
                         &t, &err))
      << err;
  EXPECT_EQ(t.data<int32_t>()[1], 2147483647);
  // Fortran order is fine when the layout equals C order.
  ASSERT_TRUE(parseBytes(npyFixture("{'descr': '<i4', 'fortran_order': True, "
                                    "'shape': (1, 2), }",
                                    rawBytes(iv)),
                         &t, &err))
      << err;
  // '|u1' and '<u1' both mean uint8.
  ASSERT_TRUE(parseBytes(npyFixture("{'descr': '<u1', 'fortran_order': False, "
                                    "'shape': (3,), }",
                                    {7, 8, 9}),
                         &t, &err))
      << err;
  EXPECT_EQ(t.dtype, DType::U8);
}

struct BadCase {
  std::vector<uint8_t> bytes;
  std::string expect;
};

TEST(Npy, RejectsBadFiles) {
  std::vector<float> f6(6, 1.0f);
  auto hdr = [](const std::string &descr, const std::string &fortran,
                const std::string &shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + fortran +
           ", 'shape': " + shape + ", }";
  };
  std::vector<uint8_t> good =
      npyFixture(hdr("<f4", "False", "(2, 3)"), rawBytes(f6), 1, 128);
  std::vector<BadCase> cases = {
      {npyFixture(hdr("<f4", "True", "(2, 3)"), rawBytes(f6)),
       "Fortran-order (column-major) arrays are not supported"},
      {npyFixture(hdr(">f4", "False", "(2, 3)"), rawBytes(f6)),
       "big-endian data ('>f4') is not supported"},
      {npyFixture(hdr("<f2", "False", "(2, 3)"), rawBytes(f6)),
       "unsupported dtype '<f2'"},
      {npyFixture(hdr("|b1", "False", "(2, 3)"), rawBytes(f6)),
       "unsupported dtype '|b1'"},
      {npyFixture("{'descr': [('a', '<f4')], 'fortran_order': False, "
                  "'shape': (6,), }",
                  rawBytes(f6)),
       "structured dtypes"},
      {npyFixture("{'descr': '<f4', 'shape': (6,), }", rawBytes(f6)),
       "missing key 'fortran_order'"},
      {npyFixture("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), "
                  "'extra': 1}",
                  rawBytes(f6)),
       "unexpected key 'extra'"},
      {npyFixture("not a dict", rawBytes(f6)), "malformed .npy header"},
      {npyFixture(hdr("<f4", "maybe", "(6,)"), rawBytes(f6)),
       "fortran_order must be True or False"},
      {npyFixture(hdr("<f4", "False", "(-6,)"), rawBytes(f6)),
       "malformed .npy header"},
      {npyFixture(hdr("<f4", "False", "(99999999999, 99999999999)"), {}),
       "overflows"},
      {npyFixture(hdr("<f4", "False", "(2, 4)"), rawBytes(f6)),
       "truncated .npy file: shape 2x4 of float32 needs 32 data bytes, the "
       "file has 24"},
      {npyFixture(hdr("<f4", "False", "(5,)"), rawBytes(f6)),
       "size mismatch in .npy file: shape 5 of float32 needs 20 data bytes, "
       "the file has 24"},
      {std::vector<uint8_t>(good.begin(), good.begin() + 60),
       "truncated .npy file: the header declares 118 bytes, only 50 follow"},
      {std::vector<uint8_t>(good.begin(), good.begin() + 9),
       "truncated .npy file: the header length is missing"},
      {std::vector<uint8_t>(good.begin(), good.begin() + 4),
       "truncated .npy file (4 bytes)"},
      {{}, "truncated .npy file (0 bytes)"},
      {bytesOf("PK\x03\x04 this is a zip, an .npz perhaps"),
       "not a .npy file"},
  };
  std::vector<uint8_t> v4 = good;
  v4[6] = 4;
  cases.push_back({v4, "unsupported .npy format version 4.0"});
  for (size_t i = 0; i < cases.size(); ++i) {
    Tensor t;
    std::string err;
    EXPECT_FALSE(parseBytes(cases[i].bytes, &t, &err)) << "case " << i;
    EXPECT_TRUE(contains(err, "fixture.npy: ")) << err;
    EXPECT_TRUE(contains(err, cases[i].expect))
        << "case " << i << ": " << err;
  }
}

TEST(Npy, ReadErrorsNameTheFile) {
  TempDir d;
  std::string p = d.path("bad.npy"), err;
  std::vector<uint8_t> b = bytesOf("\x93NUMPY");
  b.insert(b.end(), {1, 0, 5, 0});
  for (char c : std::string("{'de"))
    b.push_back(static_cast<uint8_t>(c));
  ASSERT_TRUE(writeBytes(p, b));
  Tensor t;
  EXPECT_FALSE(readNpy(p, &t, &err));
  EXPECT_TRUE(contains(err, p + ": truncated .npy file")) << err;
  EXPECT_FALSE(readNpy(d.path("missing.npy"), &t, &err));
  EXPECT_TRUE(contains(err, d.path("missing.npy") + ": cannot open")) << err;
}

TEST(Npy, WriteRejectsInconsistentTensorAndKeepsOldFile) {
  TempDir d;
  std::string p = d.path("out.npy"), err;
  ASSERT_TRUE(writeBytes(p, bytesOf("old")));
  Tensor t;
  t.dtype = DType::F32;
  t.shape = {2, 2};
  t.bytes.resize(12); // Should be 16.
  EXPECT_FALSE(writeNpy(p, t, &err));
  EXPECT_TRUE(contains(err, p + ": inconsistent tensor")) << err;
  EXPECT_EQ(readBytes(p), bytesOf("old"));
}

TEST(Npy, LongShapeHeaderStaysAligned) {
  // Version 2.0 needs a header > 65535 bytes, which no shape of rank <= 64
  // reaches; check that long headers stay 64-byte aligned version 1.0.
  std::vector<int64_t> shape(40, 1);
  shape[0] = 3;
  std::vector<uint8_t> data(3, 9);
  Tensor t;
  std::string err;
  ASSERT_TRUE(makeTensor(shape, data.data(), &t, &err)) << err;
  std::vector<uint8_t> enc;
  ASSERT_TRUE(encodeNpy(t, &enc, &err)) << err;
  EXPECT_EQ(enc[6], 1);
  EXPECT_EQ((enc.size() - 3) % 64, 0u);
  Tensor back;
  ASSERT_TRUE(parseBytes(enc, &back, &err)) << err;
  EXPECT_EQ(back.shape, shape);
}

TEST(Npy, PythonNumpyInterop) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 with numpy is not installed; the byte-level "
                    "fixtures above cover the format";
  TempDir d;
  std::vector<float> v = {1.5f, -2.0f, 0.25f, 8.0f, 0.1f, 3.0f};
  Tensor t;
  std::string err;
  ASSERT_TRUE(makeTensor({2, 3}, v.data(), &t, &err));
  std::string in = d.path("in.npy"), out = d.path("out.npy");
  ASSERT_TRUE(writeNpy(in, t, &err)) << err;
  std::string cmd =
      "/usr/bin/python3 -c \"import numpy as np; a = np.load('" + in +
      "'); assert a.dtype == np.float32 and a.shape == (2, 3), a; "
      "np.save('" + out + "', (a * 2).astype(np.float64))\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Tensor back;
  ASSERT_TRUE(readNpy(out, &back, &err)) << err;
  ASSERT_EQ(back.dtype, DType::F64);
  ASSERT_EQ(back.shape, (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(back.data<double>()[i], 2.0 * double(v[i]));
}

} // namespace
