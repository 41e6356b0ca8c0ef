// RUN: not flops-run %s --print 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not flops-run %s --print --pipeline reference 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: flops-run %s --entry good --print 2>&1 | FileCheck %s --check-prefix=GOOD

/// A runtime call inside compiled code that fails (here flops_rt_allocate, proportional,
/// with a counts memref smaller than the scores) returns a status the
/// generated code does not check; the runtime records the failure and the
/// caller of the compiled function (rt::callPacked: flops-run, flops-train,
/// the Python Trainer, compiled programs) fails with its message and a
/// non-zero exit, instead of printing it and going on with untouched
/// outputs. The same call with matching sizes succeeds.

// BAD: error: @forward: a runtime call failed: flops_rt_allocate: counts has 3 elements, scores has 4 (B); they must match
// BAD-NOT: counts:
// GOOD-NOT: error
// GOOD: counts: tensor<4xi32>
// GOOD-NEXT: 2 4 4 6

func.func private @flops_rt_allocate_f64(memref<?xf64>, memref<?xi32>, i64, i64, i32, i32) -> i32
    attributes {llvm.emit_c_interface}

func.func @forward() -> (tensor<3xi32> {flops.name = "counts"}) {
  %s = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf64>
  %sm = bufferization.to_buffer %s read_only : tensor<4xf64> to memref<4xf64>
  %sd = memref.cast %sm : memref<4xf64> to memref<?xf64>
  %m = memref.alloc() : memref<3xi32>
  %d = memref.cast %m : memref<3xi32> to memref<?xi32>
  %budget = arith.constant 16 : i64
  %min = arith.constant 2 : i64
  %pairs = arith.constant 1 : i32
  %strategy = arith.constant 1 : i32
  %ok = call @flops_rt_allocate_f64(%sd, %d, %budget, %min, %pairs, %strategy) : (memref<?xf64>, memref<?xi32>, i64, i64, i32, i32) -> i32
  %t = bufferization.to_tensor %m restrict : memref<3xi32> to tensor<3xi32>
  return %t : tensor<3xi32>
}

func.func @good() -> (tensor<4xi32> {flops.name = "counts"}) {
  %s = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf64>
  %sm = bufferization.to_buffer %s read_only : tensor<4xf64> to memref<4xf64>
  %sd = memref.cast %sm : memref<4xf64> to memref<?xf64>
  %m = memref.alloc() : memref<4xi32>
  %d = memref.cast %m : memref<4xi32> to memref<?xi32>
  %budget = arith.constant 16 : i64
  %min = arith.constant 2 : i64
  %pairs = arith.constant 1 : i32
  %strategy = arith.constant 1 : i32
  %ok = call @flops_rt_allocate_f64(%sd, %d, %budget, %min, %pairs, %strategy) : (memref<?xf64>, memref<?xi32>, i64, i64, i32, i32) -> i32
  %t = bufferization.to_tensor %m restrict : memref<4xi32> to tensor<4xi32>
  return %t : tensor<4xi32>
}
