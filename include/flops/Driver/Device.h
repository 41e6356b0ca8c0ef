//===- Device.h - where the driver's compiled code runs ---------*- C++ -*-===//
//
// `--device cpu|cuda` (docs/CLI.md, "Devices"). The CPU is the default and
// needs nothing: Program compiles with flops-lower-to-cpu and Buffers are
// host memory. The CUDA device (CudaDevice.cpp) loads libFlopsCudaRuntime at
// run time (so the tools start on a machine without a GPU), checks that a
// driver and a device exist, and then
//  - names the lowering pipeline (flops-lower-to-cuda with out-params),
//  - gives the JIT the runtime library that resolves the mgpu* / flopsGpu*
//    symbols of the host code,
//  - allocates the Buffers the step reads and writes (parameters, optimizer
//    and allocator state, batches, metrics) as CUDA managed memory: they
//    stay on the device between steps and the host touches only what it
//    reads or writes (a batch in, the metrics out); the total is bounded by
//    a fraction of the device's memory (docs/GPU-CODEGEN.md, "Memory model"),
//  - turns the runtime's pending error after a call into a message.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_DEVICE_H
#define FLOPS_DRIVER_DEVICE_H

#include "flops/Runtime/StepABI.h"

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::flops::driver {

enum class DeviceKind { CPU, CUDA };

/// "cpu", "cuda".
const char *deviceName(DeviceKind kind);

class Device : public ::flops::rt::MemorySpace {
public:
  ~Device() override;
  int memoryKind() const override { return int(kind()); }
  virtual DeviceKind kind() const = 0;
  /// One line for banners and notes ("cuda device 0: NVIDIA H200, ...").
  virtual std::string description() const = 0;
  /// The textual lowering pipeline (inside builtin.module(...)).
  virtual std::string loweringPipeline() const = 0;
  /// Shared libraries the JIT must search for the lowered code's symbols.
  virtual std::vector<std::string> sharedLibraries() const = 0;
  /// `bytes` of memory that both the compiled code and the host can use, or
  /// nullptr with `error`.
  void *allocate(size_t bytes, std::string *error) override = 0;
  void release(void *p) override = 0;
  /// After a call of compiled code: false with the device's pending error
  /// (naming `entry`), if any.
  virtual bool checkCall(llvm::StringRef entry, std::string *error) = 0;
};

struct CudaDeviceOptions {
  /// Extra `key=value` options of flops-lower-to-cuda, space separated.
  std::string pipelineOptions;
  /// libFlopsCudaRuntime.so; empty = $FLOPS_CUDA_RUNTIME, else next to the
  /// tool (../lib), else the build tree's.
  std::string runtimePath;
  /// The managed memory the driver may allocate, as a fraction of the
  /// device's memory.
  double memoryFraction = 0.5;
};

/// Loads the runtime, checks the driver and device 0. Fails with the
/// runtime's "no CUDA driver: ..." / "no CUDA device: ..." message.
std::unique_ptr<Device> openCudaDevice(const CudaDeviceOptions &options,
                                       std::string *error);

/// `flops-lower-to-cuda{out-params=true OPTIONS}`: the CUDA device's
/// lowering pipeline (flops-compile uses it without opening a device).
std::string cudaLoweringPipeline(const std::string &pipelineOptions);

/// The runtime library openCudaDevice would load (see runtimePath).
std::string defaultCudaRuntimePath();

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_DEVICE_H
