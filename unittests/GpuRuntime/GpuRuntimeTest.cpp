//===- GpuRuntimeTest.cpp - libFlopsCudaRuntime without a GPU -------------===//
//
// The runtime is exercised (a) with FLOPS_CUDA_DRIVER naming a missing
// library, (b) over the fake driver libFlopsFakeCuda.so and (c) the fake
// cuBLAS libFlopsFakeCublas.so, and (d) its ELF dynamic section is checked
// for DT_NEEDED entries on CUDA libraries.
//
//===----------------------------------------------------------------------===//

#include "FakeCuda.h"

#include "flops/Runtime/GpuRuntime.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <dlfcn.h>
#include <elf.h>

// The mgpu* entry points with the signatures MLIR 22's gpu-to-llvm emits.
extern "C" {
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, int64_t gx, int64_t gy, int64_t gz,
                      int64_t bx, int64_t by, int64_t bz, int32_t smem,
                      void *stream, void **params, void **extra,
                      size_t paramsCount);
void mgpuLaunchClusterKernel(void *function, int64_t cx, int64_t cy,
                             int64_t cz, int64_t gx, int64_t gy, int64_t gz,
                             int64_t bx, int64_t by, int64_t bz, int32_t smem,
                             void *stream, void **params, void **extra);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
void *mgpuEventCreate();
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);
void mgpuSetDefaultDevice(int32_t device);
void *mgpuMemAlloc(uint64_t size, void *stream, uint8_t hostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t size, void *stream);
void mgpuMemset32(void *dst, uint32_t value, size_t count, void *stream);
void mgpuMemset16(void *dst, uint16_t value, size_t count, void *stream);
void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSize);
void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSize);
void *mgpuTensorMapEncodeTiledMemref(int64_t rank, void *descriptor,
                                     int64_t dataType, int64_t interleave,
                                     int64_t swizzle, int64_t l2Promotion,
                                     int64_t oobFill, int64_t *boxDims);
}

