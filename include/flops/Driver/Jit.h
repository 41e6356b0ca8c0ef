//===- Jit.h - LLVM dialect -> object file -> in-process code ---*- C++ -*-===//
//
// The last steps of Program::compile (docs/CODEGEN.md, "Compile time"):
// translate the lowered module to LLVM IR, optimise it, emit one relocatable
// object, and link objects into the process with ORC's LLJIT. The object is
// what the on-disk compile cache (CompileCache.h) stores, so a cache hit
// skips everything but the link.
//
// Each entry `@f` (with a C interface) gets a packed wrapper
// `_flops_packed_f(void **args)` that loads argument i from `*args[i]` and
// calls `_mlir_ciface_f` (the convention of ExecutionEngine::lookupPacked).
// A module's global constructors and destructors (the CUDA host code loads
// its kernels in one) become two plain functions, `_flops_global_ctors` and
// `_flops_global_dtors`, that the client calls after linking and before
// unlinking (ObjectJit::lookupOptional): objects linked by LLJIT without
// the ORC runtime do not run `.init_array`.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_JIT_H
#define FLOPS_DRIVER_JIT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Function;
class Module;
namespace orc {
class LLJIT;
} // namespace orc
} // namespace llvm

namespace mlir::flops::driver {

/// CPU seconds spent in each step of objectsFromModule (translate and split
/// on the calling thread; optimize and codegen summed over the parts'
/// threads); parallel is the wall time of the parts' optimisation and code
/// generation, on `threads` threads.
struct CodegenTimes {
  double translate = 0.0, optimize = 0.0, codegen = 0.0, parallel = 0.0;
  unsigned threads = 1;
};

/// Translates `module` (LLVM dialect) to LLVM IR, adds the packed wrappers
/// of `entries`, splits the functions into parts, then optimises each part
/// for the host CPU and emits its ELF object, the parts on up to `threads`
/// threads. One object per part.
///
/// With 0 <= `coldOptLevel` < `optLevel`, the functions that only sequence
/// outlined code (the parent of flops-cpu-outline-loop-nests' functions:
/// descriptor arithmetic and calls, often most of a big step's
/// instructions; and the C interface wrappers) form one part compiled at
/// `coldOptLevel` (0: no IR optimisation, fast instruction selection and
/// register allocation); every other function (the loop nests, OpenMP
/// bodies, whole small programs) is compiled at `optLevel` (0-3), spread
/// over `threads` parts balanced by instruction count.
bool objectsFromModule(ModuleOp module, llvm::ArrayRef<std::string> entries,
                       unsigned optLevel, int coldOptLevel, unsigned threads,
                       std::vector<std::string> *objects, CodegenTimes *times,
                       std::string *error);

/// True for a function that only sequences outlined code, compiled at the
/// cold level: the C interface and packed wrappers, and every function that
/// calls a function flops-cpu-outline-loop-nests outlined (named
/// `@<root>_nest<k>`), i.e. `@f` and any `@f_nest<j>` calling an `@f_nest<k>`,
/// or another root's nest that flops-merge-identical-functions kept (the pass
/// moves straight-line runs of calls out of a big nest into such
/// functions; in a small Inception's train step, four of them held 82 000
/// of the module's 288 000 instructions).
bool isSequencingFunction(const llvm::Function &f);

/// Adds `void _flops_packed_<name>(void **args)` calling
/// `_mlir_ciface_<name>` (what objectsFromModule does for each entry).
bool addPackedEntryWrapper(llvm::Module &m, llvm::StringRef name,
                           std::string *error);
/// Replaces llvm.global_ctors / llvm.global_dtors by `_flops_global_ctors`
/// and `_flops_global_dtors` (see above).
void hoistModuleStructors(llvm::Module &m);

/// Host CPU name and features: part of the cache key.
std::string hostTargetDescription();

/// An in-process linker of objects (LLJIT) that resolves undefined symbols
/// from the process and from `sharedLibs`.
class ObjectJit {
public:
  ~ObjectJit();
  static std::unique_ptr<ObjectJit>
  create(llvm::ArrayRef<std::string> sharedLibs, std::string *error);
  /// Links `object` (copied). Fails on a malformed object.
  bool add(llvm::StringRef object, std::string *error);
  /// The packed wrapper of entry `name`, or nullptr with `error`.
  void (*lookupPacked(llvm::StringRef name, std::string *error))(void **);
  /// A `void name()` function of the linked objects, or nullptr.
  void (*lookupOptional(llvm::StringRef name))();

private:
  ObjectJit();
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_JIT_H
