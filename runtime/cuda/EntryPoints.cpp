//===- EntryPoints.cpp - The mgpu* functions MLIR's host code calls -------===//
//
// Signatures as MLIR 22's gpu-to-llvm (and convert-nvgpu-to-nvvm, for the TMA
// descriptor) emit them; see docs/RUNTIME.md. Every function returns without
// touching the GPU when the driver is unusable or a handle is null (an
// earlier step failed), and records the first error instead of aborting.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "flops/Runtime/GpuRuntime.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>

using namespace flops::gpu;
using namespace flops::gpu::api;

#define FLOPS_GPU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

CUdeviceptr dptr(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

std::string dims(int64_t x, int64_t y, int64_t z) {
  return "(" + std::to_string(x) + ", " + std::to_string(y) + ", " +
         std::to_string(z) + ")";
}

bool fitsDim(int64_t v) { return v >= 1 && v <= 0xFFFFFFFFll; }

CUmodule loadModule(const char *caller, const void *data, size_t size,
                    bool jit, int optLevel) {
  const DriverApi *drv = acquire(caller);
  if (!drv)
    return nullptr;
  if (!data) {
    recordError(std::string(caller) + ": null module image");
    return nullptr;
  }
  char log[4096];
  log[0] = '\0';
  CUjit_option options[3] = {CU_JIT_ERROR_LOG_BUFFER,
                             CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                             CU_JIT_OPTIMIZATION_LEVEL};
  void *values[3] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log))),
                     reinterpret_cast<void *>(uintptr_t(optLevel))};
  CUmodule module = nullptr;
  CUresult r = drv->moduleLoadDataEx(&module, data, jit ? 3 : 2, options,
                                     values);
  if (r != CUDA_SUCCESS) {
    log[sizeof(log) - 1] = '\0';
    std::string where = std::string(" in ") + caller + " for a " +
                        std::to_string(size) + "-byte image";
    if (log[0])
      where += std::string(" (log: ") + log + ")";
    check(r, "cuModuleLoadDataEx", where);
    return nullptr;
  }
  registerModule(module, data, size, jit);
  return module;
}

// Launch via cuLaunchKernel (no cluster) or cuLaunchKernelEx (cluster).
void launch(const char *caller, CUfunction function, int64_t clusterX,
            int64_t clusterY, int64_t clusterZ, int64_t gridX, int64_t gridY,
            int64_t gridZ, int64_t blockX, int64_t blockY, int64_t blockZ,
            int32_t smem, CUstream stream, void **params, void **extra,
            bool cluster) {
  const DriverApi *drv = acquire(caller);
  if (!drv)
    return;
  if (!function) {
    recordError(std::string(caller) +
                ": no function to launch (an earlier module load or "
                "function lookup failed)");
    return;
  }
  std::string where;
  auto context = [&]() {
    if (where.empty())
      where = describeFunction(function) + " [grid " +
              dims(gridX, gridY, gridZ) + ", block " +
              dims(blockX, blockY, blockZ) +
              (cluster ? ", cluster " + dims(clusterX, clusterY, clusterZ)
                       : std::string()) +
              ", " + std::to_string(smem) + " bytes of dynamic shared memory]";
    return where;
  };
  if (!fitsDim(gridX) || !fitsDim(gridY) || !fitsDim(gridZ) ||
      !fitsDim(blockX) || !fitsDim(blockY) || !fitsDim(blockZ) || smem < 0 ||
      (cluster &&
       (!fitsDim(clusterX) || !fitsDim(clusterY) || !fitsDim(clusterZ)))) {
    recordError(std::string(caller) + ": launch dimensions out of range" +
                context());
    return;
  }
  if (!prepareSharedMemory(*drv, function, static_cast<unsigned>(smem)))
    return;
  CUresult r;
  const char *call;
  if (!cluster) {
    call = "cuLaunchKernel";
    r = drv->launchKernel(function, unsigned(gridX), unsigned(gridY),
                          unsigned(gridZ), unsigned(blockX), unsigned(blockY),
                          unsigned(blockZ), unsigned(smem), stream, params,
                          extra);
  } else {
    call = "cuLaunchKernelEx";
    if (!drv->launchKernelEx) {
      recordError(std::string(caller) +
                  ": the CUDA driver has no cuLaunchKernelEx" + context());
      return;
    }
    int64_t clusterSize = clusterX * clusterY * clusterZ;
    if (clusterSize > 8 &&
        !check(drv->funcSetAttribute(
                   function, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED,
                   1),
               "cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_"
               "SIZE_ALLOWED)",
               context()))
      return;
    CUlaunchAttribute attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    attr.value.clusterDim.x = unsigned(clusterX);
    attr.value.clusterDim.y = unsigned(clusterY);
    attr.value.clusterDim.z = unsigned(clusterZ);
    CUlaunchConfig config;
    std::memset(&config, 0, sizeof(config));
    config.gridDimX = unsigned(gridX);
    config.gridDimY = unsigned(gridY);
    config.gridDimZ = unsigned(gridZ);
    config.blockDimX = unsigned(blockX);
    config.blockDimY = unsigned(blockY);
    config.blockDimZ = unsigned(blockZ);
    config.sharedMemBytes = unsigned(smem);
    config.hStream = stream;
    config.attrs = &attr;
    config.numAttrs = 1;
    r = drv->launchKernelEx(&config, function, params, extra);
  }
  if (!checkLazy(r, call, context))
    return;
  noteLaunch(stream, function);
  if (syncLaunches())
    checkLazy(drv->streamSynchronize(stream), "cuStreamSynchronize",
              [&]() { return " after the launch" + context(); });
}

