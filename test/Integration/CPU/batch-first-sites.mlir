// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=ref suffix=_ref optimizer=sgd momentum=0 freeze-sigma=true queries=4}, flops-forward-train{entry=seqfirst suffix=_seq optimizer=sgd momentum=0 freeze-sigma=true queries=4}, flops-forward-train{entry=merged suffix=_merged optimizer=sgd momentum=0 freeze-sigma=true queries=4}, flops-reference-to-llvm)" | %run | FileCheck %s

/// Sites that do not hold the batch alone in dimension 0 are computed
/// batch-first (BatchFirstSites.cpp). @seqfirst runs the token projection
/// sequence-first ([tokens, batch, width], as imported attention does);
/// @merged runs it on the batch merged with the tokens ([batch * tokens,
/// width], as Swin's windows do); @ref is the same network batch-first. Each
/// ends in the sum over the tokens of tanh. The
/// rewritten sites hold the same values in the same layout as @ref's, so
/// with the same seed, step and site ids all three draw the same noise, and
/// with SGD (lr = 1, no momentum) their updates of W must agree up to
/// rounding (f64, < 1e-12) and not be zero.

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#tr3 = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#mx = affine_map<(b, s, n, k) -> (b, s, k)>
#mw = affine_map<(b, s, n, k) -> (k, n)>
#mo = affine_map<(b, s, n, k) -> (b, s, n)>
#sx = affine_map<(s, b, n, k) -> (s, b, k)>
#so = affine_map<(s, b, n, k) -> (s, b, n)>
#gx = affine_map<(r, n, k) -> (r, k)>
#gw = affine_map<(r, n, k) -> (k, n)>
#go = affine_map<(r, n, k) -> (r, n)>
#pin = affine_map<(b, n, s) -> (b, s, n)>
#pout = affine_map<(b, n, s) -> (b, n)>

