//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Npy.h"
#include "flops/Runtime/FileIO.h"

#include <cstring>
#include <new>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the runtime's file formats assume a little-endian host"
#endif

using namespace flops::rt;

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;              // numpy's ARRAY_ALIGN.
constexpr size_t kGrowthAxisMaxDigits = 21; // numpy >= 1.23 spare space.

void setError(std::string *error, std::string msg) {
  if (error)
    *error = std::move(msg);
}

/// The parsed header dict.
struct Header {
  bool haveDescr = false, haveFortran = false, haveShape = false;
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

/// Parser for the Python literal numpy writes: a dict of str keys whose
/// values are str, True/False or a tuple of non-negative ints.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view s) : s(s) {}
  std::string error;

  bool parse(Header *h) {
    ws();
    if (!eat('{'))
      return fail("expected '{' at the start of the header dict");
    ws();
    while (!peek('}')) {
      std::string key;
      if (!str(&key))
        return false;
      ws();
      if (!eat(':'))
        return fail("expected ':' after key '" + key + "'");
      ws();
      if (key == "descr") {
        if (peek('['))
          return fail("structured dtypes (a list descr) are not supported");
        if (!str(&h->descr))
          return false;
        h->haveDescr = true;
      } else if (key == "fortran_order") {
        if (!boolean(&h->fortran))
          return false;
        h->haveFortran = true;
      } else if (key == "shape") {
        if (!tuple(&h->shape))
          return false;
        h->haveShape = true;
      } else {
        return fail("unexpected key '" + key + "'");
      }
      ws();
      if (eat(',')) {
        ws();
        continue;
      }
      if (!peek('}'))
        return fail("expected ',' or '}' in the header dict");
    }
    ++pos; // '}'
    ws();
    if (pos != s.size())
      return fail("unexpected text after the header dict");
    if (!h->haveDescr || !h->haveFortran || !h->haveShape)
      return fail(std::string("missing key '") +
                  (!h->haveDescr     ? "descr"
                   : !h->haveFortran ? "fortran_order"
                                     : "shape") +
                  "'");
    return true;
  }

private:
  std::string_view s;
  size_t pos = 0;

  bool fail(const std::string &msg) {
    error = msg;
    return false;
  }
  void ws() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' ||
                              s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }
  bool peek(char c) const { return pos < s.size() && s[pos] == c; }
  bool eat(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }
  bool str(std::string *out) {
    if (!peek('\'') && !peek('"'))
      return fail("expected a quoted string");
    char q = s[pos++];
    size_t start = pos;
    while (pos < s.size() && s[pos] != q) {
      if (s[pos] == '\\' || s[pos] == '\n')
        return fail("unsupported character in a header string");
      ++pos;
    }
    if (pos >= s.size())
      return fail("unterminated string in the header");
    *out = std::string(s.substr(start, pos - start));
    ++pos;
    return true;
  }
  bool boolean(bool *out) {
    if (s.substr(pos, 4) == "True") {
      pos += 4;
      *out = true;
      return true;
    }
    if (s.substr(pos, 5) == "False") {
      pos += 5;
      *out = false;
      return true;
    }
    return fail("fortran_order must be True or False");
  }
  bool integer(int64_t *out) {
    if (pos >= s.size() || s[pos] < '0' || s[pos] > '9')
      return fail("expected a non-negative integer in the shape");
    int64_t v = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      int d = s[pos++] - '0';
      if (v > (INT64_MAX - d) / 10)
        return fail("shape extent too large");
      v = v * 10 + d;
    }
    if (peek('L') || peek('l')) // Python 2 longs.
      ++pos;
    *out = v;
    return true;
  }
  bool tuple(std::vector<int64_t> *out) {
    out->clear();
    if (!eat('('))
      return fail("shape must be a tuple");
    ws();
    while (!peek(')')) {
      int64_t v;
      if (!integer(&v))
        return false;
      out->push_back(v);
      if (out->size() > 64)
        return fail("shape has more than 64 dimensions");
      ws();
      if (eat(',')) {
        ws();
        continue;
      }
      if (!peek(')'))
        return fail("expected ',' or ')' in the shape");
    }
    ++pos;
    return true;
  }
};

