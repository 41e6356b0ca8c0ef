//===- CInterface.cpp - C entry points of the FLOPS runtime ---------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/CInterface.h"
#include "flops/Runtime/Allocation.h"
#include "flops/Runtime/Allocators.h"
#include "flops/Runtime/Philox.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

using namespace flops::rt;

namespace {

std::atomic<bool> collecting{false};
std::mutex callErrorMutex;
std::string callError; // guarded by callErrorMutex; empty: none

/// A runtime call failed: `fn: msg` is recorded (the first since the last
/// take) and, unless someone collects, printed.
void callFailed(const char *fn, const std::string &msg) {
  std::string line = std::string(fn) + ": " + msg;
  {
    std::lock_guard<std::mutex> lock(callErrorMutex);
    if (callError.empty())
      callError = line;
  }
  if (!collecting.load(std::memory_order_relaxed))
    std::fprintf(stderr, "%s\n", line.c_str());
}

template <typename T>
T &at(StridedMemRefType<T, 1> *m, int64_t i) {
  return m->data[m->offset + i * m->strides[0]];
}

template <typename T>
T &at(StridedMemRefType<T, 2> *m, int64_t i, int64_t j) {
  return m->data[m->offset + i * m->strides[0] + j * m->strides[1]];
}

bool checkSize(const char *fn, const char *name, int64_t size, int64_t need) {
  if (size >= need)
    return true;
  callFailed(fn, "memref '" + std::string(name) + "' has " +
                     std::to_string(size) + " elements, needs " +
                     std::to_string(need));
  return false;
}

template <typename T, typename Sampler>
void fillStrided(StridedMemRefType<T, 2> *out, int64_t seed, int64_t step,
                 int32_t site, int32_t antithetic, Sampler sample) {
  for (int64_t r = 0; r < out->sizes[0]; ++r)
    for (int64_t e = 0; e < out->sizes[1]; ++e)
      at(out, r, e) = sample(static_cast<uint64_t>(seed),
                             static_cast<uint64_t>(step),
                             static_cast<uint32_t>(site),
                             static_cast<uint64_t>(r),
                             static_cast<uint64_t>(e), antithetic != 0);
}

int32_t allocateChecked(const double *scores, int64_t B, int64_t budget,
                        int64_t minCount, int32_t pairs, int32_t strategy,
                        int32_t *counts) {
  std::string error;
  if (!allocateCounts(static_cast<AllocStrategy>(strategy), scores, B, budget,
                      minCount, pairs != 0, counts, &error)) {
    callFailed("flops_rt_allocate", error);
    return 0;
  }
  return 1;
}

} // namespace

namespace {
template <typename T>
int32_t allocateMemRef(StridedMemRefType<T, 1> *scores,
                       StridedMemRefType<int32_t, 1> *counts, int64_t budget,
                       int64_t minCount, int32_t pairs, int32_t strategy) {
  int64_t B = scores->sizes[0];
  if (counts->sizes[0] != B) {
    callFailed("flops_rt_allocate",
               "counts has " + std::to_string(counts->sizes[0]) +
                   " elements, scores has " + std::to_string(B) +
                   " (B); they must match");
    return 0;
  }
  std::vector<double> s(B > 0 ? B : 0);
  for (int64_t i = 0; i < B; ++i)
    s[i] = static_cast<double>(at(scores, i));
  std::vector<int32_t> c(B > 0 ? B : 0);
  if (!allocateChecked(s.data(), B, budget, minCount, pairs, strategy,
                       c.data()))
    return 0;
  for (int64_t i = 0; i < B; ++i)
    at(counts, i) = c[i];
  return 1;
}
} // namespace

namespace {

template <typename T>
std::vector<T> load(StridedMemRefType<T, 1> *m) {
  std::vector<T> v(m->sizes[0] > 0 ? m->sizes[0] : 0);
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i)
    v[i] = at(m, i);
  return v;
}

template <typename T>
void store(const std::vector<T> &v, StridedMemRefType<T, 1> *m) {
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i)
    at(m, i) = v[i];
}

