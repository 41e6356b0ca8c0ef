//===- CompileFlags.h - the tools' shared compilation options ---*- C++ -*-===//
//
// The command-line options that flops-train and flops-run share for
// compiling a module (docs/CLI.md): --pipeline, --num-threads,
// --cpu-options, --opt-level, --dump-llvm, --cache-dir, --no-cache, --device,
// --cuda-options. A tool declares one static
// CompileFlags in its option category and reads CompileOptions from it.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_COMPILEFLAGS_H
#define FLOPS_DRIVER_COMPILEFLAGS_H

#include "flops/Driver/Device.h"
#include "flops/Driver/Program.h"

#include "llvm/Support/CommandLine.h"

namespace mlir::flops::driver {

struct CompileFlags {
  /// Registers the options in `category`; `defaultThreads` is the default of
  /// --num-threads (0 = all cores).
  CompileFlags(llvm::cl::OptionCategory &category, int64_t defaultThreads);

  llvm::cl::opt<PipelineKind> pipeline;
  llvm::cl::opt<int64_t> threads;
  llvm::cl::opt<std::string> cpuOptions;
  llvm::cl::opt<unsigned> optLevel;
  llvm::cl::opt<int> coldOptLevel;
  llvm::cl::opt<std::string> dumpLLVM;
  llvm::cl::opt<std::string> cacheDir;
  llvm::cl::opt<bool> noCache;
  llvm::cl::opt<int64_t> compileThreads;
  llvm::cl::opt<DeviceKind> device;
  llvm::cl::opt<std::string> cudaOptions;

  /// False with a message naming the option when a value is out of range
  /// (--num-threads < 0, --opt-level > 3, --compile-threads < 0).
  bool check(std::string *error) const;

  /// `base` with the options' values filled in.
  CompileOptions apply(CompileOptions base = {}) const;
  /// Opens --device into `options->device` (nothing for the CPU). Call it
  /// before reading any data: without a CUDA driver or device it fails with
  /// the runtime's "no CUDA driver: ..." / "no CUDA device: ..." message.
  bool openDevice(CompileOptions *options, std::string *error) const;
};

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_COMPILEFLAGS_H
