//===- Allocators.cpp - Query allocators: Gaussian, Bernoulli, Neyman -----===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// Small dense linear algebra (B is the batch size, at most a few hundred) is
// done here with a plain Cholesky factorisation: O(B³) per draw or update.
// The integer rounding is allocateCounts (Allocation.cpp) in every case.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Allocators.h"
#include "flops/Runtime/Allocation.h"
#include "flops/Runtime/Philox.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <vector>

using namespace flops::rt;

namespace {

bool fail(std::string *error, const std::string &msg) {
  if (error)
    *error = msg;
  return false;
}

std::string num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", x);
  return buf;
}

std::string param(const char *name, int64_t value) {
  return std::string(name) + " = " + std::to_string(value);
}

std::string param(const char *name, double value) {
  return std::string(name) + " = " + num(value);
}

bool checkB(const char *fn, int64_t B, std::string *error) {
  if (B >= 1)
    return true;
  return fail(error, std::string(fn) + ": invalid number of points: " +
                         param("B", B) + " (must be >= 1)");
}

bool checkFinite(const char *fn, const char *what, const double *x, int64_t n,
                 std::string *error) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      return fail(error, std::string(fn) + ": " + what + "[" +
                             std::to_string(i) + "] = " + num(x[i]) +
                             " is not finite");
  return true;
}

/// The exponent e of max|x| (frexp), 0 when every x is 0: ldexp(x_i, -e)
/// maps max|x| into [0.5, 1) exactly. (Scale with ldexp, not by a factor
/// 2^-e, which overflows when max|x| is subnormal.)
int scaleExponent(const double *x, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, std::fabs(x[i]));
  int e = 0;
  if (m != 0.0)
    std::frexp(m, &e);
  return e;
}

/// In-place lower Cholesky factor of the n×n row-major matrix a (only the
/// lower triangle is read; the upper is zeroed). Returns -1 on success, else
/// the row whose pivot was not positive and finite.
int64_t cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0.0) || !std::isfinite(d))
      return j;
    double l = std::sqrt(d);
    a[j * n + j] = l;
    for (int64_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int64_t k = 0; k < j; ++k)
        v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / l;
    }
    for (int64_t k = j + 1; k < n; ++k)
      a[j * n + k] = 0.0;
  }
  return -1;
}

/// Solves L y = b in place (L lower, row-major).
void forwardSolve(const std::vector<double> &L, int64_t n,
                  std::vector<double> &b) {
  for (int64_t i = 0; i < n; ++i) {
    double v = b[i];
    for (int64_t k = 0; k < i; ++k)
      v -= L[i * n + k] * b[k];
    b[i] = v / L[i * n + i];
  }
}

/// Solves Lᵀ x = y in place.
void backSolve(const std::vector<double> &L, int64_t n,
               std::vector<double> &y) {
  for (int64_t i = n - 1; i >= 0; --i) {
    double v = y[i];
    for (int64_t k = i + 1; k < n; ++k)
      v -= L[k * n + i] * y[k];
    y[i] = v / L[i * n + i];
  }
}

/// μ, K0, D, K = s² K0 + δ I and L = chol(K) for one state.
struct GaussianModel {
  int64_t B = 0;
  double s2 = 0.0, h2 = 0.0;
  std::vector<double> mu, K0, D, L;
};

