// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{allocator=uniform suffix=_u queries=8 budget=96 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05}, flops-forward-train{allocator=bernoulli bernoulli-switch-step=50 suffix=_b queries=8 budget=96 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05}, flops-forward-train{allocator=gaussian suffix=_g queries=8 budget=96 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05}, flops-forward-train{allocator=neyman neyman-points=24 suffix=_n queries=8 budget=96 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05})" -o %t.mlir
// RUN: flops-opt %t.mlir --pass-pipeline="builtin.module(flops-to-linalg,inline,symbol-dce,canonicalize,flops-lower-to-cpu)" | %run | FileCheck %s
// RUN: flops-opt %t.mlir --flops-reference-to-llvm | %run | FileCheck %s

/// The query allocators at run time: four @train_step variants (suffixes _u,
/// _b, _g, _n) of a 4-8-2 MLP on 16 fixed points (label x0 + x1 > 0, as in
/// train-step-mlp.mlir), each built with a budget of N = 96 rows per step
/// (6 per point on average, not B * queries = 128), SGD with momentum and a
/// frozen sigma, run for 150 steps through both CPU pipelines with
/// libFlopsRuntime (the CPU pipeline after flops-to-linalg and inlining,
/// as flops-train runs it: its out-params need static shapes at calls).
/// Checked from the outputs:
/// - every metric of every step is finite, and the clean loss falls below
///   a quarter of its initial value;
/// - V-hat (metrics[4]) is exactly 0 at every step for uniform and
///   bernoulli (no variance proxy) and > 0 at every step for gaussian and
///   neyman;
/// - gaussian: the state, initialised like the runtime's gaussianAllocInit
///   (w = 0, c = N/B = 6, the rest 0), has taken exactly 149 Adam steps
///   (the first update only sets the baseline), has_baseline = 1, a positive
///   baseline, and (w, c, rho_s, rho_h) moved away from (0, 6, 0, 0);
/// - neyman: with point_ids 23, 22, ..., 8 for batch rows 0..15 the 24x2
///   statistics table gains counts only at rows 8..23: rows 0..7 stay
///   exactly 0, every row 8..23 holds >= 150 * min-queries = 300 queries and
///   a positive mean squared norm, and the counts sum to exactly
///   150 * 96 = 14400.

!w1 = tensor<4x8xf32>
!b1 = tensor<8xf32>
!w2 = tensor<8x2xf32>
!b2 = tensor<2xf32>
!x = tensor<16x4xf32>
!y = tensor<16xi32>
!m = tensor<5xf32>
!gs = tensor<16xf64>
!ns = tensor<24x2xf64>
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: !x, %w1: !w1 {flops.param}, %b1: !b1 {flops.param},
                   %w2: !w2 {flops.param}, %b2: !b2 {flops.param}) -> tensor<16x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<16x8xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %m1 = linalg.matmul ins(%x, %w1 : !x, !w1) outs(%z1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<16x8xf32>, !b1) outs(%e1 : tensor<16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<16x8xf32>) outs(%e1 : tensor<16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<16x8xf32>
  %e2 = tensor.empty() : tensor<16x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x2xf32>) -> tensor<16x2xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<16x8xf32>, !w2) outs(%z2 : tensor<16x2xf32>) -> tensor<16x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<16x2xf32>, !b2) outs(%e2 : tensor<16x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}

// Replaced by the passes.
func.func private @train_step_u(!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i64, i64, !x, !y)
    -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !m)
func.func private @train_step_b(!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i64, i64, !x, !y)
    -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !m)
func.func private @train_step_g(!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, f32, i64, i64, !x, !y)
    -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, !m)
func.func private @train_step_n(!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, f32, i64, i64, !x, !y, !y)
    -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, !m)

