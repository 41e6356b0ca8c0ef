//===- Program.h - compile and call flops modules in-process ----*- C++ -*-===//
//
// The in-process compiler behind flops-train and flops-run (docs/CLI.md,
// "The driver library"): parse a module, run flops passes, lower it with a
// registered pipeline (flops-lower-to-cpu or flops-reference-to-llvm), compile
// it to objects (Jit.h: parallel parts, the on-disk cache of CompileCache.h),
// link them in-process and call its functions on host buffers.
//
// Call ABI. Every entry function gets `llvm.emit_c_interface`; the driver
// calls the packed wrapper of `_mlir_ciface_<name>` (`_flops_packed_<name>`,
// one `void *` per C argument, as ExecutionEngine::lookupPacked's):
//  - a tensor argument is a pointer to a memref descriptor
//    {allocated, aligned, offset, sizes[rank], strides[rank]} of a dense,
//    row-major Buffer owned by the caller; scalars are passed by value;
//  - flops-lower-to-cpu runs with out-params=true: the function returns
//    nothing and writes each result into a caller-provided buffer (appended
//    descriptor pointers, in result order), so a step allocates nothing
//    across the boundary;
//  - flops-reference-to-llvm returns the results: the C wrapper takes a
//    pointer to a struct of result descriptors as its first argument; the
//    driver copies each result into the caller's buffer and frees the
//    function's allocation.
// Results never alias arguments from the caller's point of view: pass
// distinct buffers (training ping-pongs two state sets).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_PROGRAM_H
#define FLOPS_DRIVER_PROGRAM_H

#include "flops/Driver/Device.h"
#include "flops/Runtime/StepABI.h"
#include "flops/Runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::flops::driver {

class ObjectJit;

namespace rt = ::flops::rt;

/// Registers the LLVM native target, the LLVM IR translations and the
/// passes/pipelines the driver runs by name. Idempotent, thread-safe.
void initializeDriver();

/// An MLIR context with every dialect and extension the flops passes and
/// pipelines use, plus a diagnostic handler that collects the messages (with
/// file:line:col and the source line) for error reports.
class Session {
public:
  Session();
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  MLIRContext &context() { return *ctx; }
  /// Parses `path` ("-" = stdin). On failure, `error` gets the reason
  /// (cannot open, or the parser's diagnostics).
  OwningOpRef<ModuleOp> parseFile(const std::string &path,
                                  std::string *error);
  /// Parses `source` (named `name` in diagnostics).
  OwningOpRef<ModuleOp> parseString(llvm::StringRef source,
                                    llvm::StringRef name, std::string *error);
  /// The diagnostics collected since the last call (then cleared).
  std::string takeDiagnostics();

private:
  std::unique_ptr<MLIRContext> ctx;
  llvm::SourceMgr sourceMgr;
  std::string diagnostics;
  std::unique_ptr<llvm::raw_string_ostream> diagStream;
  std::unique_ptr<SourceMgrDiagnosticHandler> handler;
};

// The call boundary's types live in the LLVM-free runtime (StepABI.h), so
// that flops-compile's programs share them with the driver.
using TensorSpec = rt::TensorSpec;
using FunctionSignature = rt::FunctionSignature;
using Buffer = rt::Buffer;
using ArgValue = rt::ArgValue;

/// Reads the boundary types of `fn` (every tensor must have a static shape,
/// element types f32/f64/i32/i64, scalars f32/f64/i32/i64/index). Roles and
/// names come from `flops.role` / `flops.name` (defaults: `flops.param` →
/// "param", other arguments "input", results "output").
bool readSignature(func::FuncOp fn, FunctionSignature *out,
                   std::string *error);

/// CUDA: flops-lower-to-cuda, chosen by CompileOptions::device (not by
/// --pipeline).
enum class PipelineKind { Auto, CPU, Reference, CUDA };

/// "auto", "cpu", "reference", "cuda".
const char *pipelineName(PipelineKind k);

struct CompileOptions {
  /// Auto: flops-lower-to-cpu, falling back to flops-reference-to-llvm (with
  /// a note) when the CPU pipeline is not registered or fails.
  PipelineKind pipeline = PipelineKind::Auto;
  /// Threads of the CPU pipeline (OpenMP when > 1; 1 when libomp is
  /// missing); 0 = all hardware threads.
  int64_t numThreads = 1;
  /// Extra `key=value` options of flops-lower-to-cpu, space separated.
  std::string cpuOptions;
  /// LLVM optimisation level of the JIT (0-3).
  unsigned optLevel = 3;
  /// LLVM optimisation level of the functions that only sequence outlined
  /// loop nests (objectsFromModule, Jit.h); -1 = optLevel.
  int coldOptLevel = 0;
  /// Where notes (fallbacks, timings with `verbose`) go; nullptr = none.
  llvm::raw_ostream *log = nullptr;
  bool verbose = false;
  /// Writes the module right before lowering / after it (debugging).
  std::string dumpBeforeLowering, dumpLLVM;
  /// Directory of the on-disk cache of compiled objects (CompileCache.h);
  /// empty = no cache.
  std::string cacheDir;
  /// Threads of the LLVM optimisation and code generation (the module's
  /// functions split into as many parts); 0 = all hardware threads.
  int64_t compileThreads = 0;
  /// Where the code runs (Device.h): null = the CPU. A device replaces the
  /// pipeline choice with its own (no fallback); buffers passed to the
  /// compiled code must then be allocated on it (Program::device()).
  std::shared_ptr<Device> device;
  /// Further shared libraries the JIT resolves symbols from (after the
  /// runner utilities and OpenMP). A tool finds libFlopsRuntime through the
  /// process; a Python extension module, loaded RTLD_LOCAL, must name it.
  std::vector<std::string> sharedLibraries;
};

