// RUN: flops-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(flops-gpu-fuse-launches))" | FileCheck %s

/// Two independent launches (different buffers, different grids and
/// blocks) become one: a 1-D grid of 4 + 3 blocks, the block size the
/// per-dimension maximum (32 x 2), each part under its range of linear
/// block ids with its own 2-D block ids recovered (x fastest), each part
/// guarded by the thread ids beyond its own block (16 x 2, 32 x 1).
// CHECK-LABEL: func.func @independent(
// CHECK-SAME: %[[A:.*]]: memref<128xf32>, %[[B:.*]]: memref<128xf32>, %[[C:.*]]: memref<96xf32>, %[[D:.*]]: memref<96xf32>)
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c7, %{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}) threads(%[[TX:.*]], %[[TY:.*]], %{{.*}}) in (%{{.*}} = %c32{{(_[0-9]+)?}}, %{{.*}} = %c2{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}})
// CHECK: %[[IN0:.*]] = arith.andi
// CHECK: scf.if %[[IN0]] {
// CHECK: %[[L0:.*]] = arith.subi %[[BX]], %{{.*}} : index
// CHECK: %[[X0:.*]] = arith.remui %[[L0]], %{{.*}} : index
// CHECK: %[[G0:.*]] = arith.cmpi ult, %[[TX]], %{{.*}} : index
// CHECK-NEXT: scf.if %[[G0]] {
// CHECK: memref.load %[[A]]
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK: %[[IN1:.*]] = arith.andi
// CHECK: scf.if %[[IN1]] {
// CHECK: %[[G1:.*]] = arith.cmpi ult, %[[TY]], %{{.*}} : index
// CHECK-NEXT: scf.if %[[G1]] {
// CHECK: memref.load %[[C]]
// CHECK: memref.store %{{.*}}, %[[D]]
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @independent(%a: memref<128xf32>, %b: memref<128xf32>, %c: memref<96xf32>, %d: memref<96xf32>) {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c2 = arith.constant 2 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c2, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c2, %sz = %c1) {
    %i0 = arith.muli %by, %c2 : index
    %i1 = arith.addi %i0, %bx : index
    %i2 = arith.muli %i1, %c2 : index
    %i3 = arith.addi %i2, %ty : index
    %i4 = arith.muli %i3, %c16 : index
    %i = arith.addi %i4, %tx : index
    %v = memref.load %a[%i] : memref<128xf32>
    memref.store %v, %b[%i] : memref<128xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c3, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %i0 = arith.muli %bx, %c32 : index
    %i = arith.addi %i0, %tx : index
    %v = memref.load %c[%i] : memref<96xf32>
    memref.store %v, %d[%i] : memref<96xf32>
    gpu.terminator
  }
  return
}

// -----

/// The second launch reads what the first writes: they stay two launches,
/// in order.
// CHECK-LABEL: func.func @negative_dependent(
// CHECK: %[[T:.*]] = memref.alloc
// CHECK: gpu.launch
// CHECK: memref.subview %[[T]]
// CHECK: gpu.launch
// CHECK: memref.load %[[T]][
// CHECK-NOT: gpu.launch
func.func @negative_dependent(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %t = memref.alloc() : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<8xf32>
    %s = memref.subview %t[0] [8] [1] : memref<8xf32> to memref<8xf32, strided<[1]>>
    memref.store %v, %s[%tx] : memref<8xf32, strided<[1]>>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %t[%tx] : memref<8xf32>
    memref.store %v, %b[%tx] : memref<8xf32>
    gpu.terminator
  }
  return
}

// -----

/// A buffer carried by an scf.for may be any buffer that flows into it
/// (here %a): the launch writing %a and the one reading the loop's result
/// stay apart. A host op between two launches that reads what the first
/// writes (the memref.load) separates them too.
// CHECK-LABEL: func.func @negative_loop_carried(
// CHECK-COUNT-3: gpu.launch
func.func @negative_loop_carried(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %a) -> (memref<8xf32>) {
    scf.yield %x : memref<8xf32>
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %c[%tx] : memref<8xf32>
    memref.store %v, %a[%tx] : memref<8xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %r[%tx] : memref<8xf32>
    memref.store %v, %b[%tx] : memref<8xf32>
    gpu.terminator
  }
  %h = memref.load %b[%c0] : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %c[%tx] : memref<8xf32>
    memref.store %v, %c[%tx] : memref<8xf32>
    gpu.terminator
  }
  return %h : f32
}

// -----

/// A launch with a barrier joins only launches of its own block size (its
/// threads cannot be guarded): the first two stay apart, the third (same
/// block as the second) joins the second, unguarded.
// CHECK-LABEL: func.func @negative_barrier_block(
// CHECK: gpu.launch
// CHECK-NOT: gpu.barrier
// CHECK: gpu.launch
// CHECK: scf.if
// CHECK-NOT: scf.if
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @negative_barrier_block(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<16xf32>, %d: memref<16xf32>) {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<8xf32>
    memref.store %v, %b[%tx] : memref<8xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    %v = memref.load %c[%tx] : memref<16xf32>
    gpu.barrier
    memref.store %v, %d[%tx] : memref<16xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<8xf32>
    memref.store %v, %a[%tx] : memref<8xf32>
    gpu.terminator
  }
  return
}

// -----

/// A call with unknown effects between two launches ends the group.
// CHECK-LABEL: func.func @negative_call(
// CHECK: gpu.launch
// CHECK: call @opaque
// CHECK: gpu.launch
func.func private @opaque()
func.func @negative_call(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<8xf32>
    memref.store %v, %a[%tx] : memref<8xf32>
    gpu.terminator
  }
  func.call @opaque() : () -> ()
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %b[%tx] : memref<8xf32>
    memref.store %v, %b[%tx] : memref<8xf32>
    gpu.terminator
  }
  return
}
