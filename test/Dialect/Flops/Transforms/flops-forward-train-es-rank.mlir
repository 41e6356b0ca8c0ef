// RUN: flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{estimator=es es-rank=3 queries=2 sigma=0.5 optimizer=sgd})" -verify-diagnostics | FileCheck %s
// RUN: not flops-opt %s -split-input-file --flops-forward-train='es-rank=2' 2>&1 | FileCheck %s --check-prefix=EST

/// estimator=es es-rank=3 (low-rank ES, EGGROLL; docs/METHOD.md §2.2): the
/// matmul weight W (40x24) is perturbed per row by a b^T / sqrt(3) without
/// forming it: the rows function computes the clean x W, then u = x a
/// (rows x 3, a at elements i * 40 + k of W's stream) and adds
/// sigma / sqrt(3) * u b^T (b at elements 120 + i * 24 + n); the bias keeps
/// full-rank noise in the op that reads it. The estimate of W contracts
/// P = c a / (sigma sqrt(3)) (B x 3 x 40) with Q = b (B x 3 x 24) over the
/// rows and the rank.

#bias = affine_map<(d0, d1) -> (d1)>
#ew = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<2x40xf32>, %w: tensor<40x24xf32> {flops.param, flops.name = "w"}, %b: tensor<24xf32> {flops.param, flops.name = "b"}) -> tensor<2x24xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x24xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x24xf32>) -> tensor<2x24xf32>
  %m = linalg.matmul ins(%x, %w : tensor<2x40xf32>, tensor<40x24xf32>) outs(%z : tensor<2x24xf32>) -> tensor<2x24xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]} ins(%m, %b : tensor<2x24xf32>, tensor<24xf32>) outs(%e : tensor<2x24xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x24xf32>
  return %y : tensor<2x24xf32>
}

// CHECK-LABEL: func.func private @forward_rows(
// CHECK: %[[Y0:.*]] = linalg.matmul ins(%{{.*}}, %arg1 : tensor<2x40xf32>, tensor<40x24xf32>)
// CHECK: %[[U:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<2x40xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.constant 40 : index
// CHECK: flops.counter_normal {{.*}} {antithetic}
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[U]] : tensor<2x3xf32>) outs(%[[Y0]] : tensor<2x24xf32>)
// CHECK: arith.remui
// CHECK: arith.constant 120 : index
// CHECK: flops.counter_normal
// CHECK-NOT: antithetic
// CHECK: arith.constant 0.288675{{[0-9]*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %arg2 :
// CHECK: flops.counter_normal {{.*}} {antithetic, site = 1 : i64}
// CHECK-LABEL: func.func @train_step(
// CHECK: scf.for
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3x40xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3x24xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<2x3x40xf32>, tensor<2x3x24xf32>) outs(%{{.*}} : tensor<40x24xf32>)

// -----

/// A convolution's weights (rank 4) have no low-rank form here: a
/// diagnostic on the op, not a full-rank fallback.
func.func @forward(%x: tensor<2x6x6x3xf32>, %k: tensor<3x3x3x4xf32> {flops.param, flops.name = "conv.weight"}) -> tensor<2x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  // expected-error @+1 {{estimator=es perturbs each parameter where an op reads it: es-rank=3 builds low-rank noise for matmul weights only; this op reads a rank-4 parameter (a convolution's?): use es-rank=0}}
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %k : tensor<2x6x6x3xf32>, tensor<3x3x3x4xf32>) outs(%z : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %f = tensor.collapse_shape %y [[0], [1, 2, 3]] : tensor<2x4x4x4xf32> into tensor<2x64xf32>
  return %f : tensor<2x64xf32>
}

// -----

/// A matrix read other than as the W of x W (here x W^T by a generic).
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhsT = affine_map<(d0, d1, d2) -> (d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @forward(%x: tensor<2x5xf32>, %w: tensor<3x5xf32> {flops.param, flops.name = "w"}) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-error @+1 {{es-rank=3 builds low-rank noise for a matrix parameter read as the right operand W of a linalg.matmul x W; this op reads one otherwise: use es-rank=0}}
  %y = linalg.generic {indexing_maps = [#lhs, #rhsT, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x5xf32>, tensor<3x5xf32>) outs(%z : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %p = arith.mulf %a, %c : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// EST: es-rank is an option of estimator=es (got estimator=lr)
