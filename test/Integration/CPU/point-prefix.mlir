// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{suffix=_pa queries=4 optimizer=sgd momentum=0 sigma=0.1}, flops-forward-train{suffix=_ra queries=4 optimizer=sgd momentum=0 sigma=0.1 point-prefix=false}, flops-forward-train{suffix=_pb sites=fc2.,fc3. allocator=bernoulli bernoulli-p=0.5 bernoulli-p-late=0.5 budget=24 optimizer=sgd momentum=0 sigma=0.1}, flops-forward-train{suffix=_rb sites=fc2.,fc3. allocator=bernoulli bernoulli-p=0.5 bernoulli-p-late=0.5 budget=24 optimizer=sgd momentum=0 sigma=0.1 point-prefix=false}, flops-forward-train{entry=conv_forward suffix=_pc queries=4 optimizer=sgd momentum=0 sigma=0.1}, flops-forward-train{entry=conv_forward suffix=_rc queries=4 optimizer=sgd momentum=0 sigma=0.1 point-prefix=false})" -o %t.mlir
// RUN: flops-opt %t.mlir --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %t.mlir --pass-pipeline="builtin.module(flops-to-linalg,inline,symbol-dce,canonicalize,flops-lower-to-cpu)" | %run | FileCheck %s

/// point-prefix computes the part of the forward that no perturbation
/// reaches once per data point, and the estimates of the sites inside it
/// from their Δ summed per point. It is the same estimate in another order
/// of summation: here every variant is built twice, with and without it
/// (suffixes _p* and _r*), and one step with lr = 0, SGD without momentum
/// (the momentum buffer returned is the estimate ĝ itself) is compared, in
/// f64, for a 3-5-4-2 tanh MLP on 6 points:
/// - a: all three sites perturbed, uniform allocation (4 queries per
///   point): fc1 is estimated per point (its input is the data);
/// - b: only fc2 and fc3 perturbed (sites=fc2.,fc3.), the Bernoulli
///   allocator (uneven counts per point, budget 24): fc1 and tanh run per
///   point, fc2 is estimated per point from a computed input (tanh(fc1));
/// - c: a padded 3x3 convolution (2 -> 3 channels, on 5x5 images; NCHW site)
///   then a dense layer, both perturbed: the padding and the convolution
///   run per point, the convolution's estimate from Δ summed per point.
/// Every parameter's and log-σ's estimate agrees within 1e-12 of its largest
/// entry, and the clean and row losses are bit for bit equal (the rows see
/// the same values, copied instead of recomputed).

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: tensor<6x3xf64>,
    %w1: tensor<3x5xf64> {flops.param, flops.name = "fc1.weight"}, %b1: tensor<5xf64> {flops.param, flops.name = "fc1.bias"},
    %w2: tensor<5x4xf64> {flops.param, flops.name = "fc2.weight"}, %b2: tensor<4xf64> {flops.param, flops.name = "fc2.bias"},
    %w3: tensor<4x2xf64> {flops.param, flops.name = "fc3.weight"}, %b3: tensor<2xf64> {flops.param, flops.name = "fc3.bias"}) -> tensor<6x2xf64> {
  %zero = arith.constant 0.0 : f64
  %e1 = tensor.empty() : tensor<6x5xf64>
  %z1 = linalg.fill ins(%zero : f64) outs(%e1 : tensor<6x5xf64>) -> tensor<6x5xf64>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<6x3xf64>, tensor<3x5xf64>) outs(%z1 : tensor<6x5xf64>) -> tensor<6x5xf64>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<6x5xf64>, tensor<5xf64>) outs(%e1 : tensor<6x5xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %s = arith.addf %a, %b : f64
    linalg.yield %s : f64
  } -> tensor<6x5xf64>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<6x5xf64>) outs(%e1 : tensor<6x5xf64>) {
  ^bb0(%a: f64, %o: f64):
    %t = math.tanh %a : f64
    linalg.yield %t : f64
  } -> tensor<6x5xf64>
  %e2 = tensor.empty() : tensor<6x4xf64>
  %z2 = linalg.fill ins(%zero : f64) outs(%e2 : tensor<6x4xf64>) -> tensor<6x4xf64>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<6x5xf64>, tensor<5x4xf64>) outs(%z2 : tensor<6x4xf64>) -> tensor<6x4xf64>
  %u2 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<6x4xf64>, tensor<4xf64>) outs(%e2 : tensor<6x4xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %s = arith.addf %a, %b : f64
    linalg.yield %s : f64
  } -> tensor<6x4xf64>
  %h2 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u2 : tensor<6x4xf64>) outs(%e2 : tensor<6x4xf64>) {
  ^bb0(%a: f64, %o: f64):
    %t = math.tanh %a : f64
    linalg.yield %t : f64
  } -> tensor<6x4xf64>
  %e3 = tensor.empty() : tensor<6x2xf64>
  %z3 = linalg.fill ins(%zero : f64) outs(%e3 : tensor<6x2xf64>) -> tensor<6x2xf64>
  %m3 = linalg.matmul ins(%h2, %w3 : tensor<6x4xf64>, tensor<4x2xf64>) outs(%z3 : tensor<6x2xf64>) -> tensor<6x2xf64>
  %u3 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m3, %b3 : tensor<6x2xf64>, tensor<2xf64>) outs(%e3 : tensor<6x2xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %s = arith.addf %a, %b : f64
    linalg.yield %s : f64
  } -> tensor<6x2xf64>
  return %u3 : tensor<6x2xf64>
}

