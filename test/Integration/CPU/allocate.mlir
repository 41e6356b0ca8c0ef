// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s

/// flops.allocate and flops.row_map, lowered to scf loops, over 400 random
/// score vectors of 16 points (mixed signs, all positive, all non-positive,
/// heavy-tailed) and five configurations: counts are integers >= min_count,
/// even with pairs, summing exactly to the budget; they equal the C++
/// runtime's flops::rt::allocateCounts; the row map is a repeat-interleave.
/// Then the fixed cases of docs/METHOD.md §5: Neyman for sigma = (0.5, 1, 2, 4),
/// N = 40 gives (3, 5, 11, 21); all scores <= 0 falls back to uniform.

func.func private @flops_rt_allocate(memref<?xf32>, memref<?xi32>, i64, i64, i32, i32) -> i32
    attributes {llvm.emit_c_interface}

func.func @runtime(%s: tensor<16xf32>, %budget: i64, %min: i64, %pairs: i32, %strategy: i32) -> tensor<16xi32> {
  %sm = bufferization.to_buffer %s read_only : tensor<16xf32> to memref<16xf32>
  %sd = memref.cast %sm : memref<16xf32> to memref<?xf32>
  %m = memref.alloc() : memref<16xi32>
  %d = memref.cast %m : memref<16xi32> to memref<?xi32>
  %ok = func.call @flops_rt_allocate(%sd, %d, %budget, %min, %pairs, %strategy) : (memref<?xf32>, memref<?xi32>, i64, i64, i32, i32) -> i32
  %t = bufferization.to_tensor %m restrict : memref<16xi32> to tensor<16xi32>
  return %t : tensor<16xi32>
}

/// Invariant violations of one allocation plus mismatches against the runtime
/// and against a repeat-interleave of the row map.
func.func @check(%c: tensor<16xi32>, %r: tensor<16xi32>, %budget: i64, %min: i32, %pairs: i1) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %z = arith.constant 0 : i64
  %z32 = arith.constant 0 : i32
  %one32 = arith.constant 1 : i32
  %res:2 = scf.for %i = %c0 to %c16 step %c1 iter_args(%bad = %z, %sum = %z) -> (i64, i64) {
    %a = tensor.extract %c[%i] : tensor<16xi32>
    %b = tensor.extract %r[%i] : tensor<16xi32>
    %low = arith.cmpi slt, %a, %min : i32
    %odd = arith.andi %a, %one32 : i32
    %isodd = arith.cmpi ne, %odd, %z32 : i32
    %badodd = arith.andi %isodd, %pairs : i1
    %differs = arith.cmpi ne, %a, %b : i32
    %e1 = arith.ori %low, %badodd : i1
    %e2 = arith.ori %e1, %differs : i1
    %e = arith.extui %e2 : i1 to i64
    %bad2 = arith.addi %bad, %e : i64
    %a64 = arith.extsi %a : i32 to i64
    %sum2 = arith.addi %sum, %a64 : i64
    scf.yield %bad2, %sum2 : i64, i64
  }
  %wrongsum = arith.cmpi ne, %res#1, %budget : i64
  %ws = arith.extui %wrongsum : i1 to i64
  %total = arith.addi %res#0, %ws : i64
  return %total : i64
}

/// 1 if the row map of %c (budget rows) is not the repeat-interleave of 0..15.
func.func @check_map(%c: tensor<16xi32>, %map: tensor<128xi32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %z = arith.constant 0 : i64
  %res:2 = scf.for %i = %c0 to %c16 step %c1 iter_args(%bad = %z, %row = %c0) -> (i64, index) {
    %a = tensor.extract %c[%i] : tensor<16xi32>
    %ai = arith.index_cast %a : i32 to index
    %end = arith.addi %row, %ai : index
    %pi = arith.index_cast %i : index to i32
    %inner = scf.for %r = %row to %end step %c1 iter_args(%b = %bad) -> i64 {
      %p = tensor.extract %map[%r] : tensor<128xi32>
      %ne = arith.cmpi ne, %p, %pi : i32
      %nei = arith.extui %ne : i1 to i64
      %b2 = arith.addi %b, %nei : i64
      scf.yield %b2 : i64
    }
    scf.yield %inner, %end : i64, index
  }
  return %res#0 : i64
}

