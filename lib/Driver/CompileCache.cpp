//===- CompileCache.cpp - on-disk cache of compiled objects ---------------===//
//
// See include/flops/Driver/CompileCache.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir::flops::driver;

namespace {

constexpr char kMagic[8] = {'F', 'L', 'O', 'P', 'S', 'O', 'B', 'J'};
constexpr uint32_t kFormat = 2;

std::string digest(llvm::StringRef data) {
  llvm::BLAKE3 h;
  h.update(data);
  return llvm::toHex(h.final(), /*LowerCase=*/true);
}

void putU64(std::string &s, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s.push_back(char((v >> (8 * i)) & 0xff));
}

bool getU64(llvm::StringRef &s, uint64_t *v) {
  if (s.size() < 8)
    return false;
  *v = 0;
  for (int i = 0; i < 8; ++i)
    *v |= uint64_t(uint8_t(s[i])) << (8 * i);
  s = s.drop_front(8);
  return true;
}

bool getString(llvm::StringRef &s, std::string *out) {
  uint64_t n;
  if (!getU64(s, &n) || s.size() < n)
    return false;
  *out = s.take_front(n).str();
  s = s.drop_front(n);
  return true;
}

void putString(std::string &s, llvm::StringRef v) {
  putU64(s, v.size());
  s.append(v.data(), v.size());
}

} // namespace

std::string mlir::flops::driver::defaultCacheDir() {
  if (const char *d = std::getenv("FLOPS_CACHE_DIR")) {
    llvm::StringRef v(d);
    return v == "off" ? std::string() : v.str();
  }
  llvm::SmallString<256> p;
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    p = x;
  else if (const char *h = std::getenv("HOME"); h && *h)
    llvm::sys::path::append(p, h, ".cache");
  else
    return "";
  llvm::sys::path::append(p, "flops-mlir");
  return std::string(p);
}

const std::string &mlir::flops::driver::executableDigest() {
  static std::once_flag once;
  static std::string value;
  std::call_once(once, [] {
    // The file holding this code: the tool, or a shared object such as the
    // Python extension module (whose interpreter says nothing about it).
    std::string self = "/proc/self/exe";
    Dl_info info;
    if (::dladdr(reinterpret_cast<void *>(&mlir::flops::driver::executableDigest), &info) &&
        info.dli_fname && llvm::StringRef(info.dli_fname).contains(".so"))
      self = info.dli_fname;
    auto buf = llvm::MemoryBuffer::getFile(self, false, false);
    // Unreadable: a per-process value, i.e. no reuse across runs.
    value = buf ? digest((*buf)->getBuffer())
                : "pid" + std::to_string(::getpid());
  });
  return value;
}

std::string mlir::flops::driver::cacheKey(llvm::ArrayRef<std::string> parts) {
  std::string all;
  for (const std::string &p : parts)
    putString(all, p);
  return digest(all);
}

std::string mlir::flops::driver::cachePath(llvm::StringRef dir,
                                           llvm::StringRef key) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, key + ".flopsobj");
  return std::string(p);
}

CacheLookup mlir::flops::driver::readCacheEntry(llvm::StringRef dir,
                                                llvm::StringRef key,
                                                CacheEntry *entry) {
  std::string path = cachePath(dir, key);
  if (!llvm::sys::fs::exists(path))
    return CacheLookup::Miss;
  auto buf = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buf)
    return CacheLookup::Corrupt;
  llvm::StringRef s = (*buf)->getBuffer();
  if (s.size() < sizeof kMagic ||
      std::memcmp(s.data(), kMagic, sizeof kMagic) != 0)
    return CacheLookup::Corrupt;
  s = s.drop_front(sizeof kMagic);
  uint64_t format, kind, threads, size;
  std::string storedKey, pipeline, hash;
  if (!getU64(s, &format) || format != kFormat ||
      !getString(s, &storedKey) || storedKey != key ||
      !getString(s, &pipeline) || !getU64(s, &kind) ||
      !getU64(s, &threads) || !getString(s, &hash) || !getU64(s, &size) ||
      s.size() != size || digest(s) != hash)
    return CacheLookup::Corrupt;
  uint64_t count;
  entry->objects.clear();
  if (!getU64(s, &count))
    return CacheLookup::Corrupt;
  for (uint64_t i = 0; i < count; ++i) {
    std::string o;
    if (!getString(s, &o))
      return CacheLookup::Corrupt;
    entry->objects.push_back(std::move(o));
  }
  if (!s.empty() || entry->objects.empty())
    return CacheLookup::Corrupt;
  entry->pipeline = std::move(pipeline);
  entry->kind = int(kind);
  entry->threads = int64_t(threads);
  // Recently used: pruning removes the oldest modification times first.
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
  return CacheLookup::Hit;
}

