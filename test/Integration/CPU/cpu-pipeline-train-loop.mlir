// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{c-interface=true out-params=true})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0})" | %run_omp | FileCheck %s

/// A training loop as the C++ driver will compile it: an scf.for carrying
/// the weights as a tensor iter_arg, calling a step function (matmul,
/// residual, transposed-lhs weight gradient, sign-SGD update) whose result
/// comes back through an out-param. Compared with the same step written as
/// scalar loops in tensor.generate bodies (never tiled or vectorized): all
/// values stay integers, so they must agree exactly. The sum and the number
/// of moved weights after 5 steps are numpy's (w -= sign(x.T @ (x @ w - t))).

#id2 = affine_map<(i, j) -> (i, j)>

/// w - sign(x^T (x w - t)).
func.func @step(%w: tensor<16x8xf32>, %x: tensor<32x16xf32>, %t: tensor<32x8xf32>)
    -> tensor<16x8xf32> {
  %zf = arith.constant 0.0 : f32
  %ey = tensor.empty() : tensor<32x8xf32>
  %zy = linalg.fill ins(%zf : f32) outs(%ey : tensor<32x8xf32>) -> tensor<32x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<32x16xf32>, tensor<16x8xf32>)
                     outs(%zy : tensor<32x8xf32>) -> tensor<32x8xf32>
  %d = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y, %t : tensor<32x8xf32>, tensor<32x8xf32>) outs(%ey : tensor<32x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<32x8xf32>
  %eg = tensor.empty() : tensor<16x8xf32>
  %zg = linalg.fill ins(%zf : f32) outs(%eg : tensor<16x8xf32>) -> tensor<16x8xf32>
  %g = linalg.generic {
      indexing_maps = [affine_map<(k, j, r) -> (r, k)>, affine_map<(k, j, r) -> (r, j)>,
                       affine_map<(k, j, r) -> (k, j)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %d : tensor<32x16xf32>, tensor<32x8xf32>) outs(%zg : tensor<16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %w2 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %g : tensor<16x8xf32>, tensor<16x8xf32>) outs(%eg : tensor<16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %m1 = arith.constant -1.0 : f32
    %pos = arith.cmpf ogt, %b, %zf : f32
    %neg = arith.cmpf olt, %b, %zf : f32
    %s0 = arith.select %neg, %m1, %zf : f32
    %s = arith.select %pos, %one, %s0 : f32
    %r = arith.subf %a, %s : f32
    linalg.yield %r : f32
  } -> tensor<16x8xf32>
  return %w2 : tensor<16x8xf32>
}

/// The same step, scalar.
func.func @step_scalar(%w: tensor<16x8xf32>, %x: tensor<32x16xf32>, %t: tensor<32x8xf32>)
    -> tensor<16x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zf = arith.constant 0.0 : f32
  %d = tensor.generate {
  ^bb0(%i: index, %j: index):
    %y = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %zf) -> f32 {
      %a = tensor.extract %x[%i, %k] : tensor<32x16xf32>
      %b = tensor.extract %w[%k, %j] : tensor<16x8xf32>
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    %tv = tensor.extract %t[%i, %j] : tensor<32x8xf32>
    %r = arith.subf %y, %tv : f32
    tensor.yield %r : f32
  } : tensor<32x8xf32>
  %w2 = tensor.generate {
  ^bb0(%k: index, %j: index):
    %g = scf.for %r = %c0 to %c32 step %c1 iter_args(%acc = %zf) -> f32 {
      %a = tensor.extract %x[%r, %k] : tensor<32x16xf32>
      %b = tensor.extract %d[%r, %j] : tensor<32x8xf32>
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    %wv = tensor.extract %w[%k, %j] : tensor<16x8xf32>
    %one = arith.constant 1.0 : f32
    %m1 = arith.constant -1.0 : f32
    %pos = arith.cmpf ogt, %g, %zf : f32
    %neg = arith.cmpf olt, %g, %zf : f32
    %s0 = arith.select %neg, %m1, %zf : f32
    %s = arith.select %pos, %one, %s0 : f32
    %r = arith.subf %wv, %s : f32
    tensor.yield %r : f32
  } : tensor<16x8xf32>
  return %w2 : tensor<16x8xf32>
}

/// A small integer in [-3, 3] from the indices, at run time.
func.func @val(%i: index, %j: index, %mul: index) -> f32 {
  %im = arith.muli %i, %mul : index
  %s = arith.addi %im, %j : index
  %c7 = arith.constant 7 : index
  %r = arith.remui %s, %c7 : index
  %ri = arith.index_cast %r : index to i32
  %rf = arith.sitofp %ri : i32 to f32
  %three = arith.constant 3.0 : f32
  %v = arith.subf %rf, %three : f32
  return %v : f32
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c16 = arith.constant 16 : index
  %c8 = arith.constant 8 : index
  %w0 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c2) : (index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<16x8xf32>
  %x = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c3) : (index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<32x16xf32>
  %t = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%j, %i, %c5) : (index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<32x8xf32>

  %wl = scf.for %it = %c0 to %c5 step %c1 iter_args(%w = %w0) -> tensor<16x8xf32> {
    %w2 = func.call @step(%w, %x, %t)
        : (tensor<16x8xf32>, tensor<32x16xf32>, tensor<32x8xf32>) -> tensor<16x8xf32>
    scf.yield %w2 : tensor<16x8xf32>
  }
  %wr = scf.for %it = %c0 to %c5 step %c1 iter_args(%w = %w0) -> tensor<16x8xf32> {
    %w2 = func.call @step_scalar(%w, %x, %t)
        : (tensor<16x8xf32>, tensor<32x16xf32>, tensor<32x8xf32>) -> tensor<16x8xf32>
    scf.yield %w2 : tensor<16x8xf32>
  }

  %z = arith.constant 0 : i64
  %zf = arith.constant 0.0 : f32
  %res:3 = scf.for %i = %c0 to %c16 step %c1 iter_args(%bad = %z, %sum = %zf, %moved = %z) -> (i64, f32, i64) {
    %ri:3 = scf.for %j = %c0 to %c8 step %c1 iter_args(%b2 = %bad, %s2 = %sum, %m2 = %moved) -> (i64, f32, i64) {
      %a = tensor.extract %wl[%i, %j] : tensor<16x8xf32>
      %b = tensor.extract %wr[%i, %j] : tensor<16x8xf32>
      %o = tensor.extract %w0[%i, %j] : tensor<16x8xf32>
      %ne = arith.cmpf une, %a, %b : f32
      %nei = arith.extui %ne : i1 to i64
      %b3 = arith.addi %b2, %nei : i64
      %s3 = arith.addf %s2, %a : f32
      %mv = arith.cmpf une, %a, %o : f32
      %mvi = arith.extui %mv : i1 to i64
      %m3 = arith.addi %m2, %mvi : i64
      scf.yield %b3, %s3, %m3 : i64, f32, i64
    }
    scf.yield %ri#0, %ri#1, %ri#2 : i64, f32, i64
  }
  // CHECK: mismatches 0{{$}}
  // CHECK-NEXT: sum -24{{$}}
  // CHECK-NEXT: moved 128{{$}}
  vector.print str "mismatches "
  vector.print %res#0 : i64
  vector.print str "sum "
  vector.print %res#1 : f32
  vector.print str "moved "
  vector.print %res#2 : i64
  return
}
