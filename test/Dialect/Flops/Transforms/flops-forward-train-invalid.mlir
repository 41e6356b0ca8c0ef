// RUN: flops-opt %s -split-input-file -verify-diagnostics --pass-pipeline="builtin.module(flops-forward-train)"

/// Diagnostics that need an option: every chunk runs, the check is pinned to
/// the line of the chunk written for it.
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{loss=mse})" 2>&1 | FileCheck %s --check-prefix=MSE
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{loss=user})" 2>&1 | FileCheck %s --check-prefix=USER

/// Bad option values are reported on the module before anything else (every
/// chunk reports them).
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{queries=0})" 2>&1 | FileCheck %s --check-prefix=OPT-QUERIES
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{queries=3})" 2>&1 | FileCheck %s --check-prefix=OPT-ODD
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{batch-size=-1})" 2>&1 | FileCheck %s --check-prefix=OPT-BSZ
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{loss=foo})" 2>&1 | FileCheck %s --check-prefix=OPT-LOSS
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{baseline=foo})" 2>&1 | FileCheck %s --check-prefix=OPT-BASELINE
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{optimizer=foo})" 2>&1 | FileCheck %s --check-prefix=OPT-OPTIMIZER
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{perturb-last=-1})" 2>&1 | FileCheck %s --check-prefix=OPT-LAST
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{sigma=0})" 2>&1 | FileCheck %s --check-prefix=OPT-SIGMA
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{perturb-last=1 sites=fc})" 2>&1 | FileCheck %s --check-prefix=OPT-SITES-BOTH
// RUN: not flops-opt %S/flops-forward-train.mlir --pass-pipeline="builtin.module(flops-forward-train{sites=nope})" 2>&1 | FileCheck %s --check-prefix=OPT-SITES-NONE
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{beta1=1})" 2>&1 | FileCheck %s --check-prefix=OPT-BETA
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{beta2=-0.5})" 2>&1 | FileCheck %s --check-prefix=OPT-BETA
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{epsilon=0})" 2>&1 | FileCheck %s --check-prefix=OPT-EPS
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{momentum=1})" 2>&1 | FileCheck %s --check-prefix=OPT-MOMENTUM
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{clip-norm=-1})" 2>&1 | FileCheck %s --check-prefix=OPT-CLIP
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{allocator=foo})" 2>&1 | FileCheck %s --check-prefix=OPT-ALLOC
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{weighting=foo})" 2>&1 | FileCheck %s --check-prefix=OPT-WEIGHTING
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{estimator=foo})" 2>&1 | FileCheck %s --check-prefix=OPT-ESTIMATOR
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{estimator=spsa allocator=gaussian})" 2>&1 | FileCheck %s --check-prefix=OPT-SPSA-ALLOC
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{estimator=spsa weighting=row-mean})" 2>&1 | FileCheck %s --check-prefix=OPT-SPSA-WEIGHTING
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{estimator=spsa baseline=none})" 2>&1 | FileCheck %s --check-prefix=OPT-SPSA-BASELINE
// RUN: not flops-opt %S/flops-forward-train.mlir --pass-pipeline="builtin.module(flops-forward-train{estimator=spsa antithetic=false queries=3 point-prefix=false})" 2>&1 | FileCheck %s --check-prefix=OPT-SPSA-ROWS
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{estimator=es allocator=neyman neyman-points=4})" 2>&1 | FileCheck %s --check-prefix=OPT-ES-ALLOC
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{perturb=foo})" 2>&1 | FileCheck %s --check-prefix=OPT-PERTURB
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{estimator=spsa perturb=layer-wise})" 2>&1 | FileCheck %s --check-prefix=OPT-PERTURB-SPSA
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{budget=-8})" 2>&1 | FileCheck %s --check-prefix=OPT-BUDGET
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{budget=9})" 2>&1 | FileCheck %s --check-prefix=OPT-BUDGET-ODD
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{min-queries=-1})" 2>&1 | FileCheck %s --check-prefix=OPT-MINQ
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{min-queries=3})" 2>&1 | FileCheck %s --check-prefix=OPT-MINQ-ODD
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{allocator=neyman neyman-points=4 min-queries=0})" 2>&1 | FileCheck %s --check-prefix=OPT-NEYMAN-MINQ
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{allocator=gaussian min-queries=0})" 2>&1 | FileCheck %s --check-prefix=OPT-GAUSSIAN-MINQ
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{bernoulli-p=1.5})" 2>&1 | FileCheck %s --check-prefix=OPT-BERNOULLI-P
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{bernoulli-p-late=-0.1})" 2>&1 | FileCheck %s --check-prefix=OPT-BERNOULLI-P
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{bernoulli-switch-step=-1})" 2>&1 | FileCheck %s --check-prefix=OPT-BERNOULLI-SWITCH
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{gaussian-lr=0})" 2>&1 | FileCheck %s --check-prefix=OPT-GAUSSIAN-LR
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{gaussian-jitter=-1})" 2>&1 | FileCheck %s --check-prefix=OPT-GAUSSIAN-LR
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{gaussian-baseline-decay=1})" 2>&1 | FileCheck %s --check-prefix=OPT-GAUSSIAN-DECAY
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{allocator=neyman})" 2>&1 | FileCheck %s --check-prefix=OPT-NEYMAN-POINTS
// RUN: not flops-opt %s -split-input-file --pass-pipeline="builtin.module(flops-forward-train{neyman-kappa=-1})" 2>&1 | FileCheck %s --check-prefix=OPT-NEYMAN-KAPPA

