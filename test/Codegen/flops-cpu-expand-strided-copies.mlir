// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-expand-strided-copies))" | FileCheck %s

/// A copy into the interior of a padded buffer (a strided subview) becomes a
/// linalg.copy, which the loop lowering turns into loops: the LLVM
/// conversion would otherwise call memrefCopy from the runner utils.
// CHECK-LABEL: func.func @pad_interior
// CHECK: %[[SUB:.*]] = memref.subview
// CHECK: linalg.copy ins(%{{.*}} : memref<2x3xf32>) outs(%[[SUB]] : memref<2x3xf32, strided<[5, 1], offset: 6>>)
// CHECK-NOT: memref.copy
func.func @pad_interior(%src: memref<2x3xf32>, %dst: memref<4x5xf32>) {
  %sub = memref.subview %dst[1, 1] [2, 3] [1, 1] : memref<4x5xf32> to memref<2x3xf32, strided<[5, 1], offset: 6>>
  memref.copy %src, %sub : memref<2x3xf32> to memref<2x3xf32, strided<[5, 1], offset: 6>>
  return
}

/// Contiguous copies stay memref.copy (a memcpy), also through a subview
/// that is still contiguous (whole rows).
// CHECK-LABEL: func.func @negative_contiguous
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x5xf32> to memref<4x5xf32>
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x5xf32> to memref<2x5xf32, strided<[5, 1], offset: 5>>
// CHECK-NOT: linalg.copy
func.func @negative_contiguous(%a: memref<4x5xf32>, %b: memref<4x5xf32>, %c: memref<2x5xf32>) {
  memref.copy %a, %b : memref<4x5xf32> to memref<4x5xf32>
  %rows = memref.subview %b[1, 0] [2, 5] [1, 1] : memref<4x5xf32> to memref<2x5xf32, strided<[5, 1], offset: 5>>
  memref.copy %c, %rows : memref<2x5xf32> to memref<2x5xf32, strided<[5, 1], offset: 5>>
  return
}
