// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0})" | %run_omp | FileCheck %s

/// The weight-gradient convolution of the LR rule,
///   dW[f, c, kh, kw] = init + Σ_{n, oh, ow} xp[n, c, oh*s + kh, ow*s + kw] * Δ[n, f, oh, ow],
/// a linalg.generic that flops-lower-to-cpu rewrites as an im2col copy and a
/// contraction (gather-im2col), against scalar loops: stride 2 with the
/// gathered input first, stride 1 with a non-square filter and the gathered
/// input second. Small integers, so every summation order is exact; the last
/// case shows that the comparison can fail.

#xs2 = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#xs1 = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#dl = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
#wt = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>

/// A small integer in [-2, mod - 3] from the indices, at run time.
func.func @val(%i: index, %j: index, %mod: index, %mul: index) -> f32 {
  %two = arith.constant 2.0 : f32
  %im = arith.muli %i, %mul : index
  %s = arith.addi %im, %j : index
  %r = arith.remui %s, %mod : index
  %ri = arith.index_cast %r : index to i32
  %rf = arith.sitofp %ri : i32 to f32
  %v = arith.subf %rf, %two : f32
  return %v : f32
}

/// Number of weight-gradient elements that differ from init + the direct sum.
func.func @mismatches(%xp: tensor<?x?x?x?xf32>, %d: tensor<?x?x?x?xf32>, %dw: tensor<?x?x?x?xf32>,
                      %stride: index, %init: f32) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %n = tensor.dim %d, %c0 : tensor<?x?x?x?xf32>
  %f = tensor.dim %dw, %c0 : tensor<?x?x?x?xf32>
  %c = tensor.dim %dw, %c1 : tensor<?x?x?x?xf32>
  %kh = tensor.dim %dw, %c2 : tensor<?x?x?x?xf32>
  %kw = tensor.dim %dw, %c3 : tensor<?x?x?x?xf32>
  %oh = tensor.dim %d, %c2 : tensor<?x?x?x?xf32>
  %ow = tensor.dim %d, %c3 : tensor<?x?x?x?xf32>
  %z = arith.constant 0 : i64
  %r0 = scf.for %if = %c0 to %f step %c1 iter_args(%b0 = %z) -> i64 {
  %r1 = scf.for %ic = %c0 to %c step %c1 iter_args(%b1 = %b0) -> i64 {
  %r2 = scf.for %ikh = %c0 to %kh step %c1 iter_args(%b2 = %b1) -> i64 {
  %r3 = scf.for %ikw = %c0 to %kw step %c1 iter_args(%b3 = %b2) -> i64 {
    %s0 = scf.for %in = %c0 to %n step %c1 iter_args(%s0a = %init) -> f32 {
    %s1 = scf.for %ih = %c0 to %oh step %c1 iter_args(%s1a = %s0a) -> f32 {
    %s2 = scf.for %iw = %c0 to %ow step %c1 iter_args(%s2a = %s1a) -> f32 {
      %hs = arith.muli %ih, %stride : index
      %hh = arith.addi %hs, %ikh : index
      %ws = arith.muli %iw, %stride : index
      %ww = arith.addi %ws, %ikw : index
      %xv = tensor.extract %xp[%in, %ic, %hh, %ww] : tensor<?x?x?x?xf32>
      %dv = tensor.extract %d[%in, %if, %ih, %iw] : tensor<?x?x?x?xf32>
      %p = arith.mulf %xv, %dv : f32
      %a = arith.addf %s2a, %p : f32
      scf.yield %a : f32
    }
    scf.yield %s2 : f32
    }
    scf.yield %s1 : f32
    }
    %got = tensor.extract %dw[%if, %ic, %ikh, %ikw] : tensor<?x?x?x?xf32>
    %ne = arith.cmpf une, %s0, %got : f32
    %nei = arith.extui %ne : i1 to i64
    %b4 = arith.addi %b3, %nei : i64
    scf.yield %b4 : i64
  }
  scf.yield %r3 : i64
  }
  scf.yield %r2 : i64
  }
  scf.yield %r1 : i64
  }
  return %r0 : i64
}