/// The budget is checked once the batch is known (B = 4 in the module of
/// flops-forward-train.mlir): a positive multiple of B, room for min-queries
/// per point.
// RUN: not flops-opt %S/flops-forward-train.mlir --pass-pipeline="builtin.module(flops-forward-train{budget=6})" 2>&1 | FileCheck %s --check-prefix=BUDGET-MULTIPLE
// RUN: not flops-opt %S/flops-forward-train.mlir --pass-pipeline="builtin.module(flops-forward-train{budget=2})" 2>&1 | FileCheck %s --check-prefix=BUDGET-SMALL
// RUN: not flops-opt %S/flops-forward-train.mlir --pass-pipeline="builtin.module(flops-forward-train{budget=8 min-queries=4})" 2>&1 | FileCheck %s --check-prefix=BUDGET-MINQ

// OPT-QUERIES: error: flops-forward-train: queries must be >= 1, got 0
// OPT-ODD: error: flops-forward-train: queries must be even with antithetic pairs, got 3
// OPT-BSZ: error: flops-forward-train: batch-size must be >= 0, got -1
// OPT-LOSS: error: flops-forward-train: loss must be cross-entropy, mse or user, got 'foo'
// OPT-BASELINE: error: flops-forward-train: baseline must be none, batch-mean or clean, got 'foo'
// OPT-OPTIMIZER: error: flops-forward-train: optimizer must be adam or sgd, got 'foo'
// OPT-LAST: error: flops-forward-train: perturb-last must be >= 0, got -1
// OPT-SITES-BOTH: error: flops-forward-train: perturb-last and sites select sites in two ways; give one
// OPT-SITES-NONE: error: flops-forward-train: no site reads a parameter whose name contains one of sites=nope; the sites read: 0: {{.*}}
// OPT-SIGMA: error: flops-forward-train: sigma must be > 0, got 0.000000
// OPT-BETA: error: flops-forward-train: beta1 and beta2 must be in [0, 1)
// OPT-EPS: error: flops-forward-train: epsilon must be > 0
// OPT-MOMENTUM: error: flops-forward-train: momentum must be in [0, 1)
// OPT-CLIP: error: flops-forward-train: clip-norm must be >= 0, got -1.000000
// OPT-ALLOC: error: flops-forward-train: allocator must be uniform, bernoulli, gaussian or neyman, got 'foo'
// OPT-WEIGHTING: error: flops-forward-train: weighting must be per-point or row-mean, got 'foo'
// OPT-ESTIMATOR: error: flops-forward-train: estimator must be one of lr, spsa, es, got 'foo'
// OPT-SPSA-ALLOC: error: flops-forward-train: estimator=spsa perturbs the weights, shared by all points of the batch: it has no per-point allocation (allocator must be uniform, got 'gaussian')
// OPT-SPSA-WEIGHTING: error: flops-forward-train: estimator=spsa has no row weights (weighting=row-mean has no effect; leave the default)
// OPT-SPSA-BASELINE: error: flops-forward-train: estimator=spsa takes a central difference, which needs no baseline (baseline=none has no effect)
// OPT-SPSA-ROWS: error: flops-forward-train: estimator=spsa evaluates 2 forwards of the batch per direction: the rows per step ({{[0-9]+}}) must be a multiple of {{[0-9]+}}
// OPT-ES-ALLOC: error: flops-forward-train: estimator=es has no per-row variance proxy for the neyman allocator (allocator must be uniform or bernoulli)
// OPT-PERTURB: error: flops-forward-train: perturb must be all or layer-wise, got 'foo'
// OPT-PERTURB-SPSA: error: flops-forward-train: perturb=layer-wise selects the noise sites of estimator=lr; estimator=spsa perturbs the weights
// OPT-BUDGET: error: flops-forward-train: budget must be >= 0, got -8
// OPT-BUDGET-ODD: error: flops-forward-train: budget must be even with antithetic pairs, got 9
// OPT-MINQ: error: flops-forward-train: min-queries must be >= 0, got -1
// OPT-MINQ-ODD: error: flops-forward-train: min-queries must be even with antithetic pairs, got 3
// OPT-NEYMAN-MINQ: error: flops-forward-train: the neyman allocator needs min-queries >= 1
/// V-hat needs a query on every point (a Gaussian draw can give a point none
/// when A_min = 0).
// OPT-GAUSSIAN-MINQ: error: flops-forward-train: the gaussian allocator needs min-queries >= 1
// OPT-BERNOULLI-P: error: flops-forward-train: bernoulli-p and bernoulli-p-late must be in [0, 1]
// OPT-BERNOULLI-SWITCH: error: flops-forward-train: bernoulli-switch-step must be >= 0
// OPT-GAUSSIAN-LR: error: flops-forward-train: gaussian-lr and gaussian-jitter must be > 0
// OPT-GAUSSIAN-DECAY: error: flops-forward-train: gaussian-baseline-decay must be in [0, 1)
// OPT-NEYMAN-POINTS: error: flops-forward-train: the neyman allocator needs neyman-points (the number of training points) >= 1
// OPT-NEYMAN-KAPPA: error: flops-forward-train: neyman-kappa must be >= 0
// BUDGET-MULTIPLE: flops-forward-train.mlir:{{[0-9]+}}:{{[0-9]+}}: error: flops-forward-train: budget 6 is not a positive multiple of the batch size 4 (rows are processed in chunks of one batch)
// BUDGET-SMALL: error: flops-forward-train: budget 2 is not a positive multiple of the batch size 4 (rows are processed in chunks of one batch)
// BUDGET-MINQ: error: flops-forward-train: budget 8 cannot give 4 queries to each of 4 points

