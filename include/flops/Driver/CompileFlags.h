//===- CompileFlags.h - the tools' shared compilation options ---*- C++ -*-===//
//
// The command-line options that flops-train and flops-run share for
// compiling a module (docs/CLI.md): --pipeline, --num-threads,
// --cpu-options, --opt-level, --dump-llvm, --cache-dir, --no-cache. A tool declares one static
// CompileFlags in its option category and reads CompileOptions from it.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_COMPILEFLAGS_H
#define FLOPS_DRIVER_COMPILEFLAGS_H

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

  /// `base` with the options' values filled in.
  CompileOptions apply(CompileOptions base = {}) const;
};

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_COMPILEFLAGS_H