/// Data and initial parameters (as in train-step-mlp.mlir).
func.func @data() -> (!x, !y, !w1, !b1, !w2, !b2, !b1, !b2) {
  %seed = arith.constant 7 : i64
  %s0 = arith.constant 0 : i64
  %x = flops.normal %seed, %s0 {site = 100 : i64} : !x
  %el = tensor.empty() : !y
  %labels = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%el : !y) {
  ^bb0(%o: i32):
    %r = linalg.index 0 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %a = tensor.extract %x[%r, %c0] : !x
    %b = tensor.extract %x[%r, %c1] : !x
    %s = arith.addf %a, %b : f32
    %zf = arith.constant 0.0 : f32
    %pos = arith.cmpf ogt, %s, %zf : f32
    %l = arith.extui %pos : i1 to i32
    linalg.yield %l : i32
  } -> !y
  %s1 = arith.constant 1 : i64
  %r1 = flops.normal %seed, %s1 {site = 101 : i64} : !w1
  %r2 = flops.normal %seed, %s1 {site = 102 : i64} : !w2
  %half = arith.constant 0.5 : f32
  %ew1 = tensor.empty() : !w1
  %w1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%r1 : !w1) outs(%ew1 : !w1) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %half : f32
    linalg.yield %m : f32
  } -> !w1
  %ew2 = tensor.empty() : !w2
  %w2 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%r2 : !w2) outs(%ew2 : !w2) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %half : f32
    linalg.yield %m : f32
  } -> !w2
  %zf0 = arith.constant 0.0 : f32
  %eb1 = tensor.empty() : !b1
  %eb2 = tensor.empty() : !b2
  %b1 = linalg.fill ins(%zf0 : f32) outs(%eb1 : !b1) -> !b1
  %b2 = linalg.fill ins(%zf0 : f32) outs(%eb2 : !b2) -> !b2
  // log sigma = log 0.05 at both sites (frozen).
  %ls = arith.constant -2.9957323 : f32
  %rho1 = linalg.fill ins(%ls : f32) outs(%eb1 : !b1) -> !b1
  %rho2 = linalg.fill ins(%ls : f32) outs(%eb2 : !b2) -> !b2
  return %x, %labels, %w1, %b1, %w2, %b2, %rho1, %rho2 : !x, !y, !w1, !b1, !w2, !b2, !b1, !b2
}

/// Folds one step's metrics into (all finite so far, min V-hat, max V-hat).
func.func @track(%m: !m, %ok: i1, %vmin: f32, %vmax: f32) -> (i1, f32, f32) {
  %inf = arith.constant 0x7F800000 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %r = scf.for %i = %c0 to %c5 step %c1 iter_args(%acc = %ok) -> (i1) {
    %v = tensor.extract %m[%i] : !m
    %a = math.absf %v : f32
    %fin = arith.cmpf olt, %a, %inf : f32
    %n = arith.andi %acc, %fin : i1
    scf.yield %n : i1
  }
  %v = tensor.extract %m[%c4] : !m
  %lo = arith.minimumf %vmin, %v : f32
  %hi = arith.maximumf %vmax, %v : f32
  return %r, %lo, %hi : i1, f32, f32
}

