//===- FakeCuda.cpp - A fake CUDA driver over host memory (tests only) ----===//
//
// Exports the driver entry points FlopsCudaRuntime loads (CudaApi.h), with
// "device" memory in host memory, streams/events as counted tokens, modules
// from the text format of FakeCuda.h, and every launch recorded. Any call
// can be told to fail (flopsFakeCudaFail / FLOPS_FAKE_CUDA_FAIL).
//
//===----------------------------------------------------------------------===//

#include "FakeCuda.h"

#include "CudaApi.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace flops::gpu::api;

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

struct FakeFunction {
  std::string name;
  std::vector<unsigned> paramSizes;
  std::map<int, int> attributes;
};

struct FakeModule {
  std::vector<FakeFunction *> functions;
};

// A captured stream's launches (cuStreamBeginCapture .. cuStreamEndCapture).
struct FakeGraph {
  std::vector<FlopsFakeLaunch> launches;
  bool invalidated = false;
};

struct FailRule {
  CUresult result;
  int skip;
  int times;
};

struct Fake {
  std::mutex mu;
  int deviceCount = 1;
  std::map<std::string, FailRule> failures;
  std::map<std::string, int> calls;
  std::map<uintptr_t, size_t> allocations;
  std::map<uintptr_t, size_t> registered;
  std::set<FakeModule *> modules;
  int liveStreams = 0, liveEvents = 0;
  std::vector<FlopsFakeLaunch> launches;
  bool envRead = false;
  bool anyImage = false; // FLOPS_FAKE_CUDA_ANY_IMAGE
  bool trace = false;    // FLOPS_FAKE_CUDA_TRACE
  // FLOPS_FAKE_CUDA_PROTECT: cuMemAlloc memory (plain device memory) is
  // mmap'ed PROT_NONE, opened only inside the fake's own copies and memsets,
  // so that any host access to a device buffer faults. Managed memory stays
  // host memory.
  bool protect = false;
  std::map<uintptr_t, size_t> mapped; // protected allocations: mapped bytes
  std::map<CUstream, FakeGraph *> capturing;
  int liveGraphs = 0, liveGraphExecs = 0;
};

Fake &fake() {
  static Fake *f = new Fake;
  return *f;
}

std::string baseName(std::string call) {
  if (call.size() > 3 && call.compare(call.size() - 3, 3, "_v2") == 0)
    call.resize(call.size() - 3);
  return call;
}

void readEnvLocked(Fake &f) {
  if (f.envRead)
    return;
  f.envRead = true;
  auto flag = [](const char *name) {
    const char *v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
  };
  f.anyImage = flag("FLOPS_FAKE_CUDA_ANY_IMAGE");
  f.trace = flag("FLOPS_FAKE_CUDA_TRACE");
  f.protect = flag("FLOPS_FAKE_CUDA_PROTECT");
  if (const char *n = std::getenv("FLOPS_FAKE_CUDA_DEVICES"))
    f.deviceCount = std::atoi(n);
  if (const char *spec = std::getenv("FLOPS_FAKE_CUDA_FAIL")) {
    std::string s = spec;
    size_t eq = s.find('=');
    if (eq != std::string::npos)
      f.failures[baseName(s.substr(0, eq))] = {
          std::atoi(s.c_str() + eq + 1), 0, -1};
  }
}

// Counts the call and returns the injected failure, if any.
CUresult enter(const char *call) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  readEnvLocked(f);
  std::string name = baseName(call);
  ++f.calls[name];
  auto it = f.failures.find(name);
  if (it == f.failures.end())
    return CUDA_SUCCESS;
  FailRule &rule = it->second;
  if (rule.skip > 0) {
    --rule.skip;
    return CUDA_SUCCESS;
  }
  CUresult r = rule.result;
  if (rule.times > 0 && --rule.times == 0)
    f.failures.erase(it);
  return r;
}

bool tracing() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  readEnvLocked(f);
  return f.trace;
}

bool anyImage() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  readEnvLocked(f);
  return f.anyImage;
}

#define ENTER(name)                                                            \
  if (CUresult injected = enter(name))                                         \
  return injected

