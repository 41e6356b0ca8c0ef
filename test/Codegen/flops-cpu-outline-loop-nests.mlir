// RUN: flops-opt %s --flops-cpu-outline-loop-nests='min-function-ops=1 min-ops=4 min-loop-ops=4 max-ops=12' | FileCheck %s
// RUN: flops-opt %s --flops-cpu-outline-loop-nests='min-function-ops=1 min-ops=4 max-ops=12' | FileCheck %s --check-prefix=LOOPS
// RUN: not flops-opt %s --flops-cpu-outline-loop-nests='min-loop-ops=0' 2>&1 | FileCheck %s --check-prefix=BADLOOP
// RUN: flops-opt %s --flops-cpu-outline-loop-nests | FileCheck %s --check-prefix=SMALL
// RUN: not flops-opt %s --flops-cpu-outline-loop-nests='min-ops=8 max-ops=4' 2>&1 | FileCheck %s --check-prefix=BAD

/// Each loop nest of at most max-ops nested ops becomes a private no_inline
/// function taking what it reads from above (constants re-created inside)
/// and returning its results; a bigger nest stays and its inner nests move
/// out (with the induction variable as an argument); nests under min-ops
/// stay, unless they are loops of at least min-loop-ops (default 1: every
/// loop moves out, LOOPS). With the default thresholds these small
/// functions are left alone.

// CHECK-LABEL: func.func @nests(
//  CHECK-SAME:     %[[A:[^:]*]]: memref<16xf32>, %[[B:[^:]*]]: memref<16xf32>)
//       CHECK:   call @nests_nest0(%[[A]]) {no_inline} : (memref<16xf32>) -> ()
//       CHECK:   %[[S:.*]] = call @nests_nest1(%[[A]], %[[B]]) {no_inline} : (memref<16xf32>, memref<16xf32>) -> f32
//       CHECK:   scf.for %[[I:[^ ]*]] =
//       CHECK:     call @nests_nest2(%[[I]], %[[A]]) {no_inline}
//       CHECK:     call @nests_nest3(%[[I]], %[[B]]) {no_inline}
//       CHECK:   scf.for
//   CHECK-NOT:     call
//       CHECK:   return %[[S]] : f32

// CHECK-LABEL: func.func private @nests_nest0(
//  CHECK-SAME:     %[[X:.*]]: memref<16xf32>) attributes {no_inline}
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   scf.for
//       CHECK:     memref.load %[[X]]
//       CHECK:     arith.addf %{{.*}}, %[[ONE]]
//       CHECK:   return

// CHECK-LABEL: func.func private @nests_nest1(
//  CHECK-SAME:     %{{.*}}: memref<16xf32>, %{{.*}}: memref<16xf32>) -> f32 attributes {no_inline}
//       CHECK:   %[[R:.*]] = scf.for
//       CHECK:   return %[[R]] : f32

// CHECK-LABEL: func.func private @nests_nest2(
//  CHECK-SAME:     %{{.*}}: index, %{{.*}}: memref<16xf32>) attributes {no_inline}
// CHECK-LABEL: func.func private @nests_nest3(

// SMALL-LABEL: func.func @nests(
//   SMALL-NOT:   call @
//       SMALL:   return
//   SMALL-NOT: func.func private

// LOOPS-LABEL: func.func @nests(
//       LOOPS:   call @nests_nest0(
//       LOOPS:   call @nests_nest1(
//       LOOPS:   scf.for
//       LOOPS:     call @nests_nest2(
//       LOOPS:     call @nests_nest3(
//       LOOPS:   call @nests_nest4(%{{.*}}, %{{.*}}) {no_inline}
//   LOOPS-NOT:   scf.for
//       LOOPS:   return
// LOOPS-LABEL: func.func private @nests_nest4(
//       LOOPS:   scf.for
//       LOOPS:     memref.load
//       LOOPS:     memref.store

// BAD: error: flops-cpu-outline-loop-nests needs 1 <= min-ops <= max-ops, got 8 and 4
// BADLOOP: error: flops-cpu-outline-loop-nests needs min-loop-ops >= 1, got 0