/// uniform: 150 steps, then one more call for the final clean loss.
func.func @run_u(%x: !x, %y: !y, %w1: !w1, %b1: !b1, %w2: !w2, %b2: !b2, %rho1: !b1, %rho2: !b2) -> (f32) {
  %seed = arith.constant 7 : i64
  %lr = arith.constant 0.05 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 150 : index
  %first = arith.constant -1.0 : f32
  %true = arith.constant true
  %pinf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %res:14 = scf.for %i = %c0 to %steps step %c1
      iter_args(%p1 = %w1, %p2 = %b1, %p3 = %w2, %p4 = %b2, %q1 = %w1, %q2 = %b1, %q3 = %w2, %q4 = %b2,
                %ls1 = %rho1, %ls2 = %rho2, %l0 = %first, %ok = %true, %vmin = %pinf, %vmax = %ninf)
      -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i1, f32, f32) {
    %step = arith.index_cast %i : index to i64
    %out:11 = func.call @train_step_u(%p1, %p2, %p3, %p4, %q1, %q2, %q3, %q4, %ls1, %ls2, %lr, %step, %seed, %x, %y)
        : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i64, i64, !x, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !m)
    %loss = tensor.extract %out#10[%c0] : !m
    %isfirst = arith.cmpi eq, %i, %c0 : index
    %l0n = arith.select %isfirst, %loss, %l0 : f32
    %t:3 = func.call @track(%out#10, %ok, %vmin, %vmax) : (!m, i1, f32, f32) -> (i1, f32, f32)
    scf.yield %out#0, %out#1, %out#2, %out#3, %out#4, %out#5, %out#6, %out#7, %out#8, %out#9, %l0n, %t#0, %t#1, %t#2
        : !w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i1, f32, f32
  }
  %k = arith.index_cast %steps : index to i64
  %final:11 = func.call @train_step_u(%res#0, %res#1, %res#2, %res#3, %res#4, %res#5, %res#6, %res#7, %res#8, %res#9, %lr, %k, %seed, %x, %y)
      : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i64, i64, !x, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !m)
  %lend = tensor.extract %final#10[%c0] : !m
  %t:3 = func.call @track(%final#10, %res#11, %res#12, %res#13) : (!m, i1, f32, f32) -> (i1, f32, f32)
  vector.print str "uniform: initial clean loss "
  vector.print %res#10 : f32
  vector.print str "uniform: final clean loss "
  vector.print %lend : f32
  vector.print str "uniform: V-hat min "
  vector.print %t#1 : f32
  vector.print str "uniform: V-hat max "
  vector.print %t#2 : f32
  vector.print str "uniform: metrics finite "
  vector.print %t#0 : i1
  %f025 = arith.constant 0.25 : f32
  %bound = arith.mulf %res#10, %f025 : f32
  %down = arith.cmpf olt, %lend, %bound : f32
  vector.print str "uniform: loss < 0.25 initial "
  vector.print %down : i1
  %zf = arith.constant 0.0 : f32
  %vlo0 = arith.cmpf oeq, %t#1, %zf : f32
  %vhi0 = arith.cmpf oeq, %t#2, %zf : f32
  %v0 = arith.andi %vlo0, %vhi0 : i1
  vector.print str "uniform: V-hat == 0 at every step "
  vector.print %v0 : i1
  return %lend : f32
}

/// bernoulli: 150 steps, then one more call for the final clean loss.
func.func @run_b(%x: !x, %y: !y, %w1: !w1, %b1: !b1, %w2: !w2, %b2: !b2, %rho1: !b1, %rho2: !b2) -> (f32) {
  %seed = arith.constant 7 : i64
  %lr = arith.constant 0.05 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 150 : index
  %first = arith.constant -1.0 : f32
  %true = arith.constant true
  %pinf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %res:14 = scf.for %i = %c0 to %steps step %c1
      iter_args(%p1 = %w1, %p2 = %b1, %p3 = %w2, %p4 = %b2, %q1 = %w1, %q2 = %b1, %q3 = %w2, %q4 = %b2,
                %ls1 = %rho1, %ls2 = %rho2, %l0 = %first, %ok = %true, %vmin = %pinf, %vmax = %ninf)
      -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i1, f32, f32) {
    %step = arith.index_cast %i : index to i64
    %out:11 = func.call @train_step_b(%p1, %p2, %p3, %p4, %q1, %q2, %q3, %q4, %ls1, %ls2, %lr, %step, %seed, %x, %y)
        : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i64, i64, !x, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !m)
    %loss = tensor.extract %out#10[%c0] : !m
    %isfirst = arith.cmpi eq, %i, %c0 : index
    %l0n = arith.select %isfirst, %loss, %l0 : f32
    %t:3 = func.call @track(%out#10, %ok, %vmin, %vmax) : (!m, i1, f32, f32) -> (i1, f32, f32)
    scf.yield %out#0, %out#1, %out#2, %out#3, %out#4, %out#5, %out#6, %out#7, %out#8, %out#9, %l0n, %t#0, %t#1, %t#2
        : !w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i1, f32, f32
  }
  %k = arith.index_cast %steps : index to i64
  %final:11 = func.call @train_step_b(%res#0, %res#1, %res#2, %res#3, %res#4, %res#5, %res#6, %res#7, %res#8, %res#9, %lr, %k, %seed, %x, %y)
      : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, f32, i64, i64, !x, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !m)
  %lend = tensor.extract %final#10[%c0] : !m
  %t:3 = func.call @track(%final#10, %res#11, %res#12, %res#13) : (!m, i1, f32, f32) -> (i1, f32, f32)
  vector.print str "bernoulli: initial clean loss "
  vector.print %res#10 : f32
  vector.print str "bernoulli: final clean loss "
  vector.print %lend : f32
  vector.print str "bernoulli: V-hat min "
  vector.print %t#1 : f32
  vector.print str "bernoulli: V-hat max "
  vector.print %t#2 : f32
  vector.print str "bernoulli: metrics finite "
  vector.print %t#0 : i1
  %f025 = arith.constant 0.25 : f32
  %bound = arith.mulf %res#10, %f025 : f32
  %down = arith.cmpf olt, %lend, %bound : f32
  vector.print str "bernoulli: loss < 0.25 initial "
  vector.print %down : i1
  %zf = arith.constant 0.0 : f32
  %vlo0 = arith.cmpf oeq, %t#1, %zf : f32
  %vhi0 = arith.cmpf oeq, %t#2, %zf : f32
  %v0 = arith.andi %vlo0, %vhi0 : i1
  vector.print str "bernoulli: V-hat == 0 at every step "
  vector.print %v0 : i1
  return %lend : f32
}

