// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{point-prefix=false})" | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train)" | FileCheck %s --check-prefix=POINT
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{queries=2})" | FileCheck %s --check-prefix=QUERIES
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{antithetic=false})" | FileCheck %s --check-prefix=NOANTI --implicit-check-not=antithetic --implicit-check-not=pairs
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{loss=mse})" | FileCheck %s --check-prefix=MSE
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{loss=user point-prefix=false})" | FileCheck %s --check-prefix=USER
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{baseline=none})" | FileCheck %s --check-prefix=BNONE
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{baseline=batch-mean})" | FileCheck %s --check-prefix=BMEAN
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{perturb-last=1})" | FileCheck %s --check-prefix=LAST
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{sites=fc2.})" | FileCheck %s --check-prefix=LAST
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{sites=nothing,fc2.bias})" | FileCheck %s --check-prefix=LAST
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{freeze-sigma=true point-prefix=false})" | FileCheck %s --check-prefix=FREEZE --implicit-check-not=flops.log_sigma_grad --implicit-check-not=log_sigma_adam
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{optimizer=sgd point-prefix=false})" | FileCheck %s --check-prefix=SGD --implicit-check-not=adam_ --implicit-check-not=math.powf
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{clip-norm=1.0 point-prefix=false})" | FileCheck %s --check-prefix=CLIP
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{suffix=_v2})" | FileCheck %s --check-prefix=SUFFIX --implicit-check-not="@train_step(" --implicit-check-not="@eval_step(" --implicit-check-not="@forward_rows(" --implicit-check-not="func.func private @train_step_v2"
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=forward_dyn batch-size=4 point-prefix=false})" | FileCheck %s --check-prefix=DYN
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=conv_forward point-prefix=false})" | FileCheck %s --check-prefix=CONV
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=token_forward point-prefix=false})" | FileCheck %s --check-prefix=TOKEN
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=negative_shared_product point-prefix=false})" | FileCheck %s --check-prefix=NEG
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=padded_conv_forward batch-size=4 loss=mse})" | FileCheck %s --check-prefix=PADCONV
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=merged_batch_forward loss=mse})" | FileCheck %s --check-prefix=MERGED --implicit-check-not=flops.scatter_add --implicit-check-not=@merged_batch_forward_points

/// One module, several forward functions: each RUN line builds the step of
/// one of them (`entry`) with one option changed; the other functions are
/// left alone.

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch3 = affine_map<(d0, d1, d2) -> (d2)>
#x4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d1)>

