//===- Driver.cpp - Loading the CUDA driver, contexts, error recording ----===//

#include "Driver.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <dlfcn.h>

using namespace flops::gpu;
using namespace flops::gpu::api;

namespace {

struct FunctionRecord {
  std::string name;
  std::string module; // "module #N (fatbin, B bytes)"
  unsigned smemLimit = kDefaultDynamicSharedLimit;
};

struct ModuleRecord {
  std::string description;
  // Lookup cache of this module: name -> function.
  std::unordered_map<std::string, CUfunction> functions;
};

enum LoadState : int { NotLoaded = 0, Loaded = 1, Failed = 2 };

struct State {
  // Driver and contexts (guarded by mu).
  std::mutex mu;
  std::atomic<int> loadState{NotLoaded};
  std::string loadError;
  void *library = nullptr;
  DriverApi drv;
  int deviceCount = 0;
  std::vector<CUcontext> contexts;
  std::atomic<int> defaultDevice{0};
  std::atomic<uint64_t> generation{1};

  // Modules, functions and the last launch per stream (guarded by regMu).
  std::mutex regMu;
  uint64_t nextModuleId = 1;
  std::unordered_map<CUmodule, ModuleRecord> modules;
  std::unordered_map<CUfunction, std::shared_ptr<const FunctionRecord>>
      functions;
  std::unordered_map<CUstream, std::shared_ptr<const FunctionRecord>>
      lastLaunch;
  std::unordered_map<CUevent, std::shared_ptr<const FunctionRecord>>
      eventLaunch;

  // The first recorded error (guarded by errMu).
  std::mutex errMu;
  std::string error;
};

// Never destroyed: the global destructors of JIT-compiled or linked host code
// may call mgpuModuleUnload after this library's statics would be gone.
State &state() {
  static State *s = new State;
  return *s;
}

bool envFlag(const char *name) {
  const char *v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

const char *builtinResultName(CUresult r) {
  switch (r) {
  case CUDA_SUCCESS: return "CUDA_SUCCESS";
  case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
  case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
  case CUDA_ERROR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
  case CUDA_ERROR_DEINITIALIZED: return "CUDA_ERROR_DEINITIALIZED";
  case CUDA_ERROR_STUB_LIBRARY:
    return "CUDA_ERROR_STUB_LIBRARY (the toolkit's link stub, not a driver)";
  case CUDA_ERROR_DEVICE_UNAVAILABLE: return "CUDA_ERROR_DEVICE_UNAVAILABLE";
  case CUDA_ERROR_NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
  case CUDA_ERROR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
  case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
  case CUDA_ERROR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
  case CUDA_ERROR_NO_BINARY_FOR_GPU: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case CUDA_ERROR_INVALID_PTX: return "CUDA_ERROR_INVALID_PTX";
  case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
    return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
  case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
  case CUDA_ERROR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES:
    return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
  case CUDA_ERROR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
  case CUDA_ERROR_NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
  case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED:
    return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
  case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED:
    return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
    return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
  case CUDA_ERROR_UNKNOWN: return "CUDA_ERROR_UNKNOWN";
  default: return nullptr;
  }
}

std::string driverPath() {
  const char *env = std::getenv("FLOPS_CUDA_DRIVER");
  return env && *env ? env : "libcuda.so.1";
}

// Loads and initializes the driver once; false (s.loadError set) on failure.
// Called with s.mu held.
bool loadLocked(State &s) {
  if (s.loadState.load() != NotLoaded)
    return s.loadState.load() == Loaded;
  auto fail = [&](std::string message) {
    s.loadError = std::move(message);
    s.loadState.store(Failed);
    return false;
  };
  std::string path = driverPath();
  dlerror();
  s.library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!s.library) {
    const char *why = dlerror();
    return fail("no CUDA driver: dlopen(" + path + ") failed: " +
                (why ? why : "unknown reason"));
  }
#define FLOPS_LOAD_REQUIRED(member, symbol, ret, params)                       \
  s.drv.member = reinterpret_cast<PFN_##member>(dlsym(s.library, #symbol));    \
  if (!s.drv.member)                                                           \
    return fail("no CUDA driver: " + path + " lacks " #symbol);
  FLOPS_CUDA_DRIVER_REQUIRED(FLOPS_LOAD_REQUIRED)
#undef FLOPS_LOAD_REQUIRED
#define FLOPS_LOAD_OPTIONAL(member, symbol, ret, params)                       \
  s.drv.member = reinterpret_cast<PFN_##member>(dlsym(s.library, #symbol));
  FLOPS_CUDA_DRIVER_OPTIONAL(FLOPS_LOAD_OPTIONAL)
#undef FLOPS_LOAD_OPTIONAL
  // From here on describeResult may use the driver's own error names.
  s.loadState.store(Loaded);
  CUresult r = s.drv.init(0);
  if (r != CUDA_SUCCESS)
    return fail(std::string(r == CUDA_ERROR_NO_DEVICE ? "no CUDA device"
                                                      : "no CUDA driver") +
                ": cuInit failed: " + describeResult(r));
  int count = 0;
  r = s.drv.deviceGetCount(&count);
  if (r != CUDA_SUCCESS)
    return fail("no CUDA device: cuDeviceGetCount failed: " +
                describeResult(r));
  if (count <= 0)
    return fail("no CUDA device: cuDeviceGetCount returned 0");
  s.deviceCount = count;
  s.contexts.assign(count, nullptr);
  return true;
}

// The primary context of `device`, retained on first use; null (error
// recorded) on failure. Called with s.mu held.
CUcontext contextLocked(State &s, int device, const char *caller) {
  if (device < 0 || device >= s.deviceCount) {
    recordError(std::string(caller) + ": CUDA device " +
                std::to_string(device) + " does not exist (" +
                std::to_string(s.deviceCount) + " device(s))");
    return nullptr;
  }
  if (CUcontext ctx = s.contexts[device])
    return ctx;
  CUdevice dev = 0;
  if (!check(s.drv.deviceGet(&dev, device), "cuDeviceGet"))
    return nullptr;
  CUcontext ctx = nullptr;
  if (!check(s.drv.devicePrimaryCtxRetain(&ctx, dev),
             "cuDevicePrimaryCtxRetain"))
    return nullptr;
  s.contexts[device] = ctx;
  return ctx;
}

thread_local uint64_t tlsGeneration = 0;
thread_local CUcontext tlsContext = nullptr;

std::string moduleKind(const void *data, size_t size, bool jit) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  if (data && size >= 4) {
    if (bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' &&
        bytes[3] == 'F')
      return "cubin";
    uint32_t magic;
    std::memcpy(&magic, bytes, 4);
    if (magic == 0xBA55ED50u || magic == 0x466243B1u)
      return "fatbin";
  }
  return jit ? "PTX" : "image";
}

} // namespace

