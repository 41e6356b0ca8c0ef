// RUN: flops-run %S/Inputs/gen-linear-data.mlir --output %t.x.npy
// RUN: not flops-run %S/Inputs/static-batch-2.mlir --input %t.x.npy --print 2>&1 | FileCheck %s --check-prefix=STATIC
// RUN: not flops-run %S/Inputs/identity-2.mlir --input %t.x.npy --print 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not flops-run %s --print 2>&1 | FileCheck %s --check-prefix=NOINPUT
// RUN: not flops-run %s --input %t.x.npy --params %t.x.npy --print 2>&1 | FileCheck %s --check-prefix=NOTST
// RUN: flops-run %S/Inputs/gen-linear-data.mlir --output %t.wrong.safetensors
// RUN: not flops-run %s --input %t.x.npy --params %t.wrong.safetensors --print 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not flops-run %s --input %t.x.npy --output %t.a.npy --output %t.b.npy 2>&1 | FileCheck %s --check-prefix=OUTPUTS
// RUN: not flops-run %s --input %t.x.npy 2>&1 | FileCheck %s --check-prefix=NOTHING
// RUN: not flops-run %s --input %t.x.npy --print --init foo 2>&1 | FileCheck %s --check-prefix=INIT
// RUN: not flops-run %s --input %t.x.npy --print --entry main 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not flops-run %t.does-not-exist.mlir --print 2>&1 | FileCheck %s --check-prefix=NOFILE

/// flops-run's errors: each is one line on stderr and a non-zero exit.

// STATIC: flops-run: error: {{.*}}.x.npy has 4 rows but @forward has a static batch of 2 (argument 0: tensor<2x3xf32>)
// ROWS: flops-run: error: {{.*}}.x.npy has rows of 3 (3 values); @forward expects rows of 2 (2 values): argument 0 is tensor<?x2xf32>
// NOINPUT: flops-run: error: @forward takes 1 data input (tensor<?x3xf32>), got 0 --input
// NOTST: flops-run: error: {{.*}}.x.npy: corrupt safetensors file
// MISSING: flops-run: error: {{.*}}.wrong.safetensors: no tensor 'fc.weight' (the model's parameter tensor<3x2xf32>)
// OUTPUTS: flops-run: error: @forward returns 1 result; give one --output .npy per result, or a single .safetensors file
// NOTHING: flops-run: error: nothing to do: give --output (or --print)
// INIT: flops-run: error: --init: unknown initialiser "foo"
// ENTRY: flops-run: error: {{.*}}flops-run-errors.mlir: no function @main to run
// NOFILE: flops-run: error: cannot open '{{.*}}does-not-exist.mlir': No such file or directory

func.func @forward(%x: tensor<?x3xf32>,
                   %w: tensor<3x2xf32> {flops.param, flops.name = "fc.weight"}) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %m = linalg.matmul ins(%x, %w : tensor<?x3xf32>, tensor<3x2xf32>) outs(%z : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %m : tensor<?x2xf32>
}
