//===- Aot.h - ahead-of-time compilation of flops modules -------*- C++ -*-===//
//
// What flops-compile does (docs/CLI.md, "flops-compile"): lower a module's
// entries like the JIT does (Program::compile), generate one relocatable
// object in-process with LLVM's TargetMachine for a named CPU, and link a
// program from it with the system's compiler driver.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_AOT_H
#define FLOPS_DRIVER_AOT_H

#include "flops/Driver/Program.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::flops::driver {

/// The lowered entries of a module.
struct LoweredModule {
  OwningOpRef<ModuleOp> module; // LLVM dialect
  std::vector<FunctionSignature> signatures; // one per entry, in order
  PipelineKind kind = PipelineKind::CPU;
  std::string pipelineText; // builtin.module(...)
  int64_t threads = 1;
  bool outParams = true;
};

/// Lowers `module`'s `entries` (in place: entries public with a C
/// interface, the rest private) as Program::compile does: the preparation
/// pipeline, then flops-lower-to-cpu (falling back to
/// flops-reference-to-llvm with a note for PipelineKind::Auto), or, when
/// `cudaPipeline` is not empty, that pipeline (cudaLoweringPipeline, Device.h;
/// no fallback). `options.device` must be null: the code is generated
/// without opening a device.
bool lowerEntries(Session &session, ModuleOp module,
                  const std::vector<std::string> &entries,
                  const CompileOptions &options, LoweredModule *out,
                  std::string *error, const std::string &cudaPipeline = "");

struct AotTarget {
  /// An LLVM CPU name (x86-64, x86-64-v2/v3/v4, skylake, znver4, ...), or
  /// "native" for the CPU this runs on (with its features).
  std::string cpu = "x86-64-v2";
  /// Extra LLVM target features ("+avx2,-fma"), appended.
  std::string features;
  unsigned optLevel = 3;
};

/// The object of `lowered`: LLVM IR with the packed wrappers
/// `_flops_packed_<entry>` and constructors hoisted (Jit.h), optimised and
/// compiled for `target`, position-independent. `strings` become constant,
/// NUL-terminated `char name[]` globals with external linkage.
bool emitObject(ModuleOp lowered, const std::vector<std::string> &entries,
                const AotTarget &target,
                const std::vector<std::pair<std::string, std::string>> &strings,
                std::string *object, std::string *error);

/// Checks that `cpu` names a CPU of the host's target ("native" included).
bool checkTargetCpu(const std::string &cpu, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_AOT_H
