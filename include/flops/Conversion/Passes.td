//===- Passes.td - flops conversion passes -----------------*- tablegen -*-===//

#ifndef FLOPS_CONVERSION_PASSES_TD
#define FLOPS_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertFlopsToLinalgPass : Pass<"flops-to-linalg"> {
  let summary = "Reference lowering of every flops op to upstream dialects";
  let description = [{
    Rewrites each `flops` op into linalg, tensor, arith, math and scf:
    `flops.philox` becomes the ten Philox rounds in `arith`; the noise ops
    become `linalg.generic`s whose bodies compute the counter-based normal
    (Philox4x32-10 + Box-Muller) from `linalg.index`, so the noise is made
    where it is consumed and never read back; `flops.allocate` and
    `flops.row_map` become `scf.for` loops over small tensors; `flops.expand`
    a gather. The results are bit-identical to the C++ runtime
    (`flops/Runtime/Philox.h`, `Allocation.h`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // FLOPS_CONVERSION_PASSES_TD
