// RUN: flops-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(flops-gpu-serial-kernels))" | FileCheck %s

/// A full reduction to a scalar between two kernels, its scalar scaled and
/// stored as a metric, then used by a later kernel: the reduction, the
/// scaling and the store become one single-thread kernel; the scalar goes
/// through a slot that the later kernel loads at its start, so the host
/// never reads it (no host load, no synchronisation). The constant stays
/// on the host (captured).
// CHECK-LABEL: func.func @reduction_between_kernels(
// CHECK-SAME: %[[A:.*]]: memref<32xf32>, %[[ACC:.*]]: memref<f32>, %[[M:.*]]: memref<2xf32>, %[[B:.*]]: memref<32xf32>)
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<8xi8>
// CHECK: %[[SLOT:.*]] = memref.view %[[BUF]][%{{.*}}][] : memref<8xi8> to memref<f32>
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK: gpu.terminator
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE:.*]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK-NEXT: linalg.generic
// CHECK: %[[SUM:.*]] = memref.load %[[ACC]][]
// CHECK-NEXT: %[[S:.*]] = arith.mulf %[[SUM]], %[[HALF]]
// CHECK-NEXT: memref.store %[[S]], %[[M]]
// CHECK-NEXT: memref.store %[[S]], %[[SLOT]][]
// CHECK-NEXT: gpu.terminator
// CHECK-NOT: memref.load %[[SLOT]]
// CHECK: gpu.launch
// CHECK-NEXT: %[[L:.*]] = memref.load %[[SLOT]][]
// CHECK: arith.addf %{{.*}}, %[[L]]
// CHECK: gpu.terminator
// CHECK: memref.dealloc %[[BUF]]
// CHECK-NEXT: return
func.func @reduction_between_kernels(%a: memref<32xf32>, %acc: memref<f32>,
                                     %m: memref<2xf32>, %b: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c0 = arith.constant 0 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %b[%tx] : memref<32xf32>
    memref.store %v, %a[%tx] : memref<32xf32>
    gpu.terminator
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%a : memref<32xf32>) outs(%acc : memref<f32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  }
  %half = arith.constant 0.5 : f32
  %sum = memref.load %acc[] : memref<f32>
  %scaled = arith.mulf %sum, %half : f32
  memref.store %scaled, %m[%c0] : memref<2xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<32xf32>
    %w = arith.addf %v, %scaled : f32
    memref.store %w, %b[%tx] : memref<32xf32>
    gpu.terminator
  }
  return
}

// -----

/// A scalar that a host op needs (the bound of a host loop around a
/// kernel) is loaded on the host after its kernel; a host copy in the
/// moved code becomes a linalg.copy (loops in the kernel).
// CHECK-LABEL: func.func @host_use(
// CHECK-SAME: %[[N:.*]]: memref<index>, %[[X:.*]]: memref<4xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK: %[[SLOT:.*]] = memref.view
// CHECK: gpu.launch
// CHECK: linalg.copy ins(%[[X]] : memref<4xf32>) outs(%[[Y]] : memref<4xf32>)
// CHECK: %[[V:.*]] = memref.load %[[N]][]
// CHECK: memref.store %[[V]], %[[SLOT]][]
// CHECK: gpu.terminator
// CHECK: %[[H:.*]] = memref.load %[[SLOT]][]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[H]]
func.func @host_use(%n: memref<index>, %x: memref<4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  memref.copy %x, %y : memref<4xf32> to memref<4xf32>
  %bound = memref.load %n[] : memref<index>
  scf.for %i = %c0 to %bound step %c1 {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %x[%c0] : memref<4xf32>
      memref.store %v, %y[%c0] : memref<4xf32>
      gpu.terminator
    }
  }
  return
}

// -----

