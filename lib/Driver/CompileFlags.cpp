//===- CompileFlags.cpp - the tools' shared compilation options -----------===//

#include "flops/Driver/CompileFlags.h"

#include "flops/Driver/CompileCache.h"

using namespace mlir::flops::driver;
namespace cl = llvm::cl;

CompileFlags::CompileFlags(cl::OptionCategory &category,
                           int64_t defaultThreads)
    : pipeline(
          "pipeline", cl::desc("Lowering pipeline"),
          cl::values(clEnumValN(PipelineKind::Auto, "auto",
                                "flops-lower-to-cpu, or the reference "
                                "pipeline if it is unavailable or fails "
                                "(default)"),
                     clEnumValN(PipelineKind::CPU, "cpu",
                                "flops-lower-to-cpu (tiled, vectorized, "
                                "threaded)"),
                     clEnumValN(PipelineKind::Reference, "reference",
                                "flops-reference-to-llvm (plain loops, "
                                "slow)")),
          cl::init(PipelineKind::Auto), cl::cat(category)),
      threads("num-threads",
              cl::desc("Threads of the CPU code (OpenMP; 0 = all cores)"),
              cl::init(defaultThreads), cl::cat(category)),
      cpuOptions("cpu-options",
                 cl::desc("Extra options of flops-lower-to-cpu, e.g. "
                          "'register-tile-sizes=8,32,1'"),
                 cl::cat(category)),
      optLevel("opt-level", cl::desc("LLVM optimisation level (0-3)"),
               cl::init(3), cl::cat(category)),
      coldOptLevel("cold-opt-level",
                   cl::desc("LLVM optimisation level (0-3) of the code that "
                            "only sequences outlined loop nests (-1: "
                            "--opt-level)"),
                   cl::init(0), cl::cat(category)),
      dumpLLVM("dump-llvm", cl::desc("Write the lowered module"),
               cl::value_desc("FILE"), cl::cat(category)),
      cacheDir("cache-dir",
               cl::desc("Directory of the compile cache (default: "
                        "$FLOPS_CACHE_DIR, else $XDG_CACHE_HOME/flops-mlir "
                        "or ~/.cache/flops-mlir; FLOPS_CACHE_DIR=off "
                        "disables it)"),
               cl::value_desc("DIR"), cl::cat(category)),
      noCache("no-cache",
              cl::desc("Neither read nor write the compile cache"),
              cl::init(false), cl::cat(category)),
      compileThreads("compile-threads",
                     cl::desc("Threads of the LLVM optimisation and code "
                              "generation (0 = all cores)"),
                     cl::init(0), cl::cat(category)),
      device("device", cl::desc("Where the compiled code runs"),
             cl::values(clEnumValN(DeviceKind::CPU, "cpu",
                                   "the host CPU (default)"),
                        clEnumValN(DeviceKind::CUDA, "cuda",
                                   "CUDA device 0 through flops-lower-to-cuda "
                                   "and libFlopsCudaRuntime (state in managed "
                                   "memory)")),
             cl::init(DeviceKind::CPU), cl::cat(category)),
      cudaOptions("cuda-options",
                  cl::desc("Extra options of flops-lower-to-cuda, e.g. "
                           "'contraction=cublas' (with --device cuda)"),
                  cl::cat(category)) {}

bool CompileFlags::openDevice(CompileOptions *options,
                              std::string *error) const {
  if (device == DeviceKind::CPU) {
    if (!cudaOptions.empty()) {
      *error = "--cuda-options needs --device cuda";
      return false;
    }
    options->device = nullptr;
    return true;
  }
  if (pipeline.getNumOccurrences() || !cpuOptions.empty()) {
    *error = "--pipeline and --cpu-options do not apply to --device cuda "
             "(it lowers with flops-lower-to-cuda; see --cuda-options)";
    return false;
  }
  CudaDeviceOptions o;
  o.pipelineOptions = cudaOptions;
  std::unique_ptr<Device> d = openCudaDevice(o, error);
  if (!d)
    return false;
  options->device = std::move(d);
  return true;
}

bool CompileFlags::check(std::string *error) const {
  if (threads < 0) {
    *error = "--num-threads must be >= 0 (0 = all cores), got " +
             std::to_string(threads);
    return false;
  }
  if (optLevel > 3) {
    *error = "--opt-level must be 0, 1, 2 or 3, got " +
             std::to_string(optLevel);
    return false;
  }
  if (compileThreads < 0) {
    *error = "--compile-threads must be >= 0 (0 = all cores), got " +
             std::to_string(compileThreads);
    return false;
  }
  if (coldOptLevel < -1 || coldOptLevel > 3) {
    *error = "--cold-opt-level must be between -1 and 3, got " +
             std::to_string(coldOptLevel);
    return false;
  }
  // The cache's size bound is read when the first entry is written; a bad
  // value is an error before anything runs, not a note after compiling.
  uint64_t bytes;
  if (!noCache && !cacheMaxBytes(&bytes, error))
    return false;
  return true;
}

CompileOptions CompileFlags::apply(CompileOptions base) const {
  base.pipeline = pipeline;
  base.numThreads = threads;
  base.cpuOptions = cpuOptions;
  base.optLevel = optLevel;
  base.coldOptLevel = coldOptLevel;
  base.dumpLLVM = dumpLLVM;
  base.compileThreads = compileThreads;
  base.cacheDir = noCache ? std::string()
                  : !cacheDir.empty() ? std::string(cacheDir)
                                      : defaultCacheDir();
  return base;
}
