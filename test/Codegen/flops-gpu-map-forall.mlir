// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-gpu-map-forall))" | FileCheck %s

/// A block nest with two thread nests of different sizes: the launch takes
/// the largest per dimension (32 x 4), the smaller nest is guarded, the
/// nests are separated by a barrier, the block-level store runs on thread 0
/// only, and a per-thread static buffer becomes an alloca.
// CHECK-LABEL: func.func @two_nests(
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C2]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:[^,]*]], %[[TY:[^,]*]], %[[TZ:[^)]*]]) in (%{{.*}} = %[[C32]], %{{.*}} = %[[C4]], %{{.*}} = %c1{{.*}})
// CHECK: scf.if %{{.*}} {
// CHECK-NEXT: memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<2xf32>
// CHECK: gpu.barrier
// CHECK: memref.alloca() : memref<4xf32>
// CHECK-NOT: memref.alloc(
// CHECK: gpu.barrier
// CHECK: %[[LT:.*]] = arith.cmpi ult, %[[TX]], %{{.*}} : index
// CHECK: %[[EQ:.*]] = arith.cmpi eq, %[[TY]], %{{.*}} : index
// CHECK: %[[G:.*]] = arith.andi %[[LT]], %[[EQ]] : i1
// CHECK: scf.if %[[G]]
// CHECK: gpu.terminator
// CHECK-NOT: scf.forall
func.func @two_nests(%a: memref<64x4xf32>, %b: memref<64xf32>, %c: memref<2xf32>) {
  %z = arith.constant 0.0 : f32
  scf.forall (%i) in (2) {
    memref.store %z, %c[%i] : memref<2xf32>
    scf.forall (%j, %k) in (4, 32) {
      %t = memref.alloc() : memref<4xf32>
      memref.store %z, %t[%j] : memref<4xf32>
      %v = memref.load %t[%j] : memref<4xf32>
      memref.store %v, %a[%k, %j] : memref<64x4xf32>
      memref.dealloc %t : memref<4xf32>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
    scf.forall (%k) in (16) {
      memref.store %z, %b[%k] : memref<64xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

/// A shared-memory tile's k loop (flops-gpu-tile-and-distribute with
/// contraction-k-tile): the workgroup buffer becomes a workgroup
/// attribution of the launch; the loop runs on every thread (it holds thread
/// nests: no thread-0 guard), its block-level store does run on thread 0
/// only; a barrier follows each nest, the loop's last one included (the
/// next step refills the buffer).
// CHECK-LABEL: func.func @k_loop(
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[S:.*]] : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: memref.alloc
// CHECK: scf.for %[[K:.*]] =
// CHECK: scf.if
// CHECK-NEXT: memref.store %{{.*}}, %{{.*}}[%[[K]]] : memref<64xf32>
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[S]][%{{.*}}] : memref<32xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: gpu.barrier
// CHECK: memref.load %[[S]]
// CHECK: memref.store
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: }
// CHECK-NEXT: gpu.terminator
func.func @k_loop(%a: memref<64xf32>, %b: memref<32xf32>, %c: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  scf.forall (%i) in (1) {
    %s = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
    scf.for %k = %c0 to %c64 step %c32 {
      memref.store %z, %c[%k] : memref<64xf32>
      scf.forall (%t) in (32) {
        %x = arith.addi %k, %t : index
        %v = memref.load %a[%x] : memref<64xf32>
        memref.store %v, %s[%t] : memref<32xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<x>]}
      scf.forall (%t) in (32) {
        %w = memref.load %s[%t] : memref<32xf32, #gpu.address_space<workgroup>>
        %acc = memref.load %b[%t] : memref<32xf32>
        %sum = arith.addf %acc, %w : f32
        memref.store %sum, %b[%t] : memref<32xf32>
      } {mapping = [#gpu.thread<x>]}
    }
    memref.dealloc %s : memref<32xf32, #gpu.address_space<workgroup>>
  } {mapping = [#gpu.block<x>]}
  return
}