namespace flops {
namespace gpu {

uint64_t generation() { return state().generation.load(); }

bool syncLaunches() {
  static const bool enabled = envFlag("FLOPS_CUDA_SYNC_LAUNCHES");
  return enabled;
}

void copyOut(const std::string &s, char *out, int64_t capacity) {
  if (!out || capacity <= 0)
    return;
  size_t n = std::min<size_t>(s.size(), static_cast<size_t>(capacity - 1));
  std::memcpy(out, s.data(), n);
  out[n] = '\0';
}

void recordError(const std::string &message) {
  static const bool verbose = envFlag("FLOPS_CUDA_VERBOSE");
  if (verbose)
    std::fprintf(stderr, "flops-cuda-runtime: %s\n", message.c_str());
  State &s = state();
  std::lock_guard<std::mutex> lock(s.errMu);
  if (s.error.empty())
    s.error = message;
}

std::string describeResult(CUresult result) {
  State &s = state();
  const char *name = nullptr, *text = nullptr;
  if (s.loadState.load() != NotLoaded) {
    if (s.drv.getErrorName && s.drv.getErrorName(result, &name) != CUDA_SUCCESS)
      name = nullptr;
    if (s.drv.getErrorString &&
        s.drv.getErrorString(result, &text) != CUDA_SUCCESS)
      text = nullptr;
  }
  if (!name)
    name = builtinResultName(result);
  std::string out = name ? name : "CUresult " + std::to_string(result);
  if (text && *text)
    out += std::string(" (") + text + ")";
  return out;
}

bool check(CUresult result, const char *call, const std::string &where) {
  if (result == CUDA_SUCCESS)
    return true;
  recordError(std::string(call) + " failed" + where + ": " +
              describeResult(result));
  return false;
}

std::string probe() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  loadLocked(s);
  return s.loadState.load() == Loaded ? std::string() : s.loadError;
}

const DriverApi *acquire(const char *caller) {
  State &s = state();
  CUcontext ctx = nullptr;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!loadLocked(s)) {
      recordError(std::string(caller) + ": " + s.loadError);
      return nullptr;
    }
    ctx = contextLocked(s, s.defaultDevice.load(), caller);
    if (!ctx)
      return nullptr;
  }
  uint64_t gen = s.generation.load();
  if (tlsGeneration != gen || tlsContext != ctx) {
    if (!check(s.drv.ctxSetCurrent(ctx), "cuCtxSetCurrent",
               std::string(" in ") + caller))
      return nullptr;
    tlsGeneration = gen;
    tlsContext = ctx;
  }
  return &s.drv;
}

void registerModule(CUmodule module, const void *data, size_t size, bool jit) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  ModuleRecord &rec = s.modules[module];
  rec.functions.clear();
  rec.description = "module #" + std::to_string(s.nextModuleId++) + " (" +
                    moduleKind(data, size, jit) + ", " + std::to_string(size) +
                    " bytes)";
}

