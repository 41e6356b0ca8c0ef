// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{im2col-fold-batch=0}))" | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize))" | FileCheck %s --check-prefix=FOLD
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{lower-contractions=false}))" | FileCheck %s --check-prefix=CONTRACT
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{num-threads=2 min-parallel-work=0 lower-contractions=false im2col-fold-batch=0}))" | FileCheck %s --check-prefix=THREADS
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{register-tile-sizes=4,16,1 cache-tile-sizes=0,0,0 lower-contractions=false}))" | FileCheck %s --check-prefix=TILES
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{im2col-slices=false}))" | FileCheck %s --check-prefix=GATHER
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{im2col=false fuse-elementwise=false vectorize-elementwise=false transpose-rhs=false}))" | FileCheck %s --check-prefix=OFF

/// The contraction: cache tiles (m 64; k 150, the largest divisor of 300 up to
/// 256; n 96 < 256 untiled), register tiles 8x32x1 whose accumulator is read
/// once before the k loop, carried as a vector and written once after it;
/// the vector.contract becomes eight vector.fma per k step.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.for %[[M:.*]] = %{{.*}} to %{{.*}} step %[[C64:.*]] iter_args
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %[[C150:.*]] iter_args
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C64]] step %[[C8:.*]] iter_args
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C32:.*]] iter_args
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<64x96xf32>, vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C150]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[ACC]]) -> (tensor<64x96xf32>, vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT: vector.contract
// CHECK: scf.yield
// CHECK: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<64x96xf32>
// CONTRACT-LABEL: func.func @matmul
// CONTRACT: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// THREADS-LABEL: func.func @matmul
// THREADS: scf.forall (%{{.*}}) = (0) to (128) step (64)
// THREADS: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// THREADS: scf.forall.in_parallel
// THREADS-NEXT: tensor.parallel_insert_slice
// TILES-LABEL: func.func @matmul
// TILES: scf.for {{.*}} step %[[C4:.*]] iter_args
// TILES-NEXT: scf.for {{.*}} step %[[C16:.*]] iter_args
// TILES: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// OFF-LABEL: func.func @matmul
// OFF: vector.fma
func.func @matmul(%a: tensor<128x300xf32>, %b: tensor<300x96xf32>, %c: tensor<128x96xf32>) -> tensor<128x96xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<128x300xf32>, tensor<300x96xf32>) outs(%c : tensor<128x96xf32>) -> tensor<128x96xf32>
  return %r : tensor<128x96xf32>
}

/// The weight gradient out[k, j] += x[r, k] d[r, j] (transposed lhs, as a
/// generic): the lhs column is one contiguous vector<8xf32> read, no
/// transpose. With two threads, 40 rows split into scf.forall steps of 8
/// (equal, static tiles).
// CHECK-LABEL: func.func @weight_grad
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C72:.*]] step
// CHECK: vector.transfer_read %{{.*}} : tensor<72x40xf32>, vector<8xf32>
// CHECK: vector.transfer_read %{{.*}} : tensor<72x96xf32>, vector<32xf32>
// CHECK-COUNT-8: vector.fma
// CONTRACT-LABEL: func.func @weight_grad
// CONTRACT: vector.contract {{.*}} : vector<1x8xf32>, vector<1x32xf32> into vector<8x32xf32>
// THREADS-LABEL: func.func @weight_grad
// THREADS: scf.forall (%{{.*}}) = (0) to (40) step (8)
// THREADS-NOT: vector.mask
// THREADS: vector.contract
// OFF-LABEL: func.func @weight_grad
// OFF: vector.fma
func.func @weight_grad(%x: tensor<72x40xf32>, %d: tensor<72x96xf32>, %g: tensor<40x96xf32>) -> tensor<40x96xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(k, j, r) -> (r, k)>, affine_map<(k, j, r) -> (r, j)>,
                       affine_map<(k, j, r) -> (k, j)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %d : tensor<72x40xf32>, tensor<72x96xf32>) outs(%g : tensor<40x96xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %p = arith.mulf %u, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<40x96xf32>
  return %r : tensor<40x96xf32>
}

