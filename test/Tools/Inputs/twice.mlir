// A forward that returns one value twice (x + 1, as two outputs).
#id = affine_map<(d0) -> (d0)>
func.func @forward(%x: tensor<4xf32>) -> (tensor<4xf32> {flops.name = "out0"}, tensor<4xf32> {flops.name = "out1"}) {
  %e = tensor.empty() : tensor<4xf32>
  %one = arith.constant 1.0 : f32
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %one : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %y, %y : tensor<4xf32>, tensor<4xf32>
}