// Bytes spanned by a strided memref (0 when empty).
int64_t spanElements(int64_t rank, const int64_t *sizes,
                     const int64_t *strides) {
  int64_t last = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (sizes[i] <= 0)
      return 0;
    last += (sizes[i] - 1) * strides[i];
  }
  return last + 1;
}

// A ranked memref descriptor {allocated, aligned, offset, sizes[r],
// strides[r]} seen through an unranked one's pointer.
struct MemRefView {
  char *aligned;
  int64_t offset;
  const int64_t *sizes;
  const int64_t *strides;
};

MemRefView viewDescriptor(void *descriptor, int64_t rank) {
  auto *pointers = static_cast<char **>(descriptor);
  auto *ints = reinterpret_cast<int64_t *>(pointers + 2);
  return {pointers[1], ints[0], ints + 1, ints + 1 + rank};
}

// Element size of a CUtensorMapDataType, 0 for the packed sub-byte ones.
int64_t tensorMapElementSize(int64_t type) {
  switch (type) {
  case 0: return 1;                 // UINT8
  case 1: case 6: case 9: return 2; // UINT16, FLOAT16, BFLOAT16
  case 2: case 3: case 7: case 10: case 11: case 12:
    return 4; // UINT32, INT32, FLOAT32, FLOAT32_FTZ, TFLOAT32(_FTZ)
  case 4: case 5: case 8: return 8; // UINT64, INT64, FLOAT64
  default: return 0;
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Modules and kernels.
//===----------------------------------------------------------------------===//

FLOPS_GPU_EXPORT void *mgpuModuleLoad(void *data, size_t gpuBlobSize) {
  return loadModule("mgpuModuleLoad", data, gpuBlobSize, /*jit=*/false, 0);
}

FLOPS_GPU_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  size_t size = data ? std::strlen(static_cast<const char *>(data)) : 0;
  return loadModule("mgpuModuleLoadJIT", data, size, /*jit=*/true, optLevel);
}

FLOPS_GPU_EXPORT void mgpuModuleUnload(void *module) {
  if (!module)
    return;
  auto m = static_cast<CUmodule>(module);
  unregisterModule(m);
  if (const DriverApi *drv = acquire("mgpuModuleUnload"))
    check(drv->moduleUnload(m), "cuModuleUnload");
}

FLOPS_GPU_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  const DriverApi *drv = acquire("mgpuModuleGetFunction");
  if (!drv)
    return nullptr;
  if (!module || !name) {
    recordError(std::string("mgpuModuleGetFunction: no module to look up `") +
                (name ? name : "(null)") +
                "` in (the module failed to load)");
    return nullptr;
  }
  return lookupFunction(*drv, static_cast<CUmodule>(module), name);
}