bool buildModel(const char *fn, const double *lambda, int64_t B,
                const double *state, double jitter, GaussianModel &m,
                std::string *error) {
  if (!checkB(fn, B, error))
    return false;
  if (!lambda || !state)
    return fail(error, std::string(fn) + ": lambda and state must not be null");
  if (!checkFinite(fn, "lambda", lambda, B, error) ||
      !checkFinite(fn, "state", state, kGaussianAllocStateSize, error))
    return false;
  if (!(jitter >= 0.0) || !std::isfinite(jitter))
    return fail(error, std::string(fn) + ": invalid jitter: " +
                           param("jitter", jitter) +
                           " (must be finite and >= 0)");
  double w = state[kGaW], c = state[kGaC];
  double rhoS = state[kGaRhoS], rhoH = state[kGaRhoH];
  m.B = B;
  m.s2 = std::exp(2.0 * rhoS);
  m.h2 = std::exp(2.0 * rhoH);
  if (!std::isfinite(m.s2) || !(m.h2 > 0.0) || !std::isfinite(m.h2))
    return fail(error, std::string(fn) + ": kernel parameters out of range: " +
                           param("rho_s", rhoS) + ", " + param("rho_h", rhoH) +
                           " (s² = exp(2 rho_s) and h² = exp(2 rho_h) must be "
                           "positive and finite)");
  m.mu.assign(B, 0.0);
  for (int64_t i = 0; i < B; ++i) {
    m.mu[i] = w * lambda[i] + c;
    if (!std::isfinite(m.mu[i]))
      return fail(error, std::string(fn) + ": mean mu[" + std::to_string(i) +
                             "] = w * lambda + c is not finite (" +
                             param("w", w) + ", " + param("c", c) + ")");
  }
  m.K0.assign(B * B, 0.0);
  m.D.assign(B * B, 0.0);
  m.L.assign(B * B, 0.0);
  double twoH2 = 2.0 * m.h2;
  for (int64_t i = 0; i < B; ++i)
    for (int64_t k = 0; k < B; ++k) {
      double d = lambda[i] - lambda[k];
      double dd = d * d;
      double k0 = std::exp(-(dd / twoH2));
      m.D[i * B + k] = dd;
      m.K0[i * B + k] = k0;
      double kik = m.s2 * k0;
      if (i == k)
        kik = kik + jitter;
      m.L[i * B + k] = kik;
    }
  int64_t bad = cholesky(m.L, B);
  if (bad >= 0)
    return fail(error,
                std::string(fn) +
                    ": covariance K = s² K0 + jitter I is not positive "
                    "definite (Cholesky pivot " +
                    std::to_string(bad) + " of B = " + std::to_string(B) +
                    "; s = " + num(std::sqrt(m.s2)) +
                    ", h = " + num(std::sqrt(m.h2)) + ", " +
                    param("jitter", jitter) + "); increase the jitter");
  return true;
}

/// The score of one draw for a built model; see gaussianAllocScore.
bool scoreOf(const char *fn, const GaussianModel &m, const double *lambda,
             double jitter, const double *aTilde, double score[4],
             std::string *error) {
  int64_t B = m.B;
  if (!aTilde)
    return fail(error, std::string(fn) + ": aTilde must not be null");
  if (!checkFinite(fn, "aTilde", aTilde, B, error))
    return false;
  std::vector<double> alpha(B);
  for (int64_t i = 0; i < B; ++i)
    alpha[i] = aTilde[i] - m.mu[i];
  forwardSolve(m.L, B, alpha);
  backSolve(m.L, B, alpha);
  // Linv = L⁻¹ (lower), column by column; K⁻¹ = Linvᵀ Linv.
  std::vector<double> Linv(B * B, 0.0), col(B);
  for (int64_t j = 0; j < B; ++j) {
    std::fill(col.begin(), col.end(), 0.0);
    col[j] = 1.0;
    forwardSolve(m.L, B, col);
    for (int64_t i = 0; i < B; ++i)
      Linv[i * B + j] = col[i];
  }
  double dW = 0.0, dC = 0.0, dH = 0.0;
  double quad = 0.0, alphaSq = 0.0, traceKinv = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    dW += lambda[i] * alpha[i];
    dC += alpha[i];
    quad += (aTilde[i] - m.mu[i]) * alpha[i];
    alphaSq += alpha[i] * alpha[i];
  }
  for (int64_t i = 0; i < B * B; ++i)
    traceKinv += Linv[i] * Linv[i];
  // ½⟨M, 2 s² K0⟩ = ⟨M, K − δI⟩ = (ã − μ)ᵀα − B − δ (‖α‖² − tr K⁻¹).
  // Summing M_ik s² K0_ik directly is the same number in exact arithmetic,
  // but with a small jitter K⁻¹ and ααᵀ have entries ~1/δ, and their
  // rounding errors (~cond(K)·eps/δ) all land in the O(B) result; this form
  // never forms that sum.
  double dS = quad - static_cast<double>(B) - jitter * (alphaSq - traceKinv);
  // ½⟨M, s² K0 ⊙ D / h²⟩: D vanishes on the nearly-equal λ that make K
  // ill-conditioned, so the direct sum is accurate.
  for (int64_t i = 0; i < B; ++i)
    for (int64_t k = 0; k < B; ++k) {
      double dik = m.D[i * B + k];
      if (dik == 0.0)
        continue;
      double kinv = 0.0;
      for (int64_t j = std::max(i, k); j < B; ++j)
        kinv += Linv[j * B + i] * Linv[j * B + k];
      double M = alpha[i] * alpha[k] - kinv;
      dH += M * (m.s2 * m.K0[i * B + k] * (dik / m.h2));
    }
  dH = 0.5 * dH;
  score[0] = dW;
  score[1] = dC;
  score[2] = dS;
  score[3] = dH;
  if (!checkFinite(fn, "score", score, 4, error))
    return false;
  return true;
}