namespace {

const char *const kMissingDriver = "/nonexistent/flops-test/libcuda.so.1";

std::string lastError() {
  char buf[2048];
  if (flopsGpuLastError(buf, sizeof(buf)) == 0)
    return "";
  return buf;
}

/// dlsym into one of the fake libraries (kept loaded for the whole process,
/// so their state survives the runtime's dlclose in flopsGpuResetForTesting).
template <typename F>
F *fakeSymbol(const char *library, const char *name) {
  static void *cuda = dlopen(FLOPS_FAKE_CUDA_PATH, RTLD_NOW | RTLD_LOCAL);
  static void *blas = dlopen(FLOPS_FAKE_CUBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
  void *handle = std::strcmp(library, "cuda") == 0 ? cuda : blas;
  EXPECT_NE(handle, nullptr) << dlerror();
  void *sym = handle ? dlsym(handle, name) : nullptr;
  EXPECT_NE(sym, nullptr) << name;
  return reinterpret_cast<F *>(sym);
}
#define FAKE(name) (*fakeSymbol<decltype(::name)>("cuda", #name))
#define FAKE_BLAS(name) (*fakeSymbol<decltype(::name)>("blas", #name))

class GpuRuntime : public ::testing::Test {
protected:
  void TearDown() override {
    unsetenv("FLOPS_CUDA_DRIVER");
    unsetenv("FLOPS_CUBLAS_LIBRARY");
    flopsGpuResetForTesting();
  }
  void useMissingDriver() {
    setenv("FLOPS_CUDA_DRIVER", kMissingDriver, 1);
    flopsGpuResetForTesting();
  }
  void useFakes() {
    setenv("FLOPS_CUDA_DRIVER", FLOPS_FAKE_CUDA_PATH, 1);
    setenv("FLOPS_CUBLAS_LIBRARY", FLOPS_FAKE_CUBLAS_PATH, 1);
    FAKE(flopsFakeCudaReset)();
    FAKE_BLAS(flopsFakeCublasReset)();
    flopsGpuResetForTesting();
  }
};

const char kModule[] = "FLOPS-FAKE-MODULE\n"
                       "kernel main_kernel_0 8 8 4\n"
                       "kernel main_kernel_1 8\n";

//===----------------------------------------------------------------------===//
// (a) No driver.
//===----------------------------------------------------------------------===//

TEST_F(GpuRuntime, MissingDriverGivesClearInitMessage) {
  useMissingDriver();
  char msg[512];
  EXPECT_NE(flopsGpuInit(msg, sizeof(msg)), 0);
  EXPECT_EQ(std::string(msg).rfind(std::string("no CUDA driver: dlopen(") +
                                       kMissingDriver + ") failed: ",
                                   0),
            0u)
      << msg;
  EXPECT_EQ(flopsGpuDeviceCount(), 0);
  // flopsGpuInit reports, it does not record.
  EXPECT_EQ(lastError(), "");
  // A truncated copy is still NUL-terminated.
  char small[8];
  EXPECT_NE(flopsGpuInit(small, sizeof(small)), 0);
  EXPECT_EQ(std::string(small), "no CUDA");
}

TEST_F(GpuRuntime, EveryEntryPointSurvivesWithoutDriver) {
  useMissingDriver();
  // Plausible arguments; none of them may be dereferenced.
  char image[] = "not an image";
  float host[16] = {0};
  int64_t desc[2 + 1 + 2] = {0};
  int64_t box[1] = {4};
  void *params[1] = {host};
  void *fakeHandle = reinterpret_cast<void *>(uintptr_t(0x1000));

  EXPECT_EQ(mgpuModuleLoad(image, sizeof(image)), nullptr);
  std::string first = lastError();
  EXPECT_EQ(first.rfind(std::string("mgpuModuleLoad: no CUDA driver: dlopen(") +
                            kMissingDriver + ") failed",
                        0),
            0u)
      << first;

  struct Call {
    const char *name;
    void (*run)(void *, float *, void **, int64_t *, int64_t *, char *);
  };
  const Call calls[] = {
      {"mgpuModuleLoadJIT",
       [](void *, float *, void **, int64_t *, int64_t *, char *image) {
         EXPECT_EQ(mgpuModuleLoadJIT(image, 2), nullptr);
       }},
      {"mgpuModuleGetFunction",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         EXPECT_EQ(mgpuModuleGetFunction(h, "main_kernel_0"), nullptr);
       }},
      {"mgpuLaunchKernel",
       [](void *h, float *, void **p, int64_t *, int64_t *, char *) {
         mgpuLaunchKernel(h, 1, 1, 1, 32, 1, 1, 0, nullptr, p, nullptr, 1);
       }},
      {"mgpuLaunchClusterKernel",
       [](void *h, float *, void **p, int64_t *, int64_t *, char *) {
         mgpuLaunchClusterKernel(h, 2, 1, 1, 2, 1, 1, 32, 1, 1, 0, nullptr, p,
                                 nullptr);
       }},
      {"mgpuStreamCreate",
       [](void *, float *, void **, int64_t *, int64_t *, char *) {
         EXPECT_EQ(mgpuStreamCreate(), nullptr);
       }},
      {"mgpuStreamSynchronize",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuStreamSynchronize(h);
       }},
      {"mgpuStreamWaitEvent",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuStreamWaitEvent(h, h);
       }},
      {"mgpuStreamDestroy",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuStreamDestroy(h);
       }},
      {"mgpuEventCreate",
       [](void *, float *, void **, int64_t *, int64_t *, char *) {
         EXPECT_EQ(mgpuEventCreate(), nullptr);
       }},
      {"mgpuEventRecord",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuEventRecord(h, h);
       }},
      {"mgpuEventSynchronize",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuEventSynchronize(h);
       }},
      {"mgpuEventDestroy",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuEventDestroy(h);
       }},
      {"mgpuMemAlloc",
       [](void *, float *, void **, int64_t *, int64_t *, char *) {
         EXPECT_EQ(mgpuMemAlloc(64, nullptr, 0), nullptr);
         EXPECT_EQ(mgpuMemAlloc(64, nullptr, 1), nullptr);
       }},
      {"mgpuMemFree",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuMemFree(h, nullptr);
       }},
      {"mgpuMemcpy",
       [](void *h, float *host, void **, int64_t *, int64_t *, char *) {
         mgpuMemcpy(h, host, 64, nullptr);
       }},
      {"mgpuMemset32",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuMemset32(h, 7, 16, nullptr);
       }},
      {"mgpuMemset16",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         mgpuMemset16(h, 7, 16, nullptr);
       }},
      {"mgpuMemHostRegisterMemRef",
       [](void *, float *, void **, int64_t *d, int64_t *, char *) {
         mgpuMemHostRegisterMemRef(1, d, 4);
       }},
      {"mgpuMemHostUnregisterMemRef",
       [](void *, float *, void **, int64_t *d, int64_t *, char *) {
         mgpuMemHostUnregisterMemRef(1, d, 4);
       }},
      {"mgpuTensorMapEncodeTiledMemref",
       [](void *, float *, void **, int64_t *d, int64_t *b, char *) {
         EXPECT_EQ(mgpuTensorMapEncodeTiledMemref(1, d, 7, 0, 0, 0, 0, b),
                   nullptr);
       }},
      {"flopsGpuGemmF32",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         flopsGpuGemmF32(1, 2, 2, 2, 0, 0, static_cast<float *>(h), 2, 4,
                         static_cast<float *>(h), 2, 4,
                         static_cast<float *>(h), 2, 4, 1.0f, 0.0f, 0,
                         nullptr);
       }},
      {"flopsGpuGraphBegin",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         EXPECT_EQ(flopsGpuGraphBegin(h), 1);
       }},
      {"flopsGpuGraphEnd",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         EXPECT_EQ(flopsGpuGraphEnd(h), nullptr);
       }},
      {"flopsGpuGraphLaunch",
       [](void *h, float *, void **, int64_t *, int64_t *, char *) {
         flopsGpuGraphLaunch(h, h);
       }},
      {"flopsGpuDeviceInfo",
       [](void *, float *, void **, int64_t *, int64_t *, char *) {
         char name[64];
         int32_t major, minor, sms;
         int64_t mem;
         EXPECT_NE(flopsGpuDeviceInfo(0, name, sizeof(name), &major, &minor,
                                      &sms, &mem),
                   0);
       }},
  };
  desc[0] = reinterpret_cast<intptr_t>(host);
  desc[1] = reinterpret_cast<intptr_t>(host);
  desc[3] = 16; // size
  desc[4] = 1;  // stride
  for (const Call &call : calls) {
    call.run(fakeHandle, host, params, desc, box, image);
    std::string error = lastError();
    EXPECT_EQ(error.rfind(std::string(call.name) + ": no CUDA driver: ", 0), 0u)
        << call.name << " recorded: " << error;
  }
  // Null handles and zero sizes are no-ops that record nothing.
  mgpuModuleUnload(nullptr);
  EXPECT_EQ(lastError(), "");
}

TEST_F(GpuRuntime, FirstErrorWinsAndIsCleared) {
  useMissingDriver();
  mgpuStreamCreate();
  mgpuEventCreate();
  std::string error = lastError();
  EXPECT_EQ(error.rfind("mgpuStreamCreate: ", 0), 0u) << error;
  EXPECT_EQ(lastError(), "");
  char buf[16] = "untouched";
  EXPECT_EQ(flopsGpuLastError(buf, sizeof(buf)), 0);
  EXPECT_STREQ(buf, "");
}