/// CPU seconds (all threads) of each compilation phase (0 for a phase that
/// did not run); `parallel` is wall time.
struct CompileTimes {
  double prepare = 0.0;   // flops-to-linalg, inline, canonicalize
  double lower = 0.0;     // the lowering pipeline (MLIR)
  double translate = 0.0; // LLVM dialect -> LLVM IR
  double optimize = 0.0;  // LLVM IR optimisation (summed over threads)
  double codegen = 0.0;   // LLVM backend -> objects (summed over threads)
  double parallel = 0.0;  // wall time of optimize + codegen
  unsigned compileThreads = 1;
  double link = 0.0;      // cache lookup/store, JIT link, symbol lookup
  double total = 0.0;     // CPU seconds of the whole compilation
};

/// A JIT-compiled module and the signatures of its entry functions.
/// Makes `entries` public with a C interface (llvm.emit_c_interface) and
/// every other defined function private. False, with `*missing` set, when
/// an entry is not a defined function of `module` (nothing is changed then).
bool markEntryPoints(ModuleOp module, llvm::ArrayRef<std::string> entries,
                     std::string *missing);

class Program {
public:
  ~Program();

  /// Lowers `module` in place and JIT-compiles it. `entries` stay public and
  /// get a C interface; every other function becomes private (inlined or
  /// removed when unused). Steps: flops-to-linalg, inline, symbol-dce,
  /// canonicalize, then the pipeline. Diagnostics go to `session`.
  static std::unique_ptr<Program> compile(Session &session, ModuleOp module,
                                          llvm::ArrayRef<std::string> entries,
                                          const CompileOptions &options,
                                          std::string *error);

  const FunctionSignature *signature(llvm::StringRef name) const;
  PipelineKind pipeline() const { return used; }
  /// The textual pass pipeline that lowered the module.
  const std::string &pipelineText() const { return pipelineString; }
  int64_t numThreads() const { return threads; }
  double compileSeconds() const { return seconds; }
  const CompileTimes &compileTimes() const { return times; }
  /// Whether the object came from the compile cache.
  bool cacheHit() const { return hit; }
  /// The device the code runs on (null = CPU): allocate call buffers there.
  const std::shared_ptr<Device> &device() const { return dev; }

  /// Calls `name`: one ArgValue per signature argument, one buffer per
  /// result (shapes must match the signature; results must not alias
  /// arguments).
  bool call(llvm::StringRef name, llvm::ArrayRef<ArgValue> args,
            llvm::ArrayRef<Buffer *> results, std::string *error);

private:
  Program();
  using Entry = rt::PackedEntry;
  std::shared_ptr<Device> dev;
  std::unique_ptr<ObjectJit> jit;
  void (*dtors)() = nullptr;
  CompileTimes times;
  bool hit = false;
  std::vector<std::unique_ptr<Entry>> entries;
  PipelineKind used = PipelineKind::CPU;
  std::string pipelineString;
  int64_t threads = 1;
  double seconds = 0.0;
};

/// What Program::compile and lowerEntries (Aot.h) run before the lowering
/// pipeline: flops-to-linalg (the noise stays one flops.counter_normal per
/// element for the CPU pipeline to expand after vectorization), then inline
/// the forward into the steps, symbol-dce and canonicalize, so that only the
/// entries' static shapes remain at call boundaries (what out-params needs).
const char *preparationPipeline();

/// The textual pipeline for `kind` (CPU or Reference).
std::string loweringPipeline(PipelineKind kind, int64_t numThreads,
                             const std::string &cpuOptions);

/// Whether flops-lower-to-cpu is registered in this build.
bool cpuPipelineAvailable();

/// MLIR's C runner utilities (memrefCopy, ...) that lowered code may call;
/// the JIT loads them. Empty when they are not installed.
std::vector<std::string> runnerUtilsLibraries();

/// The OpenMP runtime the threaded CPU code needs, or "" if none is found.
std::string findOpenMPRuntime();

/// Runs a textual pass pipeline (the passes inside `builtin.module(...)`) on
/// `module`; diagnostics go to the session's handler. `invalidPipeline`
/// tells a pipeline that does not parse from one that fails. With
/// `verifyEachPass` (the default, as flops-opt does) the module is verified
/// after every pass, so a pass that turns a user's odd IR into invalid IR
/// is reported before the next pass can trip over it; without it only once,
/// after the last pass. The lowering pipelines (our own passes on IR that
/// flops-forward-train and the preparation produced and verified) run
/// without it: on a big train step that verification was about a third of
/// the lowering's CPU time (docs/CODEGEN.md "Compile time").
bool runPipeline(ModuleOp module, const std::string &pipeline,
                 std::string *error, bool *invalidPipeline = nullptr,
                 bool verifyEachPass = true);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_PROGRAM_H
