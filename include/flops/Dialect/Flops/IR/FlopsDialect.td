//===- FlopsDialect.td - the flops dialect -------------------*- tablegen -*-===//
//
// The `flops` dialect: the perturbed-query graph of forward-only (likelihood
// ratio) training. See docs/ARCHITECTURE.md.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DIALECT_FLOPS_IR_FLOPSDIALECT_TD
#define FLOPS_DIALECT_FLOPS_IR_FLOPSDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def Flops_Dialect : Dialect {
  let name = "flops";
  let cppNamespace = "::mlir::flops";
  let summary = "Forward-only (perturbation / likelihood-ratio) training";
  let description = [{
    Ops that carry the meaning of FLOPS training steps: counter-based noise,
    perturbation of layer outputs ("sites"), query allocation, expansion of
    a batch of B data points into N query rows, and the building blocks of
    the likelihood-ratio gradient estimate. Every op has a reference
    lowering to upstream dialects (`flops-to-linalg`).

    Noise convention shared by `flops.normal`, `flops.perturb`,
    `flops.site_delta` and `flops.log_sigma_grad` (and by the C++ runtime,
    bit for bit): for row `r` and element `e` (the row-major linear index
    over all dimensions but the first) of a stream identified by
    `(seed, step, site)`, with `p = antithetic ? r / 2 : r`,
    `x = Philox4x32-10(key = (lo32(seed), hi32(seed)),
                       counter = (lo32(e >> 2), lo32(p), site, lo32(step)))`,
    lane `l = e & 3` and `(a, b) = (x[2(l >> 1)], x[2(l >> 1) + 1])`:
    `u1, u2` are uniforms in (0, 1) made exactly from `a, b`
    (f32: `((x >> 9) + 0.5) * 2^-23`; f64: `(x + 0.5) * 2^-32`),
    `z = sqrt(-2 log u1) * (l even ? cos(2 pi u2) : sin(2 pi u2))`, and `z`
    is negated on odd rows when `antithetic` is set.
  }];
  let hasConstantMaterializer = 1;
}

def Flops_AllocStrategy : I32EnumAttr<"AllocStrategy",
    "rule that turns per-point scores into integer query counts", [
      I32EnumAttrCase<"uniform", 0>,
      I32EnumAttrCase<"proportional", 1>,
      I32EnumAttrCase<"neyman", 2>
    ]> {
  let cppNamespace = "::mlir::flops";
}

def Flops_RowWeighting : I32EnumAttr<"RowWeighting",
    "weight of one query row in the step estimate", [
      I32EnumAttrCase<"per_point", 0>,
      I32EnumAttrCase<"row_mean", 1>
    ]> {
  let cppNamespace = "::mlir::flops";
}

def Flops_Baseline : I32EnumAttr<"Baseline",
    "baseline subtracted from a row's loss", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"batch_mean", 1>,
      I32EnumAttrCase<"clean", 2>
    ]> {
  let cppNamespace = "::mlir::flops";
}

class Flops_Op<string mnemonic, list<Trait> traits = []>
    : Op<Flops_Dialect, mnemonic, traits>;

#endif // FLOPS_DIALECT_FLOPS_IR_FLOPSDIALECT_TD