/// x . w^T with w stored out x in (an imported Linear layer): w is copied
/// once into a 300x96 tensor (vectorized like any elementwise op) so that
/// the register tile reads contiguous rows of 32; without transpose-rhs the
/// contraction reads the columns of w (vector.contract with a transposed rhs
/// map).
// CHECK-LABEL: func.func @forward_layer
// CHECK: vector.transfer_read %{{.*}} : tensor<96x300xf32>, vector<16x1xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<300x96xf32>
// CHECK: vector.transfer_read %{{.*}} : tensor<300x96xf32>, vector<32xf32>
// CHECK-COUNT-8: vector.fma
// OFF-LABEL: func.func @forward_layer
// OFF-NOT: linalg.transpose
// OFF-NOT: tensor<300x96xf32>
// OFF: return
func.func @forward_layer(%x: tensor<128x300xf32>, %w: tensor<96x300xf32>, %c: tensor<128x96xf32>) -> tensor<128x96xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (j, k)>,
                                      affine_map<(i, j, k) -> (i, j)>]
      ins(%x, %w : tensor<128x300xf32>, tensor<96x300xf32>) outs(%c : tensor<128x96xf32>) -> tensor<128x96xf32>
  return %r : tensor<128x96xf32>
}

/// Stride-2 convolution, one product per image (im2col-fold-batch=0): im2col
/// as 9 strided-slice copies (one per filter tap, vectorized along the output
/// row) into 2x3x3x3x5x5 = 2x27x25, then a contraction over the 27 filter
/// taps vectorized along the 25 output pixels; the threads take one image
/// each. By default (2 images of 25 < 32 pixels) the copies transpose
/// the images into the columns, 3x3x3x2x5x5 = 27x50, the accumulator is
/// transposed to 4x2x25 = 4x50, the product is vectorized along the 50
/// columns, and its result is transposed back to 2x4x25.
// FOLD-LABEL: func.func @conv
// FOLD: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [2, 3, 5, 5] [1, 1, 2, 2] : tensor<2x3x11x11xf32> to tensor<2x3x5x5xf32>
// FOLD: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<3x3x3x2x5x5xf32> into tensor<27x50xf32>
// FOLD: tensor.collapse_shape %{{.*}} : tensor<4x2x25xf32> into tensor<4x50xf32>
// FOLD: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// FOLD: vector.fma {{.*}} : vector<32xf32>
// FOLD: tensor.expand_shape %{{.*}} : tensor<4x50xf32> into tensor<4x2x25xf32>
// FOLD: vector.transfer_read %{{.*}} : tensor<4x2x25xf32>, vector<16xf32>
// FOLD: tensor.expand_shape %{{.*}} : tensor<2x4x25xf32> into tensor<2x4x5x5xf32>
// CHECK-LABEL: func.func @conv
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [2, 3, 5, 5] [1, 1, 2, 2] : tensor<2x3x11x11xf32> to tensor<2x3x5x5xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<2x3x5x5xf32>, vector<5xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 2, 2] [2, 3, 5, 5] [1, 1, 2, 2] : tensor<2x3x11x11xf32> to tensor<2x3x5x5xf32>
// CHECK: tensor.collapse_shape %{{.*}} : tensor<2x3x3x3x5x5xf32> into tensor<2x27x25xf32>
// CHECK: tensor.collapse_shape %{{.*}} : tensor<4x3x3x3xf32> into tensor<4x27xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C27:.*]] step
// CHECK-COUNT-4: vector.fma {{.*}} : vector<25xf32>
// CHECK: tensor.expand_shape %{{.*}} : tensor<2x4x25xf32> into tensor<2x4x5x5xf32>
// GATHER-LABEL: func.func @conv
// GATHER: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x27x25xf32>)
// GATHER: vector.fma {{.*}} : vector<25xf32>
// THREADS-LABEL: func.func @conv
// THREADS: scf.forall (%{{.*}}) in (2)
// OFF-LABEL: func.func @conv
// OFF: linalg.conv_2d_nchw_fchw
func.func @conv(%x: tensor<2x3x11x11xf32>, %w: tensor<4x3x3x3xf32>, %o: tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<2x3x11x11xf32>, tensor<4x3x3x3xf32>) outs(%o : tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  return %r : tensor<2x4x5x5xf32>
}

