//===- CudaHeaderCheck.cpp - CudaApi.h against the real CUDA headers ------===//
//
// Compiled (never linked) when the CUDA toolkit's cuda.h and cublas_api.h are
// found: every constant, struct layout and function signature that CudaApi.h
// declares by hand is checked against them with static_assert. A mismatch is
// a build error.
//
//===----------------------------------------------------------------------===//

#include "CudaApi.h"

#include <cublas_api.h>
#include <cuda.h>

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace api = flops::gpu::api;

// Constants.
#define FLOPS_SAME_VALUE(name)                                                 \
  static_assert(static_cast<long long>(api::name) ==                           \
                    static_cast<long long>(::name),                            \
                #name);
FLOPS_SAME_VALUE(CUDA_SUCCESS)
FLOPS_SAME_VALUE(CUDA_ERROR_INVALID_VALUE)
FLOPS_SAME_VALUE(CUDA_ERROR_OUT_OF_MEMORY)
FLOPS_SAME_VALUE(CUDA_ERROR_NOT_INITIALIZED)
FLOPS_SAME_VALUE(CUDA_ERROR_DEINITIALIZED)
FLOPS_SAME_VALUE(CUDA_ERROR_STUB_LIBRARY)
FLOPS_SAME_VALUE(CUDA_ERROR_DEVICE_UNAVAILABLE)
FLOPS_SAME_VALUE(CUDA_ERROR_NO_DEVICE)
FLOPS_SAME_VALUE(CUDA_ERROR_INVALID_DEVICE)
FLOPS_SAME_VALUE(CUDA_ERROR_INVALID_IMAGE)
FLOPS_SAME_VALUE(CUDA_ERROR_INVALID_CONTEXT)
FLOPS_SAME_VALUE(CUDA_ERROR_NO_BINARY_FOR_GPU)
FLOPS_SAME_VALUE(CUDA_ERROR_INVALID_PTX)
FLOPS_SAME_VALUE(CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
FLOPS_SAME_VALUE(CUDA_ERROR_INVALID_HANDLE)
FLOPS_SAME_VALUE(CUDA_ERROR_NOT_FOUND)
FLOPS_SAME_VALUE(CUDA_ERROR_ILLEGAL_ADDRESS)
FLOPS_SAME_VALUE(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)
FLOPS_SAME_VALUE(CUDA_ERROR_LAUNCH_FAILED)
FLOPS_SAME_VALUE(CUDA_ERROR_NOT_SUPPORTED)
FLOPS_SAME_VALUE(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)
FLOPS_SAME_VALUE(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED)
FLOPS_SAME_VALUE(CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)
FLOPS_SAME_VALUE(CUDA_ERROR_UNKNOWN)
FLOPS_SAME_VALUE(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
FLOPS_SAME_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
FLOPS_SAME_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
FLOPS_SAME_VALUE(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
FLOPS_SAME_VALUE(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
FLOPS_SAME_VALUE(CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED)
FLOPS_SAME_VALUE(CU_JIT_ERROR_LOG_BUFFER)
FLOPS_SAME_VALUE(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
FLOPS_SAME_VALUE(CU_JIT_OPTIMIZATION_LEVEL)
FLOPS_SAME_VALUE(CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION)
FLOPS_SAME_VALUE(CU_STREAM_NON_BLOCKING)
FLOPS_SAME_VALUE(CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
FLOPS_SAME_VALUE(CU_EVENT_DISABLE_TIMING)
FLOPS_SAME_VALUE(CU_MEM_ATTACH_GLOBAL)
FLOPS_SAME_VALUE(CUBLAS_STATUS_SUCCESS)
FLOPS_SAME_VALUE(CUBLAS_STATUS_NOT_INITIALIZED)
FLOPS_SAME_VALUE(CUBLAS_STATUS_ALLOC_FAILED)
FLOPS_SAME_VALUE(CUBLAS_STATUS_INVALID_VALUE)
FLOPS_SAME_VALUE(CUBLAS_STATUS_ARCH_MISMATCH)
FLOPS_SAME_VALUE(CUBLAS_STATUS_MAPPING_ERROR)
FLOPS_SAME_VALUE(CUBLAS_STATUS_EXECUTION_FAILED)
FLOPS_SAME_VALUE(CUBLAS_STATUS_INTERNAL_ERROR)
FLOPS_SAME_VALUE(CUBLAS_STATUS_NOT_SUPPORTED)
FLOPS_SAME_VALUE(CUBLAS_OP_N)
FLOPS_SAME_VALUE(CUBLAS_OP_T)
FLOPS_SAME_VALUE(CUDA_R_32F)
FLOPS_SAME_VALUE(CUBLAS_COMPUTE_32F)
FLOPS_SAME_VALUE(CUBLAS_COMPUTE_32F_FAST_16BF)
FLOPS_SAME_VALUE(CUBLAS_COMPUTE_32F_FAST_TF32)
FLOPS_SAME_VALUE(CUBLAS_GEMM_DEFAULT)
#undef FLOPS_SAME_VALUE
static_assert(api::kMemHostRegisterPortable == CU_MEMHOSTREGISTER_PORTABLE,
              "CU_MEMHOSTREGISTER_PORTABLE");
static_assert(api::kDefaultDynamicSharedLimit == 48 * 1024, "48 KB");

// The TMA data types EntryPoints.cpp sizes by number.
static_assert(CU_TENSOR_MAP_DATA_TYPE_UINT8 == 0 &&
                  CU_TENSOR_MAP_DATA_TYPE_UINT16 == 1 &&
                  CU_TENSOR_MAP_DATA_TYPE_UINT32 == 2 &&
                  CU_TENSOR_MAP_DATA_TYPE_INT32 == 3 &&
                  CU_TENSOR_MAP_DATA_TYPE_UINT64 == 4 &&
                  CU_TENSOR_MAP_DATA_TYPE_INT64 == 5 &&
                  CU_TENSOR_MAP_DATA_TYPE_FLOAT16 == 6 &&
                  CU_TENSOR_MAP_DATA_TYPE_FLOAT32 == 7 &&
                  CU_TENSOR_MAP_DATA_TYPE_FLOAT64 == 8 &&
                  CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 == 9 &&
                  CU_TENSOR_MAP_DATA_TYPE_FLOAT32_FTZ == 10 &&
                  CU_TENSOR_MAP_DATA_TYPE_TFLOAT32 == 11 &&
                  CU_TENSOR_MAP_DATA_TYPE_TFLOAT32_FTZ == 12,
              "CUtensorMapDataType numbering");

// Scalar and handle types: same size (and pointer-ness).
#define FLOPS_SAME_SIZE(name)                                                  \
  static_assert(sizeof(api::name) == sizeof(::name), #name);
FLOPS_SAME_SIZE(CUresult)
FLOPS_SAME_SIZE(CUdevice)
FLOPS_SAME_SIZE(CUdeviceptr)
FLOPS_SAME_SIZE(CUcontext)
FLOPS_SAME_SIZE(CUmodule)
FLOPS_SAME_SIZE(CUfunction)
FLOPS_SAME_SIZE(CUstream)
FLOPS_SAME_SIZE(CUevent)
FLOPS_SAME_SIZE(CUdevice_attribute)
FLOPS_SAME_SIZE(CUfunction_attribute)
FLOPS_SAME_SIZE(CUjit_option)
FLOPS_SAME_SIZE(CUlaunchAttributeID)
FLOPS_SAME_SIZE(CUtensorMapDataType)
FLOPS_SAME_SIZE(CUtensorMapInterleave)
FLOPS_SAME_SIZE(CUtensorMapSwizzle)
FLOPS_SAME_SIZE(CUtensorMapL2promotion)
FLOPS_SAME_SIZE(CUtensorMapFloatOOBfill)
FLOPS_SAME_SIZE(cublasStatus_t)
FLOPS_SAME_SIZE(cublasHandle_t)
FLOPS_SAME_SIZE(cublasOperation_t)
FLOPS_SAME_SIZE(cudaDataType)
FLOPS_SAME_SIZE(cublasComputeType_t)
FLOPS_SAME_SIZE(cublasGemmAlgo_t)
#undef FLOPS_SAME_SIZE
static_assert(std::is_unsigned<api::CUdeviceptr>::value ==
                  std::is_unsigned<::CUdeviceptr>::value,
              "CUdeviceptr signedness");

// Struct layouts.
#define FLOPS_SAME_FIELD(type, field)                                          \
  static_assert(offsetof(api::type, field) == offsetof(::type, field) &&       \
                    sizeof(api::type::field) == sizeof(::type::field),         \
                #type "::" #field);
static_assert(sizeof(api::CUlaunchAttributeValue) ==
                  sizeof(::CUlaunchAttributeValue),
              "CUlaunchAttributeValue");
static_assert(offsetof(api::CUlaunchAttributeValue, clusterDim) ==
                      offsetof(::CUlaunchAttributeValue, clusterDim) &&
                  sizeof(api::CUlaunchAttributeValue::clusterDim) ==
                      sizeof(::CUlaunchAttributeValue::clusterDim),
              "CUlaunchAttributeValue::clusterDim");
static_assert(sizeof(api::CUlaunchAttribute) == sizeof(::CUlaunchAttribute),
              "CUlaunchAttribute");
FLOPS_SAME_FIELD(CUlaunchAttribute, id)
FLOPS_SAME_FIELD(CUlaunchAttribute, value)
static_assert(sizeof(api::CUlaunchConfig) == sizeof(::CUlaunchConfig),
              "CUlaunchConfig");
FLOPS_SAME_FIELD(CUlaunchConfig, gridDimX)
FLOPS_SAME_FIELD(CUlaunchConfig, gridDimY)
FLOPS_SAME_FIELD(CUlaunchConfig, gridDimZ)
FLOPS_SAME_FIELD(CUlaunchConfig, blockDimX)
FLOPS_SAME_FIELD(CUlaunchConfig, blockDimY)
FLOPS_SAME_FIELD(CUlaunchConfig, blockDimZ)
FLOPS_SAME_FIELD(CUlaunchConfig, sharedMemBytes)
FLOPS_SAME_FIELD(CUlaunchConfig, hStream)
FLOPS_SAME_FIELD(CUlaunchConfig, attrs)
FLOPS_SAME_FIELD(CUlaunchConfig, numAttrs)
static_assert(sizeof(api::CUtensorMap) == sizeof(::CUtensorMap) &&
                  alignof(api::CUtensorMap) == alignof(::CUtensorMap),
              "CUtensorMap");
#undef FLOPS_SAME_FIELD

// Function signatures: same arity, and each parameter (and the result) of the
// same size and pointer-ness, comparing our PFN_x with decltype(&::symbol).
template <typename T, typename U>
constexpr bool compatible() {
  return sizeof(T) == sizeof(U) &&
         std::is_pointer<T>::value == std::is_pointer<U>::value &&
         std::is_floating_point<T>::value == std::is_floating_point<U>::value;
}
template <typename F, typename G>
struct SameAbi : std::false_type {};
template <typename R1, typename... A1, typename R2, typename... A2>
struct SameAbi<R1 (*)(A1...), R2 (*)(A2...)> {
  static constexpr bool check() {
    if constexpr (sizeof...(A1) != sizeof...(A2))
      return false;
    else
      return compatible<R1, R2>() && (compatible<A1, A2>() && ...);
  }
  static constexpr bool value = check();
};

#define FLOPS_SAME_SIGNATURE(member, symbol, ret, params)                      \
  static_assert(SameAbi<api::PFN_##member, decltype(&::symbol)>::value,        \
                "signature of " #symbol);
FLOPS_CUDA_DRIVER_REQUIRED(FLOPS_SAME_SIGNATURE)
FLOPS_CUDA_DRIVER_OPTIONAL(FLOPS_SAME_SIGNATURE)
FLOPS_SAME_SIGNATURE(create, cublasCreate_v2, , )
FLOPS_SAME_SIGNATURE(setStream, cublasSetStream_v2, , )
FLOPS_SAME_SIGNATURE(getStatusName, cublasGetStatusName, , )
#undef FLOPS_SAME_SIGNATURE
// C++ sees a second, inline overload of cublasGemmStridedBatchedEx (taking a
// cudaDataType compute type): select the exported one by its exact type.
using RealGemmStridedBatchedEx = cublasStatus_t (*)(
    cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
    const void *, const void *, cudaDataType, int, long long int, const void *,
    cudaDataType, int, long long int, const void *, void *, cudaDataType, int,
    long long int, int, cublasComputeType_t, cublasGemmAlgo_t);
static_assert(
    SameAbi<api::PFN_gemmStridedBatchedEx,
            decltype(static_cast<RealGemmStridedBatchedEx>(
                &::cublasGemmStridedBatchedEx))>::value,
    "signature of cublasGemmStridedBatchedEx");
// Every cuBLAS entry of CudaApi.h is checked above.
#define FLOPS_COUNT(member, symbol, ret, params) +1
static_assert(0 FLOPS_CUBLAS_REQUIRED(FLOPS_COUNT)
                  FLOPS_CUBLAS_OPTIONAL(FLOPS_COUNT) == 4,
              "a cuBLAS function was added to CudaApi.h: check it here");
#undef FLOPS_COUNT
