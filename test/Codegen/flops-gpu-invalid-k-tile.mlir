// RUN: flops-opt %s -verify-diagnostics --pass-pipeline="builtin.module(func.func(flops-gpu-tile-and-distribute{contraction-k-tile=-1}))"

/// The shared-memory tile's k steps: 0 (no tile) or positive.
// expected-error @+1 {{flops-gpu-tile-and-distribute: contraction-k-tile must be 0 (no shared-memory tile) or positive}}
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
