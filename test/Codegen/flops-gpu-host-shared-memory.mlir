// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-gpu-host-shared-memory))" | FileCheck %s

/// Host buffers become managed memory (gpu.alloc host_shared); frees go
/// through a synchronised stream; a constant global is copied into a
/// managed buffer that its users read, freed at the end of the block.
/// Allocations inside a kernel are left alone.
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// CHECK-LABEL: func.func @f(
// CHECK: %[[G:.*]] = memref.get_global @table : memref<4xf32>
// CHECK: %[[GC:.*]] = gpu.alloc  host_shared () : memref<4xf32>
// CHECK: memref.copy %[[G]], %[[GC]]
// CHECK: %[[A:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?xf32>
// CHECK: memref.copy %[[GC]], %{{.*}}
// CHECK: memref.alloca() : memref<2xf32>
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[T1:.*]] = gpu.dealloc async [%[[T0]]] %[[A]] : memref<?xf32>
// CHECK: gpu.wait [%[[T1]]]
// CHECK: %[[T2:.*]] = gpu.wait async
// CHECK: %[[T3:.*]] = gpu.dealloc async [%[[T2]]] %[[GC]] : memref<4xf32>
// CHECK: gpu.wait [%[[T3]]]
// CHECK-NEXT: return
func.func @f(%n: index, %out: memref<4xf32>) {
  %g = memref.get_global @table : memref<4xf32>
  %a = memref.alloc(%n) : memref<?xf32>
  memref.copy %g, %out : memref<4xf32> to memref<4xf32>
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %t = memref.alloca() : memref<2xf32>
    gpu.terminator
  }
  memref.dealloc %a : memref<?xf32>
  return
}
