// A 4-16-2 MLP (tanh) with a dynamic batch, for the synthetic data of
// gen-blobs.mlir.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<?x4xf32>,
                   %w1: tensor<4x16xf32> {flops.param, flops.name = "fc1.weight"},
                   %b1: tensor<16xf32> {flops.param, flops.name = "fc1.bias"},
                   %w2: tensor<16x2xf32> {flops.param, flops.name = "fc2.weight"},
                   %b2: tensor<2xf32> {flops.param, flops.name = "fc2.bias"}) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e1 = tensor.empty(%n) : tensor<?x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x16xf32>) -> tensor<?x16xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<?x4xf32>, tensor<4x16xf32>) outs(%z1 : tensor<?x16xf32>) -> tensor<?x16xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<?x16xf32>, tensor<16xf32>) outs(%e1 : tensor<?x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<?x16xf32>) outs(%e1 : tensor<?x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<?x16xf32>
  %e2 = tensor.empty(%n) : tensor<?x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<?x16xf32>, tensor<16x2xf32>) outs(%z2 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<?x2xf32>, tensor<2xf32>) outs(%e2 : tensor<?x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
