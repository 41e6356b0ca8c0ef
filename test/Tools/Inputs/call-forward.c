/* Calls the forward entry of a `flops-compile --emit=obj` object through the
 * layout tables of its header (no shape is written here): reads each
 * argument's raw bytes from DIR/argI.bin, calls _flops_packed_forward and
 * writes each result's raw bytes to DIR/resultI.bin. Used by
 * test/Tools/flops-compile-c.mlir (forward-check.py writes the arguments and
 * compares the results with flops-run's). */
#include "step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t elemSize(int32_t dtype) {
  switch (dtype) {
  case FLOPS_DTYPE_F64:
  case FLOPS_DTYPE_I64:
    return 8;
  case FLOPS_DTYPE_U8:
    return 1;
  default:
    return 4;
  }
}

/* A memref descriptor of rank r: allocated, aligned, offset, sizes[r],
 * strides[r] (3 + 2r words). */
static int64_t *describe(int32_t rank, const int64_t *shape, void *data) {
  int64_t *d = calloc((size_t)(3 + 2 * rank), sizeof(int64_t));
  d[0] = d[1] = (int64_t)(intptr_t)data;
  int64_t stride = 1;
  for (int32_t k = rank - 1; k >= 0; --k) {
    d[3 + k] = shape[k];
    d[3 + rank + k] = stride;
    stride *= shape[k];
  }
  return d;
}

static size_t bytesOf(int32_t rank, const int64_t *shape, int32_t dtype) {
  size_t n = 1;
  for (int32_t k = 0; k < rank; ++k)
    n *= (size_t)shape[k];
  return n * elemSize(dtype);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  enum { NA = FLOPS_FORWARD_NUM_ARGS, NR = FLOPS_FORWARD_NUM_RESULTS };
  void *packed[NA + NR], *descs[NA + NR], *data[NA + NR];
  char path[4096];
  for (int i = 0; i < NA; ++i) {
    int32_t rank = flops_forward_arg_rank[i];
    if (rank < 0) {
      fprintf(stderr, "argument %d is a scalar: not supported here\n", i);
      return 1;
    }
    size_t bytes = bytesOf(rank, flops_forward_arg_shape[i],
                           flops_forward_arg_dtype[i]);
    data[i] = malloc(bytes ? bytes : 1);
    snprintf(path, sizeof path, "%s/arg%d.bin", argv[1], i);
    FILE *f = fopen(path, "rb");
    if (!f || fread(data[i], 1, bytes, f) != bytes) {
      fprintf(stderr, "cannot read %zu bytes from %s\n", bytes, path);
      return 1;
    }
    fclose(f);
    descs[i] = describe(rank, flops_forward_arg_shape[i], data[i]);
    packed[i] = &descs[i];
  }
  for (int r = 0; r < NR; ++r) {
    int32_t rank = flops_forward_result_rank[r];
    size_t bytes = bytesOf(rank, flops_forward_result_shape[r],
                           flops_forward_result_dtype[r]);
    data[NA + r] = calloc(bytes ? bytes : 1, 1);
    descs[NA + r] = describe(rank, flops_forward_result_shape[r], data[NA + r]);
    packed[NA + r] = &descs[NA + r];
  }
  _flops_packed_forward(packed);
  for (int r = 0; r < NR; ++r) {
    size_t bytes = bytesOf(flops_forward_result_rank[r],
                           flops_forward_result_shape[r],
                           flops_forward_result_dtype[r]);
    snprintf(path, sizeof path, "%s/result%d.bin", argv[1], r);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data[NA + r], 1, bytes, f) != bytes) {
      fprintf(stderr, "cannot write %s\n", path);
      return 1;
    }
    fclose(f);
  }
  printf("forward: %d arguments, %d results written\n", NA, NR);
  return 0;
}