bool parseDescr(const std::string &descr, DType *out, std::string *why) {
  std::string d = descr;
  char order = 0;
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '='))
    order = d[0], d = d.substr(1);
  DType t;
  if (d == "f4")
    t = DType::F32;
  else if (d == "f8")
    t = DType::F64;
  else if (d == "i4")
    t = DType::I32;
  else if (d == "i8")
    t = DType::I64;
  else if (d == "u1")
    t = DType::U8;
  else {
    *why = "unsupported dtype '" + descr +
           "' (supported: <f4 float32, <f8 float64, <i4 int32, <i8 int64, "
           "|u1 uint8)";
    return false;
  }
  if (order == '>' && dtypeSize(t) > 1) {
    *why = "big-endian data ('" + descr +
           "') is not supported; convert with arr.astype(arr.dtype."
           "newbyteorder('<'))";
    return false;
  }
  if (order == 0 && dtypeSize(t) > 1) {
    *why = "dtype '" + descr + "' has no byte order";
    return false;
  }
  *out = t;
  return true;
}

} // namespace

const char *flops::rt::npyDescr(DType t) {
  switch (t) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::U8:
    return "|u1";
  }
  return "?";
}

bool flops::rt::parseNpy(const uint8_t *data, size_t size,
                         const std::string &name, Tensor *out,
                         std::string *error) {
  try {
    if (size < kMagicLen + 2 ||
        std::memcmp(data, kMagic, kMagicLen) != 0) {
      if (size < kMagicLen + 2 &&
          (size == 0 ||
           std::memcmp(data, kMagic, std::min(size, kMagicLen)) == 0))
        setError(error, name + ": truncated .npy file (" +
                            std::to_string(size) + " bytes)");
      else
        setError(error, name + ": not a .npy file (the magic string "
                               "\\x93NUMPY is missing)");
      return false;
    }
    unsigned major = data[6], minor = data[7];
    size_t lenBytes;
    if (major == 1 && minor == 0)
      lenBytes = 2;
    else if ((major == 2 || major == 3) && minor == 0)
      lenBytes = 4;
    else {
      setError(error, name + ": unsupported .npy format version " +
                          std::to_string(major) + "." + std::to_string(minor) +
                          " (supported: 1.0, 2.0, 3.0)");
      return false;
    }
    size_t prefix = kMagicLen + 2 + lenBytes;
    if (size < prefix) {
      setError(error, name + ": truncated .npy file: the header length is "
                             "missing");
      return false;
    }
    uint64_t hlen = 0;
    for (size_t i = 0; i < lenBytes; ++i)
      hlen |= uint64_t(data[kMagicLen + 2 + i]) << (8 * i);
    if (hlen > size - prefix) {
      setError(error, name + ": truncated .npy file: the header declares " +
                          std::to_string(hlen) + " bytes, only " +
                          std::to_string(size - prefix) + " follow");
      return false;
    }
    std::string_view text(reinterpret_cast<const char *>(data + prefix),
                          static_cast<size_t>(hlen));
    Header h;
    HeaderParser hp(text);
    if (!hp.parse(&h)) {
      setError(error, name + ": malformed .npy header: " + hp.error);
      return false;
    }
    DType dtype;
    std::string why;
    if (!parseDescr(h.descr, &dtype, &why)) {
      setError(error, name + ": " + why);
      return false;
    }
    if (h.fortran) {
      int big = 0;
      for (int64_t d : h.shape)
        big += d > 1;
      if (big > 1) {
        setError(error, name + ": Fortran-order (column-major) arrays are not "
                               "supported; save a C-order array "
                               "(numpy.ascontiguousarray)");
        return false;
      }
    }
    uint64_t numElements, numBytes;
    if (!shapeSize(h.shape, dtypeSize(dtype), &numElements, &numBytes)) {
      setError(error, name + ": corrupt .npy header: shape " +
                          shapeToString(h.shape) + " overflows");
      return false;
    }
    uint64_t have = size - prefix - hlen;
    if (have != numBytes) {
      setError(error,
               name + (have < numBytes ? ": truncated .npy file: "
                                       : ": size mismatch in .npy file: ") +
                   "shape " + shapeToString(h.shape) + " of " +
                   dtypeName(dtype) + " needs " + std::to_string(numBytes) +
                   " data bytes, the file has " + std::to_string(have));
      return false;
    }
    Tensor t;
    std::string allocError;
    if (!makeTensor(dtype, h.shape, &t, &allocError)) {
      setError(error, name + ": " + allocError);
      return false;
    }
    if (numBytes)
      std::memcpy(t.bytes.data(), data + prefix + hlen, numBytes);
    *out = std::move(t);
  } catch (const std::bad_alloc &) {
    setError(error, name + ": out of memory reading the .npy file");
    return false;
  }
  return true;
}

