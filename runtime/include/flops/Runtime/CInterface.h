//===- CInterface.h - C entry points of the FLOPS runtime -------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// `_mlir_ciface_*` functions are called by MLIR code compiled with
// `llvm.emit_c_interface` (e.g. under mlir-runner with
// -shared-libs=libFlopsRuntime.so). Memrefs are passed as descriptors; offset
// and strides are honoured. The `flops_rt_*` functions are plain C wrappers.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_CINTERFACE_H
#define FLOPS_RUNTIME_CINTERFACE_H

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstdint>
#include <string>

#define FLOPS_RT_EXPORT __attribute__((visibility("default")))

namespace flops::rt {
/// The runtime calls below report invalid input by a 0 status that the
/// generated code does not branch on. Each failure is also recorded here
/// (the first one since the last takeCallError, with the function's name),
/// so that whoever called the compiled function can fail it: the driver's
/// Program::call and TrainState::step / evaluate do.
/// While nobody collects (the default, e.g. under mlir-runner) a failure is
/// printed to stderr; collectCallErrors(true) stops the printing (the
/// collector reports the message instead).
FLOPS_RT_EXPORT void collectCallErrors(bool on);
/// Moves the recorded failure into *msg (if msg is non-null) and clears it;
/// false when none was recorded.
FLOPS_RT_EXPORT bool takeCallError(std::string *msg);
} // namespace flops::rt

extern "C" {

/// C form of flops::rt::takeCallError for programs that call a compiled step
/// through its C header: copies the recorded failure (NUL-terminated,
/// truncated to size - 1 bytes) into buf and clears it; returns its length,
/// 0 when there was none.
FLOPS_RT_EXPORT int64_t flops_rt_take_call_error(char *buf, int64_t size);

/// out[r][e] = normal(seed, step, site, row = r, elem = e, antithetic).
FLOPS_RT_EXPORT void
_mlir_ciface_flops_rt_fill_normal_f32(StridedMemRefType<float, 2> *out,
                                      int64_t seed, int64_t step, int32_t site,
                                      int32_t antithetic);
FLOPS_RT_EXPORT void
_mlir_ciface_flops_rt_fill_normal_f64(StridedMemRefType<double, 2> *out,
                                      int64_t seed, int64_t step, int32_t site,
                                      int32_t antithetic);

/// out[0..4) = philox4x32_10(key[0..2), ctr[0..4)), words as raw bits.
FLOPS_RT_EXPORT void
_mlir_ciface_flops_rt_philox(StridedMemRefType<int32_t, 1> *key,
                             StridedMemRefType<int32_t, 1> *ctr,
                             StridedMemRefType<int32_t, 1> *out);

/// Allocates `budget` over B = size(scores) points into counts (size B).
/// Returns 1 on success, 0 (after recording the reason, flops::rt::takeCallError) on invalid input.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_allocate(
    StridedMemRefType<float, 1> *scores, StridedMemRefType<int32_t, 1> *counts,
    int64_t budget, int64_t minCount, int32_t pairs, int32_t strategy);
/// The same for f64 scores (no rounding of the scores to float).
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_allocate_f64(
    StridedMemRefType<double, 1> *scores, StridedMemRefType<int32_t, 1> *counts,
    int64_t budget, int64_t minCount, int32_t pairs, int32_t strategy);

/// map (N rows) = repeat-interleave of counts (B points); see flops::rt::rowMap.
FLOPS_RT_EXPORT void
_mlir_ciface_flops_rt_row_map(StridedMemRefType<int32_t, 1> *counts,
                              StridedMemRefType<int32_t, 1> *map);

// Query allocators (Allocators.h). All return 1 on success, 0 (after recording
// the reason: takeCallError; outputs untouched) on invalid input. B is the size of
// the per-point memrefs, which must agree; N the size of the per-row ones.

/// lambda (B) = losses standardised over the batch; see standardizeLosses.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_standardize_losses(
    StridedMemRefType<double, 1> *loss, StridedMemRefType<double, 1> *lambda);

/// state (16) = the initial Gaussian allocator state for `budget` over B.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_gaussian_alloc_init(
    StridedMemRefType<double, 1> *state, int64_t budget, int64_t B);

/// aTilde (B), counts (B) = one draw of the Gaussian allocator.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_gaussian_alloc_draw(
    StridedMemRefType<double, 1> *lambda, StridedMemRefType<double, 1> *state,
    StridedMemRefType<double, 1> *aTilde, StridedMemRefType<int32_t, 1> *counts,
    int64_t seed, int64_t step, int64_t budget, int64_t minCount,
    int32_t pairs, double jitter);

