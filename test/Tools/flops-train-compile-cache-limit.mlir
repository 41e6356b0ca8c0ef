// RUN: flops-run %S/Inputs/gen-blobs.mlir --output %t.x.npy --output %t.y.npy
// RUN: rm -rf %t.cache
// RUN: %python %S/Inputs/compile-cache.py fake %t.cache old1 400 300
// RUN: %python %S/Inputs/compile-cache.py fake %t.cache old2 400 200
// RUN: %python %S/Inputs/compile-cache.py fake %t.cache old3 400 100
// RUN: env FLOPS_CACHE_MAX_MB=1 flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --queries 2 --progress=false > /dev/null 2>&1
// RUN: %python %S/Inputs/compile-cache.py list %t.cache | FileCheck %s --check-prefix=FIRST
// RUN: %python %S/Inputs/compile-cache.py age %t.cache 1000
// RUN: env FLOPS_CACHE_MAX_MB=1 flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --queries 2 --verbose --progress=false 2>&1 | FileCheck %s --check-prefix=HIT
// RUN: %python %S/Inputs/compile-cache.py fake %t.cache old4 400 50
// RUN: env FLOPS_CACHE_MAX_MB=1 flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --queries 4 --progress=false > /dev/null 2>&1
// RUN: %python %S/Inputs/compile-cache.py list %t.cache | FileCheck %s --check-prefix=SECOND
// RUN: env FLOPS_CACHE_MAX_MB=0 flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --queries 8 --progress=false > /dev/null 2>&1
// RUN: %python %S/Inputs/compile-cache.py list %t.cache | FileCheck %s --check-prefix=ONLY
// RUN: env FLOPS_CACHE_MAX_MB=lots not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --queries 2 --progress=false 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: %python %S/Inputs/compile-cache.py list %t.cache | FileCheck %s --check-prefix=ONLY

/// The compile cache's size bound (FLOPS_CACHE_MAX_MB, least recently used
/// first; include/flops/Driver/CompileCache.h). Three 400 KiB entries
/// (old1..old3, the oldest first) and a fresh real one exceed 1 MiB: the
/// oldest, old1, goes. All entries are then aged alike, and a hit refreshes
/// the real one; with a newer old4 and a second real entry, the least
/// recently used go until 1 MiB is reached: old2 only (the real entry that
/// was hit would be first among the equally old ones had the hit not
/// refreshed it). FLOPS_CACHE_MAX_MB=0 keeps only the entry just written.
/// A value that is not a number is an error before anything runs (and
/// nothing is written to the cache).

// FIRST: old2 old3 real 1

// HIT: (compile cache hit)

// SECOND: old3 old4 real 2

// ONLY: real 1

// BAD: flops-train: error: FLOPS_CACHE_MAX_MB='lots' is not a non-negative number of megabytes
// BAD-NOT: epoch 1/1