/// gaussian: 150 steps, then one more call for the final clean loss.
func.func @run_g(%x: !x, %y: !y, %w1: !w1, %b1: !b1, %w2: !w2, %b2: !b2, %rho1: !b1, %rho2: !b2, %st0: !gs) -> (!gs) {
  %seed = arith.constant 7 : i64
  %lr = arith.constant 0.05 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 150 : index
  %first = arith.constant -1.0 : f32
  %true = arith.constant true
  %pinf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %res:15 = scf.for %i = %c0 to %steps step %c1
      iter_args(%p1 = %w1, %p2 = %b1, %p3 = %w2, %p4 = %b2, %q1 = %w1, %q2 = %b1, %q3 = %w2, %q4 = %b2,
                %ls1 = %rho1, %ls2 = %rho2, %st = %st0, %l0 = %first, %ok = %true, %vmin = %pinf, %vmax = %ninf)
      -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, f32, i1, f32, f32) {
    %step = arith.index_cast %i : index to i64
    %out:12 = func.call @train_step_g(%p1, %p2, %p3, %p4, %q1, %q2, %q3, %q4, %ls1, %ls2, %st, %lr, %step, %seed, %x, %y)
        : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, f32, i64, i64, !x, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, !m)
    %loss = tensor.extract %out#11[%c0] : !m
    %isfirst = arith.cmpi eq, %i, %c0 : index
    %l0n = arith.select %isfirst, %loss, %l0 : f32
    %t:3 = func.call @track(%out#11, %ok, %vmin, %vmax) : (!m, i1, f32, f32) -> (i1, f32, f32)
    scf.yield %out#0, %out#1, %out#2, %out#3, %out#4, %out#5, %out#6, %out#7, %out#8, %out#9, %out#10, %l0n, %t#0, %t#1, %t#2
        : !w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, f32, i1, f32, f32
  }
  %k = arith.index_cast %steps : index to i64
  %final:12 = func.call @train_step_g(%res#0, %res#1, %res#2, %res#3, %res#4, %res#5, %res#6, %res#7, %res#8, %res#9, %res#10, %lr, %k, %seed, %x, %y)
      : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, f32, i64, i64, !x, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !gs, !m)
  %lend = tensor.extract %final#11[%c0] : !m
  %t:3 = func.call @track(%final#11, %res#12, %res#13, %res#14) : (!m, i1, f32, f32) -> (i1, f32, f32)
  vector.print str "gaussian: initial clean loss "
  vector.print %res#11 : f32
  vector.print str "gaussian: final clean loss "
  vector.print %lend : f32
  vector.print str "gaussian: V-hat min "
  vector.print %t#1 : f32
  vector.print str "gaussian: V-hat max "
  vector.print %t#2 : f32
  vector.print str "gaussian: metrics finite "
  vector.print %t#0 : i1
  %f025 = arith.constant 0.25 : f32
  %bound = arith.mulf %res#11, %f025 : f32
  %down = arith.cmpf olt, %lend, %bound : f32
  vector.print str "gaussian: loss < 0.25 initial "
  vector.print %down : i1
  %zf = arith.constant 0.0 : f32
  %vpos = arith.cmpf ogt, %t#1, %zf : f32
  vector.print str "gaussian: V-hat > 0 at every step "
  vector.print %vpos : i1
  return %res#10 : !gs
}

