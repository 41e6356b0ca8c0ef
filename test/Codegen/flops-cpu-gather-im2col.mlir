// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{lower-contractions=false}))" | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{gather-im2col=false lower-contractions=false}))" | FileCheck %s --check-prefix=OFF
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{gather-fold-batch=false lower-contractions=false}))" | FileCheck %s --check-prefix=NOFOLD
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{gather-transposed=false lower-contractions=false}))" | FileCheck %s --check-prefix=NOTAP

/// gather-im2col: the weight-gradient convolution of the LR rule (stride 2),
///   dW[f, c, kh, kw] += xp[n, c, oh*2 + kh, ow*2 + kw] * Δ[n, f, oh, ow],
/// becomes a gather copy of xp into a column tensor over (n, oh, ow, c, kh,
/// kw), collapsed to (R = n*oh*ow, K = c*kh*kw); Δ is transposed to
/// [f, n, oh, ow] so that the images and pixels form one reduction dimension
/// R of the plain product dW[f, K] += Δ'[f, R] * col[R, K], tiled and
/// vectorized along K. With gather-fold-batch=false Δ stays as it is and
/// the product is dW[f, K] += Δ[n, f, P] * col[n, P, K] (one per image).

#xs2 = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#dl = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
#wt = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>

// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x11x11xf32>, %[[D:.*]]: tensor<2x16x5x5xf32>, %[[W:.*]]: tensor<16x3x3x3xf32>)
// CHECK: vector.transfer_read %[[D]]
// CHECK: %[[DT:.*]] = vector.transfer_write {{.*}} tensor<16x2x5x5xf32>
// CHECK: %[[COL:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]{{.*}} ins(%[[X]] : tensor<2x3x11x11xf32>) outs(%{{.*}} : tensor<2x5x5x3x3x3xf32>)
// CHECK-DAG: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<16x2x5x5xf32> into tensor<16x50xf32>
// CHECK-DAG: tensor.collapse_shape %[[COL]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<2x5x5x3x3x3xf32> into tensor<50x27xf32>
// CHECK-DAG: tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<16x3x3x3xf32> into tensor<16x27xf32>
// CHECK: vector.contract
// CHECK: tensor.expand_shape {{.*}} : tensor<16x27xf32> into tensor<16x3x3x3xf32>
// NOFOLD-LABEL: func.func @weight_gradient
// NOFOLD-SAME: (%[[X:.*]]: tensor<2x3x11x11xf32>, %[[D:.*]]: tensor<2x16x5x5xf32>, %[[W:.*]]: tensor<16x3x3x3xf32>)
// NOFOLD-NOT: tensor<16x2x5x5xf32>
// NOFOLD: %[[COL:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<2x3x11x11xf32>) outs(%{{.*}} : tensor<2x5x5x3x3x3xf32>)
// NOFOLD-DAG: tensor.collapse_shape %[[D]] {{\[}}[0], [1], [2, 3]] : tensor<2x16x5x5xf32> into tensor<2x16x25xf32>
// NOFOLD-DAG: tensor.collapse_shape %[[COL]] {{\[}}[0], [1, 2], [3, 4, 5]] : tensor<2x5x5x3x3x3xf32> into tensor<2x25x27xf32>
// NOFOLD: vector.contract
// OFF-LABEL: func.func @weight_gradient
// OFF: linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]
// OFF-NOT: vector.contract
func.func @weight_gradient(%x: tensor<2x3x11x11xf32>, %d: tensor<2x16x5x5xf32>,
                           %w: tensor<16x3x3x3xf32>) -> tensor<16x3x3x3xf32> {
  %g = linalg.generic {indexing_maps = [#xs2, #dl, #wt],
      iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]}
      ins(%x, %d : tensor<2x3x11x11xf32>, tensor<2x16x5x5xf32>) outs(%w : tensor<16x3x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x3x3x3xf32>
  return %g : tensor<16x3x3x3xf32>
}

/// gather-transposed: 8 channels (K = c*kh*kw = 72, a multiple of the
/// register tile's 8 rows) and R = n*oh*ow = 50 >= f = 16: the columns are
/// copied tap by tap from strided slices of xp into [c, kh, kw, n, oh, ow]
/// (vectorized along ow), Δ is transposed to [n, oh, ow, f], and the
/// product is dW^T[K, f] += col[K, R] * Δ^T[R, f], transposed back.
/// (@weight_gradient above, K = 27, keeps the gather.)
// CHECK-LABEL: func.func @weight_gradient_taps
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x11x11xf32>, %[[D:.*]]: tensor<2x16x5x5xf32>, %[[W:.*]]: tensor<16x8x3x3xf32>)
// CHECK-NOT: tensor<2x5x5x8x3x3xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0, 0, 0] [2, 8, 5, 5] [1, 1, 2, 2]
// CHECK: vector.transfer_read {{.*}} vector<1x1x1x5xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0, 2, 2] [2, 8, 5, 5] [1, 1, 2, 2]
// CHECK: %[[COL:.*]] = tensor.collapse_shape {{.*}} : tensor<8x3x3x2x5x5xf32> into tensor<72x50xf32>
// CHECK: vector.transfer_read %[[D]]
// CHECK: tensor.collapse_shape {{.*}} : tensor<2x5x5x16xf32> into tensor<50x16xf32>
// CHECK: tensor.collapse_shape %[[W]] {{.*}} into tensor<16x72xf32>
// CHECK: vector.contract
// CHECK: tensor.expand_shape {{.*}} : tensor<16x72xf32> into tensor<16x8x3x3xf32>
// NOTAP-LABEL: func.func @weight_gradient_taps
// NOTAP: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]{{.*}} outs(%{{.*}} : tensor<2x5x5x8x3x3xf32>)
// NOTAP: vector.contract
func.func @weight_gradient_taps(%x: tensor<2x8x11x11xf32>, %d: tensor<2x16x5x5xf32>,
                                %w: tensor<16x8x3x3xf32>) -> tensor<16x8x3x3xf32> {
  %g = linalg.generic {indexing_maps = [#xs2, #dl, #wt],
      iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]}
      ins(%x, %d : tensor<2x8x11x11xf32>, tensor<2x16x5x5xf32>) outs(%w : tensor<16x8x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x8x3x3xf32>
  return %g : tensor<16x8x3x3xf32>
}

/// Not a multiply-accumulate (max of products): left as it is.
// CHECK-LABEL: func.func @not_mac
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]
// CHECK: arith.maximumf
// CHECK-NOT: vector.contract
func.func @not_mac(%x: tensor<2x3x11x11xf32>, %d: tensor<2x16x5x5xf32>,
                   %w: tensor<16x3x3x3xf32>) -> tensor<16x3x3x3xf32> {
  %g = linalg.generic {indexing_maps = [#xs2, #dl, #wt],
      iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]}
      ins(%x, %d : tensor<2x3x11x11xf32>, tensor<2x16x5x5xf32>) outs(%w : tensor<16x3x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.maximumf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x3x3x3xf32>
  return %g : tensor<16x3x3x3xf32>
}
