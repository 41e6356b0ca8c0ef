//===- Program.cpp - compile and call flops modules in-process ------------===//
//
// See include/flops/Driver/Program.h for the call ABI.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Program.h"

#include "flops/Driver/CompileCache.h"
#include "flops/Driver/Device.h"
#include "flops/Driver/Jit.h"

#include "flops/Codegen/Passes.h"
#include "flops/Conversion/Passes.h"
#include "flops/Dialect/Flops/IR/FlopsDialect.h"
#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "flops/Dialect/Flops/Transforms/Passes.h"
#include "flops/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

#include <chrono>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

using namespace mlir;
using namespace mlir::flops::driver;
namespace rt = ::flops::rt;

//===----------------------------------------------------------------------===//
// Registration and sessions
//===----------------------------------------------------------------------===//

void mlir::flops::driver::initializeDriver() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    // What the driver's textual pipelines name: canonicalize, inline,
    // symbol-dce, the flops passes and the flops pipelines.
    registerTransformsPasses();
    mlir::flops::registerFlopsConversionPasses();
    mlir::flops::registerFlopsTransformsPasses();
    mlir::flops::registerFlopsCodegenPasses();
    mlir::flops::registerFlopsPipelines();
  });
}

Session::Session() {
  initializeDriver();
  DialectRegistry registry;
  // The pipelines rely on many external models (bufferization, tiling,
  // value bounds, inlining) spread over the upstream dialects: register them
  // all, as flops-opt does.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::flops::FlopsDialect>();
  mlir::flops::registerEstimatorRules(registry);
  // All LLVM IR translations: gpu-module-to-binary (flops-lower-to-cuda)
  // translates the NVVM kernels, the host code embeds the binaries.
  registerAllToLLVMIRTranslations(registry);
  ctx = std::make_unique<MLIRContext>(registry);
  // Diagnostics name the op by location; the generic dump of the op that
  // MLIR appends by default is noise for a tool user.
  ctx->printOpOnDiagnostic(false);
  diagStream = std::make_unique<llvm::raw_string_ostream>(diagnostics);
  handler = std::make_unique<SourceMgrDiagnosticHandler>(sourceMgr, ctx.get(),
                                                         *diagStream);
}

Session::~Session() = default;

std::string Session::takeDiagnostics() {
  diagStream->flush();
  std::string d = std::move(diagnostics);
  diagnostics.clear();
  while (!d.empty() && d.back() == '\n')
    d.pop_back();
  return d;
}

static OwningOpRef<ModuleOp> parseBuffer(Session &s, llvm::SourceMgr &sm,
                                         std::unique_ptr<llvm::MemoryBuffer> b,
                                         llvm::StringRef name,
                                         std::string *error) {
  sm.AddNewSourceBuffer(std::move(b), llvm::SMLoc());
  ParserConfig config(&s.context());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sm, config);
  if (!module) {
    std::string d = s.takeDiagnostics();
    *error = "cannot parse '" + name.str() + "'" + (d.empty() ? "" : ":\n" + d);
  }
  return module;
}

OwningOpRef<ModuleOp> Session::parseFile(const std::string &path,
                                         std::string *error) {
  if (path != "-" && llvm::sys::fs::is_directory(path)) {
    *error = "cannot open '" + path + "': it is a directory";
    return nullptr;
  }
  auto buf = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!buf) {
    *error = "cannot open '" + path + "': " + buf.getError().message();
    return nullptr;
  }
  return parseBuffer(*this, sourceMgr, std::move(*buf), path, error);
}

OwningOpRef<ModuleOp> Session::parseString(llvm::StringRef source,
                                           llvm::StringRef name,
                                           std::string *error) {
  return parseBuffer(*this, sourceMgr,
                     llvm::MemoryBuffer::getMemBufferCopy(source, name), name,
                     error);
}

//===----------------------------------------------------------------------===//
// Signatures
//===----------------------------------------------------------------------===//

static bool elementDType(Type t, rt::DType *out) {
  if (t.isF32())
    *out = rt::DType::F32;
  else if (t.isF64())
    *out = rt::DType::F64;
  else if (t.isSignlessInteger(32))
    *out = rt::DType::I32;
  else if (t.isSignlessInteger(64) || t.isIndex())
    *out = rt::DType::I64;
  else
    return false;
  return true;
}

