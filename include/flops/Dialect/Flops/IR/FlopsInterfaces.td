//===- FlopsInterfaces.td - estimator rules of ops ---------*- tablegen -*-===//

#ifndef FLOPS_DIALECT_FLOPS_IR_FLOPSINTERFACES_TD
#define FLOPS_DIALECT_FLOPS_IR_FLOPSINTERFACES_TD

include "mlir/IR/OpBase.td"

def Flops_EstimatorRuleOpInterface : OpInterface<"EstimatorRuleOpInterface"> {
  let cppNamespace = "::mlir::flops";
  let description = [{
    How to estimate the gradient of an op's inputs from `Δ`, the
    likelihood-ratio signal at the op's result (docs/METHOD.md §2.1): the rule
    replaces the upstream gradient of backpropagation by `Δ`, and nothing is
    propagated further than the ops of one perturbation site. Implemented as
    external models on upstream ops (lib/Dialect/Flops/Rules), registered by
    `registerEstimatorRules(DialectRegistry &)`.
  }];
  let methods = [
    InterfaceMethod<[{
      Whether the op's result starts a perturbation site: a parametric
      contraction (matmul, convolution, token matmul).
    }], "bool", "isSiteContraction", (ins)>,
    InterfaceMethod<[{
      The dimension of the result that holds one noise scale each (output
      units; channels for NCHW convolutions).
    }], "int64_t", "getSiteChannelDim", (ins)>,
    InterfaceMethod<[{
      Whether the rule can build the gradient with respect to input `index`;
      on failure, `reason` says why.
    }], "::mlir::LogicalResult", "checkEstimable",
      (ins "unsigned":$index, "std::string &":$reason)>,
    InterfaceMethod<[{
      Builds the estimate of the gradient with respect to input `index`,
      given `delta` (shaped like the op's result) and `inputs`, the op's
      inputs as they are at the insertion point. When `init` is set the
      estimate is accumulated into it (init + ĝ), otherwise into zeros.
    }], "::mlir::FailureOr<::mlir::Value>", "buildInputGradient",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
           "unsigned":$index, "::mlir::Value":$delta,
           "::mlir::ValueRange":$inputs, "::mlir::Value":$init)>,
    InterfaceMethod<[{
      Whether the rule can build the gradient with respect to `captured`, a
      value defined above the op that its body reads (an embedding table
      that a gather reads with `tensor.extract`); on failure, `reason` says
      why.
    }], "::mlir::LogicalResult", "checkCapturedEstimable",
      (ins "::mlir::Value":$captured, "std::string &":$reason), [{}], [{
        reason = "reads it inside its body";
        return ::mlir::failure();
      }]>,
    InterfaceMethod<[{
      Builds the estimate of the gradient with respect to `captured` (the
      value as the op's body reads it), given `delta` and `inputs` as for
      buildInputGradient; accumulated into `init` when it is set.
    }], "::mlir::FailureOr<::mlir::Value>", "buildCapturedGradient",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
           "::mlir::Value":$captured, "::mlir::Value":$delta,
           "::mlir::ValueRange":$inputs, "::mlir::Value":$init), [{}], [{
        return ::mlir::failure();
      }]>
  ];
}

#endif // FLOPS_DIALECT_FLOPS_IR_FLOPSINTERFACES_TD