func.func @nests(%a: memref<16xf32>, %b: memref<16xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  // 4 nested ops: outlined.
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %a[%i] : memref<16xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %a[%i] : memref<16xf32>
  }
  // A result: returned by the function.
  %s = scf.for %i = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %a[%i] : memref<16xf32>
    %u = memref.load %b[%i] : memref<16xf32>
    %m = arith.mulf %v, %u : f32
    %n = arith.addf %acc, %m : f32
    scf.yield %n : f32
  }
  // 15 nested ops > max-ops: stays, its two inner nests move out.
  scf.for %j = %c0 to %c4 step %c1 {
    scf.for %i = %c0 to %c4 step %c1 {
      %k = arith.addi %i, %j : index
      %v = memref.load %a[%k] : memref<16xf32>
      %w = arith.addf %v, %one : f32
      memref.store %w, %a[%k] : memref<16xf32>
    }
    scf.for %i = %c0 to %c4 step %c1 {
      %k = arith.addi %i, %j : index
      %v = memref.load %b[%k] : memref<16xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %b[%k] : memref<16xf32>
    }
  }
  // 3 nested ops < min-ops: stays.
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %a[%i] : memref<16xf32>
    memref.store %v, %b[%i] : memref<16xf32>
  }
  return %s : f32
}

/// Straight-line code: a run of at least min-ops ops without regions moves
/// out too (constants re-created inside, values used after the run
/// returned); a stack allocation ends a run, a shorter run stays.

// CHECK-LABEL: func.func @straight(
//  CHECK-SAME:     %[[M:[^:]*]]: memref<4xf32>, %[[X:[^:]*]]: f32) -> f32
//       CHECK:   %[[R:.*]] = call @straight_nest0(%[[M]], %[[X]]) {no_inline} : (memref<4xf32>, f32) -> f32
//       CHECK:   %[[S:.*]] = memref.alloca() : memref<f32>
//       CHECK:   memref.store %[[R]], %[[S]][]
//       CHECK:   return %[[R]] : f32

// CHECK-LABEL: func.func private @straight_nest0(
//  CHECK-SAME:     %[[M2:[^:]*]]: memref<4xf32>, %[[X2:[^:]*]]: f32) -> f32 attributes {no_inline}
//   CHECK-DAG:   %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
//       CHECK:   %[[A:.*]] = memref.load %[[M2]]
//       CHECK:   %[[B:.*]] = arith.mulf %[[A]], %[[TWO]]
//       CHECK:   %[[C:.*]] = arith.addf %[[B]], %[[X2]]
//       CHECK:   memref.store %[[C]], %[[M2]]
//       CHECK:   %[[D:.*]] = arith.subf %[[C]], %[[X2]]
//       CHECK:   return %[[D]] : f32

func.func @straight(%m: memref<4xf32>, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  %a = memref.load %m[%c0] : memref<4xf32>
  %b = arith.mulf %a, %two : f32
  %c = arith.addf %b, %x : f32
  memref.store %c, %m[%c1] : memref<4xf32>
  %d = arith.subf %c, %x : f32
  %s = memref.alloca() : memref<f32>
  memref.store %d, %s[] : memref<f32>
  return %d : f32
}

/// A parallel region moves out however small (LOOPS; here 2 nested ops,
/// under min-ops): the translation to LLVM IR outlines each one with a scan
/// of the whole function around it, quadratic in a big step. With
/// min-loop-ops=4 (CHECK) it stays.
// LOOPS-LABEL: func.func @parallel(
//       LOOPS:   call @parallel_nest0(%{{.*}}, %{{.*}}) {no_inline}
//   LOOPS-NOT:   omp.parallel
//       LOOPS:   return
// LOOPS-LABEL: func.func private @parallel_nest0(
//       LOOPS:   arith.constant 0 : index
//       LOOPS:   omp.parallel {
//       LOOPS:     memref.store
//       LOOPS:     omp.terminator
// CHECK-LABEL: func.func @parallel(
//       CHECK:   omp.parallel {
//   CHECK-NOT:   call
//       CHECK:   return
func.func @parallel(%m: memref<4xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  omp.parallel {
    memref.store %x, %m[%c0] : memref<4xf32>
    omp.terminator
  }
  return
}