/// What stays on the host: a read of a constant global (host memory; the
/// store of the value read moves, capturing it), a call, an allocation and
/// its deallocation, and a view computed from a moved scalar (a buffer
/// cannot leave the kernel: the scalar is loaded on the host for it, and
/// the rest of that run stays on the host).
memref.global "private" constant @table : memref<2xf32> = dense<[1.0, 2.0]>
func.func private @opaque(memref<4xf32>)
// CHECK-LABEL: func.func @negative_stays_host(
// CHECK-SAME: %[[I:.*]]: memref<index>, %[[X:.*]]: memref<4xf32>)
// CHECK: %[[T:.*]] = memref.get_global @table
// CHECK-NEXT: %[[V:.*]] = memref.load %[[T]]
// CHECK: gpu.launch
// CHECK-NEXT: memref.store %[[V]], %[[X]]
// CHECK-NEXT: gpu.terminator
// CHECK: call @opaque
// CHECK-NEXT: memref.alloc() : memref<4xf32>
// CHECK: gpu.launch
// CHECK-NEXT: memref.load %[[I]][]
// CHECK: gpu.terminator
// CHECK: %[[H:.*]] = memref.load
// CHECK-NEXT: %[[S:.*]] = memref.subview %[[X]][%[[H]]]
// CHECK-NEXT: memref.copy %[[S]], %[[S]]
// CHECK-NEXT: memref.dealloc
func.func @negative_stays_host(%i: memref<index>, %x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %t = memref.get_global @table : memref<2xf32>
  %v = memref.load %t[%c0] : memref<2xf32>
  memref.store %v, %x[%c0] : memref<4xf32>
  call @opaque(%x) : (memref<4xf32>) -> ()
  %b = memref.alloc() : memref<4xf32>
  %k = memref.load %i[] : memref<index>
  %s = memref.subview %x[%k] [1] [1] : memref<4xf32> to memref<1xf32, strided<[1], offset: ?>>
  memref.copy %s, %s : memref<1xf32, strided<[1], offset: ?>> to memref<1xf32, strided<[1], offset: ?>>
  memref.dealloc %b : memref<4xf32>
  return
}

// -----

/// The row gather of the query loop: a row index read from a buffer and
/// the subviews it selects are used only by the copy kernel, so they move
/// into it (no host read, no wait for the kernels before); the loop body is
/// then launches only.
// CHECK-LABEL: func.func @gather_rows(
// CHECK-SAME: %[[MAP:.*]]: memref<4xi32>, %[[SRC:.*]]: memref<8x16xf32>, %[[DST:.*]]: memref<4x16xf32>)
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: gpu.launch
// CHECK-NEXT: %[[I:.*]] = memref.load %[[MAP]][%[[R]]]
// CHECK-NEXT: %[[J:.*]] = arith.index_cast %[[I]]
// CHECK-NEXT: %[[S2:.*]] = memref.subview %[[DST]][%[[R]], 0]
// CHECK-NEXT: %[[S1:.*]] = memref.subview %[[SRC]][%[[J]], 0]
// CHECK-NEXT: %[[V:.*]] = memref.load %[[S1]]
// CHECK-NEXT: memref.store %[[V]], %[[S2]]
// CHECK-NEXT: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: return
/// A load with a write between it and the kernel that uses it is not
/// moved into that kernel: with the store after it, it becomes a
/// single-thread kernel whose value reaches the later kernel through a
/// slot (read before the write, as on the host).
// CHECK-LABEL: func.func @negative_written_between(
// CHECK-SAME: %[[A:.*]]: memref<4xf32>, %[[B:.*]]: memref<4xf32>)
// CHECK: %[[SLOT:.*]] = memref.view
// CHECK: gpu.launch
// CHECK-NEXT: %[[V:.*]] = memref.load %[[A]]
// CHECK-NEXT: memref.store %[[V]], %[[B]]
// CHECK-NEXT: memref.store %[[V]], %[[SLOT]][]
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK: gpu.launch
// CHECK-NEXT: %[[L:.*]] = memref.load %[[SLOT]][]
// CHECK-NEXT: memref.store %[[L]], %[[B]]
func.func @gather_rows(%map: memref<4xi32>, %src: memref<8x16xf32>, %dst: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  scf.for %r = %c0 to %c4 step %c1 {
    %i = memref.load %map[%r] : memref<4xi32>
    %j = arith.index_cast %i : i32 to index
    %s1 = memref.subview %src[%j, 0] [1, 16] [1, 1] : memref<8x16xf32> to memref<1x16xf32, strided<[16, 1], offset: ?>>
    %s2 = memref.subview %dst[%r, 0] [1, 16] [1, 1] : memref<4x16xf32> to memref<1x16xf32, strided<[16, 1], offset: ?>>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
      %v = memref.load %s1[%c0, %tx] : memref<1x16xf32, strided<[16, 1], offset: ?>>
      memref.store %v, %s2[%c0, %tx] : memref<1x16xf32, strided<[16, 1], offset: ?>>
      gpu.terminator
    }
  }
  return
}
func.func @negative_written_between(%a: memref<4xf32>, %b: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = memref.load %a[%c0] : memref<4xf32>
  memref.store %v, %b[%c0] : memref<4xf32>
  %w = arith.constant 2.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %w, %a[%c0] : memref<4xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %v, %b[%c1] : memref<4xf32>
    gpu.terminator
  }
  return
}
