/* Calls the step of test/Tools/Inputs/mlp-small.mlir (batch 32) through the
 * header of `flops-compile --emit=header`: one train step from all-zero
 * parameters (clean loss ln 10 whatever the data), then eval_step on the
 * updated and on zero parameters. Used by test/Tools/flops-compile-c.mlir. */
#include "step.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shapes of train_step's arguments 0..22 in order (scalars: rank -1). */
static const int64_t kShapes[23][2] = {
    {784, 32}, {32, 0}, {32, 10}, {10, 0}, {784, 32}, {32, 0}, {32, 10},
    {10, 0},   {784, 32}, {32, 0}, {32, 10}, {10, 0}, {32, 0}, {10, 0},
    {32, 0},   {10, 0},  {32, 0}, {10, 0},  {-1, 0}, {-1, 0}, {-1, 0},
    {32, 784}, {32, 0}};
static const int kRank[23] = {2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1,
                              1, 1, 1, 1, 1, 1, 0, 0, 0, 2, 1};

/* A descriptor of rank <= 2 (the layout of flops_memref_1d/2d). */
typedef struct {
  int64_t words[7];
} desc_t;

static void *make(desc_t *d, int rank, const int64_t *shape, size_t elem) {
  int64_t n = rank == 2 ? shape[0] * shape[1] : shape[0];
  void *p = calloc((size_t)n, elem);
  d->words[0] = d->words[1] = (int64_t)(intptr_t)p;
  d->words[2] = 0;
  if (rank == 1) {
    d->words[3] = shape[0];
    d->words[4] = 1;
  } else {
    d->words[3] = shape[0];
    d->words[4] = shape[1];
    d->words[5] = shape[1];
    d->words[6] = 1;
  }
  return p;
}

int main(void) {
  desc_t in[23], out[19];
  void *inPtr[23], *outPtr[19], *packed[23 + 19];
  float lr = 1e-3f;
  int64_t step = 0, seed = 0;
  for (int i = 0; i < 23; ++i) {
    if (kRank[i] == 0)
      continue;
    size_t elem = i == 22 ? sizeof(int32_t) : sizeof(float);
    inPtr[i] = &in[i];
    float *p = make(&in[i], kRank[i], kShapes[i], elem);
    if (i >= 12 && i <= 13) /* log sigma: flops.log_sigma_init = ln 1e-3 */
      for (int k = 0; k < kShapes[i][0]; ++k)
        p[k] = (float)log(1e-3);
    if (i == 21) /* inputs */
      for (int k = 0; k < 32 * 784; ++k)
        p[k] = (float)((k * 37) % 101) / 101.0f;
    if (i == 22) /* labels */
      for (int k = 0; k < 32; ++k)
        ((int32_t *)p)[k] = k % 10;
    packed[i] = &inPtr[i];
  }
  packed[18] = &lr;
  packed[19] = &step;
  packed[20] = &seed;
  for (int i = 0; i < 19; ++i) {
    int64_t metrics[1] = {5};
    int rank = i == 18 ? 1 : kRank[i];
    make(&out[i], rank, i == 18 ? metrics : kShapes[i], sizeof(float));
    outPtr[i] = &out[i];
    packed[23 + i] = &outPtr[i];
  }
  _flops_packed_train_step(packed);
  const float *m = (const float *)(intptr_t)out[18].words[1];
  printf("train_step: clean loss %.6f, grad norm finite %d\n", m[0],
         isfinite(m[3]) ? 1 : 0);
  int changed = 0;
  const float *w = (const float *)(intptr_t)out[0].words[1];
  for (int k = 0; k < 784 * 32; ++k)
    changed |= w[k] != 0.0f;
  printf("fc1.weight updated: %d\n", changed);

  /* eval_step, typed: zero parameters (the inputs 0..3) -> loss ln 10 per
   * row; then the updated ones. */
  float evalOut[2];
  int64_t two = 2;
  desc_t res;
  make(&res, 1, &two, sizeof(float));
  _mlir_ciface_eval_step((flops_memref_2d *)&in[0], (flops_memref_1d *)&in[1],
                         (flops_memref_2d *)&in[2], (flops_memref_1d *)&in[3],
                         (flops_memref_2d *)&in[21],
                         (flops_memref_1d *)&in[22], 32,
                         (flops_memref_1d *)&res);
  memcpy(evalOut, (void *)(intptr_t)res.words[1], sizeof evalOut);
  printf("eval_step(zero): loss_sum %.4f (32 ln 10 = %.4f)\n", evalOut[0],
         32.0 * log(10.0));
  _mlir_ciface_eval_step((flops_memref_2d *)&out[0],
                         (flops_memref_1d *)&out[1],
                         (flops_memref_2d *)&out[2],
                         (flops_memref_1d *)&out[3],
                         (flops_memref_2d *)&in[21],
                         (flops_memref_1d *)&in[22], 32,
                         (flops_memref_1d *)&res);
  memcpy(evalOut, (void *)(intptr_t)res.words[1], sizeof evalOut);
  printf("eval_step(updated): loss_sum finite %d, differs from zero "
         "parameters' %d\n",
         isfinite(evalOut[0]) ? 1 : 0,
         fabs(evalOut[0] - 32.0 * log(10.0)) > 1e-6 ? 1 : 0);
  return 0;
}
