// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0 elementwise-vector-size=8})" | %run_omp | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{noise-vector-size=12})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{noise-vector-size=6})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{widen-vector-loops=false})" | %run | FileCheck %s

/// The noise of flops-lower-to-cpu (vectorized generators, masked tails,
/// OpenMP chunks) is the C++ runtime's bit for bit: flops.normal (f32, f64,
/// antithetic or not, an NCHW shape), flops.perturb against u + exp(rho) * eps
/// computed here with scalar loops from the runtime's eps, and
/// flops.site_delta with coeff = 1, log_sigma = 0. This holds because the
/// noise's log and cos/sin are the convention's own arith sequences
/// (runtime/include/flops/Runtime/NoiseMath.h), vectorised here and scalar in
/// the runtime, with no contraction (see docs/CODEGEN.md). The noise
/// generators are vectorized along rows of `noise-vector-size` elements
/// (64 by default); where a row's vector starts at a multiple of 4 and has a
/// multiple of 4 lanes, 4 lanes share a Philox block and 2 lanes a
/// logarithm (flops-expand-noise): 64 and 12 take that path for cases 3, 7
/// and 8 (rows of 1027, 12 and 1000 elements, tails masked), 6 does not
/// (lane by lane), nor do the NCHW rows of 5, 7 and 15 elements of cases 4,
/// 9 and 10 (the 7x7 and 15x15 feature maps of imported networks at small
/// inputs), which start at every offset modulo 4. The last line shows that
/// the comparison can fail.

func.func private @flops_rt_fill_normal_f32(memref<?x?xf32>, i64, i64, i32, i32)
    attributes {llvm.emit_c_interface}
func.func private @flops_rt_fill_normal_f64(memref<?x?xf64>, i64, i64, i32, i32)
    attributes {llvm.emit_c_interface}

/// Positions where the bit patterns differ (scalar loops: nothing vectorizes
/// the check).
func.func @mismatches_f32(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xf32>
  %n = tensor.dim %a, %c1 : tensor<?x?xf32>
  %z = arith.constant 0 : i64
  %r = scf.for %i = %c0 to %m step %c1 iter_args(%bad = %z) -> i64 {
    %ri = scf.for %j = %c0 to %n step %c1 iter_args(%bad2 = %bad) -> i64 {
      %x = tensor.extract %a[%i, %j] : tensor<?x?xf32>
      %y = tensor.extract %b[%i, %j] : tensor<?x?xf32>
      %xi = arith.bitcast %x : f32 to i32
      %yi = arith.bitcast %y : f32 to i32
      %ne = arith.cmpi ne, %xi, %yi : i32
      %nei = arith.extui %ne : i1 to i64
      %bad3 = arith.addi %bad2, %nei : i64
      scf.yield %bad3 : i64
    }
    scf.yield %ri : i64
  }
  return %r : i64
}

func.func @mismatches_f64(%a: tensor<?x?xf64>, %b: tensor<?x?xf64>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xf64>
  %n = tensor.dim %a, %c1 : tensor<?x?xf64>
  %z = arith.constant 0 : i64
  %r = scf.for %i = %c0 to %m step %c1 iter_args(%bad = %z) -> i64 {
    %ri = scf.for %j = %c0 to %n step %c1 iter_args(%bad2 = %bad) -> i64 {
      %x = tensor.extract %a[%i, %j] : tensor<?x?xf64>
      %y = tensor.extract %b[%i, %j] : tensor<?x?xf64>
      %xi = arith.bitcast %x : f64 to i64
      %yi = arith.bitcast %y : f64 to i64
      %ne = arith.cmpi ne, %xi, %yi : i64
      %nei = arith.extui %ne : i1 to i64
      %bad3 = arith.addi %bad2, %nei : i64
      scf.yield %bad3 : i64
    }
    scf.yield %ri : i64
  }
  return %r : i64
}