FLOPS_GPU_EXPORT void mgpuLaunchKernel(void *function, int64_t gridX,
                                       int64_t gridY, int64_t gridZ,
                                       int64_t blockX, int64_t blockY,
                                       int64_t blockZ, int32_t smem,
                                       void *stream, void **params,
                                       void **extra, size_t /*paramsCount*/) {
  launch("mgpuLaunchKernel", static_cast<CUfunction>(function), 1, 1, 1,
         gridX, gridY, gridZ, blockX, blockY, blockZ, smem,
         static_cast<CUstream>(stream), params, extra, /*cluster=*/false);
}

FLOPS_GPU_EXPORT void
mgpuLaunchClusterKernel(void *function, int64_t clusterX, int64_t clusterY,
                        int64_t clusterZ, int64_t gridX, int64_t gridY,
                        int64_t gridZ, int64_t blockX, int64_t blockY,
                        int64_t blockZ, int32_t smem, void *stream,
                        void **params, void **extra) {
  launch("mgpuLaunchClusterKernel", static_cast<CUfunction>(function),
         clusterX, clusterY, clusterZ, gridX, gridY, gridZ, blockX, blockY,
         blockZ, smem, static_cast<CUstream>(stream), params, extra,
         /*cluster=*/true);
}

//===----------------------------------------------------------------------===//
// Streams and events.
//===----------------------------------------------------------------------===//