//===----------------------------------------------------------------------===//
// (b) The fake driver.
//===----------------------------------------------------------------------===//

TEST_F(GpuRuntime, FakeDriverInitAndDeviceInfo) {
  useFakes();
  char msg[256] = "x";
  EXPECT_EQ(flopsGpuInit(msg, sizeof(msg)), 0) << msg;
  EXPECT_STREQ(msg, "");
  EXPECT_EQ(flopsGpuDeviceCount(), 1);
  char name[64];
  int32_t major = 0, minor = -1, sms = 0;
  int64_t mem = 0;
  ASSERT_EQ(flopsGpuDeviceInfo(0, name, sizeof(name), &major, &minor, &sms,
                               &mem),
            0)
      << lastError();
  EXPECT_STREQ(name, "FLOPS Fake GPU 0");
  EXPECT_EQ(major, 9);
  EXPECT_EQ(minor, 0);
  EXPECT_EQ(sms, 132);
  EXPECT_EQ(mem, int64_t(1) << 30);
  EXPECT_NE(flopsGpuDeviceInfo(1, name, sizeof(name), &major, &minor, &sms,
                               &mem),
            0);
  EXPECT_NE(lastError().find("CUDA device 1 does not exist (1 device(s))"),
            std::string::npos);
}

TEST_F(GpuRuntime, NoDeviceMessages) {
  useFakes();
  FAKE(flopsFakeCudaSetDeviceCount)(0);
  char msg[256];
  EXPECT_NE(flopsGpuInit(msg, sizeof(msg)), 0);
  EXPECT_STREQ(msg, "no CUDA device: cuDeviceGetCount returned 0");
  EXPECT_EQ(mgpuMemAlloc(16, nullptr, 0), nullptr);
  EXPECT_EQ(lastError(),
            "mgpuMemAlloc: no CUDA device: cuDeviceGetCount returned 0");

  useFakes();
  FAKE(flopsFakeCudaFail)("cuInit", 100, 0, -1);
  EXPECT_NE(flopsGpuInit(msg, sizeof(msg)), 0);
  EXPECT_STREQ(msg, "no CUDA device: cuInit failed: CUDA_ERROR_NO_DEVICE (no "
                    "CUDA-capable device is detected)");
}

TEST_F(GpuRuntime, AllocCopyMemset) {
  useFakes();
  EXPECT_EQ(mgpuMemAlloc(0, nullptr, 0), nullptr);
  EXPECT_EQ(lastError(), "");
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr);
  auto *dev = static_cast<float *>(mgpuMemAlloc(16 * 4, stream, 0));
  ASSERT_NE(dev, nullptr);
  auto *shared = static_cast<uint16_t *>(mgpuMemAlloc(8 * 2, stream, 1));
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuMemAlloc"), 1);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuMemAllocManaged"), 1);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveAllocations)(), 2);

  float host[16], back[16];
  for (int i = 0; i < 16; ++i)
    host[i] = float(i) * 0.5f;
  mgpuMemcpy(dev, host, sizeof(host), stream);
  mgpuMemcpy(back, dev, sizeof(back), stream);
  mgpuStreamSynchronize(stream);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(back[i], host[i]);

  uint32_t one;
  float f1 = 1.0f;
  std::memcpy(&one, &f1, 4);
  mgpuMemset32(dev + 4, one, 8, stream); // elements 4..11
  mgpuMemcpy(back, dev, sizeof(back), stream);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(back[i], i >= 4 && i < 12 ? 1.0f : host[i]) << i;
  mgpuMemset16(shared, 0xBEEF, 8, stream);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(shared[i], 0xBEEF);
  EXPECT_EQ(lastError(), "");

  // Error translation names the call and the size.
  FAKE(flopsFakeCudaFail)("cuMemAlloc", 2, 0, 1);
  EXPECT_EQ(mgpuMemAlloc(1 << 20, stream, 0), nullptr);
  EXPECT_EQ(lastError(), "cuMemAlloc failed for 1048576 bytes: "
                         "CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  // Overrunning memset: the fake rejects it like a driver would.
  mgpuMemset32(dev, 0, 17, stream);
  EXPECT_EQ(lastError(), "cuMemsetD32Async failed for 17 elements: "
                         "CUDA_ERROR_INVALID_VALUE (invalid argument)");

  mgpuMemFree(dev, stream);
  mgpuMemFree(shared, stream);
  mgpuMemFree(nullptr, stream);
  mgpuStreamDestroy(stream);
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(FAKE(flopsFakeCudaLiveAllocations)(), 0);
  // The stream waits in the thread's pool until released.
  EXPECT_EQ(FAKE(flopsFakeCudaLiveStreams)(), 1);
  flopsGpuReleaseStreams();
  EXPECT_EQ(FAKE(flopsFakeCudaLiveStreams)(), 0);
}

