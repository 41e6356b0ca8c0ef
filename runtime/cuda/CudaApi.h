//===- CudaApi.h - The CUDA driver / cuBLAS subset, declared by hand ------===//
//
// FlopsCudaRuntime builds without a CUDA toolkit: it declares the few driver
// API and cuBLAS types, constants and function signatures it uses here and
// loads the libraries with dlopen at first use. Everything lives in
// flops::gpu::api so that CudaHeaderCheck.cpp can include the real cuda.h /
// cublas_api.h next to it and check every value and signature (compiled only
// when those headers are found).
//
// The function lists are X-macros: X(member, symbol, return type, parameter
// list). `symbol` is the name exported by libcuda / libcublas (the versioned
// one that cuda.h's macros select, e.g. cuMemAlloc_v2).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_CUDA_CUDAAPI_H
#define FLOPS_RUNTIME_CUDA_CUDAAPI_H

#include <cstddef>
#include <cstdint>

namespace flops {
namespace gpu {
namespace api {

//===----------------------------------------------------------------------===//
// Driver API types and constants (cuda.h, CUDA 13).
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using cuuint32_t = uint32_t;
using cuuint64_t = uint64_t;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUevent_st;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;
using CUevent = CUevent_st *;
struct CUgraph_st;
struct CUgraphExec_st;
using CUgraph = CUgraph_st *;
using CUgraphExec = CUgraphExec_st *;
using CUstreamCaptureMode = int;
using CUdevice_attribute = int;
using CUfunction_attribute = int;
using CUjit_option = int;
using CUlaunchAttributeID = int;
using CUtensorMapDataType = int;
using CUtensorMapInterleave = int;
using CUtensorMapSwizzle = int;
using CUtensorMapL2promotion = int;
using CUtensorMapFloatOOBfill = int;

enum : CUresult {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_DEINITIALIZED = 4,
  CUDA_ERROR_STUB_LIBRARY = 34,
  CUDA_ERROR_DEVICE_UNAVAILABLE = 46,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_NOT_SUPPORTED = 801,
  CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803,
  CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
  CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
  CUDA_ERROR_UNKNOWN = 999,
};

enum : int {
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_OPTIMIZATION_LEVEL = 7,
  CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION = 4,
  CU_STREAM_NON_BLOCKING = 1,
  CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
  CU_EVENT_DISABLE_TIMING = 2,
  CU_MEM_ATTACH_GLOBAL = 1,
};

/// CU_MEMHOSTREGISTER_PORTABLE (a macro in cuda.h, hence the other name).
constexpr unsigned kMemHostRegisterPortable = 1;

/// Kernels may use up to this much dynamic shared memory without opting in.
constexpr unsigned kDefaultDynamicSharedLimit = 48 * 1024;

/// CUlaunchAttributeValue is a 64-byte union; only clusterDim is used here.
union CUlaunchAttributeValue {
  char pad[64];
  struct {
    unsigned int x, y, z;
  } clusterDim;
};

struct CUlaunchAttribute {
  CUlaunchAttributeID id;
  char pad[8 - sizeof(CUlaunchAttributeID)];
  CUlaunchAttributeValue value;
};

struct CUlaunchConfig {
  unsigned int gridDimX, gridDimY, gridDimZ;
  unsigned int blockDimX, blockDimY, blockDimZ;
  unsigned int sharedMemBytes;
  CUstream hStream;
  CUlaunchAttribute *attrs;
  unsigned int numAttrs;
};

/// The opaque 128-byte TMA descriptor.
struct alignas(128) CUtensorMap {
  cuuint64_t opaque[16];
};

// X(member, symbol, return, params). Required: the runtime refuses a driver
// that lacks one of these.
#define FLOPS_CUDA_DRIVER_REQUIRED(X)                                          \
  X(init, cuInit, CUresult, (unsigned int))                                    \
  X(driverGetVersion, cuDriverGetVersion, CUresult, (int *))                   \
  X(deviceGetCount, cuDeviceGetCount, CUresult, (int *))                       \
  X(deviceGet, cuDeviceGet, CUresult, (CUdevice *, int))                       \
  X(deviceGetName, cuDeviceGetName, CUresult, (char *, int, CUdevice))         \
  X(deviceGetAttribute, cuDeviceGetAttribute, CUresult,                        \
    (int *, CUdevice_attribute, CUdevice))                                     \
  X(deviceTotalMem, cuDeviceTotalMem_v2, CUresult, (size_t *, CUdevice))       \
  X(devicePrimaryCtxRetain, cuDevicePrimaryCtxRetain, CUresult,                \
    (CUcontext *, CUdevice))                                                   \
  X(ctxSetCurrent, cuCtxSetCurrent, CUresult, (CUcontext))                     \
  X(moduleLoadDataEx, cuModuleLoadDataEx, CUresult,                            \
    (CUmodule *, const void *, unsigned int, CUjit_option *, void **))         \
  X(moduleUnload, cuModuleUnload, CUresult, (CUmodule))                        \
  X(moduleGetFunction, cuModuleGetFunction, CUresult,                          \
    (CUfunction *, CUmodule, const char *))                                    \
  X(funcSetAttribute, cuFuncSetAttribute, CUresult,                            \
    (CUfunction, CUfunction_attribute, int))                                   \
  X(launchKernel, cuLaunchKernel, CUresult,                                    \
    (CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,       \
     unsigned int, unsigned int, unsigned int, CUstream, void **, void **))    \
  X(streamCreate, cuStreamCreate, CUresult, (CUstream *, unsigned int))        \
  X(streamSynchronize, cuStreamSynchronize, CUresult, (CUstream))              \
  X(streamDestroy, cuStreamDestroy_v2, CUresult, (CUstream))                   \
  X(streamWaitEvent, cuStreamWaitEvent, CUresult,                              \
    (CUstream, CUevent, unsigned int))                                         \
  X(eventCreate, cuEventCreate, CUresult, (CUevent *, unsigned int))           \
  X(eventRecord, cuEventRecord, CUresult, (CUevent, CUstream))                 \
  X(eventSynchronize, cuEventSynchronize, CUresult, (CUevent))                 \
  X(eventDestroy, cuEventDestroy_v2, CUresult, (CUevent))                      \
  X(memAlloc, cuMemAlloc_v2, CUresult, (CUdeviceptr *, size_t))                \
  X(memAllocManaged, cuMemAllocManaged, CUresult,                              \
    (CUdeviceptr *, size_t, unsigned int))                                     \
  X(memFree, cuMemFree_v2, CUresult, (CUdeviceptr))                            \
  X(memcpyAsync, cuMemcpyAsync, CUresult,                                      \
    (CUdeviceptr, CUdeviceptr, size_t, CUstream))                              \
  X(memcpyHtoD, cuMemcpyHtoD_v2, CUresult,                                     \
    (CUdeviceptr, const void *, size_t))                                       \
  X(memsetD32Async, cuMemsetD32Async, CUresult,                                \
    (CUdeviceptr, unsigned int, size_t, CUstream))                             \
  X(memsetD16Async, cuMemsetD16Async, CUresult,                                \
    (CUdeviceptr, unsigned short, size_t, CUstream))                           \
  X(memHostRegister, cuMemHostRegister_v2, CUresult,                           \
    (void *, size_t, unsigned int))                                            \
  X(memHostUnregister, cuMemHostUnregister, CUresult, (void *))

// Optional: looked up, used when present (an older or partial driver lacks
// them; the entry points that need one record an error instead).
#define FLOPS_CUDA_DRIVER_OPTIONAL(X)                                          \
  X(getErrorName, cuGetErrorName, CUresult, (CUresult, const char **))         \
  X(getErrorString, cuGetErrorString, CUresult, (CUresult, const char **))     \
  X(launchKernelEx, cuLaunchKernelEx, CUresult,                                \
    (const CUlaunchConfig *, CUfunction, void **, void **))                    \
  X(tensorMapEncodeTiled, cuTensorMapEncodeTiled, CUresult,                    \
    (CUtensorMap *, CUtensorMapDataType, cuuint32_t, void *,                   \
     const cuuint64_t *, const cuuint64_t *, const cuuint32_t *,               \
     const cuuint32_t *, CUtensorMapInterleave, CUtensorMapSwizzle,            \
     CUtensorMapL2promotion, CUtensorMapFloatOOBfill))                        \
  X(streamBeginCapture, cuStreamBeginCapture_v2, CUresult,                     \
    (CUstream, CUstreamCaptureMode))                                           \
  X(streamEndCapture, cuStreamEndCapture, CUresult, (CUstream, CUgraph *))     \
  X(graphInstantiate, cuGraphInstantiateWithFlags, CUresult,                   \
    (CUgraphExec *, CUgraph, unsigned long long))                              \
  X(graphLaunch, cuGraphLaunch, CUresult, (CUgraphExec, CUstream))             \
  X(graphExecDestroy, cuGraphExecDestroy, CUresult, (CUgraphExec))             \
  X(graphDestroy, cuGraphDestroy, CUresult, (CUgraph))

//===----------------------------------------------------------------------===//
// cuBLAS (cublas_api.h, CUDA 13).
//===----------------------------------------------------------------------===//

using cublasStatus_t = int;
struct cublasContext;
using cublasHandle_t = cublasContext *;
using cublasOperation_t = int;
using cudaDataType = int;
using cublasComputeType_t = int;
using cublasGemmAlgo_t = int;

enum : int {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7,
  CUBLAS_STATUS_ARCH_MISMATCH = 8,
  CUBLAS_STATUS_MAPPING_ERROR = 11,
  CUBLAS_STATUS_EXECUTION_FAILED = 13,
  CUBLAS_STATUS_INTERNAL_ERROR = 14,
  CUBLAS_STATUS_NOT_SUPPORTED = 15,
  CUBLAS_OP_N = 0,
  CUBLAS_OP_T = 1,
  CUDA_R_32F = 0,
  CUBLAS_COMPUTE_32F = 68,
  CUBLAS_COMPUTE_32F_FAST_16BF = 75,
  CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
  CUBLAS_GEMM_DEFAULT = -1,
};

#define FLOPS_CUBLAS_REQUIRED(X)                                               \
  X(create, cublasCreate_v2, cublasStatus_t, (cublasHandle_t *))               \
  X(setStream, cublasSetStream_v2, cublasStatus_t, (cublasHandle_t, CUstream)) \
  X(gemmStridedBatchedEx, cublasGemmStridedBatchedEx, cublasStatus_t,          \
    (cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,      \
     const void *, const void *, cudaDataType, int, long long int,             \
     const void *, cudaDataType, int, long long int, const void *, void *,     \
     cudaDataType, int, long long int, int, cublasComputeType_t,               \
     cublasGemmAlgo_t))

#define FLOPS_CUBLAS_OPTIONAL(X)                                               \
  X(getStatusName, cublasGetStatusName, const char *, (cublasStatus_t))

// One function-pointer type per entry: PFN_<member>.
#define FLOPS_DECLARE_PFN(member, symbol, ret, params)                         \
  using PFN_##member = ret(*) params;
FLOPS_CUDA_DRIVER_REQUIRED(FLOPS_DECLARE_PFN)
FLOPS_CUDA_DRIVER_OPTIONAL(FLOPS_DECLARE_PFN)
FLOPS_CUBLAS_REQUIRED(FLOPS_DECLARE_PFN)
FLOPS_CUBLAS_OPTIONAL(FLOPS_DECLARE_PFN)
#undef FLOPS_DECLARE_PFN

} // namespace api
} // namespace gpu
} // namespace flops

#endif // FLOPS_RUNTIME_CUDA_CUDAAPI_H