/// u + exp(rho[c]) * eps with scalar loops, the operations in the order of
/// the flops.perturb lowering.
func.func @perturb_loops(%u: tensor<?x?xf32>, %rho: tensor<?xf32>, %eps: tensor<?x?xf32>)
    -> tensor<64x1027xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c1027 = arith.constant 1027 : index
  %init = tensor.empty() : tensor<64x1027xf32>
  %r = scf.for %i = %c0 to %c64 step %c1 iter_args(%t = %init) -> tensor<64x1027xf32> {
    %ri = scf.for %j = %c0 to %c1027 step %c1 iter_args(%t2 = %t) -> tensor<64x1027xf32> {
      %x = tensor.extract %u[%i, %j] : tensor<?x?xf32>
      %s = tensor.extract %rho[%j] : tensor<?xf32>
      %e = tensor.extract %eps[%i, %j] : tensor<?x?xf32>
      %sig = math.exp %s : f32
      %p = arith.mulf %sig, %e : f32
      %v = arith.addf %x, %p : f32
      %t3 = tensor.insert %v into %t2[%i, %j] : tensor<64x1027xf32>
      scf.yield %t3 : tensor<64x1027xf32>
    }
    scf.yield %ri : tensor<64x1027xf32>
  }
  return %r : tensor<64x1027xf32>
}

func.func @report(%what: i64, %bad: i64) {
  vector.print str "check "
  vector.print %what : i64
  vector.print str "mismatches "
  vector.print %bad : i64
  return
}

