//===- Gemm.cpp - flopsGpuGemmF32 over cuBLAS (loaded at run time) --------===//
//
// Row-major C = alpha op(A) op(B) + beta C is column-major
// C^T = alpha op(B)^T op(A)^T + beta C^T, and a row-major matrix read as
// column-major is its transpose: so cuBLAS gets (B, A) swapped, n and m
// swapped, and the trans flags and leading dimensions unchanged.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "flops/Runtime/GpuRuntime.h"

#include <atomic>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

#include <dlfcn.h>

using namespace flops::gpu;
using namespace flops::gpu::api;

namespace {

struct CublasApi {
#define FLOPS_MEMBER(member, symbol, ret, params) PFN_##member member = nullptr;
  FLOPS_CUBLAS_REQUIRED(FLOPS_MEMBER)
  FLOPS_CUBLAS_OPTIONAL(FLOPS_MEMBER)
#undef FLOPS_MEMBER
};

struct CublasState {
  std::mutex mu;
  bool attempted = false;
  std::string error;
  void *library = nullptr;
  CublasApi api;
};

CublasState &cublasState() {
  static CublasState *s = new CublasState;
  return *s;
}

// Candidates when $FLOPS_CUBLAS_LIBRARY is unset: the CUDA 13 soname and the
// unversioned development link on the loader's path, then the same in the
// toolkit found at configure time and in /usr/local/cuda (toolkits are often
// not on the loader's path).
#ifndef FLOPS_CUDA_TOOLKIT_LIB_DIR
#define FLOPS_CUDA_TOOLKIT_LIB_DIR "/usr/local/cuda/lib64"
#endif
const char *const kCublasNames[] = {
    "libcublas.so.13", "libcublas.so",
    FLOPS_CUDA_TOOLKIT_LIB_DIR "/libcublas.so.13",
    "/usr/local/cuda/lib64/libcublas.so.13"};

const CublasApi *loadCublas() {
  CublasState &s = cublasState();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.attempted) {
    if (!s.error.empty())
      recordError("flopsGpuGemmF32: " + s.error);
    return s.error.empty() ? &s.api : nullptr;
  }
  s.attempted = true;
  const char *env = std::getenv("FLOPS_CUBLAS_LIBRARY");
  std::string tried;
  if (env && *env) {
    s.library = dlopen(env, RTLD_NOW | RTLD_LOCAL);
    if (!s.library) {
      const char *why = dlerror();
      tried = std::string("dlopen(") + env + ") failed: " + (why ? why : "?");
    }
  } else {
    for (const char *name : kCublasNames) {
      s.library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (s.library)
        break;
      const char *why = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + "dlopen(" + name +
               ") failed: " + (why ? why : "?");
    }
  }
  if (!s.library) {
    s.error = "no cuBLAS: " + tried;
    recordError("flopsGpuGemmF32: " + s.error);
    return nullptr;
  }
#define FLOPS_LOAD_REQUIRED(member, symbol, ret, params)                       \
  s.api.member = reinterpret_cast<PFN_##member>(dlsym(s.library, #symbol));    \
  if (!s.api.member) {                                                         \
    s.error = "no cuBLAS: the library lacks " #symbol;                         \
    recordError("flopsGpuGemmF32: " + s.error);                                \
    return nullptr;                                                            \
  }
  FLOPS_CUBLAS_REQUIRED(FLOPS_LOAD_REQUIRED)
#undef FLOPS_LOAD_REQUIRED
#define FLOPS_LOAD_OPTIONAL(member, symbol, ret, params)                       \
  s.api.member = reinterpret_cast<PFN_##member>(dlsym(s.library, #symbol));
  FLOPS_CUBLAS_OPTIONAL(FLOPS_LOAD_OPTIONAL)
#undef FLOPS_LOAD_OPTIONAL
  return &s.api;
}

std::string statusName(const CublasApi &api, cublasStatus_t status) {
  if (api.getStatusName)
    if (const char *name = api.getStatusName(status))
      return name;
  return "cublasStatus " + std::to_string(status);
}

// One cuBLAS handle per thread (and device), pointed at the stream of the
// current call. Never destroyed: thread-exit order against the driver's own
// teardown is not ours to control.
struct ThreadHandle {
  uint64_t generation = 0;
  cublasHandle_t handle = nullptr;
  CUstream stream = nullptr;
};
thread_local ThreadHandle tlsHandle;

