// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=tied suffix=_tied optimizer=sgd momentum=0 freeze-sigma=true queries=4}, flops-forward-train{entry=untied suffix=_untied optimizer=sgd momentum=0 freeze-sigma=true queries=4}, flops-reference-to-llvm)" | %run | FileCheck %s

/// A weight shared by two sites gets the sum of their estimates. @tied uses
/// W in both layers; @untied is the same network with W1 and W2. With the
/// same seed, step and site ids both steps draw the same noise, so with SGD
/// (lr = 1, no momentum) the tied update W - W' must equal the sum of the
/// untied ones (W1 - W1') + (W2 - W2') up to rounding (f64, < 1e-12), and it
/// is not zero. Each site's rule is checked against the exact VJP in
/// rules.mlir.

#ew = affine_map<(d0, d1) -> (d0, d1)>

func.func @tied(%x: tensor<4x3xf64>, %w: tensor<3x3xf64> {flops.param, flops.name = "w"}) -> tensor<4x3xf64> {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<4x3xf64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<4x3xf64>) -> tensor<4x3xf64>
  %h = linalg.matmul ins(%x, %w : tensor<4x3xf64>, tensor<3x3xf64>) outs(%f : tensor<4x3xf64>) -> tensor<4x3xf64>
  %t = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x3xf64>) outs(%e : tensor<4x3xf64>) {
  ^bb0(%a: f64, %o: f64):
    %v = math.tanh %a : f64
    linalg.yield %v : f64
  } -> tensor<4x3xf64>
  %y = linalg.matmul ins(%t, %w : tensor<4x3xf64>, tensor<3x3xf64>) outs(%f : tensor<4x3xf64>) -> tensor<4x3xf64>
  return %y : tensor<4x3xf64>
}

func.func @untied(%x: tensor<4x3xf64>, %w1: tensor<3x3xf64> {flops.param, flops.name = "w1"},
                  %w2: tensor<3x3xf64> {flops.param, flops.name = "w2"}) -> tensor<4x3xf64> {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<4x3xf64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<4x3xf64>) -> tensor<4x3xf64>
  %h = linalg.matmul ins(%x, %w1 : tensor<4x3xf64>, tensor<3x3xf64>) outs(%f : tensor<4x3xf64>) -> tensor<4x3xf64>
  %t = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x3xf64>) outs(%e : tensor<4x3xf64>) {
  ^bb0(%a: f64, %o: f64):
    %v = math.tanh %a : f64
    linalg.yield %v : f64
  } -> tensor<4x3xf64>
  %y = linalg.matmul ins(%t, %w2 : tensor<4x3xf64>, tensor<3x3xf64>) outs(%f : tensor<4x3xf64>) -> tensor<4x3xf64>
  return %y : tensor<4x3xf64>
}

func.func private @train_step_tied(tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, f64, i64, i64, tensor<4x3xf64>, tensor<4xi32>)
    -> (tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<5xf64>)
func.func private @train_step_untied(tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, f64, i64, i64, tensor<4x3xf64>, tensor<4xi32>)
    -> (tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<5xf64>)

func.func @main() {
  %seed = arith.constant 11 : i64
  %s0 = arith.constant 0 : i64
  %x = flops.normal %seed, %s0 {site = 1 : i64} : tensor<4x3xf64>
  %w = flops.normal %seed, %s0 {site = 2 : i64} : tensor<3x3xf64>
  %labels = arith.constant dense<[0, 2, 1, 2]> : tensor<4xi32>
  %zero = arith.constant dense<0.0> : tensor<3x3xf64>
  %ls = arith.constant dense<-2.3> : tensor<3xf64>
  %lr = arith.constant 1.0 : f64
  %step = arith.constant 3 : i64
  %nseed = arith.constant 5 : i64
  %t:5 = call @train_step_tied(%w, %zero, %ls, %ls, %lr, %step, %nseed, %x, %labels)
      : (tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, f64, i64, i64, tensor<4x3xf64>, tensor<4xi32>)
      -> (tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<5xf64>)
  %u:7 = call @train_step_untied(%w, %w, %zero, %zero, %ls, %ls, %lr, %step, %nseed, %x, %labels)
      : (tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, f64, i64, i64, tensor<4x3xf64>, tensor<4xi32>)
      -> (tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<5xf64>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %z = arith.constant 0.0 : f64
  // max |(w - t) - ((w - u1) + (w - u2))| and max |w - t|.
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%dev = %z, %mag = %z) -> (f64, f64) {
    %r2:2 = scf.for %j = %c0 to %c3 step %c1 iter_args(%dv = %dev, %mg = %mag) -> (f64, f64) {
      %w0 = tensor.extract %w[%i, %j] : tensor<3x3xf64>
      %wt = tensor.extract %t#0[%i, %j] : tensor<3x3xf64>
      %w1 = tensor.extract %u#0[%i, %j] : tensor<3x3xf64>
      %w2 = tensor.extract %u#1[%i, %j] : tensor<3x3xf64>
      %gt = arith.subf %w0, %wt : f64
      %g1 = arith.subf %w0, %w1 : f64
      %g2 = arith.subf %w0, %w2 : f64
      %gs = arith.addf %g1, %g2 : f64
      %d = arith.subf %gt, %gs : f64
      %ad = math.absf %d : f64
      %ag = math.absf %gt : f64
      %dv2 = arith.maximumf %dv, %ad : f64
      %mg2 = arith.maximumf %mg, %ag : f64
      scf.yield %dv2, %mg2 : f64, f64
    }
    scf.yield %r2#0, %r2#1 : f64, f64
  }
  %tol = arith.constant 1.0e-12 : f64
  %ok = arith.cmpf olt, %r#0, %tol : f64
  %small = arith.constant 1.0e-6 : f64
  %nz = arith.cmpf ogt, %r#1, %small : f64
  // CHECK: tied estimate equals the sum of the untied ones: 1
  vector.print str "tied estimate equals the sum of the untied ones: "
  vector.print %ok : i1
  // CHECK: tied estimate is nonzero: 1
  vector.print str "tied estimate is nonzero: "
  vector.print %nz : i1
  return
}
