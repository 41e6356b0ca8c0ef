// RUN: flops-opt %s -split-input-file -verify-diagnostics --pass-pipeline="builtin.module(gpu.module(flops-gpu-exact-math))"

/// Only scalar square roots can be made IEEE in a kernel.
gpu.module @k {
  gpu.func @f(%v: vector<4xf32>, %out: memref<vector<4xf32>>) kernel {
    // expected-error @+1 {{flops-gpu-exact-math: a vector square root in a kernel}}
    %r = math.sqrt %v : vector<4xf32>
    memref.store %r, %out[] : memref<vector<4xf32>>
    gpu.return
  }
}
