// RUN: flops-opt %s -split-input-file -verify-diagnostics --pass-pipeline="builtin.module(flops-forward-train{estimator=es})"

/// estimator=es perturbs a parameter inside the op that reads it; a table
/// read by tensor.extract in the body (an embedding lookup) is not an
/// operand, so ES reports it on the op instead of training it wrongly.
#ids = affine_map<(d0, d1, d2) -> (d0, d1)>
#tok = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @forward(%x: tensor<4x3xi64>,
                   %table: tensor<10x8xf32> {flops.param, flops.name = "embed.weight"},
                   %w: tensor<24x2xf32> {flops.param, flops.name = "fc.weight"}) -> tensor<4x2xf32> {
  %e = tensor.empty() : tensor<4x3x8xf32>
  // expected-error @+1 {{estimator=es perturbs each parameter where an op reads it: this op reads a parameter inside its body}}
  %g = linalg.generic {indexing_maps = [#ids, #tok], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<4x3xi64>) outs(%e : tensor<4x3x8xf32>) {
  ^bb0(%i: i64, %o: f32):
    %k = arith.index_cast %i : i64 to index
    %j = linalg.index 2 : index
    %v = tensor.extract %table[%k, %j] : tensor<10x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x3x8xf32>
  %f = tensor.collapse_shape %g [[0], [1, 2]] : tensor<4x3x8xf32> into tensor<4x24xf32>
  %z = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<4x2xf32>
  %fo = linalg.fill ins(%z : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%f, %w : tensor<4x24xf32>, tensor<24x2xf32>) outs(%fo : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
