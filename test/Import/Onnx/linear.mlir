// A PyTorch-style Linear (Gemm transB=1) with a dynamic batch: the weight
// stays in ONNX's [out, in] layout, read through (n, k) by a contraction
// generic; initializers become flops.param arguments and go to the weights
// file; flops-run computes x W^T + b; flops-forward-train accepts it.
//
// REQUIRES: onnx
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-import-onnx %S/Inputs/linear.onnx -o %t/linear.mlir
// RUN: FileCheck %s < %t/linear.mlir
// RUN: flops-opt %t/linear.mlir --flops-forward-train='batch-size=4 queries=2' | FileCheck %s --check-prefix=TRAIN
// RUN: flops-run %t/linear.mlir --params %t/linear.safetensors --input %S/Inputs/linear-x.npy --print | FileCheck %s --check-prefix=EXEC

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %{{.*}}: tensor<?x4xf32> {flops.name = "x"}
// CHECK-SAME: tensor<3x4xf32> {flops.name = "fc.weight", flops.param}
// CHECK-SAME: tensor<3xf32> {flops.name = "fc.bias", flops.param}
// CHECK-SAME: -> (tensor<?x3xf32> {flops.name = "y"})
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: linalg.generic {indexing_maps = [{{.*}}, #[[BIAS]], {{.*}}]

// TRAIN: func.func @train_step

/// x = [[1, 0, 0, 0], [0, 1, 2, 3]], W = arange(12)/10 as 3x4, b = [0.5, -0.5, 1].
// EXEC-LABEL: y: tensor<2x3xf32>
// EXEC-NEXT: 0.5 -0.{{0999999|1}}{{[0-9]*}} 1.8
// EXEC-NEXT: 1.9 3.3 7.2
