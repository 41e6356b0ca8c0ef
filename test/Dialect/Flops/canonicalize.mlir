// RUN: flops-opt %s -canonicalize | FileCheck %s

/// Philox of constants folds to Random123's known answer (zero key/counter).
// CHECK-LABEL: func.func @fold_philox
// CHECK-NOT: flops.philox
// CHECK-DAG: %[[A:.*]] = arith.constant 1713891541 : i32
// CHECK-DAG: %[[B:.*]] = arith.constant -513161843 : i32
// CHECK-DAG: %[[C:.*]] = arith.constant -1135104948 : i32
// CHECK-DAG: %[[D:.*]] = arith.constant -1694442536 : i32
// CHECK: return %[[A]], %[[B]], %[[C]], %[[D]]
func.func @fold_philox() -> (i32, i32, i32, i32) {
  %z = arith.constant 0 : i32
  %x:4 = flops.philox key(%z, %z) counter(%z, %z, %z, %z)
  return %x#0, %x#1, %x#2, %x#3 : i32, i32, i32, i32
}

/// A non-constant operand keeps the op.
// CHECK-LABEL: func.func @negative_fold_philox
// CHECK: flops.philox
func.func @negative_fold_philox(%k: i32) -> i32 {
  %z = arith.constant 0 : i32
  %x:4 = flops.philox key(%k, %z) counter(%z, %z, %z, %z)
  return %x#0 : i32
}

/// row_mean weights are 1/N whatever the counts.
// CHECK-LABEL: func.func @fold_row_mean
// CHECK: %[[W:.*]] = arith.constant dense<1.250000e-01> : tensor<8xf32>
// CHECK-NOT: flops.row_weights
// CHECK: return %[[W]]
func.func @fold_row_mean(%c: tensor<4xi32>, %m: tensor<8xi32>) -> tensor<8xf32> {
  %w = flops.row_weights row_mean %c, %m : tensor<4xi32>, tensor<8xi32> -> tensor<8xf32>
  return %w : tensor<8xf32>
}

/// per_point weights depend on the counts: no fold.
// CHECK-LABEL: func.func @negative_fold_per_point
// CHECK: flops.row_weights per_point
func.func @negative_fold_per_point(%c: tensor<4xi32>, %m: tensor<8xi32>) -> tensor<8xf32> {
  %w = flops.row_weights per_point %c, %m : tensor<4xi32>, tensor<8xi32> -> tensor<8xf32>
  return %w : tensor<8xf32>
}

/// With a dynamic row count the weight is not a constant.
// CHECK-LABEL: func.func @negative_fold_row_mean_dynamic
// CHECK: flops.row_weights row_mean
func.func @negative_fold_row_mean_dynamic(%c: tensor<4xi32>, %m: tensor<?xi32>) -> tensor<?xf32> {
  %w = flops.row_weights row_mean %c, %m : tensor<4xi32>, tensor<?xi32> -> tensor<?xf32>
  return %w : tensor<?xf32>
}

/// No baseline: the residual is the row loss.
// CHECK-LABEL: func.func @fold_residual_none
// CHECK-SAME: (%[[L:.*]]: tensor<8xf32>,
// CHECK-NOT: flops.residual
// CHECK: return %[[L]]
func.func @fold_residual_none(%l: tensor<8xf32>, %c: tensor<4xf32>, %m: tensor<8xi32>) -> tensor<8xf32> {
  %r = flops.residual none %l, %c, %m : tensor<8xf32>, tensor<4xf32>, tensor<8xi32>
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func.func @negative_fold_residual_clean
// CHECK: flops.residual clean
func.func @negative_fold_residual_clean(%l: tensor<8xf32>, %c: tensor<4xf32>, %m: tensor<8xi32>) -> tensor<8xf32> {
  %r = flops.residual clean %l, %c, %m : tensor<8xf32>, tensor<4xf32>, tensor<8xi32>
  return %r : tensor<8xf32>
}
