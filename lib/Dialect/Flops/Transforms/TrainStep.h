//===- TrainStep.h - the train step, built in phases ------------*- C++ -*-===//
//
// flops-forward-train assembles @train_step from phases with narrow
// interfaces, each in its own file:
//
//   StepABI.cpp         the state ABI: signature, argument roles, attributes
//   StepAllocation.cpp  the clean forward, the allocation of the query rows,
//                       and the allocators' own updates after the step
//   QueryLoop.cpp       the loop over chunks of query rows (for estimators
//                       that query the rows function)
//   Estimators.cpp      the estimator table; LREstimator.cpp,
//                       SPSAEstimator.cpp, ESEstimator.cpp: the strategies
//   SiteRules.cpp       the estimator rules of one site (Δ to parameters)
//   StepOptimizer.cpp   gradient norm, clipping, SGD / Adam
//
// The ABI is documented in docs/ARCHITECTURE.md, "Training step ABI"; the
// method in docs/METHOD.md.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_TRAINSTEP_H
#define FLOPS_LIB_DIALECT_FLOPS_TRANSFORMS_TRAINSTEP_H

#include "PointPrefix.h"
#include "SiteAnalysis.h"

#include "flops/Dialect/Flops/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <memory>

namespace mlir::flops::train {

using Options = ForwardTrainPassOptions;

/// What the rows function returns for one perturbed site, besides the
/// forward's results: the perturbed site value and the non-parameter inputs
/// of the site's ops (the layer inputs the rules read).
struct SiteExtras {
  unsigned siteResult;                // Result number of the site value.
  DenseMap<Value, unsigned> inputPos; // Forward value -> result number.
};

/// Builds @<entry>_rows (and @<entry>_points when the forward has a
/// per-point prefix): fills `extras` per perturbed site and `prefix`.
func::FuncOp buildRowsFunction(const Options &opt, const ForwardInfo &info,
                               ArrayRef<unsigned> perturbed,
                               SmallVectorImpl<SiteExtras> &extras,
                               PointPrefix &prefix);

/// perturb=layer-wise: the step's phase φ = hash(seed, step) mod S (index).
Value layerWisePhase(OpBuilder &b, Location loc, Value seed, Value step,
                     int64_t numSites);
/// perturb=layer-wise: the site that query row `row` (absolute, index)
/// perturbs: (pair + φ) mod S, pair = row / 2 with antithetic pairs (both
/// rows of a pair perturb the same site), else row. Every row perturbs site
/// k with probability 1/S over φ.
Value layerWiseSite(OpBuilder &b, Location loc, Value phase, Value row,
                    int64_t numSites, bool antithetic);

/// `t` (a ranked tensor type) with dimension 0 set to `rows`.
RankedTensorType withBatch(Type t, int64_t rows);
/// Adds `role` / `name` attributes to argument or result `i` of `fn`.
void setRole(func::FuncOp fn, bool result, unsigned i, StringRef role,
             StringRef name);
/// The `flops.name` of argument `arg` of `fn`, or "param<arg>".
std::string paramName(func::FuncOp fn, unsigned arg);
/// Per-row loss (and 1.0 where the prediction is right, for
/// cross-entropy) of the forward's `outputs` under the `loss` option.
std::pair<Value, Value> rowLoss(OpBuilder &b, Location loc,
                                const Options &opt, ModuleOp module,
                                ValueRange outputs, Value labels);

/// The state ABI of @train_step: argument positions by role. State
/// arguments come first (and are returned updated, in the same order), then
/// lr, step, seed, the data, the labels and the point ids.
struct StepABI {
  SmallVector<bool> trainable;     // Per parameter position.
  SmallVector<unsigned> trainIdx;  // Trainable parameter positions.
  DenseMap<unsigned, unsigned> gradOf; // Param position -> index in trainIdx.
  SmallVector<unsigned> pArg, mArg, vArg; // Parameters, moments.
  SmallVector<unsigned> rhoArg, rmArg, rvArg; // Log-sigmas, their moments.
  unsigned allocStateArg = 0, neymanArg = 0;
  unsigned numState = 0;
  unsigned lrArg = 0, stepArg = 0, seedArg = 0, labelArg = 0, pointArg = 0;
  SmallVector<unsigned> dArg;
};

/// What every phase reads: the options, the analysed forward, the train
/// function being built and its ABI.
struct StepContext {
  const Options &opt;
  ModuleOp module;
  const ForwardInfo &info;
  ArrayRef<unsigned> perturbed;
  ArrayRef<SiteExtras> extras;
  const PointPrefix &prefix;
  func::FuncOp rows;   // Null for estimators that do not query rows.
  int64_t batch;
  int64_t numRows;     // Query rows per step (N).
  Type labelType;
  OpBuilder &b;
  Location loc;
  Type ft, f64, i32, i64;
  func::FuncOp train;
  StepABI abi;
  /// The step's data arguments and the points function's call (if any).
  SmallVector<Value> data;
  func::CallOp points;
  /// Set when an estimator rule failed to build (reported on its op).
  bool ruleFailed = false;
  /// The sites carry noise with learnable log-sigmas (estimators that query
  /// the rows function); false for weight-space estimators.
  bool siteNoise = true;

