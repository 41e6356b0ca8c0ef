// A small CNN for 1x28x28 images in linalg on tensors (NCHW):
//   conv 3x3, 1->8 channels, stride 1, padding 1, ReLU, 2x2 max-pool
//   conv 3x3, 8->16 channels, stride 2, padding 1, ReLU      (-> 16x7x7)
//   flatten, dense 784 -> 10
// Parameters are the arguments marked `flops.param`; the batch is dynamic.
//
//   flops-opt examples/cnn.mlir --flops-forward-train='batch-size=64 queries=8'

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (c)>
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: tensor<?x1x28x28xf32>,
                   %k1: tensor<8x1x3x3xf32> {flops.param, flops.name = "conv1.weight"},
                   %c1: tensor<8xf32> {flops.param, flops.name = "conv1.bias"},
                   %k2: tensor<16x8x3x3xf32> {flops.param, flops.name = "conv2.weight"},
                   %c2: tensor<16xf32> {flops.param, flops.name = "conv2.bias"},
                   %w3: tensor<784x10xf32> {flops.param, flops.name = "fc.weight"},
                   %b3: tensor<10xf32> {flops.param, flops.name = "fc.bias"}) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %n = tensor.dim %x, %c0 : tensor<?x1x28x28xf32>

  // conv1 (padding 1) + bias, the first site; ReLU; 2x2 max-pool.
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<?x1x28x28xf32> to tensor<?x1x30x30xf32>
  %e1 = tensor.empty(%n) : tensor<?x8x28x28xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x8x28x28xf32>) -> tensor<?x8x28x28xf32>
  %y1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xp, %k1 : tensor<?x1x30x30xf32>, tensor<8x1x3x3xf32>) outs(%z1 : tensor<?x8x28x28xf32>) -> tensor<?x8x28x28xf32>
  %u1 = linalg.generic {indexing_maps = [#nchw, #chan, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y1, %c1 : tensor<?x8x28x28xf32>, tensor<8xf32>) outs(%e1 : tensor<?x8x28x28xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x8x28x28xf32>
  %r1 = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%u1 : tensor<?x8x28x28xf32>) outs(%e1 : tensor<?x8x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x8x28x28xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %ep = tensor.empty(%n) : tensor<?x8x14x14xf32>
  %fp = linalg.fill ins(%ninf : f32) outs(%ep : tensor<?x8x14x14xf32>) -> tensor<?x8x14x14xf32>
  %p1 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%r1, %win : tensor<?x8x28x28xf32>, tensor<2x2xf32>) outs(%fp : tensor<?x8x14x14xf32>) -> tensor<?x8x14x14xf32>

  // conv2 (stride 2, padding 1) + bias, the second site; ReLU.
  %pp = tensor.pad %p1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<?x8x14x14xf32> to tensor<?x8x16x16xf32>
  %e2 = tensor.empty(%n) : tensor<?x16x7x7xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x16x7x7xf32>) -> tensor<?x16x7x7xf32>
  %y2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%pp, %k2 : tensor<?x8x16x16xf32>, tensor<16x8x3x3xf32>) outs(%z2 : tensor<?x16x7x7xf32>) -> tensor<?x16x7x7xf32>
  %u2 = linalg.generic {indexing_maps = [#nchw, #chan, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y2, %c2 : tensor<?x16x7x7xf32>, tensor<16xf32>) outs(%e2 : tensor<?x16x7x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x16x7x7xf32>
  %r2 = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%u2 : tensor<?x16x7x7xf32>) outs(%e2 : tensor<?x16x7x7xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x16x7x7xf32>

  // Flatten and the dense classifier, the third site.
  %flat = tensor.collapse_shape %r2 [[0], [1, 2, 3]] : tensor<?x16x7x7xf32> into tensor<?x784xf32>
  %e3 = tensor.empty(%n) : tensor<?x10xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<?x10xf32>) -> tensor<?x10xf32>
  %m3 = linalg.matmul ins(%flat, %w3 : tensor<?x784xf32>, tensor<784x10xf32>) outs(%z3 : tensor<?x10xf32>) -> tensor<?x10xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m3, %b3 : tensor<?x10xf32>, tensor<10xf32>) outs(%e3 : tensor<?x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}
