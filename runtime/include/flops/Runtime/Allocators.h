//===- Allocators.h - Gaussian, Bernoulli and Neyman allocators -*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// The query allocators of docs/METHOD.md §3 on top of Allocation.h:
//
// - Gaussian (the paper's, §3.2): a learned Gaussian over continuous counts,
//   ã ~ N(w λ + c, s² K0(λ; h) + δ I), rounded by allocateCounts(Proportional)
//   (which is exactly the rounding of §3.3), and updated by a score-function
//   gradient of the variance proxy V̂ with Adam.
// - Bernoulli (the reference code, §3.5): uniform, with points below the mean
//   loss halved at random and their budget given to the others.
// - Neyman (§3.1, §3.5): per-point σ estimates for the exact greedy of
//   allocateCounts(Neyman).
// plus the variance proxy V̂ (§3.2) and the row weights ω (§3.4).
//
// Every function that can fail returns bool and takes a trailing
// `std::string *error` (may be null); on failure its outputs are untouched.
// Random draws come from the counter-based Philox streams of Philox.h under
// the dedicated site ids below, addressed by (seed, step), so a step's
// allocation is a pure function of its inputs. docs/RUNTIME.md has the
// formulas.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_ALLOCATORS_H
#define FLOPS_RUNTIME_ALLOCATORS_H

#include <cstdint>
#include <string>