namespace {
/// Streams are reused. The host code creates a stream for each run of
/// launches and destroys it once synchronised (gpu.wait); a destroyed
/// stream goes back to a small per-thread pool instead, so a step creates
/// its streams once, on its first call. The pool belongs to one runtime
/// generation (flopsGpuResetForTesting forgets it); a thread's pooled
/// streams are destroyed when the thread ends or on
/// flopsGpuReleaseStreams(). FLOPS_CUDA_STREAM_REUSE=0: create and destroy
/// every time.
struct StreamPool {
  uint64_t generation = 0;
  CUstream free[4] = {};
  int count = 0;
  void release() {
    if (count == 0 || generation != flops::gpu::generation())
      return;
    const DriverApi *drv = acquire("flopsGpuReleaseStreams");
    for (int i = 0; i < count; ++i)
      if (drv)
        check(drv->streamDestroy(free[i]), "cuStreamDestroy");
    count = 0;
  }
  ~StreamPool() { release(); }
};
thread_local StreamPool tlsStreams;

bool streamReuse() {
  static const bool on = [] {
    const char *v = std::getenv("FLOPS_CUDA_STREAM_REUSE");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

StreamPool &streamPool() {
  StreamPool &p = tlsStreams;
  if (p.generation != generation()) {
    p.generation = generation();
    p.count = 0;
  }
  return p;
}
} // namespace

FLOPS_GPU_EXPORT void *mgpuStreamCreate() {
  const DriverApi *drv = acquire("mgpuStreamCreate");
  if (!drv)
    return nullptr;
  if (streamReuse()) {
    StreamPool &pool = streamPool();
    if (pool.count > 0)
      return pool.free[--pool.count];
  }
  CUstream stream = nullptr;
  if (!check(drv->streamCreate(&stream, CU_STREAM_NON_BLOCKING),
             "cuStreamCreate"))
    return nullptr;
  return stream;
}

FLOPS_GPU_EXPORT void mgpuStreamDestroy(void *stream) {
  const DriverApi *drv = acquire("mgpuStreamDestroy");
  if (!drv || !stream)
    return;
  auto s = static_cast<CUstream>(stream);
  forgetStream(s);
  if (streamReuse()) {
    StreamPool &pool = streamPool();
    if (pool.count < int(std::size(pool.free))) {
      pool.free[pool.count++] = s;
      return;
    }
  }
  check(drv->streamDestroy(s), "cuStreamDestroy");
}

FLOPS_GPU_EXPORT void mgpuStreamSynchronize(void *stream) {
  const DriverApi *drv = acquire("mgpuStreamSynchronize");
  if (!drv)
    return;
  auto s = static_cast<CUstream>(stream);
  CUresult r = drv->streamSynchronize(s);
  if (r != CUDA_SUCCESS)
    check(r, "cuStreamSynchronize", describeLastLaunchOnStream(s));
}

FLOPS_GPU_EXPORT void mgpuStreamWaitEvent(void *stream, void *event) {
  const DriverApi *drv = acquire("mgpuStreamWaitEvent");
  if (!drv || !event)
    return;
  check(drv->streamWaitEvent(static_cast<CUstream>(stream),
                             static_cast<CUevent>(event), 0),
        "cuStreamWaitEvent");
}

FLOPS_GPU_EXPORT void *mgpuEventCreate() {
  const DriverApi *drv = acquire("mgpuEventCreate");
  if (!drv)
    return nullptr;
  CUevent event = nullptr;
  if (!check(drv->eventCreate(&event, CU_EVENT_DISABLE_TIMING),
             "cuEventCreate"))
    return nullptr;
  return event;
}

FLOPS_GPU_EXPORT void mgpuEventDestroy(void *event) {
  const DriverApi *drv = acquire("mgpuEventDestroy");
  if (!drv || !event)
    return;
  auto e = static_cast<CUevent>(event);
  forgetEvent(e);
  check(drv->eventDestroy(e), "cuEventDestroy");
}

FLOPS_GPU_EXPORT void mgpuEventSynchronize(void *event) {
  const DriverApi *drv = acquire("mgpuEventSynchronize");
  if (!drv || !event)
    return;
  auto e = static_cast<CUevent>(event);
  CUresult r = drv->eventSynchronize(e);
  if (r != CUDA_SUCCESS)
    check(r, "cuEventSynchronize", describeLastLaunchBeforeEvent(e));
}

FLOPS_GPU_EXPORT void mgpuEventRecord(void *event, void *stream) {
  const DriverApi *drv = acquire("mgpuEventRecord");
  if (!drv || !event)
    return;
  auto e = static_cast<CUevent>(event);
  auto s = static_cast<CUstream>(stream);
  if (check(drv->eventRecord(e, s), "cuEventRecord"))
    noteEventRecord(e, s);
}

FLOPS_GPU_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  setDefaultDevice(device);
}

//===----------------------------------------------------------------------===//
// Memory.
//===----------------------------------------------------------------------===//

FLOPS_GPU_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/,
                                    uint8_t isHostShared) {
  const DriverApi *drv = acquire("mgpuMemAlloc");
  if (!drv || sizeBytes == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  auto where = [&]() { return " for " + std::to_string(sizeBytes) + " bytes"; };
  bool ok = isHostShared != 0
                ? checkLazy(drv->memAllocManaged(&ptr, sizeBytes,
                                                 CU_MEM_ATTACH_GLOBAL),
                            "cuMemAllocManaged", where)
                : checkLazy(drv->memAlloc(&ptr, sizeBytes), "cuMemAlloc",
                            where);
  return ok ? reinterpret_cast<void *>(static_cast<uintptr_t>(ptr)) : nullptr;
}

FLOPS_GPU_EXPORT void mgpuMemFree(void *ptr, void * /*stream*/) {
  if (!ptr)
    return;
  if (const DriverApi *drv = acquire("mgpuMemFree"))
    check(drv->memFree(dptr(ptr)), "cuMemFree");
}

FLOPS_GPU_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                                 void *stream) {
  const DriverApi *drv = acquire("mgpuMemcpy");
  if (!drv || sizeBytes == 0)
    return;
  if (!dst || !src) {
    recordError("mgpuMemcpy: null pointer (" + std::to_string(sizeBytes) +
                " bytes; an earlier allocation failed?)");
    return;
  }
  checkLazy(drv->memcpyAsync(dptr(dst), dptr(src), sizeBytes,
                             static_cast<CUstream>(stream)),
            "cuMemcpyAsync",
            [&]() { return " for " + std::to_string(sizeBytes) + " bytes"; });
}

