// RUN: flops-opt %flops_src_root/examples/perturbed-step.mlir --flops-reference-to-llvm | %run | FileCheck %s

/// The example that scripts/demo.sh runs: a likelihood-ratio estimate of a
/// linear layer's weight gradient from 4096 perturbed queries must point the
/// way of the exact gradient (cosine > 0.99; the relative standard error of
/// this estimate is about 2%).
// CHECK: forward-only (likelihood-ratio) estimate of dL/dW, 4096 queries:
// CHECK: exact dL/dW:
// CHECK: cosine above 0.99 1
