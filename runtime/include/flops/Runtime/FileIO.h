//===- FileIO.h - Whole-file reads and atomic writes ------------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// Every reader of the runtime loads a whole file (optionally inflating gzip)
// and every writer replaces its target atomically: the bytes go to
// `<path>.tmp.<pid>` in the target's directory, are fsync'ed, and the temporary
// is renamed over the target (then the directory is fsync'ed, best effort).
// A failure at any stage removes the temporary and leaves an existing target
// untouched. Error messages start with the path concerned.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_FILEIO_H
#define FLOPS_RUNTIME_FILEIO_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace flops {
namespace rt {

/// Reads the whole file. False, with "<path>: <reason>", when it cannot be
/// opened or read or memory runs out.
bool readFile(const std::string &path, std::vector<uint8_t> *out,
              std::string *error = nullptr);

/// True when the bytes start with the gzip magic 1f 8b.
bool isGzip(const uint8_t *data, size_t size);

/// Inflates a gzip stream (several concatenated members allowed; each
/// member's CRC-32 and length are checked). `name` prefixes error messages;
/// a stream that ends early is reported as truncated, a bad deflate stream
/// or checksum as corrupt.
bool gunzip(const uint8_t *data, size_t size, const std::string &name,
            std::vector<uint8_t> *out, std::string *error = nullptr);

/// readFile, then gunzip when the content starts with the gzip magic
/// (whatever the file name); plain files are returned as they are.
bool readMaybeGzipFile(const std::string &path, std::vector<uint8_t> *out,
                       std::string *error = nullptr);

/// A read-only run of bytes for writeFileAtomic.
struct ByteSpan {
  const void *data;
  size_t size;
};

/// Writes the concatenation of `parts` to `path` atomically (see above). The
/// new file gets mode 0666 & ~umask.
bool writeFileAtomic(const std::string &path, const std::vector<ByteSpan> &parts,
                     std::string *error = nullptr);

/// The temporary name writeFileAtomic uses for `path` in this process.
std::string atomicTempPath(const std::string &path);

/// Removes `path`'s temporaries (atomicTempPath of another process) whose
/// process no longer exists, e.g. after a `kill -9` during a write; returns
/// how many were removed. writeFileAtomic calls it first.
int removeStaleTemporaries(const std::string &path);

/// Test hook: make the next writeFileAtomic calls fail at a stage. Write
/// fails after half of the bytes reached the temporary; Rename fails with
/// the temporary complete and synced. Not thread-safe; tests only.
enum class AtomicWriteStage { None, Open, Write, Sync, Rename };
void setAtomicWriteFailureForTesting(AtomicWriteStage stage);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_FILEIO_H