FLOPS_GPU_EXPORT void mgpuMemset32(void *dst, unsigned int value,
                                   size_t count, void *stream) {
  const DriverApi *drv = acquire("mgpuMemset32");
  if (!drv || count == 0)
    return;
  if (!dst) {
    recordError("mgpuMemset32: null pointer");
    return;
  }
  checkLazy(drv->memsetD32Async(dptr(dst), value, count,
                                static_cast<CUstream>(stream)),
            "cuMemsetD32Async",
            [&]() { return " for " + std::to_string(count) + " elements"; });
}

FLOPS_GPU_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                   size_t count, void *stream) {
  const DriverApi *drv = acquire("mgpuMemset16");
  if (!drv || count == 0)
    return;
  if (!dst) {
    recordError("mgpuMemset16: null pointer");
    return;
  }
  checkLazy(drv->memsetD16Async(dptr(dst), value, count,
                                static_cast<CUstream>(stream)),
            "cuMemsetD16Async",
            [&]() { return " for " + std::to_string(count) + " elements"; });
}

FLOPS_GPU_EXPORT void mgpuMemHostRegisterMemRef(int64_t rank,
                                                void *descriptor,
                                                int64_t elementSizeBytes) {
  const DriverApi *drv = acquire("mgpuMemHostRegisterMemRef");
  if (!drv || !descriptor)
    return;
  MemRefView v = viewDescriptor(descriptor, rank);
  int64_t bytes = spanElements(rank, v.sizes, v.strides) * elementSizeBytes;
  if (bytes <= 0)
    return;
  check(drv->memHostRegister(v.aligned + v.offset * elementSizeBytes,
                             static_cast<size_t>(bytes),
                             kMemHostRegisterPortable),
        "cuMemHostRegister", " for " + std::to_string(bytes) + " bytes");
}

FLOPS_GPU_EXPORT void mgpuMemHostUnregisterMemRef(int64_t rank,
                                                  void *descriptor,
                                                  int64_t elementSizeBytes) {
  const DriverApi *drv = acquire("mgpuMemHostUnregisterMemRef");
  if (!drv || !descriptor)
    return;
  MemRefView v = viewDescriptor(descriptor, rank);
  if (spanElements(rank, v.sizes, v.strides) <= 0)
    return;
  check(drv->memHostUnregister(v.aligned + v.offset * elementSizeBytes),
        "cuMemHostUnregister");
}

