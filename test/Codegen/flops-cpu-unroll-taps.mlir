// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{vectorize-elementwise=false gather-im2col=false fuse-elementwise=false}))" | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize))" | FileCheck %s --check-prefix=VEC
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{unroll-taps=false vectorize-elementwise=false gather-im2col=false}))" | FileCheck %s --check-prefix=OFF

/// unroll-taps: a reduction over a small window read through a gathered map
/// (a depthwise convolution, a pooling window) becomes an all-parallel
/// generic over one strided slice per tap, with the body cloned per tap in
/// the loop nest's order; the elementwise strategy then vectorizes it.

#dwx = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f + c, oh * 2 + kh, ow * 2 + kw)>
#dww = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#dwo = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>

/// Depthwise 3x3, stride 2 (the importer's generic for group = channels).
// CHECK-LABEL: func.func @depthwise
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x9x9xf32>, %[[W:.*]]: tensor<4x1x3x3xf32>, %[[O:.*]]: tensor<2x4x4x4xf32>)
// CHECK-DAG: %[[X00:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [2, 4, 4, 4] [1, 1, 2, 2] : tensor<2x4x9x9xf32> to tensor<2x4x4x4xf32>
// CHECK-DAG: %[[W00:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [4, 1, 1, 1] [1, 1, 1, 1] : tensor<4x1x3x3xf32> to tensor<4xf32>
// CHECK-DAG: %[[X22:.*]] = tensor.extract_slice %[[X]][0, 0, 2, 2] [2, 4, 4, 4] [1, 1, 2, 2] : tensor<2x4x9x9xf32> to tensor<2x4x4x4xf32>
// CHECK-DAG: %[[W22:.*]] = tensor.extract_slice %[[W]][0, 0, 2, 2] [4, 1, 1, 1] [1, 1, 1, 1] : tensor<4x1x3x3xf32> to tensor<4xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X00]], %[[W00]], {{.*}}, %[[X22]], %[[W22]] :
// CHECK-SAME: outs(%[[O]] : tensor<2x4x4x4xf32>)
// CHECK: ^bb0(%[[A0:[^:]*]]: f32, %[[B0:[^:]*]]: f32,
// CHECK: %[[P0:.*]] = arith.mulf %[[A0]], %[[B0]] : f32
// CHECK: %[[S0:.*]] = arith.addf %{{.*}}, %[[P0]] : f32
// CHECK: arith.mulf
// CHECK: arith.addf %[[S0]],
// CHECK-COUNT-7: arith.mulf
// CHECK-NOT: arith.mulf
// CHECK: linalg.yield
// VEC-LABEL: func.func @depthwise
// VEC-NOT: "reduction"
// VEC: vector.transfer_read
// VEC-COUNT-9: arith.mulf {{.*}} : vector<4xf32>
// VEC-NOT: "reduction"
// VEC: return
// OFF-LABEL: func.func @depthwise
// OFF: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @depthwise(%x: tensor<2x4x9x9xf32>, %w: tensor<4x1x3x3xf32>,
                     %o: tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32> {
  %g = linalg.generic {indexing_maps = [#dwx, #dww, #dwo],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<2x4x9x9xf32>, tensor<4x1x3x3xf32>) outs(%o : tensor<2x4x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4x4x4xf32>
  return %g : tensor<2x4x4x4xf32>
}

#mpx = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#mpw = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#mpo = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>

/// Max pooling 2x2 as the importer writes it (the window tensor is not
/// read: no slices of it).
// CHECK-LABEL: func.func @max_pool
// CHECK-COUNT-4: tensor.extract_slice %{{.*}} [1, 1, 2, 2] : tensor<1x2x8x8xf32> to tensor<1x2x4x4xf32>
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-COUNT-4: arith.maximumf
// OFF-LABEL: func.func @max_pool
// OFF: "reduction", "reduction"
func.func @max_pool(%x: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %g = linalg.generic {indexing_maps = [#mpx, #mpw, #mpo],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %win : tensor<1x2x8x8xf32>, tensor<2x2xf32>) outs(%o : tensor<1x2x4x4xf32>) {
  ^bb0(%a: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x4xf32>
  return %g : tensor<1x2x4x4xf32>
}

/// The named pooling op is generalized first.
// CHECK-LABEL: func.func @named_max_pool
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-COUNT-4: arith.maximumf
// OFF-LABEL: func.func @named_max_pool
// OFF: linalg.pooling_nchw_max
func.func @named_max_pool(%x: tensor<1x2x8x8xf32>, %o: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %win : tensor<1x2x8x8xf32>, tensor<2x2xf32>) outs(%o : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %p : tensor<1x2x4x4xf32>
}

/// A window of 9 x 9 = 81 taps is over the limit (64): left alone.
// CHECK-LABEL: func.func @negative_big_window
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
#bx = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh + kh, ow + kw)>
func.func @negative_big_window(%x: tensor<1x2x12x12xf32>, %o: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %win = tensor.empty() : tensor<9x9xf32>
  %g = linalg.generic {indexing_maps = [#bx, #mpw, #mpo],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %win : tensor<1x2x12x12xf32>, tensor<9x9xf32>) outs(%o : tensor<1x2x4x4xf32>) {
  ^bb0(%a: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x4xf32>
  return %g : tensor<1x2x4x4xf32>
}

/// A weight gradient reduces over the images and output pixels, which index
/// the input on their own (not window taps), even when they are few: left
/// to gather-im2col.
#wx = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#wd = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
#ww = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
// CHECK-LABEL: func.func @negative_weight_gradient
// CHECK: iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]
func.func @negative_weight_gradient(%x: tensor<1x3x7x7xf32>, %d: tensor<1x4x3x3xf32>,
                                    %w: tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32> {
  %g = linalg.generic {indexing_maps = [#wx, #wd, #ww],
      iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]}
      ins(%x, %d : tensor<1x3x7x7xf32>, tensor<1x4x3x3xf32>) outs(%w : tensor<4x3x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3x3x3xf32>
  return %g : tensor<4x3x3x3xf32>
}
