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
  let options = [
    Option<"expandNoise", "expand-noise", "bool", /*default=*/"true",
           "Expand the per-element flops.counter_normal ops of the noise "
           "generics into arith at the end; false leaves them for "
           "flops-expand-noise after vectorization">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ExpandNoisePass : Pass<"flops-expand-noise"> {
  let summary = "Expand flops.counter_normal into arith";
  let description = [{
    Replaces every `flops.counter_normal` by the Philox4x32-10 and
    Box-Muller arithmetic of the noise convention. Scalar ops, and vectors
    whose lanes cannot be shown to be consecutive elements of one row, get
    the per-element form (each lane its own Philox block). A vector whose
    seed, step and row are the same in every lane and whose elements are
    e0, e0 + 1, ..., e0 + L - 1 with e0 a multiple of 4 (known from the
    loop bounds and steps) and L a multiple of 4 shares the work: one Philox
    block per 4 lanes, one logarithm, square root and sine/cosine polynomial
    per 2 lanes. Both give the same bits.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // FLOPS_CONVERSION_PASSES_TD
