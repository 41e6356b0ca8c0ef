// BatchNormalization whose running statistics are Identity copies of its
// weight and bias, as torch.onnx exports a freshly initialised BatchNorm
// (deduplicate_initializers: running_var = Identity(weight) when both are
// ones, running_mean = Identity(bias) when both are zeros). The statistics
// are frozen constants of the initial values; weight and bias stay trainable
// parameters, so the affine is linear in them and flops-forward-train
// accepts it (before, the parameter was also read as the variance: "divides
// by a value that depends on the input"). The output matches numpy.
//
// REQUIRES: onnx
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/make_ops.py %t
// RUN: flops-import-onnx %t/bn-alias.onnx -o %t/bn.mlir
// RUN: FileCheck %s < %t/bn.mlir
// RUN: flops-opt %t/bn.mlir --pass-pipeline='builtin.module(flops-forward-train{batch-size=2 queries=2})' -o /dev/null
// RUN: flops-run %t/bn.mlir --params %t/bn.safetensors --input %t/bn-alias.x.npy --output %t/bn.got.npy
// RUN: %python %flops_src_root/examples/onnx/compare.py %t/bn.got.npy %t/bn-alias.expected.npy 1e-6 1e-6 | FileCheck %s --check-prefix=MATCH

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[X:.*]]: tensor<?x3x2x2xf32> {flops.name = "x"}, %[[W:.*]]: tensor<3xf32> {flops.name = "bn.weight", flops.param}, %[[B:.*]]: tensor<3xf32> {flops.name = "bn.bias", flops.param})
// CHECK-DAG: %[[MEAN:.*]] = arith.constant dense<[1.000000e-01, -2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-DAG: %[[VAR:.*]] = arith.constant dense<[5.000000e-01, 1.500000e+00, 2.000000e+00]> : tensor<3xf32>
// CHECK: %[[INV:.*]] = linalg.generic {{.*}} ins(%[[VAR]] : tensor<3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[MEAN]], %[[INV]], %[[W]], %[[B]] :

// MATCH: match