/// state (16) updated in place from the draw aTilde and its measured vHat;
/// Adam β1 = 0.9, β2 = 0.999, ε = 1e-8.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_gaussian_alloc_update(
    StridedMemRefType<double, 1> *lambda, StridedMemRefType<double, 1> *aTilde,
    StridedMemRefType<double, 1> *state, double vHat, double jitter, double lr,
    double baselineDecay);

/// vHat (1 or 2) = V̂ of the rows' squared-norm proxies rowSq (N) under the
/// row map (N) for B points; with 2 elements, then V̂ of the uniform
/// allocation with the same per-point means.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_variance_proxy(
    StridedMemRefType<double, 1> *rowSq, StridedMemRefType<int32_t, 1> *map,
    StridedMemRefType<double, 1> *vHat, int64_t B);

/// meanSq (B), rows (B) = per-point mean of rowSq (N) and row count.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_point_square_means(
    StridedMemRefType<double, 1> *rowSq, StridedMemRefType<int32_t, 1> *map,
    StridedMemRefType<double, 1> *meanSq, StridedMemRefType<int32_t, 1> *rows);

/// omega (N) = row weights (mode 0: 1 / (B A_i(r)), 1: 1 / N).
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_row_weights(
    StridedMemRefType<int32_t, 1> *map, StridedMemRefType<double, 1> *omega,
    int64_t B, int32_t mode);

/// counts (B) = the Bernoulli allocation for these losses.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_bernoulli_allocate(
    StridedMemRefType<double, 1> *loss, StridedMemRefType<int32_t, 1> *counts,
    double p, int64_t seed, int64_t step, int64_t budget, int64_t minCount,
    int32_t pairs);

/// sigma (B) = Neyman σ estimates from meanSq, rows and the clean loss.
FLOPS_RT_EXPORT int32_t _mlir_ciface_flops_rt_neyman_sigma(
    StridedMemRefType<double, 1> *meanSq, StridedMemRefType<int32_t, 1> *rows,
    StridedMemRefType<double, 1> *loss, StridedMemRefType<double, 1> *sigma,
    double kappa);

// Plain C wrappers over contiguous arrays.
FLOPS_RT_EXPORT void flops_rt_philox4x32_10(const uint32_t key[2],
                                            const uint32_t ctr[4],
                                            uint32_t out[4]);
FLOPS_RT_EXPORT float flops_rt_normal_f32(uint64_t seed, uint64_t step,
                                          uint32_t site, uint64_t row,
                                          uint64_t elem, int32_t antithetic);
FLOPS_RT_EXPORT double flops_rt_normal_f64(uint64_t seed, uint64_t step,
                                           uint32_t site, uint64_t row,
                                           uint64_t elem, int32_t antithetic);
FLOPS_RT_EXPORT void flops_rt_fill_normal_f32(float *out, int64_t rows,
                                              int64_t rowElems, uint64_t seed,
                                              uint64_t step, uint32_t site,
                                              int32_t antithetic);
FLOPS_RT_EXPORT void flops_rt_fill_normal_f64(double *out, int64_t rows,
                                              int64_t rowElems, uint64_t seed,
                                              uint64_t step, uint32_t site,
                                              int32_t antithetic);
/// Returns 1 on success, 0 (after recording the reason, flops::rt::takeCallError) on invalid input.
FLOPS_RT_EXPORT int32_t flops_rt_allocate(const double *scores, int64_t B,
                                          int64_t budget, int64_t minCount,
                                          int32_t pairs, int32_t strategy,
                                          int32_t *counts);
/// Plain-array forms of the allocator entry points above (1 / 0 as there).
FLOPS_RT_EXPORT int32_t flops_rt_gaussian_alloc_draw(
    const double *lambda, int64_t B, const double *state, double jitter,
    uint64_t seed, uint64_t step, int64_t budget, int64_t minCount,
    int32_t pairs, double *aTilde, int32_t *counts);
FLOPS_RT_EXPORT int32_t flops_rt_gaussian_alloc_update(
    const double *lambda, int64_t B, const double *aTilde, double vHat,
    double jitter, double lr, double baselineDecay, double *state);
FLOPS_RT_EXPORT int32_t flops_rt_bernoulli_allocate(
    const double *loss, int64_t B, double p, uint64_t seed, uint64_t step,
    int64_t budget, int64_t minCount, int32_t pairs, int32_t *counts);
FLOPS_RT_EXPORT void flops_rt_row_map(const int32_t *counts, int64_t B,
                                      int32_t *map, int64_t N);

} // extern "C"

#endif // FLOPS_RUNTIME_CINTERFACE_H
