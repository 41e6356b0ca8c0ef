// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{perturb=layer-wise queries=4 point-prefix=false})" | FileCheck %s

/// perturb=layer-wise (docs/METHOD.md §2.4): the rows function keeps site
/// k's noise only on the rows whose site, (row / 2 + phase) mod 2, is k (a
/// select after flops.perturb), and the step's site k sees the coefficients
/// 2 ω_r R_r on those rows and 0 on the others. The phase is
/// hash(seed, step) mod 2, the same in both places.
#bias = affine_map<(d0, d1) -> (d1)>
#ew = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<2x4xf32>, %w1: tensor<4x3xf32> {flops.param}, %w2: tensor<3x2xf32> {flops.param}) -> tensor<2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %e2 = tensor.empty() : tensor<2x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z2 : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// CHECK-LABEL: func.func private @forward_rows(
// CHECK-SAME: %[[SEED:[^:]*]]: i64, %[[STEP:[^:]*]]: i64, %[[OFF:[^:]*]]: index
// CHECK: %[[PH64:.*]] = arith.remui %{{.*}}, %{{.*}} : i64
// CHECK: %[[PH:.*]] = arith.index_cast %[[PH64]] : i64 to index
// CHECK: %[[P0:.*]] = flops.perturb %[[T0:[^,]*]], {{.*}} : tensor<2x3xf32>
// CHECK: %[[S0:.*]] = linalg.generic {{.*}} ins(%[[T0]], %[[P0]] :
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[ROW:.*]] = arith.addi %[[OFF]], %[[I]]
// CHECK: %[[PAIR:.*]] = arith.divui %[[ROW]]
// CHECK: %[[SUM:.*]] = arith.addi %[[PAIR]], %[[PH]]
// CHECK: %[[SITE:.*]] = arith.remui %[[SUM]]
// CHECK: %[[ON:.*]] = arith.cmpi eq, %[[SITE]], %[[K0:.*]] : index
// CHECK: arith.select %[[ON]]
// CHECK: linalg.matmul ins(%[[S0]],
// CHECK: flops.perturb {{.*}}site = 1 : i64} : tensor<2x2xf32>
// CHECK: arith.select

// CHECK-LABEL: func.func @train_step(
// CHECK: scf.for
// CHECK: arith.remui %{{.*}} : i64
// CHECK: arith.cmpi eq
// CHECK: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: arith.mulf %{{.*}}, %[[TWO]]
// CHECK: %[[SEL:.*]] = arith.select
// CHECK-NEXT: linalg.yield %[[SEL]]
// CHECK-NEXT: } -> tensor<2xf32>
// CHECK-NEXT: flops.site_delta