/// Rows per point of a row map (N rows, points in [0, B)); false with a
/// message naming the row when one maps outside.
bool countRowsPerPoint(const char *fn, const int32_t *rowToPoint, int64_t N,
                       int64_t B, std::vector<int64_t> *n,
                       std::string *error) {
  n->assign(B, 0);
  for (int64_t r = 0; r < N; ++r) {
    int32_t p = rowToPoint[r];
    if (p < 0 || p >= B)
      return fail(error, std::string(fn) + ": row " + std::to_string(r) +
                             " maps to point " + std::to_string(p) +
                             ", outside [0, " + std::to_string(B) + ")");
    ++(*n)[p];
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// Shared pieces
//===----------------------------------------------------------------------===//

bool flops::rt::standardizeLosses(const double *loss, int64_t B,
                                  double *lambda, std::string *error) {
  const char *fn = "standardizeLosses";
  if (!checkB(fn, B, error))
    return false;
  if (!loss || !lambda)
    return fail(error, std::string(fn) + ": loss and lambda must not be null");
  if (!checkFinite(fn, "loss", loss, B, error))
    return false;
  int e = scaleExponent(loss, B);
  std::vector<double> x(B);
  double maxAbs = 0.0, sum = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    x[i] = std::ldexp(loss[i], -e);
    maxAbs = std::max(maxAbs, std::fabs(x[i]));
    sum += x[i];
  }
  double dB = static_cast<double>(B);
  double mean = sum / dB;
  double ss = 0.0;
  for (int64_t i = 0; i < B; ++i)
    ss += (x[i] - mean) * (x[i] - mean);
  double sd = std::sqrt(ss / dB);
  if (!(sd > 1e-12 * maxAbs)) {
    for (int64_t i = 0; i < B; ++i)
      lambda[i] = 0.0;
    return true;
  }
  for (int64_t i = 0; i < B; ++i)
    lambda[i] = (x[i] - mean) / sd;
  return true;
}

bool flops::rt::pointSquareMeans(const double *rowSq, const int32_t *rowToPoint,
                                 int64_t N, int64_t B, double *meanSq,
                                 int32_t *rowsPerPoint, std::string *error) {
  const char *fn = "pointSquareMeans";
  if (!checkB(fn, B, error))
    return false;
  if (N < 0)
    return fail(error, std::string(fn) + ": invalid number of rows: " +
                           param("N", N) + " (must be >= 0)");
  if ((N > 0 && (!rowSq || !rowToPoint)) || !meanSq)
    return fail(error, std::string(fn) + ": null array");
  std::vector<int64_t> n;
  if (!countRowsPerPoint(fn, rowToPoint, N, B, &n, error))
    return false;
  for (int64_t r = 0; r < N; ++r) {
    double v = rowSq[r];
    if (!std::isfinite(v) || v < 0.0)
      return fail(error, std::string(fn) + ": rowSq[" + std::to_string(r) +
                             "] = " + num(v) +
                             " (a squared norm must be finite and >= 0)");
  }
  // Σ_r (x_r / n_i): every term is at most max x / n_i, so the sum cannot
  // overflow however large the squared norms are.
  std::vector<double> mean(B, 0.0);
  for (int64_t r = 0; r < N; ++r) {
    int32_t p = rowToPoint[r];
    mean[p] += rowSq[r] / static_cast<double>(n[p]);
  }
  for (int64_t i = 0; i < B; ++i) {
    meanSq[i] = mean[i];
    if (rowsPerPoint)
      rowsPerPoint[i] = static_cast<int32_t>(n[i]);
  }
  return true;
}

bool flops::rt::varianceProxy(const double *rowSq, const int32_t *rowToPoint,
                              int64_t N, int64_t B, double *vHat,
                              std::string *error, double *vHatUniform) {
  const char *fn = "varianceProxy";
  if (!checkB(fn, B, error))
    return false;
  if (!vHat)
    return fail(error, std::string(fn) + ": vHat must not be null");
  std::vector<double> meanSq(B);
  std::vector<int32_t> n(B);
  if (!pointSquareMeans(rowSq, rowToPoint, N, B, meanSq.data(), n.data(),
                        error))
    return false;
  double dB = static_cast<double>(B);
  double v = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    if (n[i] == 0)
      return fail(error, std::string(fn) + ": point " + std::to_string(i) +
                             " has no rows (its variance is unbounded; use "
                             "minCount >= 1)");
    v += (meanSq[i] / static_cast<double>(n[i])) / dB / dB;
  }
  *vHat = v;
  if (vHatUniform) {
    double u = 0.0, perPoint = static_cast<double>(N) / dB;
    for (int64_t i = 0; i < B; ++i)
      u += (meanSq[i] / perPoint) / dB / dB;
    *vHatUniform = u;
  }
  return true;
}

