// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s

/// The generated noise and the C++ runtime's (flops::rt::fillNormal, called
/// through its C interface) must agree bit for bit, in f32 and f64, with and
/// without antithetic rows, for a seed that uses both key words and a step
/// above 2^31. The first values are also printed as bit patterns: they are
/// the known answers that unittests/Runtime/NormalTest.cpp holds.

#id = affine_map<(d0, d1) -> (d0, d1)>
#acc = affine_map<(d0, d1) -> ()>

func.func private @flops_rt_fill_normal_f32(memref<?x?xf32>, i64, i64, i32, i32)
    attributes {llvm.emit_c_interface}
func.func private @flops_rt_fill_normal_f64(memref<?x?xf64>, i64, i64, i32, i32)
    attributes {llvm.emit_c_interface}

func.func @mismatches_f32(%a: tensor<16x37xf32>, %b: tensor<16x37xf32>) -> i64 {
  %zero = arith.constant 0 : i64
  %e = tensor.empty() : tensor<i64>
  %init = linalg.fill ins(%zero : i64) outs(%e : tensor<i64>) -> tensor<i64>
  %r = linalg.generic {indexing_maps = [#id, #id, #acc],
                       iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<16x37xf32>, tensor<16x37xf32>) outs(%init : tensor<i64>) {
  ^bb0(%x: f32, %y: f32, %s: i64):
    %xi = arith.bitcast %x : f32 to i32
    %yi = arith.bitcast %y : f32 to i32
    %ne = arith.cmpi ne, %xi, %yi : i32
    %ne64 = arith.extui %ne : i1 to i64
    %s2 = arith.addi %s, %ne64 : i64
    linalg.yield %s2 : i64
  } -> tensor<i64>
  %v = tensor.extract %r[] : tensor<i64>
  return %v : i64
}

func.func @mismatches_f64(%a: tensor<16x37xf64>, %b: tensor<16x37xf64>) -> i64 {
  %zero = arith.constant 0 : i64
  %e = tensor.empty() : tensor<i64>
  %init = linalg.fill ins(%zero : i64) outs(%e : tensor<i64>) -> tensor<i64>
  %r = linalg.generic {indexing_maps = [#id, #id, #acc],
                       iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<16x37xf64>, tensor<16x37xf64>) outs(%init : tensor<i64>) {
  ^bb0(%x: f64, %y: f64, %s: i64):
    %xi = arith.bitcast %x : f64 to i64
    %yi = arith.bitcast %y : f64 to i64
    %ne = arith.cmpi ne, %xi, %yi : i64
    %ne64 = arith.extui %ne : i1 to i64
    %s2 = arith.addi %s, %ne64 : i64
    linalg.yield %s2 : i64
  } -> tensor<i64>
  %v = tensor.extract %r[] : tensor<i64>
  return %v : i64
}

func.func @runtime_f32(%seed: i64, %step: i64, %site: i32, %anti: i32) -> tensor<16x37xf32> {
  %m = memref.alloc() : memref<16x37xf32>
  %d = memref.cast %m : memref<16x37xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%d, %seed, %step, %site, %anti) : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %t = bufferization.to_tensor %m restrict : memref<16x37xf32> to tensor<16x37xf32>
  return %t : tensor<16x37xf32>
}

func.func @runtime_f64(%seed: i64, %step: i64, %site: i32, %anti: i32) -> tensor<16x37xf64> {
  %m = memref.alloc() : memref<16x37xf64>
  %d = memref.cast %m : memref<16x37xf64> to memref<?x?xf64>
  call @flops_rt_fill_normal_f64(%d, %seed, %step, %site, %anti) : (memref<?x?xf64>, i64, i64, i32, i32) -> ()
  %t = bufferization.to_tensor %m restrict : memref<16x37xf64> to tensor<16x37xf64>
  return %t : tensor<16x37xf64>
}

func.func @print_bits(%t: tensor<16x37xf32>, %u: tensor<16x37xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c2 = arith.constant 2 : index
  scf.for %r = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c5 step %c1 {
      %x = tensor.extract %t[%r, %j] : tensor<16x37xf32>
      %xi = arith.bitcast %x : f32 to i32
      %xu = arith.extui %xi : i32 to i64
      %y = tensor.extract %u[%r, %j] : tensor<16x37xf64>
      %yi = arith.bitcast %y : f64 to i64
      vector.print str "bits "
      vector.print %xu : i64
      vector.print %yi : i64
    }
  }
  return
}

func.func @main() {
  %seed = arith.constant 81985529216486895 : i64  // 0x0123456789abcdef
  %step = arith.constant 3000000000 : i64
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %site = arith.constant 7 : i32

  %ga = flops.normal %seed, %step {site = 7 : i64, antithetic} : tensor<16x37xf32>
  %ra = call @runtime_f32(%seed, %step, %site, %one) : (i64, i64, i32, i32) -> tensor<16x37xf32>
  %ma = call @mismatches_f32(%ga, %ra) : (tensor<16x37xf32>, tensor<16x37xf32>) -> i64
  // CHECK: f32 antithetic mismatches 0
  vector.print str "f32 antithetic mismatches "
  vector.print %ma : i64

  %gp = flops.normal %seed, %step {site = 7 : i64} : tensor<16x37xf32>
  %rp = call @runtime_f32(%seed, %step, %site, %zero) : (i64, i64, i32, i32) -> tensor<16x37xf32>
  %mp = call @mismatches_f32(%gp, %rp) : (tensor<16x37xf32>, tensor<16x37xf32>) -> i64
  // CHECK-NEXT: f32 plain mismatches 0
  vector.print str "f32 plain mismatches "
  vector.print %mp : i64

  %gd = flops.normal %seed, %step {site = 7 : i64, antithetic} : tensor<16x37xf64>
  %rd = call @runtime_f64(%seed, %step, %site, %one) : (i64, i64, i32, i32) -> tensor<16x37xf64>
  %md = call @mismatches_f64(%gd, %rd) : (tensor<16x37xf64>, tensor<16x37xf64>) -> i64
  // CHECK-NEXT: f64 antithetic mismatches 0
  vector.print str "f64 antithetic mismatches "
  vector.print %md : i64

  // Sanity: the comparison can fail (a different step differs everywhere).
  %step2 = arith.constant 3000000001 : i64
  %rq = call @runtime_f32(%seed, %step2, %site, %zero) : (i64, i64, i32, i32) -> tensor<16x37xf32>
  %mq = call @mismatches_f32(%gp, %rq) : (tensor<16x37xf32>, tensor<16x37xf32>) -> i64
  // CHECK-NEXT: other step mismatches 592
  vector.print str "other step mismatches "
  vector.print %mq : i64

  // Known answers (rows 0-1, elements 0-4, antithetic), f32 then f64 bits;
  // row 1 is row 0 with the sign bit flipped.
  // CHECK-NEXT: bits 3201285644
  // CHECK-NEXT: -4622391129116987503
  // CHECK-NEXT: bits 1067157412
  // CHECK-NEXT: 4608151038873841325
  // CHECK-COUNT-3: bits
  // CHECK: bits 1053801996
  // CHECK-NEXT: 4600980907737788305
  call @print_bits(%ga, %gd) : (tensor<16x37xf32>, tensor<16x37xf64>) -> ()
  return
}