CUdeviceptr toDevice(void *p) { return reinterpret_cast<uintptr_t>(p); }
void *toHost(CUdeviceptr p) { return reinterpret_cast<void *>(p); }

// Device pointers must lie inside a live allocation (host pointers are
// accepted too: unified addressing).
bool validDeviceRange(CUdeviceptr p, size_t bytes) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  auto it = f.allocations.upper_bound(p);
  if (it == f.allocations.begin())
    return false;
  --it;
  return p >= it->first && p + bytes <= it->first + it->second;
}

// The protected allocation containing p (with its mapped size), if any.
bool protectedRange(uintptr_t p, uintptr_t *base, size_t *bytes) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  auto it = f.mapped.upper_bound(p);
  if (it == f.mapped.begin())
    return false;
  --it;
  if (p < it->first || p >= it->first + it->second)
    return false;
  *base = it->first;
  *bytes = it->second;
  return true;
}

/// Opens the protected allocations that [p, p + n) touches for the fake's
/// own access, and closes them again when it goes out of scope.
class DeviceAccess {
public:
  void open(const void *p, size_t n) {
    uintptr_t base;
    size_t bytes;
    if (n == 0 || !protectedRange(reinterpret_cast<uintptr_t>(p), &base, &bytes))
      return;
    mprotect(reinterpret_cast<void *>(base), bytes, PROT_READ | PROT_WRITE);
    opened.push_back({base, bytes});
  }
  ~DeviceAccess() {
    for (auto &[base, bytes] : opened)
      mprotect(reinterpret_cast<void *>(base), bytes, PROT_NONE);
  }

private:
  std::vector<std::pair<uintptr_t, size_t>> opened;
};

