/* Calls the steps of a `flops-compile --emit=obj` object (a classifier with
 * 10 classes and a step batch of 32: test/Tools/Inputs/mlp-small.mlir) through
 * its header, every shape, type and role taken from the header's layout
 * tables: one train step from all-zero parameters (clean loss ln 10 whatever
 * the data), then eval_step on the zero and on the updated parameters. Used
 * by test/Tools/flops-compile-c.mlir. */
#include "step.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NA = FLOPS_TRAIN_STEP_NUM_ARGS, NR = FLOPS_TRAIN_STEP_NUM_RESULTS };

static size_t elemSize(int32_t dtype) {
  return dtype == FLOPS_DTYPE_F64 || dtype == FLOPS_DTYPE_I64 ? 8 : 4;
}

/* A zero-filled buffer and its memref descriptor (allocated, aligned,
 * offset, sizes[rank], strides[rank]). */
static int64_t *make(int32_t rank, const int64_t *shape, int32_t dtype) {
  size_t n = 1;
  for (int32_t k = 0; k < rank; ++k)
    n *= (size_t)shape[k];
  void *p = calloc(n ? n : 1, elemSize(dtype));
  int64_t *d = calloc((size_t)(3 + 2 * rank), sizeof(int64_t));
  d[0] = d[1] = (int64_t)(intptr_t)p;
  int64_t stride = 1;
  for (int32_t k = rank - 1; k >= 0; --k) {
    d[3 + k] = shape[k];
    d[3 + rank + k] = stride;
    stride *= shape[k];
  }
  return d;
}

static int64_t count(int32_t rank, const int64_t *shape) {
  int64_t n = 1;
  for (int32_t k = 0; k < rank; ++k)
    n *= shape[k];
  return n;
}

#define DATA(d, T) ((T *)(intptr_t)(d)[1])

int main(void) {
  int64_t *in[NA], *out[NR];
  void *inPtr[NA], *outPtr[NR], *packed[NA + NR];
  float lr = 1e-3f;
  int64_t step = 0, seed = 0;
  int input = -1, labels = -1, metrics = -1;
  for (int i = 0; i < NA; ++i) {
    const char *role = flops_train_step_arg_role[i];
    int32_t rank = flops_train_step_arg_rank[i];
    if (rank < 0) { /* scalars, by value */
      packed[i] = !strcmp(role, "lr")     ? (void *)&lr
                  : !strcmp(role, "step") ? (void *)&step
                                          : (void *)&seed;
      continue;
    }
    in[i] = make(rank, flops_train_step_arg_shape[i],
                 flops_train_step_arg_dtype[i]);
    inPtr[i] = in[i];
    packed[i] = &inPtr[i];
    int64_t n = count(rank, flops_train_step_arg_shape[i]);
    if (!strcmp(role, "log_sigma")) /* flops.log_sigma_init = ln 1e-3 */
      for (int64_t k = 0; k < n; ++k)
        DATA(in[i], float)[k] = (float)log(1e-3);
    if (!strcmp(role, "input")) {
      input = i;
      for (int64_t k = 0; k < n; ++k)
        DATA(in[i], float)[k] = (float)((k * 37) % 101) / 101.0f;
    }
    if (!strcmp(role, "labels")) {
      labels = i;
      for (int64_t k = 0; k < n; ++k)
        DATA(in[i], int32_t)[k] = (int32_t)(k % 10);
    }
  }
  for (int r = 0; r < NR; ++r) {
    out[r] = make(flops_train_step_result_rank[r],
                  flops_train_step_result_shape[r],
                  flops_train_step_result_dtype[r]);
    outPtr[r] = out[r];
    packed[NA + r] = &outPtr[r];
    if (!strcmp(flops_train_step_result_role[r], "metrics"))
      metrics = r;
  }
  if (input < 0 || labels < 0 || metrics < 0) {
    printf("train_step lacks an input, labels or metrics\n");
    return 1;
  }
  _flops_packed_train_step(packed);
  const float *m = DATA(out[metrics], float);
  printf("train_step: clean loss %.6f, grad norm finite %d\n", m[0],
         isfinite(m[3]) ? 1 : 0);
  /* Result 0 is the first parameter's update. */
  int changed = 0;
  int64_t n0 = count(flops_train_step_result_rank[0],
                     flops_train_step_result_shape[0]);
  for (int64_t k = 0; k < n0; ++k)
    changed |= DATA(out[0], float)[k] != 0.0f;
  printf("%s updated: %d\n", flops_train_step_result_name[0], changed);

  /* eval_step, packed: its parameters (the step's first ones, in order),
   * then the batch, the labels and the valid row count. */
  int64_t batch = flops_train_step_arg_shape[input][0];
  for (int pass = 0; pass < 2; ++pass) {
    void *ePtr[FLOPS_EVAL_STEP_NUM_ARGS + 1];
    void *ePacked[FLOPS_EVAL_STEP_NUM_ARGS + 1];
    int64_t *res = make(flops_eval_step_result_rank[0],
                        flops_eval_step_result_shape[0],
                        flops_eval_step_result_dtype[0]);
    int p = 0;
    for (int i = 0; i < FLOPS_EVAL_STEP_NUM_ARGS; ++i) {
      const char *role = flops_eval_step_arg_role[i];
      if (!strcmp(role, "param")) {
        ePtr[i] = pass == 0 ? (void *)in[p] : (void *)out[p];
        ++p;
      } else if (!strcmp(role, "input")) {
        ePtr[i] = in[input];
      } else if (!strcmp(role, "labels")) {
        ePtr[i] = in[labels];
      }
      ePacked[i] = !strcmp(role, "valid") ? (void *)&batch : (void *)&ePtr[i];
    }
    ePtr[FLOPS_EVAL_STEP_NUM_ARGS] = res;
    ePacked[FLOPS_EVAL_STEP_NUM_ARGS] = &ePtr[FLOPS_EVAL_STEP_NUM_ARGS];
    _flops_packed_eval_step(ePacked);
    float lossSum = DATA(res, float)[0];
    if (pass == 0)
      printf("eval_step(zero): loss_sum %.4f (%lld ln 10 = %.4f)\n", lossSum,
             (long long)batch, (double)batch * log(10.0));
    else
      printf("eval_step(updated): loss_sum finite %d, differs from zero "
             "parameters' %d\n",
             isfinite(lossSum) ? 1 : 0,
             fabs(lossSum - (double)batch * log(10.0)) > 1e-6 ? 1 : 0);
  }
  return 0;
}
