//===- FileIO.cpp - Whole-file reads and atomic writes --------------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/FileIO.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace flops::rt;

namespace {

AtomicWriteStage gFailAt = AtomicWriteStage::None;

void setError(std::string *error, std::string msg) {
  if (error)
    *error = std::move(msg);
}

std::string errnoText(int err) { return std::strerror(err); }

/// Closes a descriptor on scope exit unless released.
struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0)
      ::close(fd);
  }
};

bool writeAll(int fd, const uint8_t *p, size_t n, int *err) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t(1) << 30));
    if (w < 0) {
      if (errno == EINTR)
        continue;
      *err = errno;
      return false;
    }
    if (w == 0) {
      *err = EIO;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace

bool flops::rt::readFile(const std::string &path, std::vector<uint8_t> *out,
                         std::string *error) {
  FdGuard fd;
  do
    fd.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd.fd < 0 && errno == EINTR);
  if (fd.fd < 0) {
    setError(error, path + ": cannot open: " + errnoText(errno));
    return false;
  }
  struct stat st;
  if (::fstat(fd.fd, &st) != 0) {
    setError(error, path + ": cannot stat: " + errnoText(errno));
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    setError(error, path + ": is a directory, not a file");
    return false;
  }
  try {
    out->clear();
    size_t expected = S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
    out->resize(std::max<size_t>(expected, 1) + 1);
    size_t have = 0;
    for (;;) {
      if (have == out->size())
        out->resize(out->size() * 2);
      ssize_t r = ::read(fd.fd, out->data() + have,
                         std::min<size_t>(out->size() - have, size_t(1) << 30));
      if (r < 0) {
        if (errno == EINTR)
          continue;
        setError(error, path + ": read error: " + errnoText(errno));
        return false;
      }
      if (r == 0)
        break;
      have += static_cast<size_t>(r);
    }
    out->resize(have);
  } catch (const std::bad_alloc &) {
    out->clear();
    out->shrink_to_fit();
    setError(error, path + ": out of memory reading the file");
    return false;
  }
  return true;
}

bool flops::rt::isGzip(const uint8_t *data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

bool flops::rt::gunzip(const uint8_t *data, size_t size,
                       const std::string &name, std::vector<uint8_t> *out,
                       std::string *error) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    setError(error, name + ": cannot initialise zlib");
    return false;
  }
  struct InflateGuard {
    z_stream *zs;
    ~InflateGuard() { inflateEnd(zs); }
  } guard{&zs};

  const size_t kChunk = size_t(1) << 30;
  try {
    out->clear();
    // The gzip trailer's ISIZE (length mod 2^32) is a hint only; deflate
    // cannot expand by more than ~1032x, so a lying trailer cannot make us
    // reserve much more than that.
    size_t hint = 1 << 16;
    if (size >= 18) {
      uint32_t isize = uint32_t(data[size - 4]) | uint32_t(data[size - 3]) << 8 |
                       uint32_t(data[size - 2]) << 16 |
                       uint32_t(data[size - 1]) << 24;
      hint = std::max<size_t>(hint, std::min<size_t>(isize, size * 1032));
    }
    out->resize(hint);
    size_t inPos = 0, produced = 0;
    for (;;) {
      if (zs.avail_in == 0 && inPos < size) {
        size_t n = std::min(size - inPos, kChunk);
        zs.next_in = const_cast<Bytef *>(data + inPos);
        zs.avail_in = static_cast<uInt>(n);
        inPos += n;
      }
      if (produced == out->size())
        out->resize(out->size() * 2);
      size_t room = std::min(out->size() - produced, kChunk);
      zs.next_out = out->data() + produced;
      zs.avail_out = static_cast<uInt>(room);
      int ret = inflate(&zs, Z_NO_FLUSH);
      produced += room - zs.avail_out;
      if (ret == Z_STREAM_END) {
        size_t consumed = inPos - zs.avail_in;
        if (consumed == size)
          break;
        if (isGzip(data + consumed, size - consumed)) {
          inflateReset(&zs); // Another gzip member follows.
          continue;
        }
        setError(error, name + ": corrupt gzip file: " +
                            std::to_string(size - consumed) +
                            " bytes of trailing garbage after the compressed "
                            "data");
        return false;
      }
      if (ret == Z_OK)
        continue;
      if (ret == Z_BUF_ERROR) {
        if (zs.avail_out == 0)
          continue; // Grows on the next iteration.
        if (zs.avail_in == 0 && inPos == size) {
          setError(error, name + ": truncated gzip file: the compressed "
                                 "stream ends after " +
                              std::to_string(size) +
                              " bytes without its end marker and checksum");
          return false;
        }
      }
      if (ret == Z_MEM_ERROR) {
        setError(error, name + ": out of memory while decompressing");
        return false;
      }
      setError(error, name + ": corrupt gzip data (" +
                          (zs.msg ? std::string(zs.msg)
                                  : "zlib error " + std::to_string(ret)) +
                          ")");
      return false;
    }
    out->resize(produced);
  } catch (const std::bad_alloc &) {
    out->clear();
    out->shrink_to_fit();
    setError(error, name + ": out of memory while decompressing");
    return false;
  }
  return true;
}