bool flops::rt::rowWeights(const int32_t *rowToPoint, int64_t N, int64_t B,
                           RowWeighting mode, double *omega,
                           std::string *error) {
  const char *fn = "rowWeights";
  if (!checkB(fn, B, error))
    return false;
  if (N < 1)
    return fail(error, std::string(fn) + ": invalid number of rows: " +
                           param("N", N) + " (must be >= 1)");
  if (mode != RowWeighting::PerPoint && mode != RowWeighting::RowMean)
    return fail(error, std::string(fn) + ": invalid weighting: " +
                           param("mode", static_cast<int64_t>(mode)) +
                           " (expected 0 = per point, 1 = row mean)");
  if (!rowToPoint || !omega)
    return fail(error, std::string(fn) + ": null array");
  std::vector<int64_t> n;
  if (!countRowsPerPoint(fn, rowToPoint, N, B, &n, error))
    return false;
  double dB = static_cast<double>(B), dN = static_cast<double>(N);
  for (int64_t r = 0; r < N; ++r)
    omega[r] = mode == RowWeighting::RowMean
                   ? 1.0 / dN
                   : 1.0 / (dB * static_cast<double>(n[rowToPoint[r]]));
  return true;
}

//===----------------------------------------------------------------------===//
// Gaussian allocator
//===----------------------------------------------------------------------===//

bool flops::rt::gaussianAllocInit(int64_t budget, int64_t B, double *state,
                                  std::string *error) {
  const char *fn = "gaussianAllocInit";
  if (!checkB(fn, B, error))
    return false;
  if (budget < 0)
    return fail(error, std::string(fn) + ": invalid budget: " +
                           param("budget", budget) + " (must be >= 0)");
  if (!state)
    return fail(error, std::string(fn) + ": state must not be null");
  for (int64_t k = 0; k < kGaussianAllocStateSize; ++k)
    state[k] = 0.0;
  state[kGaC] = static_cast<double>(budget) / static_cast<double>(B);
  return true;
}