TEST_F(GpuRuntime, GraphCaptureAndReplay) {
  useFakes();
  void *module = mgpuModuleLoad(const_cast<char *>(kModule), sizeof(kModule));
  ASSERT_NE(module, nullptr) << lastError();
  void *f0 = mgpuModuleGetFunction(module, "main_kernel_0");
  void *f1 = mgpuModuleGetFunction(module, "main_kernel_1");
  void *stream = mgpuStreamCreate();
  float *dev = static_cast<float *>(mgpuMemAlloc(64, stream, 0));
  int64_t n = 16;
  int32_t flag = 1;
  void *params[3] = {&dev, &n, &flag};

  // Three launches captured: nothing runs until the graph is launched.
  ASSERT_EQ(flopsGpuGraphBegin(stream), 0) << lastError();
  mgpuLaunchKernel(f0, 4, 1, 1, 128, 1, 1, 0, stream, params, nullptr, 3);
  mgpuLaunchKernel(f1, 2, 1, 1, 64, 1, 1, 0, stream, params, nullptr, 1);
  mgpuLaunchKernel(f0, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 3);
  void *graph = flopsGpuGraphEnd(stream);
  ASSERT_NE(graph, nullptr) << lastError();
  EXPECT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 0);
  // Each replay is one driver call for the three kernels, in order.
  for (int i = 0; i < 5; ++i)
    flopsGpuGraphLaunch(graph, stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuGraphLaunch"), 5);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuLaunchKernel"), 3);
  ASSERT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 15);
  FlopsFakeLaunch l;
  ASSERT_EQ(FAKE(flopsFakeCudaGetLaunch)(13, &l), 0);
  EXPECT_STREQ(l.name, "main_kernel_1");
  EXPECT_EQ(l.grid[0], 2u);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveGraphs)(), 2); // the graph and its exec
  flopsGpuGraphDestroy(graph);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveGraphs)(), 0);

  // A synchronisation inside the capture: the driver refuses it, and the
  // end of the capture reports that no graph came out of it.
  ASSERT_EQ(flopsGpuGraphBegin(stream), 0) << lastError();
  mgpuLaunchKernel(f0, 4, 1, 1, 128, 1, 1, 0, stream, params, nullptr, 3);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(flopsGpuGraphEnd(stream), nullptr);
  std::string error = lastError();
  EXPECT_EQ(error.rfind("cuStreamSynchronize failed", 0), 0u) << error;
  EXPECT_NE(error.find("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"),
            std::string::npos)
      << error;
  // The first error wins; alone, the end of the capture names it.
  ASSERT_EQ(flopsGpuGraphBegin(stream), 0) << lastError();
  FAKE(flopsFakeCudaFail)("cuStreamEndCapture", 901, 0, 1);
  EXPECT_EQ(flopsGpuGraphEnd(stream), nullptr);
  error = lastError();
  EXPECT_EQ(error.rfind("cuStreamEndCapture failed (flopsGpuGraphEnd: the "
                        "captured work cannot form a CUDA graph",
                        0),
            0u)
      << error;
  EXPECT_NE(error.find("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"),
            std::string::npos)
      << error;
  EXPECT_EQ(FAKE(flopsFakeCudaLiveGraphs)(), 0);
  EXPECT_EQ(flopsGpuGraphBegin(nullptr), 1);
  EXPECT_EQ(lastError().rfind("flopsGpuGraphBegin: null stream", 0), 0u);

  mgpuMemFree(dev, stream);
  mgpuStreamDestroy(stream);
  flopsGpuReleaseStreams();
  mgpuModuleUnload(module);
  EXPECT_EQ(lastError(), "");
}

TEST_F(GpuRuntime, StreamsAreReused) {
  useFakes();
  // The host code's pattern: create, launch, synchronise, destroy, per run
  // of launches. The driver sees one stream.
  void *first = mgpuStreamCreate();
  ASSERT_NE(first, nullptr);
  mgpuStreamSynchronize(first);
  mgpuStreamDestroy(first);
  for (int i = 0; i < 10; ++i) {
    void *s = mgpuStreamCreate();
    EXPECT_EQ(s, first);
    mgpuStreamSynchronize(s);
    mgpuStreamDestroy(s);
  }
  // Two at once: a second one is created; both go back to the pool.
  void *a = mgpuStreamCreate(), *b = mgpuStreamCreate();
  EXPECT_NE(a, b);
  mgpuStreamDestroy(a);
  mgpuStreamDestroy(b);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuStreamCreate"), 2);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuStreamDestroy"), 0);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveStreams)(), 2);
  flopsGpuReleaseStreams();
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuStreamDestroy"), 2);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveStreams)(), 0);
  EXPECT_EQ(lastError(), "");
}

TEST_F(GpuRuntime, LaunchPassesArgumentsAndCachesFunctions) {
  useFakes();
  void *module = mgpuModuleLoad(const_cast<char *>(kModule), sizeof(kModule));
  ASSERT_NE(module, nullptr) << lastError();
  void *f0 = mgpuModuleGetFunction(module, "main_kernel_0");
  ASSERT_NE(f0, nullptr) << lastError();
  EXPECT_EQ(mgpuModuleGetFunction(module, "main_kernel_0"), f0);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuModuleGetFunction"), 1);

  void *stream = mgpuStreamCreate();
  float *dev = static_cast<float *>(mgpuMemAlloc(64, stream, 0));
  int64_t n = 1234567890123ll;
  int32_t flag = -7;
  void *params[3] = {&dev, &n, &flag};
  mgpuLaunchKernel(f0, 2, 3, 4, 128, 2, 1, 1024, stream, params, nullptr, 3);
  ASSERT_EQ(lastError(), "");
  ASSERT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 1);
  FlopsFakeLaunch l;
  ASSERT_EQ(FAKE(flopsFakeCudaGetLaunch)(0, &l), 0);
  EXPECT_STREQ(l.name, "main_kernel_0");
  EXPECT_EQ(l.grid[0], 2u);
  EXPECT_EQ(l.grid[1], 3u);
  EXPECT_EQ(l.grid[2], 4u);
  EXPECT_EQ(l.block[0], 128u);
  EXPECT_EQ(l.block[1], 2u);
  EXPECT_EQ(l.block[2], 1u);
  EXPECT_EQ(l.smem, 1024u);
  EXPECT_EQ(l.stream, stream);
  ASSERT_EQ(l.numParams, 3);
  EXPECT_EQ(l.params[0], uint64_t(reinterpret_cast<uintptr_t>(dev)));
  EXPECT_EQ(l.params[1], uint64_t(n));
  EXPECT_EQ(l.params[2], uint64_t(uint32_t(flag)));
  // Below 48 KB no attribute is set.
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuFuncSetAttribute"), 0);

  // Cluster launch.
  void *f1 = mgpuModuleGetFunction(module, "main_kernel_1");
  void *params1[1] = {&dev};
  mgpuLaunchClusterKernel(f1, 2, 1, 1, 4, 2, 1, 64, 1, 1, 0, stream, params1,
                          nullptr);
  ASSERT_EQ(lastError(), "");
  ASSERT_EQ(FAKE(flopsFakeCudaGetLaunch)(1, &l), 0);
  EXPECT_STREQ(l.name, "main_kernel_1");
  EXPECT_EQ(l.cluster[0], 2u);
  EXPECT_EQ(l.cluster[1], 1u);
  EXPECT_EQ(l.grid[0], 4u);
  EXPECT_EQ(l.block[0], 64u);

  mgpuMemFree(dev, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuModuleUnload"), 1);
}