bool flops::rt::readMaybeGzipFile(const std::string &path,
                                  std::vector<uint8_t> *out,
                                  std::string *error) {
  std::vector<uint8_t> raw;
  if (!readFile(path, &raw, error))
    return false;
  if (!isGzip(raw.data(), raw.size())) {
    *out = std::move(raw);
    return true;
  }
  return gunzip(raw.data(), raw.size(), path, out, error);
}

std::string flops::rt::atomicTempPath(const std::string &path) {
  return path + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
}

int flops::rt::removeStaleTemporaries(const std::string &path) {
  std::string dir = directoryOf(path);
  size_t slash = path.find_last_of('/');
  std::string prefix =
      (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return 0;
  int removed = 0;
  while (struct dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix))
      continue;
    std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    pid_t pid = static_cast<pid_t>(std::stol(digits));
    // Only a temporary whose writer is gone: another live process may be
    // writing its own.
    if (pid == ::getpid() || pid <= 0 ||
        !(::kill(pid, 0) != 0 && errno == ESRCH))
      continue;
    std::string full = dir + "/" + name;
    struct stat st;
    if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::unlink(full.c_str()) == 0)
      ++removed;
  }
  ::closedir(d);
  return removed;
}

void flops::rt::setAtomicWriteFailureForTesting(AtomicWriteStage stage) {
  gFailAt = stage;
}

bool flops::rt::writeFileAtomic(const std::string &path,
                                const std::vector<ByteSpan> &parts,
                                std::string *error) {
  std::string tmp;
  try {
    tmp = atomicTempPath(path);
  } catch (const std::bad_alloc &) {
    setError(error, path + ": out of memory");
    return false;
  }
  // Temporaries left by writers that were killed (kill -9) before renaming.
  removeStaleTemporaries(path);
  const std::string unchanged = " (the existing file, if any, is unchanged)";
  auto fail = [&](const std::string &what, int err, bool removeTmp) {
    if (removeTmp)
      ::unlink(tmp.c_str());
    setError(error, path + ": " + what + ": " +
                        (err ? errnoText(err) : "simulated failure") +
                        unchanged);
    return false;
  };

  // Open.
  if (gFailAt == AtomicWriteStage::Open)
    return fail("cannot create temporary file " + tmp, 0, false);
  int fd;
  do
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
                                 O_NOFOLLOW,
                0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return fail("cannot create temporary file " + tmp, errno, false);

  // Write.
  size_t total = 0;
  for (const ByteSpan &p : parts)
    total += p.size;
  size_t budget = gFailAt == AtomicWriteStage::Write ? total / 2 : total;
  for (const ByteSpan &p : parts) {
    size_t n = std::min(p.size, budget);
    int err = 0;
    if (n && !writeAll(fd, static_cast<const uint8_t *>(p.data), n, &err)) {
      ::close(fd);
      return fail("cannot write temporary file " + tmp, err, true);
    }
    budget -= n;
  }
  if (gFailAt == AtomicWriteStage::Write) {
    ::close(fd);
    return fail("cannot write temporary file " + tmp, 0, true);
  }

  // Sync and close.
  if (gFailAt == AtomicWriteStage::Sync) {
    ::close(fd);
    return fail("cannot sync temporary file " + tmp, 0, true);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return fail("cannot sync temporary file " + tmp, err, true);
  }
  if (::close(fd) != 0)
    return fail("cannot close temporary file " + tmp, errno, true);

  // Rename over the target.
  if (gFailAt == AtomicWriteStage::Rename)
    return fail("cannot rename " + tmp + " over the target", 0, true);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail("cannot rename " + tmp + " over the target", errno, true);

  // Persist the directory entry (best effort: some file systems refuse).
  int dfd = ::open(directoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}