/// No argument is marked flops.param: nothing to train.
// expected-error @below {{the forward function has no parameters: mark the trainable arguments with the `flops.param` attribute}}
func.func @forward(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}

// -----

/// Every argument is a parameter: no data, hence no batch.
// expected-error @below {{the forward function has no data argument}}
func.func @forward(%w: tensor<4x3xf32> {flops.param}) -> tensor<4x3xf32> {
  return %w : tensor<4x3xf32>
}

// -----

/// The state of a parameter has a static shape.
// expected-error @below {{parameter w must be a statically shaped float tensor, got 'tensor<?x3xf32>'}}
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<?x3xf32> {flops.param, flops.name = "w"}) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}

// -----

/// ... and a float element type.
// expected-error @below {{parameter #1 must be a statically shaped float tensor, got 'tensor<3xi32>'}}
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xi32> {flops.param}) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}

// -----

/// A declaration cannot be differentiated.
// expected-error @below {{the forward function has no body}}
func.func private @forward(tensor<4x3xf32>, tensor<3xf32> {flops.param}) -> tensor<4x3xf32>

// -----

/// Unstructured control flow is not analysed.
// expected-error @below {{the forward function must have a single block (structured control flow only)}}
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  cf.br ^bb1
^bb1:
  return %x : tensor<4x3xf32>
}