// The TMA descriptor of a memref (outermost dimension first in MLIR, innermost
// first for CUDA), encoded on the host and copied to a fresh 128-byte device
// allocation whose address is returned (kernels read it from global memory).
FLOPS_GPU_EXPORT void *mgpuTensorMapEncodeTiledMemref(
    int64_t rank, void *descriptor, int64_t dataType, int64_t interleave,
    int64_t swizzle, int64_t l2Promotion, int64_t oobFill,
    int64_t *boxDims) {
  const char *caller = "mgpuTensorMapEncodeTiledMemref";
  const DriverApi *drv = acquire(caller);
  if (!drv)
    return nullptr;
  if (!drv->tensorMapEncodeTiled) {
    recordError(std::string(caller) +
                ": the CUDA driver has no cuTensorMapEncodeTiled");
    return nullptr;
  }
  int64_t elementSize = tensorMapElementSize(dataType);
  if (!descriptor || !boxDims || rank < 1 || rank > 5 || elementSize == 0) {
    recordError(std::string(caller) + ": unsupported rank " +
                std::to_string(rank) + " or data type " +
                std::to_string(dataType));
    return nullptr;
  }
  MemRefView v = viewDescriptor(descriptor, rank);
  cuuint64_t globalDim[5], globalStrides[4];
  cuuint32_t boxDim[5], elementStrides[5];
  for (int64_t i = 0; i < rank; ++i) {
    globalDim[i] = static_cast<cuuint64_t>(v.sizes[rank - 1 - i]);
    boxDim[i] = static_cast<cuuint32_t>(boxDims[rank - 1 - i]);
    elementStrides[i] = 1;
  }
  for (int64_t i = 0; i + 1 < rank; ++i)
    globalStrides[i] =
        static_cast<cuuint64_t>(v.strides[rank - 2 - i] * elementSize);
  CUtensorMap map;
  std::memset(&map, 0, sizeof(map));
  if (!check(drv->tensorMapEncodeTiled(
                 &map, static_cast<CUtensorMapDataType>(dataType),
                 static_cast<cuuint32_t>(rank),
                 v.aligned + v.offset * elementSize, globalDim, globalStrides,
                 boxDim, elementStrides,
                 static_cast<CUtensorMapInterleave>(interleave),
                 static_cast<CUtensorMapSwizzle>(swizzle),
                 static_cast<CUtensorMapL2promotion>(l2Promotion),
                 static_cast<CUtensorMapFloatOOBfill>(oobFill)),
             "cuTensorMapEncodeTiled",
             " for a rank-" + std::to_string(rank) + " memref"))
    return nullptr;
  CUdeviceptr device = 0;
  if (!check(drv->memAlloc(&device, sizeof(map)), "cuMemAlloc",
             std::string(" in ") + caller))
    return nullptr;
  if (!check(drv->memcpyHtoD(device, &map, sizeof(map)), "cuMemcpyHtoD",
             std::string(" in ") + caller)) {
    drv->memFree(device);
    return nullptr;
  }
  return reinterpret_cast<void *>(static_cast<uintptr_t>(device));
}

//===----------------------------------------------------------------------===//
// FLOPS' own entry points.
//===----------------------------------------------------------------------===//

FLOPS_GPU_EXPORT int32_t flopsGpuInit(char *message, int64_t capacity) {
  std::string error = probe();
  copyOut(error, message, capacity);
  return error.empty() ? 0 : 1;
}

FLOPS_GPU_EXPORT int32_t flopsGpuLastError(char *message, int64_t capacity) {
  std::string error = takeError();
  copyOut(error, message, capacity);
  return error.empty() ? 0 : 1;
}

FLOPS_GPU_EXPORT int32_t flopsGpuDeviceCount() {
  if (!probe().empty())
    return 0;
  return deviceCount();
}

FLOPS_GPU_EXPORT int32_t flopsGpuDeviceInfo(int32_t index, char *name,
                                            int64_t nameCapacity,
                                            int32_t *ccMajor, int32_t *ccMinor,
                                            int32_t *multiprocessors,
                                            int64_t *totalMemBytes) {
  const DriverApi *drv = acquire("flopsGpuDeviceInfo");
  if (!drv)
    return 1;
  if (index < 0 || index >= deviceCount()) {
    recordError("flopsGpuDeviceInfo: CUDA device " + std::to_string(index) +
                " does not exist (" + std::to_string(deviceCount()) +
                " device(s))");
    return 1;
  }
  CUdevice dev = 0;
  if (!check(drv->deviceGet(&dev, index), "cuDeviceGet"))
    return 1;
  char buf[256] = {0};
  int major = 0, minor = 0, sms = 0;
  size_t bytes = 0;
  if (!check(drv->deviceGetName(buf, sizeof(buf) - 1, dev), "cuDeviceGetName") ||
      !check(drv->deviceGetAttribute(
                 &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev),
             "cuDeviceGetAttribute") ||
      !check(drv->deviceGetAttribute(
                 &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev),
             "cuDeviceGetAttribute") ||
      !check(drv->deviceGetAttribute(
                 &sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev),
             "cuDeviceGetAttribute") ||
      !check(drv->deviceTotalMem(&bytes, dev), "cuDeviceTotalMem"))
    return 1;
  copyOut(buf, name, nameCapacity);
  if (ccMajor)
    *ccMajor = major;
  if (ccMinor)
    *ccMinor = minor;
  if (multiprocessors)
    *multiprocessors = sms;
  if (totalMemBytes)
    *totalMemBytes = static_cast<int64_t>(bytes);
  return 0;
}

