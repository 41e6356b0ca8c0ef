// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{estimator=es queries=4 sigma=0.5 optimizer=sgd})" | FileCheck %s --implicit-check-not=flops.perturb --implicit-check-not=flops.site_delta --implicit-check-not=flops.log_sigma_grad --implicit-check-not=flops_rt_

/// estimator=es (docs/METHOD.md §2.2): the rows function evaluates the
/// forward at per-row parameters w + sigma eps_r without materialising them:
/// the matmul becomes a generic whose body regenerates eps for its weight
/// element (row = chunk offset + the row loop, element = k * 3 + j, site =
/// the parameter's position: 0 for w, 1 for b) and multiplies x by w + 0.5
/// eps; the bias add likewise. No site noise and no log-sigma state. The
/// step's estimate regenerates the same eps in a generic per parameter that
/// reduces over the chunk's rows.

#bias = affine_map<(d0, d1) -> (d1)>
#ew = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<2x4xf32>, %w: tensor<4x3xf32> {flops.param, flops.name = "w"}, %b: tensor<3xf32> {flops.param, flops.name = "b"}) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]} ins(%m, %b : tensor<2x3xf32>, tensor<3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// CHECK-LABEL: func.func private @forward_rows(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32>, %[[W:[^:]*]]: tensor<4x3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[SEED:[^:]*]]: i64, %[[STEP:[^:]*]]: i64, %[[OFF:[^:]*]]: index) -> tensor<2x3xf32>
// CHECK-NOT: linalg.matmul
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[X]], %[[W]] :
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[WI:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-DAG: %[[I0:.*]] = linalg.index 0
// CHECK-DAG: %[[I1:.*]] = linalg.index 1
// CHECK-DAG: %[[I2:.*]] = linalg.index 2
// CHECK: %[[ROW:.*]] = arith.addi %[[OFF]], %[[I0]]
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: %[[K3:.*]] = arith.muli %[[I2]], %[[C3]]
// CHECK: %[[ELEM:.*]] = arith.addi %[[K3]], %[[I1]]
// CHECK: %[[EPS:.*]] = flops.counter_normal %[[SEED]], %[[STEP]], %[[ROW]], %[[ELEM]] {antithetic} : i64, index -> f32
// CHECK: %[[SIG:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[SE:.*]] = arith.mulf %[[SIG]], %[[EPS]]
// CHECK: %[[WP:.*]] = arith.addf %[[WI]], %[[SE]]
// CHECK: %[[P:.*]] = arith.mulf %[[XI]], %[[WP]]
// CHECK: arith.addf %[[ACC]], %[[P]]
// CHECK: flops.counter_normal %[[SEED]], %[[STEP]], %{{.*}}, %{{.*}} {antithetic, site = 1 : i64}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: flops.role = "param"
// CHECK-SAME: flops.role = "momentum"
// CHECK-NOT: log_sigma"
// CHECK-SAME: flops.estimator = "es"
// CHECK: flops.allocate uniform
// CHECK: scf.for
// CHECK: %[[OFFS:.*]] = arith.muli
// CHECK: call @forward_rows({{.*}}, %[[OFFS]])
/// The estimate of w: rows reduce (d0) into w's elements (d1, d2).
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "parallel"]{{.*}} outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: flops.counter_normal {{.*}} {antithetic} : i64, index -> f32
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}} outs(%{{.*}} : tensor<3xf32>)
// CHECK: flops.counter_normal {{.*}} {antithetic, site = 1 : i64} : i64, index -> f32
// CHECK: scf.yield