cublasHandle_t handleFor(const CublasApi &api, CUstream stream) {
  ThreadHandle &t = tlsHandle;
  uint64_t gen = generation();
  if (t.generation != gen || !t.handle) {
    t = ThreadHandle();
    cublasHandle_t handle = nullptr;
    cublasStatus_t status = api.create(&handle);
    if (status != CUBLAS_STATUS_SUCCESS) {
      recordError("flopsGpuGemmF32: cublasCreate failed: " + statusName(api, status));
      return nullptr;
    }
    t.handle = handle;
    t.generation = gen;
    status = api.setStream(handle, stream);
    if (status != CUBLAS_STATUS_SUCCESS) {
      recordError("flopsGpuGemmF32: cublasSetStream failed: " + statusName(api, status));
      return nullptr;
    }
    t.stream = stream;
    return handle;
  }
  if (t.stream != stream) {
    cublasStatus_t status = api.setStream(t.handle, stream);
    if (status != CUBLAS_STATUS_SUCCESS) {
      recordError("flopsGpuGemmF32: cublasSetStream failed: " + statusName(api, status));
      return nullptr;
    }
    t.stream = stream;
  }
  return t.handle;
}

bool fitsInt(int64_t v) { return v >= 0 && v <= INT_MAX; }

} // namespace

namespace flops {
namespace gpu {
void resetCublasForTesting() {
  CublasState &s = cublasState();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.library)
    dlclose(s.library);
  s.library = nullptr;
  s.api = CublasApi();
  s.attempted = false;
  s.error.clear();
}
} // namespace gpu
} // namespace flops

extern "C" __attribute__((visibility("default"))) void
flopsGpuGemmF32(int64_t batch, int64_t m, int64_t n, int64_t k,
                int32_t transA, int32_t transB, const float *A, int64_t lda,
                int64_t strideA, const float *B, int64_t ldb, int64_t strideB,
                float *C, int64_t ldc, int64_t strideC, float alpha,
                float beta, int32_t precision, void *stream) {
  // Built only when something is reported (the call is on the hot path).
  auto shape = [&]() {
    return " (batch " + std::to_string(batch) + ", m " + std::to_string(m) +
           ", n " + std::to_string(n) + ", k " + std::to_string(k) +
           ", transA " + std::to_string(transA) + ", transB " +
           std::to_string(transB) + ", precision " + std::to_string(precision) +
           ")";
  };
  auto fail = [&](const std::string &why) {
    recordError("flopsGpuGemmF32: " + why + shape());
  };
  if (transA < 0 || transA > 1 || transB < 0 || transB > 1)
    return fail("trans flags must be 0 or 1, got transA " +
                std::to_string(transA) + ", transB " + std::to_string(transB));
  if (precision < 0 || precision > 2)
    return fail("precision must be 0 (f32), 1 (tf32) or 2 (bf16), got " +
                std::to_string(precision));
  if (batch < 0 || m < 0 || n < 0 || k < 0)
    return fail("negative size");
  // Row-major leading dimensions: the stored row length.
  int64_t rowA = transA ? m : k, rowB = transB ? k : n;
  if (lda < std::max<int64_t>(1, rowA) || ldb < std::max<int64_t>(1, rowB) ||
      ldc < std::max<int64_t>(1, n))
    return fail("leading dimension too small: lda " + std::to_string(lda) +
                " (needs " + std::to_string(rowA) + "), ldb " +
                std::to_string(ldb) + " (needs " + std::to_string(rowB) +
                "), ldc " + std::to_string(ldc) + " (needs " +
                std::to_string(n) + ")");
  if (!fitsInt(batch) || !fitsInt(m) || !fitsInt(n) || !fitsInt(k) ||
      !fitsInt(lda) || !fitsInt(ldb) || !fitsInt(ldc))
    return fail("a size or leading dimension exceeds INT_MAX");
  if (batch == 0 || m == 0 || n == 0)
    return;
  const DriverApi *drv = acquire("flopsGpuGemmF32");
  if (!drv)
    return;
  if (!A || !B || !C)
    return fail("null operand (an earlier allocation failed?)");
  const CublasApi *api = loadCublas();
  if (!api)
    return;
  auto s = static_cast<CUstream>(stream);
  cublasHandle_t handle = handleFor(*api, s);
  if (!handle)
    return;
  cublasComputeType_t compute = precision == 0   ? CUBLAS_COMPUTE_32F
                                : precision == 1 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                 : CUBLAS_COMPUTE_32F_FAST_16BF;
  cublasStatus_t status = api->gemmStridedBatchedEx(
      handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
      transA ? CUBLAS_OP_T : CUBLAS_OP_N, int(n), int(m), int(k), &alpha, B,
      CUDA_R_32F, int(ldb), strideB, A, CUDA_R_32F, int(lda), strideA, &beta,
      C, CUDA_R_32F, int(ldc), strideC, int(batch), compute,
      CUBLAS_GEMM_DEFAULT);
  if (status != CUBLAS_STATUS_SUCCESS)
    return fail("cublasGemmStridedBatchedEx failed: " +
                statusName(*api, status));
  if (syncLaunches())
    check(drv->streamSynchronize(s), "cuStreamSynchronize",
          " after flopsGpuGemmF32" + shape());
}