/// Every listed memref must have exactly `n` elements.
bool sameSize(const char *fn, int64_t n,
              std::initializer_list<std::pair<const char *, int64_t>> sizes) {
  for (const auto &[name, size] : sizes)
    if (size != n) {
      callFailed(fn, "memref '" + std::string(name) + "' has " +
                         std::to_string(size) + " elements, expected " +
                         std::to_string(n));
      return false;
    }
  return true;
}

int32_t report(const char *fn, bool ok, const std::string &error) {
  if (ok)
    return 1;
  callFailed(fn, error);
  return 0;
}

} // namespace

void flops::rt::collectCallErrors(bool on) {
  collecting.store(on, std::memory_order_relaxed);
}

bool flops::rt::takeCallError(std::string *msg) {
  std::lock_guard<std::mutex> lock(callErrorMutex);
  if (callError.empty())
    return false;
  if (msg)
    *msg = std::move(callError);
  callError.clear();
  return true;
}

extern "C" {

int64_t flops_rt_take_call_error(char *buf, int64_t size) {
  std::string msg;
  if (!flops::rt::takeCallError(&msg))
    return 0;
  if (buf && size > 0) {
    size_t n = std::min<size_t>(msg.size(), size_t(size - 1));
    std::memcpy(buf, msg.data(), n);
    buf[n] = '\0';
  }
  return int64_t(msg.size());
}

void _mlir_ciface_flops_rt_fill_normal_f32(StridedMemRefType<float, 2> *out,
                                           int64_t seed, int64_t step,
                                           int32_t site, int32_t antithetic) {
  fillStrided(out, seed, step, site, antithetic, normalF32);
}

void _mlir_ciface_flops_rt_fill_normal_f64(StridedMemRefType<double, 2> *out,
                                           int64_t seed, int64_t step,
                                           int32_t site, int32_t antithetic) {
  fillStrided(out, seed, step, site, antithetic, normalF64);
}

void _mlir_ciface_flops_rt_philox(StridedMemRefType<int32_t, 1> *key,
                                  StridedMemRefType<int32_t, 1> *ctr,
                                  StridedMemRefType<int32_t, 1> *out) {
  const char *fn = "flops_rt_philox";
  if (!checkSize(fn, "key", key->sizes[0], 2) ||
      !checkSize(fn, "ctr", ctr->sizes[0], 4) ||
      !checkSize(fn, "out", out->sizes[0], 4))
    return;
  std::array<uint32_t, 2> k;
  std::array<uint32_t, 4> c;
  for (int64_t i = 0; i < 2; ++i)
    k[i] = static_cast<uint32_t>(at(key, i));
  for (int64_t i = 0; i < 4; ++i)
    c[i] = static_cast<uint32_t>(at(ctr, i));
  std::array<uint32_t, 4> x = philox4x32_10(k, c);
  for (int64_t i = 0; i < 4; ++i)
    at(out, i) = static_cast<int32_t>(x[i]);
}


int32_t _mlir_ciface_flops_rt_allocate(StridedMemRefType<float, 1> *scores,
                                       StridedMemRefType<int32_t, 1> *counts,
                                       int64_t budget, int64_t minCount,
                                       int32_t pairs, int32_t strategy) {
  return allocateMemRef(scores, counts, budget, minCount, pairs, strategy);
}

int32_t _mlir_ciface_flops_rt_allocate_f64(
    StridedMemRefType<double, 1> *scores, StridedMemRefType<int32_t, 1> *counts,
    int64_t budget, int64_t minCount, int32_t pairs, int32_t strategy) {
  return allocateMemRef(scores, counts, budget, minCount, pairs, strategy);
}

void _mlir_ciface_flops_rt_row_map(StridedMemRefType<int32_t, 1> *counts,
                                   StridedMemRefType<int32_t, 1> *map) {
  int64_t B = counts->sizes[0];
  int64_t N = map->sizes[0];
  std::vector<int32_t> c(B > 0 ? B : 0);
  for (int64_t i = 0; i < B; ++i)
    c[i] = at(counts, i);
  std::vector<int32_t> m(N > 0 ? N : 0);
  rowMap(c.data(), B, m.data(), N);
  for (int64_t r = 0; r < N; ++r)
    at(map, r) = m[r];
}

int32_t _mlir_ciface_flops_rt_standardize_losses(
    StridedMemRefType<double, 1> *loss, StridedMemRefType<double, 1> *lambda) {
  const char *fn = "flops_rt_standardize_losses";
  int64_t B = loss->sizes[0];
  if (!sameSize(fn, B, {{"lambda", lambda->sizes[0]}}))
    return 0;
  std::vector<double> l = load(loss), out(l.size());
  std::string err;
  if (!report(fn, standardizeLosses(l.data(), B, out.data(), &err), err))
    return 0;
  store(out, lambda);
  return 1;
}

int32_t _mlir_ciface_flops_rt_gaussian_alloc_init(
    StridedMemRefType<double, 1> *state, int64_t budget, int64_t B) {
  const char *fn = "flops_rt_gaussian_alloc_init";
  if (!sameSize(fn, kGaussianAllocStateSize, {{"state", state->sizes[0]}}))
    return 0;
  std::vector<double> st(kGaussianAllocStateSize);
  std::string err;
  if (!report(fn, gaussianAllocInit(budget, B, st.data(), &err), err))
    return 0;
  store(st, state);
  return 1;
}

int32_t _mlir_ciface_flops_rt_gaussian_alloc_draw(
    StridedMemRefType<double, 1> *lambda, StridedMemRefType<double, 1> *state,
    StridedMemRefType<double, 1> *aTilde, StridedMemRefType<int32_t, 1> *counts,
    int64_t seed, int64_t step, int64_t budget, int64_t minCount,
    int32_t pairs, double jitter) {
  const char *fn = "flops_rt_gaussian_alloc_draw";
  int64_t B = lambda->sizes[0];
  if (!sameSize(fn, B,
                {{"aTilde", aTilde->sizes[0]}, {"counts", counts->sizes[0]}}) ||
      !sameSize(fn, kGaussianAllocStateSize, {{"state", state->sizes[0]}}))
    return 0;
  std::vector<double> lam = load(lambda), st = load(state), a(lam.size());
  std::vector<int32_t> c(lam.size());
  std::string err;
  if (!report(fn,
              gaussianAllocDraw(lam.data(), B, st.data(), jitter,
                                static_cast<uint64_t>(seed),
                                static_cast<uint64_t>(step), budget, minCount,
                                pairs != 0, a.data(), c.data(), &err),
              err))
    return 0;
  store(a, aTilde);
  store(c, counts);
  return 1;
}

int32_t _mlir_ciface_flops_rt_gaussian_alloc_update(
    StridedMemRefType<double, 1> *lambda, StridedMemRefType<double, 1> *aTilde,
    StridedMemRefType<double, 1> *state, double vHat, double jitter, double lr,
    double baselineDecay) {
  const char *fn = "flops_rt_gaussian_alloc_update";
  int64_t B = lambda->sizes[0];
  if (!sameSize(fn, B, {{"aTilde", aTilde->sizes[0]}}) ||
      !sameSize(fn, kGaussianAllocStateSize, {{"state", state->sizes[0]}}))
    return 0;
  std::vector<double> lam = load(lambda), a = load(aTilde), st = load(state);
  GaussianAllocConfig cfg;
  cfg.jitter = jitter;
  cfg.lr = lr;
  cfg.baselineDecay = baselineDecay;
  std::string err;
  if (!report(fn,
              gaussianAllocUpdate(lam.data(), B, a.data(), vHat, cfg,
                                  st.data(), &err),
              err))
    return 0;
  store(st, state);
  return 1;
}

int32_t _mlir_ciface_flops_rt_variance_proxy(
    StridedMemRefType<double, 1> *rowSq, StridedMemRefType<int32_t, 1> *map,
    StridedMemRefType<double, 1> *vHat, int64_t B) {
  const char *fn = "flops_rt_variance_proxy";
  int64_t N = rowSq->sizes[0];
  if (!sameSize(fn, N, {{"map", map->sizes[0]}}))
    return 0;
  if (vHat->sizes[0] != 1 && vHat->sizes[0] != 2) {
    callFailed(fn, "vHat has " + std::to_string(vHat->sizes[0]) +
                       " elements (expected 1 or 2)");
    return 0;
  }
  std::vector<double> sq = load(rowSq);
  std::vector<int32_t> m = load(map);
  double v = 0.0, u = 0.0;
  std::string err;
  if (!report(fn,
              varianceProxy(sq.data(), m.data(), N, B, &v, &err,
                            vHat->sizes[0] == 2 ? &u : nullptr),
              err))
    return 0;
  at(vHat, 0) = v;
  if (vHat->sizes[0] == 2)
    at(vHat, 1) = u;
  return 1;
}

int32_t _mlir_ciface_flops_rt_point_square_means(
    StridedMemRefType<double, 1> *rowSq, StridedMemRefType<int32_t, 1> *map,
    StridedMemRefType<double, 1> *meanSq, StridedMemRefType<int32_t, 1> *rows) {
  const char *fn = "flops_rt_point_square_means";
  int64_t N = rowSq->sizes[0], B = meanSq->sizes[0];
  if (!sameSize(fn, N, {{"map", map->sizes[0]}}) ||
      !sameSize(fn, B, {{"rows", rows->sizes[0]}}))
    return 0;
  std::vector<double> sq = load(rowSq), ms(B > 0 ? B : 0);
  std::vector<int32_t> m = load(map), n(B > 0 ? B : 0);
  std::string err;
  if (!report(fn,
              pointSquareMeans(sq.data(), m.data(), N, B, ms.data(), n.data(),
                               &err),
              err))
    return 0;
  store(ms, meanSq);
  store(n, rows);
  return 1;
}

int32_t _mlir_ciface_flops_rt_row_weights(StridedMemRefType<int32_t, 1> *map,
                                          StridedMemRefType<double, 1> *omega,
                                          int64_t B, int32_t mode) {
  const char *fn = "flops_rt_row_weights";
  int64_t N = map->sizes[0];
  if (!sameSize(fn, N, {{"omega", omega->sizes[0]}}))
    return 0;
  std::vector<int32_t> m = load(map);
  std::vector<double> w(N > 0 ? N : 0);
  std::string err;
  if (!report(fn,
              rowWeights(m.data(), N, B, static_cast<RowWeighting>(mode),
                         w.data(), &err),
              err))
    return 0;
  store(w, omega);
  return 1;
}

int32_t _mlir_ciface_flops_rt_bernoulli_allocate(
    StridedMemRefType<double, 1> *loss, StridedMemRefType<int32_t, 1> *counts,
    double p, int64_t seed, int64_t step, int64_t budget, int64_t minCount,
    int32_t pairs) {
  const char *fn = "flops_rt_bernoulli_allocate";
  int64_t B = loss->sizes[0];
  if (!sameSize(fn, B, {{"counts", counts->sizes[0]}}))
    return 0;
  std::vector<double> l = load(loss);
  std::vector<int32_t> c(l.size());
  std::string err;
  if (!report(fn,
              bernoulliAllocate(l.data(), B, p, static_cast<uint64_t>(seed),
                                static_cast<uint64_t>(step), budget, minCount,
                                pairs != 0, c.data(), &err),
              err))
    return 0;
  store(c, counts);
  return 1;
}

int32_t _mlir_ciface_flops_rt_neyman_sigma(
    StridedMemRefType<double, 1> *meanSq, StridedMemRefType<int32_t, 1> *rows,
    StridedMemRefType<double, 1> *loss, StridedMemRefType<double, 1> *sigma,
    double kappa) {
  const char *fn = "flops_rt_neyman_sigma";
  int64_t B = meanSq->sizes[0];
  if (!sameSize(fn, B,
                {{"rows", rows->sizes[0]},
                 {"loss", loss->sizes[0]},
                 {"sigma", sigma->sizes[0]}}))
    return 0;
  std::vector<double> ms = load(meanSq), l = load(loss), sg(ms.size());
  std::vector<int32_t> n = load(rows);
  std::string err;
  if (!report(fn,
              neymanSigmaEstimate(ms.data(), n.data(), l.data(), B, kappa,
                                  sg.data(), &err),
              err))
    return 0;
  store(sg, sigma);
  return 1;
}

void flops_rt_philox4x32_10(const uint32_t key[2], const uint32_t ctr[4],
                            uint32_t out[4]) {
  std::array<uint32_t, 4> x =
      philox4x32_10({key[0], key[1]}, {ctr[0], ctr[1], ctr[2], ctr[3]});
  for (int i = 0; i < 4; ++i)
    out[i] = x[i];
}

float flops_rt_normal_f32(uint64_t seed, uint64_t step, uint32_t site,
                          uint64_t row, uint64_t elem, int32_t antithetic) {
  return normalF32(seed, step, site, row, elem, antithetic != 0);
}

double flops_rt_normal_f64(uint64_t seed, uint64_t step, uint32_t site,
                           uint64_t row, uint64_t elem, int32_t antithetic) {
  return normalF64(seed, step, site, row, elem, antithetic != 0);
}

void flops_rt_fill_normal_f32(float *out, int64_t rows, int64_t rowElems,
                              uint64_t seed, uint64_t step, uint32_t site,
                              int32_t antithetic) {
  fillNormal(out, rows, rowElems, seed, step, site, antithetic != 0);
}

void flops_rt_fill_normal_f64(double *out, int64_t rows, int64_t rowElems,
                              uint64_t seed, uint64_t step, uint32_t site,
                              int32_t antithetic) {
  fillNormal(out, rows, rowElems, seed, step, site, antithetic != 0);
}

int32_t flops_rt_allocate(const double *scores, int64_t B, int64_t budget,
                          int64_t minCount, int32_t pairs, int32_t strategy,
                          int32_t *counts) {
  return allocateChecked(scores, B, budget, minCount, pairs, strategy, counts);
}

int32_t flops_rt_gaussian_alloc_draw(const double *lambda, int64_t B,
                                     const double *state, double jitter,
                                     uint64_t seed, uint64_t step,
                                     int64_t budget, int64_t minCount,
                                     int32_t pairs, double *aTilde,
                                     int32_t *counts) {
  std::string err;
  return report("flops_rt_gaussian_alloc_draw",
                gaussianAllocDraw(lambda, B, state, jitter, seed, step, budget,
                                  minCount, pairs != 0, aTilde, counts, &err),
                err);
}

int32_t flops_rt_gaussian_alloc_update(const double *lambda, int64_t B,
                                       const double *aTilde, double vHat,
                                       double jitter, double lr,
                                       double baselineDecay, double *state) {
  GaussianAllocConfig cfg;
  cfg.jitter = jitter;
  cfg.lr = lr;
  cfg.baselineDecay = baselineDecay;
  std::string err;
  return report(
      "flops_rt_gaussian_alloc_update",
      gaussianAllocUpdate(lambda, B, aTilde, vHat, cfg, state, &err), err);
}

int32_t flops_rt_bernoulli_allocate(const double *loss, int64_t B, double p,
                                    uint64_t seed, uint64_t step,
                                    int64_t budget, int64_t minCount,
                                    int32_t pairs, int32_t *counts) {
  std::string err;
  return report("flops_rt_bernoulli_allocate",
                bernoulliAllocate(loss, B, p, seed, step, budget, minCount,
                                  pairs != 0, counts, &err),
                err);
}

void flops_rt_row_map(const int32_t *counts, int64_t B, int32_t *map,
                      int64_t N) {
  rowMap(counts, B, map, N);
}

} // extern "C"