TEST_F(GpuRuntime, LargeDynamicSharedMemoryOptsIn) {
  useFakes();
  void *module = mgpuModuleLoad(const_cast<char *>(kModule), sizeof(kModule));
  void *f = mgpuModuleGetFunction(module, "main_kernel_1");
  float *dev = static_cast<float *>(mgpuMemAlloc(64, nullptr, 0));
  void *params[1] = {&dev};
  mgpuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 100000, nullptr, params, nullptr, 1);
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(FAKE(flopsFakeCudaFuncAttribute)("main_kernel_1", 8), 100000);
  // Once per function and size.
  mgpuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 100000, nullptr, params, nullptr, 1);
  mgpuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 60000, nullptr, params, nullptr, 1);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuFuncSetAttribute"), 1);
  EXPECT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 3);
  EXPECT_EQ(lastError(), "");
  // A refused opt-in names the kernel.
  FAKE(flopsFakeCudaFail)("cuFuncSetAttribute", 1, 0, 1);
  mgpuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 200000, nullptr, params, nullptr, 1);
  std::string error = lastError();
  EXPECT_NE(error.find("cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_"
                       "SHARED_SIZE_BYTES=200000) failed for kernel "
                       "`main_kernel_1` in module #1"),
            std::string::npos)
      << error;
  EXPECT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 3);
  mgpuMemFree(dev, nullptr);
  mgpuModuleUnload(module);
}

TEST_F(GpuRuntime, LaunchErrorsNameKernelAndModule) {
  useFakes();
  void *module = mgpuModuleLoad(const_cast<char *>(kModule), sizeof(kModule));
  void *f = mgpuModuleGetFunction(module, "main_kernel_0");
  void *stream = mgpuStreamCreate();
  int64_t a = 1, b = 2;
  int32_t c = 3;
  void *params[3] = {&a, &b, &c};
  FAKE(flopsFakeCudaFail)("cuLaunchKernel", 719, 0, 1);
  mgpuLaunchKernel(f, 8, 1, 1, 256, 1, 1, 0, stream, params, nullptr, 3);
  std::string expected =
      "cuLaunchKernel failed for kernel `main_kernel_0` in module #1 (image, " +
      std::to_string(sizeof(kModule)) +
      " bytes) [grid (8, 1, 1), block (256, 1, 1), 0 bytes of dynamic shared "
      "memory]: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)";
  EXPECT_EQ(lastError(), expected);

  // An asynchronous fault surfaces at synchronization: the message names the
  // last kernel launched on the stream.
  mgpuLaunchKernel(f, 8, 1, 1, 256, 1, 1, 0, stream, params, nullptr, 3);
  FAKE(flopsFakeCudaFail)("cuStreamSynchronize", 700, 0, 1);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(lastError(),
            "cuStreamSynchronize failed (last kernel launched on the stream: "
            "`main_kernel_0` in module #1 (image, " +
                std::to_string(sizeof(kModule)) +
                " bytes)): CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory "
                "access was encountered)");
  // ... and through an event recorded after it.
  void *event = mgpuEventCreate();
  mgpuEventRecord(event, stream);
  FAKE(flopsFakeCudaFail)("cuEventSynchronize", 719, 0, 1);
  mgpuEventSynchronize(event);
  EXPECT_NE(lastError().find("cuEventSynchronize failed (last kernel launched "
                             "before the event: `main_kernel_0`"),
            std::string::npos);
  mgpuEventDestroy(event);

  // Out-of-range launch dimensions are refused before the driver sees them.
  mgpuLaunchKernel(f, int64_t(1) << 33, 1, 1, 1, 1, 1, 0, stream, params,
                   nullptr, 3);
  EXPECT_EQ(lastError().rfind("mgpuLaunchKernel: launch dimensions out of "
                              "range for kernel `main_kernel_0`",
                              0),
            0u);
  EXPECT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 1);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
}

