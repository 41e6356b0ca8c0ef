// RUN: flops-opt %s -split-input-file -verify-diagnostics --pass-pipeline="builtin.module(flops-forward-train{loss=mse})"

/// A rule whose build fails after its check accepted the parameter's use is
/// an error naming the parameter and the op (issue 11, hole d), not a
/// parameter left without its gradient. flops-opt's test model of
/// linalg.mmt4d (test/lib/TestRuleFailure.cpp) accepts the use when the op
/// is marked flops.test.rule_build_fails and always fails to build.
func.func @forward(%x: tensor<4x2x3x5xf32>, %w: tensor<6x2x7x5xf32> {flops.param, flops.name = "packed.weight"}) -> tensor<4x6x3x7xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x6x3x7xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x6x3x7xf32>) -> tensor<4x6x3x7xf32>
  // expected-error @below {{the estimator rule failed to build the gradient of parameter packed.weight}}
  %y = linalg.mmt4d {flops.test.rule_build_fails} ins(%x, %w : tensor<4x2x3x5xf32>, tensor<6x2x7x5xf32>) outs(%f : tensor<4x6x3x7xf32>) -> tensor<4x6x3x7xf32>
  return %y : tensor<4x6x3x7xf32>
}

// -----

/// Unmarked, the test model's check rejects the use (the site analysis
/// reports it before any rule is built).
func.func @forward(%x: tensor<4x2x3x5xf32>, %w: tensor<6x2x7x5xf32> {flops.param, flops.name = "packed.weight"}) -> tensor<4x6x3x7xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x6x3x7xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x6x3x7xf32>) -> tensor<4x6x3x7xf32>
  // expected-error @below {{cannot estimate the gradient of parameter packed.weight: 'linalg.mmt4d' has no estimator rule (flops-opt's test model accepts only ops marked flops.test.rule_build_fails)}}
  %y = linalg.mmt4d ins(%x, %w : tensor<4x2x3x5xf32>, tensor<6x2x7x5xf32>) outs(%f : tensor<4x6x3x7xf32>) -> tensor<4x6x3x7xf32>
  return %y : tensor<4x6x3x7xf32>
}