bool flops::rt::gaussianAllocDraw(const double *lambda, int64_t B,
                                  const double *state, double jitter,
                                  uint64_t seed, uint64_t step, int64_t budget,
                                  int64_t minCount, bool pairs,
                                  double *aTilde, int32_t *counts,
                                  std::string *error) {
  const char *fn = "gaussianAllocDraw";
  GaussianModel m;
  if (!buildModel(fn, lambda, B, state, jitter, m, error))
    return false;
  if (!aTilde || !counts)
    return fail(error,
                std::string(fn) + ": aTilde and counts must not be null");
  std::vector<double> xi(B), a(B);
  for (int64_t i = 0; i < B; ++i)
    xi[i] = normalF64(seed, step, kGaussianAllocSite, 0,
                      static_cast<uint64_t>(i), false);
  for (int64_t i = 0; i < B; ++i) {
    double v = 0.0;
    for (int64_t k = 0; k <= i; ++k)
      v += m.L[i * B + k] * xi[k];
    a[i] = m.mu[i] + v;
    if (!std::isfinite(a[i]))
      return fail(error, std::string(fn) + ": draw aTilde[" +
                             std::to_string(i) + "] = " + num(a[i]) +
                             " is not finite");
  }
  std::vector<int32_t> c(B);
  std::string err;
  if (!allocateCounts(AllocStrategy::Proportional, a.data(), B, budget,
                      minCount, pairs, c.data(), &err))
    return fail(error, std::string(fn) + ": " + err);
  std::copy(a.begin(), a.end(), aTilde);
  std::copy(c.begin(), c.end(), counts);
  return true;
}

bool flops::rt::gaussianAllocLogDensity(const double *lambda, int64_t B,
                                        const double *state, double jitter,
                                        const double *aTilde,
                                        double *logDensity,
                                        std::string *error) {
  const char *fn = "gaussianAllocLogDensity";
  GaussianModel m;
  if (!buildModel(fn, lambda, B, state, jitter, m, error))
    return false;
  if (!aTilde || !logDensity)
    return fail(error, std::string(fn) + ": null array");
  if (!checkFinite(fn, "aTilde", aTilde, B, error))
    return false;
  std::vector<double> y(B);
  for (int64_t i = 0; i < B; ++i)
    y[i] = aTilde[i] - m.mu[i];
  forwardSolve(m.L, B, y);
  double quad = 0.0, logDet = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    quad += y[i] * y[i];
    logDet += std::log(m.L[i * B + i]);
  }
  const double log2Pi = std::log(2.0 * 3.14159265358979323846);
  *logDensity = -0.5 * quad - logDet - 0.5 * static_cast<double>(B) * log2Pi;
  return true;
}

bool flops::rt::gaussianAllocScore(const double *lambda, int64_t B,
                                   const double *state, double jitter,
                                   const double *aTilde, double score[4],
                                   std::string *error) {
  const char *fn = "gaussianAllocScore";
  GaussianModel m;
  if (!buildModel(fn, lambda, B, state, jitter, m, error))
    return false;
  if (!score)
    return fail(error, std::string(fn) + ": score must not be null");
  double g[4];
  if (!scoreOf(fn, m, lambda, jitter, aTilde, g, error))
    return false;
  std::copy(g, g + 4, score);
  return true;
}

