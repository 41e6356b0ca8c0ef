// RUN: flops-opt %s --flops-lower-to-cpu | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{c-interface=true})" | FileCheck %s --check-prefix=CIFACE
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{out-params=false})" | FileCheck %s --check-prefix=RESULTS
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0})" | FileCheck %s --check-prefix=OMP
// RUN: flops-opt %s --flops-lower-to-cpu | FileCheck %s --check-prefix=NOLIBM
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=4 queries=2" | flops-opt --flops-lower-to-cpu | FileCheck %s --check-prefix=TRAIN

/// A training step straight from flops-forward-train: its calls of @forward
/// (dynamic batch) are inlined before out-params, which need static result
/// shapes at call boundaries.
// TRAIN: llvm.func @train_step(
// TRAIN-NOT: llvm.call @forward(
// TRAIN: llvm.func @eval_step(

/// flops-lower-to-cpu leaves only the LLVM dialect (plus omp ops with
/// threads). The result comes back through an appended out-param (no return
/// value, and no copy: the last op writes the caller's buffer); the
/// contraction is FMAs; the noise is vector code: the convention's own
/// log and cos/sin (arith polynomials, runtime/include/flops/Runtime/
/// NoiseMath.h) and a vector sqrt, with no libm call per lane, so it matches
/// the C++ runtime bit for bit (test/Integration/CPU/cpu-pipeline-noise.mlir
/// runs it). The 64 units of a row are one vector whose 4-lane groups share
/// a Philox block: 16 blocks (i32 vectors of 16), 32 Box-Muller pairs (one
/// sqrt of a vector of 32), interleaved into the 64 lanes by shuffles.
/// sigma = exp(log sigma) is computed once per unit (a vector of
/// 16 here), not fused into the per-element perturbation. The
/// copy of a convolution input into its zero padding is loops, not a call
/// of the runner utils' memrefCopy.
// CHECK-NOT: flops.
// CHECK-NOT: linalg.
// CHECK-NOT: vector.
// CHECK-NOT: tensor<
// CHECK-NOT: memref<
// CHECK-NOT: memrefCopy
// CHECK-LABEL: llvm.func @step(
// CHECK-SAME: %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: !llvm.ptr, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i64) {
// CHECK-COUNT-8: llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
// CHECK-DAG: llvm.intr.sqrt(%{{.*}}) : (vector<32xf32>) -> vector<32xf32>
// CHECK-DAG: llvm.shufflevector {{.*}} : vector<16xi32>
// CHECK-DAG: llvm.intr.exp(%{{.*}}) : (vector<16xf32>) -> vector<16xf32>
// CHECK-NOT: llvm.intr.memcpy
// CHECK: llvm.return{{$}}
// CHECK-NOT: omp.

// NOLIBM-NOT: llvm.intr.log
// NOLIBM-NOT: llvm.intr.cos
// NOLIBM-NOT: llvm.intr.sin
// NOLIBM-NOT: llvm.intr.exp({{.*}}) : (f32)
// NOLIBM: llvm.intr.exp({{.*}}) : (vector<16xf32>)
// NOLIBM-NOT: llvm.intr.exp

// CIFACE: llvm.func @step(
// CIFACE: llvm.func @_mlir_ciface_step(

// RESULTS: llvm.func @step({{.*}}) -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// RESULTS-NOT: llvm.func @_mlir_ciface_step

// OMP-LABEL: llvm.func @step(
// OMP: omp.parallel
// OMP: omp.wsloop
// OMP: llvm.intr.fmuladd
func.func @step(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %rho: tensor<64xf32>,
                %seed: i64, %t: i64) -> tensor<16x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32>
  %u = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x64xf32>)
                     outs(%z : tensor<16x64xf32>) -> tensor<16x64xf32>
  %v = flops.perturb %u, %rho, %seed, %t {antithetic} : tensor<16x64xf32>, tensor<64xf32>
  return %v : tensor<16x64xf32>
}

// CHECK-LABEL: llvm.func @padded_conv(
// CHECK-NOT: memrefCopy
// CHECK: llvm.return{{$}}
func.func @padded_conv(%x: tensor<2x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<2x3x9x9xf32> to tensor<2x3x11x11xf32>
  %e = tensor.empty() : tensor<2x4x5x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%xp, %w : tensor<2x3x11x11xf32>, tensor<4x3x3x3xf32>) outs(%z : tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  return %r : tensor<2x4x5x5xf32>
}
