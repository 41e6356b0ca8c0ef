// RUN: flops-opt %s --split-input-file --flops-merge-identical-functions | FileCheck %s

/// Private functions with equal bodies (locations and value names aside)
/// become one: the first in the module stays, the calls of the others call
/// it. Functions that differ in a constant, an op, a type or an attribute
/// stay apart.

// CHECK-LABEL: func.func @step(
//       CHECK:   call @f_nest0(%{{.*}}) {no_inline}
//       CHECK:   call @f_nest0(%{{.*}}) {no_inline}
//       CHECK:   call @f_nest2(%{{.*}}) {no_inline}
//       CHECK:   call @f_nest3(%{{.*}}) {no_inline}
//       CHECK:   call @f_nest0(%{{.*}}) {no_inline}
// CHECK-LABEL: func.func private @f_nest0(
//   CHECK-NOT: func.func private @f_nest1(
//       CHECK: func.func private @f_nest2(
//       CHECK: func.func private @f_nest3(
//   CHECK-NOT: func.func private @g_nest0(
func.func @step(%a: memref<16xf32>, %b: memref<16xf32>) {
  call @f_nest0(%a) {no_inline} : (memref<16xf32>) -> ()
  call @f_nest1(%b) {no_inline} : (memref<16xf32>) -> ()
  call @f_nest2(%a) {no_inline} : (memref<16xf32>) -> ()
  call @f_nest3(%a) {no_inline} : (memref<16xf32>) -> ()
  call @g_nest0(%b) {no_inline} : (memref<16xf32>) -> ()
  return
}
func.func private @f_nest0(%x: memref<16xf32>) attributes {no_inline} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %x[%i] : memref<16xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %x[%i] : memref<16xf32>
  }
  return
}
/// The same code with other value names and locations.
func.func private @f_nest1(%y: memref<16xf32>) attributes {no_inline} {
  %lo = arith.constant 0 : index loc("a.py":1:1)
  %st = arith.constant 1 : index
  %hi = arith.constant 16 : index
  %c = arith.constant 1.0 : f32
  scf.for %j = %lo to %hi step %st {
    %p = memref.load %y[%j] : memref<16xf32> loc("b.py":2:2)
    %q = arith.addf %p, %c : f32
    memref.store %q, %y[%j] : memref<16xf32>
  }
  return
}
/// Another constant.
func.func private @f_nest2(%x: memref<16xf32>) attributes {no_inline} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %x[%i] : memref<16xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %x[%i] : memref<16xf32>
  }
  return
}
/// The operands of the addition swapped (the comparison is in order).
func.func private @f_nest3(%x: memref<16xf32>) attributes {no_inline} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %x[%i] : memref<16xf32>
    %w = arith.subf %one, %v : f32
    memref.store %w, %x[%i] : memref<16xf32>
  }
  return
}
/// Another root's nest with @f_nest0's code merges too.
func.func private @g_nest0(%x: memref<16xf32>) attributes {no_inline} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %x[%i] : memref<16xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %x[%i] : memref<16xf32>
  }
  return
}

// -----

/// Callers that are equal once their callees are merged merge in the next
/// round.

// CHECK-LABEL: func.func @two_rounds(
//       CHECK:   call @run0(%{{.*}})
//       CHECK:   call @run0(%{{.*}})
//       CHECK: func.func private @run0(
//       CHECK:   call @leaf0(
//   CHECK-NOT: func.func private @run1(
//       CHECK: func.func private @leaf0(
//   CHECK-NOT: func.func private @leaf1(
func.func @two_rounds(%a: memref<4xf32>) {
  call @run0(%a) : (memref<4xf32>) -> ()
  call @run1(%a) : (memref<4xf32>) -> ()
  return
}
func.func private @run0(%x: memref<4xf32>) {
  call @leaf0(%x) : (memref<4xf32>) -> ()
  return
}
func.func private @run1(%x: memref<4xf32>) {
  call @leaf1(%x) : (memref<4xf32>) -> ()
  return
}
func.func private @leaf0(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<4xf32>
  %w = arith.mulf %v, %v : f32
  memref.store %w, %x[%c0] : memref<4xf32>
  return
}
func.func private @leaf1(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<4xf32>
  %w = arith.mulf %v, %v : f32
  memref.store %w, %x[%c0] : memref<4xf32>
  return
}

// -----

/// @negative_public: public functions stay (their callers may be outside);
/// @negative_attr: an argument attribute differs; @negative_ref: a function
/// referenced other than by a call stays.

// CHECK-LABEL: func.func @negative_public(
// CHECK-LABEL: func.func @negative_public2(
// CHECK-LABEL: func.func private @negative_attr0(
// CHECK-LABEL: func.func private @negative_attr1(
// CHECK-LABEL: func.func private @negative_ref0(
// CHECK-LABEL: func.func private @negative_ref1(
// CHECK-LABEL: func.func @user(
//       CHECK:   call @negative_attr0(
//       CHECK:   call @negative_attr1(
//       CHECK:   constant @negative_ref1
func.func @negative_public(%x: f32) -> f32 {
  %y = arith.addf %x, %x : f32
  return %y : f32
}
func.func @negative_public2(%x: f32) -> f32 {
  %y = arith.addf %x, %x : f32
  return %y : f32
}
func.func private @negative_attr0(%x: memref<4xf32> {llvm.noalias}) {
  return
}
func.func private @negative_attr1(%x: memref<4xf32>) {
  return
}
func.func private @negative_ref0(%x: f32) -> f32 {
  return %x : f32
}
func.func private @negative_ref1(%x: f32) -> f32 {
  return %x : f32
}
func.func @user(%a: memref<4xf32>) -> ((f32) -> f32) {
  call @negative_attr0(%a) : (memref<4xf32>) -> ()
  call @negative_attr1(%a) : (memref<4xf32>) -> ()
  %f = func.constant @negative_ref1 : (f32) -> f32
  return %f : (f32) -> f32
}