#x4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @conv_forward(%x: tensor<6x2x5x5xf64>,
    %k: tensor<3x2x3x3xf64> {flops.param, flops.name = "conv.weight"}, %kb: tensor<3xf64> {flops.param, flops.name = "conv.bias"},
    %w: tensor<75x2xf64> {flops.param, flops.name = "fc.weight"}, %b: tensor<2xf64> {flops.param, flops.name = "fc.bias"}) -> tensor<6x2xf64> {
  %zero = arith.constant 0.0 : f64
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k2: index, %l: index):
    tensor.yield %zero : f64
  } : tensor<6x2x5x5xf64> to tensor<6x2x7x7xf64>
  %e = tensor.empty() : tensor<6x3x5x5xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<6x3x5x5xf64>) -> tensor<6x3x5x5xf64>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xp, %k : tensor<6x2x7x7xf64>, tensor<3x2x3x3xf64>) outs(%z : tensor<6x3x5x5xf64>) -> tensor<6x3x5x5xf64>
  %u = linalg.generic {indexing_maps = [#x4, #ch4, #x4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %kb : tensor<6x3x5x5xf64>, tensor<3xf64>) outs(%e : tensor<6x3x5x5xf64>) {
  ^bb0(%a: f64, %bb: f64, %o: f64):
    %s = arith.addf %a, %bb : f64
    linalg.yield %s : f64
  } -> tensor<6x3x5x5xf64>
  %h = linalg.generic {indexing_maps = [#x4, #x4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%u : tensor<6x3x5x5xf64>) outs(%e : tensor<6x3x5x5xf64>) {
  ^bb0(%a: f64, %o: f64):
    %t = math.tanh %a : f64
    linalg.yield %t : f64
  } -> tensor<6x3x5x5xf64>
  %f = tensor.collapse_shape %h [[0], [1, 2, 3]] : tensor<6x3x5x5xf64> into tensor<6x75xf64>
  %e2 = tensor.empty() : tensor<6x2xf64>
  %z2 = linalg.fill ins(%zero : f64) outs(%e2 : tensor<6x2xf64>) -> tensor<6x2xf64>
  %m = linalg.matmul ins(%f, %w : tensor<6x75xf64>, tensor<75x2xf64>) outs(%z2 : tensor<6x2xf64>) -> tensor<6x2xf64>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<6x2xf64>, tensor<2xf64>) outs(%e2 : tensor<6x2xf64>) {
  ^bb0(%a: f64, %bb: f64, %o: f64):
    %s = arith.addf %a, %bb : f64
    linalg.yield %s : f64
  } -> tensor<6x2xf64>
  return %y : tensor<6x2xf64>
}

