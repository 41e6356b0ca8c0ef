// RUN: flops-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(func.func(flops-gpu-launch-to-loops))" | FileCheck %s

/// A launch with a barrier between two thread phases: loops over the grid
/// (z, y, x), the thread-independent index computation once per block, then
/// one thread loop nest per phase (z, y, x; x innermost), each iteration in
/// an alloca scope.
// CHECK-LABEL: func.func @two_phases(
// CHECK-SAME: %[[A:.*]]: memref<64xf32>, %[[B:.*]]: memref<64xf32>)
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// CHECK-NEXT: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// CHECK-NEXT: scf.for %[[BX:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: %[[BASE:.*]] = arith.muli %[[BX]]
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for %[[T1:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: memref.alloca_scope {
// CHECK-NEXT: %[[I1:.*]] = arith.addi %[[BASE]], %[[T1]]
// CHECK-NEXT: memref.load %[[A]][%[[I1]]]
// CHECK-NEXT: memref.store %{{.*}}, %[[B]][%[[I1]]]
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for %[[T2:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: memref.alloca_scope {
// CHECK-NEXT: %[[I2:.*]] = arith.addi %[[BASE]], %[[T2]]
// CHECK-NEXT: memref.load %[[B]][%[[I2]]]
// CHECK-NOT: gpu.
func.func @two_phases(%a: memref<64xf32>, %b: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %c32 : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %a[%i] : memref<64xf32>
    memref.store %v, %b[%i] : memref<64xf32>
    gpu.barrier
    %j = arith.addi %base, %tx : index
    %w = memref.load %b[%j] : memref<64xf32>
    %s = arith.addf %w, %w : f32
    memref.store %s, %a[%j] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

/// A barrier under a thread guard cannot be serialized.
func.func @negative_divergent_barrier(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %p = arith.cmpi ult, %tx, %c1 : index
    // expected-error @+1 {{flops-gpu-launch-to-loops: a barrier under control flow that is not a result-free scf.if or scf.for on thread-independent operands}}
    scf.if %p {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

/// A per-thread value used after a barrier (it would live in registers on
/// the GPU) has no host-loop equivalent here.
func.func @negative_value_across_barrier(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<64xf32>
    gpu.barrier
    // expected-error @+1 {{flops-gpu-launch-to-loops: a per-thread value is used across a barrier}}
    memref.store %v, %a[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

/// A shared-memory tile's k loop: a workgroup buffer (one host buffer in the
/// default memory space, at the start of the function: not in a host loop
/// around the launch), the loop at block level with its two phases as
/// thread loop nests inside it.
// CHECK-LABEL: func.func @k_loop_with_workgroup_buffer(
// CHECK-SAME: %[[A:.*]]: memref<64xf32>, %[[B:.*]]: memref<32xf32>)
// CHECK-NEXT: %[[S:.*]] = memref.alloca() : memref<32xf32>
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for %[[T1:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: memref.alloca_scope {
// CHECK-NEXT: %[[I:.*]] = arith.addi %[[K]], %[[T1]]
// CHECK-NEXT: %[[V:.*]] = memref.load %[[A]][%[[I]]]
// CHECK-NEXT: memref.store %[[V]], %[[S]][%[[T1]]] : memref<32xf32>
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for %[[T2:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: memref.alloca_scope {
// CHECK-NEXT: memref.load %[[S]][%[[T2]]] : memref<32xf32>
// CHECK-NOT: workgroup
func.func @k_loop_with_workgroup_buffer(%a: memref<64xf32>, %b: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) workgroup(%s : memref<32xf32, #gpu.address_space<workgroup>>) {
    scf.for %k = %c0 to %c64 step %c32 {
      %i = arith.addi %k, %tx : index
      %v = memref.load %a[%i] : memref<64xf32>
      memref.store %v, %s[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %w = memref.load %s[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
      %acc = memref.load %b[%tx] : memref<32xf32>
      %sum = arith.addf %acc, %w : f32
      memref.store %sum, %b[%tx] : memref<32xf32>
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

/// A loop whose bounds depend on the thread cannot hold a barrier.
func.func @negative_divergent_loop(%a: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{flops-gpu-launch-to-loops: a barrier under control flow that is not a result-free scf.if or scf.for on thread-independent operands}}
    scf.for %k = %c0 to %tx step %c1 {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}
