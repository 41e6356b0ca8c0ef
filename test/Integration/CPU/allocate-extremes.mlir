// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s

/// f64 scores at the edges of the double range: Neyman with sigma^2
/// overflowing (1e200), underflowing (1e-200) or subnormal (1e-310), an
/// infinite sigma, and proportional shares whose M * sum overflows or whose
/// sum is infinite. The lowering must still follow the ratios and must agree
/// with the runtime's flops::rt::allocateCounts, which scales the same way.

func.func private @flops_rt_allocate_f64(memref<?xf64>, memref<?xi32>, i64, i64, i32, i32) -> i32
    attributes {llvm.emit_c_interface}
func.func private @printMemrefI32(tensor<*xi32>)

func.func @runtime(%s: tensor<4xf64>, %budget: i64, %min: i64, %pairs: i32, %strategy: i32) -> tensor<4xi32> {
  %sm = bufferization.to_buffer %s read_only : tensor<4xf64> to memref<4xf64>
  %sd = memref.cast %sm : memref<4xf64> to memref<?xf64>
  %m = memref.alloc() : memref<4xi32>
  %d = memref.cast %m : memref<4xi32> to memref<?xi32>
  %ok = call @flops_rt_allocate_f64(%sd, %d, %budget, %min, %pairs, %strategy) : (memref<?xf64>, memref<?xi32>, i64, i64, i32, i32) -> i32
  %t = bufferization.to_tensor %m restrict : memref<4xi32> to tensor<4xi32>
  return %t : tensor<4xi32>
}

/// Prints the counts and how many differ from the runtime's.
func.func @print(%c: tensor<4xi32>) {
  %u = tensor.cast %c : tensor<4xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @report(%c: tensor<4xi32>, %r: tensor<4xi32>) {
  call @print(%c) : (tensor<4xi32>) -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0 : i64
  %bad = scf.for %i = %c0 to %c4 step %c1 iter_args(%b = %z) -> i64 {
    %x = tensor.extract %c[%i] : tensor<4xi32>
    %y = tensor.extract %r[%i] : tensor<4xi32>
    %ne = arith.cmpi ne, %x, %y : i32
    %n64 = arith.extui %ne : i1 to i64
    %b2 = arith.addi %b, %n64 : i64
    scf.yield %b2 : i64
  }
  vector.print str "differs from runtime "
  vector.print %bad : i64
  return
}

func.func @neyman(%s: tensor<4xf64>) {
  %a = flops.allocate neyman %s {budget = 40 : i64} : tensor<4xf64> -> tensor<4xi32>
  %b40 = arith.constant 40 : i64
  %m2 = arith.constant 2 : i64
  %i0 = arith.constant 0 : i32
  %i2 = arith.constant 2 : i32
  %r = call @runtime(%s, %b40, %m2, %i0, %i2) : (tensor<4xf64>, i64, i64, i32, i32) -> tensor<4xi32>
  call @report(%a, %r) : (tensor<4xi32>, tensor<4xi32>) -> ()
  return
}

func.func @proportional(%s: tensor<4xf64>) {
  %a = flops.allocate proportional %s {budget = 1000 : i64} : tensor<4xf64> -> tensor<4xi32>
  %b = arith.constant 1000 : i64
  %m2 = arith.constant 2 : i64
  %i0 = arith.constant 0 : i32
  %i1 = arith.constant 1 : i32
  %r = call @runtime(%s, %b, %m2, %i0, %i1) : (tensor<4xf64>, i64, i64, i32, i32) -> tensor<4xi32>
  call @report(%a, %r) : (tensor<4xi32>, tensor<4xi32>) -> ()
  return
}

func.func @main() {
  // CHECK: [3,  5,  11,  21]
  // CHECK-NEXT: differs from runtime 0
  %big = arith.constant dense<[0.5e200, 1.0e200, 2.0e200, 4.0e200]> : tensor<4xf64>
  call @neyman(%big) : (tensor<4xf64>) -> ()
  // CHECK: [3,  5,  11,  21]
  // CHECK-NEXT: differs from runtime 0
  %small = arith.constant dense<[0.5e-200, 1.0e-200, 2.0e-200, 4.0e-200]> : tensor<4xf64>
  call @neyman(%small) : (tensor<4xf64>) -> ()
  // Subnormal sigmas (2^-1030 .. 2^-1027): ratios 1:2:4:8 exactly.
  // CHECK: [3,  5,  11,  21]
  // CHECK-NEXT: differs from runtime 0
  %sub = arith.constant dense<[8.691694759794e-311, 1.738338951959e-310, 3.476677903918e-310, 6.953355807835e-310]> : tensor<4xf64>
  call @neyman(%sub) : (tensor<4xf64>) -> ()
  // CHECK: differs from runtime 0
  %inf = arith.constant dense<[1.0, 0x7FF0000000000000, 2.0, 0.5]> : tensor<4xf64>
  call @neyman(%inf) : (tensor<4xf64>) -> ()
  // M * sum overflows: shares 1e306 : 3e305 : 0 : 5e305 of 992.
  // CHECK: [553,  167,  2,  278]
  // CHECK-NEXT: differs from runtime 0
  %huge = arith.constant dense<[1.0e306, 3.0e305, 0.0, 5.0e305]> : tensor<4xf64>
  call @proportional(%huge) : (tensor<4xf64>) -> ()
  // An infinite sum falls back to uniform.
  // CHECK: [250,  250,  250,  250]
  // CHECK-NEXT: differs from runtime 0
  %infsum = arith.constant dense<[1.0e308, 1.0e308, 1.0e308, 1.0]> : tensor<4xf64>
  call @proportional(%infsum) : (tensor<4xf64>) -> ()
  return
}