TEST_F(GpuRuntime, ModuleAndLookupFailuresDoNotCascade) {
  useFakes();
  char bad[] = "\x7f" "ELF not really";
  EXPECT_EQ(mgpuModuleLoad(bad, sizeof(bad)), nullptr);
  // The later steps of the same host code: all no-ops, first error kept.
  void *f = mgpuModuleGetFunction(nullptr, "main_kernel_0");
  EXPECT_EQ(f, nullptr);
  mgpuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  mgpuModuleUnload(nullptr);
  EXPECT_EQ(lastError(),
            "cuModuleLoadDataEx failed in mgpuModuleLoad for a " +
                std::to_string(sizeof(bad)) +
                "-byte image (log: fake: not a FLOPS-FAKE-MODULE image): "
                "CUDA_ERROR_INVALID_IMAGE (device kernel image is invalid)");
  EXPECT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 0);

  void *module = mgpuModuleLoad(const_cast<char *>(kModule), sizeof(kModule));
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(module, "no_such_kernel"), nullptr);
  EXPECT_EQ(lastError(), "cuModuleGetFunction failed for kernel "
                         "`no_such_kernel` in module #1 (image, " +
                             std::to_string(sizeof(kModule)) +
                             " bytes): CUDA_ERROR_NOT_FOUND (named symbol not "
                             "found)");
  mgpuModuleUnload(module);

  // PTX through mgpuModuleLoadJIT (NUL-terminated, no size).
  void *jit = mgpuModuleLoadJIT(const_cast<char *>(kModule), 3);
  ASSERT_NE(jit, nullptr) << lastError();
  void *g = mgpuModuleGetFunction(jit, "main_kernel_1");
  int64_t a = 0;
  void *params[1] = {&a};
  FAKE(flopsFakeCudaFail)("cuLaunchKernel", 719, 0, 1);
  mgpuLaunchKernel(g, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr, 1);
  EXPECT_NE(lastError().find("for kernel `main_kernel_1` in module #2 (PTX, " +
                             std::to_string(std::strlen(kModule)) + " bytes)"),
            std::string::npos);
  mgpuModuleUnload(jit);
}

TEST_F(GpuRuntime, StreamsAndEvents) {
  useFakes();
  void *s1 = mgpuStreamCreate(), *s2 = mgpuStreamCreate();
  void *e = mgpuEventCreate();
  ASSERT_TRUE(s1 && s2 && e);
  mgpuEventRecord(e, s1);
  mgpuStreamWaitEvent(s2, e);
  mgpuEventSynchronize(e);
  mgpuStreamSynchronize(s2);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveStreams)(), 2);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveEvents)(), 1);
  mgpuEventDestroy(e);
  mgpuStreamDestroy(s1);
  mgpuStreamDestroy(s2);
  flopsGpuReleaseStreams();
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(FAKE(flopsFakeCudaLiveStreams)(), 0);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveEvents)(), 0);
  FAKE(flopsFakeCudaFail)("cuStreamWaitEvent", 400, 0, 1);
  void *s3 = mgpuStreamCreate();
  void *e3 = mgpuEventCreate();
  mgpuStreamWaitEvent(s3, e3);
  EXPECT_EQ(lastError(), "cuStreamWaitEvent failed: "
                         "CUDA_ERROR_INVALID_HANDLE (invalid resource handle)");
  mgpuEventDestroy(e3);
  mgpuStreamDestroy(s3);
  // The context is made current once per thread, not per call.
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuCtxSetCurrent"), 1);
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuInit"), 1);
}

TEST_F(GpuRuntime, DefaultDeviceOutOfRange) {
  useFakes();
  mgpuSetDefaultDevice(3);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(lastError(), "mgpuStreamCreate: CUDA device 3 does not exist (1 "
                         "device(s))");
  mgpuSetDefaultDevice(0);
  void *s = mgpuStreamCreate();
  EXPECT_NE(s, nullptr);
  mgpuStreamDestroy(s);
  EXPECT_EQ(lastError(), "");
}

TEST_F(GpuRuntime, HostRegisterMemRef) {
  useFakes();
  // memref<4x6xf32, strided<[8, 1], offset: 2>>: spans 3*8 + 5 + 1 = 30
  // elements from element 2.
  std::vector<float> buffer(40);
  int64_t desc[2 + 1 + 4];
  desc[0] = desc[1] = reinterpret_cast<intptr_t>(buffer.data());
  desc[2] = 2;
  desc[3] = 4;
  desc[4] = 6;
  desc[5] = 8;
  desc[6] = 1;
  mgpuMemHostRegisterMemRef(2, desc, 4);
  EXPECT_EQ(FAKE(flopsFakeCudaRegisteredBytes)(), 30 * 4);
  mgpuMemHostUnregisterMemRef(2, desc, 4);
  EXPECT_EQ(FAKE(flopsFakeCudaRegisteredBytes)(), 0);
  EXPECT_EQ(lastError(), "");
}

TEST_F(GpuRuntime, TensorMapFromMemRef) {
  useFakes();
  // memref<64x32xf32> at offset 16, box [8, 16].
  std::vector<float> buffer(64 * 32 + 16);
  int64_t desc[2 + 1 + 4];
  desc[0] = desc[1] = reinterpret_cast<intptr_t>(buffer.data());
  desc[2] = 16;
  desc[3] = 64;
  desc[4] = 32;
  desc[5] = 32;
  desc[6] = 1;
  int64_t box[2] = {8, 16};
  void *map = mgpuTensorMapEncodeTiledMemref(2, desc, /*FLOAT32*/ 7, 0,
                                             /*swizzle*/ 3, 1, 0, box);
  ASSERT_NE(map, nullptr) << lastError();
  // The map lives in a device allocation (host memory in the fake).
  EXPECT_EQ(FAKE(flopsFakeCudaLiveAllocations)(), 1);
  const uint64_t *q = static_cast<const uint64_t *>(map);
  EXPECT_EQ(q[0], uint64_t(7 | 2 << 8 | 3 << 24) | uint64_t(1) << 32);
  EXPECT_EQ(q[1], uint64_t(reinterpret_cast<uintptr_t>(buffer.data() + 16)));
  EXPECT_EQ(q[2], 32u); // innermost first
  EXPECT_EQ(q[3], 64u);
  EXPECT_EQ(q[7], 32u * 4); // stride of the outer dimension in bytes
  EXPECT_EQ(q[11], 16u);
  EXPECT_EQ(q[12], 8u);
  mgpuMemFree(map, nullptr);
  EXPECT_EQ(lastError(), "");
  // Sub-byte types are refused with a message.
  EXPECT_EQ(mgpuTensorMapEncodeTiledMemref(2, desc, 13, 0, 0, 0, 0, box),
            nullptr);
  EXPECT_NE(lastError().find("unsupported rank 2 or data type 13"),
            std::string::npos);
}