  StepContext(const Options &opt, ModuleOp module, const ForwardInfo &info,
              ArrayRef<unsigned> perturbed, ArrayRef<SiteExtras> extras,
              const PointPrefix &prefix, func::FuncOp rows, int64_t batch,
              int64_t numRows, Type labelType, OpBuilder &b, Location loc);

  bool adam() const { return opt.optimizer == "adam"; }
  /// In-place MeZO: the estimator updates the parameters itself, in place,
  /// and the state has no momentum (docs/METHOD.md §2.3).
  bool inPlace() const { return opt.spsaInPlace; }
  bool learnSigma() const { return siteNoise && !opt.freezeSigma; }
  bool gaussian() const { return opt.allocator == "gaussian"; }
  bool neyman() const { return opt.allocator == "neyman"; }
  bool bernoulli() const { return opt.allocator == "bernoulli"; }
  /// V-hat (the variance proxy of docs/METHOD.md §3.2) feeds the learned
  /// and the online allocators.
  bool needRowSq() const { return gaussian() || neyman(); }
  unsigned numParams() const { return info.paramArgs.size(); }
  unsigned numSites() const { return perturbed.size(); }

  BlockArgument arg(unsigned i) const;
  /// Forward-call operands in the forward's argument order, with the
  /// step's parameters and `data`.
  SmallVector<Value> forwardArgs(ValueRange data, ValueRange params = {});
  /// `vals` cast to static batch `rowsN` where their type differs.
  SmallVector<Value> castResults(ValueRange vals, int64_t rowsN);
  /// A forward value computed per point, with the static batch: a data
  /// argument or a result of the points function.
  Value pointValue(Value v);
  Value constF(double v);
  Value i64c(int64_t v);
  Value f64c(double v);
};

/// Phase 1: the signature and attributes of @train_step; fills `ctx.abi`
/// and `ctx.train` and leaves the builder at the start of its body.
void buildStepSignature(StepContext &ctx);

/// Phase 2a: the noise-free forward of the B points.
struct CleanForward {
  Value loss;    // Per point (B).
  Value correct; // Per point, or null.
  Value mean;    // Scalar.
  Value accuracy;
};
CleanForward buildCleanForward(StepContext &ctx);

/// Phase 2b: the allocation of the N query rows to the points.
struct Allocation {
  Value counts, rowMap, weights;
  Value zerosB64;
  Value lambda, aTilde, neymanIds; // Gaussian / Neyman state.
};
Allocation buildAllocation(StepContext &ctx, const CleanForward &clean);
/// Phase 5: the allocators' own updates from the per-row squared-norm
/// proxies `rowSq` (null unless ctx.needRowSq()); returns V-hat (zero
/// without). Writes the allocator state into `newState`.
Value buildAllocatorUpdate(StepContext &ctx, const Allocation &alloc,
                           Value rowSq, MutableArrayRef<Value> newState);

/// Phase 3: the estimator, a strategy. `grads` holds one estimate per
/// trainable parameter (in ctx.abi.trainIdx order), then one per log-sigma
/// when sigma is learned.
struct Estimates {
  SmallVector<Value> grads;
  /// Estimators that apply the optimizer themselves (in-place MeZO): the
  /// updated trainable parameters (ctx.abi.trainIdx order) and the gradient
  /// norm before clipping; `grads` is then empty.
  SmallVector<Value> updated;
  Value norm;
  Value rowLossMean;
  Value rowSq; // Per-row squared-norm proxies (N, f64), or null.
};
class Estimator {
public:
  virtual ~Estimator();
  /// Whether the estimator queries the perturbed rows function (and needs
  /// the allocation and the log-sigmas).
  virtual bool queriesRows() const = 0;
  /// Options this estimator cannot honour: an error message, or empty.
  virtual std::string checkOptions(const Options &opt) const = 0;
  /// Query rows per query unit: the step's rows must be a multiple of
  /// batch x this (SPSA: two forwards of the batch per direction).
  virtual int64_t rowsPerUnit() const { return 1; }
  /// Whether the rows carry noise on the sites' outputs with learnable
  /// log-sigmas (LR); false for estimators that perturb the weights.
  virtual bool siteNoise() const { return queriesRows(); }
  /// Builds the perturbed rows function (estimators that query rows): fills
  /// `extras` and `prefix`; null after a diagnostic.
  virtual func::FuncOp buildRows(const Options &opt, const ForwardInfo &info,
                                 ArrayRef<unsigned> perturbed,
                                 SmallVectorImpl<SiteExtras> &extras,
                                 PointPrefix &prefix) {
    return buildRowsFunction(opt, info, perturbed, extras, prefix);
  }
  virtual Estimates build(StepContext &ctx, const CleanForward &clean,
                          const Allocation &alloc) = 0;
};
/// The estimator named `name` (the `estimator` option); null for an
/// unknown name.
std::unique_ptr<Estimator> createEstimator(StringRef name);
/// The strategies (one file each).
std::unique_ptr<Estimator> createLREstimator();
std::unique_ptr<Estimator> createSPSAEstimator();
std::unique_ptr<Estimator> createESEstimator();
/// The names createEstimator knows, for diagnostics.
StringRef estimatorNames();

/// Row-querying estimators (LR today) plug into the query loop through
/// these hooks, called in this order inside the chunk loop.
struct QueryChunk {
  Value offset;  // First row of the chunk (index).
  Value rowMap;  // Row -> point (B, i32).
  Value weights; // ω_r (B).
  mutable func::CallOp call; // The rows function on the chunk.
  Value loss;    // Per-row loss (B).
  Value coeff;   // ω_r R_r (B).
};
class RowEstimator {
public:
  virtual ~RowEstimator();
  /// Loop-carried initial values: gradient accumulators (before the row-loss
  /// sum) and auxiliary ones (after it).
  virtual void addInits(StepContext &ctx, SmallVectorImpl<Value> &grads) = 0;
  virtual void addAuxInits(StepContext &ctx, SmallVectorImpl<Value> &aux) = 0;
  /// The chunk's contributions to the gradient accumulators.
  virtual void accumulate(StepContext &ctx, const QueryChunk &chunk,
                          MutableArrayRef<Value> grads,
                          MutableArrayRef<Value> aux) = 0;
  /// The chunk's contributions to the auxiliary accumulators, after the
  /// row-loss sum.
  virtual void accumulateAux(StepContext &ctx, const QueryChunk &chunk,
                             MutableArrayRef<Value> aux) = 0;
  /// After the loop: final gradients from the loop results; the per-row
  /// squared-norm proxies (or null).
  virtual Value finish(StepContext &ctx, SmallVectorImpl<Value> &grads,
                       ArrayRef<Value> aux) = 0;
};
/// Builds the chunk loop over the N rows; returns the estimates.
Estimates buildQueryLoop(StepContext &ctx, const CleanForward &clean,
                         const Allocation &alloc, RowEstimator &est);

/// The estimator rules of site k, from its Δ at the tail back through the
/// site's ops: parameter estimates added to `grads` (ctx.abi.gradOf order).
/// `input` gives the value of a non-parameter input of a site op (per row
/// or per point).
void applySiteRules(StepContext &ctx, unsigned k, Value delta,
                    function_ref<Value(Value)> input,
                    MutableArrayRef<Value> grads);

/// Phase 4: gradient norm, optional clipping, and the optimizer update of
/// the parameters (and learned log-sigmas) into `newState`; returns the
/// norm before clipping.
Value buildOptimizer(StepContext &ctx, MutableArrayRef<Value> grads,
                     MutableArrayRef<Value> newState);

/// The whole step: the phases above in order. Returns @train_step.
func::FuncOp buildTrainStep(StepContext &ctx, Estimator &estimator);

} // namespace mlir::flops::train

#endif