/// neyman: 150 steps, then one more call for the final clean loss.
func.func @run_n(%x: !x, %y: !y, %w1: !w1, %b1: !b1, %w2: !w2, %b2: !b2, %rho1: !b1, %rho2: !b2, %st0: !ns, %ids: !y) -> (!ns) {
  %seed = arith.constant 7 : i64
  %lr = arith.constant 0.05 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 150 : index
  %first = arith.constant -1.0 : f32
  %true = arith.constant true
  %pinf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %res:15 = scf.for %i = %c0 to %steps step %c1
      iter_args(%p1 = %w1, %p2 = %b1, %p3 = %w2, %p4 = %b2, %q1 = %w1, %q2 = %b1, %q3 = %w2, %q4 = %b2,
                %ls1 = %rho1, %ls2 = %rho2, %st = %st0, %l0 = %first, %ok = %true, %vmin = %pinf, %vmax = %ninf)
      -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, f32, i1, f32, f32) {
    %step = arith.index_cast %i : index to i64
    %out:12 = func.call @train_step_n(%p1, %p2, %p3, %p4, %q1, %q2, %q3, %q4, %ls1, %ls2, %st, %lr, %step, %seed, %x, %y, %ids)
        : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, f32, i64, i64, !x, !y, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, !m)
    %loss = tensor.extract %out#11[%c0] : !m
    %isfirst = arith.cmpi eq, %i, %c0 : index
    %l0n = arith.select %isfirst, %loss, %l0 : f32
    %t:3 = func.call @track(%out#11, %ok, %vmin, %vmax) : (!m, i1, f32, f32) -> (i1, f32, f32)
    scf.yield %out#0, %out#1, %out#2, %out#3, %out#4, %out#5, %out#6, %out#7, %out#8, %out#9, %out#10, %l0n, %t#0, %t#1, %t#2
        : !w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, f32, i1, f32, f32
  }
  %k = arith.index_cast %steps : index to i64
  %final:12 = func.call @train_step_n(%res#0, %res#1, %res#2, %res#3, %res#4, %res#5, %res#6, %res#7, %res#8, %res#9, %res#10, %lr, %k, %seed, %x, %y, %ids)
      : (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, f32, i64, i64, !x, !y, !y) -> (!w1, !b1, !w2, !b2, !w1, !b1, !w2, !b2, !b1, !b2, !ns, !m)
  %lend = tensor.extract %final#11[%c0] : !m
  %t:3 = func.call @track(%final#11, %res#12, %res#13, %res#14) : (!m, i1, f32, f32) -> (i1, f32, f32)
  vector.print str "neyman: initial clean loss "
  vector.print %res#11 : f32
  vector.print str "neyman: final clean loss "
  vector.print %lend : f32
  vector.print str "neyman: V-hat min "
  vector.print %t#1 : f32
  vector.print str "neyman: V-hat max "
  vector.print %t#2 : f32
  vector.print str "neyman: metrics finite "
  vector.print %t#0 : i1
  %f025 = arith.constant 0.25 : f32
  %bound = arith.mulf %res#11, %f025 : f32
  %down = arith.cmpf olt, %lend, %bound : f32
  vector.print str "neyman: loss < 0.25 initial "
  vector.print %down : i1
  %zf = arith.constant 0.0 : f32
  %vpos = arith.cmpf ogt, %t#1, %zf : f32
  vector.print str "neyman: V-hat > 0 at every step "
  vector.print %vpos : i1
  return %res#10 : !ns
}

func.func @main() {
  %d:8 = call @data() : () -> (!x, !y, !w1, !b1, !w2, !b2, !b1, !b2)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zf = arith.constant 0.0 : f64

  // CHECK: uniform: metrics finite 1
  // CHECK: uniform: loss < 0.25 initial 1
  // CHECK: uniform: V-hat == 0 at every step 1
  %lu = call @run_u(%d#0, %d#1, %d#2, %d#3, %d#4, %d#5, %d#6, %d#7)
      : (!x, !y, !w1, !b1, !w2, !b2, !b1, !b2) -> f32
  // CHECK: bernoulli: metrics finite 1
  // CHECK: bernoulli: loss < 0.25 initial 1
  // CHECK: bernoulli: V-hat == 0 at every step 1
  %lb = call @run_b(%d#0, %d#1, %d#2, %d#3, %d#4, %d#5, %d#6, %d#7)
      : (!x, !y, !w1, !b1, !w2, !b2, !b1, !b2) -> f32

  // The Gaussian allocator's initial state, as gaussianAllocInit(96, 16).
  %g0 = arith.constant dense<[0.0, 6.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]> : !gs
  // CHECK: gaussian: metrics finite 1
  // CHECK: gaussian: loss < 0.25 initial 1
  // CHECK: gaussian: V-hat > 0 at every step 1
  %g = call @run_g(%d#0, %d#1, %d#2, %d#3, %d#4, %d#5, %d#6, %d#7, %g0)
      : (!x, !y, !w1, !b1, !w2, !b2, !b1, !b2, !gs) -> !gs
  %i0 = arith.constant 0 : index
  %i2 = arith.constant 2 : index
  %i3 = arith.constant 3 : index
  %i12 = arith.constant 12 : index
  %i13 = arith.constant 13 : index
  %i14 = arith.constant 14 : index
  %gw = tensor.extract %g[%i0] : !gs
  %gc = tensor.extract %g[%c1] : !gs
  %grs = tensor.extract %g[%i2] : !gs
  %grh = tensor.extract %g[%i3] : !gs
  %gb = tensor.extract %g[%i12] : !gs
  %gt = tensor.extract %g[%i13] : !gs
  %gh = tensor.extract %g[%i14] : !gs
  vector.print str "gaussian state: w "
  vector.print %gw : f64
  vector.print str "gaussian state: c "
  vector.print %gc : f64
  vector.print str "gaussian state: rho_s "
  vector.print %grs : f64
  vector.print str "gaussian state: rho_h "
  vector.print %grh : f64
  vector.print str "gaussian state: baseline "
  vector.print %gb : f64
  vector.print str "gaussian state: adam steps "
  vector.print %gt : f64
  %six = arith.constant 6.0 : f64
  %dw = arith.cmpf one, %gw, %zf : f64
  %dc = arith.cmpf one, %gc, %six : f64
  %ds = arith.cmpf one, %grs, %zf : f64
  %dh = arith.cmpf one, %grh, %zf : f64
  %moved0 = arith.ori %dw, %dc : i1
  %moved1 = arith.ori %ds, %dh : i1
  %moved = arith.ori %moved0, %moved1 : i1
  // CHECK: gaussian: parameters moved from init 1
  vector.print str "gaussian: parameters moved from init "
  vector.print %moved : i1
  %k1 = arith.constant 149.0 : f64
  %tok = arith.cmpf oeq, %gt, %k1 : f64
  // CHECK: gaussian: adam steps == 149 1
  vector.print str "gaussian: adam steps == 149 "
  vector.print %tok : i1
  %one = arith.constant 1.0 : f64
  %hok = arith.cmpf oeq, %gh, %one : f64
  %bok = arith.cmpf ogt, %gb, %zf : f64
  %hb = arith.andi %hok, %bok : i1
  // CHECK: gaussian: has_baseline == 1, baseline > 0 1
  vector.print str "gaussian: has_baseline == 1, baseline > 0 "
  vector.print %hb : i1

  // Neyman: an empty table; batch row i is training point 23 - i.
  %ezero = tensor.empty() : !ns
  %n0 = linalg.fill ins(%zf : f64) outs(%ezero : !ns) -> !ns
  %eids = tensor.empty() : !y
  %ids = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%eids : !y) {
  ^bb0(%o: i32):
    %r = linalg.index 0 : index
    %ri = arith.index_cast %r : index to i32
    %c23 = arith.constant 23 : i32
    %id = arith.subi %c23, %ri : i32
    linalg.yield %id : i32
  } -> !y
  // CHECK: neyman: metrics finite 1
  // CHECK: neyman: loss < 0.25 initial 1
  // CHECK: neyman: V-hat > 0 at every step 1
  %n = call @run_n(%d#0, %d#1, %d#2, %d#3, %d#4, %d#5, %d#6, %d#7, %n0, %ids)
      : (!x, !y, !w1, !b1, !w2, !b2, !b1, !b2, !ns, !y) -> !ns
  // Over the table: the sum of the counts, |untouched rows| summed, the
  // smallest count and mean square among rows 8..23.
  %c8 = arith.constant 8 : index
  %c24 = arith.constant 24 : index
  %big = arith.constant 1.0e300 : f64
  %sums:4 = scf.for %r = %c0 to %c24 step %c1 iter_args(%tot = %zf, %untouched = %zf, %minn = %big, %minm = %big) -> (f64, f64, f64, f64) {
    %cnt = tensor.extract %n[%r, %c0] : !ns
    %msq = tensor.extract %n[%r, %c1] : !ns
    %tot1 = arith.addf %tot, %cnt : f64
    %low = arith.cmpi ult, %r, %c8 : index
    %ac = math.absf %cnt : f64
    %am = math.absf %msq : f64
    %both = arith.addf %ac, %am : f64
    %u1 = arith.addf %untouched, %both : f64
    %untouched1 = arith.select %low, %u1, %untouched : f64
    %mn = arith.minimumf %minn, %cnt : f64
    %mm = arith.minimumf %minm, %msq : f64
    %minn1 = arith.select %low, %minn, %mn : f64
    %minm1 = arith.select %low, %minm, %mm : f64
    scf.yield %tot1, %untouched1, %minn1, %minm1 : f64, f64, f64, f64
  }
  vector.print str "neyman table: total count "
  vector.print %sums#0 : f64
  vector.print str "neyman table: rows 0..7 sum of |entries| "
  vector.print %sums#1 : f64
  vector.print str "neyman table: rows 8..23 min count "
  vector.print %sums#2 : f64
  vector.print str "neyman table: rows 8..23 min mean square "
  vector.print %sums#3 : f64
  %want = arith.constant 14400.0 : f64
  %totok = arith.cmpf oeq, %sums#0, %want : f64
  // CHECK: neyman: total count == 150 * 96 1
  vector.print str "neyman: total count == 150 * 96 "
  vector.print %totok : i1
  %untok = arith.cmpf oeq, %sums#1, %zf : f64
  // CHECK: neyman: rows 0..7 untouched 1
  vector.print str "neyman: rows 0..7 untouched "
  vector.print %untok : i1
  %c300 = arith.constant 300.0 : f64
  %minok = arith.cmpf oge, %sums#2, %c300 : f64
  %msqok = arith.cmpf ogt, %sums#3, %zf : f64
  %rowsok = arith.andi %minok, %msqok : i1
  // CHECK: neyman: rows 8..23 counts >= 300, mean squares > 0 1
  vector.print str "neyman: rows 8..23 counts >= 300, mean squares > 0 "
  vector.print %rowsok : i1
  return
}