func.func @main() {
  %seed = arith.constant 81985529216486895 : i64  // 0x0123456789abcdef
  %step = arith.constant 3000000000 : i64
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %site = arith.constant 7 : i32
  %zf = arith.constant 0.0 : f32

  // 1: flops.normal f32 antithetic, 16x37 (37 = masked tails).
  %g1 = flops.normal %seed, %step {site = 7 : i64, antithetic} : tensor<16x37xf32>
  %m1 = memref.alloc() : memref<16x37xf32>
  %m1d = memref.cast %m1 : memref<16x37xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%m1d, %seed, %step, %site, %one)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %r1 = bufferization.to_tensor %m1 restrict : memref<16x37xf32> to tensor<16x37xf32>
  %g1d = tensor.cast %g1 : tensor<16x37xf32> to tensor<?x?xf32>
  %r1d = tensor.cast %r1 : tensor<16x37xf32> to tensor<?x?xf32>
  %b1 = call @mismatches_f32(%g1d, %r1d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w1 = arith.constant 1 : i64
  // CHECK: check 1
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w1, %b1) : (i64, i64) -> ()

  // 2: flops.normal f64 antithetic, 16x37.
  %g2 = flops.normal %seed, %step {site = 7 : i64, antithetic} : tensor<16x37xf64>
  %m2 = memref.alloc() : memref<16x37xf64>
  %m2d = memref.cast %m2 : memref<16x37xf64> to memref<?x?xf64>
  call @flops_rt_fill_normal_f64(%m2d, %seed, %step, %site, %one)
      : (memref<?x?xf64>, i64, i64, i32, i32) -> ()
  %r2 = bufferization.to_tensor %m2 restrict : memref<16x37xf64> to tensor<16x37xf64>
  %g2d = tensor.cast %g2 : tensor<16x37xf64> to tensor<?x?xf64>
  %r2d = tensor.cast %r2 : tensor<16x37xf64> to tensor<?x?xf64>
  %b2 = call @mismatches_f64(%g2d, %r2d) : (tensor<?x?xf64>, tensor<?x?xf64>) -> i64
  %w2 = arith.constant 2 : i64
  // CHECK: check 2
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w2, %b2) : (i64, i64) -> ()

  // 3: flops.perturb, 64x1027 plain rows, against the scalar formula over
  // the runtime's noise; u and rho vary per element / column.
  %m3 = memref.alloc() : memref<64x1027xf32>
  %m3d = memref.cast %m3 : memref<64x1027xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%m3d, %seed, %step, %site, %zero)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %eps3 = bufferization.to_tensor %m3 restrict : memref<64x1027xf32> to tensor<64x1027xf32>
  %u3 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %s = arith.addi %i, %j : index
    %si = arith.index_cast %s : index to i32
    %f = arith.sitofp %si : i32 to f32
    %k = arith.constant 0.01 : f32
    %v = arith.mulf %f, %k : f32
    tensor.yield %v : f32
  } : tensor<64x1027xf32>
  %rho3 = tensor.generate {
  ^bb0(%j: index):
    %c13 = arith.constant 13 : index
    %jm = arith.remui %j, %c13 : index
    %ji = arith.index_cast %jm : index to i32
    %f = arith.sitofp %ji : i32 to f32
    %k = arith.constant -0.25 : f32
    %v = arith.mulf %f, %k : f32
    tensor.yield %v : f32
  } : tensor<1027xf32>
  %v3 = flops.perturb %u3, %rho3, %seed, %step {site = 7 : i64} : tensor<64x1027xf32>, tensor<1027xf32>
  %u3d = tensor.cast %u3 : tensor<64x1027xf32> to tensor<?x?xf32>
  %rho3d = tensor.cast %rho3 : tensor<1027xf32> to tensor<?xf32>
  %eps3d = tensor.cast %eps3 : tensor<64x1027xf32> to tensor<?x?xf32>
  %e3 = call @perturb_loops(%u3d, %rho3d, %eps3d)
      : (tensor<?x?xf32>, tensor<?xf32>, tensor<?x?xf32>) -> tensor<64x1027xf32>
  %v3d = tensor.cast %v3 : tensor<64x1027xf32> to tensor<?x?xf32>
  %e3d = tensor.cast %e3 : tensor<64x1027xf32> to tensor<?x?xf32>
  %b3 = call @mismatches_f32(%v3d, %e3d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w3 = arith.constant 3 : i64
  // CHECK: check 3
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w3, %b3) : (i64, i64) -> ()

  // 4: flops.perturb of an NCHW site (channel_dim = 1) with u = 0 and
  // rho = 0 is the runtime's noise of 2 rows x 60 elements.
  %e4 = tensor.empty() : tensor<2x3x4x5xf32>
  %u4 = linalg.fill ins(%zf : f32) outs(%e4 : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %er4 = tensor.empty() : tensor<3xf32>
  %rho4 = linalg.fill ins(%zf : f32) outs(%er4 : tensor<3xf32>) -> tensor<3xf32>
  %v4 = flops.perturb %u4, %rho4, %seed, %step {site = 7 : i64, antithetic, channel_dim = 1 : i64}
      : tensor<2x3x4x5xf32>, tensor<3xf32>
  %v4c = tensor.collapse_shape %v4 [[0], [1, 2, 3]] : tensor<2x3x4x5xf32> into tensor<2x60xf32>
  %m4 = memref.alloc() : memref<2x60xf32>
  %m4d = memref.cast %m4 : memref<2x60xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%m4d, %seed, %step, %site, %one)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %r4 = bufferization.to_tensor %m4 restrict : memref<2x60xf32> to tensor<2x60xf32>
  %v4d = tensor.cast %v4c : tensor<2x60xf32> to tensor<?x?xf32>
  %r4d = tensor.cast %r4 : tensor<2x60xf32> to tensor<?x?xf32>
  %b4 = call @mismatches_f32(%v4d, %r4d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w4 = arith.constant 4 : i64
  // CHECK: check 4
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w4, %b4) : (i64, i64) -> ()

  // 5: flops.site_delta with coeff = 1, log_sigma = 0 regenerates the noise
  // of case 1.
  %onef = arith.constant 1.0 : f32
  %ec = tensor.empty() : tensor<16xf32>
  %ones = linalg.fill ins(%onef : f32) outs(%ec : tensor<16xf32>) -> tensor<16xf32>
  %er5 = tensor.empty() : tensor<37xf32>
  %rho5 = linalg.fill ins(%zf : f32) outs(%er5 : tensor<37xf32>) -> tensor<37xf32>
  %d5 = flops.site_delta %ones, %rho5, %seed, %step like %g1 {site = 7 : i64, antithetic}
      : tensor<16xf32>, tensor<37xf32>, tensor<16x37xf32>
  %d5d = tensor.cast %d5 : tensor<16x37xf32> to tensor<?x?xf32>
  %b5 = call @mismatches_f32(%d5d, %r1d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w5 = arith.constant 5 : i64
  // CHECK: check 5
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w5, %b5) : (i64, i64) -> ()

  // 7: flops.normal f64 antithetic of an NCHW shape whose rows (3 x 2 x 12
  // = 72 elements) are vectors of 12: each starts at a multiple of 12.
  %g7 = flops.normal %seed, %step {site = 7 : i64, antithetic} : tensor<6x3x2x12xf64>
  %g7c = tensor.collapse_shape %g7 [[0], [1, 2, 3]] : tensor<6x3x2x12xf64> into tensor<6x72xf64>
  %m7 = memref.alloc() : memref<6x72xf64>
  %m7d = memref.cast %m7 : memref<6x72xf64> to memref<?x?xf64>
  call @flops_rt_fill_normal_f64(%m7d, %seed, %step, %site, %one)
      : (memref<?x?xf64>, i64, i64, i32, i32) -> ()
  %r7 = bufferization.to_tensor %m7 restrict : memref<6x72xf64> to tensor<6x72xf64>
  %g7d = tensor.cast %g7c : tensor<6x72xf64> to tensor<?x?xf64>
  %r7d = tensor.cast %r7 : tensor<6x72xf64> to tensor<?x?xf64>
  %b7 = call @mismatches_f64(%g7d, %r7d) : (tensor<?x?xf64>, tensor<?x?xf64>) -> i64
  %w7 = arith.constant 7 : i64
  // CHECK: check 7
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w7, %b7) : (i64, i64) -> ()

  // 8: flops.normal f32 without pairs, 5 x 1000 (1000 = 15 x 64 + 40: a
  // masked tail of 40 lanes).
  %g8 = flops.normal %seed, %step {site = 9 : i64} : tensor<5x1000xf32>
  %m8 = memref.alloc() : memref<5x1000xf32>
  %m8d = memref.cast %m8 : memref<5x1000xf32> to memref<?x?xf32>
  %site9 = arith.constant 9 : i32
  call @flops_rt_fill_normal_f32(%m8d, %seed, %step, %site9, %zero)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %r8 = bufferization.to_tensor %m8 restrict : memref<5x1000xf32> to tensor<5x1000xf32>
  %g8d = tensor.cast %g8 : tensor<5x1000xf32> to tensor<?x?xf32>
  %r8d = tensor.cast %r8 : tensor<5x1000xf32> to tensor<?x?xf32>
  %b8 = call @mismatches_f32(%g8d, %r8d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w8 = arith.constant 8 : i64
  // CHECK: check 8
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w8, %b8) : (i64, i64) -> ()

  // 9: flops.normal f32 antithetic of an NCHW site with 7 x 7 maps: rows
  // of 7 elements starting at c * 49 + h * 7, every offset modulo 4.
  %g9 = flops.normal %seed, %step {site = 7 : i64, antithetic} : tensor<4x5x7x7xf32>
  %g9c = tensor.collapse_shape %g9 [[0], [1, 2, 3]] : tensor<4x5x7x7xf32> into tensor<4x245xf32>
  %m9 = memref.alloc() : memref<4x245xf32>
  %m9d = memref.cast %m9 : memref<4x245xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%m9d, %seed, %step, %site, %one)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %r9 = bufferization.to_tensor %m9 restrict : memref<4x245xf32> to tensor<4x245xf32>
  %g9d = tensor.cast %g9c : tensor<4x245xf32> to tensor<?x?xf32>
  %r9d = tensor.cast %r9 : tensor<4x245xf32> to tensor<?x?xf32>
  %b9 = call @mismatches_f32(%g9d, %r9d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w9 = arith.constant 9 : i64
  // CHECK: check 9
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w9, %b9) : (i64, i64) -> ()

  // 10: flops.normal f64 without pairs, rows of 15 (2 x 3 x 5 x 15).
  %g10 = flops.normal %seed, %step {site = 9 : i64} : tensor<2x3x5x15xf64>
  %g10c = tensor.collapse_shape %g10 [[0], [1, 2, 3]] : tensor<2x3x5x15xf64> into tensor<2x225xf64>
  %m10 = memref.alloc() : memref<2x225xf64>
  %m10d = memref.cast %m10 : memref<2x225xf64> to memref<?x?xf64>
  call @flops_rt_fill_normal_f64(%m10d, %seed, %step, %site9, %zero)
      : (memref<?x?xf64>, i64, i64, i32, i32) -> ()
  %r10 = bufferization.to_tensor %m10 restrict : memref<2x225xf64> to tensor<2x225xf64>
  %g10d = tensor.cast %g10c : tensor<2x225xf64> to tensor<?x?xf64>
  %r10d = tensor.cast %r10 : tensor<2x225xf64> to tensor<?x?xf64>
  %b10 = call @mismatches_f64(%g10d, %r10d) : (tensor<?x?xf64>, tensor<?x?xf64>) -> i64
  %w10 = arith.constant 10 : i64
  // CHECK: check 10
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w10, %b10) : (i64, i64) -> ()

  // 11: as 4, an NCHW site of 2x2 pixels (2x8x2x2): widen-vector-loops
  // runs its vector along the collapsed pixels.
  %e11 = tensor.empty() : tensor<2x8x2x2xf32>
  %u11 = linalg.fill ins(%zf : f32) outs(%e11 : tensor<2x8x2x2xf32>) -> tensor<2x8x2x2xf32>
  %er11 = tensor.empty() : tensor<8xf32>
  %rho11 = linalg.fill ins(%zf : f32) outs(%er11 : tensor<8xf32>) -> tensor<8xf32>
  %v11 = flops.perturb %u11, %rho11, %seed, %step {site = 7 : i64, antithetic, channel_dim = 1 : i64}
      : tensor<2x8x2x2xf32>, tensor<8xf32>
  %v11c = tensor.collapse_shape %v11 [[0], [1, 2, 3]] : tensor<2x8x2x2xf32> into tensor<2x32xf32>
  %m11 = memref.alloc() : memref<2x32xf32>
  %m11d = memref.cast %m11 : memref<2x32xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%m11d, %seed, %step, %site, %one)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %r11 = bufferization.to_tensor %m11 restrict : memref<2x32xf32> to tensor<2x32xf32>
  %v11d = tensor.cast %v11c : tensor<2x32xf32> to tensor<?x?xf32>
  %r11d = tensor.cast %r11 : tensor<2x32xf32> to tensor<?x?xf32>
  %b11 = call @mismatches_f32(%v11d, %r11d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w11 = arith.constant 11 : i64
  // CHECK: check 11
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w11, %b11) : (i64, i64) -> ()

  // 12: as 4, an NCHW site of 1x1 pixels (2x16x1x1): widen-vector-loops
  // runs its vector along the channels (unit pixel loops dropped).
  %e12 = tensor.empty() : tensor<2x16x1x1xf32>
  %u12 = linalg.fill ins(%zf : f32) outs(%e12 : tensor<2x16x1x1xf32>) -> tensor<2x16x1x1xf32>
  %er12 = tensor.empty() : tensor<16xf32>
  %rho12 = linalg.fill ins(%zf : f32) outs(%er12 : tensor<16xf32>) -> tensor<16xf32>
  %v12 = flops.perturb %u12, %rho12, %seed, %step {site = 7 : i64, antithetic, channel_dim = 1 : i64}
      : tensor<2x16x1x1xf32>, tensor<16xf32>
  %v12c = tensor.collapse_shape %v12 [[0], [1, 2, 3]] : tensor<2x16x1x1xf32> into tensor<2x16xf32>
  %m12 = memref.alloc() : memref<2x16xf32>
  %m12d = memref.cast %m12 : memref<2x16xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%m12d, %seed, %step, %site, %one)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %r12 = bufferization.to_tensor %m12 restrict : memref<2x16xf32> to tensor<2x16xf32>
  %v12d = tensor.cast %v12c : tensor<2x16xf32> to tensor<?x?xf32>
  %r12d = tensor.cast %r12 : tensor<2x16xf32> to tensor<?x?xf32>
  %b12 = call @mismatches_f32(%v12d, %r12d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w12 = arith.constant 12 : i64
  // CHECK: check 12
  // CHECK-NEXT: mismatches 0{{$}}
  call @report(%w12, %b12) : (i64, i64) -> ()

  // 6: the comparison can fail: case 1 against antithetic = false (the odd
  // rows differ in sign: 8 rows x 37).
  %m6 = memref.alloc() : memref<16x37xf32>
  %m6d = memref.cast %m6 : memref<16x37xf32> to memref<?x?xf32>
  call @flops_rt_fill_normal_f32(%m6d, %seed, %step, %site, %zero)
      : (memref<?x?xf32>, i64, i64, i32, i32) -> ()
  %r6 = bufferization.to_tensor %m6 restrict : memref<16x37xf32> to tensor<16x37xf32>
  %r6d = tensor.cast %r6 : tensor<16x37xf32> to tensor<?x?xf32>
  %b6 = call @mismatches_f32(%g1d, %r6d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> i64
  %w6 = arith.constant 6 : i64
  // CHECK: check 6
  // CHECK-NEXT: mismatches {{[1-9][0-9]*$}}
  call @report(%w6, %b6) : (i64, i64) -> ()
  return
}
