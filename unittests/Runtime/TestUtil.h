//===- TestUtil.h - Temporary directories and file helpers for tests ------===//

#ifndef FLOPS_UNITTESTS_RUNTIME_TESTUTIL_H
#define FLOPS_UNITTESTS_RUNTIME_TESTUTIL_H

#include "gtest/gtest.h"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace flops {
namespace rt {
namespace test {

/// A fresh directory under $TMPDIR (or /tmp), removed with its files (one
/// level of subdirectories) on destruction.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") +
                       "/flops-rt-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()))
      dir = buf.data();
    EXPECT_FALSE(dir.empty()) << "mkdtemp failed";
  }
  ~TempDir() { removeTree(dir, 2); }
  std::string path(const std::string &name) const { return dir + "/" + name; }
  const std::string &root() const { return dir; }

  /// Names in the directory (without . and ..).
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    if (DIR *d = ::opendir(dir.c_str())) {
      while (dirent *e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..")
          names.push_back(n);
      }
      ::closedir(d);
    }
    return names;
  }

private:
  std::string dir;
  static void removeTree(const std::string &p, int depth) {
    if (p.empty())
      return;
    if (DIR *d = ::opendir(p.c_str())) {
      while (dirent *e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..")
          continue;
        std::string c = p + "/" + n;
        struct stat st;
        if (::lstat(c.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && depth > 0)
          removeTree(c, depth - 1);
        else
          ::unlink(c.c_str());
      }
      ::closedir(d);
    }
    ::rmdir(p.c_str());
  }
};

inline bool writeBytes(const std::string &path, const std::vector<uint8_t> &b) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return false;
  bool ok = b.empty() || std::fwrite(b.data(), 1, b.size(), f) == b.size();
  return std::fclose(f) == 0 && ok;
}

inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::vector<uint8_t> b;
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return b;
  int c;
  while ((c = std::fgetc(f)) != EOF)
    b.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  return b;
}

inline std::vector<uint8_t> bytesOf(const std::string &s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

/// Appends v little-endian in n bytes.
inline void putLE(std::vector<uint8_t> &b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

/// gzip-compresses bytes in memory with zlib (one member).
inline std::vector<uint8_t> gzipBytes(const std::vector<uint8_t> &in) {
  z_stream zs{};
  std::vector<uint8_t> out;
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return out;
  out.resize(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef *>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int ret = deflate(&zs, Z_FINISH);
  EXPECT_EQ(ret, Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

} // namespace test
} // namespace rt
} // namespace flops

#endif // FLOPS_UNITTESTS_RUNTIME_TESTUTIL_H