bool flops::rt::gaussianAllocUpdate(const double *lambda, int64_t B,
                                    const double *aTilde, double vHat,
                                    const GaussianAllocConfig &cfg,
                                    double *state, std::string *error) {
  const char *fn = "gaussianAllocUpdate";
  if (!std::isfinite(vHat) || vHat < 0.0)
    return fail(error, std::string(fn) + ": invalid variance proxy: " +
                           param("vHat", vHat) + " (must be finite and >= 0)");
  auto bad = [&](const char *name, double v, const char *need) {
    return fail(error, std::string(fn) + ": invalid " + name + ": " +
                           param(name, v) + " (" + need + ")");
  };
  if (!(cfg.lr >= 0.0) || !std::isfinite(cfg.lr))
    return bad("lr", cfg.lr, "must be finite and >= 0");
  if (!(cfg.beta1 >= 0.0 && cfg.beta1 < 1.0))
    return bad("beta1", cfg.beta1, "must be in [0, 1)");
  if (!(cfg.beta2 >= 0.0 && cfg.beta2 < 1.0))
    return bad("beta2", cfg.beta2, "must be in [0, 1)");
  if (!(cfg.eps > 0.0) || !std::isfinite(cfg.eps))
    return bad("eps", cfg.eps, "must be finite and > 0");
  if (!(cfg.baselineDecay >= 0.0 && cfg.baselineDecay <= 1.0))
    return bad("baselineDecay", cfg.baselineDecay, "must be in [0, 1]");
  GaussianModel m;
  if (!buildModel(fn, lambda, B, state, cfg.jitter, m, error))
    return false;
  double score[4];
  if (!scoreOf(fn, m, lambda, cfg.jitter, aTilde, score, error))
    return false;

  double next[kGaussianAllocStateSize];
  std::copy(state, state + kGaussianAllocStateSize, next);
  if (state[kGaHasBaseline] == 0.0) {
    // First measurement: it becomes the baseline; the advantage is zero.
    next[kGaBaseline] = vHat;
    next[kGaHasBaseline] = 1.0;
  } else {
    double adv = vHat - state[kGaBaseline];
    double t = state[kGaAdamStep] + 1.0;
    double c1 = 1.0 - std::pow(cfg.beta1, t);
    double c2 = 1.0 - std::pow(cfg.beta2, t);
    for (int k = 0; k < 4; ++k) {
      double g = adv * score[k];
      double mk = cfg.beta1 * state[kGaAdamM + k] + (1.0 - cfg.beta1) * g;
      double vk = cfg.beta2 * state[kGaAdamV + k] + (1.0 - cfg.beta2) * (g * g);
      double mHat = mk / c1;
      double vHatK = vk / c2;
      next[kGaAdamM + k] = mk;
      next[kGaAdamV + k] = vk;
      next[k] = state[k] - cfg.lr * mHat / (std::sqrt(vHatK) + cfg.eps);
    }
    if (cfg.minS > 0.0)
      next[kGaRhoS] = std::max(next[kGaRhoS], std::log(cfg.minS));
    next[kGaAdamStep] = t;
    next[kGaBaseline] = cfg.baselineDecay * state[kGaBaseline] +
                        (1.0 - cfg.baselineDecay) * vHat;
  }
  if (!checkFinite(fn, "updated state", next, kGaussianAllocStateSize, error))
    return false;
  std::copy(next, next + kGaussianAllocStateSize, state);
  return true;
}

//===----------------------------------------------------------------------===//
// Bernoulli allocator
//===----------------------------------------------------------------------===//

bool flops::rt::bernoulliAllocate(const double *loss, int64_t B, double p,
                                  uint64_t seed, uint64_t step, int64_t budget,
                                  int64_t minCount, bool pairs,
                                  int32_t *counts, std::string *error) {
  const char *fn = "bernoulliAllocate";
  if (!checkB(fn, B, error))
    return false;
  if (!loss || !counts)
    return fail(error, std::string(fn) + ": loss and counts must not be null");
  if (!(p >= 0.0 && p <= 1.0))
    return fail(error, std::string(fn) + ": invalid halving probability: " +
                           param("p", p) + " (must be in [0, 1])");
  if (!checkFinite(fn, "loss", loss, B, error))
    return false;
  std::vector<int32_t> base(B);
  std::string err;
  if (!allocateCounts(AllocStrategy::Uniform, nullptr, B, budget, minCount,
                      pairs, base.data(), &err))
    return fail(error, std::string(fn) + ": " + err);

  // Mean and max of the losses scaled by a power of two (exact for
  // comparisons, no overflow in the sum).
  int e = scaleExponent(loss, B);
  double sum = 0.0, maxX = -std::numeric_limits<double>::infinity();
  std::vector<double> x(B);
  for (int64_t i = 0; i < B; ++i) {
    x[i] = std::ldexp(loss[i], -e);
    sum += x[i];
    maxX = std::max(maxX, x[i]);
  }
  double mean = sum / static_cast<double>(B);

  int64_t unit = pairs ? 2 : 1;
  std::vector<int64_t> c(base.begin(), base.end());
  std::vector<char> halved(B, 0);
  int64_t freed = 0;
  for (int64_t i = 0; i < B; ++i) {
    if (!(x[i] < mean && x[i] < maxX))
      continue;
    double u = uniformF64(seed, step, kBernoulliAllocSite, 0,
                          static_cast<uint64_t>(i));
    if (!(u < p))
      continue;
    int64_t half = std::max(minCount, unit * (c[i] / (2 * unit)));
    freed += c[i] - half;
    c[i] = half;
    halved[i] = 1;
  }
  std::vector<int64_t> others;
  for (int64_t i = 0; i < B; ++i)
    if (!halved[i])
      others.push_back(i);
  // The point with the largest loss is never halved, so `others` is not
  // empty; freed is a multiple of unit (all counts are).
  int64_t units = freed / unit;
  int64_t each = units / static_cast<int64_t>(others.size());
  int64_t rest = units % static_cast<int64_t>(others.size());
  for (int64_t i : others)
    c[i] += unit * each;
  if (rest > 0) {
    std::vector<double> key(B);
    for (int64_t i : others)
      key[i] = uniformF64(seed, step, kBernoulliAllocSite, 1,
                          static_cast<uint64_t>(i));
    std::stable_sort(others.begin(), others.end(),
                     [&](int64_t a, int64_t b) { return key[a] < key[b]; });
    for (int64_t k = 0; k < rest; ++k)
      c[others[k]] += unit;
  }
  for (int64_t i = 0; i < B; ++i)
    counts[i] = static_cast<int32_t>(c[i]);
  return true;
}

