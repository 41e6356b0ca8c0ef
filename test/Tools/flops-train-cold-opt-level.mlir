// RUN: %python %S/Inputs/gen-deep-cnn.py 10 %t.mlir %t.x.npy %t.y.npy
// RUN: flops-train %t.mlir --train-npy %t.x.npy --train-labels %t.y.npy --batch-size 8 --queries 2 --epochs 1 --num-threads 2 --no-cache --save %t.cold.safetensors --progress=false --verbose 2>&1 | FileCheck %s
// RUN: flops-train %t.mlir --train-npy %t.x.npy --train-labels %t.y.npy --batch-size 8 --queries 2 --epochs 1 --num-threads 2 --no-cache --save %t.hot.safetensors --progress=false --cold-opt-level -1 > /dev/null 2>&1
// RUN: cmp %t.cold.safetensors %t.hot.safetensors
// RUN: not flops-train %t.mlir --train-npy %t.x.npy --train-labels %t.y.npy --batch-size 8 --queries 2 --epochs 1 --no-cache --cold-opt-level 4 2>&1 | FileCheck %s --check-prefix=BAD

/// --cold-opt-level (docs/CODEGEN.md, "Compile time"): the generated
/// 10-layer CNN's @train_step is outlined, and what stays in it (descriptor
/// arithmetic and calls of the loop nests) is compiled at level 0 by default
/// and at --opt-level with -1; with 2 threads (OpenMP bodies, also hot) both
/// train to bit-identical parameters. Levels outside -1..3 are rejected.

// CHECK: compile phases (CPU s): {{.*}} on 2 thread(s)
// CHECK: epoch 1/1: train loss

// BAD: error: {{.*}}--cold-opt-level must be between -1 and 3, got 4
