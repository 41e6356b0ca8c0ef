// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0 elementwise-vector-size=8})" | %run_omp | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{fuse-elementwise=false vectorize-elementwise=false})" | %run | FileCheck %s

/// Elementwise linalg ops through flops-lower-to-cpu (fused, tiled into rows,
/// vectorized with masked tails, split over threads) against the same
/// formulas in tensor.generate bodies, which stay scalar: bit for bit, with
/// fractional inputs (no reassociation may happen). The reduction is not
/// vectorized but must still be right. The last case shows that the
/// comparison can fail.

#id2 = affine_map<(i, j) -> (i, j)>
#tr2 = affine_map<(i, j) -> (j, i)>
#col = affine_map<(i, j) -> (j)>
#row = affine_map<(i, j) -> (i)>
#id1 = affine_map<(i) -> (i)>

/// A fractional value from the indices, at run time.
func.func @val(%i: index, %j: index, %mul: index) -> f32 {
  %im = arith.muli %i, %mul : index
  %s = arith.addi %im, %j : index
  %c97 = arith.constant 97 : index
  %r = arith.remui %s, %c97 : index
  %ri = arith.index_cast %r : index to i32
  %rf = arith.sitofp %ri : i32 to f32
  %k = arith.constant 0.37 : f32
  %o = arith.constant -17.3 : f32
  %p = arith.mulf %rf, %k : f32
  %v = arith.addf %p, %o : f32
  return %v : f32
}

/// Positions where the bit patterns differ (scalar loops).
func.func @mismatches(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xf32>
  %n = tensor.dim %a, %c1 : tensor<?x?xf32>
  %z = arith.constant 0 : i64
  %r = scf.for %i = %c0 to %m step %c1 iter_args(%bad = %z) -> i64 {
    %ri = scf.for %j = %c0 to %n step %c1 iter_args(%bad2 = %bad) -> i64 {
      %x = tensor.extract %a[%i, %j] : tensor<?x?xf32>
      %y = tensor.extract %b[%i, %j] : tensor<?x?xf32>
      %xi = arith.bitcast %x : f32 to i32
      %yi = arith.bitcast %y : f32 to i32
      %ne = arith.cmpi ne, %xi, %yi : i32
      %nei = arith.extui %ne : i1 to i64
      %bad3 = arith.addi %bad2, %nei : i64
      scf.yield %bad3 : i64
    }
    scf.yield %ri : i64
  }
  return %r : i64
}

func.func @report(%what: i64, %bad: i64) {
  vector.print str "case "
  vector.print %what : i64
  vector.print str "mismatches "
  vector.print %bad : i64
  return
}

