// flops-lift-params round trip: a model with frozen weights (float
// constants, as exporters write them) gives the same outputs, bit for bit,
// as the lifted model run with the written safetensors; the lifted forward
// enters flops-forward-train directly.
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-run %S/Inputs/gen-linear-data.mlir --output %t/x.npy
// RUN: flops-run %s --input %t/x.npy --output %t/y0.npy --print | FileCheck %s --check-prefix=OUT
// RUN: flops-lift-params %s -o %t/lifted.mlir --params %t/p.safetensors --min-elements 2 2>&1 | FileCheck %s --check-prefix=NOTE
// RUN: FileCheck %s --check-prefix=IR < %t/lifted.mlir
// RUN: flops-run %t/lifted.mlir --input %t/x.npy --params %t/p.safetensors --output %t/y1.npy --print | FileCheck %s --check-prefix=OUT
// RUN: cmp %t/y0.npy %t/y1.npy
// RUN: flops-opt %t/lifted.mlir --pass-pipeline="builtin.module(flops-forward-train{batch-size=4})" | FileCheck %s --check-prefix=TRAIN
// The default threshold (16 elements) keeps the small constants frozen:
// RUN: flops-lift-params %s -o %t/big.mlir --params %t/big.safetensors 2>&1 | FileCheck %s --check-prefix=BIG
// RUN: not flops-lift-params %s -o %t/e.mlir --params %t/e.safetensors --entry nope 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not flops-lift-params %s -o %t/e.mlir --params %t/e.safetensors --min-elements 0 2>&1 | FileCheck %s --check-prefix=MIN

// OUT: output0: tensor<4x2xf32>
// NOTE: flops-lift-params: 4 constant(s) of @forward lifted into {{.*}}p.safetensors
// IR-LABEL: func.func @forward(
// IR-SAME: %{{.*}}: tensor<?x3xf32>,
// IR-SAME: tensor<3x5xf32> {flops.name = "param0", flops.param}
// IR-SAME: tensor<5xf32> {flops.name = "param1", flops.param}
// IR-SAME: tensor<5x2xf32> {flops.name = "param2", flops.param}
// IR-SAME: tensor<2xf32> {flops.name = "param3", flops.param}
// IR-NOT: dense<
// TRAIN: func.func @train_step(
// TRAIN-SAME: flops.name = "param0", flops.role = "param"
// BIG: flops-lift-params: 0 constant(s) of @forward lifted
// ENTRY: flops-lift-params: error: {{.*}}: no function @nope with a body
// MIN: error: {{.*}}--min-elements must be >= 1, got 0

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %w1 = arith.constant dense<[[0.25, -0.5, 1.0, 0.125, -0.75],
                              [1.5, 0.3, -0.2, 0.7, 0.1],
                              [-1.1, 0.6, 0.9, -0.4, 0.05]]> : tensor<3x5xf32>
  %b1 = arith.constant dense<[0.1, -0.2, 0.3, -0.4, 0.5]> : tensor<5xf32>
  %w2 = arith.constant dense<[[0.2, -0.3], [0.4, 0.1], [-0.6, 0.7],
                              [0.8, -0.9], [0.05, 0.15]]> : tensor<5x2xf32>
  %b2 = arith.constant dense<[0.01, -0.02]> : tensor<2xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %e1 = tensor.empty(%n) : tensor<?x5xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<?x3xf32>, tensor<3x5xf32>) outs(%z1 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %u = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<?x5xf32>, tensor<5xf32>) outs(%e1 : tensor<?x5xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<?x5xf32>
  %h = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u : tensor<?x5xf32>) outs(%e1 : tensor<?x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x5xf32>
  %e2 = tensor.empty(%n) : tensor<?x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %m2 = linalg.matmul ins(%h, %w2 : tensor<?x5xf32>, tensor<5x2xf32>) outs(%z2 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<?x2xf32>, tensor<2xf32>) outs(%e2 : tensor<?x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
