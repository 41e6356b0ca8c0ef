// RUN: flops-opt %s --flops-expand-noise | FileCheck %s

/// flops-expand-noise: a vector flops.counter_normal whose lanes are the
/// consecutive elements e0, e0 + 1, ... of one row (seed, step and row the
/// same in every lane), with e0 a multiple of 4 and a multiple of 4 lanes,
/// shares the work: 64 lanes are 16 Philox blocks (i32 vectors of 16: ten
/// rounds of two high/low multiplies), 32 Box-Muller pairs (one square root
/// of a vector of 32), interleaved back into the 64 lanes. Anything else is
/// expanded lane by lane (one Philox block per lane).

/// e0 = %j, a loop variable stepping by 64 from 0.
// CHECK-LABEL: func.func @row
// CHECK:         scf.for
// CHECK-COUNT-20:  arith.mului_extended {{.*}} : vector<16xi32>
// CHECK-NOT:       arith.mului_extended
// CHECK:           math.sqrt {{.*}} : vector<32xf32>
// CHECK:           vector.shuffle {{.*}} : vector<32xf32>, vector<32xf32>
// CHECK:           vector.shape_cast {{.*}} : vector<64xf32> to vector<1x64xf32>
// CHECK-NOT:       flops.counter_normal
func.func @row(%seed: i64, %step: i64, %r: index, %n: index) -> vector<1x64xf32> {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %init = arith.constant dense<0.0> : vector<1x64xf32>
  %s = vector.broadcast %seed : i64 to vector<1x64xi64>
  %t = vector.broadcast %step : i64 to vector<1x64xi64>
  %row = vector.broadcast %r : index to vector<1x64xindex>
  %iota = vector.step : vector<64xindex>
  %lanes = vector.broadcast %iota : vector<64xindex> to vector<1x64xindex>
  %res = scf.for %j = %c0 to %n step %c64 iter_args(%acc = %init) -> vector<1x64xf32> {
    %jb = vector.broadcast %j : index to vector<1x64xindex>
    %e = arith.addi %jb, %lanes : vector<1x64xindex>
    %z = flops.counter_normal %s, %t, %row, %e {site = 3 : i64, antithetic}
        : vector<1x64xi64>, vector<1x64xindex> -> vector<1x64xf32>
    %sum = arith.addf %acc, %z : vector<1x64xf32>
    scf.yield %sum : vector<1x64xf32>
  }
  return %res : vector<1x64xf32>
}

/// The row index built as the vectorizer does for an outer loop (a one-lane
/// step broadcast and transposed) and the elements of an NCHW row
/// ((c * 4 + h) * 12 + w): e0 = (c * 4 + h) * 12, a multiple of 4. f64.
// CHECK-LABEL: func.func @nchw_row
// CHECK-COUNT-20: arith.mului_extended {{.*}} : vector<3xi32>
// CHECK-NOT:      arith.mului_extended
// CHECK:          math.sqrt {{.*}} : vector<6xf64>
func.func @nchw_row(%seed: i64, %step: i64, %r: index, %c: index, %h: index) -> vector<1x12xf64> {
  %c4 = arith.constant 4 : index
  %c12 = arith.constant 12 : index
  %s = vector.broadcast %seed : i64 to vector<1x12xi64>
  %t = vector.broadcast %step : i64 to vector<1x12xi64>
  %one = vector.step : vector<1xindex>
  %b = vector.broadcast %one : vector<1xindex> to vector<12x1xindex>
  %tr = vector.transpose %b, [1, 0] : vector<12x1xindex> to vector<1x12xindex>
  %rb = vector.broadcast %r : index to vector<1x12xindex>
  %row = arith.addi %rb, %tr : vector<1x12xindex>
  %ch = arith.muli %c, %c4 : index
  %chh = arith.addi %ch, %h : index
  %base = arith.muli %chh, %c12 : index
  %bb = vector.broadcast %base : index to vector<1x12xindex>
  %iota = vector.step : vector<12xindex>
  %w = vector.broadcast %iota : vector<12xindex> to vector<1x12xindex>
  %e = arith.addi %bb, %w : vector<1x12xindex>
  %z = flops.counter_normal %s, %t, %row, %e {site = 1 : i64}
      : vector<1x12xi64>, vector<1x12xindex> -> vector<1x12xf64>
  return %z : vector<1x12xf64>
}