func.func @main() {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c7 = arith.constant 7 : index
  %zf = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32

  %x = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c7) : (index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<13x37xf32>
  %y = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%j, %i, %c3) : (index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<13x37xf32>
  %bias = tensor.generate {
  ^bb0(%j: index):
    %v = func.call @val(%j, %c1, %c3) : (index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<37xf32>
  %xd = tensor.cast %x : tensor<13x37xf32> to tensor<?x?xf32>

  // Case 1: a chain that fusion merges: relu(x * 2 + bias[j]) - y.
  %e = tensor.empty() : tensor<13x37xf32>
  %s1 = linalg.generic {indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %bias : tensor<13x37xf32>, tensor<37xf32>) outs(%e : tensor<13x37xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    %s = arith.addf %m, %b : f32
    %r = arith.maximumf %s, %zf : f32
    linalg.yield %r : f32
  } -> tensor<13x37xf32>
  %o1 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s1, %y : tensor<13x37xf32>, tensor<13x37xf32>) outs(%e : tensor<13x37xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<13x37xf32>
  %x1 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %a = tensor.extract %x[%i, %j] : tensor<13x37xf32>
    %b = tensor.extract %bias[%j] : tensor<37xf32>
    %c = tensor.extract %y[%i, %j] : tensor<13x37xf32>
    %m = arith.mulf %a, %two : f32
    %s = arith.addf %m, %b : f32
    %r = arith.maximumf %s, %zf : f32
    %d = arith.subf %r, %c : f32
    tensor.yield %d : f32
  } : tensor<13x37xf32>
  %o1d = tensor.cast %o1 : tensor<13x37xf32> to tensor<?x?xf32>
  %x1d = tensor.cast %x1 : tensor<13x37xf32> to tensor<?x?xf32>
  %b1 = call @mismatches(%o1d, %x1d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w1 = arith.constant 1 : i64
  // CHECK: case 1
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w1, %b1) : (i64, i64) -> ()

  // Case 2: a transposing op, 13x37 -> 37x13, times exp(x) (libm).
  %et = tensor.empty() : tensor<37x13xf32>
  %o2 = linalg.generic {indexing_maps = [#tr2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<13x37xf32>) outs(%et : tensor<37x13xf32>) {
  ^bb0(%a: f32, %o: f32):
    %ex = math.exp %a : f32
    %r = arith.mulf %a, %ex : f32
    linalg.yield %r : f32
  } -> tensor<37x13xf32>
  %x2 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %a = tensor.extract %x[%j, %i] : tensor<13x37xf32>
    %ex = math.exp %a : f32
    %r = arith.mulf %a, %ex : f32
    tensor.yield %r : f32
  } : tensor<37x13xf32>
  %o2d = tensor.cast %o2 : tensor<37x13xf32> to tensor<?x?xf32>
  %x2d = tensor.cast %x2 : tensor<37x13xf32> to tensor<?x?xf32>
  %b2 = call @mismatches(%o2d, %x2d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w2 = arith.constant 2 : i64
  // CHECK: case 2
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w2, %b2) : (i64, i64) -> ()

  // Case 3: 1-D, 1000 elements, with linalg.index: x[i] * 0.5 + i.
  %v3 = tensor.generate {
  ^bb0(%i: index):
    %v = func.call @val(%i, %c3, %c7) : (index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<1000xf32>
  %e3 = tensor.empty() : tensor<1000xf32>
  %half = arith.constant 0.5 : f32
  %o3 = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%v3 : tensor<1000xf32>) outs(%e3 : tensor<1000xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %m = arith.mulf %a, %half : f32
    %r = arith.addf %m, %fi : f32
    linalg.yield %r : f32
  } -> tensor<1000xf32>
  %x3 = tensor.generate {
  ^bb0(%i: index):
    %a = tensor.extract %v3[%i] : tensor<1000xf32>
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %m = arith.mulf %a, %half : f32
    %r = arith.addf %m, %fi : f32
    tensor.yield %r : f32
  } : tensor<1000xf32>
  %o3e = tensor.expand_shape %o3 [[0, 1]] output_shape [1, 1000] : tensor<1000xf32> into tensor<1x1000xf32>
  %x3e = tensor.expand_shape %x3 [[0, 1]] output_shape [1, 1000] : tensor<1000xf32> into tensor<1x1000xf32>
  %o3d = tensor.cast %o3e : tensor<1x1000xf32> to tensor<?x?xf32>
  %x3d = tensor.cast %x3e : tensor<1x1000xf32> to tensor<?x?xf32>
  %b3 = call @mismatches(%o3d, %x3d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w3 = arith.constant 3 : i64
  // CHECK: case 3
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w3, %b3) : (i64, i64) -> ()

  // Case 4: a row reduction (not vectorized): sum_j x[i, j] * y[i, j].
  %er = tensor.empty() : tensor<13xf32>
  %zr = linalg.fill ins(%zf : f32) outs(%er : tensor<13xf32>) -> tensor<13xf32>
  %o4 = linalg.generic {indexing_maps = [#id2, #id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %y : tensor<13x37xf32>, tensor<13x37xf32>) outs(%zr : tensor<13xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<13xf32>
  %x4 = tensor.generate {
  ^bb0(%i: index):
    %c0 = arith.constant 0 : index
    %c37 = arith.constant 37 : index
    %s = scf.for %j = %c0 to %c37 step %c1 iter_args(%acc = %zf) -> f32 {
      %a = tensor.extract %x[%i, %j] : tensor<13x37xf32>
      %b = tensor.extract %y[%i, %j] : tensor<13x37xf32>
      %p = arith.mulf %a, %b : f32
      %t = arith.addf %acc, %p : f32
      scf.yield %t : f32
    }
    tensor.yield %s : f32
  } : tensor<13xf32>
  %o4e = tensor.expand_shape %o4 [[0, 1]] output_shape [1, 13] : tensor<13xf32> into tensor<1x13xf32>
  %x4e = tensor.expand_shape %x4 [[0, 1]] output_shape [1, 13] : tensor<13xf32> into tensor<1x13xf32>
  %o4d = tensor.cast %o4e : tensor<1x13xf32> to tensor<?x?xf32>
  %x4d = tensor.cast %x4e : tensor<1x13xf32> to tensor<?x?xf32>
  %b4 = call @mismatches(%o4d, %x4d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w4 = arith.constant 4 : i64
  // CHECK: case 4
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w4, %b4) : (i64, i64) -> ()

  // Case 5: the comparison can fail: case 1 against x.
  %b5 = call @mismatches(%o1d, %xd) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w5 = arith.constant 5 : i64
  // CHECK: case 5
  // CHECK-NEXT: mismatches {{[1-9][0-9]*$}}
  call @report(%w5, %b5) : (i64, i64) -> ()
  return
}
