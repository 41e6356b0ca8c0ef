//===- CudaDevice.cpp - the driver's CUDA device --------------------------===//
//
// See include/flops/Driver/Device.h. libFlopsCudaRuntime is dlopen'ed here
// (RTLD_GLOBAL, so that the JIT's lookups and the runtime's own share one
// copy of its state); nothing in the tools links against it.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Device.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

using namespace mlir::flops::driver;

Device::~Device() = default;

const char *mlir::flops::driver::deviceName(DeviceKind kind) {
  return kind == DeviceKind::CUDA ? "cuda" : "cpu";
}

std::string mlir::flops::driver::defaultCudaRuntimePath() {
  if (const char *env = std::getenv("FLOPS_CUDA_RUNTIME"); env && *env)
    return env;
  // Next to the running tool: <prefix>/bin/tool -> <prefix>/lib.
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = 0;
    llvm::SmallString<256> p(llvm::sys::path::parent_path(
        llvm::sys::path::parent_path(exe)));
    llvm::sys::path::append(p, "lib", "libFlopsCudaRuntime.so");
    if (llvm::sys::fs::exists(p))
      return std::string(p);
  }
#ifdef FLOPS_CUDA_RUNTIME_BUILD_PATH
  return FLOPS_CUDA_RUNTIME_BUILD_PATH;
#else
  return "libFlopsCudaRuntime.so";
#endif
}

std::string
mlir::flops::driver::cudaLoweringPipeline(const std::string &pipelineOptions) {
  std::string s = "flops-lower-to-cuda{out-params=true";
  if (!pipelineOptions.empty())
    s += " " + pipelineOptions;
  return s + "}";
}

namespace {

std::string mib(double bytes) {
  char s[64];
  std::snprintf(s, sizeof(s), "%.1f MiB", bytes / double(1 << 20));
  return s;
}

class CudaDevice final : public Device {
public:
  using InitFn = int32_t (*)(char *, int64_t);
  using DeviceInfoFn = int32_t (*)(int32_t, char *, int64_t, int32_t *,
                                   int32_t *, int32_t *, int64_t *);
  using AllocFn = void *(*)(uint64_t, void *, uint8_t);
  using FreeFn = void (*)(void *, void *);

  bool open(const CudaDeviceOptions &o, std::string *error) {
    options = o;
    path = o.runtimePath.empty() ? defaultCudaRuntimePath() : o.runtimePath;
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
      const char *why = dlerror();
      *error = "cannot load the CUDA runtime " + path + ": " +
               (why ? why : "unknown error") +
               " (set FLOPS_CUDA_RUNTIME to libFlopsCudaRuntime.so)";
      return false;
    }
    InitFn init = nullptr;
    DeviceInfoFn info = nullptr;
    if (!sym("flopsGpuInit", &init, error) ||
        !sym("flopsGpuLastError", &lastError, error) ||
        !sym("flopsGpuDeviceInfo", &info, error) ||
        !sym("mgpuMemAlloc", &alloc, error) ||
        !sym("mgpuMemFree", &free, error))
      return false;
    char message[1024] = {0};
    if (init(message, sizeof(message)) != 0) {
      *error = message;
      return false;
    }
    char name[256] = {0};
    int32_t major = 0, minor = 0, sms = 0;
    if (info(0, name, sizeof(name), &major, &minor, &sms, &totalBytes) != 0) {
      lastError(message, sizeof(message));
      *error = std::string("no CUDA device: ") + message;
      return false;
    }
    if (totalBytes <= 0) {
      *error = "no CUDA device: device 0 reports no memory";
      return false;
    }
    summary = "cuda device 0: " + std::string(name) + ", compute capability " +
              std::to_string(major) + "." + std::to_string(minor) + ", " +
              std::to_string(sms) + " multiprocessors, " +
              std::to_string(totalBytes >> 20) + " MiB";
    return true;
  }

  ~CudaDevice() override {
    // The runtime stays loaded: code linked by a JIT may outlive us.
    for (auto &[p, bytes] : live)
      free(p, nullptr);
  }

  DeviceKind kind() const override { return DeviceKind::CUDA; }
  std::string description() const override { return summary; }
  std::string loweringPipeline() const override {
    return cudaLoweringPipeline(options.pipelineOptions);
  }
  std::vector<std::string> sharedLibraries() const override {
    return {path};
  }

  void *allocate(size_t bytes, std::string *error) override {
    // Never more managed memory than a fraction of the card (the managed
    // pages must fit on it to stay resident between steps).
    uint64_t limit = uint64_t(double(totalBytes) * options.memoryFraction);
    if (allocated + bytes > limit) {
      *error = "the buffers need more than " + mib(double(limit)) +
               " of CUDA managed memory (" +
               std::to_string(int(options.memoryFraction * 100)) +
               " % of the device's " + mib(double(totalBytes)) + ")";
      return nullptr;
    }
    void *p = alloc(bytes ? bytes : 1, nullptr, /*hostShared=*/1);
    if (!p) {
      char message[1024] = {0};
      lastError(message, sizeof(message));
      *error = "cannot allocate " + std::to_string(bytes) +
               " bytes of CUDA managed memory: " + message;
      return nullptr;
    }
    live[p] = bytes;
    allocated += bytes;
    return p;
  }

  void release(void *p) override {
    auto it = live.find(p);
    if (it == live.end())
      return;
    allocated -= it->second;
    live.erase(it);
    free(p, nullptr);
  }

  bool checkCall(llvm::StringRef entry, std::string *error) override {
    char message[2048] = {0};
    if (lastError(message, sizeof(message)) == 0)
      return true;
    *error = "@" + entry.str() + " failed on the CUDA device: " + message;
    return false;
  }

private:
  template <typename Fn>
  bool sym(const char *name, Fn *out, std::string *error) {
    *out = reinterpret_cast<Fn>(dlsym(handle, name));
    if (!*out)
      *error = "the CUDA runtime " + path + " lacks " + name;
    return *out != nullptr;
  }

  CudaDeviceOptions options;
  std::string path, summary;
  void *handle = nullptr;
  int32_t (*lastError)(char *, int64_t) = nullptr;
  AllocFn alloc = nullptr;
  FreeFn free = nullptr;
  int64_t totalBytes = 0;
  uint64_t allocated = 0;
  std::map<void *, size_t> live;
};

} // namespace

std::unique_ptr<Device>
mlir::flops::driver::openCudaDevice(const CudaDeviceOptions &options,
                                    std::string *error) {
  auto d = std::make_unique<CudaDevice>();
  if (!d->open(options, error))
    return nullptr;
  return d;
}
