//===- FlopsOps.td - flops dialect ops ---------------------*- tablegen -*-===//

#ifndef FLOPS_DIALECT_FLOPS_IR_FLOPSOPS_TD
#define FLOPS_DIALECT_FLOPS_IR_FLOPSOPS_TD

include "flops/Dialect/Flops/IR/FlopsDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/CommonAttrConstraints.td"

def Flops_FloatTensor : RankedTensorOf<[F32, F64]>;
def Flops_FloatVector : 1DTensorOf<[F32, F64]>;
def Flops_CountVector : 1DTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Noise
//===----------------------------------------------------------------------===//

def Flops_PhiloxOp : Flops_Op<"philox", [Pure]> {
  let summary = "Philox4x32-10 counter-based random bits";
  let description = [{
    Computes the Philox4x32-10 bijection (Salmon et al., SC'11) of a 128-bit
    counter under a 64-bit key and returns the four 32-bit output words.
    All values are signless `i32` read as unsigned words. The op folds when
    every operand is a constant.

    Example (Random123's all-zero known-answer vector):

    ```mlir
    %z = arith.constant 0 : i32
    %x:4 = flops.philox key(%z, %z) counter(%z, %z, %z, %z)
    // %x = 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8
    ```
  }];
  let arguments = (ins I32:$key0, I32:$key1, I32:$ctr0, I32:$ctr1, I32:$ctr2,
                       I32:$ctr3);
  let results = (outs I32:$out0, I32:$out1, I32:$out2, I32:$out3);
  let assemblyFormat = [{
    `key` `(` $key0 `,` $key1 `)`
    `counter` `(` $ctr0 `,` $ctr1 `,` $ctr2 `,` $ctr3 `)` attr-dict
  }];
  let hasFolder = 1;
}

class Flops_NoiseOpBase<string mnemonic, list<Trait> traits = []>
    : Flops_Op<mnemonic, !listconcat([Pure], traits)> {
  code noiseExtraDecl = [{
    /// The 32-bit site identifier placed in word 2 of the Philox counter.
    uint32_t getSiteId() { return static_cast<uint32_t>(getSite()); }
  }];
}

def Flops_CounterNormalOp : Flops_Op<"counter_normal",
    [Pure, AllTypesMatch<["seed", "step"]>, AllTypesMatch<["row", "elem"]>]
    # ElementwiseMappable.traits> {
  let summary = "one element of the counter-based standard normal stream";
  let description = [{
    The standard normal that the noise convention assigns to element `elem`
    (row-major within a row) of row `row` of site `site` at `step` under
    `seed` (Philox4x32-10 and Box-Muller: see the dialect description);
    with `antithetic`, odd rows take the negated noise of the row before.

    `flops-to-linalg{expand-noise=false}` leaves it in the bodies of the
    generics it makes for the noise ops, so that vectorization sees one op:
    it is elementwise, and on vectors each lane is its own element. The
    `flops-expand-noise` pass expands it into arith; on a vector of
    consecutive elements of one row starting at a multiple of 4, each
    Philox block is generated once for its four lanes and each
    logarithm once for its pair (bit-identical to the per-element form).

    ```mlir
    %z = flops.counter_normal %seed, %step, %row, %elem {site = 2 : i64}
        : i64, index -> f32
    ```
  }];
  let arguments = (ins TypeOrValueSemanticsContainer<I64, "i64-like">:$seed,
                       TypeOrValueSemanticsContainer<I64, "i64-like">:$step,
                       TypeOrValueSemanticsContainer<Index, "index-like">:$row,
                       TypeOrValueSemanticsContainer<Index, "index-like">:$elem,
                       DefaultValuedAttr<I64Attr, "0">:$site,
                       UnitAttr:$antithetic);
  let results = (outs TypeOrValueSemanticsContainer<AnyTypeOf<[F32, F64]>,
                                                    "f32-or-f64-like">:$result);
  let assemblyFormat = [{
    $seed `,` $step `,` $row `,` $elem attr-dict `:` type($seed) `,`
    type($row) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Flops_NormalOp : Flops_NoiseOpBase<"normal", [AttrSizedOperandSegments]> {
  let summary = "counter-based standard normal noise";
  let description = [{
    Fills a tensor with standard normal draws from the dialect's
    counter-based stream `(seed, step, site)` (see the dialect description
    for the exact bits). Dimension 0 is the query row; the remaining
    dimensions are one row's elements in row-major order. With `antithetic`,
    rows `2k` and `2k+1` draw the same values with opposite signs. Dynamic
    dimensions are given as `index` operands, as for `tensor.empty`. The
    optional `offset` is added to every row index (a tensor that holds rows
    `offset .. offset+n-1` of a larger query batch draws exactly their noise;
    antithetic pairs follow the absolute row's parity).

    Nothing is stored between calls: the same operands always produce the
    same tensor, which is what lets a consumer regenerate the noise instead
    of reading it back.

    ```mlir
    %eps = flops.normal %seed, %step (%rows) {site = 3 : i64, antithetic}
        : tensor<?x16xf32>
    %chunk = flops.normal %seed, %step offset %r0 {site = 3 : i64}
        : tensor<64x16xf32>
    ```
  }];
  let arguments = (ins I64:$seed, I64:$step, Variadic<Index>:$dynamicSizes,
                       Optional<Index>:$row_offset,
                       DefaultValuedAttr<I64Attr, "0">:$site,
                       UnitAttr:$antithetic);
  let results = (outs Flops_FloatTensor:$result);
  let assemblyFormat = [{
    $seed `,` $step (`(` $dynamicSizes^ `)`)? (`offset` $row_offset^)?
    attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = noiseExtraDecl;
}

def Flops_PerturbOp : Flops_NoiseOpBase<"perturb",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "add scaled counter-based noise to a site's output";
  let description = [{
    The perturbation of a site: `result = input + exp(log_sigma) * eps`,
    where `eps` is exactly `flops.normal %seed, %step` of the input's shape
    with the same `site` and `antithetic` attributes, and `log_sigma` holds
    one log standard deviation per unit of dimension `channel_dim`
    (default: the last dimension; 1 for NCHW convolutions). Dimension 0 is
    the query row (plus the optional `offset`, as for `flops.normal`); with
    `antithetic`, odd rows receive the negated noise of the even row before
    them.

    ```mlir
    %v = flops.perturb %u, %rho, %seed, %step {site = 0 : i64, antithetic}
        : tensor<512x256xf32>, tensor<256xf32>
    ```
  }];
  let arguments = (ins Flops_FloatTensor:$input, Flops_FloatVector:$log_sigma,
                       I64:$seed, I64:$step, Optional<Index>:$row_offset,
                       DefaultValuedAttr<I64Attr, "0">:$site,
                       UnitAttr:$antithetic,
                       OptionalAttr<I64Attr>:$channel_dim);
  let results = (outs Flops_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $log_sigma `,` $seed `,` $step (`offset` $row_offset^)?
    attr-dict `:` type($input) `,` type($log_sigma)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = noiseExtraDecl # [{
    /// The dimension that `log_sigma` indexes.
    int64_t getChannelDimension();
  }];
}

def Flops_SiteDeltaOp : Flops_NoiseOpBase<"site_delta",
    [AllTypesMatch<["like", "result"]>]> {
  let summary = "per-site upstream signal of the likelihood-ratio estimate";
  let description = [{
    Regenerates a site's noise and forms `Δ[r, ...] = coeff[r] * eps[r, ...]
    / exp(log_sigma[c])`, where `eps` is the noise that `flops.perturb` with
    the same `seed`, `step`, `offset`, `site`, `antithetic` and `channel_dim`
    added to
    a tensor of the type of `like` (only the shape of `like` is read), and
    `coeff[r] = ω_r R_r` is the row's weighted residual. `Δ` takes the place
    of the upstream gradient in the layer's weight-gradient contraction
    (`ĝ_W = Δᵀ a` for a linear layer, `ĝ_b = Σ_r Δ_r`).

    ```mlir
    %d = flops.site_delta %coeff, %rho, %seed, %step like %v
        {site = 0 : i64, antithetic}
        : tensor<512xf32>, tensor<256xf32>, tensor<512x256xf32>
    ```
  }];
  let arguments = (ins Flops_FloatVector:$coeff, Flops_FloatVector:$log_sigma,
                       I64:$seed, I64:$step, Optional<Index>:$row_offset,
                       Flops_FloatTensor:$like,
                       DefaultValuedAttr<I64Attr, "0">:$site,
                       UnitAttr:$antithetic,
                       OptionalAttr<I64Attr>:$channel_dim);
  let results = (outs Flops_FloatTensor:$result);
  let assemblyFormat = [{
    $coeff `,` $log_sigma `,` $seed `,` $step (`offset` $row_offset^)?
    `like` $like attr-dict `:` type($coeff) `,` type($log_sigma) `,`
    type($like)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = noiseExtraDecl # [{
    int64_t getChannelDimension();
  }];
}

def Flops_LogSigmaGradOp : Flops_NoiseOpBase<"log_sigma_grad"> {
  let summary = "likelihood-ratio gradient of a site's log noise scale";
  let description = [{
    Regenerates a site's noise (as `flops.site_delta` does) and returns, per
    unit `c` of dimension `channel_dim`,
    `ĝ_ρ[c] = Σ_r Σ_{positions of c} coeff[r] * (eps² - 1)`, the score-function
    estimate of the gradient of the smoothed loss with respect to
    `ρ = log σ` (docs/METHOD.md §2.1). For convolutions the sum runs over the
    spatial positions of each channel.

    ```mlir
    %g = flops.log_sigma_grad %coeff, %seed, %step like %v
        {site = 0 : i64, antithetic}
        : tensor<512xf32>, tensor<512x256xf32> -> tensor<256xf32>
    ```
  }];
  let arguments = (ins Flops_FloatVector:$coeff, I64:$seed, I64:$step,
                       Optional<Index>:$row_offset, Flops_FloatTensor:$like,
                       DefaultValuedAttr<I64Attr, "0">:$site,
                       UnitAttr:$antithetic,
                       OptionalAttr<I64Attr>:$channel_dim);
  let results = (outs Flops_FloatVector:$result);
  let assemblyFormat = [{
    $coeff `,` $seed `,` $step (`offset` $row_offset^)? `like` $like
    attr-dict `:` type($coeff) `,` type($like) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = noiseExtraDecl # [{
    int64_t getChannelDimension();
  }];
}

//===----------------------------------------------------------------------===//
// Allocation and expansion
//===----------------------------------------------------------------------===//

def Flops_AllocateOp : Flops_Op<"allocate", [Pure]> {
  let summary = "integer query counts per data point from per-point scores";
  let description = [{
    Turns B per-point scores into B integer query counts `A` with
    `Σ A = budget` exactly, `A_i >= min_count`, and every `A_i` even when
    `pairs` is set (antithetic pairs). `min_count` queries are reserved per
    point and the remaining `M = budget - B * min_count` are handed out in
    units of 1 (or 2 with `pairs`):
    - `uniform`: scores are ignored; every point gets `M / B` units and the
      remainder goes to the lowest indices.
    - `proportional`: units in proportion to `max(score, 0)` (a continuous
      draw such as the Gaussian allocator's); floors first, then the
      leftover by largest remainder, ties to the lowest index; uniform when
      no score is positive (docs/METHOD.md §3.3).
    - `neyman`: scores are per-point standard deviations `σ_i`; units go one
      at a time to the point with the largest `σ_i² (1/A_i - 1/(A_i+unit))`,
      the exact integer minimiser of `Σ σ_i² / A_i` (docs/METHOD.md §3.1);
      uniform when no score is positive. Needs `min_count >= 1`.
    The C++ runtime's `flops::rt::allocateCounts` implements the same steps.

    ```mlir
    %counts = flops.allocate neyman %sigma {budget = 512 : i64,
        min_count = 2 : i64, pairs} : tensor<64xf32> -> tensor<64xi32>
    ```
  }];
  let arguments = (ins Flops_AllocStrategy:$strategy,
                       Flops_FloatVector:$scores,
                       I64Attr:$budget,
                       DefaultValuedAttr<I64Attr, "2">:$min_count,
                       UnitAttr:$pairs);
  let results = (outs Flops_CountVector:$counts);
  let assemblyFormat = [{
    $strategy $scores attr-dict `:` type($scores) `->` type($counts)
  }];
  let hasVerifier = 1;
}

def Flops_RowMapOp : Flops_Op<"row_map", [Pure]> {
  let summary = "row-to-point map of a batch laid out by query counts";
  let description = [{
    Lays B data points out as N query rows: point `i` owns `counts[i]`
    consecutive rows, in point order (a repeat-interleave of `0..B-1`), and
    `result[r]` is the point of row `r`. Counts should sum to N (the
    allocator guarantees it); rows past `Σ counts` belong to point B-1 and
    counts past N are cut off. N is the static result size, or the
    `rows` operand when the result is dynamic.

    ```mlir
    %map = flops.row_map %counts : tensor<64xi32> -> tensor<512xi32>
    %map2 = flops.row_map %counts rows %n : tensor<?xi32> -> tensor<?xi32>
    ```
  }];
  let arguments = (ins Flops_CountVector:$counts, Optional<Index>:$rows);
  let results = (outs Flops_CountVector:$result);
  let assemblyFormat = [{
    $counts (`rows` $rows^)? attr-dict `:` type($counts) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Flops_ExpandOp : Flops_Op<"expand", [Pure]> {
  let summary = "expand a batch of data points into query rows";
  let description = [{
    Gathers rows of `input` (dimension 0 = data point) by a row-to-point map:
    `result[r, ...] = input[row_map[r], ...]`. With the map of
    `flops.row_map`, this is a repeat-interleave of the batch by the query
    counts. Every map entry must be a valid point index.

    ```mlir
    %xs = flops.expand %x, %map
        : tensor<64x784xf32>, tensor<512xi32> -> tensor<512x784xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Flops_CountVector:$row_map);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $row_map attr-dict `:` type($input) `,` type($row_map) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Flops_ScatterAddOp : Flops_Op<"scatter_add",
    [Pure, AllTypesMatch<["acc", "result"]>]> {
  let summary = "sum query rows into their data points (adjoint of expand)";
  let description = [{
    Adds every row of `rows` to the row of `acc` that `row_map` names:
    `result[i, ...] = acc[i, ...] + Σ_{r : row_map[r] = i} rows[r, ...]`,
    the rows taken in order. It is the adjoint of `flops.expand`: the
    training step sums the Δ of a site whose layer input is the same for
    every query of a point (a prefix of the forward with no perturbation
    before it) per point, and applies the site's estimator rules once per
    point instead of once per query. Every map entry must be a valid index
    of `acc`'s dimension 0.

    ```mlir
    %pts = flops.scatter_add %delta, %map into %acc
        : tensor<64x256xf32>, tensor<64xi32> -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$rows, Flops_CountVector:$row_map,
                       AnyRankedTensor:$acc);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $rows `,` $row_map `into` $acc attr-dict `:` type($rows) `,`
    type($row_map) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Estimator building blocks
//===----------------------------------------------------------------------===//

def Flops_RowWeightsOp : Flops_Op<"row_weights", [Pure]> {
  let summary = "weight ω of each query row in the step estimate";
  let description = [{
    `per_point`: `ω_r = 1 / (B * counts[row_map[r]])`, which keeps the step
    estimate unbiased for the batch-mean gradient under any allocation.
    `row_mean`: `ω_r = 1 / N` (the reference code's plain mean over rows);
    it folds to a constant when N is static.

    ```mlir
    %w = flops.row_weights per_point %counts, %map
        : tensor<64xi32>, tensor<512xi32> -> tensor<512xf32>
    ```
  }];
  let arguments = (ins Flops_RowWeighting:$weighting,
                       Flops_CountVector:$counts, Flops_CountVector:$row_map);
  let results = (outs Flops_FloatVector:$result);
  let assemblyFormat = [{
    $weighting $counts `,` $row_map attr-dict `:` type($counts) `,`
    type($row_map) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Flops_ResidualOp : Flops_Op<"residual",
    [Pure, AllTypesMatch<["row_losses", "result"]>]> {
  let summary = "row loss minus the baseline of its data point";
  let description = [{
    `R_r = L_r - β_r` with the baseline `none` (`β = 0`; folds to the row
    losses), `batch_mean` (the mean of the B clean losses) or `clean` (the
    row's own point's clean, noise-free loss `clean[row_map[r]]`).

    ```mlir
    %R = flops.residual clean %L, %clean, %map
        : tensor<512xf32>, tensor<64xf32>, tensor<512xi32>
    ```
  }];
  let arguments = (ins Flops_Baseline:$baseline,
                       Flops_FloatVector:$row_losses,
                       Flops_FloatVector:$clean_losses,
                       Flops_CountVector:$row_map);
  let results = (outs Flops_FloatVector:$result);
  let assemblyFormat = [{
    $baseline $row_losses `,` $clean_losses `,` $row_map attr-dict `:`
    type($row_losses) `,` type($clean_losses) `,` type($row_map)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // FLOPS_DIALECT_FLOPS_IR_FLOPSOPS_TD