/// A 1x1 stride-1 convolution over an unpadded input (42 pixels per image:
/// one product per image): the input itself, collapsed to 2x3x42, is the
/// column matrix; no im2col copy.
// CHECK-LABEL: func.func @conv_1x1
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x3x6x7xf32>
// CHECK-NOT: tensor.extract_slice %[[X]]
// CHECK: tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<2x3x6x7xf32> into tensor<2x3x42xf32>
// CHECK-NOT: tensor.extract_slice %[[X]]
// CHECK: vector.fma
func.func @conv_1x1(%x: tensor<2x3x6x7xf32>, %w: tensor<4x3x1x1xf32>, %o: tensor<2x4x6x7xf32>) -> tensor<2x4x6x7xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x3x6x7xf32>, tensor<4x3x1x1xf32>) outs(%o : tensor<2x4x6x7xf32>) -> tensor<2x4x6x7xf32>
  return %r : tensor<2x4x6x7xf32>
}

/// Elementwise: the two generics fuse into one, tiled into rows of 16
/// elements; 37 = 16 + 16 + 5, so the tiles are masked.
// CHECK-LABEL: func.func @bias_relu
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C37:.*]] step %[[C16:.*]] iter_args
// CHECK: %[[N:.*]] = affine.min
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}}, %[[N]] : vector<1x16xi1>
// CHECK: %[[ROW:.*]] = vector.extract %[[MASK]][0]
// CHECK: vector.transfer_read %{{.*}}, %[[ROW]] {{.*}} : tensor<13x37xf32>, vector<16xf32>
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: arith.maximumf {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x?xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
// THREADS-LABEL: func.func @bias_relu
// THREADS: scf.forall (%{{.*}}) in (13)
// OFF-LABEL: func.func @bias_relu
// OFF: linalg.generic
// OFF: linalg.generic
func.func @bias_relu(%x: tensor<13x37xf32>, %b: tensor<37xf32>) -> tensor<13x37xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13x37xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<13x37xf32>, tensor<37xf32>) outs(%e : tensor<13x37xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %a = arith.addf %u, %v : f32
    linalg.yield %a : f32
  } -> tensor<13x37xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<13x37xf32>) outs(%e : tensor<13x37xf32>) {
  ^bb0(%u: f32, %o: f32):
    %m = arith.maximumf %u, %zero : f32
    linalg.yield %m : f32
  } -> tensor<13x37xf32>
  return %r : tensor<13x37xf32>
}

/// Math ops of a body stay math ops, now on vectors (the LLVM conversion makes
/// them libm calls): the pass introduces no approximation of its own. (The
/// noise generators need none: their log and cos/sin are arith sequences.)
// CHECK-LABEL: func.func @box_muller
// CHECK: scf.for %{{.*}} step %[[C16:.*]] iter_args
// CHECK: math.log %{{.*}} : vector<16xf32>
// CHECK: math.sqrt %{{.*}} : vector<16xf32>
// CHECK: math.cos %{{.*}} : vector<16xf32>
// CHECK-NOT: math.fma
// CHECK-NOT: math.exp2
// CHECK: return
func.func @box_muller(%u1: tensor<8x64xf32>, %u2: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x64xf32>
  %m2 = arith.constant -2.0 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%u1, %u2 : tensor<8x64xf32>, tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %l = math.log %a : f32
    %l2 = arith.mulf %l, %m2 : f32
    %s = math.sqrt %l2 : f32
    %c = math.cos %b : f32
    %z = arith.mulf %s, %c : f32
    linalg.yield %z : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

/// Reductions other than contractions are left to the loop lowering.
// CHECK-LABEL: func.func @negative_row_sum
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
func.func @negative_row_sum(%x: tensor<13x37xf32>, %acc: tensor<13xf32>) -> tensor<13xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<13x37xf32>) outs(%acc : tensor<13xf32>) {
  ^bb0(%u: f32, %s: f32):
    %a = arith.addf %u, %s : f32
    linalg.yield %a : f32
  } -> tensor<13xf32>
  return %r : tensor<13xf32>
}

