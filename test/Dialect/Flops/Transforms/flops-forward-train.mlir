// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train)" | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{queries=2})" | FileCheck %s --check-prefix=QUERIES
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{antithetic=false})" | FileCheck %s --check-prefix=NOANTI --implicit-check-not=antithetic --implicit-check-not=pairs
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{loss=mse})" | FileCheck %s --check-prefix=MSE
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{loss=user})" | FileCheck %s --check-prefix=USER
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{baseline=none})" | FileCheck %s --check-prefix=BNONE
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{baseline=batch-mean})" | FileCheck %s --check-prefix=BMEAN
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{perturb-last=1})" | FileCheck %s --check-prefix=LAST
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{freeze-sigma=true})" | FileCheck %s --check-prefix=FREEZE --implicit-check-not=flops.log_sigma_grad --implicit-check-not=log_sigma_adam
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{optimizer=sgd})" | FileCheck %s --check-prefix=SGD --implicit-check-not=adam_ --implicit-check-not=math.powf
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{clip-norm=1.0})" | FileCheck %s --check-prefix=CLIP
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{suffix=_v2})" | FileCheck %s --check-prefix=SUFFIX --implicit-check-not="@train_step(" --implicit-check-not="@eval_step(" --implicit-check-not="@forward_rows(" --implicit-check-not="func.func private @train_step_v2"
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=forward_dyn batch-size=4})" | FileCheck %s --check-prefix=DYN
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=conv_forward})" | FileCheck %s --check-prefix=CONV
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=token_forward})" | FileCheck %s --check-prefix=TOKEN
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=negative_shared_product})" | FileCheck %s --check-prefix=NEG

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