func.func @report(%case: i64, %bad: i64, %t: tensor<?x?x?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %a = tensor.dim %t, %c0 : tensor<?x?x?x?xf32>
  %b = tensor.dim %t, %c1 : tensor<?x?x?x?xf32>
  %c = tensor.dim %t, %c2 : tensor<?x?x?x?xf32>
  %d = tensor.dim %t, %c3 : tensor<?x?x?x?xf32>
  %a1 = arith.subi %a, %c1 : index
  %b1 = arith.subi %b, %c1 : index
  %c1_ = arith.subi %c, %c1 : index
  %d1 = arith.subi %d, %c1 : index
  %first = tensor.extract %t[%c0, %c0, %c0, %c0] : tensor<?x?x?x?xf32>
  %last = tensor.extract %t[%a1, %b1, %c1_, %d1] : tensor<?x?x?x?xf32>
  vector.print str "case "
  vector.print %case : i64
  vector.print str "mismatches "
  vector.print %bad : i64
  vector.print str "corners "
  vector.print %first : f32
  vector.print %last : f32
  return
}

func.func @main() {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32

  // Case 1: xp 3x5x11x11, Δ 3x16x5x5, stride 2 -> dW 16x5x3x3 (+ 1).
  %x1 = tensor.generate {
  ^bb0(%n: index, %c: index, %h: index, %w: index):
    %nc = arith.addi %n, %c : index
    %hw = arith.muli %h, %c3 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%nc, %q, %c7, %c5) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<3x5x11x11xf32>
  %d1 = tensor.generate {
  ^bb0(%n: index, %f: index, %h: index, %w: index):
    %nf = arith.addi %n, %f : index
    %hw = arith.addi %h, %w : index
    %v = func.call @val(%nf, %hw, %c5, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<3x16x5x5xf32>
  %e1 = tensor.empty() : tensor<16x5x3x3xf32>
  %i1 = linalg.fill ins(%one : f32) outs(%e1 : tensor<16x5x3x3xf32>) -> tensor<16x5x3x3xf32>
  %g1 = linalg.generic {indexing_maps = [#xs2, #dl, #wt],
      iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]}
      ins(%x1, %d1 : tensor<3x5x11x11xf32>, tensor<3x16x5x5xf32>) outs(%i1 : tensor<16x5x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x5x3x3xf32>
  %x1d = tensor.cast %x1 : tensor<3x5x11x11xf32> to tensor<?x?x?x?xf32>
  %d1d = tensor.cast %d1 : tensor<3x16x5x5xf32> to tensor<?x?x?x?xf32>
  %g1d = tensor.cast %g1 : tensor<16x5x3x3xf32> to tensor<?x?x?x?xf32>
  %bad1 = call @mismatches(%x1d, %d1d, %g1d, %c2, %one)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index, f32) -> i64
  %n1 = arith.constant 1 : i64
  // CHECK: case 1
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners
  call @report(%n1, %bad1, %g1d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 2: Δ first, xp 2x3x9x12, Δ 2x40x8x10, stride 1 -> dW 40x3x2x3.
  %x2 = tensor.generate {
  ^bb0(%n: index, %c: index, %h: index, %w: index):
    %nc = arith.muli %n, %c2 : index
    %ncc = arith.addi %nc, %c : index
    %hw = arith.muli %h, %c5 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%ncc, %q, %c5, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<2x3x9x12xf32>
  %d2 = tensor.generate {
  ^bb0(%n: index, %f: index, %h: index, %w: index):
    %nf = arith.addi %n, %f : index
    %hw = arith.muli %h, %c3 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%nf, %q, %c7, %c1) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<2x40x8x10xf32>
  %e2 = tensor.empty() : tensor<40x3x2x3xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<40x3x2x3xf32>) -> tensor<40x3x2x3xf32>
  %g2 = linalg.generic {indexing_maps = [#dl, #xs1, #wt],
      iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]}
      ins(%d2, %x2 : tensor<2x40x8x10xf32>, tensor<2x3x9x12xf32>) outs(%i2 : tensor<40x3x2x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %b, %a : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<40x3x2x3xf32>
  %x2d = tensor.cast %x2 : tensor<2x3x9x12xf32> to tensor<?x?x?x?xf32>
  %d2d = tensor.cast %d2 : tensor<2x40x8x10xf32> to tensor<?x?x?x?xf32>
  %g2d = tensor.cast %g2 : tensor<40x3x2x3xf32> to tensor<?x?x?x?xf32>
  %bad2 = call @mismatches(%x2d, %d2d, %g2d, %c1, %zero)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index, f32) -> i64
  %n2 = arith.constant 2 : i64
  // CHECK: case 2
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners
  call @report(%n2, %bad2, %g2d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 3: case 1's result against the wrong init (0): every element differs.
  %bad3 = call @mismatches(%x1d, %d1d, %g1d, %c2, %zero)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index, f32) -> i64
  %n3 = arith.constant 3 : i64
  // CHECK: case 3
  // CHECK-NEXT: mismatches 720{{$}}
  call @report(%n3, %bad3, %g1d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()
  return
}
