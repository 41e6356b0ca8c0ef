// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=flipped suffix=_flipped loss=mse optimizer=sgd momentum=0 freeze-sigma=true queries=4}, flops-forward-train{entry=direct suffix=_direct loss=mse optimizer=sgd momentum=0 freeze-sigma=true queries=4}, flops-reference-to-llvm)" | %run | FileCheck %s

/// A parameter read through a permuted copy (the flipped window of a
/// transposed convolution, as the ONNX importer writes it) is a view: the
/// rule's estimate for the copy is copied back by the inverse permutation.
/// @flipped convolves with flip(W); @direct takes the flipped weight as its
/// parameter. With the same noise and SGD (lr = 1, no momentum), W's update
/// must be the flip of the direct weight's update (f64, < 1e-12), and not
/// zero.

#flip = affine_map<(d0, d1, d2, d3) -> (d0, d1, 2 - d2, 2 - d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

func.func @flipped(%x: tensor<2x2x5x5xf64>, %w: tensor<3x2x3x3xf64> {flops.param, flops.name = "w"}) -> tensor<2x3x3x3xf64> {
  %ew = tensor.empty() : tensor<3x2x3x3xf64>
  %wf = linalg.generic {indexing_maps = [#flip, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w : tensor<3x2x3x3xf64>) outs(%ew : tensor<3x2x3x3xf64>) {
  ^bb0(%a: f64, %o: f64):
    linalg.yield %a : f64
  } -> tensor<3x2x3x3xf64>
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x3x3x3xf64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wf : tensor<2x2x5x5xf64>, tensor<3x2x3x3xf64>) outs(%f : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  return %y : tensor<2x3x3x3xf64>
}

func.func @direct(%x: tensor<2x2x5x5xf64>, %wf: tensor<3x2x3x3xf64> {flops.param, flops.name = "wf"}) -> tensor<2x3x3x3xf64> {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x3x3x3xf64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wf : tensor<2x2x5x5xf64>, tensor<3x2x3x3xf64>) outs(%f : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  return %y : tensor<2x3x3x3xf64>
}

func.func private @train_step_flipped(tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, f64, i64, i64, tensor<2x2x5x5xf64>, tensor<2x3x3x3xf64>)
    -> (tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<5xf64>)
func.func private @train_step_direct(tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, f64, i64, i64, tensor<2x2x5x5xf64>, tensor<2x3x3x3xf64>)
    -> (tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<5xf64>)

func.func @main() {
  %seed = arith.constant 13 : i64
  %s0 = arith.constant 0 : i64
  %x = flops.normal %seed, %s0 {site = 1 : i64} : tensor<2x2x5x5xf64>
  %w = flops.normal %seed, %s0 {site = 2 : i64} : tensor<3x2x3x3xf64>
  %labels = flops.normal %seed, %s0 {site = 3 : i64} : tensor<2x3x3x3xf64>
  %ew = tensor.empty() : tensor<3x2x3x3xf64>
  %wf = linalg.generic {indexing_maps = [#flip, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w : tensor<3x2x3x3xf64>) outs(%ew : tensor<3x2x3x3xf64>) {
  ^bb0(%a: f64, %o: f64):
    linalg.yield %a : f64
  } -> tensor<3x2x3x3xf64>
  %zero = arith.constant dense<0.0> : tensor<3x2x3x3xf64>
  %ls = arith.constant dense<-2.3> : tensor<3xf64>
  %lr = arith.constant 1.0 : f64
  %step = arith.constant 2 : i64
  %nseed = arith.constant 9 : i64
  %a:4 = call @train_step_flipped(%w, %zero, %ls, %lr, %step, %nseed, %x, %labels)
      : (tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, f64, i64, i64, tensor<2x2x5x5xf64>, tensor<2x3x3x3xf64>)
      -> (tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<5xf64>)
  %b:4 = call @train_step_direct(%wf, %zero, %ls, %lr, %step, %nseed, %x, %labels)
      : (tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, f64, i64, i64, tensor<2x2x5x5xf64>, tensor<2x3x3x3xf64>)
      -> (tensor<3x2x3x3xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<5xf64>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %z = arith.constant 0.0 : f64
  // max |(w - a)[f, c, i, j] - (wf - b)[f, c, 2 - i, 2 - j]| and max |w - a|.
  %r:2 = scf.for %f = %c0 to %c3 step %c1 iter_args(%d0 = %z, %m0 = %z) -> (f64, f64) {
    %r1:2 = scf.for %c = %c0 to %c2 step %c1 iter_args(%d1 = %d0, %m1 = %m0) -> (f64, f64) {
      %r2:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%d2 = %d1, %m2 = %m1) -> (f64, f64) {
        %r3:2 = scf.for %j = %c0 to %c3 step %c1 iter_args(%d3 = %d2, %m3 = %m2) -> (f64, f64) {
          %fi = arith.subi %c2, %i : index
          %fj = arith.subi %c2, %j : index
          %w0 = tensor.extract %w[%f, %c, %i, %j] : tensor<3x2x3x3xf64>
          %w1 = tensor.extract %a#0[%f, %c, %i, %j] : tensor<3x2x3x3xf64>
          %v0 = tensor.extract %wf[%f, %c, %fi, %fj] : tensor<3x2x3x3xf64>
          %v1 = tensor.extract %b#0[%f, %c, %fi, %fj] : tensor<3x2x3x3xf64>
          %gw = arith.subf %w0, %w1 : f64
          %gv = arith.subf %v0, %v1 : f64
          %dd = arith.subf %gw, %gv : f64
          %ad = math.absf %dd : f64
          %ag = math.absf %gw : f64
          %d4 = arith.maximumf %d3, %ad : f64
          %m4 = arith.maximumf %m3, %ag : f64
          scf.yield %d4, %m4 : f64, f64
        }
        scf.yield %r3#0, %r3#1 : f64, f64
      }
      scf.yield %r2#0, %r2#1 : f64, f64
    }
    scf.yield %r1#0, %r1#1 : f64, f64
  }
  %tol = arith.constant 1.0e-12 : f64
  %ok = arith.cmpf olt, %r#0, %tol : f64
  %small = arith.constant 1.0e-6 : f64
  %nz = arith.cmpf ogt, %r#1, %small : f64
  // CHECK: flipped view update is the flip of the direct update: 1
  vector.print str "flipped view update is the flip of the direct update: "
  vector.print %ok : i1
  // CHECK: flipped view update is nonzero: 1
  vector.print str "flipped view update is nonzero: "
  vector.print %nz : i1
  return
}
