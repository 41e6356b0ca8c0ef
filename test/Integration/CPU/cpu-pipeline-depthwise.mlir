// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{unroll-taps=false})" | %run | FileCheck %s
// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0})" | %run_omp | FileCheck %s

/// The importer's depthwise convolution (group = channels) and max pooling
/// generics through flops-lower-to-cpu (unroll-taps: one strided slice per
/// tap, vectorized along the output row) against scalar loops over the same
/// padded input: a 3x3 depthwise convolution with stride 2 and one with
/// stride 1 (odd widths: partial vectors), and a 3x3 max pool with stride 2.
/// Non-integer inputs, compared bit for bit: the unrolled taps accumulate
/// in the loop nest's order. The last case shows that the comparison can
/// fail.

#dw2x = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f + c, oh * 2 + kh, ow * 2 + kw)>
#dw1x = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f + c, oh + kh, ow + kw)>
#dww = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#dwo = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
#mpx = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#mpw = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#mpo = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>

/// A value in (-1, 1) that is not a small integer, from the indices.
func.func @val(%i: index, %j: index) -> f32 {
  %c37 = arith.constant 37 : index
  %c101 = arith.constant 101 : index
  %a = arith.muli %i, %c37 : index
  %s = arith.addi %a, %j : index
  %r = arith.remui %s, %c101 : index
  %ri = arith.index_cast %r : index to i32
  %rf = arith.sitofp %ri : i32 to f32
  %k = arith.constant 0.0173 : f32
  %off = arith.constant 0.87 : f32
  %m = arith.mulf %rf, %k : f32
  %v = arith.subf %m, %off : f32
  return %v : f32
}