void unregisterModule(CUmodule module) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  s.modules.erase(module);
}

CUfunction lookupFunction(const DriverApi &drv, CUmodule module,
                          const char *name) {
  State &s = state();
  std::string moduleDescription = "an unregistered module";
  {
    std::lock_guard<std::mutex> lock(s.regMu);
    auto it = s.modules.find(module);
    if (it != s.modules.end()) {
      auto f = it->second.functions.find(name);
      if (f != it->second.functions.end())
        return f->second;
      moduleDescription = it->second.description;
    }
  }
  CUfunction function = nullptr;
  if (!check(drv.moduleGetFunction(&function, module, name),
             "cuModuleGetFunction",
             std::string(" for kernel `") + name + "` in " + moduleDescription))
    return nullptr;
  auto record = std::make_shared<FunctionRecord>();
  record->name = name;
  record->module = moduleDescription;
  std::lock_guard<std::mutex> lock(s.regMu);
  auto it = s.modules.find(module);
  if (it != s.modules.end())
    it->second.functions[name] = function;
  auto &slot = s.functions[function];
  // Keep an earlier record (and its raised shared-memory limit) for the same
  // function.
  if (!slot || slot->name != record->name || slot->module != record->module)
    slot = std::move(record);
  return function;
}

static std::string describeRecord(const FunctionRecord *rec) {
  if (!rec)
    return "";
  return " for kernel `" + rec->name + "` in " + rec->module;
}

std::string describeFunction(CUfunction function) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  auto it = s.functions.find(function);
  if (it == s.functions.end()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), " for an unknown function %p",
                  static_cast<void *>(function));
    return buf;
  }
  return describeRecord(it->second.get());
}

bool prepareSharedMemory(const DriverApi &drv, CUfunction function,
                         unsigned smem) {
  if (smem <= kDefaultDynamicSharedLimit)
    return true;
  State &s = state();
  std::shared_ptr<const FunctionRecord> rec;
  {
    std::lock_guard<std::mutex> lock(s.regMu);
    auto it = s.functions.find(function);
    if (it != s.functions.end()) {
      rec = it->second;
      if (rec->smemLimit >= smem)
        return true;
    }
  }
  CUresult r = drv.funcSetAttribute(
      function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
      static_cast<int>(smem));
  if (r != CUDA_SUCCESS) {
    std::string call = "cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_"
                       "SHARED_SIZE_BYTES=" +
                       std::to_string(smem) + ")";
    check(r, call.c_str(), describeFunction(function));
    return false;
  }
  if (rec) {
    auto updated = std::make_shared<FunctionRecord>(*rec);
    updated->smemLimit = smem;
    std::lock_guard<std::mutex> lock(s.regMu);
    s.functions[function] = std::move(updated);
  }
  return true;
}

void noteLaunch(CUstream stream, CUfunction function) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  auto it = s.functions.find(function);
  if (it != s.functions.end())
    s.lastLaunch[stream] = it->second;
}

void noteEventRecord(CUevent event, CUstream stream) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  auto it = s.lastLaunch.find(stream);
  if (it != s.lastLaunch.end())
    s.eventLaunch[event] = it->second;
  else
    s.eventLaunch.erase(event);
}

std::string describeLastLaunchOnStream(CUstream stream) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  auto it = s.lastLaunch.find(stream);
  if (it == s.lastLaunch.end())
    return "";
  return " (last kernel launched on the stream: `" + it->second->name +
         "` in " + it->second->module + ")";
}

std::string describeLastLaunchBeforeEvent(CUevent event) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  auto it = s.eventLaunch.find(event);
  if (it == s.eventLaunch.end())
    return "";
  return " (last kernel launched before the event: `" + it->second->name +
         "` in " + it->second->module + ")";
}

void forgetStream(CUstream stream) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  s.lastLaunch.erase(stream);
}

void forgetEvent(CUevent event) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.regMu);
  s.eventLaunch.erase(event);
}

void setDefaultDevice(int device) { state().defaultDevice.store(device); }

int deviceCount() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.loadState.load() == Loaded ? s.deviceCount : 0;
}

void resetDriverForTesting() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  std::lock_guard<std::mutex> regLock(s.regMu);
  std::lock_guard<std::mutex> errLock(s.errMu);
  if (s.library)
    dlclose(s.library);
  s.library = nullptr;
  s.drv = DriverApi();
  s.loadError.clear();
  s.loadState.store(NotLoaded);
  s.deviceCount = 0;
  s.contexts.clear();
  s.defaultDevice.store(0);
  s.modules.clear();
  s.functions.clear();
  s.lastLaunch.clear();
  s.eventLaunch.clear();
  s.nextModuleId = 1;
  s.error.clear();
  s.generation.fetch_add(1);
}

std::string takeError() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.errMu);
  std::string e;
  e.swap(s.error);
  return e;
}

} // namespace gpu
} // namespace flops
