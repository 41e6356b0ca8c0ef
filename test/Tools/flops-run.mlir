// RUN: flops-run %S/Inputs/gen-linear-data.mlir --output %t.x.npy
// RUN: flops-run %S/Inputs/gen-linear-params.mlir --output %t.p.safetensors
// RUN: flops-run %s --input %t.x.npy --params %t.p.safetensors --output %t.y.npy --print | FileCheck %s
// RUN: flops-run %s --input %t.x.npy --params %t.p.safetensors --output %t.y2.npy --print --pipeline reference | FileCheck %s
// RUN: flops-run %S/Inputs/identity-2.mlir --input %t.y.npy --print | FileCheck %s --check-prefix=READBACK
// RUN: flops-run %S/Inputs/identity-2.mlir --input %t.y2.npy --print | FileCheck %s --check-prefix=READBACK

/// flops-run compiles @forward alone and runs it on .npy inputs. The data
/// and the parameters are written by flops-run itself from constant
/// "models" (Inputs/gen-linear-*.mlir): x[i] = (i, i - 0.5, i - 1),
/// W = [[1, 0], [0, 2], [1, -1]], b = (0.5, -0.25), so row i of
/// y = x W + b is (2i - 0.5, i - 0.25). The dynamic batch takes the 4 rows
/// of x. Both lowering pipelines (cpu with out-params, reference with
/// returned results) give these values, and the written y.npy reads back
/// unchanged.

// CHECK:      output0: tensor<4x2xf32>
// CHECK-NEXT: -0.5 -0.25
// CHECK-NEXT: 1.5 0.75
// CHECK-NEXT: 3.5 1.75
// CHECK-NEXT: 5.5 2.75

// READBACK:      output0: tensor<4x2xf32>
// READBACK-NEXT: -0.5 -0.25
// READBACK-NEXT: 1.5 0.75
// READBACK-NEXT: 3.5 1.75
// READBACK-NEXT: 5.5 2.75

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: tensor<?x3xf32>,
                   %w: tensor<3x2xf32> {flops.param, flops.name = "fc.weight"},
                   %b: tensor<2xf32> {flops.param, flops.name = "fc.bias"}) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %m = linalg.matmul ins(%x, %w : tensor<?x3xf32>, tensor<3x2xf32>) outs(%z : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<?x2xf32>, tensor<2xf32>) outs(%e : tensor<?x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