//===----------------------------------------------------------------------===//
// Neyman σ estimate
//===----------------------------------------------------------------------===//

bool flops::rt::neymanSigmaEstimate(const double *meanSq, const int32_t *rows,
                                    const double *loss, int64_t B,
                                    double kappa, double *sigma,
                                    std::string *error) {
  const char *fn = "neymanSigmaEstimate";
  if (!checkB(fn, B, error))
    return false;
  if (!meanSq || !rows || !loss || !sigma)
    return fail(error, std::string(fn) + ": null array");
  if (!(kappa >= 0.0) || !std::isfinite(kappa))
    return fail(error, std::string(fn) + ": invalid prior weight: " +
                           param("kappa", kappa) +
                           " (must be finite and >= 0)");
  if (!checkFinite(fn, "meanSq", meanSq, B, error) ||
      !checkFinite(fn, "loss", loss, B, error))
    return false;
  for (int64_t i = 0; i < B; ++i) {
    if (meanSq[i] < 0.0)
      return fail(error, std::string(fn) + ": meanSq[" + std::to_string(i) +
                             "] = " + num(meanSq[i]) + " is negative");
    if (rows[i] < 0)
      return fail(error, std::string(fn) + ": rows[" + std::to_string(i) +
                             "] = " + std::to_string(rows[i]) +
                             " is negative");
  }
  // Work with meanSq scaled by 2^-2e (even power, so σ scales back by 2^e
  // exactly): no overflow in S̄ · ratio whatever the magnitudes.
  int e = 0;
  double maxSq = *std::max_element(meanSq, meanSq + B);
  if (maxSq > 0.0) {
    std::frexp(maxSq, &e);
    e = (e + 1) / 2;
  }
  std::vector<double> sq(B);
  for (int64_t i = 0; i < B; ++i)
    sq[i] = std::ldexp(meanSq[i], -2 * e);
  double total = 0.0;
  for (int64_t i = 0; i < B; ++i)
    total += static_cast<double>(rows[i]);
  double pooled = 0.0;
  if (total > 0.0) {
    for (int64_t i = 0; i < B; ++i)
      pooled += (static_cast<double>(rows[i]) / total) * sq[i];
  } else {
    pooled = std::ldexp(1.0, -2 * e); // S̄ = 1 in the unscaled units.
  }
  std::vector<double> l(B);
  for (int64_t i = 0; i < B; ++i)
    l[i] = loss[i] > 0.0 ? loss[i] : 0.0;
  int le = scaleExponent(l.data(), B);
  double m2 = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    l[i] = std::ldexp(l[i], -le);
    m2 += l[i] * l[i] / static_cast<double>(B);
  }
  for (int64_t i = 0; i < B; ++i) {
    double prior2 = m2 > 0.0 ? pooled * (l[i] * l[i] / m2) : pooled;
    double n = static_cast<double>(rows[i]);
    double s2 = n + kappa > 0.0
                    ? (n / (n + kappa)) * sq[i] + (kappa / (n + kappa)) * prior2
                    : prior2;
    sigma[i] = std::ldexp(std::sqrt(s2), e);
  }
  return true;
}
