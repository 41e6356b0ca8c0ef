// Writes the parameters of flops-run.mlir's linear model as safetensors
// (the results' flops.name are the tensor names).
func.func @forward() -> (tensor<3x2xf32> {flops.name = "fc.weight"},
                         tensor<2xf32> {flops.name = "fc.bias"}) {
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 2.0], [1.0, -1.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[0.5, -0.25]> : tensor<2xf32>
  return %w, %b : tensor<3x2xf32>, tensor<2xf32>
}
