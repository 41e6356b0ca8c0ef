//===- GpuRuntime.h - FLOPS' CUDA host runtime (libFlopsCudaRuntime) ------===//
//
// The C entry points of libFlopsCudaRuntime.so besides the mgpu* functions
// that MLIR's gpu-to-llvm host code calls (see docs/RUNTIME.md, "GPU
// runtime"). The library loads the CUDA driver (libcuda.so.1, or
// $FLOPS_CUDA_DRIVER) and cuBLAS (libcublas.so.13, or $FLOPS_CUBLAS_LIBRARY)
// with dlopen at first use; it never aborts on a CUDA error: it records the
// first one (flopsGpuLastError) and skips the work that depends on it.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_GPURUNTIME_H
#define FLOPS_RUNTIME_GPURUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b] for b < batch, all
/// ROW-MAJOR, device pointers. trans*: 0 = as stored, 1 = transposed.
/// precision: 0 = f32 (CUBLAS_COMPUTE_32F), 1 = tf32, 2 = bf16 inputs
/// rounded. stream may be null (the default stream).
void flopsGpuGemmF32(int64_t batch, int64_t m, int64_t n, int64_t k,
                     int32_t transA, int32_t transB, const float *A,
                     int64_t lda, int64_t strideA, const float *B,
                     int64_t ldb, int64_t strideB, float *C, int64_t ldc,
                     int64_t strideC, float alpha, float beta,
                     int32_t precision, void *stream);

/// 0 if a CUDA driver and at least one device are usable; else non-zero and
/// a message ("no CUDA driver: dlopen(libcuda.so.1) failed: ..." / "no CUDA
/// device: ...") copied into message (NUL-terminated, truncated to
/// capacity).
int32_t flopsGpuInit(char *message, int64_t capacity);

/// The first error recorded since the last call, copied into message;
/// returns 0 when there was none, 1 otherwise. Clears it.
int32_t flopsGpuLastError(char *message, int64_t capacity);

/// Number of CUDA devices (0 without a driver or device; see flopsGpuInit).
int32_t flopsGpuDeviceCount(void);

/// Name, compute capability, multiprocessor count and memory of device
/// `index`. Returns 0 on success, non-zero (error recorded) otherwise.
int32_t flopsGpuDeviceInfo(int32_t index, char *name, int64_t nameCapacity,
                           int32_t *ccMajor, int32_t *ccMinor,
                           int32_t *multiprocessors, int64_t *totalMemBytes);

/// Destroys the streams the calling thread keeps for reuse (mgpuStreamDestroy
/// returns a synchronised stream to a small per-thread pool; a thread's
/// pool is also emptied when the thread ends).
void flopsGpuReleaseStreams(void);

/// CUDA graphs (cuStreamBeginCapture / cuStreamEndCapture /
/// cuGraphInstantiateWithFlags / cuGraphLaunch, looked up at run time).
/// flopsGpuGraphBegin starts capturing the work queued on `stream` (a
/// stream of mgpuStreamCreate, thread-local capture mode); 0 on success.
/// flopsGpuGraphEnd ends the capture and instantiates it: a graph handle,
/// or null with an error recorded (e.g. the captured code synchronised).
/// flopsGpuGraphLaunch replays the whole graph on `stream` with one call.
int32_t flopsGpuGraphBegin(void *stream);
void *flopsGpuGraphEnd(void *stream);
void flopsGpuGraphLaunch(void *graph, void *stream);
void flopsGpuGraphDestroy(void *graph);

/// Tests only: forget the loaded libraries, contexts, modules and the
/// recorded error, so that the next call loads the libraries named by the
/// environment again. Never call it while GPU objects are alive.
void flopsGpuResetForTesting(void);

#ifdef __cplusplus
}
#endif

#endif // FLOPS_RUNTIME_GPURUNTIME_H
