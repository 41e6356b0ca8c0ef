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
