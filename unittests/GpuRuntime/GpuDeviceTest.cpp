//===- GpuDeviceTest.cpp - libFlopsCudaRuntime on a real CUDA device ------===//
//
// FlopsGpuDeviceTests: run by check-flops everywhere, every case skipped
// (GTEST_SKIP) when flopsGpuInit finds no usable driver and device. On a GPU
// machine they check the runtime over the real driver and cuBLAS: memory
// round trips, a PTX kernel (JIT-compiled by the driver) launched with more
// than 48 KB of dynamic shared memory, error attribution, streams/events, and
// flopsGpuGemmF32 against a host reference at the three precisions.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/GpuRuntime.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" {
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, int64_t gx, int64_t gy, int64_t gz,
                      int64_t bx, int64_t by, int64_t bz, int32_t smem,
                      void *stream, void **params, void **extra,
                      size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
void *mgpuEventCreate();
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);
void *mgpuMemAlloc(uint64_t size, void *stream, uint8_t hostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t size, void *stream);
void mgpuMemset32(void *dst, uint32_t value, size_t count, void *stream);
void mgpuMemset16(void *dst, uint16_t value, size_t count, void *stream);
}

namespace {

// Checked with `ptxas -arch=sm_90` (CUDA 13.0) on the development machine.
const char kPtx[] =
    ".version 8.0\n"
    ".target sm_90\n"
    ".address_size 64\n"
    "\n"
    ".extern .shared .align 16 .b8 flops_dyn_smem[];\n"
    "\n"
    "// data[i] = data[i] * factor for i < n, staged through dynamic shared memory\n"
    "// slot (smemFloats - 1 - tid.x): the launch needs smemFloats * 4 bytes.\n"
    ".visible .entry scale_through_smem(\n"
    "    .param .u64 p_data,\n"
    "    .param .u32 p_n,\n"
    "    .param .f32 p_factor,\n"
    "    .param .u32 p_smem_floats\n"
    ")\n"
    "{\n"
    "    .reg .pred %p<2>;\n"
    "    .reg .b32 %r<10>;\n"
    "    .reg .f32 %f<4>;\n"
    "    .reg .b64 %rd<8>;\n"
    "\n"
    "    ld.param.u64 %rd1, [p_data];\n"
    "    ld.param.u32 %r1, [p_n];\n"
    "    ld.param.f32 %f1, [p_factor];\n"
    "    ld.param.u32 %r2, [p_smem_floats];\n"
    "    mov.u32 %r3, %ctaid.x;\n"
    "    mov.u32 %r4, %ntid.x;\n"
    "    mov.u32 %r5, %tid.x;\n"
    "    mad.lo.s32 %r6, %r3, %r4, %r5;\n"
    "    setp.ge.u32 %p1, %r6, %r1;\n"
    "    @%p1 bra DONE;\n"
    "    cvta.to.global.u64 %rd2, %rd1;\n"
    "    mul.wide.u32 %rd3, %r6, 4;\n"
    "    add.s64 %rd4, %rd2, %rd3;\n"
    "    ld.global.f32 %f2, [%rd4];\n"
    "    sub.u32 %r7, %r2, 1;\n"
    "    sub.u32 %r8, %r7, %r5;\n"
    "    shl.b32 %r9, %r8, 2;\n"
    "    mov.u32 %r7, flops_dyn_smem;\n"
    "    add.u32 %r9, %r9, %r7;\n"
    "    st.shared.f32 [%r9], %f2;\n"
    "    ld.shared.f32 %f3, [%r9];\n"
    "    mul.rn.f32 %f3, %f3, %f1;\n"
    "    st.global.f32 [%rd4], %f3;\n"
    "DONE:\n"
    "    ret;\n"
    "}\n";

std::string lastError() {
  char buf[2048];
  return flopsGpuLastError(buf, sizeof(buf)) ? std::string(buf) : "";
}

class GpuDevice : public ::testing::Test {
protected:
  void SetUp() override {
    char msg[512];
    if (flopsGpuInit(msg, sizeof(msg)) != 0)
      GTEST_SKIP() << msg;
    lastError(); // start clean
  }
  void TearDown() override { EXPECT_EQ(lastError(), ""); }
};

TEST_F(GpuDevice, MemoryRoundTrip) {
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr) << lastError();
  const size_t n = 1 << 20;
  std::vector<float> host(n), back(n);
  for (size_t i = 0; i < n; ++i)
    host[i] = float(i % 1000) * 0.25f;
  void *dev = mgpuMemAlloc(n * 4, stream, 0);
  ASSERT_NE(dev, nullptr) << lastError();
  mgpuMemcpy(dev, host.data(), n * 4, stream);
  uint32_t bits;
  float minusTwo = -2.0f;
  std::memcpy(&bits, &minusTwo, 4);
  mgpuMemset32(static_cast<float *>(dev) + 10, bits, 5, stream);
  mgpuMemcpy(back.data(), dev, n * 4, stream);
  mgpuStreamSynchronize(stream);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(back[i], i >= 10 && i < 15 ? -2.0f : host[i]) << i;