TEST_F(GpuRuntime, ConcurrentThreads) {
  useFakes();
  void *module = mgpuModuleLoad(const_cast<char *>(kModule), sizeof(kModule));
  ASSERT_NE(module, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([module, t]() {
      void *stream = mgpuStreamCreate();
      for (int i = 0; i < 50; ++i) {
        void *f = mgpuModuleGetFunction(
            module, (i + t) % 2 ? "main_kernel_0" : "main_kernel_1");
        auto *dev = static_cast<float *>(mgpuMemAlloc(256, stream, 0));
        int64_t n = i;
        int32_t c = t;
        void *params[3] = {&dev, &n, &c};
        mgpuLaunchKernel(f, 1 + t, 1, 1, 32, 1, 1, 0, stream, params, nullptr,
                         3);
        mgpuStreamSynchronize(stream);
        mgpuMemFree(dev, stream);
      }
      std::vector<float> A(4, 1.0f), B(4, 1.0f), C(4);
      flopsGpuGemmF32(1, 2, 2, 2, 0, 0, A.data(), 2, 4, B.data(), 2, 4,
                      C.data(), 2, 4, 1.0f, 0.0f, 0, stream);
      mgpuStreamDestroy(stream);
    });
  for (std::thread &th : threads)
    th.join();
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(FAKE(flopsFakeCudaLaunchCount)(), 200);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveAllocations)(), 0);
  EXPECT_EQ(FAKE(flopsFakeCudaLiveStreams)(), 0);
  // Each thread (and the main one, for the module) made the context current
  // once; each worker created one cuBLAS handle.
  EXPECT_EQ(FAKE(flopsFakeCudaCallCount)("cuCtxSetCurrent"), 5);
  EXPECT_EQ(FAKE_BLAS(flopsFakeCublasHandleCount)(), 4);
  // Two kernels, cached: at most one driver lookup per thread and kernel
  // (threads may race on the first miss), not one per launch.
  EXPECT_GE(FAKE(flopsFakeCudaCallCount)("cuModuleGetFunction"), 2);
  EXPECT_LE(FAKE(flopsFakeCudaCallCount)("cuModuleGetFunction"), 8);
  mgpuModuleUnload(module);
}

//===----------------------------------------------------------------------===//
// (c) flopsGpuGemmF32 over the fake cuBLAS.
//===----------------------------------------------------------------------===//

// C[b] = alpha op(A[b]) op(B[b]) + beta C[b], row-major, in double.
void referenceGemm(int64_t batch, int64_t m, int64_t n, int64_t k, int tA,
                   int tB, const std::vector<float> &A, int64_t lda,
                   int64_t sA, const std::vector<float> &B, int64_t ldb,
                   int64_t sB, std::vector<float> &C, int64_t ldc, int64_t sC,
                   float alpha, float beta) {
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          double a = tA ? A[b * sA + p * lda + i] : A[b * sA + i * lda + p];
          double x = tB ? B[b * sB + j * ldb + p] : B[b * sB + p * ldb + j];
          sum += a * x;
        }
        float &c = C[b * sC + i * ldc + j];
        c = float(alpha * sum + beta * double(c));
      }
}

TEST_F(GpuRuntime, GemmRowMajorAllTransposesBatched) {
  useFakes();
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t batch = 3, m = 5, n = 7, k = 4;
  for (int tA = 0; tA < 2; ++tA)
    for (int tB = 0; tB < 2; ++tB) {
      // Stored shapes (row-major) with padded leading dimensions and gaps
      // between batch entries.
      int64_t rowsA = tA ? k : m, colsA = tA ? m : k;
      int64_t rowsB = tB ? n : k, colsB = tB ? k : n;
      int64_t lda = colsA + 2, ldb = colsB + 1, ldc = n + 3;
      int64_t sA = rowsA * lda + 5, sB = rowsB * ldb + 2, sC = m * ldc + 1;
      std::vector<float> A(batch * sA), B(batch * sB), C(batch * sC);
      for (float &x : A)
        x = dist(rng);
      for (float &x : B)
        x = dist(rng);
      for (float &x : C)
        x = dist(rng);
      std::vector<float> expected = C;
      referenceGemm(batch, m, n, k, tA, tB, A, lda, sA, B, ldb, sB, expected,
                    ldc, sC, 1.5f, 0.25f);
      flopsGpuGemmF32(batch, m, n, k, tA, tB, A.data(), lda, sA, B.data(), ldb,
                      sB, C.data(), ldc, sC, 1.5f, 0.25f, 0, nullptr);
      ASSERT_EQ(lastError(), "") << "transA " << tA << " transB " << tB;
      for (size_t i = 0; i < C.size(); ++i)
        EXPECT_NEAR(C[i], expected[i], 1e-5)
            << "transA " << tA << " transB " << tB << " at " << i;
    }
  EXPECT_EQ(FAKE_BLAS(flopsFakeCublasGemmCount)(), 4);
  // One cached handle for the thread.
  EXPECT_EQ(FAKE_BLAS(flopsFakeCublasHandleCount)(), 1);
}