static bool specOf(Type t, TensorSpec *spec, std::string *error,
                   const std::string &what) {
  auto fail = [&](const std::string &why) {
    std::string ts;
    llvm::raw_string_ostream os(ts);
    os << t;
    *error = what + " has type " + ts + ": " + why;
    return false;
  };
  if (auto rt = dyn_cast<RankedTensorType>(t)) {
    if (!rt.hasStaticShape())
      return fail("the driver needs static shapes at the call boundary");
    if (!elementDType(rt.getElementType(), &spec->dtype))
      return fail("unsupported element type (f32, f64, i32, i64)");
    spec->shape.assign(rt.getShape().begin(), rt.getShape().end());
    spec->scalar = false;
    return true;
  }
  if (t.isIntOrIndexOrFloat()) {
    if (t.isIndex())
      spec->dtype = rt::DType::I64;
    else if (!elementDType(t, &spec->dtype))
      return fail("unsupported scalar type (f32, f64, i32, i64, index)");
    spec->shape.clear();
    spec->scalar = true;
    return true;
  }
  return fail("only ranked tensors and scalars can cross the boundary");
}

bool mlir::flops::driver::readSignature(func::FuncOp fn,
                                        FunctionSignature *out,
                                        std::string *error) {
  out->name = fn.getName().str();
  out->args.clear();
  out->results.clear();
  out->attrs.clear();
  unsigned numInputs = 0;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    TensorSpec s;
    if (auto r = fn.getArgAttrOfType<StringAttr>(i, "flops.role"))
      s.role = r.str();
    else
      s.role = fn.getArgAttr(i, "flops.param") ? "param" : "input";
    if (auto n = fn.getArgAttrOfType<StringAttr>(i, "flops.name"))
      s.name = n.str();
    else
      s.name = s.role == "param" ? "param" + std::to_string(i)
                                 : "input" + std::to_string(numInputs);
    if (s.role == "input")
      ++numInputs;
    if (!specOf(fn.getArgumentTypes()[i], &s, error,
                "@" + out->name + " argument " + std::to_string(i) + " (" +
                    s.name + ")"))
      return false;
    out->args.push_back(std::move(s));
  }
  for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i) {
    TensorSpec s;
    auto r = fn.getResultAttrOfType<StringAttr>(i, "flops.role");
    s.role = r ? r.str() : "output";
    auto n = fn.getResultAttrOfType<StringAttr>(i, "flops.name");
    s.name = n ? n.str() : "output" + std::to_string(i);
    if (!specOf(fn.getResultTypes()[i], &s, error,
                "@" + out->name + " result " + std::to_string(i) + " (" +
                    s.name + ")"))
      return false;
    if (s.scalar) {
      *error = "@" + out->name + " result " + std::to_string(i) +
               " is a scalar; the driver supports tensor results only";
      return false;
    }
    out->results.push_back(std::move(s));
  }
  for (NamedAttribute a : fn->getAttrs()) {
    llvm::StringRef key = a.getName().strref();
    if (!key.starts_with("flops."))
      continue;
    std::string v;
    if (auto i = dyn_cast<IntegerAttr>(a.getValue()))
      v = std::to_string(i.getInt());
    else if (auto f = dyn_cast<FloatAttr>(a.getValue())) {
      char b[64];
      std::snprintf(b, sizeof b, "%.17g", f.getValueAsDouble());
      v = b;
    } else if (auto s = dyn_cast<StringAttr>(a.getValue()))
      v = s.str();
    else if (isa<UnitAttr>(a.getValue()))
      v = "true";
    else if (auto arr = dyn_cast<ArrayAttr>(a.getValue())) {
      for (Attribute x : arr) {
        if (!v.empty())
          v += ",";
        if (auto s = dyn_cast<StringAttr>(x))
          v += s.str();
      }
    } else
      continue;
    out->attrs[key.str()] = v;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

const char *mlir::flops::driver::pipelineName(PipelineKind k) {
  switch (k) {
  case PipelineKind::Auto:
    return "auto";
  case PipelineKind::CPU:
    return "cpu";
  case PipelineKind::Reference:
    return "reference";
  case PipelineKind::CUDA:
    return "cuda";
  }
  return "?";
}

bool mlir::flops::driver::cpuPipelineAvailable() {
  initializeDriver();
  return PassPipelineInfo::lookup("flops-lower-to-cpu") != nullptr;
}

std::string mlir::flops::driver::findOpenMPRuntime() {
  for (const char *p : {"/usr/lib/x86_64-linux-gnu/libomp.so.5",
                        "/usr/lib/llvm-22/lib/libomp.so",
                        "/usr/lib/x86_64-linux-gnu/libomp.so"})
    if (llvm::sys::fs::exists(p))
      return p;
  return "";
}

std::vector<std::string> mlir::flops::driver::runnerUtilsLibraries() {
#ifdef FLOPS_LLVM_LIBRARY_DIR
  std::string dir = FLOPS_LLVM_LIBRARY_DIR;
#else
  std::string dir = "/usr/lib/llvm-22/lib";
#endif
  std::vector<std::string> libs;
  for (const char *name : {"libmlir_c_runner_utils.so"}) {
    std::string p = dir + "/" + name;
    if (llvm::sys::fs::exists(p))
      libs.push_back(p);
  }
  return libs;
}

std::string mlir::flops::driver::loweringPipeline(
    PipelineKind kind, int64_t numThreads, const std::string &cpuOptions) {
  if (kind == PipelineKind::Reference)
    return "flops-reference-to-llvm{bufferize-function-boundaries=true}";
  std::string s = "flops-lower-to-cpu{num-threads=" +
                  std::to_string(numThreads) + " out-params=true";
  if (!cpuOptions.empty())
    s += " " + cpuOptions;
  return s + "}";
}

bool mlir::flops::driver::runPipeline(ModuleOp module,
                                      const std::string &pipeline,
                                      std::string *error,
                                      bool *invalidPipeline,
                                      bool verifyEachPass) {
  if (invalidPipeline)
    *invalidPipeline = false;
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  pm.enableVerifier(verifyEachPass);
  std::string parseErrors;
  llvm::raw_string_ostream os(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    os.flush();
    while (!parseErrors.empty() && parseErrors.back() == '\n')
      parseErrors.pop_back();
    *error = "invalid pass pipeline 'builtin.module(" + pipeline +
             ")': " + parseErrors;
    if (invalidPipeline)
      *invalidPipeline = true;
    return false;
  }
  if (failed(pm.run(module))) {
    *error = "pass pipeline 'builtin.module(" + pipeline + ")' failed";
    return false;
  }
  if (!verifyEachPass && failed(verify(module))) {
    *error = "pass pipeline 'builtin.module(" + pipeline +
             ")' produced invalid IR";
    return false;
  }
  return true;
}

static bool writeModule(ModuleOp module, const std::string &path,
                        std::string *error) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    *error = "cannot write '" + path + "': " + ec.message();
    return false;
  }
  module.print(out.os());
  out.keep();
  return true;
}

