// A 784-32-10 MLP on flattened 28x28 images (dynamic batch): small enough
// to compile and train quickly in the flops-train tests.

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: tensor<?x784xf32>,
                   %w1: tensor<784x32xf32> {flops.param, flops.name = "fc1.weight"},
                   %b1: tensor<32xf32> {flops.param, flops.name = "fc1.bias"},
                   %w2: tensor<32x10xf32> {flops.param, flops.name = "fc2.weight"},
                   %b2: tensor<10xf32> {flops.param, flops.name = "fc2.bias"}) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %e1 = tensor.empty(%n) : tensor<?x32xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x32xf32>) -> tensor<?x32xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<?x784xf32>, tensor<784x32xf32>) outs(%z1 : tensor<?x32xf32>) -> tensor<?x32xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<?x32xf32>, tensor<32xf32>) outs(%e1 : tensor<?x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<?x32xf32>) outs(%e1 : tensor<?x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x32xf32>
  %e2 = tensor.empty(%n) : tensor<?x10xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x10xf32>) -> tensor<?x10xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<?x32xf32>, tensor<32x10xf32>) outs(%z2 : tensor<?x10xf32>) -> tensor<?x10xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<?x10xf32>, tensor<10xf32>) outs(%e2 : tensor<?x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}
