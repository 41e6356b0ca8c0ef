//===- FakeCuda.h - Control API of the test-only fake CUDA libraries ------===//
//
// libFlopsFakeCuda.so implements the subset of the CUDA driver API that
// FlopsCudaRuntime uses over host memory; libFlopsFakeCublas.so implements
// the cuBLAS subset with host loops. Tests point FLOPS_CUDA_DRIVER /
// FLOPS_CUBLAS_LIBRARY at them and steer / inspect them through these
// exported functions (looked up with dlsym).
//
// A fake module image is NUL-terminated text:
//   FLOPS-FAKE-MODULE
//   kernel <name> <param size in bytes>...
// Anything else makes cuModuleLoadDataEx fail with CUDA_ERROR_INVALID_IMAGE,
// unless FLOPS_FAKE_CUDA_ANY_IMAGE=1: then any image (a real cubin, fatbin or
// PTX from MLIR) loads and every function name resolves (with no recorded
// parameters; kernels never run). FLOPS_FAKE_CUDA_TRACE=1 prints module
// loads, allocations, copies, frees and launches to stderr (lit tests of the
// host code MLIR emits, test/GPURuntime).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_UNITTESTS_GPURUNTIME_FAKECUDA_H
#define FLOPS_UNITTESTS_GPURUNTIME_FAKECUDA_H

#include <cstdint>

extern "C" {

/// One recorded kernel launch (cuLaunchKernel or cuLaunchKernelEx).
struct FlopsFakeLaunch {
  char name[64];
  unsigned grid[3], block[3], cluster[3];
  unsigned smem;
  void *stream;
  int numParams;
  /// Each parameter's bytes (declared size, at most 8), zero-extended.
  uint64_t params[8];
};

// libFlopsFakeCuda.so.
/// Forget all state (allocations, modules, launches, failures, counters).
void flopsFakeCudaReset();
/// Fail `call` (the exported name, with or without its _v2 suffix) with
/// `result` after `skip` more successful calls, `times` times (-1: always).
/// FLOPS_FAKE_CUDA_FAIL="cuLaunchKernel=719" does the same from the
/// environment (always). result 0 removes the rule.
void flopsFakeCudaFail(const char *call, int result, int skip, int times);
/// How many devices cuDeviceGetCount reports (default 1;
/// FLOPS_FAKE_CUDA_DEVICES overrides the default).
void flopsFakeCudaSetDeviceCount(int count);
int flopsFakeCudaCallCount(const char *call);
int flopsFakeCudaLaunchCount();
int flopsFakeCudaGetLaunch(int index, FlopsFakeLaunch *out);
/// Device (and managed) allocations not yet freed.
int64_t flopsFakeCudaLiveAllocations();
int flopsFakeCudaLiveStreams();
int flopsFakeCudaLiveEvents();
/// Live captured graphs plus instantiated ones.
int flopsFakeCudaLiveGraphs();
/// Last value set with cuFuncSetAttribute for kernel `name`, -1 if none.
int flopsFakeCudaFuncAttribute(const char *name, int attribute);
/// Bytes registered with cuMemHostRegister and still registered.
int64_t flopsFakeCudaRegisteredBytes();

// libFlopsFakeCublas.so.
void flopsFakeCublasReset();
/// Make the next cublasGemmStridedBatchedEx return `status` (0: succeed).
void flopsFakeCublasFailGemm(int status);
int flopsFakeCublasGemmCount();
int flopsFakeCublasHandleCount();
int flopsFakeCublasLastComputeType();
void *flopsFakeCublasLastStream();
}

#endif // FLOPS_UNITTESTS_GPURUNTIME_FAKECUDA_H