/// max |a - b| <= 1e-12 max |b|, and b is not all zero.
func.func @agree(%a: tensor<?xf64>, %b: tensor<?xf64>) -> i1 {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2xf64>
  %init = linalg.fill ins(%z : f64) outs(%e : tensor<2xf64>) -> tensor<2xf64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %a, %c0 : tensor<?xf64>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<2xf64>) {
    %va = tensor.extract %a[%i] : tensor<?xf64>
    %vb = tensor.extract %b[%i] : tensor<?xf64>
    %d = arith.subf %va, %vb : f64
    %ad = math.absf %d : f64
    %ab = math.absf %vb : f64
    %m0 = tensor.extract %acc[%c0] : tensor<2xf64>
    %m1 = tensor.extract %acc[%c1] : tensor<2xf64>
    %n0 = arith.maximumf %m0, %ad : f64
    %n1 = arith.maximumf %m1, %ab : f64
    %t0 = tensor.insert %n0 into %acc[%c0] : tensor<2xf64>
    %t1 = tensor.insert %n1 into %t0[%c1] : tensor<2xf64>
    scf.yield %t1 : tensor<2xf64>
  }
  %md = tensor.extract %r[%c0] : tensor<2xf64>
  %mb = tensor.extract %r[%c1] : tensor<2xf64>
  %tol = arith.constant 1.0e-12 : f64
  %lim = arith.mulf %mb, %tol : f64
  %close = arith.cmpf ole, %md, %lim : f64
  %nz = arith.cmpf ogt, %mb, %z : f64
  %ok = arith.andi %close, %nz : i1
  return %ok : i1
}

