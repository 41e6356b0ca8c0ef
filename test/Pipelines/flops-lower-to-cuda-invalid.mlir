// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=cublas})" -verify-diagnostics
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=wmma})" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{precision=bf16})" 2>&1 | FileCheck %s --check-prefix=BF16
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction-thread-tile=4})" 2>&1 | FileCheck %s --check-prefix=TILE

/// Option values the pipeline does not implement are rejected with an error
/// on the module, never silently replaced by something else.
// expected-error @+1 {{flops-lower-to-cuda: contraction=cublas (calls of flopsGpuGemmF32) is not implemented yet; use contraction=mlir}}
module {
  func.func @f(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x4xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
    %m = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
    return %m : tensor<4x4xf32>
  }
}
// UNKNOWN: error: flops-lower-to-cuda: unknown contraction 'wmma' (expected mlir or cublas)
// BF16: error: flops-lower-to-cuda: precision=bf16 needs tensor-core contractions, not implemented yet; use precision=f32
// TILE: error: flops-gpu-tile-and-distribute: contraction-thread-tile needs two positive sizes