/// Dynamic shapes are not tiled: the op is left as it is.
// CHECK-LABEL: func.func @negative_dynamic
// CHECK: linalg.matmul
// CHECK-NOT: scf.for
func.func @negative_dynamic(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %c: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%c : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

/// A reduction over an outer loop (the log-sigma gradient: a per-unit sum
/// over rows) is vectorized along the parallel inner loop: one row at a
/// time, 16 units per vector.
// CHECK-LABEL: func.func @outer_reduction
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: vector.transfer_read %{{.*}}[%[[R]], %[[J]]]{{.*}} : tensor<64x256xf32>, vector<16xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<256xf32>
// CHECK: return
func.func @outer_reduction(%c: tensor<64xf32>, %x: tensor<64x256xf32>, %acc: tensor<256xf32>) -> tensor<256xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(r, j) -> (r)>, affine_map<(r, j) -> (r, j)>, affine_map<(r, j) -> (j)>],
                       iterator_types = ["reduction", "parallel"]}
      ins(%c, %x : tensor<64xf32>, tensor<64x256xf32>) outs(%acc : tensor<256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256xf32>
  return %r : tensor<256xf32>
}

/// A producer that its consumer broadcasts (sigma = exp(log sigma) per unit)
/// is not fused into the per-element consumer: exp runs on 256 units, not on
/// 64x256 elements.
// CHECK-LABEL: func.func @broadcast_producer
// CHECK: math.exp %{{.*}} : vector<16xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: math.exp
// CHECK: arith.mulf %{{.*}} : vector<16xf32>
// CHECK: return
func.func @broadcast_producer(%rho: tensor<256xf32>, %u: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %e1 = tensor.empty() : tensor<256xf32>
  %sig = linalg.generic {indexing_maps = [affine_map<(j) -> (j)>, affine_map<(j) -> (j)>], iterator_types = ["parallel"]}
      ins(%rho : tensor<256xf32>) outs(%e1 : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %x = math.exp %a : f32
    linalg.yield %x : f32
  } -> tensor<256xf32>
  %e2 = tensor.empty() : tensor<64x256xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(r, j) -> (r, j)>, affine_map<(r, j) -> (j)>, affine_map<(r, j) -> (r, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%u, %sig : tensor<64x256xf32>, tensor<256xf32>) outs(%e2 : tensor<64x256xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.mulf %a, %s : f32
    linalg.yield %m : f32
  } -> tensor<64x256xf32>
  return %v : tensor<64x256xf32>
}

/// A weight gradient x^T delta has its reduction (the rows) as the first
/// loop; the register tile still keeps k innermost, so the 8x32 accumulator
/// is read once before the k loop and written once after it.
// CHECK-LABEL: func.func @weight_gradient
// CHECK: vector.transfer_read %{{.*}} : tensor<56x256xf32>, vector<8x32xf32>
// CHECK-NEXT: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<56x256xf32>, vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_write %{{.*}} : vector<8x32xf32>, tensor<56x256xf32>
// CHECK: return
func.func @weight_gradient(%x: tensor<64x784xf32>, %d: tensor<64x256xf32>, %acc: tensor<784x256xf32>) -> tensor<784x256xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(k, n, m) -> (k, m)>, affine_map<(k, n, m) -> (k, n)>, affine_map<(k, n, m) -> (m, n)>],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %d : tensor<64x784xf32>, tensor<64x256xf32>) outs(%acc : tensor<784x256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<784x256xf32>
  return %r : tensor<784x256xf32>
}

/// An NCHW site's Δ and its per-channel log-sigma sum from one generic
/// (every loop but the channel a reduction): vectorized along W, Δ stored
/// 16 lanes at a time, the sum reduced horizontally into the channel's
/// accumulator, which stays in a register across H and W.
// CHECK-LABEL: func.func @nchw_delta_and_sum
// CHECK: scf.for {{.*}} -> (tensor<4x8x6x32xf32>, tensor<8xf32>, vector<1xf32>)
// CHECK: vector.transfer_read %{{.*}} : tensor<4x8x6x32xf32>, vector<16xf32>
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<16xf32> into f32
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<4x8x6x32xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<1xf32>, tensor<8xf32>
// CHECK: return
func.func @nchw_delta_and_sum(%c: tensor<4xf32>, %x: tensor<4x8x6x32xf32>, %acc: tensor<8xf32>) -> (tensor<4x8x6x32xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<4x8x6x32xf32>
  %r:2 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n)>, affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>],
                       iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%c, %x : tensor<4xf32>, tensor<4x8x6x32xf32>) outs(%e, %acc : tensor<4x8x6x32xf32>, tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32, %o2: f32):
    %p = arith.mulf %a, %b : f32
    %q = arith.mulf %p, %b : f32
    %s = arith.addf %o2, %q : f32
    linalg.yield %p, %s : f32, f32
  } -> (tensor<4x8x6x32xf32>, tensor<8xf32>)
  return %r#0, %r#1 : tensor<4x8x6x32xf32>, tensor<8xf32>
}

