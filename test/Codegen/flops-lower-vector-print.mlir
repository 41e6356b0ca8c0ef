// RUN: flops-opt %s --flops-lower-vector-print | FileCheck %s

/// vector.print is lowered on the module (print-function declarations and
/// string globals are module-level symbols, which the per-function LLVM
/// conversions of flops-lower-to-cpu must not add from several threads);
/// every other op is left for those conversions.

// CHECK-DAG: llvm.func @printF32(f32)
// CHECK-DAG: llvm.mlir.global private constant @vector_print_str
// CHECK-LABEL: func.func @a(
// CHECK-NOT: vector.print
// CHECK: llvm.call @printF32
// CHECK: arith.addf {{.*}} : vector<4xf32>
// CHECK-LABEL: func.func @b(
// CHECK-NOT: vector.print
// CHECK: llvm.call @printString
func.func @a(%v: vector<4xf32>, %x: f32) -> vector<4xf32> {
  vector.print %x : f32
  %w = arith.addf %v, %v : vector<4xf32>
  return %w : vector<4xf32>
}
func.func @b() {
  vector.print str "check\n"
  return
}