bool mlir::flops::driver::writeCacheEntry(llvm::StringRef dir,
                                          llvm::StringRef key,
                                          const CacheEntry &entry,
                                          std::string *error) {
  uint64_t maxBytes;
  if (!cacheMaxBytes(&maxBytes, error))
    return false;
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    *error = "cannot create '" + dir.str() + "': " + ec.message();
    return false;
  }
  std::string data(kMagic, sizeof kMagic);
  putU64(data, kFormat);
  putString(data, key);
  putString(data, entry.pipeline);
  putU64(data, uint64_t(entry.kind));
  putU64(data, uint64_t(entry.threads));
  std::string payload;
  putU64(payload, entry.objects.size());
  for (const std::string &o : entry.objects)
    putString(payload, o);
  putString(data, digest(payload));
  putU64(data, payload.size());
  data += payload;

  std::string path = cachePath(dir, key);
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec, llvm::sys::fs::OF_None);
    if (ec) {
      *error = "cannot write '" + tmp + "': " + ec.message();
      return false;
    }
    os << data;
    os.close();
    if (os.has_error()) {
      *error = "cannot write '" + tmp + "'";
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    *error = "cannot rename '" + tmp + "': " + ec.message();
    llvm::sys::fs::remove(tmp);
    return false;
  }
  pruneCache(dir, maxBytes, key);
  return true;
}

bool mlir::flops::driver::cacheMaxBytes(uint64_t *bytes, std::string *error) {
  double mb = kDefaultCacheMaxMB;
  if (const char *v = std::getenv("FLOPS_CACHE_MAX_MB")) {
    char *end = nullptr;
    errno = 0;
    mb = std::strtod(v, &end);
    if (!*v || *end || errno || !std::isfinite(mb) || mb < 0) {
      *error = std::string("FLOPS_CACHE_MAX_MB='") + v +
               "' is not a non-negative number of megabytes";
      return false;
    }
  }
  *bytes = uint64_t(std::min(mb * 1048576.0, 1.8e19));
  return true;
}

unsigned mlir::flops::driver::pruneCache(llvm::StringRef dir,
                                         uint64_t maxBytes,
                                         llvm::StringRef keep) {
  struct File {
    std::string path;
    uint64_t size;
    llvm::sys::TimePoint<> mtime;
  };
  std::vector<File> files;
  uint64_t total = 0;
  std::string kept = cachePath(dir, keep);
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), e; it != e && !ec;
       it.increment(ec)) {
    llvm::StringRef p = it->path();
    if (!p.ends_with(".flopsobj"))
      continue;
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(p, st) ||
        st.type() != llvm::sys::fs::file_type::regular_file)
      continue;
    total += st.getSize();
    if (p != kept)
      files.push_back({p.str(), st.getSize(), st.getLastModificationTime()});
  }
  std::sort(files.begin(), files.end(), [](const File &a, const File &b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
  });
  unsigned removed = 0;
  for (const File &f : files) {
    if (total <= maxBytes)
      break;
    if (!llvm::sys::fs::remove(f.path)) {
      total -= f.size;
      ++removed;
    }
  }
  return removed;
}
