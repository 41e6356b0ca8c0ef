// RUN: flops-opt %s --flops-emit-c-interface | FileCheck %s

/// Defined functions get llvm.emit_c_interface; declarations keep the
/// convention they were declared with.
// CHECK-LABEL: func.func private @external(memref<?xf32>)
// CHECK-NOT: llvm.emit_c_interface
// CHECK-SAME: {{$}}
func.func private @external(memref<?xf32>)

// CHECK-LABEL: func.func @step(
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @step(%x: memref<4xf32>) {
  return
}

// CHECK-LABEL: func.func private @helper(
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func private @helper() {
  return
}