TEST_F(GpuRuntime, GemmPrecisionStreamAndErrors) {
  useFakes();
  std::vector<float> A(4, 1.0f), B(4, 2.0f), C(4, std::nanf(""));
  void *stream = mgpuStreamCreate();
  const int expectedCompute[3] = {68, 77, 75};
  for (int p = 0; p < 3; ++p) {
    flopsGpuGemmF32(1, 2, 2, 2, 0, 0, A.data(), 2, 4, B.data(), 2, 4, C.data(),
                    2, 4, 1.0f, 0.0f, p, stream);
    EXPECT_EQ(lastError(), "");
    EXPECT_EQ(FAKE_BLAS(flopsFakeCublasLastComputeType)(), expectedCompute[p]);
    EXPECT_EQ(FAKE_BLAS(flopsFakeCublasLastStream)(), stream);
  }
  // beta == 0: C's NaNs are not read.
  for (float c : C)
    EXPECT_EQ(c, 4.0f);
  flopsGpuGemmF32(1, 2, 2, 2, 0, 0, A.data(), 2, 4, B.data(), 2, 4, C.data(),
                  2, 4, 1.0f, 0.0f, 0, nullptr);
  EXPECT_EQ(FAKE_BLAS(flopsFakeCublasLastStream)(), nullptr);
  int calls = FAKE_BLAS(flopsFakeCublasGemmCount)();

  // Invalid arguments are refused before cuBLAS.
  flopsGpuGemmF32(1, 2, 2, 2, 0, 0, A.data(), 1, 4, B.data(), 2, 4, C.data(),
                  2, 4, 1.0f, 0.0f, 0, nullptr);
  EXPECT_NE(lastError().find("flopsGpuGemmF32: leading dimension too small: "
                             "lda 1 (needs 2)"),
            std::string::npos);
  flopsGpuGemmF32(1, 2, 2, 2, 2, 0, A.data(), 2, 4, B.data(), 2, 4, C.data(),
                  2, 4, 1.0f, 0.0f, 0, nullptr);
  EXPECT_NE(lastError().find("trans flags must be 0 or 1"), std::string::npos);
  flopsGpuGemmF32(1, 2, 2, 2, 0, 0, A.data(), 2, 4, B.data(), 2, 4, C.data(),
                  2, 4, 1.0f, 0.0f, 3, nullptr);
  EXPECT_NE(lastError().find("precision must be 0 (f32), 1 (tf32) or 2"),
            std::string::npos);
  // Empty products are no-ops.
  flopsGpuGemmF32(0, 2, 2, 2, 0, 0, A.data(), 2, 4, B.data(), 2, 4, C.data(),
                  2, 4, 1.0f, 0.0f, 0, nullptr);
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(FAKE_BLAS(flopsFakeCublasGemmCount)(), calls);

  // cuBLAS failures are translated.
  FAKE_BLAS(flopsFakeCublasFailGemm)(13);
  flopsGpuGemmF32(2, 3, 4, 5, 1, 0, A.data(), 3, 4, B.data(), 4, 4, C.data(),
                  4, 4, 1.0f, 0.0f, 1, stream);
  EXPECT_EQ(lastError(), "flopsGpuGemmF32: cublasGemmStridedBatchedEx failed: "
                         "CUBLAS_STATUS_EXECUTION_FAILED (batch 2, m 3, n 4, "
                         "k 5, transA 1, transB 0, precision 1)");
  mgpuStreamDestroy(stream);
}

TEST_F(GpuRuntime, GemmWithoutCublas) {
  useFakes();
  setenv("FLOPS_CUBLAS_LIBRARY", "/nonexistent/libcublas.so.13", 1);
  std::vector<float> A(4), B(4), C(4);
  flopsGpuGemmF32(1, 2, 2, 2, 0, 0, A.data(), 2, 4, B.data(), 2, 4, C.data(),
                  2, 4, 1.0f, 0.0f, 0, nullptr);
  EXPECT_EQ(lastError().rfind("flopsGpuGemmF32: no cuBLAS: "
                              "dlopen(/nonexistent/libcublas.so.13) failed",
                              0),
            0u);
}

//===----------------------------------------------------------------------===//
// (d) No link-time dependency on CUDA libraries.
//===----------------------------------------------------------------------===//

TEST(GpuRuntimeLibrary, NoNeededCudaLibraries) {
  std::ifstream in(FLOPS_CUDA_RUNTIME_PATH, std::ios::binary);
  ASSERT_TRUE(in) << FLOPS_CUDA_RUNTIME_PATH;
  std::vector<char> file((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  ASSERT_GE(file.size(), sizeof(Elf64_Ehdr));
  const auto *eh = reinterpret_cast<const Elf64_Ehdr *>(file.data());
  ASSERT_EQ(std::memcmp(eh->e_ident, ELFMAG, SELFMAG), 0);
  ASSERT_EQ(eh->e_ident[EI_CLASS], ELFCLASS64);
  const auto *sh = reinterpret_cast<const Elf64_Shdr *>(file.data() +
                                                        eh->e_shoff);
  std::vector<std::string> needed;
  bool sawDynamic = false;
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_DYNAMIC)
      continue;
    sawDynamic = true;
    const char *strtab = file.data() + sh[sh[i].sh_link].sh_offset;
    const auto *dyn =
        reinterpret_cast<const Elf64_Dyn *>(file.data() + sh[i].sh_offset);
    for (size_t j = 0; j < sh[i].sh_size / sizeof(Elf64_Dyn); ++j)
      if (dyn[j].d_tag == DT_NEEDED)
        needed.push_back(strtab + dyn[j].d_un.d_val);
  }
  ASSERT_TRUE(sawDynamic);
  EXPECT_FALSE(needed.empty()); // libc at least: the parse worked
  for (const std::string &lib : needed) {
    EXPECT_EQ(lib.find("libcuda"), std::string::npos) << lib;
    EXPECT_EQ(lib.find("libcublas"), std::string::npos) << lib;
    EXPECT_EQ(lib.find("libcudart"), std::string::npos) << lib;
    EXPECT_EQ(lib.find("MLIR"), std::string::npos) << lib;
  }
}

} // namespace
