// libFlopsPlugin.so in Debian's mlir-opt-22: the dialect plugin registers
// the flops dialect and the estimator rules, the pass plugin the passes and
// pipelines; flops-forward-train then builds the steps inside mlir-opt-22,
// and the reference pipeline lowers them to the LLVM dialect there.
// REQUIRES: mlir-opt-22
// RUN: mlir-opt-22 --load-dialect-plugin=%flops_lib_dir/libFlopsPlugin.so --load-pass-plugin=%flops_lib_dir/libFlopsPlugin.so %s --pass-pipeline="builtin.module(flops-forward-train{batch-size=4 queries=2})" | FileCheck %s
// RUN: mlir-opt-22 --load-dialect-plugin=%flops_lib_dir/libFlopsPlugin.so --load-pass-plugin=%flops_lib_dir/libFlopsPlugin.so %s --pass-pipeline="builtin.module(flops-forward-train{batch-size=4 queries=2},flops-reference-to-llvm)" | FileCheck %s --check-prefix=LLVM
// Without the plugins mlir-opt-22 knows neither the pass nor the dialect.
// RUN: not mlir-opt-22 %s --pass-pipeline="builtin.module(flops-forward-train)" 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

func.func @forward(%x: tensor<4x3xf32>,
                   %w: tensor<3x2xf32> {flops.param, flops.name = "w"}) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// The perturbed forward (its noise on the matmul's output), then the steps:
// CHECK: flops.perturb
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: flops.name = "w", flops.role = "param"
// CHECK-LABEL: func.func @eval_step(
// LLVM: llvm.func @train_step(
// LLVM: llvm.func @eval_step(
// NOPLUGIN: 'flops-forward-train' does not refer to a registered pass or pass pipeline
