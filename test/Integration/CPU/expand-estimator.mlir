// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s

/// Batch expansion and the row-level estimator blocks on small opaque inputs:
/// flops.row_map + flops.expand equal a repeat-interleave of the batch by the
/// counts; row weights, residuals and a per-channel (NCHW) perturbation give
/// the values written in the CHECK lines.

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @show_i32(%t: tensor<?xi32>) {
  %u = tensor.cast %t : tensor<?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
func.func @show_f32(%t: tensor<?x?xf32>) {
  %u = tensor.cast %t : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
func.func @show_vec(%t: tensor<?xf32>) {
  %u = tensor.cast %t : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @expand(%counts: tensor<4xi32>, %x: tensor<4x2xf32>) {
  %map = flops.row_map %counts : tensor<4xi32> -> tensor<8xi32>
  %md = tensor.cast %map : tensor<8xi32> to tensor<?xi32>
  call @show_i32(%md) : (tensor<?xi32>) -> ()
  %e = flops.expand %x, %map : tensor<4x2xf32>, tensor<8xi32> -> tensor<8x2xf32>
  %ed = tensor.cast %e : tensor<8x2xf32> to tensor<?x?xf32>
  call @show_f32(%ed) : (tensor<?x?xf32>) -> ()

  %w = flops.row_weights per_point %counts, %map : tensor<4xi32>, tensor<8xi32> -> tensor<8xf32>
  %wd = tensor.cast %w : tensor<8xf32> to tensor<?xf32>
  call @show_vec(%wd) : (tensor<?xf32>) -> ()
  %n = arith.constant 8 : index
  %mapd = flops.row_map %counts rows %n : tensor<4xi32> -> tensor<?xi32>
  %wm = flops.row_weights row_mean %counts, %mapd : tensor<4xi32>, tensor<?xi32> -> tensor<?xf32>
  call @show_vec(%wm) : (tensor<?xf32>) -> ()

  // Row losses 10..17, clean losses (1, 2, 3, 4).
  %L = arith.constant dense<[10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]> : tensor<8xf32>
  %clean = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %rc = flops.residual clean %L, %clean, %map : tensor<8xf32>, tensor<4xf32>, tensor<8xi32>
  %rcd = tensor.cast %rc : tensor<8xf32> to tensor<?xf32>
  call @show_vec(%rcd) : (tensor<?xf32>) -> ()
  %rb = flops.residual batch_mean %L, %clean, %map : tensor<8xf32>, tensor<4xf32>, tensor<8xi32>
  %rbd = tensor.cast %rb : tensor<8xf32> to tensor<?xf32>
  call @show_vec(%rbd) : (tensor<?xf32>) -> ()
  %rn = flops.residual none %L, %clean, %map : tensor<8xf32>, tensor<4xf32>, tensor<8xi32>
  %rnd = tensor.cast %rn : tensor<8xf32> to tensor<?xf32>
  call @show_vec(%rnd) : (tensor<?xf32>) -> ()
  return
}

/// A zero NCHW site perturbed with per-channel log sigma = log(c + 1): the
/// ratio to the raw noise is c + 1 in every position of channel c.
func.func @conv_site(%seed: i64, %step: i64, %rho: tensor<3xf32>) {
  %zf = arith.constant 0.0 : f32
  %ez = tensor.empty() : tensor<2x3x4x5xf32>
  %u = linalg.fill ins(%zf : f32) outs(%ez : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %v = flops.perturb %u, %rho, %seed, %step {site = 1 : i64, antithetic, channel_dim = 1 : i64} : tensor<2x3x4x5xf32>, tensor<3xf32>
  %eps = flops.normal %seed, %step {site = 1 : i64, antithetic} : tensor<2x3x4x5xf32>
  %e2 = tensor.empty() : tensor<3xf32>
  %init = linalg.fill ins(%zf : f32) outs(%e2 : tensor<3xf32>) -> tensor<3xf32>
  // Largest |v / eps - (c + 1)| per channel.
  %err = linalg.generic {
      indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>,
                       affine_map<(n, c, h, w) -> (n, c, h, w)>,
                       affine_map<(n, c, h, w) -> (c)>],
      iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%v, %eps : tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) outs(%init : tensor<3xf32>) {
  ^bb0(%a: f32, %b: f32, %m: f32):
    %c = linalg.index 1 : index
    %ci = arith.index_cast %c : index to i32
    %cf = arith.sitofp %ci : i32 to f32
    %one = arith.constant 1.0 : f32
    %want = arith.addf %cf, %one : f32
    %q = arith.divf %a, %b : f32
    %d = arith.subf %q, %want : f32
    %ad = math.absf %d : f32
    %mx = arith.maximumf %m, %ad : f32
    linalg.yield %mx : f32
  } -> tensor<3xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %e0 = tensor.extract %err[%c0] : tensor<3xf32>
  %e1 = tensor.extract %err[%c1] : tensor<3xf32>
  %e2v = tensor.extract %err[%c2] : tensor<3xf32>
  %m01 = arith.maximumf %e0, %e1 : f32
  %mall = arith.maximumf %m01, %e2v : f32
  %tol = arith.constant 1.0e-5 : f32
  %ok = arith.cmpf olt, %mall, %tol : f32
  vector.print str "per-channel sigma ok "
  vector.print %ok : i1
  return
}

func.func @main() {
  %counts = arith.constant dense<[3, 1, 2, 2]> : tensor<4xi32>
  %x = arith.constant dense<[[0.0, 0.5], [1.0, 1.5], [2.0, 2.5], [3.0, 3.5]]> : tensor<4x2xf32>
  // CHECK: [0,  0,  0,  1,  2,  2,  3,  3]
  // CHECK: [0,   0.5]
  // CHECK-NEXT: [0,   0.5]
  // CHECK-NEXT: [0,   0.5]
  // CHECK-NEXT: [1,   1.5]
  // CHECK-NEXT: [2,   2.5]
  // CHECK-NEXT: [2,   2.5]
  // CHECK-NEXT: [3,   3.5]
  // CHECK-NEXT: [3,   3.5]
  // per_point: 1 / (B * A_i) with B = 4.
  // CHECK: [0.0833333,  0.0833333,  0.0833333,  0.25,  0.125,  0.125,  0.125,  0.125]
  // row_mean: 1 / N.
  // CHECK: [0.125,  0.125,  0.125,  0.125,  0.125,  0.125,  0.125,  0.125]
  // clean: L_r - clean[point(r)].
  // CHECK: [9,  10,  11,  11,  11,  12,  12,  13]
  // batch_mean: L_r - 2.5.
  // CHECK: [7.5,  8.5,  9.5,  10.5,  11.5,  12.5,  13.5,  14.5]
  // none.
  // CHECK: [10,  11,  12,  13,  14,  15,  16,  17]
  call @expand(%counts, %x) : (tensor<4xi32>, tensor<4x2xf32>) -> ()
  %seed = arith.constant 99 : i64
  %step = arith.constant 1 : i64
  %rho = arith.constant dense<[0.0, 0.69314718, 1.0986123]> : tensor<3xf32>
  // CHECK: per-channel sigma ok 1
  call @conv_site(%seed, %step, %rho) : (i64, i64, tensor<3xf32>) -> ()
  return
}
