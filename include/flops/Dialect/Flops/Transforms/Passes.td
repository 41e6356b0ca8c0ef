//===- Passes.td - flops dialect passes --------------------*- tablegen -*-===//

#ifndef FLOPS_DIALECT_FLOPS_TRANSFORMS_PASSES_TD
#define FLOPS_DIALECT_FLOPS_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ForwardTrainPass : Pass<"flops-forward-train", "::mlir::ModuleOp"> {
  let summary = "Build a forward-only (likelihood-ratio) training step from a "
                "forward function";
  let description = [{
    Reads the forward function (`entry`, default `@forward`): linalg on
    tensors whose parameters are the arguments marked `flops.param`; the
    other arguments are data with the batch in dimension 0. Adds:

    - `@<entry>_rows`: the forward with `flops.perturb` after every
      perturbation site (a parametric contraction's output after its bias,
      i.e. the pre-activation), returning the outputs plus what the
      estimator rules read (site values and layer inputs);
    - `@train_step`: clean forward of the B points (per-point losses and
      baselines), uniform allocation of N = B·queries rows in antithetic
      pairs, the rows in chunks of B (perturbed forward, per-row loss,
      residual, row weights, per-site Δ, per-parameter estimates through the
      op interface's rules, log-σ estimates), optional global-norm clipping
      and the optimizer update. It takes and returns the whole state;
      arguments and results carry `flops.role` / `flops.name` attributes;
    - `@eval_step`: loss sum and correct count over the first `valid` rows.

    Invalid input (no parameters, a parameter used by an op without an
    estimator rule, batch sizes that disagree, bad options) is reported on
    the offending op.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"forward\"",
           "Name of the forward function">,
    Option<"suffix", "suffix", "std::string", "\"\"",
           "Appended to the names of the generated functions (train_step, "
           "eval_step, <entry>_rows, <entry>_points), so that one module can hold several "
           "variants">,
    Option<"estimator", "estimator", "std::string", "\"lr\"",
           "Gradient estimator: lr (noise on layer outputs, the paper's), "
           "spsa (MeZO: K = rows / (2 B) shared weight directions per step, "
           "each evaluated at theta +- sigma z on the batch) or es (every "
           "query row at its own weights theta + sigma eps_r, eps_r "
           "regenerated inside the ops that read the weights; fixed sigma)">,
    Option<"spsaInPlace", "spsa-in-place", "bool", "false",
           "estimator=spsa with SGD (momentum 0): perturb, restore and update "
           "the parameters in place in the step's state buffers (MeZO), with "
           "no parameter-sized temporaries and no momentum state; "
           "@train_step then updates its parameter arguments in place "
           "(flops.in_place_state)">,
    Option<"esRank", "es-rank", "int64_t", "0",
           "estimator=es: low-rank weight noise (EGGROLL) eps_W = a b^T / "
           "sqrt(r) of rank r per query row for matmul weights; 0 = full "
           "rank (independent Gaussian per element)">,
    Option<"queries", "queries", "int64_t", "8",
           "Queries per data point (N = B * queries rows per step)">,
    Option<"batchSize", "batch-size", "int64_t", "0",
           "Batch size B when the forward's batch is dynamic (0: take it "
           "from the forward's static batch)">,
    Option<"antithetic", "antithetic", "bool", "true",
           "Antithetic pairs: rows 2k and 2k+1 of a point share noise with "
           "opposite signs">,
    Option<"loss", "loss", "std::string", "\"cross-entropy\"",
           "Per-row loss: cross-entropy (integer labels), mse, or user "
           "(a function `loss-fn`(outputs, labels) -> tensor<?xf32>)">,
    Option<"lossFn", "loss-fn", "std::string", "\"loss\"",
           "Name of the user loss function (with loss=user)">,
    Option<"baseline", "baseline", "std::string", "\"clean\"",
           "Baseline subtracted from row losses: none, batch-mean, clean">,
    Option<"perturbLast", "perturb-last", "int64_t", "0",
           "Perturb (and train) only the last k sites; 0 = all sites">,
    Option<"perturb", "perturb", "std::string", "\"all\"",
           "Sites a query row perturbs (estimator=lr): all, or layer-wise "
           "(one site per query, cycling through the S sites from a random "
           "phase per step; each site's estimate is scaled by S)">,
    ListOption<"sites", "sites", "std::string",
           "Perturb (and train) only the sites that read a parameter whose "
           "flops.name contains one of these strings (e.g. "
           "'attn.q_proj,head'); empty = all sites">,
    Option<"allocator", "allocator", "std::string", "\"uniform\"",
           "Query allocator: uniform, bernoulli, gaussian (learned, the "
           "paper's) or neyman (online per-point deviations)">,
    Option<"budget", "budget", "int64_t", "0",
           "Rows per step N (a multiple of the batch size); 0 = batch-size "
           "x queries">,
    Option<"minQueries", "min-queries", "int64_t", "2",
           "Queries every point gets at least (even with antithetic pairs)">,
    Option<"weighting", "weighting", "std::string", "\"per-point\"",
           "Row weights: per-point (1/(B A_i), unbiased) or row-mean (1/N, "
           "the reference code's)">,
    Option<"bernoulliP", "bernoulli-p", "double", "0.3",
           "Bernoulli allocator: halving probability of a below-mean point">,
    Option<"bernoulliPLate", "bernoulli-p-late", "double", "0.01",
           "Bernoulli allocator: the probability from bernoulli-switch-step on">,
    Option<"bernoulliSwitchStep", "bernoulli-switch-step", "int64_t", "0",
           "Bernoulli allocator: the step where bernoulli-p-late takes over "
           "(flops-train: one epoch); 0 = never">,
    Option<"gaussianLr", "gaussian-lr", "double", "0.1",
           "Gaussian allocator: Adam learning rate of its four parameters">,
    Option<"gaussianJitter", "gaussian-jitter", "double", "1e-4",
           "Gaussian allocator: diagonal jitter of the RBF covariance">,
    Option<"gaussianBaselineDecay", "gaussian-baseline-decay", "double", "0.9",
           "Gaussian allocator: decay of the running baseline of V-hat">,
    Option<"neymanPoints", "neyman-points", "int64_t", "0",
           "Neyman allocator: number of training points (rows of its "
           "per-point statistics table, indexed by the point_ids input)">,
    Option<"neymanKappa", "neyman-kappa", "double", "2.0",
           "Neyman allocator: weight (in queries) of the clean-loss prior">,
    Option<"sigma", "sigma", "double", "1e-3",
           "Initial noise standard deviation (recorded for the driver)">,
    Option<"pointPrefix", "point-prefix", "bool", "true",
           "Compute the part of the forward that no perturbation reaches "
           "once per data point (in @<entry>_points) instead of once per "
           "query row, expanding its values to the rows; sites inside it "
           "sum their Δ per point and apply their estimator rules once per "
           "point. Same estimate, up to the order of the sums">,
    Option<"freezeSigma", "freeze-sigma", "bool", "false",
           "Keep log-sigma fixed instead of learning it">,
    Option<"optimizer", "optimizer", "std::string", "\"adam\"",
           "Optimizer: adam or sgd (with momentum)">,
    Option<"beta1", "beta1", "double", "0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", "0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", "1e-8", "Adam epsilon">,
    Option<"momentum", "momentum", "double", "0.9", "SGD momentum">,
    Option<"clipNorm", "clip-norm", "double", "0.0",
           "Clip the global gradient norm to this value (0 = off)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::flops::FlopsDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def PrepareForwardPass : Pass<"flops-prepare-forward"> {
  let summary = "Normalise an imported forward for flops-forward-train";
  let description = [{
    Rewrites what importers and tosa-to-linalg leave around the contractions
    into the form the site analysis reads: batch matmuls with a unit batch
    become matmuls (upstream rank-reducing contraction patterns), and the
    reshapes they leave behind fold away (collapse of an expand). Run it
    after `tosa-to-linalg`; the pipeline `flops-tosa-to-forward` does.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // FLOPS_DIALECT_FLOPS_TRANSFORMS_PASSES_TD