  // Managed (host-shared) memory is readable on the host after a sync.
  auto *shared = static_cast<uint16_t *>(mgpuMemAlloc(64 * 2, stream, 1));
  ASSERT_NE(shared, nullptr) << lastError();
  mgpuMemset16(shared, 0xABCD, 64, stream);
  mgpuStreamSynchronize(stream);
  for (int i = 0; i < 64; ++i)
    ASSERT_EQ(shared[i], 0xABCD) << i;
  mgpuMemFree(shared, stream);
  mgpuMemFree(dev, stream);
  mgpuStreamDestroy(stream);
}

TEST_F(GpuDevice, PtxKernelWithLargeDynamicSharedMemory) {
  void *module = mgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  ASSERT_NE(module, nullptr) << lastError();
  void *f = mgpuModuleGetFunction(module, "scale_through_smem");
  ASSERT_NE(f, nullptr) << lastError();
  void *stream = mgpuStreamCreate();
  const uint32_t n = 1000;
  std::vector<float> host(n);
  for (uint32_t i = 0; i < n; ++i)
    host[i] = float(i) - 500.0f;
  void *dev = mgpuMemAlloc(n * 4, stream, 0);
  mgpuMemcpy(dev, host.data(), n * 4, stream);
  float factor = 3.0f;
  // 100 KB of dynamic shared memory: needs the runtime's opt-in.
  uint32_t smemFloats = 100 * 1024 / 4;
  void *params[4] = {&dev, const_cast<uint32_t *>(&n), &factor, &smemFloats};
  mgpuLaunchKernel(f, 4, 1, 1, 256, 1, 1, int32_t(smemFloats * 4), stream,
                   params, nullptr, 4);
  std::vector<float> back(n);
  mgpuMemcpy(back.data(), dev, n * 4, stream);
  mgpuStreamSynchronize(stream);
  ASSERT_EQ(lastError(), "");
  for (uint32_t i = 0; i < n; ++i)
    ASSERT_EQ(back[i], host[i] * 3.0f) << i;

  // More shared memory than any device has: refused, and the message names
  // the kernel.
  uint32_t tooMany = 1024 * 1024 / 4;
  void *params2[4] = {&dev, const_cast<uint32_t *>(&n), &factor, &tooMany};
  mgpuLaunchKernel(f, 4, 1, 1, 256, 1, 1, int32_t(tooMany * 4), stream,
                   params2, nullptr, 4);
  std::string error = lastError();
  EXPECT_NE(error.find("for kernel `scale_through_smem` in module #"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("CUDA_ERROR_"), std::string::npos) << error;
  mgpuMemFree(dev, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
}

TEST_F(GpuDevice, UnknownKernelIsReported) {
  void *module = mgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  ASSERT_NE(module, nullptr) << lastError();
  EXPECT_EQ(mgpuModuleGetFunction(module, "no_such_kernel"), nullptr);
  std::string error = lastError();
  EXPECT_NE(error.find("cuModuleGetFunction failed for kernel "
                       "`no_such_kernel`"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("CUDA_ERROR_NOT_FOUND"), std::string::npos) << error;
  mgpuModuleUnload(module);
}

TEST_F(GpuDevice, StreamsAndEvents) {
  void *s1 = mgpuStreamCreate(), *s2 = mgpuStreamCreate();
  void *e = mgpuEventCreate();
  ASSERT_TRUE(s1 && s2 && e) << lastError();
  const size_t n = 1 << 16;
  std::vector<float> host(n, 7.0f), back(n, 0.0f);
  void *dev = mgpuMemAlloc(n * 4, s1, 0);
  mgpuMemcpy(dev, host.data(), n * 4, s1);
  mgpuEventRecord(e, s1);
  mgpuStreamWaitEvent(s2, e);
  mgpuMemcpy(back.data(), dev, n * 4, s2);
  mgpuStreamSynchronize(s2);
  mgpuEventSynchronize(e);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(back[i], 7.0f) << i;
  mgpuMemFree(dev, s1);
  mgpuEventDestroy(e);
  mgpuStreamDestroy(s1);
  mgpuStreamDestroy(s2);
}

TEST_F(GpuDevice, GraphReplaysKernels) {
  void *module = mgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  ASSERT_NE(module, nullptr) << lastError();
  void *f = mgpuModuleGetFunction(module, "scale_through_smem");
  ASSERT_NE(f, nullptr) << lastError();
  void *stream = mgpuStreamCreate();
  const uint32_t n = 1000;
  std::vector<float> host(n), back(n);
  for (uint32_t i = 0; i < n; ++i)
    host[i] = float(i) * 0.5f - 100.0f;
  void *dev = mgpuMemAlloc(n * 4, stream, 0);
  mgpuMemcpy(dev, host.data(), n * 4, stream);
  mgpuStreamSynchronize(stream);
  float factor = 2.0f;
  uint32_t smemFloats = 256; // 1 KB: no opt-in needed inside the capture
  void *params[4] = {&dev, const_cast<uint32_t *>(&n), &factor, &smemFloats};
  // Two launches captured (nothing runs), then the graph replayed 3 times:
  // data * 2^6.
  ASSERT_EQ(flopsGpuGraphBegin(stream), 0) << lastError();
  for (int i = 0; i < 2; ++i)
    mgpuLaunchKernel(f, 4, 1, 1, 256, 1, 1, int32_t(smemFloats * 4), stream,
                     params, nullptr, 4);
  void *graph = flopsGpuGraphEnd(stream);
  ASSERT_NE(graph, nullptr) << lastError();
  for (int i = 0; i < 3; ++i)
    flopsGpuGraphLaunch(graph, stream);
  mgpuMemcpy(back.data(), dev, n * 4, stream);
  mgpuStreamSynchronize(stream);
  ASSERT_EQ(lastError(), "");
  for (uint32_t i = 0; i < n; ++i)
    ASSERT_EQ(back[i], host[i] * 64.0f) << i;
  flopsGpuGraphDestroy(graph);

  // A synchronisation inside a capture: refused, and no graph comes out.
  ASSERT_EQ(flopsGpuGraphBegin(stream), 0) << lastError();
  mgpuLaunchKernel(f, 4, 1, 1, 256, 1, 1, int32_t(smemFloats * 4), stream,
                   params, nullptr, 4);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(flopsGpuGraphEnd(stream), nullptr);
  std::string error = lastError();
  EXPECT_NE(error.find("CUDA_ERROR_STREAM_CAPTURE"), std::string::npos)
      << error;
  mgpuMemFree(dev, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
}

// Row-major C = alpha op(A) op(B) + beta C against a double-precision host
// reference; relative tolerance per precision.
void checkGemm(int precision, double tolerance) {
  std::mt19937 rng(7 + precision);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t batch = 2, m = 96, n = 80, k = 64;
  void *stream = mgpuStreamCreate();
  for (int tA = 0; tA < 2; ++tA)
    for (int tB = 0; tB < 2; ++tB) {
      int64_t lda = (tA ? m : k) + 3, ldb = (tB ? k : n) + 1, ldc = n + 2;
      int64_t sA = (tA ? k : m) * lda + 7, sB = (tB ? n : k) * ldb,
              sC = m * ldc + 5;
      std::vector<float> A(batch * sA), B(batch * sB), C(batch * sC);
      for (float &x : A)
        x = dist(rng);
      for (float &x : B)
        x = dist(rng);
      for (float &x : C)
        x = dist(rng);
      std::vector<double> expected(C.size());
      for (size_t i = 0; i < C.size(); ++i)
        expected[i] = C[i];
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = 0;
            for (int64_t p = 0; p < k; ++p)
              sum += double(tA ? A[b * sA + p * lda + i]
                               : A[b * sA + i * lda + p]) *
                     double(tB ? B[b * sB + j * ldb + p]
                               : B[b * sB + p * ldb + j]);
            double &c = expected[b * sC + i * ldc + j];
            c = 0.75 * sum - 0.5 * c;
          }
      void *dA = mgpuMemAlloc(A.size() * 4, stream, 0);
      void *dB = mgpuMemAlloc(B.size() * 4, stream, 0);
      void *dC = mgpuMemAlloc(C.size() * 4, stream, 0);
      mgpuMemcpy(dA, A.data(), A.size() * 4, stream);
      mgpuMemcpy(dB, B.data(), B.size() * 4, stream);
      mgpuMemcpy(dC, C.data(), C.size() * 4, stream);
      flopsGpuGemmF32(batch, m, n, k, tA, tB, static_cast<float *>(dA), lda,
                      sA, static_cast<float *>(dB), ldb, sB,
                      static_cast<float *>(dC), ldc, sC, 0.75f, -0.5f,
                      precision, stream);
      mgpuMemcpy(C.data(), dC, C.size() * 4, stream);
      mgpuStreamSynchronize(stream);
      ASSERT_EQ(lastError(), "") << "transA " << tA << " transB " << tB;
      double worst = 0;
      for (size_t i = 0; i < C.size(); ++i)
        worst = std::max(worst, std::fabs(C[i] - expected[i]) /
                                    std::max(1.0, std::fabs(expected[i])));
      EXPECT_LE(worst, tolerance)
          << "precision " << precision << " transA " << tA << " transB "
          << tB;
      mgpuMemFree(dA, stream);
      mgpuMemFree(dB, stream);
      mgpuMemFree(dC, stream);
    }
  mgpuStreamDestroy(stream);
}

TEST_F(GpuDevice, GemmF32) { checkGemm(0, 1e-4); }
TEST_F(GpuDevice, GemmTf32) { checkGemm(1, 3e-2); }
TEST_F(GpuDevice, GemmBf16) { checkGemm(2, 1.5e-1); }

} // namespace