/// The weight gradient of an [out, in] weight (PyTorch's Linear, imported
/// from ONNX): grad[o, i] = Σ_r Δ[r, o] x[r, i]. Its lhs (x) holds the
/// output's innermost dimension, so the inputs are swapped (the product
/// commutes exactly): Δ becomes the lhs (8 broadcast values per k), x the
/// rhs (one 32-lane row per k), eight vector.fma per k and no per-element
/// shuffles of the accumulator.
// CHECK-LABEL: func.func @weight_gradient_out_in
// CHECK: %[[ACC:.*]] = vector.transfer_read %{{.*}} : tensor<64x256xf32>, vector<8x32xf32>
// CHECK: scf.for
// CHECK: vector.transfer_read %arg1{{.*}} : tensor<64x256xf32>, vector<8xf32>
// CHECK: vector.transfer_read %arg0{{.*}} : tensor<64x256xf32>, vector<32xf32>
// CHECK-COUNT-8: vector.fma %{{.*}} : vector<32xf32>
// CHECK-NOT: vector.insert %{{.*}} : f32 into vector<8xf32>
// CHECK: scf.yield
// CHECK: return
func.func @weight_gradient_out_in(%x: tensor<64x256xf32>, %d: tensor<64x256xf32>, %acc: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(k, o, i) -> (k, i)>, affine_map<(k, o, i) -> (k, o)>, affine_map<(k, o, i) -> (o, i)>],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %d : tensor<64x256xf32>, tensor<64x256xf32>) outs(%acc : tensor<256x256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x256xf32>
  return %r : tensor<256x256xf32>
}

/// An n extent that 32 does not divide (784 = 49 x 16) gets a 16-lane
/// register tile instead of a masked 32-lane tail.
// CHECK-LABEL: func.func @weight_gradient_784
// CHECK: vector.transfer_read {{.*}} vector<8x16xf32>
// CHECK-NOT: vector.mask
// CHECK-COUNT-8: vector.fma %{{.*}} : vector<16xf32>
// CHECK: return
func.func @weight_gradient_784(%x: tensor<64x784xf32>, %d: tensor<64x256xf32>, %acc: tensor<256x784xf32>) -> tensor<256x784xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(k, o, i) -> (k, i)>, affine_map<(k, o, i) -> (k, o)>, affine_map<(k, o, i) -> (o, i)>],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %d : tensor<64x784xf32>, tensor<64x256xf32>) outs(%acc : tensor<256x784xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x784xf32>
  return %r : tensor<256x784xf32>
}

/// x · wᵀ inside a loop (the training step's chunk loop): the transposed
/// copy of the loop-invariant weight is made once, before the loop, and
/// shared by both uses.
// CHECK-LABEL: func.func @transpose_hoisted
// CHECK: vector.transfer_read %arg1{{.*}} : tensor<16x64xf32>, vector<16x1xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<4x8x16xf32>)
// CHECK-NOT: tensor<16x64xf32>, vector<16x1xf32>
// CHECK: vector.fma
// CHECK: return
func.func @transpose_hoisted(%xs: tensor<4x8x64xf32>, %w: tensor<16x64xf32>, %init: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%t = %init) -> (tensor<4x8x16xf32>) {
    %x = tensor.extract_slice %xs[%i, 0, 0] [1, 8, 64] [1, 1, 1] : tensor<4x8x64xf32> to tensor<8x64xf32>
    %e = tensor.empty() : tensor<8x16xf32>
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
    %m = linalg.generic {indexing_maps = [affine_map<(a, b, k) -> (a, k)>, affine_map<(a, b, k) -> (b, k)>, affine_map<(a, b, k) -> (a, b)>],
                         iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%x, %w : tensor<8x64xf32>, tensor<16x64xf32>) outs(%z : tensor<8x16xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    } -> tensor<8x16xf32>
    %u = tensor.insert_slice %m into %t[%i, 0, 0] [1, 8, 16] [1, 1, 1] : tensor<8x16xf32> into tensor<4x8x16xf32>
    scf.yield %u : tensor<4x8x16xf32>
  }
  return %r : tensor<4x8x16xf32>
}
