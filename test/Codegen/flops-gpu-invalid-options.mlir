// RUN: flops-opt %s -verify-diagnostics --pass-pipeline="builtin.module(func.func(flops-gpu-tile-and-distribute{contraction-thread-tile=0,4}))"
// RUN: flops-opt %s -verify-diagnostics --pass-pipeline="builtin.module(func.func(flops-gpu-tile-and-distribute{block-size-x=64 block-size-y=32}))"

/// Thread tiles must be two positive sizes, blocks at most 1024 threads.
// expected-error @+1 {{flops-gpu-tile-and-distribute: contraction-thread-tile needs two positive sizes and block-size-x * block-size-y must be in 1..1024}}
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