namespace flops {
namespace rt {

/// Philox site ids of the allocators' streams (the model's noise sites are
/// small integers 0, 1, ...). Gaussian: ξ_i = normalF64(seed, step,
/// kGaussianAllocSite, row 0, elem i). Bernoulli: coin of point i =
/// uniformF64(seed, step, kBernoulliAllocSite, row 0, elem i); tie-break key
/// of point i = uniformF64(..., row 1, elem i).
constexpr uint32_t kGaussianAllocSite = 0xA110C000u;
constexpr uint32_t kBernoulliAllocSite = 0xA110C001u;

//===----------------------------------------------------------------------===//
// Shared pieces
//===----------------------------------------------------------------------===//

/// λ_i = (loss_i − mean) / std over the batch (population std, 1/B). When the
/// spread is zero or negligible (std <= 1e-12 · max|loss|, which includes
/// B = 1 and all-equal losses), λ = 0. Losses are scaled by a power of two
/// first, so any finite magnitude works. Fails on B < 1 or a non-finite loss.
bool standardizeLosses(const double *loss, int64_t B, double *lambda,
                       std::string *error = nullptr);

/// Per-point statistics of the rows of one step: rowsPerPoint[i] = number of
/// rows r with rowToPoint[r] == i, meanSq[i] = mean of rowSq over those rows
/// (0 when there are none). rowSq is the per-query squared-norm proxy
/// ‖ĝ_r‖² (finite, >= 0). Fails on B < 1, N < 0, a map entry outside
/// [0, B) or a bad rowSq. rowsPerPoint may be null.
bool pointSquareMeans(const double *rowSq, const int32_t *rowToPoint,
                      int64_t N, int64_t B, double *meanSq,
                      int32_t *rowsPerPoint, std::string *error = nullptr);

/// The variance proxy of docs/METHOD.md §3.2: V̂ = (1/B²) Σ_i s_i² / A_i with
/// s_i² = meanSq[i] and A_i = rowsPerPoint[i] from pointSquareMeans. With
/// vHatUniform, also V̂ of the uniform allocation A_i = N/B with the same
/// s_i² (the Gaussian allocator's per-batch reference, §3.2). Fails (as
/// pointSquareMeans, or) when a point has no rows.
bool varianceProxy(const double *rowSq, const int32_t *rowToPoint, int64_t N,
                   int64_t B, double *vHat, std::string *error = nullptr,
                   double *vHatUniform = nullptr);

/// Row weights of docs/METHOD.md §3.4. PerPoint: ω_r = 1 / (B · A_{i(r)}) (unbiased
/// for the batch mean under any allocation; the default). RowMean: ω_r = 1/N
/// (the reference code; weights point i by A_i / N). A_i is counted from the
/// map. Fails on B < 1, N < 1 or a map entry outside [0, B).
enum class RowWeighting : int32_t { PerPoint = 0, RowMean = 1 };
bool rowWeights(const int32_t *rowToPoint, int64_t N, int64_t B,
                RowWeighting mode, double *omega,
                std::string *error = nullptr);

//===----------------------------------------------------------------------===//
// Gaussian allocator (docs/METHOD.md §3.2)
//===----------------------------------------------------------------------===//

/// The allocator's state is a flat array of kGaussianAllocStateSize doubles:
///
///   [0] w        slope of the mean, μ_i = w λ_i + c
///   [1] c        intercept of the mean
///   [2] rho_s    log of the kernel scale s
///   [3] rho_h    log of the kernel length h
///   [4..7]       Adam first moments of (w, c, rho_s, rho_h)
///   [8..11]      Adam second moments of (w, c, rho_s, rho_h)
///   [12] baseline       running mean b̄ of V̂
///   [13] adam_step      number of Adam steps taken (t)
///   [14] has_baseline   0 until the first update, then 1
///   [15] reserved       0
enum GaussianAllocSlot : int64_t {
  kGaW = 0,
  kGaC = 1,
  kGaRhoS = 2,
  kGaRhoH = 3,
  kGaAdamM = 4,
  kGaAdamV = 8,
  kGaBaseline = 12,
  kGaAdamStep = 13,
  kGaHasBaseline = 14,
  kGaReserved = 15,
  kGaussianAllocStateSize = 16,
};

/// Hyper-parameters of the update (and the jitter δ shared with the draw).
struct GaussianAllocConfig {
  double jitter = 1e-4;       ///< δ added to K's diagonal.
  double lr = 1e-2;           ///< Adam learning rate.
  double beta1 = 0.9;         ///< Adam β1.
  double beta2 = 0.999;       ///< Adam β2.
  double eps = 1e-8;          ///< Adam ε.
  double baselineDecay = 0.9; ///< b̄ ← decay · b̄ + (1 − decay) · V̂.
  /// Floor of s (in queries): below about one query the draws no longer
  /// change the counts, the score-function gradient vanishes and the
  /// allocator stops learning (docs/METHOD.md §3.2). 0 = no floor.
  double minS = 1.0;
};

/// w = 0, c = budget / B, s = h = 1 (ρ = 0), Adam moments, step and baseline
/// zero: the mean allocation starts uniform. Fails on B < 1 or budget < 0.
bool gaussianAllocInit(int64_t budget, int64_t B, double *state,
                       std::string *error = nullptr);

/// One draw: μ = w λ + c, K = s² K0 + δ I with K0_ik = exp(−(λ_i − λ_k)² /
/// (2h²)), L = chol(K), ξ_i = normalF64(seed, step, kGaussianAllocSite, 0, i),
/// aTilde = μ + L ξ, counts = allocateCounts(Proportional, aTilde, ...): A_min
/// reserved, the rest in proportion to max(ã, 0), uniform if all ã <= 0.
/// Fails on bad sizes or budget (as allocateCounts), non-finite λ or state,
/// jitter < 0, K not positive definite, or a non-finite draw.
bool gaussianAllocDraw(const double *lambda, int64_t B, const double *state,
                       double jitter, uint64_t seed, uint64_t step,
                       int64_t budget, int64_t minCount, bool pairs,
                       double *aTilde, int32_t *counts,
                       std::string *error = nullptr);

/// log N(aTilde; μ, K) for the state's Φ (diagnostics and tests).
bool gaussianAllocLogDensity(const double *lambda, int64_t B,
                             const double *state, double jitter,
                             const double *aTilde, double *logDensity,
                             std::string *error = nullptr);

/// ∇_Φ log N(aTilde; μ, K) in the order (w, c, ρ_s, ρ_h), by the closed forms
/// of docs/METHOD.md §3.2: α = K⁻¹(ã − μ), M = ααᵀ − K⁻¹, ∂w = Σ λ_i α_i,
/// ∂c = Σ α_i, ∂ρ_s = ½⟨M, 2s²K0⟩, ∂ρ_h = ½⟨M, s²K0 ⊙ D / h²⟩,
/// D_ik = (λ_i − λ_k)².
bool gaussianAllocScore(const double *lambda, int64_t B, const double *state,
                        double jitter, const double *aTilde, double score[4],
                        std::string *error = nullptr);

/// One update after the step that drew aTilde and measured vHat (>= 0,
/// finite). The first call only sets b̄ = V̂. Later calls take
/// g = (V̂ − b̄) · score (b̄ before this step: the baseline does not depend on
/// the current draw), one Adam step Φ ← Φ − lr · m̂ / (√v̂ + eps) (descending
/// E[V̂]), then b̄ ← decay · b̄ + (1 − decay) · V̂. The state is updated in
/// place only on success.
bool gaussianAllocUpdate(const double *lambda, int64_t B,
                         const double *aTilde, double vHat,
                         const GaussianAllocConfig &config, double *state,
                         std::string *error = nullptr);

//===----------------------------------------------------------------------===//
// Bernoulli allocator (docs/METHOD.md §3.5, the reference code)
//===----------------------------------------------------------------------===//

/// Starts from the uniform allocation (allocateCounts(Uniform)). Every point
/// whose loss is below the batch mean (and below the batch maximum, so at
/// least one point is never halved) is halved when its coin
/// uniformF64(seed, step, kBernoulliAllocSite, 0, i) < p: its count becomes
/// max(minCount, unit · ⌊A_i / (2 unit)⌋), unit = 2 with pairs, else 1. The
/// freed units go evenly to the points not halved; the remaining r units one
/// each to the r not-halved points with the smallest keys
/// uniformF64(..., 1, i) (ties to the lower index). Counts are >= minCount,
/// even with pairs, and sum to the budget. Fails on the parameters
/// allocateCounts rejects, p outside [0, 1] or a non-finite loss.
bool bernoulliAllocate(const double *loss, int64_t B, double p, uint64_t seed,
                       uint64_t step, int64_t budget, int64_t minCount,
                       bool pairs, int32_t *counts,
                       std::string *error = nullptr);

//===----------------------------------------------------------------------===//
// Neyman allocator (docs/METHOD.md §3.1, §3.5)
//===----------------------------------------------------------------------===//

/// Per-point σ_i for allocateCounts(Neyman), blending the measured second
/// moments with a prior from the clean loss:
///
///   S̄          = Σ_i n_i s̄_i² / Σ_i n_i          (pooled; 1 if Σ n_i = 0)
///   prior_i²   = S̄ · ℓ̃_i² / mean_k(ℓ̃_k²),  ℓ̃ = max(loss, 0)
///                (S̄ when every ℓ̃ is 0)
///   σ_i²       = (n_i s̄_i² + κ prior_i²) / (n_i + κ)   (prior_i² if both 0)
///
/// with s̄_i² = meanSq[i] and n_i = rows[i] (from pointSquareMeans, possibly
/// accumulated over steps). The prior's shape assumes ‖ĝ‖² ∝ R² ∝ ℓ² (for
/// cross-entropy, ‖∇ℓ‖ ≈ 1 − p ≈ ℓ at small loss); its scale S̄ is the data's,
/// so κ counts as κ pseudo-queries. Fails on B < 1, κ < 0 or non-finite,
/// negative rows, or non-finite / negative meanSq, non-finite loss.
bool neymanSigmaEstimate(const double *meanSq, const int32_t *rows,
                         const double *loss, int64_t B, double kappa,
                         double *sigma, std::string *error = nullptr);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_ALLOCATORS_H