/// A 3-5-2 MLP, static batch of 4: two sites (fc1 and fc2 after their
/// biases); tanh between them is not part of a site.
func.func @forward(%x: tensor<4x3xf32>,
                   %w1: tensor<3x5xf32> {flops.param, flops.name = "fc1.weight"},
                   %b1: tensor<5xf32> {flops.param, flops.name = "fc1.bias"},
                   %w2: tensor<5x2xf32> {flops.param, flops.name = "fc2.weight"},
                   %b2: tensor<2xf32> {flops.param, flops.name = "fc2.bias"}) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4x5xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x5xf32>) -> tensor<4x5xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<4x3xf32>, tensor<3x5xf32>) outs(%z1 : tensor<4x5xf32>) -> tensor<4x5xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<4x5xf32>, tensor<5xf32>) outs(%e1 : tensor<4x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x5xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<4x5xf32>) outs(%e1 : tensor<4x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<4x5xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<4x5xf32>, tensor<5x2xf32>) outs(%z2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<4x2xf32>, tensor<2xf32>) outs(%e2 : tensor<4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

/// The forward function itself is left as it is.
// CHECK-LABEL: func.func @forward(
// CHECK-NOT:   = flops.
// CHECK:       return

/// One flops.perturb per site, on the bias output (before tanh), with its
/// own site id and log-sigma, the row offset, and the site values and layer
/// inputs returned after the forward's result.
// CHECK-LABEL: func.func private @forward_rows(
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x3xf32>, %[[W1:[^:]+]]: tensor<3x5xf32>, %[[B1:[^:]+]]: tensor<5xf32>, %[[W2:[^:]+]]: tensor<5x2xf32>, %[[B2:[^:]+]]: tensor<2xf32>,
// CHECK-SAME:    %[[SEED:[^:]+]]: i64, %[[STEP:[^:]+]]: i64, %[[OFF:[^:]+]]: index, %[[RHO0:[^:]+]]: tensor<5xf32>, %[[RHO1:[^:]+]]: tensor<2xf32>)
// CHECK-SAME:    -> (tensor<4x2xf32>, tensor<4x5xf32>, tensor<4x3xf32>, tensor<4x5xf32>, tensor<4x2xf32>, tensor<4x5xf32>, tensor<4x2xf32>)
// CHECK:         %[[M1:.*]] = linalg.matmul ins(%[[X]], %[[W1]] :
// CHECK-NOT:     flops.perturb
// CHECK:         %[[U1:.*]] = linalg.generic {{.*}} ins(%[[M1]], %[[B1]] :
// CHECK:         %[[V1:.*]] = flops.perturb %[[U1]], %[[RHO0]], %[[SEED]], %[[STEP]] offset %[[OFF]] {antithetic, channel_dim = 1 : i64} : tensor<4x5xf32>, tensor<5xf32>
// CHECK:         %[[H1:.*]] = linalg.generic {{.*}} ins(%[[V1]] :
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:    math.tanh
// CHECK-NOT:     flops.perturb
// CHECK:         %[[M2:.*]] = linalg.matmul ins(%[[H1]], %[[W2]] :
// CHECK-NOT:     flops.perturb
// CHECK:         %[[U2:.*]] = linalg.generic {{.*}} ins(%[[M2]], %[[B2]] :
// CHECK:         %[[V2:.*]] = flops.perturb %[[U2]], %[[RHO1]], %[[SEED]], %[[STEP]] offset %[[OFF]] {antithetic, channel_dim = 1 : i64, site = 1 : i64} : tensor<4x2xf32>, tensor<2xf32>
// CHECK-NOT:     flops.perturb
// CHECK:         return %[[V2]], %[[V1]], %[[X]], %[[M1]], %[[V2]], %[[H1]], %[[M2]] :

/// A declaration of a function the pass does not build this time is kept.
// CHECK:       func.func private @train_step_v2(tensor<3x5xf32>) -> tensor<3x5xf32>

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:    %[[P0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "param"}, %[[P1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "param"},
// CHECK-SAME:    %[[P2:[^:]+]]: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "param"}, %[[P3:[^:]+]]: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "param"},
// CHECK-SAME:    %[[M0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "adam_m"}, %[[MB1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "adam_m"},
// CHECK-SAME:    %[[MW2:[^:]+]]: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "adam_m"}, %[[MB2:[^:]+]]: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "adam_m"},
// CHECK-SAME:    %[[V0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "adam_v"}, %[[VB1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "adam_v"},
// CHECK-SAME:    %[[VW2:[^:]+]]: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "adam_v"}, %[[VB2:[^:]+]]: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "adam_v"},
// CHECK-SAME:    %[[RHO0:[^:]+]]: tensor<5xf32> {flops.name = "site0", flops.role = "log_sigma"}, %[[RHO1:[^:]+]]: tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma"},
// CHECK-SAME:    %[[RM0:[^:]+]]: tensor<5xf32> {flops.name = "site0", flops.role = "log_sigma_adam_m"}, %[[RM1:[^:]+]]: tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma_adam_m"},
// CHECK-SAME:    %[[RV0:[^:]+]]: tensor<5xf32> {flops.name = "site0", flops.role = "log_sigma_adam_v"}, %[[RV1:[^:]+]]: tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma_adam_v"},
// CHECK-SAME:    %[[LR:[^:]+]]: f32 {flops.name = "lr", flops.role = "lr"}, %[[STEP:[^:]+]]: i64 {flops.name = "step", flops.role = "step"}, %[[SEED:[^:]+]]: i64 {flops.name = "seed", flops.role = "seed"},
// CHECK-SAME:    %[[IN:[^:]+]]: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}, %[[LBL:[^:]+]]: tensor<4xi32> {flops.name = "labels", flops.role = "labels"})
// CHECK-SAME:    -> (tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "param"}, tensor<5xf32> {flops.name = "fc1.bias", flops.role = "param"},
// CHECK-SAME:    tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma_adam_v"}, tensor<5xf32> {flops.name = "metrics", flops.role = "metrics"})
// CHECK-SAME:    attributes {flops.allocator = "uniform", flops.batch_size = 4 : i64, flops.budget = 32 : i64, flops.log_sigma_init = -6.9077552{{[0-9]*}} : f64, flops.loss = "cross-entropy",
// CHECK-SAME:    flops.metrics = ["clean_loss", "clean_accuracy", "row_loss", "grad_norm", "variance_proxy"], flops.queries = 8 : i64}
/// 1. Noise-free forward of the B points and their cross-entropy.
// CHECK:         %[[CLEAN:.*]] = call @forward(%[[IN]], %[[P0]], %[[P1]], %[[P2]], %[[P3]])
// CHECK:         %[[CE:.*]]:2 = linalg.generic {{.*}} ins(%{{[^,]+}}, %{{[^,]+}}, %[[LBL]] :
/// 2. Uniform allocation of N = B*queries = 32 rows in antithetic pairs.
// CHECK:         %[[COUNTS:.*]] = flops.allocate uniform %[[CE]]#0 {budget = 32 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
// CHECK:         %[[MAP:.*]] = flops.row_map %[[COUNTS]] : tensor<4xi32> -> tensor<32xi32>
// CHECK:         %[[WTS:.*]] = flops.row_weights per_point %[[COUNTS]], %[[MAP]] : tensor<4xi32>, tensor<32xi32> -> tensor<32xf32>
/// 3. The rows in `queries` chunks of B: gradient accumulators of the four
/// parameters and two log-sigmas, plus the row-loss sum.
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[CQ:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[CB:.*]] = arith.constant 4 : index
// CHECK:         %[[LOOP:.*]]:7 = scf.for %[[CH:[^ ]+]] = %[[C0]] to %[[CQ]] step %[[C1]]
// CHECK-SAME:      iter_args(%[[AW1:[^ ]+]] = %{{[^,]+}}, %[[AB1:[^ ]+]] = %{{[^,]+}}, %[[AW2:[^ ]+]] = %{{[^,]+}}, %[[AB2:[^ ]+]] = %{{[^,]+}}, %[[AS0:[^ ]+]] = %{{[^,]+}}, %[[AS1:[^ ]+]] = %{{[^,]+}}, %{{[^ ]+}} = %{{[^)]+}})
// CHECK:           %[[OFF:.*]] = arith.muli %[[CH]], %[[CB]] : index
// CHECK:           %[[MAPC:.*]] = tensor.extract_slice %[[MAP]][%[[OFF]]] [4] [1] : tensor<32xi32> to tensor<4xi32>
// CHECK:           %[[WC:.*]] = tensor.extract_slice %[[WTS]][%[[OFF]]] [4] [1] : tensor<32xf32> to tensor<4xf32>
// CHECK:           %[[XC:.*]] = flops.expand %[[IN]], %[[MAPC]] : tensor<4x3xf32>, tensor<4xi32> -> tensor<4x3xf32>
// CHECK:           %[[LC:.*]] = flops.expand %[[LBL]], %[[MAPC]] : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
// CHECK:           %[[R:.*]]:7 = func.call @forward_rows(%[[XC]], %[[P0]], %[[P1]], %[[P2]], %[[P3]], %[[SEED]], %[[STEP]], %[[OFF]], %[[RHO0]], %[[RHO1]])
// CHECK:           %[[RL:.*]]:2 = linalg.generic {{.*}} ins(%{{[^,]+}}, %{{[^,]+}}, %[[LC]] :
// CHECK:           %[[RES:.*]] = flops.residual clean %[[RL]]#0, %[[CE]]#0, %[[MAPC]] : tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
/// The row coefficient omega_r * R_r.
// CHECK:           %[[COEF:.*]] = linalg.generic {{.*}} ins(%[[WC]], %[[RES]] :
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      arith.mulf
/// Site 0 (fc1): Delta; the bias estimate sums Delta over the rows; Delta
/// through the bias add; the weight estimate contracts the layer input (the
/// expanded x) with it; the log-sigma estimate.
// CHECK:           %[[D0:.*]] = flops.site_delta %[[COEF]], %[[RHO0]], %[[SEED]], %[[STEP]] offset %[[OFF]] like %[[R]]#1 {antithetic, channel_dim = 1 : i64} : tensor<4xf32>, tensor<5xf32>, tensor<4x5xf32>
// CHECK:           %[[GB1:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[D0]], %[[R]]#3, %[[P1]] : {{.*}}) outs(%[[AB1]] : tensor<5xf32>)
// CHECK:           %[[DM1:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[D0]], %[[R]]#3, %[[P1]] : {{.*}}) outs(%{{.*}} : tensor<4x5xf32>)
// CHECK:           %[[GW1:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[R]]#2, %[[DM1]] : tensor<4x3xf32>, tensor<4x5xf32>) outs(%[[AW1]] : tensor<3x5xf32>)
// CHECK-NEXT:      ^bb0(%[[A:[^:]+]]: f32, %[[D:[^:]+]]: f32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT:        %[[PR:.*]] = arith.mulf %[[A]], %[[D]] : f32
// CHECK-NEXT:        arith.addf %[[ACC]], %[[PR]] : f32
// CHECK:           %[[LS0:.*]] = flops.log_sigma_grad %[[COEF]], %[[SEED]], %[[STEP]] offset %[[OFF]] like %[[R]]#1 {antithetic, channel_dim = 1 : i64} : tensor<4xf32>, tensor<4x5xf32> -> tensor<5xf32>
// CHECK:           %[[GS0:.*]] = linalg.generic {{.*}} ins(%[[AS0]], %[[LS0]] :
/// Site 1 (fc2): its layer input is the tanh of the perturbed site 0.
// CHECK:           %[[D1:.*]] = flops.site_delta %[[COEF]], %[[RHO1]], %[[SEED]], %[[STEP]] offset %[[OFF]] like %[[R]]#4 {antithetic, channel_dim = 1 : i64, site = 1 : i64} : tensor<4xf32>, tensor<2xf32>, tensor<4x2xf32>
// CHECK:           %[[GB2:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[D1]], %[[R]]#6, %[[P3]] : {{.*}}) outs(%[[AB2]] : tensor<2xf32>)
// CHECK:           %[[DM2:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[D1]], %[[R]]#6, %[[P3]] : {{.*}}) outs(%{{.*}} : tensor<4x2xf32>)
// CHECK:           %[[GW2:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[R]]#5, %[[DM2]] : tensor<4x5xf32>, tensor<4x2xf32>) outs(%[[AW2]] : tensor<5x2xf32>)
// CHECK:           %[[LS1:.*]] = flops.log_sigma_grad %[[COEF]], %[[SEED]], %[[STEP]] offset %[[OFF]] like %[[R]]#4 {antithetic, channel_dim = 1 : i64, site = 1 : i64} : tensor<4xf32>, tensor<4x2xf32> -> tensor<2xf32>
// CHECK:           %[[GS1:.*]] = linalg.generic {{.*}} ins(%[[AS1]], %[[LS1]] :
// CHECK-NOT:       flops.site_delta
// CHECK-NOT:       flops.log_sigma_grad
// CHECK:           scf.yield %[[GW1]], %[[GB1]], %[[GW2]], %[[GB2]], %[[GS0]], %[[GS1]], %{{.*}} :
/// Mean row loss over N = 32 rows; the gradient norm; no clipping by default.
// CHECK:         arith.constant 3.125000e-02 : f32
// CHECK:         math.sqrt
// CHECK-NOT:     arith.minimumf
/// 5. Adam (with bias correction): one update per parameter, then per
/// log-sigma, each reading (value, gradient, m, v).
// CHECK:         math.powf
// CHECK:         %[[UW1:.*]]:3 = linalg.generic {{.*}} ins(%[[P0]], %[[LOOP]]#0, %[[M0]], %[[V0]] :
// CHECK:         %[[UB1:.*]]:3 = linalg.generic {{.*}} ins(%[[P1]], %[[LOOP]]#1, %[[MB1]], %[[VB1]] :
// CHECK:         %[[UW2:.*]]:3 = linalg.generic {{.*}} ins(%[[P2]], %[[LOOP]]#2, %[[MW2]], %[[VW2]] :
// CHECK:         %[[UB2:.*]]:3 = linalg.generic {{.*}} ins(%[[P3]], %[[LOOP]]#3, %[[MB2]], %[[VB2]] :
// CHECK:         %[[US0:.*]]:3 = linalg.generic {{.*}} ins(%[[RHO0]], %[[LOOP]]#4, %[[RM0]], %[[RV0]] :
// CHECK:         %[[US1:.*]]:3 = linalg.generic {{.*}} ins(%[[RHO1]], %[[LOOP]]#5, %[[RM1]], %[[RV1]] :
// CHECK:         %[[METRICS:.*]] = tensor.from_elements {{.*}} : tensor<5xf32>
// CHECK:         return %[[UW1]]#0, %[[UB1]]#0, %[[UW2]]#0, %[[UB2]]#0, %[[UW1]]#1, %[[UB1]]#1, %[[UW2]]#1, %[[UB2]]#1, %[[UW1]]#2, %[[UB1]]#2, %[[UW2]]#2, %[[UB2]]#2,
// CHECK-SAME:      %[[US0]]#0, %[[US1]]#0, %[[US0]]#1, %[[US1]]#1, %[[US0]]#2, %[[US1]]#2, %[[METRICS]] :

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:    %[[EP0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "param"}, %[[EP1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "param"},
// CHECK-SAME:    %[[EP2:[^:]+]]: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "param"}, %[[EP3:[^:]+]]: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "param"},
// CHECK-SAME:    %[[EX:[^:]+]]: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}, %[[EL:[^:]+]]: tensor<4xi32> {flops.name = "labels", flops.role = "labels"},
// CHECK-SAME:    %[[VALID:[^:]+]]: i64 {flops.name = "valid", flops.role = "valid"})
// CHECK-SAME:    -> (tensor<2xf32> {flops.name = "metrics", flops.role = "metrics"}) attributes {flops.metrics = ["loss_sum", "correct"]}
// CHECK:         call @forward(%[[EX]], %[[EP0]], %[[EP1]], %[[EP2]], %[[EP3]])
// CHECK:         %[[ECE:.*]]:2 = linalg.generic {{.*}} ins(%{{[^,]+}}, %{{[^,]+}}, %[[EL]] :
/// Rows at or past `valid` (a padded last batch) count in neither sum.
// CHECK:         linalg.generic {{.*}} ins(%[[ECE]]#0 :
// CHECK:           arith.cmpi slt, %{{.*}}, %[[VALID]] : i64
// CHECK:         linalg.generic {{.*}} ins(%[[ECE]]#1 :
// CHECK:           arith.cmpi slt, %{{.*}}, %[[VALID]] : i64
// CHECK:         %[[EM:.*]] = tensor.from_elements %{{[^,]+}}, %{{[^ ]+}} : tensor<2xf32>
// CHECK:         return %[[EM]] : tensor<2xf32>

/// point-prefix (the default): fc1's matmul and bias read only x, so they
/// are the same for every query of a point: @forward_points computes them
/// once per point and returns the site value and fc1's matmul output (the
/// bias rule's input); the rows read the site value, expanded, as their last
/// argument and start by perturbing it.
// POINT-LABEL: func.func private @forward_points(
// POINT-SAME:    %[[X:[^:]+]]: tensor<4x3xf32>, %[[W1:[^:]+]]: tensor<3x5xf32>, %[[B1:[^:]+]]: tensor<5xf32>,
// POINT-SAME:    -> (tensor<4x5xf32>, tensor<4x5xf32>)
// POINT:         %[[M1:.*]] = linalg.matmul ins(%[[X]], %[[W1]] :
// POINT:         %[[U1:.*]] = linalg.generic {{.*}} ins(%[[M1]], %[[B1]] :
// POINT-NOT:     linalg.matmul
// POINT:         return %[[U1]], %[[M1]] :
// POINT-LABEL: func.func private @forward_rows(
// POINT-SAME:    %[[SEED:[^:]+]]: i64, %[[STEP:[^:]+]]: i64, %[[OFF:[^:]+]]: index, %[[RHO0:[^:]+]]: tensor<5xf32>, %[[RHO1:[^:]+]]: tensor<2xf32>, %[[U1:[^:]+]]: tensor<4x5xf32>)
// POINT-SAME:    -> (tensor<4x2xf32>, tensor<4x5xf32>, tensor<4x2xf32>, tensor<4x5xf32>, tensor<4x2xf32>)
// POINT:         %[[V1:.*]] = flops.perturb %[[U1]], %[[RHO0]], %[[SEED]], %[[STEP]] offset %[[OFF]] {antithetic, channel_dim = 1 : i64} : tensor<4x5xf32>, tensor<5xf32>
// POINT:         %[[H1:.*]] = linalg.generic {{.*}} ins(%[[V1]] :
// POINT:         %[[M2:.*]] = linalg.matmul ins(%[[H1]],
// POINT:         %[[V2:.*]] = flops.perturb {{.*}} {antithetic, channel_dim = 1 : i64, site = 1 : i64}
// POINT:         return %[[V2]], %[[V1]], %[[V2]], %[[H1]], %[[M2]] :
/// In the step: the points once, their site value expanded to each chunk's
/// rows; site 0's Δ summed per point into a loop-carried accumulator (no
/// fc1 estimate inside the loop); site 1 (whose input is per row) as before.
// POINT-LABEL: func.func @train_step(
// POINT-SAME:    %[[P0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "param"}, %[[P1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "param"},
// POINT-SAME:    %[[IN:[^:]+]]: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}
// POINT:         call @forward(%[[IN]],
// POINT:         %[[PTS:.*]]:2 = call @forward_points(%[[IN]], %[[P0]], %[[P1]],
// POINT:         %[[LOOP:.*]]:8 = scf.for {{.*}} -> (tensor<3x5xf32>, tensor<5xf32>, tensor<5x2xf32>, tensor<2xf32>, tensor<5xf32>, tensor<2xf32>, f32, tensor<4x5xf32>)
// POINT:           %[[MAPC:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}] [4] [1] : tensor<32xi32> to tensor<4xi32>
// POINT:           %[[E:.*]] = flops.expand %[[PTS]]#0, %[[MAPC]] : tensor<4x5xf32>, tensor<4xi32> -> tensor<4x5xf32>
// POINT:           %[[R:.*]]:5 = func.call @forward_rows({{.*}}, %[[E]])
// POINT:           %[[D0:.*]] = flops.site_delta {{.*}} like %[[R]]#1 {antithetic, channel_dim = 1 : i64} : tensor<4xf32>, tensor<5xf32>, tensor<4x5xf32>
// POINT-NEXT:      %[[S0:.*]] = flops.scatter_add %[[D0]], %[[MAPC]] into %{{.*}} : tensor<4x5xf32>, tensor<4xi32> -> tensor<4x5xf32>
// POINT-NEXT:      flops.log_sigma_grad {{.*}} like %[[R]]#1 {antithetic, channel_dim = 1 : i64}
// POINT:           %[[D1:.*]] = flops.site_delta {{.*}} {antithetic, channel_dim = 1 : i64, site = 1 : i64}
// POINT:           linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[R]]#3, %{{.*}} : tensor<4x5xf32>, tensor<4x2xf32>) outs(%{{.*}} : tensor<5x2xf32>)
// POINT:           scf.yield {{.*}}, %[[S0]] :
/// After the loop, fc1's estimates once per point: the bias sums the per-
/// point Δ, the weight contracts x (B rows, not N) with it.
// POINT:         %[[GB1:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[LOOP]]#7, %[[PTS]]#1, %[[P1]] : {{.*}}) outs(%[[LOOP]]#1 : tensor<5xf32>)
// POINT:         %[[DM1:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[LOOP]]#7, %[[PTS]]#1, %[[P1]] :
// POINT:         %[[GW1:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[IN]], %[[DM1]] : tensor<4x3xf32>, tensor<4x5xf32>) outs(%[[LOOP]]#0 : tensor<3x5xf32>)
// POINT:         linalg.generic {{.*}} ins(%[[P0]], %[[GW1]], 
// POINT-LABEL: func.func @eval_step(

/// queries=2: N = 8 rows, two chunks of B = 4.
// QUERIES-LABEL: func.func @train_step(
// QUERIES-SAME:    flops.queries = 2 : i64
// QUERIES:         flops.allocate uniform %{{.*}} {budget = 8 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
// QUERIES:         flops.row_map %{{.*}} : tensor<4xi32> -> tensor<8xi32>
// QUERIES:         flops.row_weights per_point %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<8xi32> -> tensor<8xf32>
// QUERIES:         %[[CQ:.*]] = arith.constant 2 : index
// QUERIES:         scf.for %{{[^ ]+}} = %{{[^ ]+}} to %[[CQ]] step
// QUERIES:           tensor.extract_slice %{{.*}} [4] [1] : tensor<8xi32> to tensor<4xi32>
// QUERIES:         arith.constant 1.250000e-01 : f32
// QUERIES-LABEL: func.func @eval_step(

/// antithetic=false: no `pairs` on the allocation and no `antithetic` on the
/// noise ops (checked over the whole output).
// NOANTI-LABEL: func.func private @forward_rows(
// NOANTI:         flops.perturb {{.*}} {channel_dim = 1 : i64} : tensor<4x5xf32>, tensor<5xf32>
// NOANTI:         flops.perturb {{.*}} {channel_dim = 1 : i64, site = 1 : i64} : tensor<4x2xf32>, tensor<2xf32>
// NOANTI-LABEL: func.func @train_step(
// NOANTI:         flops.allocate uniform %{{.*}} {budget = 32 : i64} : tensor<4xf32> -> tensor<4xi32>
// NOANTI:         flops.site_delta {{.*}} {channel_dim = 1 : i64} :
// NOANTI:         flops.log_sigma_grad {{.*}} {channel_dim = 1 : i64} :
// NOANTI:         flops.site_delta {{.*}} {channel_dim = 1 : i64, site = 1 : i64} :
// NOANTI:         flops.log_sigma_grad {{.*}} {channel_dim = 1 : i64, site = 1 : i64} :
// NOANTI-LABEL: func.func @eval_step(

/// loss=mse: labels shaped like the output, mean squared error per row
/// (no log-softmax anywhere).
// MSE-LABEL: func.func @train_step(
// MSE-SAME:    %[[IN:[^:]+]]: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}, %[[LBL:[^:]+]]: tensor<4x2xf32> {flops.name = "labels", flops.role = "labels"})
// MSE-SAME:    flops.loss = "mse"
// MSE-NOT:     math.log
// MSE:         %[[OUT:.*]] = call @forward(
// MSE:         %[[SQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[OUT]], %[[LBL]] : tensor<4x2xf32>, tensor<4x2xf32>) outs(%{{.*}} : tensor<4xf32>)
// MSE-NEXT:    ^bb0
// MSE-NEXT:      arith.subf
// MSE-NEXT:      arith.mulf
// MSE-NEXT:      arith.addf
// MSE:         %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// MSE:         %[[CL:.*]] = linalg.generic {{.*}} ins(%[[SQ]] :
// MSE:         flops.allocate uniform %[[CL]] {budget = 32 : i64, pairs}
// MSE:         flops.expand %[[LBL]], %{{.*}} : tensor<4x2xf32>, tensor<4xi32> -> tensor<4x2xf32>
// MSE-NOT:     math.log
// MSE-LABEL: func.func @eval_step(
// MSE-SAME:    tensor<4x2xf32> {flops.name = "labels", flops.role = "labels"}

/// loss=user: @loss(outputs, labels) is called on the clean outputs and on
/// each chunk of rows, through casts to its dynamic signature; the labels
/// take the type of its last argument.
// USER-LABEL: func.func @train_step(
// USER-SAME:    %[[LBL:[^:]+]]: tensor<4xf32> {flops.name = "labels", flops.role = "labels"})
// USER-SAME:    flops.loss = "user"
// USER:         %[[OUT:.*]] = call @forward(
// USER:         %[[OC:.*]] = tensor.cast %[[OUT]] : tensor<4x2xf32> to tensor<?x2xf32>
// USER:         %[[LCAST:.*]] = tensor.cast %[[LBL]] : tensor<4xf32> to tensor<?xf32>
// USER:         %[[UL:.*]] = call @loss(%[[OC]], %[[LCAST]]) : (tensor<?x2xf32>, tensor<?xf32>) -> tensor<?xf32>
// USER:         %[[CLEAN:.*]] = tensor.cast %[[UL]] : tensor<?xf32> to tensor<4xf32>
// USER:         flops.allocate uniform %[[CLEAN]] {budget = 32 : i64, pairs}
// USER:         scf.for
// USER:           %[[LC:.*]] = flops.expand %[[LBL]], %{{.*}} : tensor<4xf32>, tensor<4xi32> -> tensor<4xf32>
// USER:           %[[R:.*]]:7 = func.call @forward_rows(
// USER:           %[[RC:.*]] = tensor.cast %[[R]]#0 : tensor<4x2xf32> to tensor<?x2xf32>
// USER:           %[[LCC:.*]] = tensor.cast %[[LC]] : tensor<4xf32> to tensor<?xf32>
// USER:           %[[RL:.*]] = func.call @loss(%[[RC]], %[[LCC]])
// USER:           %[[RLC:.*]] = tensor.cast %[[RL]] : tensor<?xf32> to tensor<4xf32>
// USER:           flops.residual clean %[[RLC]], %[[CLEAN]], %{{.*}} :
// USER-LABEL: func.func @eval_step(
// USER:         call @loss(

// BNONE-LABEL: func.func @train_step(
// BNONE:         flops.residual none %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} : tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
// BNONE-LABEL: func.func @eval_step(

// BMEAN-LABEL: func.func @train_step(
// BMEAN:         flops.residual batch_mean %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} : tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
// BMEAN-LABEL: func.func @eval_step(

/// perturb-last=1, or sites naming a parameter of fc2 only: only fc2's
/// output is perturbed (as site 0); fc1's parameters are frozen: no moments,
/// no gradient, returned as they came. Everything up to fc2's bias is the
/// same for every query of a point: @forward_points computes it once per
/// point, and the rows only perturb its expanded value.
// LAST-LABEL: func.func private @forward_points(
// LAST-SAME:    -> (tensor<4x2xf32>, tensor<4x5xf32>, tensor<4x2xf32>)
// LAST:         %[[M1:.*]] = linalg.matmul
// LAST:         %[[U1:.*]] = linalg.generic {{.*}} ins(%[[M1]],
// LAST:         %[[H1:.*]] = linalg.generic {{.*}} ins(%[[U1]] :
// LAST:         %[[M2:.*]] = linalg.matmul ins(%[[H1]],
// LAST:         %[[U2:.*]] = linalg.generic {{.*}} ins(%[[M2]],
// LAST:         return %[[U2]], %[[H1]], %[[M2]] :
// LAST-LABEL: func.func private @forward_rows(
// LAST-SAME:    %[[SEED:[^:]+]]: i64, %[[STEP:[^:]+]]: i64, %[[OFF:[^:]+]]: index, %[[RHO:[^:]+]]: tensor<2xf32>, %[[U2:[^:]+]]: tensor<4x2xf32>)
// LAST-SAME:    -> (tensor<4x2xf32>, tensor<4x2xf32>)
// LAST-NOT:     linalg.matmul
// LAST:         %[[V2:.*]] = flops.perturb %[[U2]], %[[RHO]], %[[SEED]], %[[STEP]] offset %[[OFF]] {antithetic, channel_dim = 1 : i64} : tensor<4x2xf32>, tensor<2xf32>
// LAST:         return %[[V2]], %[[V2]] :
// LAST-LABEL: func.func @train_step(
// LAST-SAME:    %[[P0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "param"}, %[[P1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "param"},
// LAST-SAME:    %{{[^:]+}}: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "param"}, %{{[^:]+}}: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "param"},
// LAST-SAME:    %{{[^:]+}}: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "adam_m"}, %{{[^:]+}}: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "adam_m"},
// LAST-SAME:    %{{[^:]+}}: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "adam_v"}, %{{[^:]+}}: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "adam_v"},
// LAST-SAME:    %{{[^:]+}}: tensor<2xf32> {flops.name = "site0", flops.role = "log_sigma"}, %{{[^:]+}}: tensor<2xf32> {flops.name = "site0", flops.role = "log_sigma_adam_m"},
// LAST-SAME:    %{{[^:]+}}: tensor<2xf32> {flops.name = "site0", flops.role = "log_sigma_adam_v"}, %{{[^:]+}}: f32 {flops.name = "lr", flops.role = "lr"},
// LAST:         %[[PTS:.*]]:3 = call @forward_points(
// LAST:         %[[LOOP:.*]]:5 = scf.for {{.*}} -> (tensor<5x2xf32>, tensor<2xf32>, tensor<2xf32>, f32, tensor<4x2xf32>)
// LAST:           %[[E:.*]] = flops.expand %[[PTS]]#0, %{{.*}} : tensor<4x2xf32>, tensor<4xi32> -> tensor<4x2xf32>
// LAST:           func.call @forward_rows({{.*}}, %[[E]])
// LAST:           %[[D:.*]] = flops.site_delta {{.*}} {antithetic, channel_dim = 1 : i64} : tensor<4xf32>, tensor<2xf32>, tensor<4x2xf32>
// LAST:           flops.scatter_add %[[D]], %{{.*}} into %{{.*}} : tensor<4x2xf32>, tensor<4xi32> -> tensor<4x2xf32>
// LAST-NOT:       flops.site_delta
// LAST-NOT:       linalg.matmul
// LAST:           scf.yield
/// The estimates once per point, from Δ summed per point (loop result 4):
/// the bias sums it over the points, the weight contracts fc2's layer input
/// per point with it.
// LAST:         %[[GB:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[LOOP]]#4, %[[PTS]]#2, %{{.*}} : {{.*}}) outs(%[[LOOP]]#1 : tensor<2xf32>)
// LAST:         %[[GW:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[PTS]]#1, %{{.*}} : tensor<4x5xf32>, tensor<4x2xf32>) outs(%[[LOOP]]#0 : tensor<5x2xf32>)
// LAST:         return %[[P0]], %[[P1]], %{{.*}}#0,
// LAST-LABEL: func.func @eval_step(

/// freeze-sigma=true: log-sigma is state but gets no estimate, no moments and
/// is returned unchanged (flops.log_sigma_grad checked absent everywhere).
// FREEZE-LABEL: func.func @train_step(
// FREEZE-SAME:    %[[RHO0:[^:]+]]: tensor<5xf32> {flops.name = "site0", flops.role = "log_sigma"}, %[[RHO1:[^:]+]]: tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma"},
// FREEZE-SAME:    %{{[^:]+}}: f32 {flops.name = "lr", flops.role = "lr"}
// FREEZE:         scf.for {{.*}} -> (tensor<3x5xf32>, tensor<5xf32>, tensor<5x2xf32>, tensor<2xf32>, f32)
// FREEZE:           flops.site_delta
// FREEZE:           flops.site_delta
// FREEZE:         return {{.*}}, %[[RHO0]], %[[RHO1]], %{{[^ ]+}} :
// FREEZE-LABEL: func.func @eval_step(

/// optimizer=sgd: one momentum buffer per parameter and log-sigma, no Adam
/// state or bias correction (checked absent everywhere); m' = mu m + g,
/// p' = p - lr m'.
// SGD-LABEL: func.func @train_step(
// SGD-SAME:    %[[P0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "param"}, %[[P1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "param"},
// SGD-SAME:    %[[P2:[^:]+]]: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "param"}, %[[P3:[^:]+]]: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "param"},
// SGD-SAME:    %[[M0:[^:]+]]: tensor<3x5xf32> {flops.name = "fc1.weight", flops.role = "momentum"}, %[[M1:[^:]+]]: tensor<5xf32> {flops.name = "fc1.bias", flops.role = "momentum"},
// SGD-SAME:    %[[M2:[^:]+]]: tensor<5x2xf32> {flops.name = "fc2.weight", flops.role = "momentum"}, %[[M3:[^:]+]]: tensor<2xf32> {flops.name = "fc2.bias", flops.role = "momentum"},
// SGD-SAME:    %[[RHO0:[^:]+]]: tensor<5xf32> {flops.name = "site0", flops.role = "log_sigma"}, %[[RHO1:[^:]+]]: tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma"},
// SGD-SAME:    %[[RM0:[^:]+]]: tensor<5xf32> {flops.name = "site0", flops.role = "log_sigma_momentum"}, %[[RM1:[^:]+]]: tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma_momentum"},
// SGD-SAME:    %[[LR:[^:]+]]: f32 {flops.name = "lr", flops.role = "lr"}
// SGD:         %[[LOOP:.*]]:7 = scf.for
// SGD:         %[[UW1:.*]]:2 = linalg.generic {{.*}} ins(%[[P0]], %[[LOOP]]#0, %[[M0]] : {{.*}}) outs(%{{[^,]+}}, %{{[^ ]+}} : tensor<3x5xf32>, tensor<3x5xf32>)
// SGD-NEXT:    ^bb0(%[[P:[^:]+]]: f32, %[[G:[^:]+]]: f32, %[[M:[^:]+]]: f32,
// SGD-NEXT:      %[[MU:.*]] = arith.constant 0.899999976 : f32
// SGD-NEXT:      %[[T:.*]] = arith.mulf %[[MU]], %[[M]] : f32
// SGD-NEXT:      %[[NM:.*]] = arith.addf %[[T]], %[[G]] : f32
// SGD-NEXT:      %[[S:.*]] = arith.mulf %[[LR]], %[[NM]] : f32
// SGD-NEXT:      %[[NP:.*]] = arith.subf %[[P]], %[[S]] : f32
// SGD-NEXT:      linalg.yield %[[NP]], %[[NM]] : f32, f32
// SGD:         %[[UB1:.*]]:2 = linalg.generic {{.*}} ins(%[[P1]], %[[LOOP]]#1, %[[M1]] :
// SGD:         %[[UW2:.*]]:2 = linalg.generic {{.*}} ins(%[[P2]], %[[LOOP]]#2, %[[M2]] :
// SGD:         %[[UB2:.*]]:2 = linalg.generic {{.*}} ins(%[[P3]], %[[LOOP]]#3, %[[M3]] :
// SGD:         %[[US0:.*]]:2 = linalg.generic {{.*}} ins(%[[RHO0]], %[[LOOP]]#4, %[[RM0]] :
// SGD:         %[[US1:.*]]:2 = linalg.generic {{.*}} ins(%[[RHO1]], %[[LOOP]]#5, %[[RM1]] :
// SGD:         return %[[UW1]]#0, %[[UB1]]#0, %[[UW2]]#0, %[[UB2]]#0, %[[UW1]]#1, %[[UB1]]#1, %[[UW2]]#1, %[[UB2]]#1, %[[US0]]#0, %[[US1]]#0, %[[US0]]#1, %[[US1]]#1, %{{[^ ]+}} :
// SGD-LABEL: func.func @eval_step(

/// clip-norm=1.0: scale = min(1 / (norm + 1e-6), 1) multiplies every
/// gradient before the optimizer reads it.
// CLIP-LABEL: func.func @train_step(
// CLIP:         %[[LOOP:.*]]:7 = scf.for
// CLIP:         %[[NORM:.*]] = math.sqrt %{{.*}} : f32
// CLIP-NEXT:    %[[LIM:.*]] = arith.constant 1.000000e+00 : f32
// CLIP-NEXT:    %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CLIP-NEXT:    %[[DEN:.*]] = arith.addf %[[NORM]], %[[EPS]] : f32
// CLIP-NEXT:    %[[RATIO:.*]] = arith.divf %[[LIM]], %[[DEN]] : f32
// CLIP-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CLIP-NEXT:    %[[SCALE:.*]] = arith.minimumf %[[RATIO]], %[[ONE]] : f32
// CLIP:         %[[CW1:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#0 : tensor<3x5xf32>)
// CLIP-NEXT:    ^bb0(%[[GI:[^:]+]]: f32,
// CLIP-NEXT:      %[[SC:.*]] = arith.mulf %[[GI]], %[[SCALE]] : f32
// CLIP-NEXT:      linalg.yield %[[SC]] : f32
// CLIP:         %[[CB1:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#1 : tensor<5xf32>)
// CLIP:         %[[CW2:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#2 : tensor<5x2xf32>)
// CLIP:         %[[CB2:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#3 : tensor<2xf32>)
// CLIP:         %[[CS0:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#4 : tensor<5xf32>)
// CLIP:         %[[CS1:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#5 : tensor<2xf32>)
// CLIP:         linalg.generic {{.*}} ins(%{{[^,]+}}, %[[CW1]], %{{[^,]+}}, %{{[^ ]+}} : tensor<3x5xf32>,
// CLIP:         linalg.generic {{.*}} ins(%{{[^,]+}}, %[[CB1]], %{{[^,]+}}, %{{[^ ]+}} : tensor<5xf32>,
// CLIP:         linalg.generic {{.*}} ins(%{{[^,]+}}, %[[CW2]], %{{[^,]+}}, %{{[^ ]+}} : tensor<5x2xf32>,
// CLIP:         linalg.generic {{.*}} ins(%{{[^,]+}}, %[[CB2]], %{{[^,]+}}, %{{[^ ]+}} : tensor<2xf32>,
// CLIP:         linalg.generic {{.*}} ins(%{{[^,]+}}, %[[CS0]], %{{[^,]+}}, %{{[^ ]+}} : tensor<5xf32>,
// CLIP:         linalg.generic {{.*}} ins(%{{[^,]+}}, %[[CS1]], %{{[^,]+}}, %{{[^ ]+}} : tensor<2xf32>,
// CLIP-LABEL: func.func @eval_step(

/// suffix=_v2: every generated function is renamed (the old names are
/// checked absent everywhere), and the declaration of @train_step_v2 is
/// replaced by the definition.
// SUFFIX-LABEL: func.func private @forward_rows_v2(
// SUFFIX:         flops.perturb
// SUFFIX-LABEL: func.func @train_step_v2(
// SUFFIX:         call @forward(
// SUFFIX:         func.call @forward_rows_v2(
// SUFFIX-LABEL: func.func @eval_step_v2(
// SUFFIX:         call @forward(

/// The user loss of loss=user: squared distance of output 0 to a scalar
/// target per row (outputs..., labels) -> per-row losses.
func.func @loss(%y: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %y, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#ew, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%y, %t : tensor<?x2xf32>, tensor<?xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %dd = arith.mulf %d, %d : f32
    %s = arith.addf %o, %dd : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

/// A declaration of a function the pass builds (for a driver) is replaced
/// when the pass builds that name (suffix=_v2), kept otherwise.
func.func private @train_step_v2(tensor<3x5xf32>) -> tensor<3x5xf32>

/// The same 3-5-2 MLP with a dynamic batch (needs batch-size).
func.func @forward_dyn(%x: tensor<?x3xf32>,
                       %w1: tensor<3x5xf32> {flops.param, flops.name = "fc1.weight"},
                       %b1: tensor<5xf32> {flops.param, flops.name = "fc1.bias"},
                       %w2: tensor<5x2xf32> {flops.param, flops.name = "fc2.weight"},
                       %b2: tensor<2xf32> {flops.param, flops.name = "fc2.bias"}) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %e1 = tensor.empty(%n) : tensor<?x5xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<?x3xf32>, tensor<3x5xf32>) outs(%z1 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<?x5xf32>, tensor<5xf32>) outs(%e1 : tensor<?x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x5xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<?x5xf32>) outs(%e1 : tensor<?x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<?x5xf32>
  %e2 = tensor.empty(%n) : tensor<?x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<?x5xf32>, tensor<5x2xf32>) outs(%z2 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<?x2xf32>, tensor<2xf32>) outs(%e2 : tensor<?x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

/// Dynamic batch with batch-size=4: the rows function keeps the forward's
/// dynamic types; @train_step and @eval_step take B = 4 rows and cast at the
/// calls.
// DYN-LABEL: func.func private @forward_dyn_rows(
// DYN-SAME:    %{{[^:]+}}: tensor<?x3xf32>,
// DYN-SAME:    -> (tensor<?x2xf32>, tensor<?x5xf32>, tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x2xf32>, tensor<?x5xf32>, tensor<?x2xf32>)
// DYN:         flops.perturb {{.*}} {antithetic, channel_dim = 1 : i64} : tensor<?x5xf32>, tensor<5xf32>
// DYN:         flops.perturb {{.*}} {antithetic, channel_dim = 1 : i64, site = 1 : i64} : tensor<?x2xf32>, tensor<2xf32>
// DYN-LABEL: func.func @train_step(
// DYN-SAME:    %[[IN:[^:]+]]: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}, %[[LBL:[^:]+]]: tensor<4xi32> {flops.name = "labels", flops.role = "labels"})
// DYN-SAME:    flops.batch_size = 4 : i64
// DYN:         %[[XC:.*]] = tensor.cast %[[IN]] : tensor<4x3xf32> to tensor<?x3xf32>
// DYN:         %[[OUT:.*]] = call @forward_dyn(%[[XC]],
// DYN:         tensor.cast %[[OUT]] : tensor<?x2xf32> to tensor<4x2xf32>
// DYN:         flops.allocate uniform %{{.*}} {budget = 32 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
// DYN:         flops.row_map %{{.*}} : tensor<4xi32> -> tensor<32xi32>
// DYN:           %[[XE:.*]] = flops.expand %[[IN]], %{{.*}} : tensor<4x3xf32>, tensor<4xi32> -> tensor<4x3xf32>
// DYN:           flops.expand %[[LBL]], %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
// DYN:           %[[XEC:.*]] = tensor.cast %[[XE]] : tensor<4x3xf32> to tensor<?x3xf32>
// DYN:           %[[R:.*]]:7 = func.call @forward_dyn_rows(%[[XEC]],
// DYN:           tensor.cast %[[R]]#0 : tensor<?x2xf32> to tensor<4x2xf32>
// DYN:           flops.site_delta {{.*}} like %[[R]]#1 {antithetic, channel_dim = 1 : i64} : tensor<4xf32>, tensor<5xf32>, tensor<?x5xf32>
// DYN:           linalg.generic {{.*}} ins(%[[R]]#2, %{{[^ ]+}} : tensor<?x3xf32>, tensor<?x5xf32>) outs(%{{[^ ]+}} : tensor<3x5xf32>)
// DYN:           flops.site_delta {{.*}} like %[[R]]#4 {antithetic, channel_dim = 1 : i64, site = 1 : i64} : tensor<4xf32>, tensor<2xf32>, tensor<?x2xf32>
// DYN:           linalg.generic {{.*}} ins(%[[R]]#5, %{{[^ ]+}} : tensor<?x5xf32>, tensor<?x2xf32>) outs(%{{[^ ]+}} : tensor<5x2xf32>)
// DYN-LABEL: func.func @eval_step(
// DYN-SAME:    %[[EX:[^:]+]]: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}
// DYN:         %[[EXC:.*]] = tensor.cast %[[EX]] : tensor<4x3xf32> to tensor<?x3xf32>
// DYN:         call @forward_dyn(%[[EXC]],

/// A strided convolution with a per-channel bias (NCHW, channel map (d1)),
/// flattened to logits.
func.func @conv_forward(%x: tensor<4x3x6x6xf32>,
                        %k: tensor<2x3x3x3xf32> {flops.param, flops.name = "conv.weight"},
                        %cb: tensor<2xf32> {flops.param, flops.name = "conv.bias"}) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2x2x2xf32>) -> tensor<4x2x2x2xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %k : tensor<4x3x6x6xf32>, tensor<2x3x3x3xf32>) outs(%z : tensor<4x2x2x2xf32>) -> tensor<4x2x2x2xf32>
  %u = linalg.generic {indexing_maps = [#x4, #ch4, #x4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %cb : tensor<4x2x2x2xf32>, tensor<2xf32>) outs(%e : tensor<4x2x2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x2x2x2xf32>
  %y = tensor.collapse_shape %u [[0], [1, 2, 3]] : tensor<4x2x2x2xf32> into tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

/// Convolution: the site is the bias output with one log-sigma per channel
/// (channel_dim = 1 on NCHW); the kernel estimate is the convolution's own
/// strided read of the input contracted with Delta; the bias estimate sums
/// Delta over batch and space.
// CONV-DAG: #[[$STRIDED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 * 2 + d5, d3 * 2 + d6)>
// CONV-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// CONV-DAG: #[[$FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CONV-DAG: #[[$NCHW:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CONV-DAG: #[[$CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CONV-LABEL: func.func private @conv_forward_rows(
// CONV-SAME:    %[[X:[^:]+]]: tensor<4x3x6x6xf32>, %[[K:[^:]+]]: tensor<2x3x3x3xf32>, %[[CB:[^:]+]]: tensor<2xf32>,
// CONV-SAME:    %[[SEED:[^:]+]]: i64, %[[STEP:[^:]+]]: i64, %[[OFF:[^:]+]]: index, %[[RHO:[^:]+]]: tensor<2xf32>)
// CONV:         %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[K]] :
// CONV:         %[[U:.*]] = linalg.generic {indexing_maps = [#[[$NCHW]], #[[$CH]], #[[$NCHW]]], {{.*}} ins(%[[C]], %[[CB]] :
// CONV:         %[[V:.*]] = flops.perturb %[[U]], %[[RHO]], %[[SEED]], %[[STEP]] offset %[[OFF]] {antithetic, channel_dim = 1 : i64} : tensor<4x2x2x2xf32>, tensor<2xf32>
// CONV:         %[[Y:.*]] = tensor.collapse_shape %[[V]]
// CONV:         return %[[Y]], %[[V]], %[[X]], %[[C]] :
// CONV-LABEL: func.func @train_step(
// CONV-SAME:    tensor<2xf32> {flops.name = "site0", flops.role = "log_sigma"}
// CONV:         %[[LOOP:.*]]:4 = scf.for {{.*}} iter_args(%[[AK:[^ ]+]] = %{{[^,]+}}, %[[AB:[^ ]+]] = %{{[^,]+}},
// CONV:           %[[R:.*]]:4 = func.call @conv_forward_rows(
// CONV:           %[[D:.*]] = flops.site_delta {{.*}} like %[[R]]#1 {antithetic, channel_dim = 1 : i64} : tensor<4xf32>, tensor<2xf32>, tensor<4x2x2x2xf32>
// CONV:           %[[GB:.*]] = linalg.generic {indexing_maps = [#[[$NCHW]], #[[$NCHW]], #[[$CH]], #[[$CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[D]], %[[R]]#3, %{{[^ ]+}} : {{.*}}) outs(%[[AB]] : tensor<2xf32>)
// CONV:           %[[DC:.*]] = linalg.generic {{.*}} ins(%[[D]], %[[R]]#3,
// CONV:           %[[GK:.*]] = linalg.generic {indexing_maps = [#[[$STRIDED]], #[[$OUT]], #[[$FILTER]]], iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]} ins(%[[R]]#2, %[[DC]] : tensor<4x3x6x6xf32>, tensor<4x2x2x2xf32>) outs(%[[AK]] : tensor<2x3x3x3xf32>)
// CONV:           flops.log_sigma_grad {{.*}} like %[[R]]#1 {antithetic, channel_dim = 1 : i64} : tensor<4xf32>, tensor<4x2x2x2xf32> -> tensor<2xf32>
// CONV:           scf.yield %[[GK]], %[[GB]],
// CONV-LABEL: func.func @eval_step(

/// Tokens (4 rows x 3 tokens x 6 features): an elementwise affine
/// gamma * x + beta on the input (a site of its own: no contraction before
/// it), then a token matmul written as a generic contraction plus a bias.
func.func @token_forward(%x: tensor<4x3x6xf32>,
                         %g: tensor<6xf32> {flops.param, flops.name = "ln.weight"},
                         %be: tensor<6xf32> {flops.param, flops.name = "ln.bias"},
                         %w: tensor<6x5xf32> {flops.param, flops.name = "proj.weight"},
                         %b: tensor<5xf32> {flops.param, flops.name = "proj.bias"}) -> tensor<4x15xf32> {
  %zero = arith.constant 0.0 : f32
  %ea = tensor.empty() : tensor<4x3x6xf32>
  %a = linalg.generic {indexing_maps = [#x3, #ch3, #ch3, #x3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %g, %be : tensor<4x3x6xf32>, tensor<6xf32>, tensor<6xf32>) outs(%ea : tensor<4x3x6xf32>) {
  ^bb0(%xi: f32, %gi: f32, %bi: f32, %o: f32):
    %m = arith.mulf %xi, %gi : f32
    %s = arith.addf %m, %bi : f32
    linalg.yield %s : f32
  } -> tensor<4x3x6xf32>
  %e = tensor.empty() : tensor<4x3x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3x5xf32>) -> tensor<4x3x5xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<4x3x6xf32>, tensor<6x5xf32>) outs(%z : tensor<4x3x5xf32>) {
  ^bb0(%ai: f32, %wi: f32, %o: f32):
    %p = arith.mulf %ai, %wi : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3x5xf32>
  %u = linalg.generic {indexing_maps = [#x3, #ch3, #x3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%m, %b : tensor<4x3x5xf32>, tensor<5xf32>) outs(%e : tensor<4x3x5xf32>) {
  ^bb0(%mi: f32, %bi: f32, %o: f32):
    %s = arith.addf %mi, %bi : f32
    linalg.yield %s : f32
  } -> tensor<4x3x5xf32>
  %y = tensor.collapse_shape %u [[0], [1, 2]] : tensor<4x3x5xf32> into tensor<4x15xf32>
  return %y : tensor<4x15xf32>
}

/// Tokens: the affine op on the input is site 0, the projection (token
/// contraction + bias) site 1; noise per row, token and feature
/// (channel_dim = 2). gamma's estimate sums Delta * x over rows and tokens,
/// beta's sums Delta; the projection's weight estimate contracts the
/// perturbed site-0 value with Delta over rows and tokens.
// TOKEN-LABEL: func.func private @token_forward_rows(
// TOKEN-SAME:    %[[X:[^:]+]]: tensor<4x3x6xf32>, %[[G:[^:]+]]: tensor<6xf32>, %[[BE:[^:]+]]: tensor<6xf32>, %[[W:[^:]+]]: tensor<6x5xf32>, %[[B:[^:]+]]: tensor<5xf32>,
// TOKEN-SAME:    %[[SEED:[^:]+]]: i64, %[[STEP:[^:]+]]: i64, %[[OFF:[^:]+]]: index, %[[RHO0:[^:]+]]: tensor<6xf32>, %[[RHO1:[^:]+]]: tensor<5xf32>)
// TOKEN:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[G]], %[[BE]] :
// TOKEN:         %[[AV:.*]] = flops.perturb %[[A]], %[[RHO0]], %[[SEED]], %[[STEP]] offset %[[OFF]] {antithetic, channel_dim = 2 : i64} : tensor<4x3x6xf32>, tensor<6xf32>
// TOKEN:         %[[M:.*]] = linalg.generic {{.*}} ins(%[[AV]], %[[W]] :
// TOKEN-NOT:     flops.perturb
// TOKEN:         %[[U:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[B]] :
// TOKEN:         %[[UV:.*]] = flops.perturb %[[U]], %[[RHO1]], %[[SEED]], %[[STEP]] offset %[[OFF]] {antithetic, channel_dim = 2 : i64, site = 1 : i64} : tensor<4x3x5xf32>, tensor<5xf32>
// TOKEN:         return %{{[^,]+}}, %[[AV]], %[[X]], %[[UV]], %[[AV]], %[[M]] :
// TOKEN-LABEL: func.func @train_step(
// TOKEN:         %[[LOOP:.*]]:7 = scf.for {{.*}} iter_args(%[[AG:[^ ]+]] = %{{[^,]+}}, %[[ABE:[^ ]+]] = %{{[^,]+}}, %[[AW:[^ ]+]] = %{{[^,]+}}, %[[AB:[^ ]+]] = %{{[^,]+}},
// TOKEN:           %[[R:.*]]:6 = func.call @token_forward_rows(
// TOKEN:           %[[D0:.*]] = flops.site_delta {{.*}} like %[[R]]#1 {antithetic, channel_dim = 2 : i64} : tensor<4xf32>, tensor<6xf32>, tensor<4x3x6xf32>
// TOKEN:           %[[GG:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[D0]], %[[R]]#2, %{{[^,]+}}, %{{[^ ]+}} : {{.*}}) outs(%[[AG]] : tensor<6xf32>)
// TOKEN-NEXT:      ^bb0(%[[DD:[^:]+]]: f32, %[[XX:[^:]+]]: f32,
// TOKEN-NEXT:        %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// TOKEN-NEXT:        %[[DY:.*]] = arith.mulf %[[ONE]], %[[XX]] : f32
// TOKEN-NEXT:        arith.mulf %[[DD]], %[[DY]] : f32
// TOKEN:           %[[GBE:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[D0]], %[[R]]#2, %{{[^,]+}}, %{{[^ ]+}} : {{.*}}) outs(%[[ABE]] : tensor<6xf32>)
// TOKEN-NEXT:      ^bb0(%[[DB:[^:]+]]: f32,
// TOKEN-NEXT:        %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// TOKEN-NEXT:        arith.mulf %[[DB]], %[[ONE2]] : f32
// TOKEN:           flops.log_sigma_grad {{.*}} like %[[R]]#1 {antithetic, channel_dim = 2 : i64} : tensor<4xf32>, tensor<4x3x6xf32> -> tensor<6xf32>
// TOKEN:           %[[D1:.*]] = flops.site_delta {{.*}} like %[[R]]#3 {antithetic, channel_dim = 2 : i64, site = 1 : i64} : tensor<4xf32>, tensor<5xf32>, tensor<4x3x5xf32>
// TOKEN:           %[[GB:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[D1]], %[[R]]#5, %{{[^ ]+}} : {{.*}}) outs(%[[AB]] : tensor<5xf32>)
// TOKEN:           %[[DM:.*]] = linalg.generic {{.*}} ins(%[[D1]], %[[R]]#5,
// TOKEN:           %[[GW:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel", "parallel"]} ins(%[[R]]#4, %[[DM]] : tensor<4x3x6xf32>, tensor<4x3x5xf32>) outs(%[[AW]] : tensor<6x5xf32>)
// TOKEN:           flops.log_sigma_grad {{.*}} like %[[R]]#3 {antithetic, channel_dim = 2 : i64, site = 1 : i64} : tensor<4xf32>, tensor<4x3x5xf32> -> tensor<5xf32>
// TOKEN:           scf.yield %[[GG]], %[[GBE]], %[[GW]], %[[GB]],
// TOKEN-LABEL: func.func @eval_step(

/// Negative case of site grouping: the matmul's result has a second use, so
/// the bias is not folded into the matmul's site; it forms a site of its
/// own and both values are perturbed.
func.func @negative_shared_product(%x: tensor<4x3xf32>,
                                   %w: tensor<3x2xf32> {flops.param, flops.name = "w"},
                                   %b: tensor<2xf32> {flops.param, flops.name = "b"}) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %m = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %u = linalg.generic {indexing_maps = [#ew, #bias, #ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b, %m : tensor<4x2xf32>, tensor<2xf32>, tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %t = arith.addf %s, %c : f32
    linalg.yield %t : f32
  } -> tensor<4x2xf32>
  return %u : tensor<4x2xf32>
}

// NEG-LABEL: func.func private @negative_shared_product_rows(
// NEG:         %[[M:.*]] = linalg.matmul
// NEG:         %[[MV:.*]] = flops.perturb %[[M]], {{.*}} {antithetic, channel_dim = 1 : i64} : tensor<4x2xf32>, tensor<2xf32>
// NEG:         %[[U:.*]] = linalg.generic {{.*}} ins(%[[MV]], %{{[^,]+}}, %[[MV]] :
// NEG:         %[[UV:.*]] = flops.perturb %[[U]], {{.*}} {antithetic, channel_dim = 1 : i64, site = 1 : i64} : tensor<4x2xf32>, tensor<2xf32>
// NEG:         return %[[UV]], %[[MV]],
// NEG-LABEL: func.func @train_step(
// NEG-SAME:    tensor<2xf32> {flops.name = "site0", flops.role = "log_sigma"}, %{{[^:]+}}: tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma"}
// NEG:           flops.site_delta {{.*}} {antithetic, channel_dim = 1 : i64} :
// NEG:           flops.site_delta {{.*}} {antithetic, channel_dim = 1 : i64, site = 1 : i64} :
// NEG-LABEL: func.func @eval_step(

/// Point prefix across the importer's padding (a filled tensor with the
/// batch inserted whole, dynamic batch): the insert and the convolution are
/// the same for every query of a point, so @padded_conv_forward_points
/// computes them and the rows start from their expanded site value; the
/// convolution's estimate comes from Δ summed per point.
func.func @padded_conv_forward(%x: tensor<?x1x4x4xf32>,
                               %k: tensor<2x1x3x3xf32> {flops.param, flops.name = "conv.weight"},
                               %cb: tensor<2xf32> {flops.param, flops.name = "conv.bias"}) -> tensor<?x2x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x4x4xf32>
  %pe = tensor.empty(%n) : tensor<?x1x6x6xf32>
  %pz = linalg.fill ins(%zero : f32) outs(%pe : tensor<?x1x6x6xf32>) -> tensor<?x1x6x6xf32>
  %xp = tensor.insert_slice %x into %pz[0, 0, 1, 1] [%n, 1, 4, 4] [1, 1, 1, 1] : tensor<?x1x4x4xf32> into tensor<?x1x6x6xf32>
  %e = tensor.empty(%n) : tensor<?x2x4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xp, %k : tensor<?x1x6x6xf32>, tensor<2x1x3x3xf32>) outs(%z : tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  %u = linalg.generic {indexing_maps = [#x4, #ch4, #x4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %cb : tensor<?x2x4x4xf32>, tensor<2xf32>) outs(%e : tensor<?x2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x2x4x4xf32>
  return %u : tensor<?x2x4x4xf32>
}

// PADCONV-LABEL: func.func private @padded_conv_forward_points(
// PADCONV:         %[[XP:.*]] = tensor.insert_slice
// PADCONV:         %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XP]],
// PADCONV:         %[[U:.*]] = linalg.generic {{.*}} ins(%[[C]],
// PADCONV:         return %[[U]], %[[XP]], %[[C]] :
// PADCONV-LABEL: func.func private @padded_conv_forward_rows(
// PADCONV-SAME:    %[[UA:[^:]+]]: tensor<?x2x4x4xf32>)
// PADCONV-NOT:     linalg.conv_2d_nchw_fchw
// PADCONV:         flops.perturb %[[UA]],
// PADCONV-LABEL: func.func @train_step(
// PADCONV:         %[[PTS:.*]]:3 = call @padded_conv_forward_points(
// PADCONV:         scf.for
// PADCONV:           flops.expand {{.*}} : tensor<4x2x4x4xf32>, tensor<4xi32> -> tensor<4x2x4x4xf32>
// PADCONV:           flops.scatter_add
// PADCONV-NOT:       linalg.conv_2d_nchw_fchw
// PADCONV:           scf.yield

/// A batch merged with another dimension (tokens flattened into rows) is
/// not row-wise: everything from the collapse on runs per query row, and
/// there is no points function (checked absent over the whole output).
func.func @merged_batch_forward(%x: tensor<4x3x2xf32>,
                                %b: tensor<2xf32> {flops.param, flops.name = "b"}) -> tensor<4x3x2xf32> {
  %f = tensor.collapse_shape %x [[0, 1], [2]] : tensor<4x3x2xf32> into tensor<12x2xf32>
  %e = tensor.empty() : tensor<12x2xf32>
  %t = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%f : tensor<12x2xf32>) outs(%e : tensor<12x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.tanh %a : f32
    linalg.yield %v : f32
  } -> tensor<12x2xf32>
  %r = tensor.expand_shape %t [[0, 1], [2]] output_shape [4, 3, 2] : tensor<12x2xf32> into tensor<4x3x2xf32>
  %e3 = tensor.empty() : tensor<4x3x2xf32>
  %u = linalg.generic {indexing_maps = [#x3, #ch3, #x3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r, %b : tensor<4x3x2xf32>, tensor<2xf32>) outs(%e3 : tensor<4x3x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x3x2xf32>
  return %u : tensor<4x3x2xf32>
}

// MERGED-LABEL: func.func private @merged_batch_forward_rows(
// MERGED:         tensor.collapse_shape
// MERGED:         math.tanh
// MERGED:         tensor.expand_shape
// MERGED:         flops.perturb
// MERGED-LABEL: func.func @train_step(
