// RUN: flops-run %S/Inputs/gen-blobs.mlir --output %t.x.npy --output %t.y.npy
// RUN: rm -rf %t.cache %t.env %t.off
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --verbose --save %t.first.safetensors --progress=false 2>&1 | FileCheck %s --check-prefix=MISS
// RUN: %python %S/Inputs/compile-cache.py count %t.cache | FileCheck %s --check-prefix=ONE
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --verbose --save %t.hit.safetensors --progress=false 2>&1 | FileCheck %s --check-prefix=HIT
// RUN: cmp %t.first.safetensors %t.hit.safetensors
// RUN: %python %S/Inputs/compile-cache.py flip %t.cache
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --verbose --save %t.flipped.safetensors --progress=false 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: cmp %t.first.safetensors %t.flipped.safetensors
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --verbose --progress=false 2>&1 | FileCheck %s --check-prefix=HIT
// RUN: %python %S/Inputs/compile-cache.py truncate %t.cache
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --verbose --save %t.truncated.safetensors --progress=false 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: cmp %t.first.safetensors %t.truncated.safetensors
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --no-cache --verbose --progress=false 2>&1 | FileCheck %s --check-prefix=MISS
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.off --no-cache --progress=false > /dev/null 2>&1
// RUN: %python %S/Inputs/compile-cache.py count %t.off | FileCheck %s --check-prefix=NONE
// RUN: env FLOPS_CACHE_DIR=%t.env flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --progress=false > /dev/null 2>&1
// RUN: %python %S/Inputs/compile-cache.py count %t.env | FileCheck %s --check-prefix=ONE
// RUN: env FLOPS_CACHE_DIR=%t.env flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --verbose --progress=false 2>&1 | FileCheck %s --check-prefix=HIT
// RUN: env FLOPS_CACHE_DIR=off flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --verbose --progress=false 2>&1 | FileCheck %s --check-prefix=MISS
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 64 --batch-size 16 --epochs 1 --num-threads 1 --cache-dir %t.cache --queries 4 --verbose --progress=false 2>&1 | FileCheck %s --check-prefix=MISS

/// The compile cache (docs/CLI.md, docs/CODEGEN.md "Compile time"): the
/// first run compiles and stores one entry; the second, same model and
/// options, links the stored object ("compile cache hit", no lowering) and
/// trains to bit-identical parameters. An entry with a flipped byte or cut
/// short is reported, ignored and replaced (the next run hits again), with
/// the same parameters. --no-cache neither reads nor writes (the directory
/// stays absent); FLOPS_CACHE_DIR sets the directory, FLOPS_CACHE_DIR=off
/// disables it. Another option of the step (--queries changes the module)
/// is another key: a miss (--lr is an argument of the step: same key).

// MISS-NOT: cache hit
// MISS-NOT: ignoring
// MISS: note: compile phases (CPU s): prepare {{[0-9.]+}}, lower {{[0-9.]+}}, translate {{[0-9.]+}}, optimize {{[0-9.]+}} + codegen {{[0-9.]+}} on {{[0-9]+}} thread(s)
// MISS-NOT: cache hit
// MISS: epoch 1/1: train loss

// ONE: entries 1

// HIT-NOT: ignoring
// HIT: (compile cache hit)
// HIT-NEXT: compile phases (CPU s): prepare {{[0-9.]+}}, lower 0.00, translate 0.00, optimize 0.00 + codegen 0.00
// HIT: epoch 1/1: train loss

// CORRUPT: note: ignoring the unusable compile cache entry {{.*}}.flopsobj; compiling again
// CORRUPT-NOT: cache hit
// CORRUPT: epoch 1/1: train loss

// NONE: entries 0