func.func @ref(%x: tensor<4x3x2xf64>, %w: tensor<2x5xf64> {flops.param, flops.name = "w"}) -> tensor<4x5xf64> {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<4x3x5xf64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<4x3x5xf64>) -> tensor<4x3x5xf64>
  %h = linalg.generic {indexing_maps = [#mx, #mw, #mo], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<4x3x2xf64>, tensor<2x5xf64>) outs(%f : tensor<4x3x5xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %m = arith.mulf %a, %b : f64
    %s = arith.addf %o, %m : f64
    linalg.yield %s : f64
  } -> tensor<4x3x5xf64>
  %pe = tensor.empty() : tensor<4x5xf64>
  %pf = linalg.fill ins(%z : f64) outs(%pe : tensor<4x5xf64>) -> tensor<4x5xf64>
  %y = linalg.generic {indexing_maps = [#pin, #pout], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%h : tensor<4x3x5xf64>) outs(%pf : tensor<4x5xf64>) {
  ^bb0(%pa: f64, %po: f64):
    %pt = math.tanh %pa : f64
    %ps = arith.addf %po, %pt : f64
    linalg.yield %ps : f64
  } -> tensor<4x5xf64>
  return %y : tensor<4x5xf64>
}

func.func @seqfirst(%x: tensor<4x3x2xf64>, %w: tensor<2x5xf64> {flops.param, flops.name = "w"}) -> tensor<4x5xf64> {
  %e0 = tensor.empty() : tensor<3x4x2xf64>
  %xt = linalg.generic {indexing_maps = [#tr3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<4x3x2xf64>) outs(%e0 : tensor<3x4x2xf64>) {
  ^bb0(%a: f64, %o: f64):
    linalg.yield %a : f64
  } -> tensor<3x4x2xf64>
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<3x4x5xf64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<3x4x5xf64>) -> tensor<3x4x5xf64>
  %h = linalg.generic {indexing_maps = [#sx, #mw, #so], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%xt, %w : tensor<3x4x2xf64>, tensor<2x5xf64>) outs(%f : tensor<3x4x5xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %m = arith.mulf %a, %b : f64
    %s = arith.addf %o, %m : f64
    linalg.yield %s : f64
  } -> tensor<3x4x5xf64>
  %e2 = tensor.empty() : tensor<4x3x5xf64>
  %hb = linalg.generic {indexing_maps = [#tr3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h : tensor<3x4x5xf64>) outs(%e2 : tensor<4x3x5xf64>) {
  ^bb0(%a: f64, %o: f64):
    linalg.yield %a : f64
  } -> tensor<4x3x5xf64>
  %pe = tensor.empty() : tensor<4x5xf64>
  %pf = linalg.fill ins(%z : f64) outs(%pe : tensor<4x5xf64>) -> tensor<4x5xf64>
  %y = linalg.generic {indexing_maps = [#pin, #pout], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%hb : tensor<4x3x5xf64>) outs(%pf : tensor<4x5xf64>) {
  ^bb0(%pa: f64, %po: f64):
    %pt = math.tanh %pa : f64
    %ps = arith.addf %po, %pt : f64
    linalg.yield %ps : f64
  } -> tensor<4x5xf64>
  return %y : tensor<4x5xf64>
}

func.func @merged(%x: tensor<4x3x2xf64>, %w: tensor<2x5xf64> {flops.param, flops.name = "w"}) -> tensor<4x5xf64> {
  %xm = tensor.collapse_shape %x [[0, 1], [2]] : tensor<4x3x2xf64> into tensor<12x2xf64>
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<12x5xf64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<12x5xf64>) -> tensor<12x5xf64>
  %h = linalg.generic {indexing_maps = [#gx, #gw, #go], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xm, %w : tensor<12x2xf64>, tensor<2x5xf64>) outs(%f : tensor<12x5xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %m = arith.mulf %a, %b : f64
    %s = arith.addf %o, %m : f64
    linalg.yield %s : f64
  } -> tensor<12x5xf64>
  %hb = tensor.expand_shape %h [[0, 1], [2]] output_shape [4, 3, 5] : tensor<12x5xf64> into tensor<4x3x5xf64>
  %pe = tensor.empty() : tensor<4x5xf64>
  %pf = linalg.fill ins(%z : f64) outs(%pe : tensor<4x5xf64>) -> tensor<4x5xf64>
  %y = linalg.generic {indexing_maps = [#pin, #pout], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%hb : tensor<4x3x5xf64>) outs(%pf : tensor<4x5xf64>) {
  ^bb0(%pa: f64, %po: f64):
    %pt = math.tanh %pa : f64
    %ps = arith.addf %po, %pt : f64
    linalg.yield %ps : f64
  } -> tensor<4x5xf64>
  return %y : tensor<4x5xf64>
}

func.func private @train_step_ref(tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, f64, i64, i64, tensor<4x3x2xf64>, tensor<4xi32>)
    -> (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, tensor<5xf64>)
func.func private @train_step_seq(tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, f64, i64, i64, tensor<4x3x2xf64>, tensor<4xi32>)
    -> (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, tensor<5xf64>)
func.func private @train_step_merged(tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, f64, i64, i64, tensor<4x3x2xf64>, tensor<4xi32>)
    -> (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, tensor<5xf64>)

/// max |(w - a) - (w - b)| and max |w - a|.
func.func private @compare(%w: tensor<2x5xf64>, %a: tensor<2x5xf64>, %b: tensor<2x5xf64>) -> (i1, i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c5 = arith.constant 5 : index
  %z = arith.constant 0.0 : f64
  %r:2 = scf.for %i = %c0 to %c2 step %c1 iter_args(%dev = %z, %mag = %z) -> (f64, f64) {
    %r2:2 = scf.for %j = %c0 to %c5 step %c1 iter_args(%dv = %dev, %mg = %mag) -> (f64, f64) {
      %w0 = tensor.extract %w[%i, %j] : tensor<2x5xf64>
      %wa = tensor.extract %a[%i, %j] : tensor<2x5xf64>
      %wb = tensor.extract %b[%i, %j] : tensor<2x5xf64>
      %ga = arith.subf %w0, %wa : f64
      %gb = arith.subf %w0, %wb : f64
      %d = arith.subf %ga, %gb : f64
      %ad = math.absf %d : f64
      %ag = math.absf %ga : f64
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
  return %ok, %nz : i1, i1
}

func.func @main() {
  %seed = arith.constant 11 : i64
  %s0 = arith.constant 0 : i64
  %x = flops.normal %seed, %s0 {site = 1 : i64} : tensor<4x3x2xf64>
  %w = flops.normal %seed, %s0 {site = 2 : i64} : tensor<2x5xf64>
  %labels = arith.constant dense<[0, 2, 1, 4]> : tensor<4xi32>
  %zero = arith.constant dense<0.0> : tensor<2x5xf64>
  %ls = arith.constant dense<-2.3> : tensor<5xf64>
  %lr = arith.constant 1.0 : f64
  %step = arith.constant 3 : i64
  %nseed = arith.constant 5 : i64
  %r:4 = call @train_step_ref(%w, %zero, %ls, %lr, %step, %nseed, %x, %labels)
      : (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, f64, i64, i64, tensor<4x3x2xf64>, tensor<4xi32>)
      -> (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, tensor<5xf64>)
  %s:4 = call @train_step_seq(%w, %zero, %ls, %lr, %step, %nseed, %x, %labels)
      : (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, f64, i64, i64, tensor<4x3x2xf64>, tensor<4xi32>)
      -> (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, tensor<5xf64>)
  %m:4 = call @train_step_merged(%w, %zero, %ls, %lr, %step, %nseed, %x, %labels)
      : (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, f64, i64, i64, tensor<4x3x2xf64>, tensor<4xi32>)
      -> (tensor<2x5xf64>, tensor<2x5xf64>, tensor<5xf64>, tensor<5xf64>)
  %sok, %snz = call @compare(%w, %r#0, %s#0) : (tensor<2x5xf64>, tensor<2x5xf64>, tensor<2x5xf64>) -> (i1, i1)
  %mok, %mnz = call @compare(%w, %r#0, %m#0) : (tensor<2x5xf64>, tensor<2x5xf64>, tensor<2x5xf64>) -> (i1, i1)
  // CHECK: sequence-first update equals the batch-first one: 1
  vector.print str "sequence-first update equals the batch-first one: "
  vector.print %sok : i1
  // CHECK: merged-rows update equals the batch-first one: 1
  vector.print str "merged-rows update equals the batch-first one: "
  vector.print %mok : i1
  // CHECK: the update is nonzero: 1
  vector.print str "the update is nonzero: "
  vector.print %snz : i1
  return
}
