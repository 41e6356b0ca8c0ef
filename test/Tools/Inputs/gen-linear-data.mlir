// A "model" without inputs that flops-run evaluates to write test data:
// x (4x3, f32) for flops-run.mlir, x[i][j] = i - j / 2.
func.func @forward() -> (tensor<4x3xf32> {flops.name = "x"}) {
  %x = arith.constant dense<[[0.0, -0.5, -1.0],
                             [1.0, 0.5, 0.0],
                             [2.0, 1.5, 1.0],
                             [3.0, 2.5, 2.0]]> : tensor<4x3xf32>
  return %x : tensor<4x3xf32>
}