func.func @scores(%seed: i64, %trial: index) -> tensor<16xf32> {
  %t = arith.index_cast %trial : index to i64
  %z = flops.normal %seed, %t : tensor<1x16xf32>
  %v = tensor.collapse_shape %z [[0, 1]] : tensor<1x16xf32> into tensor<16xf32>
  %c4 = arith.constant 4 : index
  %kind = arith.remui %trial, %c4 : index
  %e = tensor.empty() : tensor<16xf32>
  %out = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                         iterator_types = ["parallel"]}
      ins(%v : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %abs = math.absf %x : f32
    %neg = arith.negf %abs : f32
    %three = arith.constant 3.0 : f32
    %x3 = arith.mulf %x, %three : f32
    %heavy = math.exp %x3 : f32
    %y = scf.index_switch %kind -> f32
    case 1 { scf.yield %abs : f32 }
    case 2 { scf.yield %neg : f32 }
    case 3 { scf.yield %heavy : f32 }
    default { scf.yield %x : f32 }
    linalg.yield %y : f32
  } -> tensor<16xf32>
  return %out : tensor<16xf32>
}

func.func @trials(%seed: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 400 : index
  %z = arith.constant 0 : i64
  %true = arith.constant true
  %false = arith.constant false
  %i0 = arith.constant 0 : i32
  %i1 = arith.constant 1 : i32
  %i2 = arith.constant 2 : i32
  %b128 = arith.constant 128 : i64
  %b100 = arith.constant 100 : i64
  %b37 = arith.constant 37 : i64
  %b50 = arith.constant 50 : i64
  %m0 = arith.constant 0 : i64
  %m1 = arith.constant 1 : i64
  %m2 = arith.constant 2 : i64
  %bad = scf.for %t = %c0 to %n step %c1 iter_args(%acc = %z) -> i64 {
    %s = func.call @scores(%seed, %t) : (i64, index) -> tensor<16xf32>
    // proportional, budget 128, min 2, pairs
    %a = flops.allocate proportional %s {budget = 128 : i64, min_count = 2 : i64, pairs} : tensor<16xf32> -> tensor<16xi32>
    %ra = func.call @runtime(%s, %b128, %m2, %i1, %i1) : (tensor<16xf32>, i64, i64, i32, i32) -> tensor<16xi32>
    %ea = func.call @check(%a, %ra, %b128, %i2, %true) : (tensor<16xi32>, tensor<16xi32>, i64, i32, i1) -> i64
    %map = flops.row_map %a : tensor<16xi32> -> tensor<128xi32>
    %ema = func.call @check_map(%a, %map) : (tensor<16xi32>, tensor<128xi32>) -> i64
    // neyman, budget 100, min 1
    %b = flops.allocate neyman %s {budget = 100 : i64, min_count = 1 : i64} : tensor<16xf32> -> tensor<16xi32>
    %rb = func.call @runtime(%s, %b100, %m1, %i0, %i2) : (tensor<16xf32>, i64, i64, i32, i32) -> tensor<16xi32>
    %eb = func.call @check(%b, %rb, %b100, %i1, %false) : (tensor<16xi32>, tensor<16xi32>, i64, i32, i1) -> i64
    // neyman, budget 128, min 2, pairs
    %c = flops.allocate neyman %s {budget = 128 : i64, min_count = 2 : i64, pairs} : tensor<16xf32> -> tensor<16xi32>
    %rc = func.call @runtime(%s, %b128, %m2, %i1, %i2) : (tensor<16xf32>, i64, i64, i32, i32) -> tensor<16xi32>
    %ec = func.call @check(%c, %rc, %b128, %i2, %true) : (tensor<16xi32>, tensor<16xi32>, i64, i32, i1) -> i64
    %mapc = flops.row_map %c : tensor<16xi32> -> tensor<128xi32>
    %emc = func.call @check_map(%c, %mapc) : (tensor<16xi32>, tensor<128xi32>) -> i64
    // uniform, budget 37, min 2
    %d = flops.allocate uniform %s {budget = 37 : i64} : tensor<16xf32> -> tensor<16xi32>
    %rd = func.call @runtime(%s, %b37, %m2, %i0, %i0) : (tensor<16xf32>, i64, i64, i32, i32) -> tensor<16xi32>
    %ed = func.call @check(%d, %rd, %b37, %i2, %false) : (tensor<16xi32>, tensor<16xi32>, i64, i32, i1) -> i64
    // proportional, budget 50, min 0
    %e = flops.allocate proportional %s {budget = 50 : i64, min_count = 0 : i64} : tensor<16xf32> -> tensor<16xi32>
    %re = func.call @runtime(%s, %b50, %m0, %i0, %i1) : (tensor<16xf32>, i64, i64, i32, i32) -> tensor<16xi32>
    %ee = func.call @check(%e, %re, %b50, %i0, %false) : (tensor<16xi32>, tensor<16xi32>, i64, i32, i1) -> i64
    %s1 = arith.addi %acc, %ea : i64
    %s2 = arith.addi %s1, %eb : i64
    %s3 = arith.addi %s2, %ec : i64
    %s4 = arith.addi %s3, %ed : i64
    %s5 = arith.addi %s4, %ee : i64
    %s6 = arith.addi %s5, %ema : i64
    %s7 = arith.addi %s6, %emc : i64
    scf.yield %s7 : i64
  }
  vector.print str "violations and runtime mismatches over 400 trials "
  vector.print %bad : i64
  return
}