/// Declarations of the steps flops-forward-train builds.
func.func private @train_step_pa(tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
func.func private @train_step_ra(tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
func.func private @train_step_pb(tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
func.func private @train_step_rb(tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
func.func private @train_step_pc(tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x2x5x5xf64>, tensor<6xi32>)
    -> (tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<5xf64>)
func.func private @train_step_rc(tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x2x5x5xf64>, tensor<6xi32>)
    -> (tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<5xf64>)

func.func @main() {
  %c0 = arith.constant 0 : index
  %seed = arith.constant 11 : i64
  %s0 = arith.constant 0 : i64
  %s1 = arith.constant 1 : i64
  %x = flops.normal %seed, %s0 {site = 100 : i64} : tensor<6x3xf64>
  %el = tensor.empty() : tensor<6xi32>
  %labels = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%el : tensor<6xi32>) {
  ^bb0(%o: i32):
    %r = linalg.index 0 : index
    %r32 = arith.index_cast %r : index to i32
    %two = arith.constant 2 : i32
    %l = arith.remui %r32, %two : i32
    linalg.yield %l : i32
  } -> tensor<6xi32>
  %w1 = flops.normal %seed, %s1 {site = 101 : i64} : tensor<3x5xf64>
  %mw1 = flops.normal %seed, %s1 {site = 102 : i64} : tensor<3x5xf64>
  %b1 = flops.normal %seed, %s1 {site = 103 : i64} : tensor<5xf64>
  %mb1 = flops.normal %seed, %s1 {site = 104 : i64} : tensor<5xf64>
  %w2 = flops.normal %seed, %s1 {site = 105 : i64} : tensor<5x4xf64>
  %mw2 = flops.normal %seed, %s1 {site = 106 : i64} : tensor<5x4xf64>
  %b2 = flops.normal %seed, %s1 {site = 107 : i64} : tensor<4xf64>
  %mb2 = flops.normal %seed, %s1 {site = 108 : i64} : tensor<4xf64>
  %w3 = flops.normal %seed, %s1 {site = 109 : i64} : tensor<4x2xf64>
  %mw3 = flops.normal %seed, %s1 {site = 110 : i64} : tensor<4x2xf64>
  %b3 = flops.normal %seed, %s1 {site = 111 : i64} : tensor<2xf64>
  %mb3 = flops.normal %seed, %s1 {site = 112 : i64} : tensor<2xf64>
  %k = flops.normal %seed, %s1 {site = 113 : i64} : tensor<3x2x3x3xf64>
  %mk = flops.normal %seed, %s1 {site = 114 : i64} : tensor<3x2x3x3xf64>
  %kb = flops.normal %seed, %s1 {site = 115 : i64} : tensor<3xf64>
  %mkb = flops.normal %seed, %s1 {site = 116 : i64} : tensor<3xf64>
  %w = flops.normal %seed, %s1 {site = 117 : i64} : tensor<75x2xf64>
  %mw = flops.normal %seed, %s1 {site = 118 : i64} : tensor<75x2xf64>
  %b = flops.normal %seed, %s1 {site = 119 : i64} : tensor<2xf64>
  %mb = flops.normal %seed, %s1 {site = 120 : i64} : tensor<2xf64>
  %xc = flops.normal %seed, %s0 {site = 121 : i64} : tensor<6x2x5x5xf64>
  %ls5 = flops.normal %seed, %s1 {site = 122 : i64} : tensor<5xf64>
  %ls4 = flops.normal %seed, %s1 {site = 123 : i64} : tensor<4xf64>
  %ls3 = flops.normal %seed, %s1 {site = 124 : i64} : tensor<3xf64>
  %ls2 = flops.normal %seed, %s1 {site = 125 : i64} : tensor<2xf64>
  %lr = arith.constant 0.0 : f64
  %step = arith.constant 3 : i64
  %pa:19 = func.call @train_step_pa(%w1, %b1, %w2, %b2, %w3, %b3, %mw1, %mb1, %mw2, %mb2, %mw3, %mb3, %ls5, %ls4, %ls2, %ls5, %ls4, %ls2, %lr, %step, %seed, %x, %labels)
      : (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
      -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
  %ra:19 = func.call @train_step_ra(%w1, %b1, %w2, %b2, %w3, %b3, %mw1, %mb1, %mw2, %mb2, %mw3, %mb3, %ls5, %ls4, %ls2, %ls5, %ls4, %ls2, %lr, %step, %seed, %x, %labels)
      : (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
      -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
  %pa_w1_s = tensor.cast %pa#6 : tensor<3x5xf64> to tensor<3x5xf64>
  %pa_w1_s_f = tensor.collapse_shape %pa_w1_s [[0, 1]] : tensor<3x5xf64> into tensor<15xf64>
  %pa_w1_s_d = tensor.cast %pa_w1_s_f : tensor<15xf64> to tensor<?xf64>
  %ra_w1_s = tensor.cast %ra#6 : tensor<3x5xf64> to tensor<3x5xf64>
  %ra_w1_s_f = tensor.collapse_shape %ra_w1_s [[0, 1]] : tensor<3x5xf64> into tensor<15xf64>
  %ra_w1_s_d = tensor.cast %ra_w1_s_f : tensor<15xf64> to tensor<?xf64>
  %oka_w1 = func.call @agree(%pa_w1_s_d, %ra_w1_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: w1 agrees "
  vector.print %oka_w1 : i1
  %pa_b1_s = tensor.cast %pa#7 : tensor<5xf64> to tensor<5xf64>
  %pa_b1_s_d = tensor.cast %pa_b1_s : tensor<5xf64> to tensor<?xf64>
  %ra_b1_s = tensor.cast %ra#7 : tensor<5xf64> to tensor<5xf64>
  %ra_b1_s_d = tensor.cast %ra_b1_s : tensor<5xf64> to tensor<?xf64>
  %oka_b1 = func.call @agree(%pa_b1_s_d, %ra_b1_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: b1 agrees "
  vector.print %oka_b1 : i1
  %pa_w2_s = tensor.cast %pa#8 : tensor<5x4xf64> to tensor<5x4xf64>
  %pa_w2_s_f = tensor.collapse_shape %pa_w2_s [[0, 1]] : tensor<5x4xf64> into tensor<20xf64>
  %pa_w2_s_d = tensor.cast %pa_w2_s_f : tensor<20xf64> to tensor<?xf64>
  %ra_w2_s = tensor.cast %ra#8 : tensor<5x4xf64> to tensor<5x4xf64>
  %ra_w2_s_f = tensor.collapse_shape %ra_w2_s [[0, 1]] : tensor<5x4xf64> into tensor<20xf64>
  %ra_w2_s_d = tensor.cast %ra_w2_s_f : tensor<20xf64> to tensor<?xf64>
  %oka_w2 = func.call @agree(%pa_w2_s_d, %ra_w2_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: w2 agrees "
  vector.print %oka_w2 : i1
  %pa_b2_s = tensor.cast %pa#9 : tensor<4xf64> to tensor<4xf64>
  %pa_b2_s_d = tensor.cast %pa_b2_s : tensor<4xf64> to tensor<?xf64>
  %ra_b2_s = tensor.cast %ra#9 : tensor<4xf64> to tensor<4xf64>
  %ra_b2_s_d = tensor.cast %ra_b2_s : tensor<4xf64> to tensor<?xf64>
  %oka_b2 = func.call @agree(%pa_b2_s_d, %ra_b2_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: b2 agrees "
  vector.print %oka_b2 : i1
  %pa_w3_s = tensor.cast %pa#10 : tensor<4x2xf64> to tensor<4x2xf64>
  %pa_w3_s_f = tensor.collapse_shape %pa_w3_s [[0, 1]] : tensor<4x2xf64> into tensor<8xf64>
  %pa_w3_s_d = tensor.cast %pa_w3_s_f : tensor<8xf64> to tensor<?xf64>
  %ra_w3_s = tensor.cast %ra#10 : tensor<4x2xf64> to tensor<4x2xf64>
  %ra_w3_s_f = tensor.collapse_shape %ra_w3_s [[0, 1]] : tensor<4x2xf64> into tensor<8xf64>
  %ra_w3_s_d = tensor.cast %ra_w3_s_f : tensor<8xf64> to tensor<?xf64>
  %oka_w3 = func.call @agree(%pa_w3_s_d, %ra_w3_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: w3 agrees "
  vector.print %oka_w3 : i1
  %pa_b3_s = tensor.cast %pa#11 : tensor<2xf64> to tensor<2xf64>
  %pa_b3_s_d = tensor.cast %pa_b3_s : tensor<2xf64> to tensor<?xf64>
  %ra_b3_s = tensor.cast %ra#11 : tensor<2xf64> to tensor<2xf64>
  %ra_b3_s_d = tensor.cast %ra_b3_s : tensor<2xf64> to tensor<?xf64>
  %oka_b3 = func.call @agree(%pa_b3_s_d, %ra_b3_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: b3 agrees "
  vector.print %oka_b3 : i1
  %pa_lsigma5_s = tensor.cast %pa#15 : tensor<5xf64> to tensor<5xf64>
  %pa_lsigma5_s_d = tensor.cast %pa_lsigma5_s : tensor<5xf64> to tensor<?xf64>
  %ra_lsigma5_s = tensor.cast %ra#15 : tensor<5xf64> to tensor<5xf64>
  %ra_lsigma5_s_d = tensor.cast %ra_lsigma5_s : tensor<5xf64> to tensor<?xf64>
  %oka_lsigma5 = func.call @agree(%pa_lsigma5_s_d, %ra_lsigma5_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: lsigma5 agrees "
  vector.print %oka_lsigma5 : i1
  %pa_lsigma4_s = tensor.cast %pa#16 : tensor<4xf64> to tensor<4xf64>
  %pa_lsigma4_s_d = tensor.cast %pa_lsigma4_s : tensor<4xf64> to tensor<?xf64>
  %ra_lsigma4_s = tensor.cast %ra#16 : tensor<4xf64> to tensor<4xf64>
  %ra_lsigma4_s_d = tensor.cast %ra_lsigma4_s : tensor<4xf64> to tensor<?xf64>
  %oka_lsigma4 = func.call @agree(%pa_lsigma4_s_d, %ra_lsigma4_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: lsigma4 agrees "
  vector.print %oka_lsigma4 : i1
  %pa_lsigma2_s = tensor.cast %pa#17 : tensor<2xf64> to tensor<2xf64>
  %pa_lsigma2_s_d = tensor.cast %pa_lsigma2_s : tensor<2xf64> to tensor<?xf64>
  %ra_lsigma2_s = tensor.cast %ra#17 : tensor<2xf64> to tensor<2xf64>
  %ra_lsigma2_s_d = tensor.cast %ra_lsigma2_s : tensor<2xf64> to tensor<?xf64>
  %oka_lsigma2 = func.call @agree(%pa_lsigma2_s_d, %ra_lsigma2_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "a: lsigma2 agrees "
  vector.print %oka_lsigma2 : i1
  %c0_a = arith.constant 0 : index
  %pm0_a = tensor.extract %pa#18[%c0_a] : tensor<5xf64>
  %rm0_a = tensor.extract %ra#18[%c0_a] : tensor<5xf64>
  %eq0_a = arith.cmpf oeq, %pm0_a, %rm0_a : f64
  vector.print str "a: clean loss equal "
  vector.print %eq0_a : i1
  %c2_a = arith.constant 2 : index
  %pm2_a = tensor.extract %pa#18[%c2_a] : tensor<5xf64>
  %rm2_a = tensor.extract %ra#18[%c2_a] : tensor<5xf64>
  %eq2_a = arith.cmpf oeq, %pm2_a, %rm2_a : f64
  vector.print str "a: row loss equal "
  vector.print %eq2_a : i1
  %pb:15 = func.call @train_step_pb(%w1, %b1, %w2, %b2, %w3, %b3, %mw2, %mb2, %mw3, %mb3, %ls4, %ls2, %ls4, %ls2, %lr, %step, %seed, %x, %labels)
      : (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
      -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
  %rb:15 = func.call @train_step_rb(%w1, %b1, %w2, %b2, %w3, %b3, %mw2, %mb2, %mw3, %mb3, %ls4, %ls2, %ls4, %ls2, %lr, %step, %seed, %x, %labels)
      : (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x3xf64>, tensor<6xi32>)
      -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<5x4xf64>, tensor<4xf64>, tensor<4x2xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<4xf64>, tensor<2xf64>, tensor<5xf64>)
  %pb_w2_s = tensor.cast %pb#6 : tensor<5x4xf64> to tensor<5x4xf64>
  %pb_w2_s_f = tensor.collapse_shape %pb_w2_s [[0, 1]] : tensor<5x4xf64> into tensor<20xf64>
  %pb_w2_s_d = tensor.cast %pb_w2_s_f : tensor<20xf64> to tensor<?xf64>
  %rb_w2_s = tensor.cast %rb#6 : tensor<5x4xf64> to tensor<5x4xf64>
  %rb_w2_s_f = tensor.collapse_shape %rb_w2_s [[0, 1]] : tensor<5x4xf64> into tensor<20xf64>
  %rb_w2_s_d = tensor.cast %rb_w2_s_f : tensor<20xf64> to tensor<?xf64>
  %okb_w2 = func.call @agree(%pb_w2_s_d, %rb_w2_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "b: w2 agrees "
  vector.print %okb_w2 : i1
  %pb_b2_s = tensor.cast %pb#7 : tensor<4xf64> to tensor<4xf64>
  %pb_b2_s_d = tensor.cast %pb_b2_s : tensor<4xf64> to tensor<?xf64>
  %rb_b2_s = tensor.cast %rb#7 : tensor<4xf64> to tensor<4xf64>
  %rb_b2_s_d = tensor.cast %rb_b2_s : tensor<4xf64> to tensor<?xf64>
  %okb_b2 = func.call @agree(%pb_b2_s_d, %rb_b2_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "b: b2 agrees "
  vector.print %okb_b2 : i1
  %pb_w3_s = tensor.cast %pb#8 : tensor<4x2xf64> to tensor<4x2xf64>
  %pb_w3_s_f = tensor.collapse_shape %pb_w3_s [[0, 1]] : tensor<4x2xf64> into tensor<8xf64>
  %pb_w3_s_d = tensor.cast %pb_w3_s_f : tensor<8xf64> to tensor<?xf64>
  %rb_w3_s = tensor.cast %rb#8 : tensor<4x2xf64> to tensor<4x2xf64>
  %rb_w3_s_f = tensor.collapse_shape %rb_w3_s [[0, 1]] : tensor<4x2xf64> into tensor<8xf64>
  %rb_w3_s_d = tensor.cast %rb_w3_s_f : tensor<8xf64> to tensor<?xf64>
  %okb_w3 = func.call @agree(%pb_w3_s_d, %rb_w3_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "b: w3 agrees "
  vector.print %okb_w3 : i1
  %pb_b3_s = tensor.cast %pb#9 : tensor<2xf64> to tensor<2xf64>
  %pb_b3_s_d = tensor.cast %pb_b3_s : tensor<2xf64> to tensor<?xf64>
  %rb_b3_s = tensor.cast %rb#9 : tensor<2xf64> to tensor<2xf64>
  %rb_b3_s_d = tensor.cast %rb_b3_s : tensor<2xf64> to tensor<?xf64>
  %okb_b3 = func.call @agree(%pb_b3_s_d, %rb_b3_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "b: b3 agrees "
  vector.print %okb_b3 : i1
  %pb_lsigma4_s = tensor.cast %pb#12 : tensor<4xf64> to tensor<4xf64>
  %pb_lsigma4_s_d = tensor.cast %pb_lsigma4_s : tensor<4xf64> to tensor<?xf64>
  %rb_lsigma4_s = tensor.cast %rb#12 : tensor<4xf64> to tensor<4xf64>
  %rb_lsigma4_s_d = tensor.cast %rb_lsigma4_s : tensor<4xf64> to tensor<?xf64>
  %okb_lsigma4 = func.call @agree(%pb_lsigma4_s_d, %rb_lsigma4_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "b: lsigma4 agrees "
  vector.print %okb_lsigma4 : i1
  %pb_lsigma2_s = tensor.cast %pb#13 : tensor<2xf64> to tensor<2xf64>
  %pb_lsigma2_s_d = tensor.cast %pb_lsigma2_s : tensor<2xf64> to tensor<?xf64>
  %rb_lsigma2_s = tensor.cast %rb#13 : tensor<2xf64> to tensor<2xf64>
  %rb_lsigma2_s_d = tensor.cast %rb_lsigma2_s : tensor<2xf64> to tensor<?xf64>
  %okb_lsigma2 = func.call @agree(%pb_lsigma2_s_d, %rb_lsigma2_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "b: lsigma2 agrees "
  vector.print %okb_lsigma2 : i1
  %c0_b = arith.constant 0 : index
  %pm0_b = tensor.extract %pb#14[%c0_b] : tensor<5xf64>
  %rm0_b = tensor.extract %rb#14[%c0_b] : tensor<5xf64>
  %eq0_b = arith.cmpf oeq, %pm0_b, %rm0_b : f64
  vector.print str "b: clean loss equal "
  vector.print %eq0_b : i1
  %c2_b = arith.constant 2 : index
  %pm2_b = tensor.extract %pb#14[%c2_b] : tensor<5xf64>
  %rm2_b = tensor.extract %rb#14[%c2_b] : tensor<5xf64>
  %eq2_b = arith.cmpf oeq, %pm2_b, %rm2_b : f64
  vector.print str "b: row loss equal "
  vector.print %eq2_b : i1
  %pc:13 = func.call @train_step_pc(%k, %kb, %w, %b, %mk, %mkb, %mw, %mb, %ls3, %ls2, %ls3, %ls2, %lr, %step, %seed, %xc, %labels)
      : (tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x2x5x5xf64>, tensor<6xi32>)
      -> (tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<5xf64>)
  %rc:13 = func.call @train_step_rc(%k, %kb, %w, %b, %mk, %mkb, %mw, %mb, %ls3, %ls2, %ls3, %ls2, %lr, %step, %seed, %xc, %labels)
      : (tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, f64, i64, i64, tensor<6x2x5x5xf64>, tensor<6xi32>)
      -> (tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3x2x3x3xf64>, tensor<3xf64>, tensor<75x2xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<3xf64>, tensor<2xf64>, tensor<5xf64>)
  %pc_k_s = tensor.cast %pc#4 : tensor<3x2x3x3xf64> to tensor<3x2x3x3xf64>
  %pc_k_s_f = tensor.collapse_shape %pc_k_s [[0, 1, 2, 3]] : tensor<3x2x3x3xf64> into tensor<54xf64>
  %pc_k_s_d = tensor.cast %pc_k_s_f : tensor<54xf64> to tensor<?xf64>
  %rc_k_s = tensor.cast %rc#4 : tensor<3x2x3x3xf64> to tensor<3x2x3x3xf64>
  %rc_k_s_f = tensor.collapse_shape %rc_k_s [[0, 1, 2, 3]] : tensor<3x2x3x3xf64> into tensor<54xf64>
  %rc_k_s_d = tensor.cast %rc_k_s_f : tensor<54xf64> to tensor<?xf64>
  %okc_k = func.call @agree(%pc_k_s_d, %rc_k_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "c: k agrees "
  vector.print %okc_k : i1
  %pc_kb_s = tensor.cast %pc#5 : tensor<3xf64> to tensor<3xf64>
  %pc_kb_s_d = tensor.cast %pc_kb_s : tensor<3xf64> to tensor<?xf64>
  %rc_kb_s = tensor.cast %rc#5 : tensor<3xf64> to tensor<3xf64>
  %rc_kb_s_d = tensor.cast %rc_kb_s : tensor<3xf64> to tensor<?xf64>
  %okc_kb = func.call @agree(%pc_kb_s_d, %rc_kb_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "c: kb agrees "
  vector.print %okc_kb : i1
  %pc_w_s = tensor.cast %pc#6 : tensor<75x2xf64> to tensor<75x2xf64>
  %pc_w_s_f = tensor.collapse_shape %pc_w_s [[0, 1]] : tensor<75x2xf64> into tensor<150xf64>
  %pc_w_s_d = tensor.cast %pc_w_s_f : tensor<150xf64> to tensor<?xf64>
  %rc_w_s = tensor.cast %rc#6 : tensor<75x2xf64> to tensor<75x2xf64>
  %rc_w_s_f = tensor.collapse_shape %rc_w_s [[0, 1]] : tensor<75x2xf64> into tensor<150xf64>
  %rc_w_s_d = tensor.cast %rc_w_s_f : tensor<150xf64> to tensor<?xf64>
  %okc_w = func.call @agree(%pc_w_s_d, %rc_w_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "c: w agrees "
  vector.print %okc_w : i1
  %pc_b_s = tensor.cast %pc#7 : tensor<2xf64> to tensor<2xf64>
  %pc_b_s_d = tensor.cast %pc_b_s : tensor<2xf64> to tensor<?xf64>
  %rc_b_s = tensor.cast %rc#7 : tensor<2xf64> to tensor<2xf64>
  %rc_b_s_d = tensor.cast %rc_b_s : tensor<2xf64> to tensor<?xf64>
  %okc_b = func.call @agree(%pc_b_s_d, %rc_b_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "c: b agrees "
  vector.print %okc_b : i1
  %pc_lsigma3_s = tensor.cast %pc#10 : tensor<3xf64> to tensor<3xf64>
  %pc_lsigma3_s_d = tensor.cast %pc_lsigma3_s : tensor<3xf64> to tensor<?xf64>
  %rc_lsigma3_s = tensor.cast %rc#10 : tensor<3xf64> to tensor<3xf64>
  %rc_lsigma3_s_d = tensor.cast %rc_lsigma3_s : tensor<3xf64> to tensor<?xf64>
  %okc_lsigma3 = func.call @agree(%pc_lsigma3_s_d, %rc_lsigma3_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "c: lsigma3 agrees "
  vector.print %okc_lsigma3 : i1
  %pc_lsigma2_s = tensor.cast %pc#11 : tensor<2xf64> to tensor<2xf64>
  %pc_lsigma2_s_d = tensor.cast %pc_lsigma2_s : tensor<2xf64> to tensor<?xf64>
  %rc_lsigma2_s = tensor.cast %rc#11 : tensor<2xf64> to tensor<2xf64>
  %rc_lsigma2_s_d = tensor.cast %rc_lsigma2_s : tensor<2xf64> to tensor<?xf64>
  %okc_lsigma2 = func.call @agree(%pc_lsigma2_s_d, %rc_lsigma2_s_d) : (tensor<?xf64>, tensor<?xf64>) -> i1
  vector.print str "c: lsigma2 agrees "
  vector.print %okc_lsigma2 : i1
  %c0_c = arith.constant 0 : index
  %pm0_c = tensor.extract %pc#12[%c0_c] : tensor<5xf64>
  %rm0_c = tensor.extract %rc#12[%c0_c] : tensor<5xf64>
  %eq0_c = arith.cmpf oeq, %pm0_c, %rm0_c : f64
  vector.print str "c: clean loss equal "
  vector.print %eq0_c : i1
  %c2_c = arith.constant 2 : index
  %pm2_c = tensor.extract %pc#12[%c2_c] : tensor<5xf64>
  %rm2_c = tensor.extract %rc#12[%c2_c] : tensor<5xf64>
  %eq2_c = arith.cmpf oeq, %pm2_c, %rm2_c : f64
  vector.print str "c: row loss equal "
  vector.print %eq2_c : i1
  return
}

// CHECK: a: w1 agrees 1
// CHECK: a: b1 agrees 1
// CHECK: a: w2 agrees 1
// CHECK: a: b2 agrees 1
// CHECK: a: w3 agrees 1
// CHECK: a: b3 agrees 1
// CHECK: a: lsigma5 agrees 1
// CHECK: a: lsigma4 agrees 1
// CHECK: a: lsigma2 agrees 1
// CHECK: a: clean loss equal 1
// CHECK: a: row loss equal 1
// CHECK: b: w2 agrees 1
// CHECK: b: b2 agrees 1
// CHECK: b: w3 agrees 1
// CHECK: b: b3 agrees 1
// CHECK: b: lsigma4 agrees 1
// CHECK: b: lsigma2 agrees 1
// CHECK: b: clean loss equal 1
// CHECK: b: row loss equal 1
// CHECK: c: k agrees 1
// CHECK: c: kb agrees 1
// CHECK: c: w agrees 1
// CHECK: c: b agrees 1
// CHECK: c: lsigma3 agrees 1
// CHECK: c: lsigma2 agrees 1
// CHECK: c: clean loss equal 1
// CHECK: c: row loss equal 1
