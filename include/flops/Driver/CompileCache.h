//===- CompileCache.h - on-disk cache of compiled objects -------*- C++ -*-===//
//
// Program::compile stores the object it emits under
// `<dir>/<key>.flopsobj`, where the key is the BLAKE3 hash of everything the
// object depends on: the module right before lowering (printed), the
// entries, the pipeline, threads, --cpu-options, the optimisation level, the
// host CPU and features, the LLVM version and the contents of the running
// executable (so a rebuilt tool never reuses an old entry). A hit skips the
// lowering and LLVM and only links the object.
//
// An entry is a header (magic, format version, the key, the pipeline that
// produced it, threads, payload size and the payload's BLAKE3) and the
// objects (one per part of a parallel compilation). An entry whose header, key, size or hash does not match is
// ignored (and replaced by the fresh compilation); entries are written to a
// temporary file and renamed, so a reader never sees a partial one.
//
// The directory is bounded: after each write, the least recently used
// entries (oldest modification time; a hit refreshes it) are removed until
// the entries total at most $FLOPS_CACHE_MAX_MB megabytes (default
// kDefaultCacheMaxMB; the entry just written is always kept).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_COMPILECACHE_H
#define FLOPS_DRIVER_COMPILECACHE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::flops::driver {

/// The cache directory from the environment: $FLOPS_CACHE_DIR if set (empty
/// or "off" disables the cache), else $XDG_CACHE_HOME/flops-mlir, else
/// $HOME/.cache/flops-mlir; "" when none can be formed.
std::string defaultCacheDir();

/// BLAKE3 of the running executable's file (computed once per process).
const std::string &executableDigest();

struct CacheEntry {
  std::vector<std::string> objects; // linked together
  std::string pipeline; // the textual pipeline that produced it
  int64_t threads = 1;
  int kind = 0;         // PipelineKind
};

/// Hex BLAKE3 of `parts` (each length-prefixed).
std::string cacheKey(llvm::ArrayRef<std::string> parts);

/// The entry's path for `key` in `dir`.
std::string cachePath(llvm::StringRef dir, llvm::StringRef key);

enum class CacheLookup { Miss, Hit, Corrupt };

/// Reads and validates the entry of `key`.
CacheLookup readCacheEntry(llvm::StringRef dir, llvm::StringRef key,
                           CacheEntry *entry);

/// Writes the entry atomically, then bounds the directory (pruneCache with
/// cacheMaxBytes()); false (with `error`) when it cannot write, or when
/// $FLOPS_CACHE_MAX_MB is not a number (then nothing is written).
bool writeCacheEntry(llvm::StringRef dir, llvm::StringRef key,
                     const CacheEntry &entry, std::string *error);

/// The size bound of the cache directory when $FLOPS_CACHE_MAX_MB is unset.
constexpr double kDefaultCacheMaxMB = 2048;

/// The size bound in bytes: $FLOPS_CACHE_MAX_MB (a non-negative decimal
/// number of megabytes, 2^20 bytes) or kDefaultCacheMaxMB; false (with
/// `error` naming the variable and its value) when it is not a number.
bool cacheMaxBytes(uint64_t *bytes, std::string *error);

/// Removes the least recently used `*.flopsobj` entries of `dir` (oldest
/// modification time first) until they total at most `maxBytes`, never the
/// entry of `keep`; returns how many it removed.
unsigned pruneCache(llvm::StringRef dir, uint64_t maxBytes,
                    llvm::StringRef keep);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_COMPILECACHE_H
