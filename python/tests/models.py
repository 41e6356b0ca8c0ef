"""Small models for the tests (seconds to compile)."""

import numpy as np

# A 16-32-4 MLP with a dynamic batch (the shape of examples/mlp.mlir).
MLP = """
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<?x16xf32>,
    %w1: tensor<16x32xf32> {flops.param, flops.name = "fc1.weight"},
    %b1: tensor<32xf32> {flops.param, flops.name = "fc1.bias"},
    %w2: tensor<32x4xf32> {flops.param, flops.name = "fc2.weight"},
    %b2: tensor<4xf32> {flops.param, flops.name = "fc2.bias"}) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x16xf32>
  %e1 = tensor.empty(%n) : tensor<?x32xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x32xf32>) -> tensor<?x32xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<?x16xf32>, tensor<16x32xf32>) outs(%z1 : tensor<?x32xf32>) -> tensor<?x32xf32>
  %u = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<?x32xf32>, tensor<32xf32>) outs(%e1 : tensor<?x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %h = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u : tensor<?x32xf32>) outs(%e1 : tensor<?x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x32xf32>
  %e2 = tensor.empty(%n) : tensor<?x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %m2 = linalg.matmul ins(%h, %w2 : tensor<?x32xf32>, tensor<32x4xf32>) outs(%z2 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<?x4xf32>, tensor<4xf32>) outs(%e2 : tensor<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
"""


def blobs(n, seed=0):
    """Four Gaussian clusters in 16 dimensions (a learnable task): the same
    clusters for every seed, the seed draws the points."""
    centers = np.random.default_rng(1234).normal(0, 2.0, size=(4, 16))
    centers = centers.astype(np.float32)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, size=n).astype(np.int64)
    x = centers[y] + rng.normal(0, 1.0, size=(n, 16)).astype(np.float32)
    return np.ascontiguousarray(x, dtype=np.float32), y
