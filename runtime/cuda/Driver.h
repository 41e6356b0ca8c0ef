//===- Driver.h - Loading the CUDA driver, contexts, error recording ------===//
//
// Internal to FlopsCudaRuntime. One process-wide state: the dlopen'ed driver
// (function pointers), the primary context of each device used, the modules
// and functions loaded through mgpu* (to name them in messages) and the first
// recorded error.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_CUDA_DRIVER_H
#define FLOPS_RUNTIME_CUDA_DRIVER_H

#include "CudaApi.h"

#include <cstdint>
#include <string>

namespace flops {
namespace gpu {

struct DriverApi {
#define FLOPS_MEMBER(member, symbol, ret, params) api::PFN_##member member = nullptr;
  FLOPS_CUDA_DRIVER_REQUIRED(FLOPS_MEMBER)
  FLOPS_CUDA_DRIVER_OPTIONAL(FLOPS_MEMBER)
#undef FLOPS_MEMBER
};

/// The loaded driver with the default device's primary context current on
/// the calling thread, or null: then an error naming `caller` ("mgpuMemAlloc:
/// no CUDA driver: ...") has been recorded.
const DriverApi *acquire(const char *caller);

/// Loads the driver and checks for a device without recording anything;
/// returns the "no CUDA driver/device" message or "" when usable.
std::string probe();

/// Records `message` unless an error is already pending (the first one
/// wins). With FLOPS_CUDA_VERBOSE set, every message also goes to stderr.
void recordError(const std::string &message);

/// Records "<call> failed<where>: <NAME> (<description>)" when result is not
/// CUDA_SUCCESS; returns true on success.
bool check(api::CUresult result, const char *call, const std::string &where = "");
/// check() whose `where` text is built only on failure (hot paths).
template <typename WhereFn>
bool checkLazy(api::CUresult result, const char *call, WhereFn where) {
  return result == api::CUDA_SUCCESS || check(result, call, where());
}

/// "CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)", from the driver
/// when it can tell, else from a small built-in table.
std::string describeResult(api::CUresult result);

/// Module and function registry: what messages say about a kernel.
void registerModule(api::CUmodule module, const void *data, size_t size,
                    bool jit);
void unregisterModule(api::CUmodule module);
/// Cached cuModuleGetFunction: records the kernel's name and module.
api::CUfunction lookupFunction(const DriverApi &drv, api::CUmodule module,
                               const char *name);
/// " for kernel `name` in module #N (fatbin, B bytes)" or " for an unknown
/// function 0x..".
std::string describeFunction(api::CUfunction function);
/// Raises the function's dynamic shared-memory limit when smem > 48 KB (once
/// per function and size); false (error recorded) when the driver refuses.
bool prepareSharedMemory(const DriverApi &drv, api::CUfunction function,
                         unsigned smem);
/// Remembers the last kernel launched on a stream / captured by an event, so
/// that a failed synchronization can name it.
void noteLaunch(api::CUstream stream, api::CUfunction function);
void noteEventRecord(api::CUevent event, api::CUstream stream);
std::string describeLastLaunchOnStream(api::CUstream stream);
std::string describeLastLaunchBeforeEvent(api::CUevent event);
void forgetStream(api::CUstream stream);
void forgetEvent(api::CUevent event);

/// FLOPS_CUDA_SYNC_LAUNCHES=1: synchronize after every launch so that an
/// asynchronous kernel fault is attributed to the kernel that caused it.
bool syncLaunches();

/// Incremented by flopsGpuResetForTesting; thread-local caches (current
/// context, cuBLAS handles) compare against it.
uint64_t generation();

/// mgpuSetDefaultDevice: later acquire() calls use this device's context.
void setDefaultDevice(int device);
/// Number of devices after a successful probe()/acquire() (else 0).
int deviceCount();
/// The pending error ("" if none); clears it.
std::string takeError();

/// flopsGpuResetForTesting's two halves (Driver.cpp, Gemm.cpp).
void resetDriverForTesting();
void resetCublasForTesting();

/// Copies s into a caller buffer (NUL-terminated, truncated).
void copyOut(const std::string &s, char *out, int64_t capacity);

} // namespace gpu
} // namespace flops

#endif // FLOPS_RUNTIME_CUDA_DRIVER_H