// -----

/// Data arguments carry the batch in dimension 0.
// expected-error @below {{data argument #0 must be a ranked tensor with the batch in dimension 0, got 'f32'}}
func.func @forward(%x: f32, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  return %e : tensor<4x3xf32>
}

// -----

/// So do the results (reported on the return).
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> f32 {
  %z = arith.constant 0.0 : f32
  // expected-error @below {{result #0 must be a ranked tensor with the batch in dimension 0, got 'f32'}}
  return %z : f32
}

// -----

/// Two data arguments with different batches.
// expected-error @below {{batch dimensions disagree: data argument y has 5 rows, earlier data had 4}}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<5x3xf32> {flops.name = "y"}, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}

// -----

/// A result whose batch is not the data's.
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> tensor<5x3xf32> {
  %r = tensor.empty() : tensor<5x3xf32>
  // expected-error @below {{batch dimensions disagree: result #0 has 5 rows, earlier data had 4}}
  return %r : tensor<5x3xf32>
}

// -----

/// A site whose dimension 0 is not the batch (the batch merged with tokens
/// before a parametric op) that is not a linalg.generic: parametric generics
/// are rewritten to compute batch-first (flops-forward-train-batch-first.mlir),
/// named ops are not.
func.func @forward(%x: tensor<4x3x2xf32>, %w: tensor<2x2xf32> {flops.param}) -> tensor<4x3x2xf32> {
  %f = tensor.collapse_shape %x [[0, 1], [2]] : tensor<4x3x2xf32> into tensor<12x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x2xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<12x2xf32>) -> tensor<12x2xf32>
  // expected-error @below {{batch dimensions disagree: this perturbation site has 12 rows in dimension 0, the forward's batch is 4 (sites must keep the batch in dimension 0)}}
  %u = linalg.matmul ins(%f, %w : tensor<12x2xf32>, tensor<2x2xf32>) outs(%i : tensor<12x2xf32>) -> tensor<12x2xf32>
  %r = tensor.expand_shape %u [[0, 1], [2]] output_shape [4, 3, 2] : tensor<12x2xf32> into tensor<4x3x2xf32>
  return %r : tensor<4x3x2xf32>
}

// -----

/// linalg.transpose has no estimator rule.
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<2x3xf32> {flops.param, flops.name = "fc.weight"}) -> tensor<4x2xf32> {
  %e = tensor.empty() : tensor<3x2xf32>
  // expected-error @below {{parameter fc.weight is used by 'linalg.transpose', which has no estimator rule (supported: linalg contractions and convolutions, elementwise linalg.generic ops)}}
  %t = linalg.transpose ins(%w : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
  %m = linalg.matmul ins(%x, %t : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}

// -----

/// Neither has tensor.extract (not a destination-style op at all).
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  %c0 = arith.constant 0 : index
  // expected-error @below {{parameter #1 is used by 'tensor.extract', which has no estimator rule}}
  %s = tensor.extract %w[%c0] : tensor<3xf32>
  return %x : tensor<4x3xf32>
}

// -----

/// A parameter as the accumulator of a matmul is written, not read.
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3x2xf32> {flops.param}, %acc: tensor<4x2xf32> {flops.param}) -> tensor<4x2xf32> {
  // expected-error @below {{parameter #2 is used as an output (init) operand}}
  %m = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}

// -----

/// Sites are found in the forward's own block only.
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3x2xf32> {flops.param}) -> tensor<4x2xf32> {
  %r = scf.execute_region -> tensor<4x2xf32> {
    %zero = arith.constant 0.0 : f32
    %eo = tensor.empty() : tensor<4x2xf32>
    %z = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
    // expected-error @below {{parameter #1 is used inside a nested region}}
    %m = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
    scf.yield %m : tensor<4x2xf32>
  }
  return %r : tensor<4x2xf32>
}

