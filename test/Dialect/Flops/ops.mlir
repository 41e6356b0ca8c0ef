// RUN: flops-opt %s | FileCheck %s
// RUN: flops-opt %s | flops-opt | FileCheck %s
// RUN: flops-opt -mlir-print-op-generic %s | flops-opt | FileCheck %s

// CHECK-LABEL: func.func @philox
// CHECK: %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} = flops.philox key(%{{.*}}, %{{.*}}) counter(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
func.func @philox(%k0: i32, %k1: i32, %c0: i32, %c1: i32, %c2: i32, %c3: i32) -> (i32, i32, i32, i32) {
  %x:4 = flops.philox key(%k0, %k1) counter(%c0, %c1, %c2, %c3)
  return %x#0, %x#1, %x#2, %x#3 : i32, i32, i32, i32
}

// CHECK-LABEL: func.func @normal
// CHECK: flops.normal %{{.*}}, %{{.*}} {antithetic, site = 3 : i64} : tensor<8x16xf32>
// CHECK: flops.normal %{{.*}}, %{{.*}}(%{{.*}}) : tensor<?x4x5xf64>
// CHECK: flops.normal %{{.*}}, %{{.*}}(%{{.*}}) offset %{{.*}} {antithetic} : tensor<?x4xf32>
// CHECK: flops.normal %{{.*}}, %{{.*}} offset %{{.*}} : tensor<2x4xf32>
func.func @normal(%seed: i64, %step: i64, %n: index) -> (tensor<8x16xf32>, tensor<?x4x5xf64>, tensor<?x4xf32>, tensor<2x4xf32>) {
  %a = flops.normal %seed, %step {site = 3 : i64, antithetic} : tensor<8x16xf32>
  %b = flops.normal %seed, %step (%n) : tensor<?x4x5xf64>
  %c = flops.normal %seed, %step (%n) offset %n {antithetic} : tensor<?x4xf32>
  %d = flops.normal %seed, %step offset %n : tensor<2x4xf32>
  return %a, %b, %c, %d : tensor<8x16xf32>, tensor<?x4x5xf64>, tensor<?x4xf32>, tensor<2x4xf32>
}

// CHECK-LABEL: func.func @perturb
// CHECK: flops.perturb %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {antithetic, site = 1 : i64} : tensor<?x256xf32>, tensor<256xf32>
// CHECK: flops.perturb %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} offset %{{.*}} {channel_dim = 1 : i64} : tensor<4x3x5x5xf32>, tensor<3xf32>
func.func @perturb(%u: tensor<?x256xf32>, %rho: tensor<256xf32>, %c: tensor<4x3x5x5xf32>,
                   %rhoc: tensor<3xf32>, %seed: i64, %step: i64, %off: index) -> (tensor<?x256xf32>, tensor<4x3x5x5xf32>) {
  %v = flops.perturb %u, %rho, %seed, %step {site = 1 : i64, antithetic} : tensor<?x256xf32>, tensor<256xf32>
  %w = flops.perturb %c, %rhoc, %seed, %step offset %off {channel_dim = 1 : i64} : tensor<4x3x5x5xf32>, tensor<3xf32>
  return %v, %w : tensor<?x256xf32>, tensor<4x3x5x5xf32>
}

