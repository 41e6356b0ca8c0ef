// RUN: flops-opt %s --flops-to-linalg | FileCheck %s

// The NCHW channel map (used by @perturb_nchw below).
// CHECK: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>

/// Philox becomes ten rounds of 32x32->64 multiplies in arith.
// CHECK-LABEL: func.func @philox
// CHECK-NOT: flops.
// CHECK-COUNT-20: arith.mului_extended
// CHECK-NOT: arith.mului_extended
// CHECK: return
func.func @philox(%k0: i32, %k1: i32, %c0: i32, %c1: i32, %c2: i32, %c3: i32) -> i32 {
  %x:4 = flops.philox key(%k0, %k1) counter(%c0, %c1, %c2, %c3)
  return %x#0 : i32
}

/// The perturbation is one elementwise generic that makes its noise in the
/// body from the element's indices: no noise tensor is materialised. σ is
/// computed once per unit by a small generic before it.
// CHECK-LABEL: func.func @perturb
// CHECK-SAME: (%[[U:.*]]: tensor<8x4xf32>, %[[R:.*]]: tensor<4xf32>
// CHECK-NOT: flops.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x4xf32>
// CHECK: %[[SIG:.*]] = linalg.generic
// CHECK-SAME: ins(%[[R]] : tensor<4xf32>)
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[U]], %[[SIG]] : tensor<8x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<8x4xf32>)
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.mului_extended
// The convention's own log (exponent bits, then the atanh series) and
// cos/sin (quadrant from 4 u2), in arith: no libm.
// CHECK-NOT: math.log
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.divf
// CHECK: math.sqrt
// CHECK: arith.fptoui
// CHECK-NOT: math.cos
// CHECK-NOT: math.sin
// CHECK-NOT: math.exp
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @perturb(%u: tensor<8x4xf32>, %r: tensor<4xf32>, %s: i64, %t: i64) -> tensor<8x4xf32> {
  %v = flops.perturb %u, %r, %s, %t {antithetic} : tensor<8x4xf32>, tensor<4xf32>
  return %v : tensor<8x4xf32>
}

/// Per-channel log sigma of an NCHW site is indexed by dimension 1.
// CHECK-LABEL: func.func @perturb_nchw
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #{{.*}}]
func.func @perturb_nchw(%u: tensor<2x3x4x4xf32>, %r: tensor<3xf32>, %s: i64, %t: i64) -> tensor<2x3x4x4xf32> {
  %v = flops.perturb %u, %r, %s, %t {channel_dim = 1 : i64} : tensor<2x3x4x4xf32>, tensor<3xf32>
  return %v : tensor<2x3x4x4xf32>
}

/// The log-sigma gradient reduces over rows and reads the site only for its
/// shape.
// CHECK-LABEL: func.func @log_sigma_grad
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel"]
// CHECK: arith.mului_extended
// CHECK: arith.addf
// CHECK: linalg.yield
func.func @log_sigma_grad(%c: tensor<8xf32>, %v: tensor<8x4xf32>, %s: i64, %t: i64) -> tensor<4xf32> {
  %g = flops.log_sigma_grad %c, %s, %t like %v : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return %g : tensor<4xf32>
}

/// Allocation and the row map are loops over small tensors.
// CHECK-LABEL: func.func @allocate
// CHECK-NOT: flops.
// CHECK: scf.for
// CHECK: scf.if
// CHECK: return %{{.*}} : tensor<4xi32>
func.func @allocate(%s: tensor<4xf32>) -> tensor<4xi32> {
  %a = flops.allocate neyman %s {budget = 16 : i64} : tensor<4xf32> -> tensor<4xi32>
  return %a : tensor<4xi32>
}

/// Expansion is a gather by the row map: one row copy per row (rank >= 2),
/// so that no consumer fuses a gather into its body.
// CHECK-LABEL: func.func @expand
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[M:.*]]: tensor<8xi32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x3xf32>
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[E]])
// CHECK: %[[PI:.*]] = tensor.extract %[[M]][%[[R]]]
// CHECK: %[[P:.*]] = arith.index_cast %[[PI]]
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[X]][%[[P]], 0] [1, 3] [1, 1]
// CHECK: tensor.insert_slice %[[ROW]] into %[[ACC]][%[[R]], 0] [1, 3] [1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @expand(%x: tensor<4x3xf32>, %m: tensor<8xi32>) -> tensor<8x3xf32> {
  %e = flops.expand %x, %m : tensor<4x3xf32>, tensor<8xi32> -> tensor<8x3xf32>
  return %e : tensor<8x3xf32>
}

