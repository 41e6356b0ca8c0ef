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

/// Writes the entry atomically; false (with `error`) when it cannot.
bool writeCacheEntry(llvm::StringRef dir, llvm::StringRef key,
                     const CacheEntry &entry, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_COMPILECACHE_H
