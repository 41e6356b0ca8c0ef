//===- FakeCublas.cpp - A fake cuBLAS with host loops (tests only) --------===//
//
// cublasGemmStridedBatchedEx with cuBLAS's column-major semantics on host
// memory (the fake driver's "device" memory is host memory), f32 only, so
// that tests can check flopsGpuGemmF32's row-major translation against a
// naive row-major reference.
//
//===----------------------------------------------------------------------===//

#include "FakeCuda.h"

#include "CudaApi.h"

#include <mutex>

using namespace flops::gpu::api;

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
struct FakeBlas {
  std::mutex mu;
  int handles = 0;
  int gemms = 0;
  int failNext = 0;
  int lastCompute = -1;
  void *lastStream = nullptr;
};
FakeBlas &blas() {
  static FakeBlas *b = new FakeBlas;
  return *b;
}
struct FakeHandle {
  CUstream stream = nullptr;
};
} // namespace

FAKE_EXPORT cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
  FakeBlas &b = blas();
  std::lock_guard<std::mutex> lock(b.mu);
  ++b.handles;
  *handle = reinterpret_cast<cublasHandle_t>(new FakeHandle);
  return CUBLAS_STATUS_SUCCESS;
}

FAKE_EXPORT cublasStatus_t cublasSetStream_v2(cublasHandle_t handle,
                                              CUstream stream) {
  if (!handle)
    return CUBLAS_STATUS_NOT_INITIALIZED;
  reinterpret_cast<FakeHandle *>(handle)->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

FAKE_EXPORT const char *cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
  case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
  case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
  case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
  case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
  default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

FAKE_EXPORT cublasStatus_t cublasGemmStridedBatchedEx(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype,
    int lda, long long strideA, const void *B, cudaDataType Btype, int ldb,
    long long strideB, const void *beta, void *C, cudaDataType Ctype, int ldc,
    long long strideC, int batch, cublasComputeType_t compute,
    cublasGemmAlgo_t) {
  FakeBlas &b = blas();
  {
    std::lock_guard<std::mutex> lock(b.mu);
    ++b.gemms;
    b.lastCompute = compute;
    b.lastStream = handle ? reinterpret_cast<FakeHandle *>(handle)->stream
                          : nullptr;
    if (int fail = b.failNext) {
      b.failNext = 0;
      return fail;
    }
  }
  if (!handle)
    return CUBLAS_STATUS_NOT_INITIALIZED;
  if (Atype != CUDA_R_32F || Btype != CUDA_R_32F || Ctype != CUDA_R_32F)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  if (compute != CUBLAS_COMPUTE_32F && compute != CUBLAS_COMPUTE_32F_FAST_TF32 &&
      compute != CUBLAS_COMPUTE_32F_FAST_16BF)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  // cuBLAS's own argument checks (column-major).
  if (m < 0 || n < 0 || k < 0 || batch < 0 ||
      lda < (transa == CUBLAS_OP_N ? (m > 1 ? m : 1) : (k > 1 ? k : 1)) ||
      ldb < (transb == CUBLAS_OP_N ? (k > 1 ? k : 1) : (n > 1 ? n : 1)) ||
      ldc < (m > 1 ? m : 1))
    return CUBLAS_STATUS_INVALID_VALUE;
  float a = *static_cast<const float *>(alpha);
  float be = *static_cast<const float *>(beta);
  for (int p = 0; p < batch; ++p) {
    const float *Ab = static_cast<const float *>(A) + p * strideA;
    const float *Bb = static_cast<const float *>(B) + p * strideB;
    float *Cb = static_cast<float *>(C) + p * strideC;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        float sum = 0.0f;
        for (int l = 0; l < k; ++l) {
          float x = transa == CUBLAS_OP_N ? Ab[i + l * lda] : Ab[l + i * lda];
          float y = transb == CUBLAS_OP_N ? Bb[l + j * ldb] : Bb[j + l * ldb];
          sum += x * y;
        }
        float &c = Cb[i + j * ldc];
        // Like cuBLAS: with beta == 0, C is not read (may hold NaN).
        c = be == 0.0f ? a * sum : a * sum + be * c;
      }
  }
  return CUBLAS_STATUS_SUCCESS;
}

FAKE_EXPORT void flopsFakeCublasReset() {
  FakeBlas &b = blas();
  std::lock_guard<std::mutex> lock(b.mu);
  b.handles = b.gemms = b.failNext = 0;
  b.lastCompute = -1;
  b.lastStream = nullptr;
}

FAKE_EXPORT void flopsFakeCublasFailGemm(int status) {
  FakeBlas &b = blas();
  std::lock_guard<std::mutex> lock(b.mu);
  b.failNext = status;
}

FAKE_EXPORT int flopsFakeCublasGemmCount() {
  FakeBlas &b = blas();
  std::lock_guard<std::mutex> lock(b.mu);
  return b.gemms;
}

FAKE_EXPORT int flopsFakeCublasHandleCount() {
  FakeBlas &b = blas();
  std::lock_guard<std::mutex> lock(b.mu);
  return b.handles;
}

FAKE_EXPORT int flopsFakeCublasLastComputeType() {
  FakeBlas &b = blas();
  std::lock_guard<std::mutex> lock(b.mu);
  return b.lastCompute;
}

FAKE_EXPORT void *flopsFakeCublasLastStream() {
  FakeBlas &b = blas();
  std::lock_guard<std::mutex> lock(b.mu);
  return b.lastStream;
}
