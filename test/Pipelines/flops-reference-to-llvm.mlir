// RUN: flops-opt %s --flops-reference-to-llvm | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-reference-to-llvm{bufferize-function-boundaries=true})" | FileCheck %s

/// The reference pipeline leaves only the LLVM dialect: tensors are
/// bufferized, generics become loops; the noise's log and cos/sin are arith
/// polynomials (the convention's own, not libm), sigma = exp(log sigma) and
/// the Box-Muller radius are intrinsics.
// CHECK-NOT: flops.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor<
// CHECK-LABEL: llvm.func @step
// CHECK-DAG: llvm.intr.exp
// CHECK-DAG: llvm.intr.sqrt
// CHECK-DAG: llvm.fdiv
// CHECK-NOT: llvm.intr.log
// CHECK-NOT: llvm.intr.cos
// CHECK-NOT: llvm.intr.sin
// CHECK: llvm.return
func.func @step(%u: tensor<8x4xf32>, %r: tensor<4xf32>, %s: i64, %t: i64) -> tensor<8x4xf32> {
  %v = flops.perturb %u, %r, %s, %t {antithetic} : tensor<8x4xf32>, tensor<4xf32>
  return %v : tensor<8x4xf32>
}
