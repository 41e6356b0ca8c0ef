// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{precision=tf32})" -verify-diagnostics
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=wmma})" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=cublas precision=fp8})" 2>&1 | FileCheck %s --check-prefix=PRECISION
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=cublas host-loops=true})" 2>&1 | FileCheck %s --check-prefix=LOOPS
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction-thread-tile=4})" 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true host-launches=true})" 2>&1 | FileCheck %s --check-prefix=MODES
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=cublas host-launches=true})" 2>&1 | FileCheck %s --check-prefix=LOOPS
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{stage-arguments=true host-launches=true})" 2>&1 | FileCheck %s --check-prefix=STAGE
// RUN: not flops-opt %s --pass-pipeline="builtin.module(func.func(flops-gpu-fuse-launches{max-parts=0}))" 2>&1 | FileCheck %s --check-prefix=PARTS

/// Option values the pipeline does not implement are rejected with an error
/// on the module, never silently replaced by something else.
// expected-error @+1 {{flops-lower-to-cuda: precision=tf32 needs contraction=cublas (the mlir contractions have no tensor-core path yet)}}
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
// PRECISION: error: flops-lower-to-cuda: unknown precision 'fp8' (expected f32, tf32 or bf16)
// LOOPS: error: flops-lower-to-cuda: host-loops=true tests our own kernels; it cannot run contraction=cublas
// MODES: error: flops-lower-to-cuda: host-loops and host-launches are two test modes; choose one
// PARTS: error: flops-gpu-fuse-launches: max-parts must be at least 1
// TILE: error: flops-gpu-tile-and-distribute: contraction-thread-tile needs two positive sizes
// STAGE: error: flops-lower-to-cuda: stage-arguments=true stages device buffers; the host-loops/host-launches test modes run on host memory