// CHECK-LABEL: func.func @estimator
// CHECK: flops.site_delta %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} like %{{.*}} {antithetic} : tensor<8xf32>, tensor<4xf32>, tensor<8x4xf32>
// CHECK: flops.log_sigma_grad %{{.*}}, %{{.*}}, %{{.*}} like %{{.*}} {antithetic} : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
// CHECK: flops.site_delta %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} offset %{{.*}} like %{{.*}} : tensor<8xf32>, tensor<4xf32>, tensor<8x4xf32>
// CHECK: flops.log_sigma_grad %{{.*}}, %{{.*}}, %{{.*}} offset %{{.*}} like %{{.*}} : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
func.func @estimator(%coeff: tensor<8xf32>, %rho: tensor<4xf32>, %v: tensor<8x4xf32>,
                     %seed: i64, %step: i64, %off: index) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>, tensor<4xf32>) {
  %d = flops.site_delta %coeff, %rho, %seed, %step like %v {antithetic} : tensor<8xf32>, tensor<4xf32>, tensor<8x4xf32>
  %g = flops.log_sigma_grad %coeff, %seed, %step like %v {antithetic} : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  %d2 = flops.site_delta %coeff, %rho, %seed, %step offset %off like %v : tensor<8xf32>, tensor<4xf32>, tensor<8x4xf32>
  %g2 = flops.log_sigma_grad %coeff, %seed, %step offset %off like %v : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return %d, %g, %d2, %g2 : tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @counter_normal
// CHECK: flops.counter_normal %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {antithetic, site = 3 : i64} : i64, index -> f32
// CHECK: flops.counter_normal %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<1x8xi64>, vector<1x8xindex> -> vector<1x8xf64>
func.func @counter_normal(%s: i64, %r: index, %sv: vector<1x8xi64>, %rv: vector<1x8xindex>) -> (f32, vector<1x8xf64>) {
  %a = flops.counter_normal %s, %s, %r, %r {site = 3 : i64, antithetic} : i64, index -> f32
  %b = flops.counter_normal %sv, %sv, %rv, %rv : vector<1x8xi64>, vector<1x8xindex> -> vector<1x8xf64>
  return %a, %b : f32, vector<1x8xf64>
}

// CHECK-LABEL: func.func @allocation
// CHECK: flops.allocate neyman %{{.*}} {budget = 64 : i64, pairs} : tensor<8xf32> -> tensor<8xi32>
// CHECK: flops.allocate uniform %{{.*}} {budget = 30 : i64, min_count = 1 : i64} : tensor<?xf64> -> tensor<?xi32>
// CHECK: flops.row_map %{{.*}} : tensor<8xi32> -> tensor<64xi32>
// CHECK: flops.row_map %{{.*}} rows %{{.*}} : tensor<?xi32> -> tensor<?xi32>
// CHECK: %[[E:.*]] = flops.expand %{{.*}}, %{{.*}} : tensor<8x3x2xf32>, tensor<64xi32> -> tensor<64x3x2xf32>
// CHECK: flops.scatter_add %[[E]], %{{.*}} into %{{.*}} : tensor<64x3x2xf32>, tensor<64xi32> -> tensor<8x3x2xf32>
func.func @allocation(%s: tensor<8xf32>, %t: tensor<?xf64>, %x: tensor<8x3x2xf32>, %n: index)
    -> (tensor<64x3x2xf32>, tensor<?xi32>, tensor<8x3x2xf32>) {
  %a = flops.allocate neyman %s {budget = 64 : i64, pairs} : tensor<8xf32> -> tensor<8xi32>
  %b = flops.allocate uniform %t {budget = 30 : i64, min_count = 1 : i64} : tensor<?xf64> -> tensor<?xi32>
  %m = flops.row_map %a : tensor<8xi32> -> tensor<64xi32>
  %mb = flops.row_map %b rows %n : tensor<?xi32> -> tensor<?xi32>
  %e = flops.expand %x, %m : tensor<8x3x2xf32>, tensor<64xi32> -> tensor<64x3x2xf32>
  %s2 = flops.scatter_add %e, %m into %x : tensor<64x3x2xf32>, tensor<64xi32> -> tensor<8x3x2xf32>
  return %e, %mb, %s2 : tensor<64x3x2xf32>, tensor<?xi32>, tensor<8x3x2xf32>
}

// CHECK-LABEL: func.func @weights_and_residuals
// CHECK: flops.row_weights per_point %{{.*}}, %{{.*}} : tensor<8xi32>, tensor<64xi32> -> tensor<64xf32>
// CHECK: flops.row_weights row_mean %{{.*}}, %{{.*}} : tensor<8xi32>, tensor<?xi32> -> tensor<?xf32>
// CHECK: flops.residual clean %{{.*}}, %{{.*}}, %{{.*}} : tensor<64xf32>, tensor<8xf32>, tensor<64xi32>
// CHECK: flops.residual batch_mean %{{.*}}, %{{.*}}, %{{.*}} : tensor<64xf32>, tensor<8xf32>, tensor<64xi32>
// CHECK: flops.residual none %{{.*}}, %{{.*}}, %{{.*}} : tensor<64xf32>, tensor<8xf32>, tensor<64xi32>
func.func @weights_and_residuals(%c: tensor<8xi32>, %m: tensor<64xi32>, %md: tensor<?xi32>,
                                 %l: tensor<64xf32>, %clean: tensor<8xf32>)
    -> (tensor<64xf32>, tensor<?xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %w = flops.row_weights per_point %c, %m : tensor<8xi32>, tensor<64xi32> -> tensor<64xf32>
  %w2 = flops.row_weights row_mean %c, %md : tensor<8xi32>, tensor<?xi32> -> tensor<?xf32>
  %r = flops.residual clean %l, %clean, %m : tensor<64xf32>, tensor<8xf32>, tensor<64xi32>
  %r2 = flops.residual batch_mean %l, %clean, %m : tensor<64xf32>, tensor<8xf32>, tensor<64xi32>
  %r3 = flops.residual none %l, %clean, %m : tensor<64xf32>, tensor<8xf32>, tensor<64xi32>
  return %w, %w2, %r, %r2, %r3 : tensor<64xf32>, tensor<?xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}