//===----------------------------------------------------------------------===//
// Program
//===----------------------------------------------------------------------===//

Program::Program() = default;
Program::~Program() {
  // Unload what the constructors loaded (CUDA modules) while the code and
  // its device are alive.
  if (dtors)
    dtors();
}

const FunctionSignature *Program::signature(llvm::StringRef name) const {
  for (const auto &e : entries)
    if (e->sig.name == name)
      return &e->sig;
  return nullptr;
}

/// Number of C-interface parameters of `_mlir_ciface_<name>` in the lowered
/// module, or -1.
static int cInterfaceArity(ModuleOp module, const std::string &name) {
  auto f = module.lookupSymbol<LLVM::LLVMFuncOp>("_mlir_ciface_" + name);
  return f ? int(f.getNumArguments()) : -1;
}

/// CPU seconds of the process (all threads): the phases are timed in CPU
/// time, which a busy machine does not inflate as it does wall time.
static double processCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

static double cpuSince(double t) { return processCpuSeconds() - t; }

const char *mlir::flops::driver::preparationPipeline() {
  // The reference pipeline's own flops-to-linalg expands the noise later.
  return "flops-to-linalg{expand-noise=false},inline,symbol-dce,canonicalize";
}

bool mlir::flops::driver::markEntryPoints(ModuleOp module,
                                          llvm::ArrayRef<std::string> entries,
                                          std::string *missing) {
  for (const std::string &name : entries) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    if (!f || f.isExternal()) {
      *missing = name;
      return false;
    }
  }
  std::set<std::string> wanted(entries.begin(), entries.end());
  for (auto f : module.getOps<func::FuncOp>()) {
    if (wanted.count(f.getName().str())) {
      f.setPublic();
      f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(module.getContext()));
    } else if (!f.isExternal()) {
      f.setPrivate();
    }
  }
  return true;
}