/// Outputs that differ from the depthwise convolution of %x (padded) with
/// %w and stride %s, computed by scalar loops (kh, kw innermost, in order).
func.func @dw_mismatches(%x: tensor<?x?x?x?xf32>, %w: tensor<?x?x?x?xf32>,
                         %out: tensor<?x?x?x?xf32>, %s: index) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %n = tensor.dim %out, %c0 : tensor<?x?x?x?xf32>
  %f = tensor.dim %out, %c1 : tensor<?x?x?x?xf32>
  %oh = tensor.dim %out, %c2 : tensor<?x?x?x?xf32>
  %ow = tensor.dim %out, %c3 : tensor<?x?x?x?xf32>
  %z = arith.constant 0 : i64
  %r0 = scf.for %in = %c0 to %n step %c1 iter_args(%b0 = %z) -> i64 {
  %r1 = scf.for %if = %c0 to %f step %c1 iter_args(%b1 = %b0) -> i64 {
  %r2 = scf.for %ih = %c0 to %oh step %c1 iter_args(%b2 = %b1) -> i64 {
  %r3 = scf.for %iw = %c0 to %ow step %c1 iter_args(%b3 = %b2) -> i64 {
    %init = tensor.extract %out[%in, %if, %ih, %iw] : tensor<?x?x?x?xf32>
    %zero = arith.constant 0.0 : f32
    %s1 = scf.for %ikh = %c0 to %c3 step %c1 iter_args(%s1a = %zero) -> f32 {
    %s2 = scf.for %ikw = %c0 to %c3 step %c1 iter_args(%s2a = %s1a) -> f32 {
      %hs = arith.muli %ih, %s : index
      %hh = arith.addi %hs, %ikh : index
      %ws = arith.muli %iw, %s : index
      %ww = arith.addi %ws, %ikw : index
      %xv = tensor.extract %x[%in, %if, %hh, %ww] : tensor<?x?x?x?xf32>
      %wv = tensor.extract %w[%if, %c0, %ikh, %ikw] : tensor<?x?x?x?xf32>
      %p = arith.mulf %xv, %wv : f32
      %a = arith.addf %s2a, %p : f32
      scf.yield %a : f32
    }
    scf.yield %s2 : f32
    }
    %ne = arith.cmpf une, %s1, %init : f32
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

/// Outputs that differ from the 3x3 stride-2 max pool of %x.
func.func @pool_mismatches(%x: tensor<?x?x?x?xf32>, %out: tensor<?x?x?x?xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %n = tensor.dim %out, %c0 : tensor<?x?x?x?xf32>
  %f = tensor.dim %out, %c1 : tensor<?x?x?x?xf32>
  %oh = tensor.dim %out, %c2 : tensor<?x?x?x?xf32>
  %ow = tensor.dim %out, %c3 : tensor<?x?x?x?xf32>
  %z = arith.constant 0 : i64
  %ninf = arith.constant 0xFF800000 : f32
  %r0 = scf.for %in = %c0 to %n step %c1 iter_args(%b0 = %z) -> i64 {
  %r1 = scf.for %if = %c0 to %f step %c1 iter_args(%b1 = %b0) -> i64 {
  %r2 = scf.for %ih = %c0 to %oh step %c1 iter_args(%b2 = %b1) -> i64 {
  %r3 = scf.for %iw = %c0 to %ow step %c1 iter_args(%b3 = %b2) -> i64 {
    %got = tensor.extract %out[%in, %if, %ih, %iw] : tensor<?x?x?x?xf32>
    %s1 = scf.for %ikh = %c0 to %c3 step %c1 iter_args(%s1a = %ninf) -> f32 {
    %s2 = scf.for %ikw = %c0 to %c3 step %c1 iter_args(%s2a = %s1a) -> f32 {
      %hs = arith.muli %ih, %c2 : index
      %hh = arith.addi %hs, %ikh : index
      %ws = arith.muli %iw, %c2 : index
      %ww = arith.addi %ws, %ikw : index
      %xv = tensor.extract %x[%in, %if, %hh, %ww] : tensor<?x?x?x?xf32>
      %a = arith.maximumf %s2a, %xv : f32
      scf.yield %a : f32
    }
    scf.yield %s2 : f32
    }
    %ne = arith.cmpf une, %s1, %got : f32
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
  %first = tensor.extract %t[%c0, %c0, %c0, %c0] : tensor<?x?x?x?xf32>
  vector.print str "case "
  vector.print %case : i64
  vector.print str "mismatches "
  vector.print %bad : i64
  vector.print str "first "
  vector.print %first : f32
  return
}

func.func @main() {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  // A padded 2x5x19x21 input (zero border of 1) and a 5x1x3x3 filter.
  %x0 = tensor.generate {
  ^bb0(%n: index, %c: index, %h: index, %w: index):
    %nc = arith.muli %n, %c2 : index
    %ncc = arith.addi %nc, %c : index
    %hw = arith.muli %h, %c2 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%ncc, %q) : (index, index) -> f32
    tensor.yield %v : f32
  } : tensor<2x5x17x19xf32>
  %x = tensor.pad %x0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<2x5x17x19xf32> to tensor<2x5x19x21xf32>
  %w = tensor.generate {
  ^bb0(%f: index, %c: index, %h: index, %ww: index):
    %hw = arith.muli %h, %c2 : index
    %q = arith.addi %hw, %ww : index
    %v = func.call @val(%q, %f) : (index, index) -> f32
    tensor.yield %v : f32
  } : tensor<5x1x3x3xf32>
  %xd = tensor.cast %x : tensor<2x5x19x21xf32> to tensor<?x?x?x?xf32>
  %wd = tensor.cast %w : tensor<5x1x3x3xf32> to tensor<?x?x?x?xf32>

  // Case 1: stride 2 -> 2x5x9x10.
  %e1 = tensor.empty() : tensor<2x5x9x10xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x5x9x10xf32>) -> tensor<2x5x9x10xf32>
  %o1 = linalg.generic {indexing_maps = [#dw2x, #dww, #dwo],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<2x5x19x21xf32>, tensor<5x1x3x3xf32>) outs(%z1 : tensor<2x5x9x10xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x5x9x10xf32>
  %o1d = tensor.cast %o1 : tensor<2x5x9x10xf32> to tensor<?x?x?x?xf32>
  %bad1 = call @dw_mismatches(%xd, %wd, %o1d, %c2)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index) -> i64
  %n1 = arith.constant 1 : i64
  // CHECK: case 1
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%n1, %bad1, %o1d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 2: stride 1 -> 2x5x17x19.
  %e2 = tensor.empty() : tensor<2x5x17x19xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x5x17x19xf32>) -> tensor<2x5x17x19xf32>
  %o2 = linalg.generic {indexing_maps = [#dw1x, #dww, #dwo],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<2x5x19x21xf32>, tensor<5x1x3x3xf32>) outs(%z2 : tensor<2x5x17x19xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x5x17x19xf32>
  %o2d = tensor.cast %o2 : tensor<2x5x17x19xf32> to tensor<?x?x?x?xf32>
  %bad2 = call @dw_mismatches(%xd, %wd, %o2d, %c1)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index) -> i64
  %n2 = arith.constant 2 : i64
  // CHECK: case 2
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%n2, %bad2, %o2d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 3: 3x3 max pool, stride 2 -> 2x5x9x10.
  %win = tensor.empty() : tensor<3x3xf32>
  %f3 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<2x5x9x10xf32>) -> tensor<2x5x9x10xf32>
  %o3 = linalg.generic {indexing_maps = [#mpx, #mpw, #mpo],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %win : tensor<2x5x19x21xf32>, tensor<3x3xf32>) outs(%f3 : tensor<2x5x9x10xf32>) {
  ^bb0(%a: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x5x9x10xf32>
  %o3d = tensor.cast %o3 : tensor<2x5x9x10xf32> to tensor<?x?x?x?xf32>
  %bad3 = call @pool_mismatches(%xd, %o3d)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> i64
  %n3 = arith.constant 3 : i64
  // CHECK: case 3
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%n3, %bad3, %o3d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 4 (must fail): the stride-1 output checked as a stride-2 one.
  %bad4 = call @dw_mismatches(%xd, %wd, %o2d, %c2)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index) -> i64
  %n4 = arith.constant 4 : i64
  // CHECK: case 4
  // CHECK-NEXT: mismatches {{[1-9][0-9]*}}{{$}}
  call @report(%n4, %bad4, %o2d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()
  return
}