CUresult recordLaunch(CUfunction function, const unsigned grid[3],
                      const unsigned block[3], const unsigned cluster[3],
                      unsigned smem, CUstream stream, void **params) {
  auto *fn = reinterpret_cast<FakeFunction *>(function);
  if (!fn)
    return CUDA_ERROR_INVALID_HANDLE;
  for (int i = 0; i < 3; ++i)
    if (grid[i] == 0 || block[i] == 0)
      return CUDA_ERROR_INVALID_VALUE;
  // Like the real driver: above 48 KB the kernel must have opted in.
  if (smem > kDefaultDynamicSharedLimit) {
    auto it = fn->attributes.find(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
    if (it == fn->attributes.end() || unsigned(it->second) < smem)
      return CUDA_ERROR_INVALID_VALUE;
  }
  FlopsFakeLaunch l;
  std::memset(&l, 0, sizeof(l));
  std::strncpy(l.name, fn->name.c_str(), sizeof(l.name) - 1);
  for (int i = 0; i < 3; ++i) {
    l.grid[i] = grid[i];
    l.block[i] = block[i];
    l.cluster[i] = cluster[i];
  }
  l.smem = smem;
  l.stream = stream;
  l.numParams = static_cast<int>(fn->paramSizes.size());
  for (size_t i = 0; i < fn->paramSizes.size() && i < 8; ++i) {
    if (!params || !params[i])
      return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(&l.params[i], params[i], std::min(8u, fn->paramSizes[i]));
  }
  bool captured;
  {
    Fake &f = fake();
    std::lock_guard<std::mutex> lock(f.mu);
    captured = f.capturing.count(stream) != 0;
  }
  if (tracing())
    std::fprintf(stderr,
                 captured ? "fake-cuda: capture %s grid (%u, %u, %u) block "
                            "(%u, %u, %u) cluster (%u, %u, %u) smem %u\n"
                          : "fake-cuda: launch %s grid (%u, %u, %u) block (%u, %u, %u) "
                 "cluster (%u, %u, %u) smem %u\n",
                 l.name, grid[0], grid[1], grid[2], block[0], block[1],
                 block[2], cluster[0], cluster[1], cluster[2], smem);
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  auto capture = f.capturing.find(stream);
  if (capture != f.capturing.end()) {
    // Captured, not run: the graph's launch replays it.
    capture->second->launches.push_back(l);
    return CUDA_SUCCESS;
  }
  f.launches.push_back(l);
  return CUDA_SUCCESS;
}

const char *errorName(CUresult r) {
  switch (r) {
  case CUDA_SUCCESS: return "CUDA_SUCCESS";
  case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
  case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
  case CUDA_ERROR_NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
  case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
  case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
  case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
  case CUDA_ERROR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case CUDA_ERROR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
  case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED:
    return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
  case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED:
    return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
  default: return nullptr;
  }
}

const char *errorString(CUresult r) {
  switch (r) {
  case CUDA_SUCCESS: return "no error";
  case CUDA_ERROR_INVALID_VALUE: return "invalid argument";
  case CUDA_ERROR_OUT_OF_MEMORY: return "out of memory";
  case CUDA_ERROR_NO_DEVICE: return "no CUDA-capable device is detected";
  case CUDA_ERROR_INVALID_IMAGE: return "device kernel image is invalid";
  case CUDA_ERROR_INVALID_HANDLE: return "invalid resource handle";
  case CUDA_ERROR_NOT_FOUND: return "named symbol not found";
  case CUDA_ERROR_ILLEGAL_ADDRESS:
    return "an illegal memory access was encountered";
  case CUDA_ERROR_LAUNCH_FAILED: return "unspecified launch failure";
  case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED:
    return "operation not permitted when stream is capturing";
  case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED:
    return "operation failed due to a previous error during capture";
  default: return nullptr;
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Driver API.
//===----------------------------------------------------------------------===//

FAKE_EXPORT CUresult cuInit(unsigned int) {
  ENTER("cuInit");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDriverGetVersion(int *version) {
  ENTER("cuDriverGetVersion");
  *version = 13000;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetCount(int *count) {
  ENTER("cuDeviceGetCount");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  *count = f.deviceCount;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  ENTER("cuDeviceGet");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  if (ordinal < 0 || ordinal >= f.deviceCount)
    return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice device) {
  ENTER("cuDeviceGetName");
  std::string n = "FLOPS Fake GPU " + std::to_string(device);
  std::strncpy(name, n.c_str(), len);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attr,
                                          CUdevice) {
  ENTER("cuDeviceGetAttribute");
  switch (attr) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = 9; break;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = 0; break;
  case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = 132; break;
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
    *value = 232448;
    break;
  default: return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice) {
  ENTER("cuDeviceTotalMem_v2");
  // FLOPS_FAKE_CUDA_MEMORY_MIB: the device memory reported (default 1024).
  const char *mib = std::getenv("FLOPS_FAKE_CUDA_MEMORY_MIB");
  *bytes = (mib ? size_t(std::atoll(mib)) : size_t(1024)) << 20;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx,
                                              CUdevice device) {
  ENTER("cuDevicePrimaryCtxRetain");
  static char contexts[16];
  *ctx = reinterpret_cast<CUcontext>(&contexts[device & 15]);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxSetCurrent(CUcontext) {
  ENTER("cuCtxSetCurrent");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleLoadDataEx(CUmodule *module, const void *image,
                                        unsigned int numOptions,
                                        CUjit_option *options,
                                        void **values) {
  ENTER("cuModuleLoadDataEx");
  std::istringstream in(static_cast<const char *>(image));
  std::string line;
  bool fakeFormat = std::getline(in, line) && line == "FLOPS-FAKE-MODULE";
  if (!fakeFormat && anyImage()) {
    // A real cubin/fatbin/PTX: accept it; functions are made up on lookup.
    auto *m = new FakeModule;
    if (tracing())
      std::fprintf(stderr, "fake-cuda: module load (any image)\n");
    Fake &f = fake();
    std::lock_guard<std::mutex> lock(f.mu);
    f.modules.insert(m);
    *module = reinterpret_cast<CUmodule>(m);
    return CUDA_SUCCESS;
  }
  if (!fakeFormat) {
    for (unsigned i = 0; i < numOptions; ++i)
      if (options[i] == CU_JIT_ERROR_LOG_BUFFER) {
        for (unsigned j = 0; j < numOptions; ++j)
          if (options[j] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) {
            size_t cap = reinterpret_cast<uintptr_t>(values[j]);
            std::snprintf(static_cast<char *>(values[i]), cap,
                          "fake: not a FLOPS-FAKE-MODULE image");
          }
      }
    return CUDA_ERROR_INVALID_IMAGE;
  }
  auto *m = new FakeModule;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword, name;
    if (!(words >> keyword >> name) || keyword != "kernel")
      continue;
    auto *fn = new FakeFunction;
    fn->name = name;
    unsigned size;
    while (words >> size)
      fn->paramSizes.push_back(size);
    m->functions.push_back(fn);
  }
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  f.modules.insert(m);
  *module = reinterpret_cast<CUmodule>(m);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleUnload(CUmodule module) {
  ENTER("cuModuleUnload");
  if (tracing())
    std::fprintf(stderr, "fake-cuda: module unload\n");
  auto *m = reinterpret_cast<FakeModule *>(module);
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  if (!f.modules.erase(m))
    return CUDA_ERROR_INVALID_HANDLE;
  for (FakeFunction *fn : m->functions)
    delete fn;
  delete m;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleGetFunction(CUfunction *function,
                                         CUmodule module, const char *name) {
  ENTER("cuModuleGetFunction");
  auto *m = reinterpret_cast<FakeModule *>(module);
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  if (!f.modules.count(m))
    return CUDA_ERROR_INVALID_HANDLE;
  for (FakeFunction *fn : m->functions)
    if (fn->name == name) {
      *function = reinterpret_cast<CUfunction>(fn);
      return CUDA_SUCCESS;
    }
  if (f.anyImage) {
    // Parameters unknown: launches record none.
    auto *fn = new FakeFunction;
    fn->name = name;
    m->functions.push_back(fn);
    *function = reinterpret_cast<CUfunction>(fn);
    return CUDA_SUCCESS;
  }
  return CUDA_ERROR_NOT_FOUND;
}

FAKE_EXPORT CUresult cuFuncSetAttribute(CUfunction function,
                                        CUfunction_attribute attr, int value) {
  ENTER("cuFuncSetAttribute");
  auto *fn = reinterpret_cast<FakeFunction *>(function);
  if (!fn)
    return CUDA_ERROR_INVALID_HANDLE;
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  fn->attributes[attr] = value;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuLaunchKernel(CUfunction function, unsigned gx,
                                    unsigned gy, unsigned gz, unsigned bx,
                                    unsigned by, unsigned bz, unsigned smem,
                                    CUstream stream, void **params, void **) {
  ENTER("cuLaunchKernel");
  unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz},
           cluster[3] = {1, 1, 1};
  return recordLaunch(function, grid, block, cluster, smem, stream, params);
}

FAKE_EXPORT CUresult cuLaunchKernelEx(const CUlaunchConfig *config,
                                      CUfunction function, void **params,
                                      void **) {
  ENTER("cuLaunchKernelEx");
  unsigned grid[3] = {config->gridDimX, config->gridDimY, config->gridDimZ};
  unsigned block[3] = {config->blockDimX, config->blockDimY,
                       config->blockDimZ};
  unsigned cluster[3] = {1, 1, 1};
  for (unsigned i = 0; i < config->numAttrs; ++i)
    if (config->attrs[i].id == CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION) {
      cluster[0] = config->attrs[i].value.clusterDim.x;
      cluster[1] = config->attrs[i].value.clusterDim.y;
      cluster[2] = config->attrs[i].value.clusterDim.z;
    }
  for (int i = 0; i < 3; ++i)
    if (cluster[i] == 0 || grid[i] % cluster[i] != 0)
      return CUDA_ERROR_INVALID_VALUE;
  return recordLaunch(function, grid, block, cluster, config->sharedMemBytes,
                      config->hStream, params);
}

FAKE_EXPORT CUresult cuStreamCreate(CUstream *stream, unsigned int) {
  ENTER("cuStreamCreate");
  if (tracing())
    std::fprintf(stderr, "fake-cuda: stream create\n");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  ++f.liveStreams;
  *stream = reinterpret_cast<CUstream>(new char(0));
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamSynchronize(CUstream stream) {
  ENTER("cuStreamSynchronize");
  {
    // Like the driver: illegal while capturing, and it ends the capture's
    // chances.
    Fake &f = fake();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.capturing.find(stream);
    if (it != f.capturing.end()) {
      it->second->invalidated = true;
      return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
  }
  if (tracing())
    std::fprintf(stderr, "fake-cuda: stream synchronize\n");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamDestroy_v2(CUstream stream) {
  ENTER("cuStreamDestroy_v2");
  if (tracing())
    std::fprintf(stderr, "fake-cuda: stream destroy\n");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  --f.liveStreams;
  delete reinterpret_cast<char *>(stream);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamBeginCapture_v2(CUstream stream, int mode) {
  ENTER("cuStreamBeginCapture_v2");
  if (!stream || mode < 0 || mode > 2)
    return CUDA_ERROR_INVALID_VALUE;
  if (tracing())
    std::fprintf(stderr, "fake-cuda: begin capture\n");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  if (f.capturing.count(stream))
    return CUDA_ERROR_INVALID_VALUE;
  f.capturing[stream] = new FakeGraph;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamEndCapture(CUstream stream, CUgraph *graph) {
  ENTER("cuStreamEndCapture");
  if (tracing())
    std::fprintf(stderr, "fake-cuda: end capture\n");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  auto it = f.capturing.find(stream);
  if (it == f.capturing.end())
    return CUDA_ERROR_INVALID_VALUE;
  FakeGraph *g = it->second;
  f.capturing.erase(it);
  if (g->invalidated) {
    delete g;
    *graph = nullptr;
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  }
  ++f.liveGraphs;
  *graph = reinterpret_cast<CUgraph>(g);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphInstantiateWithFlags(CUgraphExec *exec,
                                                 CUgraph graph,
                                                 unsigned long long) {
  ENTER("cuGraphInstantiateWithFlags");
  if (!graph)
    return CUDA_ERROR_INVALID_VALUE;
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  ++f.liveGraphExecs;
  *exec = reinterpret_cast<CUgraphExec>(
      new FakeGraph(*reinterpret_cast<FakeGraph *>(graph)));
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphLaunch(CUgraphExec exec, CUstream) {
  ENTER("cuGraphLaunch");
  if (!exec)
    return CUDA_ERROR_INVALID_VALUE;
  auto *g = reinterpret_cast<FakeGraph *>(exec);
  if (tracing())
    std::fprintf(stderr, "fake-cuda: graph launch (%zu kernels)\n",
                 g->launches.size());
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  f.launches.insert(f.launches.end(), g->launches.begin(), g->launches.end());
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphExecDestroy(CUgraphExec exec) {
  ENTER("cuGraphExecDestroy");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  --f.liveGraphExecs;
  delete reinterpret_cast<FakeGraph *>(exec);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphDestroy(CUgraph graph) {
  ENTER("cuGraphDestroy");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  --f.liveGraphs;
  delete reinterpret_cast<FakeGraph *>(graph);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamWaitEvent(CUstream, CUevent, unsigned int) {
  ENTER("cuStreamWaitEvent");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventCreate(CUevent *event, unsigned int) {
  ENTER("cuEventCreate");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  ++f.liveEvents;
  *event = reinterpret_cast<CUevent>(new char(0));
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventRecord(CUevent, CUstream) {
  ENTER("cuEventRecord");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventSynchronize(CUevent) {
  ENTER("cuEventSynchronize");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventDestroy_v2(CUevent event) {
  ENTER("cuEventDestroy_v2");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  --f.liveEvents;
  delete reinterpret_cast<char *>(event);
  return CUDA_SUCCESS;
}

static CUresult allocate(CUdeviceptr *ptr, size_t bytes,
                         bool device = false) {
  if (bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  size_t rounded = (bytes + 255) / 256 * 256;
  bool protect;
  {
    Fake &f = fake();
    std::lock_guard<std::mutex> lock(f.mu);
    readEnvLocked(f);
    protect = device && f.protect;
  }
  if (protect) {
    // Zero-filled by mmap; no host access until a fake copy opens it.
    size_t page = size_t(sysconf(_SC_PAGESIZE));
    size_t mappedBytes = (rounded + page - 1) / page * page;
    void *p = mmap(nullptr, mappedBytes, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return CUDA_ERROR_OUT_OF_MEMORY;
    Fake &f = fake();
    std::lock_guard<std::mutex> lock(f.mu);
    f.allocations[toDevice(p)] = bytes;
    f.mapped[toDevice(p)] = mappedBytes;
    *ptr = toDevice(p);
    return CUDA_SUCCESS;
  }
  void *p = std::aligned_alloc(256, rounded);
  if (!p)
    return CUDA_ERROR_OUT_OF_MEMORY;
  // Zeroed: the fake's kernels never run, so what host code then reads
  // (and the control flow that depends on it) is the same on every run.
  std::memset(p, 0, rounded);
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  f.allocations[toDevice(p)] = bytes;
  *ptr = toDevice(p);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  ENTER("cuMemAlloc_v2");
  if (tracing())
    std::fprintf(stderr, "fake-cuda: alloc %zu bytes\n", bytes);
  return allocate(ptr, bytes, /*device=*/true);
}

FAKE_EXPORT CUresult cuMemAllocManaged(CUdeviceptr *ptr, size_t bytes,
                                       unsigned int flags) {
  ENTER("cuMemAllocManaged");
  if (flags != CU_MEM_ATTACH_GLOBAL)
    return CUDA_ERROR_INVALID_VALUE;
  return allocate(ptr, bytes);
}

FAKE_EXPORT CUresult cuMemFree_v2(CUdeviceptr ptr) {
  ENTER("cuMemFree_v2");
  if (tracing())
    std::fprintf(stderr, "fake-cuda: free\n");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  if (!f.allocations.erase(ptr))
    return CUDA_ERROR_INVALID_VALUE;
  auto m = f.mapped.find(ptr);
  if (m != f.mapped.end()) {
    munmap(toHost(ptr), m->second);
    f.mapped.erase(m);
    return CUDA_SUCCESS;
  }
  std::free(toHost(ptr));
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src,
                                   size_t bytes, CUstream) {
  ENTER("cuMemcpyAsync");
  if (tracing())
    std::fprintf(stderr, "fake-cuda: copy %zu bytes\n", bytes);
  DeviceAccess access;
  access.open(toHost(dst), bytes);
  access.open(toHost(src), bytes);
  std::memmove(toHost(dst), toHost(src), bytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src,
                                     size_t bytes) {
  ENTER("cuMemcpyHtoD_v2");
  if (!validDeviceRange(dst, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  DeviceAccess access;
  access.open(toHost(dst), bytes);
  std::memcpy(toHost(dst), src, bytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value,
                                      size_t count, CUstream) {
  ENTER("cuMemsetD32Async");
  if (!validDeviceRange(dst, count * 4))
    return CUDA_ERROR_INVALID_VALUE;
  DeviceAccess access;
  access.open(toHost(dst), count * 4);
  auto *p = static_cast<uint32_t *>(toHost(dst));
  for (size_t i = 0; i < count; ++i)
    p[i] = value;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value,
                                      size_t count, CUstream) {
  ENTER("cuMemsetD16Async");
  if (!validDeviceRange(dst, count * 2))
    return CUDA_ERROR_INVALID_VALUE;
  DeviceAccess access;
  access.open(toHost(dst), count * 2);
  auto *p = static_cast<uint16_t *>(toHost(dst));
  for (size_t i = 0; i < count; ++i)
    p[i] = value;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemHostRegister_v2(void *p, size_t bytes,
                                          unsigned int) {
  ENTER("cuMemHostRegister_v2");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  f.registered[reinterpret_cast<uintptr_t>(p)] = bytes;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemHostUnregister(void *p) {
  ENTER("cuMemHostUnregister");
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  if (!f.registered.erase(reinterpret_cast<uintptr_t>(p)))
    return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGetErrorName(CUresult r, const char **name) {
  *name = errorName(r);
  return *name ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT CUresult cuGetErrorString(CUresult r, const char **text) {
  *text = errorString(r);
  return *text ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// Writes what it was given into the map, so that tests can check the
// runtime's translation of the memref: opaque[0] = type | rank << 8 |
// interleave << 16 | swizzle << 24 | l2 << 32 | oob << 40, [1] = address,
// [2..6] = global dims, [7..10] = global strides, [11..15] = box dims (all
// innermost first).
FAKE_EXPORT CUresult cuTensorMapEncodeTiled(
    CUtensorMap *map, CUtensorMapDataType type, cuuint32_t rank, void *address,
    const cuuint64_t *globalDim, const cuuint64_t *globalStrides,
    const cuuint32_t *boxDim, const cuuint32_t *elementStrides,
    CUtensorMapInterleave interleave, CUtensorMapSwizzle swizzle,
    CUtensorMapL2promotion l2, CUtensorMapFloatOOBfill oob) {
  ENTER("cuTensorMapEncodeTiled");
  if (rank < 1 || rank > 5)
    return CUDA_ERROR_INVALID_VALUE;
  std::memset(map, 0, sizeof(*map));
  map->opaque[0] = uint64_t(type) | uint64_t(rank) << 8 |
                   uint64_t(interleave) << 16 | uint64_t(swizzle) << 24 |
                   uint64_t(l2) << 32 | uint64_t(oob) << 40;
  map->opaque[1] = reinterpret_cast<uintptr_t>(address);
  for (cuuint32_t i = 0; i < rank; ++i) {
    if (elementStrides[i] != 1)
      return CUDA_ERROR_INVALID_VALUE;
    map->opaque[2 + i] = globalDim[i];
    map->opaque[11 + i] = boxDim[i];
  }
  for (cuuint32_t i = 0; i + 1 < rank; ++i)
    map->opaque[7 + i] = globalStrides[i];
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Control API.
//===----------------------------------------------------------------------===//

FAKE_EXPORT void flopsFakeCudaReset() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  f.deviceCount = 1;
  f.failures.clear();
  f.calls.clear();
  for (auto &a : f.allocations) {
    auto m = f.mapped.find(a.first);
    if (m != f.mapped.end())
      munmap(toHost(a.first), m->second);
    else
      std::free(toHost(a.first));
  }
  f.allocations.clear();
  f.mapped.clear();
  f.registered.clear();
  f.modules.clear(); // leaked on purpose: the runtime may still hold handles
  f.liveStreams = f.liveEvents = 0;
  f.capturing.clear(); // leaked on purpose, as the modules
  f.liveGraphs = f.liveGraphExecs = 0;
  f.launches.clear();
  f.envRead = false;
}

FAKE_EXPORT void flopsFakeCudaFail(const char *call, int result, int skip,
                                   int times) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  readEnvLocked(f);
  if (result == 0)
    f.failures.erase(baseName(call));
  else
    f.failures[baseName(call)] = {result, skip, times};
}

FAKE_EXPORT void flopsFakeCudaSetDeviceCount(int count) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  readEnvLocked(f);
  f.deviceCount = count;
}

FAKE_EXPORT int flopsFakeCudaCallCount(const char *call) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  auto it = f.calls.find(baseName(call));
  return it == f.calls.end() ? 0 : it->second;
}

FAKE_EXPORT int flopsFakeCudaLaunchCount() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  return static_cast<int>(f.launches.size());
}

FAKE_EXPORT int flopsFakeCudaGetLaunch(int index, FlopsFakeLaunch *out) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  if (index < 0 || size_t(index) >= f.launches.size())
    return 1;
  *out = f.launches[index];
  return 0;
}

FAKE_EXPORT int64_t flopsFakeCudaLiveAllocations() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  return static_cast<int64_t>(f.allocations.size());
}

FAKE_EXPORT int flopsFakeCudaLiveStreams() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  return f.liveStreams;
}

FAKE_EXPORT int flopsFakeCudaLiveGraphs() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  return f.liveGraphs + f.liveGraphExecs;
}

FAKE_EXPORT int flopsFakeCudaLiveEvents() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  return f.liveEvents;
}

FAKE_EXPORT int flopsFakeCudaFuncAttribute(const char *name, int attribute) {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  for (FakeModule *m : f.modules)
    for (FakeFunction *fn : m->functions)
      if (fn->name == name) {
        auto it = fn->attributes.find(attribute);
        if (it != fn->attributes.end())
          return it->second;
      }
  return -1;
}

FAKE_EXPORT int64_t flopsFakeCudaRegisteredBytes() {
  Fake &f = fake();
  std::lock_guard<std::mutex> lock(f.mu);
  int64_t total = 0;
  for (auto &r : f.registered)
    total += static_cast<int64_t>(r.second);
  return total;
}