std::unique_ptr<Program>
Program::compile(Session &session, ModuleOp module,
                 llvm::ArrayRef<std::string> entryNames,
                 const CompileOptions &options, std::string *error) {
  auto start = std::chrono::steady_clock::now();
  double cpuStart = processCpuSeconds();
  MLIRContext *ctx = module.getContext();
  auto fail = [&](const std::string &msg) -> std::unique_ptr<Program> {
    std::string d = session.takeDiagnostics();
    *error = msg + (d.empty() ? "" : ":\n" + d);
    return nullptr;
  };

  std::string missing;
  if (!markEntryPoints(module, entryNames, &missing))
    return fail("the module has no function @" + missing);

  // Lower the flops ops and inline the forward into the steps.
  double tPrepare = processCpuSeconds();
  if (!runPipeline(module, preparationPipeline(), error))
    return fail(*error);

  std::unique_ptr<Program> p(new Program());
  p->times.prepare = cpuSince(tPrepare);
  for (const std::string &name : entryNames) {
    auto e = std::make_unique<Entry>();
    if (!readSignature(module.lookupSymbol<func::FuncOp>(name), &e->sig,
                       error))
      return fail(*error);
    p->entries.push_back(std::move(e));
  }
  if (!options.dumpBeforeLowering.empty() &&
      !writeModule(module, options.dumpBeforeLowering, error))
    return fail(*error);
  // The roles are read; the LLVM IR translation would warn about the
  // flops.* argument and result attributes it does not know.
  for (const std::string &name : entryNames) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      for (llvm::StringRef a : {"flops.role", "flops.name", "flops.param"})
        f.removeArgAttr(i, a);
    for (unsigned i = 0; i < f.getNumResults(); ++i)
      for (llvm::StringRef a : {"flops.role", "flops.name"})
        f.removeResultAttr(i, StringAttr::get(ctx, a));
  }

  // Threads: OpenMP needs its runtime at JIT time.
  int64_t threads = options.device ? 1 : options.numThreads;
  if (threads <= 0)
    threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  std::string omp;
  if (threads > 1) {
    omp = findOpenMPRuntime();
    if (omp.empty()) {
      if (options.log)
        *options.log << "note: no OpenMP runtime (libomp.so.5) found; "
                        "compiling for 1 thread\n";
      threads = 1;
    }
  }

  // The object: linked into a fresh JIT, each entry's packed wrapper looked
  // up.
  auto link = [&](const std::vector<std::string> &objects, std::string *err) {
    double tLink = processCpuSeconds();
    std::vector<std::string> libPaths = runnerUtilsLibraries();
    if (!omp.empty())
      libPaths.push_back(omp);
    if (options.device)
      for (const std::string &lib : options.device->sharedLibraries())
        libPaths.push_back(lib);
    libPaths.insert(libPaths.end(), options.sharedLibraries.begin(),
                    options.sharedLibraries.end());
    std::unique_ptr<ObjectJit> jit = ObjectJit::create(libPaths, err);
    if (!jit)
      return false;
    for (const std::string &object : objects)
      if (!jit->add(object, err))
        return false;
    for (auto &e : p->entries)
      if (!(e->fn = jit->lookupPacked(e->sig.name, err)))
        return false;
    // The module's constructors (the CUDA host code loads its kernels).
    if (void (*ctors)() = jit->lookupOptional("_flops_global_ctors"))
      ctors();
    p->dtors = jit->lookupOptional("_flops_global_dtors");
    p->dev = options.device;
    p->jit = std::move(jit);
    if (p->dev && !p->dev->checkCall("global constructors", err))
      return false;
    p->times.link += cpuSince(tLink);
    return true;
  };
  auto finish = [&]() {
    p->seconds = std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - start)
                     .count();
    p->times.total = cpuSince(cpuStart);
    if (options.log && options.verbose) {
      const CompileTimes &t = p->times;
      *options.log << "note: compiled with " << p->pipelineString << " in "
                   << llvm::format("%.2f", p->seconds) << " s"
                   << (p->hit ? " (compile cache hit)" : "") << "\n"
                   << "note: compile phases (CPU s): prepare "
                   << llvm::format("%.2f", t.prepare) << ", lower "
                   << llvm::format("%.2f", t.lower) << ", translate "
                   << llvm::format("%.2f", t.translate) << ", optimize "
                   << llvm::format("%.2f", t.optimize) << " + codegen "
                   << llvm::format("%.2f", t.codegen) << " on "
                   << t.compileThreads << " thread(s) (wall "
                   << llvm::format("%.2f", t.parallel) << "), cache+link "
                   << llvm::format("%.2f", t.link) << "; total "
                   << llvm::format("%.2f", t.total) << "\n";
    }
  };

  // The compile cache: the key is everything the object depends on.
  std::string key;
  if (!options.cacheDir.empty()) {
    double tKey = processCpuSeconds();
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    os.flush();
    key = cacheKey({"flops-compile-cache", text, llvm::join(entryNames, ","),
                    pipelineName(options.pipeline), std::to_string(threads),
                    options.cpuOptions, std::to_string(options.optLevel),
                    std::to_string(options.coldOptLevel),
                    hostTargetDescription(), LLVM_VERSION_STRING,
                    executableDigest(), omp,
                    options.device ? options.device->loweringPipeline()
                                   : std::string()});
    CacheEntry entry;
    // --dump-llvm needs the lowering: look up nothing, store the result.
    CacheLookup found = options.dumpLLVM.empty()
                            ? readCacheEntry(options.cacheDir, key, &entry)
                            : CacheLookup::Miss;
    p->times.link += cpuSince(tKey);
    bool usable = options.device
                      ? entry.kind == int(PipelineKind::CUDA)
                      : (entry.kind == int(PipelineKind::CPU) ||
                         entry.kind == int(PipelineKind::Reference));
    if (found == CacheLookup::Hit && usable) {
      p->used = PipelineKind(entry.kind);
      p->threads = entry.threads;
      p->pipelineString = entry.pipeline;
      for (auto &e : p->entries)
        e->outParams = p->used != PipelineKind::Reference;
      std::string linkError;
      if (link(entry.objects, &linkError)) {
        p->hit = true;
        finish();
        return p;
      }
      found = CacheLookup::Corrupt;
    }
    if (found != CacheLookup::Miss && options.log)
      *options.log << "note: ignoring the unusable compile cache entry "
                   << cachePath(options.cacheDir, key)
                   << "; compiling again\n";
  }

  // Lowering.
  double tLower = processCpuSeconds();
  PipelineKind kind = options.device ? PipelineKind::CUDA : options.pipeline;
  OwningOpRef<ModuleOp> lowered;
  if (kind == PipelineKind::CUDA) {
    lowered = module.clone();
    std::string text = options.device->loweringPipeline();
    if (!runPipeline(*lowered, text, error, nullptr, /*verifyEachPass=*/false))
      return fail(*error);
    p->pipelineString = "builtin.module(" + text + ")";
  } else if (kind != PipelineKind::Reference) {
    if (!cpuPipelineAvailable()) {
      if (kind == PipelineKind::CPU)
        return fail("the flops-lower-to-cpu pipeline is not registered in "
                    "this build; use the reference pipeline");
      if (options.log)
        *options.log << "note: flops-lower-to-cpu is not available; using "
                        "flops-reference-to-llvm (slow)\n";
      kind = PipelineKind::Reference;
    } else {
      lowered = module.clone();
      std::string text = loweringPipeline(PipelineKind::CPU, threads,
                                          options.cpuOptions);
      bool invalid = false;
      if (runPipeline(*lowered, text, error, &invalid,
                      /*verifyEachPass=*/false)) {
        kind = PipelineKind::CPU;
        p->pipelineString = "builtin.module(" + text + ")";
      } else if (kind == PipelineKind::CPU || invalid) {
        // A bad --cpu-options string is the user's to fix, not a reason to
        // fall back.
        return fail(*error);
      } else {
        std::string d = session.takeDiagnostics();
        if (options.log) {
          std::string first = d.substr(0, d.find('\n'));
          *options.log << "note: flops-lower-to-cpu failed (" << first
                       << "); falling back to flops-reference-to-llvm "
                          "(slow)\n";
        }
        lowered = nullptr;
        kind = PipelineKind::Reference;
      }
    }
  }
  if (kind == PipelineKind::Reference) {
    threads = 1;
    omp.clear();
    lowered = module.clone();
    std::string text = loweringPipeline(kind, 1, "");
    if (!runPipeline(*lowered, text, error, nullptr, /*verifyEachPass=*/false))
      return fail(*error);
    p->pipelineString = "builtin.module(" + text + ")";
  }
  p->used = kind;
  p->threads = threads;
  p->times.lower = cpuSince(tLower);
  if (!options.dumpLLVM.empty() &&
      !writeModule(*lowered, options.dumpLLVM, error))
    return fail(*error);

  // The C interface shape tells which result convention the code uses.
  for (auto &e : p->entries) {
    e->outParams = kind != PipelineKind::Reference;
    size_t nArgs = e->sig.args.size(), nRes = e->sig.results.size();
    int expected = int(nArgs + (e->outParams ? nRes : (nRes ? 1 : 0)));
    int got = cInterfaceArity(*lowered, e->sig.name);
    if (got != expected)
      return fail("unexpected C interface for @" + e->sig.name + ": " +
                  std::to_string(got) + " parameters, expected " +
                  std::to_string(expected) + " (" + std::to_string(nArgs) +
                  " arguments, " + std::to_string(nRes) + " results, " +
                  (e->outParams ? "out-params" : "returned") + ")");
  }

  // LLVM: objects (parts compiled in parallel), stored in the cache, linked
  // in-process.
  std::vector<std::string> objects;
  CodegenTimes ct;
  unsigned compileThreads =
      options.compileThreads > 0
          ? unsigned(options.compileThreads)
          : std::max(1u, std::thread::hardware_concurrency());
  if (!objectsFromModule(*lowered, entryNames, options.optLevel,
                         options.coldOptLevel, compileThreads, &objects, &ct, error))
    return fail(*error);
  p->times.translate = ct.translate;
  p->times.optimize = ct.optimize;
  p->times.codegen = ct.codegen;
  p->times.parallel = ct.parallel;
  p->times.compileThreads = ct.threads;
  if (!key.empty()) {
    double tStore = processCpuSeconds();
    CacheEntry entry;
    entry.objects = objects;
    entry.pipeline = p->pipelineString;
    entry.threads = p->threads;
    entry.kind = int(kind);
    std::string storeError;
    if (!writeCacheEntry(options.cacheDir, key, entry, &storeError) &&
        options.log)
      *options.log << "note: not caching the compiled step: " << storeError
                   << "\n";
    p->times.link += cpuSince(tStore);
  }
  if (!link(objects, error))
    return fail(*error);
  finish();
  return p;
}

bool Program::call(llvm::StringRef name, llvm::ArrayRef<ArgValue> args,
                   llvm::ArrayRef<Buffer *> results, std::string *error) {
  Entry *e = nullptr;
  for (auto &x : entries)
    if (x->sig.name == name)
      e = x.get();
  if (!e) {
    *error = "no compiled function @" + name.str();
    return false;
  }
  std::vector<ArgValue> argv(args.begin(), args.end());
  std::vector<Buffer *> resv(results.begin(), results.end());
  if (!rt::callPacked(*e, dev, argv, resv, error))
    return false;
  return !dev || dev->checkCall(e->sig.name, error);
}