FLOPS_GPU_EXPORT void flopsGpuReleaseStreams() { tlsStreams.release(); }

//===----------------------------------------------------------------------===//
// CUDA graphs: capture a stream's work once, replay it with one launch.
//===----------------------------------------------------------------------===//

namespace {
struct Graph {
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
};

const DriverApi *graphDriver(const char *caller) {
  const DriverApi *drv = acquire(caller);
  if (drv && (!drv->streamBeginCapture || !drv->streamEndCapture ||
              !drv->graphInstantiate || !drv->graphLaunch ||
              !drv->graphExecDestroy || !drv->graphDestroy)) {
    recordError(std::string(caller) +
                ": the CUDA driver has no graph API (cuStreamBeginCapture_v2, "
                "cuGraphInstantiateWithFlags, cuGraphLaunch)");
    return nullptr;
  }
  return drv;
}
} // namespace

FLOPS_GPU_EXPORT int32_t flopsGpuGraphBegin(void *stream) {
  const DriverApi *drv = graphDriver("flopsGpuGraphBegin");
  if (!drv)
    return 1;
  if (!stream) {
    recordError("flopsGpuGraphBegin: null stream (the legacy default stream "
                "cannot be captured)");
    return 1;
  }
  return check(drv->streamBeginCapture(static_cast<CUstream>(stream),
                                       CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
               "cuStreamBeginCapture", " (flopsGpuGraphBegin)")
             ? 0
             : 1;
}

FLOPS_GPU_EXPORT void *flopsGpuGraphEnd(void *stream) {
  const DriverApi *drv = graphDriver("flopsGpuGraphEnd");
  if (!drv || !stream)
    return nullptr;
  Graph g;
  // A capture that something invalidated (a synchronisation, a copy to
  // pageable memory, work on another stream) fails here; the error names
  // what the captured code did when the driver told us earlier.
  if (!check(drv->streamEndCapture(static_cast<CUstream>(stream), &g.graph),
             "cuStreamEndCapture",
             " (flopsGpuGraphEnd: the captured work cannot form a CUDA "
             "graph; synchronisations and host code that reads device "
             "results must stay outside the capture)") ||
      !g.graph)
    return nullptr;
  if (!check(drv->graphInstantiate(&g.exec, g.graph, 0),
             "cuGraphInstantiateWithFlags", " (flopsGpuGraphEnd)")) {
    drv->graphDestroy(g.graph);
    return nullptr;
  }
  return new Graph(g);
}

FLOPS_GPU_EXPORT void flopsGpuGraphLaunch(void *graph, void *stream) {
  const DriverApi *drv = graphDriver("flopsGpuGraphLaunch");
  if (!drv || !graph)
    return;
  check(drv->graphLaunch(static_cast<Graph *>(graph)->exec,
                         static_cast<CUstream>(stream)),
        "cuGraphLaunch");
}

FLOPS_GPU_EXPORT void flopsGpuGraphDestroy(void *graph) {
  if (!graph)
    return;
  auto *g = static_cast<Graph *>(graph);
  if (const DriverApi *drv = graphDriver("flopsGpuGraphDestroy")) {
    check(drv->graphExecDestroy(g->exec), "cuGraphExecDestroy");
    check(drv->graphDestroy(g->graph), "cuGraphDestroy");
  }
  delete g;
}

FLOPS_GPU_EXPORT void flopsGpuResetForTesting() {
  resetCublasForTesting();
  resetDriverForTesting();
}