bool flops::rt::readNpy(const std::string &path, Tensor *out,
                        std::string *error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, &bytes, error))
    return false;
  return parseNpy(bytes.data(), bytes.size(), path, out, error);
}

namespace {

bool npyHeader(const Tensor &t, std::string *header, std::string *error) {
  uint64_t n, bytes;
  if (!shapeSize(t.shape, dtypeSize(t.dtype), &n, &bytes) ||
      bytes != t.bytes.size()) {
    setError(error, "inconsistent tensor: shape " + shapeToString(t.shape) +
                        " of " + dtypeName(t.dtype) + " but " +
                        std::to_string(t.bytes.size()) + " bytes");
    return false;
  }
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (i)
      shape += ", ";
    shape += std::to_string(t.shape[i]);
  }
  if (t.shape.size() == 1)
    shape += ",";
  shape += ")";
  std::string dict = std::string("{'descr': '") + npyDescr(t.dtype) +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy >= 1.23 leaves room to grow the first extent in place.
  if (!t.shape.empty()) {
    size_t digits = std::to_string(t.shape[0]).size();
    dict.append(kGrowthAxisMaxDigits - std::min(digits, kGrowthAxisMaxDigits),
                ' ');
  }
  size_t hlen = dict.size() + 1; // + '\n'
  size_t lenBytes = 2; // Version 1.0 unless the header needs more.
  size_t pad = kAlign - (kMagicLen + 2 + lenBytes + hlen) % kAlign; // 1..64.
  if (hlen + pad > 65535) {
    lenBytes = 4; // Version 2.0.
    pad = kAlign - (kMagicLen + 2 + lenBytes + hlen) % kAlign;
  }
  size_t total = hlen + pad;
  std::string h(kMagic, kMagicLen);
  h += char(lenBytes == 2 ? 1 : 2);
  h += char(0);
  for (size_t i = 0; i < lenBytes; ++i)
    h += char((total >> (8 * i)) & 0xFF);
  h += dict;
  h.append(pad, ' ');
  h += '\n';
  *header = std::move(h);
  return true;
}

} // namespace

bool flops::rt::encodeNpy(const Tensor &t, std::vector<uint8_t> *out,
                          std::string *error) {
  try {
    std::string header;
    if (!npyHeader(t, &header, error))
      return false;
    out->assign(header.begin(), header.end());
    out->insert(out->end(), t.bytes.begin(), t.bytes.end());
  } catch (const std::bad_alloc &) {
    setError(error, "out of memory encoding a .npy file");
    return false;
  }
  return true;
}

bool flops::rt::writeNpy(const std::string &path, const Tensor &t,
                         std::string *error) {
  std::string header;
  try {
    std::string why;
    if (!npyHeader(t, &header, &why)) {
      setError(error, path + ": " + why);
      return false;
    }
  } catch (const std::bad_alloc &) {
    setError(error, path + ": out of memory");
    return false;
  }
  return writeFileAtomic(path,
                         {{header.data(), header.size()},
                          {t.bytes.data(), t.bytes.size()}},
                         error);
}