// -----

/// exp(b) is not affine in b: no elementwise estimate.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.generic' depends on the input through 'math.exp', which is not affine (only addf, subf, mulf, divf, negf)}}
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %ep = math.exp %p : f32
    %s = arith.addf %a, %ep : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// b * b is quadratic in b.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.generic' is not linear in the input ('arith.mulf' of two dependent values)}}
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %pp = arith.mulf %p, %p : f32
    %s = arith.addf %a, %pp : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// x / b is not linear in b.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.generic' divides by a value that depends on the input}}
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %s = arith.divf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// A max-reduction over (x + b) is neither a contraction nor elementwise.
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.generic' has a body that is not a multiply-accumulate (out + a * b, with optional float casts)}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %s = arith.addf %a, %p : f32
    %m = arith.maximumf %o, %s : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

/// An elementwise op reading the diagonal of w: (d1, d1) is not a
/// (broadcast) permutation.
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3x3xf32> {flops.param}) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.generic' reads its operands through maps that are not (broadcast) permutations}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %w : tensor<4x3xf32>, tensor<3x3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %s = arith.addf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// The convolution reads its image through d2 * 2 + d5 (not a projected
/// permutation): an image-shaped parameter cannot be estimated, only a
/// kernel can.
func.func @forward(%k: tensor<4x1x3x3xf32>, %img: tensor<4x1x5x5xf32> {flops.param}) -> tensor<4x4x2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4x2x2xf32>) -> tensor<4x4x2x2xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.conv_2d_nchw_fchw' reads input #0 through a non-projected map (e.g. a strided convolution input); only its other input can be estimated}}
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %k : tensor<4x1x5x5xf32>, tensor<4x1x3x3xf32>) outs(%z : tensor<4x4x2x2xf32>) -> tensor<4x4x2x2xf32>
  return %c : tensor<4x4x2x2xf32>
}

// -----

/// The bilinear rule needs float operands on both sides.
func.func @forward(%x: tensor<4x3xi32>, %w: tensor<3x2xf32> {flops.param}) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.matmul' has non-float operands}}
  %m = linalg.matmul ins(%x, %w : tensor<4x3xi32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}

// -----

/// A site of rank 1 has rows but no units to put noise on.
func.func @forward(%x: tensor<4xf32>, %s: tensor<f32> {flops.param}) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @below {{a perturbation site needs rank >= 2 (rows x units), got 'tensor<4xf32>'}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x, %s : tensor<4xf32>, tensor<f32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %m = arith.mulf %a, %p : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

/// A parameter that nothing reads gives no site.
// expected-error @below {{no perturbation site: no parameter feeds a contraction or an elementwise op}}
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}

// -----

