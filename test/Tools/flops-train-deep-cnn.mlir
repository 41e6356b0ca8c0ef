// RUN: %python %S/Inputs/gen-deep-cnn.py 10 %t.mlir %t.x.npy %t.y.npy
// RUN: flops-train %t.mlir --train-npy %t.x.npy --train-labels %t.y.npy --batch-size 8 --queries 2 --epochs 1 --num-threads 1 --no-cache --dump-llvm %t.llvm.mlir --progress=false 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=LLVM < %t.llvm.mlir
// RUN: FileCheck %s --check-prefix=EVAL < %t.llvm.mlir

/// A generated 10-layer CNN (conv 3x3 + bias + ReLU blocks, 4 channels,
/// 8x8 images; 22 parameter tensors) compiles and trains through the
/// default CPU pipeline: its @train_step is big enough to be split into one
/// function per loop nest (no_inline calls; equal nests merged, so the
/// numbers have gaps), its @eval_step is not
/// (docs/CODEGEN.md, "Compile time"). Not timed.

// CHECK: parameters in 22 tensors; batch 8, 2 queries per point
// CHECK: epoch 1/1: train loss {{[0-9]+\.[0-9]+}} acc
// CHECK-NOT: nan

// LLVM-DAG: llvm.func @train_step_nest0(
// LLVM-DAG: llvm.func @train_step_nest{{[1-9][0-9]+}}(
// LLVM-DAG: llvm.call @train_step_nest0({{.*}}) {no_inline}
// EVAL: llvm.func @eval_step(
// EVAL-NOT: llvm.func @eval_step_nest