/// e0 = %j stepping by 2: not known to be a multiple of 4, lane by lane.
// CHECK-LABEL: func.func @unaligned
// CHECK-COUNT-20: arith.mului_extended {{.*}} : vector<1x8xi32>
// CHECK-NOT:      vector.shuffle
// CHECK:          math.sqrt {{.*}} : vector<1x8xf32>
func.func @unaligned(%seed: i64, %step: i64, %r: index, %n: index) -> vector<1x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %init = arith.constant dense<0.0> : vector<1x8xf32>
  %s = vector.broadcast %seed : i64 to vector<1x8xi64>
  %t = vector.broadcast %step : i64 to vector<1x8xi64>
  %row = vector.broadcast %r : index to vector<1x8xindex>
  %iota = vector.step : vector<8xindex>
  %lanes = vector.broadcast %iota : vector<8xindex> to vector<1x8xindex>
  %res = scf.for %j = %c0 to %n step %c2 iter_args(%acc = %init) -> vector<1x8xf32> {
    %jb = vector.broadcast %j : index to vector<1x8xindex>
    %e = arith.addi %jb, %lanes : vector<1x8xindex>
    %z = flops.counter_normal %s, %t, %row, %e : vector<1x8xi64>, vector<1x8xindex> -> vector<1x8xf32>
    %sum = arith.addf %acc, %z : vector<1x8xf32>
    scf.yield %sum : vector<1x8xf32>
  }
  return %res : vector<1x8xf32>
}

/// Ten lanes (not a multiple of 4), every other element (stride 2), a row
/// that changes across lanes: lane by lane.
// CHECK-LABEL: func.func @not_a_row
// CHECK-COUNT-20: arith.mului_extended {{.*}} : vector<10xi32>
// CHECK-COUNT-20: arith.mului_extended {{.*}} : vector<8xi32>
// CHECK-COUNT-20: arith.mului_extended {{.*}} : vector<8xi32>
// CHECK-NOT:      vector.shuffle
func.func @not_a_row(%seed: vector<10xi64>, %step: vector<10xi64>, %r: vector<10xindex>,
                     %s8: vector<8xi64>, %r8: vector<8xindex>) -> (vector<10xf32>, vector<8xf32>, vector<8xf32>) {
  %e = vector.step : vector<10xindex>
  %z = flops.counter_normal %seed, %step, %r, %e : vector<10xi64>, vector<10xindex> -> vector<10xf32>
  %i8 = vector.step : vector<8xindex>
  %two = arith.constant dense<2> : vector<8xindex>
  %e2 = arith.muli %i8, %two : vector<8xindex>
  %z2 = flops.counter_normal %s8, %s8, %r8, %e2 : vector<8xi64>, vector<8xindex> -> vector<8xf32>
  %z3 = flops.counter_normal %s8, %s8, %i8, %i8 : vector<8xi64>, vector<8xindex> -> vector<8xf32>
  return %z, %z2, %z3 : vector<10xf32>, vector<8xf32>, vector<8xf32>
}

/// A scalar: the per-element form.
// CHECK-LABEL: func.func @scalar
// CHECK-COUNT-20: arith.mului_extended {{.*}} : i32
// CHECK:          math.sqrt {{.*}} : f32
// CHECK-NOT:      flops.counter_normal
func.func @scalar(%seed: i64, %step: i64, %r: index, %e: index) -> f32 {
  %z = flops.counter_normal %seed, %step, %r, %e {site = 2 : i64, antithetic} : i64, index -> f32
  return %z : f32
}