/// Dynamic rows come from the row map, dynamic features from the input.
// CHECK-LABEL: func.func @expand_dynamic
// CHECK-DAG: tensor.dim %{{.*}}, %c0
// CHECK-DAG: tensor.dim %{{.*}}, %c1
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
func.func @expand_dynamic(%x: tensor<?x?xf32>, %m: tensor<?xi32>) -> tensor<?x?xf32> {
  %e = flops.expand %x, %m : tensor<?x?xf32>, tensor<?xi32> -> tensor<?x?xf32>
  return %e : tensor<?x?xf32>
}

/// A vector (labels) is gathered element by element.
// CHECK-LABEL: func.func @expand_vector
// CHECK-SAME: (%[[X:.*]]: tensor<4xi32>, %[[M:.*]]: tensor<8xi32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[M]] : tensor<8xi32>)
// CHECK: %[[P:.*]] = arith.index_cast
// CHECK: tensor.extract %[[X]][%[[P]]]
func.func @expand_vector(%x: tensor<4xi32>, %m: tensor<8xi32>) -> tensor<8xi32> {
  %e = flops.expand %x, %m : tensor<4xi32>, tensor<8xi32> -> tensor<8xi32>
  return %e : tensor<8xi32>
}

/// scatter_add adds each row to its point's row of the accumulator, in row
/// order: a loop over the rows with a one-row add.
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME: (%[[D:.*]]: tensor<8x3xf32>, %[[M:.*]]: tensor<8xi32>, %[[A:.*]]: tensor<4x3xf32>)
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[A]])
// CHECK: %[[PI:.*]] = tensor.extract %[[M]][%[[R]]]
// CHECK: %[[P:.*]] = arith.index_cast %[[PI]]
// CHECK: %[[OLD:.*]] = tensor.extract_slice %[[ACC]][%[[P]], 0] [1, 3] [1, 1]
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[D]][%[[R]], 0] [1, 3] [1, 1]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[ROW]] : tensor<1x3xf32>) outs(%[[OLD]] : tensor<1x3xf32>)
// CHECK: arith.addf
// CHECK: tensor.insert_slice %[[SUM]] into %[[ACC]][%[[P]], 0] [1, 3] [1, 1]
func.func @scatter_add(%d: tensor<8x3xf32>, %m: tensor<8xi32>, %a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %r = flops.scatter_add %d, %m into %a : tensor<8x3xf32>, tensor<8xi32> -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

/// A site_delta and the log_sigma_grad of the same noise (same coeff, seed,
/// step, offset, site, like) on a site whose channel is innermost lower to
/// one generic: the noise is generated once, Δ per element and the log-σ sum
/// per channel come out of it, the rows being reduction loops.
// CHECK-LABEL: func.func @delta_and_log_sigma
// CHECK: = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<4xf32>)
// CHECK-COUNT-1: arith.mului_extended
// CHECK: linalg.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK-NOT: arith.mului_extended
// CHECK: return
func.func @delta_and_log_sigma(%c: tensor<8xf32>, %r: tensor<4xf32>, %v: tensor<8x4xf32>, %s: i64, %t: i64) -> (tensor<8x4xf32>, tensor<4xf32>) {
  %d = flops.site_delta %c, %r, %s, %t like %v {site = 3 : i64, antithetic} : tensor<8xf32>, tensor<4xf32>, tensor<8x4xf32>
  %g = flops.log_sigma_grad %c, %s, %t like %v {site = 3 : i64, antithetic} : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return %d, %g : tensor<8x4xf32>, tensor<4xf32>
}

/// A different site: two generics, the noise generated twice.
// CHECK-LABEL: func.func @delta_other_site
// CHECK: = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: return
func.func @delta_other_site(%c: tensor<8xf32>, %r: tensor<4xf32>, %v: tensor<8x4xf32>, %s: i64, %t: i64) -> (tensor<8x4xf32>, tensor<4xf32>) {
  %d = flops.site_delta %c, %r, %s, %t like %v {site = 3 : i64, antithetic} : tensor<8xf32>, tensor<4xf32>, tensor<8x4xf32>
  %g = flops.log_sigma_grad %c, %s, %t like %v {site = 4 : i64, antithetic} : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return %d, %g : tensor<8x4xf32>, tensor<4xf32>
}
