//===- CInterface.cpp - C entry points of the FLOPS runtime ---------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/CInterface.h"
#include "flops/Runtime/Allocation.h"
#include "flops/Runtime/Philox.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace flops::rt;

namespace {

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
  std::fprintf(stderr, "%s: memref '%s' has %lld elements, needs %lld\n", fn,
               name, static_cast<long long>(size),
               static_cast<long long>(need));
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
    std::fprintf(stderr, "flops_rt_allocate: %s\n", error.c_str());
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
    std::fprintf(stderr,
                 "flops_rt_allocate: counts has %lld elements, scores has "
                 "%lld (B); they must match\n",
                 static_cast<long long>(counts->sizes[0]),
                 static_cast<long long>(B));
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

extern "C" {

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

void flops_rt_row_map(const int32_t *counts, int64_t B, int32_t *map,
                      int64_t N) {
  rowMap(counts, B, map, N);
}

} // extern "C"
