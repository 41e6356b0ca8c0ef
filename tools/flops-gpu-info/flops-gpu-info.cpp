//===- flops-gpu-info.cpp - List the CUDA devices the runtime can use -----===//
//
// Prints one line per device (name, compute capability, multiprocessors,
// memory) and exits 0, or prints the runtime's "no CUDA driver/device"
// message and exits 1. Needs no GPU to build or run.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/GpuRuntime.h"

#include <cstdio>
#include <cstring>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: flops-gpu-info\n"
                  "Lists the CUDA devices libFlopsCudaRuntime can use; exit "
                  "code 1 (with the reason) when there is none.\n"
                  "FLOPS_CUDA_DRIVER overrides the driver library "
                  "(default libcuda.so.1).\n");
      return 0;
    }
    std::fprintf(stderr, "flops-gpu-info: unknown argument '%s'\n", argv[i]);
    return 2;
  }
  char message[1024];
  if (flopsGpuInit(message, sizeof(message)) != 0) {
    std::fprintf(stderr, "flops-gpu-info: %s\n", message);
    return 1;
  }
  int32_t count = flopsGpuDeviceCount();
  for (int32_t i = 0; i < count; ++i) {
    char name[256];
    int32_t major = 0, minor = 0, sms = 0;
    int64_t bytes = 0;
    if (flopsGpuDeviceInfo(i, name, sizeof(name), &major, &minor, &sms,
                           &bytes) != 0) {
      flopsGpuLastError(message, sizeof(message));
      std::fprintf(stderr, "flops-gpu-info: device %d: %s\n", i, message);
      return 1;
    }
    std::printf("device %d: %s, compute capability %d.%d, %d "
                "multiprocessors, %.1f GiB\n",
                i, name, major, minor, sms,
                double(bytes) / (1024.0 * 1024.0 * 1024.0));
  }
  return 0;
}
