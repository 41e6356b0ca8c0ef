// RUN: not flops-train %t.does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: echo 'func.func @forward(' > %t.bad.mlir
// RUN: not flops-train %t.bad.mlir 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not flops-train %S/Inputs/mlp-small.mlir --entry nothere 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not flops-train %S/Inputs/noparams.mlir 2>&1 | FileCheck %s --check-prefix=NOPARAMS
// RUN: not flops-train %s 2>&1 | FileCheck %s --check-prefix=RULE
// RUN: not flops-train %S/Inputs/linear-100.mlir --limit-train 64 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not flops-train %S/Inputs/mlp-small.mlir --optimizer foo 2>&1 | FileCheck %s --check-prefix=OPTIMIZER
// RUN: not flops-train %S/Inputs/mlp-small.mlir --queries 3 2>&1 | FileCheck %s --check-prefix=QUERIES
// RUN: not flops-train %S/Inputs/mlp-small.mlir --queries abc 2>&1 | FileCheck %s --check-prefix=NUMBER
// RUN: not flops-train %S/Inputs/mlp-small.mlir --pipeline fast 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not flops-train %S/Inputs/mlp-small.mlir --init foo 2>&1 | FileCheck %s --check-prefix=INIT
// RUN: not flops-train %S/Inputs/mlp-small.mlir --lr -1 2>&1 | FileCheck %s --check-prefix=LR
// RUN: not flops-train %S/Inputs/mlp-small.mlir --train-npy %t.x.npy 2>&1 | FileCheck %s --check-prefix=LABELS
// RUN: not flops-train %S/Inputs/mlp-small.mlir --data-dir %t.nowhere 2>&1 | FileCheck %s --check-prefix=DATADIR
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 64 --cpu-options bogus=1 2>&1 | FileCheck %s --check-prefix=CPUOPTS

/// flops-train's errors before any training: a message on stderr (with
/// the pass's diagnostics and their locations where there are some) and a
/// non-zero exit, never a crash.

// NOFILE: flops-train: error: cannot open '{{.*}}does-not-exist.mlir': No such file or directory
// PARSE: flops-train: error: cannot parse '{{.*}}.bad.mlir':
// PARSE-NEXT: {{.*}}.bad.mlir:1:20: error: expected non-function type
// ENTRY: flops-train: error: {{.*}}mlp-small.mlir: no function @nothere to train
// NOPARAMS: flops-train: error: flops-forward-train failed on {{.*}}noparams.mlir:
// NOPARAMS-NEXT: noparams.mlir:2:1: error: the forward function has no parameters
// RULE: flops-train: error: flops-forward-train failed on {{.*}}flops-train-errors.mlir:
// RULE-NEXT: flops-train-errors.mlir:[[@LINE+25]]:8: error: cannot estimate the gradient of parameter fc.bias
// SHAPE: flops-train: error: {{.*}}train-images-idx3-ubyte{{.*}}: the training inputs have rows of 28x28 (784 values); the model expects rows of 100 (100 values): input 'input0' of @train_step is tensor<64x100xf32>
// OPTIMIZER: flops-train: error: flops-forward-train failed on
// OPTIMIZER-NEXT: error: flops-forward-train: optimizer must be adam or sgd, got 'foo'
// QUERIES: error: flops-forward-train: queries must be even with antithetic pairs, got 3
// NUMBER: flops-train: for the --queries option: 'abc' value invalid
// PIPELINE: flops-train: for the --pipeline option: Cannot find option named 'fast'!
// INIT: flops-train: error: --init: unknown initialiser "foo"
// LR: flops-train: error: --lr must be a positive number, got -1
// LABELS: flops-train: error: --train-npy needs --train-labels (the labels)
// DATADIR: flops-train: error: {{.*}}nowhere/train-images-idx3-ubyte.gz: Fashion-MNIST file not found
// CPUOPTS: flops-train: error: invalid pass pipeline 'builtin.module(flops-lower-to-cpu{{.*}} bogus=1})'

/// A bias added after a non-affine op: the pass has no estimator rule.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<?x784xf32>,
                   %w: tensor<784x10xf32> {flops.param, flops.name = "fc.weight"},
                   %b: tensor<10xf32> {flops.param, flops.name = "fc.bias"}) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %e = tensor.empty(%n) : tensor<?x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x10xf32>) -> tensor<?x10xf32>
  %m = linalg.matmul ins(%x, %w : tensor<?x784xf32>, tensor<784x10xf32>) outs(%z : tensor<?x10xf32>) -> tensor<?x10xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<?x10xf32>, tensor<10xf32>) outs(%e : tensor<?x10xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}
