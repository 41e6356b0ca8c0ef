// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{im2col-fold-batch=0})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{im2col-fold-batch=1000})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{im2col-pointwise-in-place=false})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0})" | %run_omp | FileCheck %s

/// linalg.conv_2d_nchw_fchw through flops-lower-to-cpu (im2col + a tiled,
/// vectorized contraction; by default case 1, 2 images of 25 < 32 pixels,
/// has the images in the product's columns and case 2 (99 pixels) one
/// product per image; case 4, 1x1 with stride 1, reads its input as the
/// column matrix without a copy; `im2col-fold-batch=0` never folds, `=1000` folds
/// both) against scalar loops over the unpadded input that
/// test the padding bounds themselves: stride 2 with one pixel of zero
/// padding (tensor.pad), and stride 1 with a non-square filter. Small
/// integers, so every summation order is exact; the last case shows that the
/// comparison can fail.

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

/// Number of outputs that differ from the direct convolution of the input %x
/// (unpadded) with zero padding %pad and stride %stride.
func.func @mismatches(%x: tensor<?x?x?x?xf32>, %w: tensor<?x?x?x?xf32>, %out: tensor<?x?x?x?xf32>,
                      %stride: index, %pad: index) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %n = tensor.dim %out, %c0 : tensor<?x?x?x?xf32>
  %f = tensor.dim %out, %c1 : tensor<?x?x?x?xf32>
  %oh = tensor.dim %out, %c2 : tensor<?x?x?x?xf32>
  %ow = tensor.dim %out, %c3 : tensor<?x?x?x?xf32>
  %c = tensor.dim %x, %c1 : tensor<?x?x?x?xf32>
  %h = tensor.dim %x, %c2 : tensor<?x?x?x?xf32>
  %wd = tensor.dim %x, %c3 : tensor<?x?x?x?xf32>
  %kh = tensor.dim %w, %c2 : tensor<?x?x?x?xf32>
  %kw = tensor.dim %w, %c3 : tensor<?x?x?x?xf32>
  %z = arith.constant 0 : i64
  %zf = arith.constant 0.0 : f32
  %r0 = scf.for %in = %c0 to %n step %c1 iter_args(%b0 = %z) -> i64 {
  %r1 = scf.for %if = %c0 to %f step %c1 iter_args(%b1 = %b0) -> i64 {
  %r2 = scf.for %ih = %c0 to %oh step %c1 iter_args(%b2 = %b1) -> i64 {
  %r3 = scf.for %iw = %c0 to %ow step %c1 iter_args(%b3 = %b2) -> i64 {
    %s0 = scf.for %ic = %c0 to %c step %c1 iter_args(%s0a = %zf) -> f32 {
    %s1 = scf.for %ikh = %c0 to %kh step %c1 iter_args(%s1a = %s0a) -> f32 {
    %s2 = scf.for %ikw = %c0 to %kw step %c1 iter_args(%s2a = %s1a) -> f32 {
      %hs = arith.muli %ih, %stride : index
      %hh = arith.addi %hs, %ikh : index
      %ws = arith.muli %iw, %stride : index
      %ww = arith.addi %ws, %ikw : index
      // Padded coordinates: inside iff pad <= hh < h + pad (same for w).
      %hlo = arith.cmpi uge, %hh, %pad : index
      %hend = arith.addi %h, %pad : index
      %hhi = arith.cmpi ult, %hh, %hend : index
      %wlo = arith.cmpi uge, %ww, %pad : index
      %wend = arith.addi %wd, %pad : index
      %whi = arith.cmpi ult, %ww, %wend : index
      %in1 = arith.andi %hlo, %hhi : i1
      %in2 = arith.andi %wlo, %whi : i1
      %inside = arith.andi %in1, %in2 : i1
      %acc = scf.if %inside -> f32 {
        %y = arith.subi %hh, %pad : index
        %xx = arith.subi %ww, %pad : index
        %xv = tensor.extract %x[%in, %ic, %y, %xx] : tensor<?x?x?x?xf32>
        %wv = tensor.extract %w[%if, %ic, %ikh, %ikw] : tensor<?x?x?x?xf32>
        %p = arith.mulf %xv, %wv : f32
        %a = arith.addf %s2a, %p : f32
        scf.yield %a : f32
      } else {
        scf.yield %s2a : f32
      }
      scf.yield %acc : f32
    }
    scf.yield %s2 : f32
    }
    scf.yield %s1 : f32
    }
    %got = tensor.extract %out[%in, %if, %ih, %iw] : tensor<?x?x?x?xf32>
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
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %zero = arith.constant 0.0 : f32

  // Case 1: 2x3x9x9 input, pad 1, 4x3x3x3 filter, stride 2 -> 2x4x5x5.
  %x1 = tensor.generate {
  ^bb0(%n: index, %c: index, %h: index, %w: index):
    %nc = arith.addi %n, %c : index
    %hw = arith.muli %h, %c3 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%nc, %q, %c7, %c5) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<2x3x9x9xf32>
  %w1 = tensor.generate {
  ^bb0(%f: index, %c: index, %h: index, %w: index):
    %fc = arith.addi %f, %c : index
    %hw = arith.addi %h, %w : index
    %v = func.call @val(%fc, %hw, %c5, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<4x3x3x3xf32>
  %x1p = tensor.pad %x1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<2x3x9x9xf32> to tensor<2x3x11x11xf32>
  %o1e = tensor.empty() : tensor<2x4x5x5xf32>
  %o1z = linalg.fill ins(%zero : f32) outs(%o1e : tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  %o1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x1p, %w1 : tensor<2x3x11x11xf32>, tensor<4x3x3x3xf32>)
      outs(%o1z : tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  %x1d = tensor.cast %x1 : tensor<2x3x9x9xf32> to tensor<?x?x?x?xf32>
  %w1d = tensor.cast %w1 : tensor<4x3x3x3xf32> to tensor<?x?x?x?xf32>
  %o1d = tensor.cast %o1 : tensor<2x4x5x5xf32> to tensor<?x?x?x?xf32>
  %bad1 = call @mismatches(%x1d, %w1d, %o1d, %c2, %c1)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index, index) -> i64
  %n1 = arith.constant 1 : i64
  // CHECK: case 1
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners 12{{$}}
  // CHECK-NEXT: {{^}}2{{$}}
  call @report(%n1, %bad1, %o1d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 2: 3x2x10x13 input, 5x2x2x3 filter, stride 1, no padding -> 3x5x9x11.
  %x2 = tensor.generate {
  ^bb0(%n: index, %c: index, %h: index, %w: index):
    %nc = arith.muli %n, %c2 : index
    %ncc = arith.addi %nc, %c : index
    %hw = arith.muli %h, %c5 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%ncc, %q, %c5, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<3x2x10x13xf32>
  %w2 = tensor.generate {
  ^bb0(%f: index, %c: index, %h: index, %w: index):
    %fc = arith.addi %f, %c : index
    %hw = arith.muli %h, %c3 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%fc, %q, %c7, %c1) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<5x2x2x3xf32>
  %o2e = tensor.empty() : tensor<3x5x9x11xf32>
  %o2z = linalg.fill ins(%zero : f32) outs(%o2e : tensor<3x5x9x11xf32>) -> tensor<3x5x9x11xf32>
  %o2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x2, %w2 : tensor<3x2x10x13xf32>, tensor<5x2x2x3xf32>)
      outs(%o2z : tensor<3x5x9x11xf32>) -> tensor<3x5x9x11xf32>
  %x2d = tensor.cast %x2 : tensor<3x2x10x13xf32> to tensor<?x?x?x?xf32>
  %w2d = tensor.cast %w2 : tensor<5x2x2x3xf32> to tensor<?x?x?x?xf32>
  %o2d = tensor.cast %o2 : tensor<3x5x9x11xf32> to tensor<?x?x?x?xf32>
  %bad2 = call @mismatches(%x2d, %w2d, %o2d, %c1, %c0)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index, index) -> i64
  %n2 = arith.constant 2 : i64
  // CHECK: case 2
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners -2{{$}}
  // CHECK-NEXT: {{^}}2{{$}}
  call @report(%n2, %bad2, %o2d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 4: 2x3x6x7 input, 4x3x1x1 filter, stride 1, no padding -> 2x4x6x7
  // (42 pixels: one product per image, the input itself as its columns).
  %x4 = tensor.generate {
  ^bb0(%n: index, %c: index, %h: index, %w: index):
    %nc = arith.muli %n, %c3 : index
    %ncc = arith.addi %nc, %c : index
    %hw = arith.muli %h, %c7 : index
    %q = arith.addi %hw, %w : index
    %v = func.call @val(%ncc, %q, %c7, %c2) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<2x3x6x7xf32>
  %w4 = tensor.generate {
  ^bb0(%f: index, %c: index, %h: index, %w: index):
    %v = func.call @val(%f, %c, %c5, %c2) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<4x3x1x1xf32>
  %o4e = tensor.empty() : tensor<2x4x6x7xf32>
  %o4z = linalg.fill ins(%zero : f32) outs(%o4e : tensor<2x4x6x7xf32>) -> tensor<2x4x6x7xf32>
  %o4 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x4, %w4 : tensor<2x3x6x7xf32>, tensor<4x3x1x1xf32>)
      outs(%o4z : tensor<2x4x6x7xf32>) -> tensor<2x4x6x7xf32>
  %x4d = tensor.cast %x4 : tensor<2x3x6x7xf32> to tensor<?x?x?x?xf32>
  %w4d = tensor.cast %w4 : tensor<4x3x1x1xf32> to tensor<?x?x?x?xf32>
  %o4d = tensor.cast %o4 : tensor<2x4x6x7xf32> to tensor<?x?x?x?xf32>
  %bad4 = call @mismatches(%x4d, %w4d, %o4d, %c1, %c0)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index, index) -> i64
  %n4 = arith.constant 4 : i64
  // CHECK: case 4
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners 4{{$}}
  // CHECK-NEXT: {{^}}-3{{$}}
  call @report(%n4, %bad4, %o4d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()

  // Case 3: the check can fail: case 1's output read as stride 1 (wrong).
  %bad3 = call @mismatches(%x1d, %w1d, %o1d, %c1, %c1)
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, index, index) -> i64
  %n3 = arith.constant 3 : i64
  // CHECK: case 3
  // CHECK-NEXT: mismatches {{[1-9][0-9]*$}}
  call @report(%n3, %bad3, %o1d) : (i64, i64, tensor<?x?x?x?xf32>) -> ()
  return
}