/// A dynamic batch needs batch-size to fix N = B * queries.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
// expected-error @below {{the forward's batch is dynamic: set the batch-size option}}
func.func @forward(%x: tensor<?x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<?x3xf32> {
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<?x3xf32>, tensor<3xf32>) outs(%x : tensor<?x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %s = arith.addf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

/// Cross-entropy reads rows x classes logits, not a rank-3 result.
#ew = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias = affine_map<(d0, d1, d2) -> (d2)>
// expected-error @below {{loss=cross-entropy needs one result of rank 2 (rows x classes), got 'tensor<4x2x3xf32>'}}
func.func @forward(%x: tensor<4x2x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x2x3xf32> {
  %e = tensor.empty() : tensor<4x2x3xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %b : tensor<4x2x3xf32>, tensor<3xf32>) outs(%e : tensor<4x2x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %s = arith.addf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x2x3xf32>
  return %y : tensor<4x2x3xf32>
}

// -----

/// The built-in losses read one result: cross-entropy (default) and mse both
/// refuse two.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
// expected-error @+2 {{loss=cross-entropy needs one result of rank 2 (rows x classes), got 'tensor<4x3xf32>'}}
// MSE: flops-forward-train-invalid.mlir:[[@LINE+1]]:1: error: loss=mse needs one result with static non-batch dimensions, got 'tensor<4x3xf32>'
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %e = tensor.empty() : tensor<4x3xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %s = arith.addf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %y, %x : tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

/// Valid with cross-entropy (dynamic classes); mse needs the per-row element
/// count statically.
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
// MSE: flops-forward-train-invalid.mlir:[[@LINE+1]]:1: error: loss=mse needs one result with static non-batch dimensions, got 'tensor<4x?xf32>'
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x?xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %s = arith.addf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  %yc = tensor.cast %y : tensor<4x3xf32> to tensor<4x?xf32>
  return %yc : tensor<4x?xf32>
}

// -----

/// loss=user without a @loss function (reported on the module).
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
// USER: flops-forward-train-invalid.mlir:[[@LINE+1]]:1: error: loss=user needs a function @loss(outputs..., labels) -> tensor<?xf32>
module {
  func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
    %e = tensor.empty() : tensor<4x3xf32>
    %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
        ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
    ^bb0(%a: f32, %p: f32, %o: f32):
      %s = arith.addf %a, %p : f32
      linalg.yield %s : f32
    } -> tensor<4x3xf32>
    return %y : tensor<4x3xf32>
  }
}

// -----

/// loss=user with a @loss that does not take (outputs..., labels).
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
// USER: flops-forward-train-invalid.mlir:[[@LINE+1]]:1: error: loss=user needs a function @loss(outputs..., labels) -> tensor<?xf32>
module {
  func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
    %e = tensor.empty() : tensor<4x3xf32>
    %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
        ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
    ^bb0(%a: f32, %p: f32, %o: f32):
      %s = arith.addf %a, %p : f32
      linalg.yield %s : f32
    } -> tensor<4x3xf32>
    return %y : tensor<4x3xf32>
  }
  func.func @loss(%y: tensor<?x3xf32>) -> tensor<?xf32> {
    %c0 = arith.constant 0 : index
    %n = tensor.dim %y, %c0 : tensor<?x3xf32>
    %e = tensor.empty(%n) : tensor<?xf32>
    return %e : tensor<?xf32>
  }
}

// -----

/// A definition of a function the pass would build is not overwritten
/// (a declaration would be replaced).
// expected-error @below {{flops-forward-train: the module already has a @train_step function}}
module {
  func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
    return %x : tensor<4x3xf32>
  }
  func.func @train_step() {
    return
  }
}

// -----

/// Nor is a symbol of another kind with one of those names.
// expected-error @below {{flops-forward-train: the module already has a @eval_step function}}
module {
  func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
    return %x : tensor<4x3xf32>
  }
  memref.global "private" @eval_step : memref<f32>
}

// -----

/// No function named like `entry` (default @forward).
// expected-error @below {{flops-forward-train: no function @forward}}
module {
  func.func @model(%x: tensor<4x3xf32>, %w: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
    return %x : tensor<4x3xf32>
  }
}

// -----

/// A weight read at a constant index of a dimension trains (the GRU/LSTM
/// import reads W [1, G*H, I] at (0, n, k)), but one read at an offset, as
/// the GRU import with linear_before_reset = 0 reads R's candidate rows at
/// (0, n + 2H, k), has no rule yet.
#ox = affine_map<(b, n, k) -> (b, k)>
#ow = affine_map<(b, n, k) -> (0, n + 2, k)>
#oo = affine_map<(b, n, k) -> (b, n)>
func.func @forward(%x: tensor<4x3xf32>, %r: tensor<1x4x3xf32> {flops.param, flops.name = "gru.R"}) -> tensor<4x2xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  // expected-error @below {{cannot estimate the gradient of parameter gru.R: 'linalg.generic' reads input #1 through a non-projected map (e.g. a strided convolution input); only its other input can be estimated}}
  %y = linalg.generic {indexing_maps = [#ox, #ow, #oo], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %r : tensor<4x3xf32>, tensor<1x4x3xf32>) outs(%f : tensor<4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