func.func @print_i32(%t: tensor<?xi32>) {
  %u = tensor.cast %t : tensor<?xi32> to tensor<*xi32>
  func.call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
func.func private @printMemrefI32(tensor<*xi32>)

func.func @fixed(%sigma: tensor<4xf32>, %negative: tensor<4xf32>) {
  %a = flops.allocate neyman %sigma {budget = 40 : i64} : tensor<4xf32> -> tensor<4xi32>
  %ad = tensor.cast %a : tensor<4xi32> to tensor<?xi32>
  func.call @print_i32(%ad) : (tensor<?xi32>) -> ()
  %b = flops.allocate proportional %negative {budget = 40 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
  %bd = tensor.cast %b : tensor<4xi32> to tensor<?xi32>
  func.call @print_i32(%bd) : (tensor<?xi32>) -> ()
  %c = flops.allocate neyman %negative {budget = 42 : i64, min_count = 1 : i64} : tensor<4xf32> -> tensor<4xi32>
  %cd = tensor.cast %c : tensor<4xi32> to tensor<?xi32>
  func.call @print_i32(%cd) : (tensor<?xi32>) -> ()
  return
}

func.func @main() {
  %seed = arith.constant 1234 : i64
  // CHECK: violations and runtime mismatches over 400 trials 0
  func.call @trials(%seed) : (i64) -> ()
  %sigma = arith.constant dense<[0.5, 1.0, 2.0, 4.0]> : tensor<4xf32>
  %neg = arith.constant dense<[-1.0, 0.0, -3.0, -0.5]> : tensor<4xf32>
  // CHECK: [3,  5,  11,  21]
  // CHECK: [10,  10,  10,  10]
  // CHECK: [11,  11,  10,  10]
  func.call @fixed(%sigma, %neg) : (tensor<4xf32>, tensor<4xf32>) -> ()
  return
}
