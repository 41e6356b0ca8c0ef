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

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t TensorSpec::numBytes() const {
  return size_t(numElements()) * rt::dtypeSize(dtype);
}

static const char *mlirTypeName(rt::DType t) {
  switch (t) {
  case rt::DType::F32:
    return "f32";
  case rt::DType::F64:
    return "f64";
  case rt::DType::I32:
    return "i32";
  case rt::DType::I64:
    return "i64";
  case rt::DType::U8:
    return "ui8";
  }
  return "?";
}

std::string TensorSpec::str() const {
  if (scalar)
    return mlirTypeName(dtype);
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + mlirTypeName(dtype) + ">";
}

std::vector<unsigned>
FunctionSignature::argsWithRole(llvm::StringRef role) const {
  std::vector<unsigned> r;
  for (unsigned i = 0; i < args.size(); ++i)
    if (args[i].role == role)
      r.push_back(i);
  return r;
}

std::vector<unsigned>
FunctionSignature::resultsWithRole(llvm::StringRef role) const {
  std::vector<unsigned> r;
  for (unsigned i = 0; i < results.size(); ++i)
    if (results[i].role == role)
      r.push_back(i);
  return r;
}

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

Buffer::Buffer(Buffer &&o) noexcept { *this = std::move(o); }

Buffer &Buffer::operator=(Buffer &&o) noexcept {
  if (this == &o)
    return *this;
  release();
  allocated = o.allocated;
  aligned = o.aligned;
  bytes = o.bytes;
  type = o.type;
  dims = std::move(o.dims);
  desc = std::move(o.desc);
  owner = std::move(o.owner);
  borrowed = o.borrowed;
  o.borrowed = false;
  o.allocated = o.aligned = nullptr;
  o.owner.reset();
  o.bytes = 0;
  o.desc.clear();
  return *this;
}

Buffer::~Buffer() { release(); }

void Buffer::release() {
  if (borrowed)
    borrowed = false;
  else if (owner)
    owner->release(allocated);
  else
    std::free(allocated);
  allocated = aligned = nullptr;
  owner.reset();
}

int64_t Buffer::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

bool Buffer::allocate(const TensorSpec &spec, std::string *error,
                      std::shared_ptr<Device> device) {
  release();
  type = spec.dtype;
  dims = spec.shape;
  bytes = spec.numBytes();
  constexpr size_t align = 64;
  size_t rounded = (bytes + align - 1) / align * align;
  if (device) {
    // Device allocations are at least 256-byte aligned.
    allocated = device->allocate(rounded ? rounded : align, error);
    if (!allocated) {
      *error = spec.name + ": " + *error;
      return false;
    }
    owner = std::move(device);
  } else {
    allocated = std::aligned_alloc(align, rounded ? rounded : align);
  }
  if (!allocated) {
    *error = "out of memory allocating " + std::to_string(bytes) +
             " bytes for " + spec.name;
    return false;
  }
  aligned = allocated;
  std::memset(aligned, 0, rounded ? rounded : align);
  setDescriptor();
  return true;
}

void Buffer::wrap(const TensorSpec &spec, void *data) {
  release();
  type = spec.dtype;
  dims = spec.shape;
  bytes = spec.numBytes();
  allocated = aligned = data;
  borrowed = true;
  setDescriptor();
}

void Buffer::setDescriptor() {
  size_t rank = dims.size();
  desc.assign(3 + 2 * rank, 0);
  desc[0] = reinterpret_cast<int64_t>(allocated);
  desc[1] = reinterpret_cast<int64_t>(aligned);
  desc[2] = 0;
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    desc[3 + i] = dims[i];
    desc[3 + rank + i] = stride;
    stride *= dims[i];
  }
}

rt::Tensor Buffer::toTensor() const {
  rt::Tensor t;
  t.dtype = type;
  t.shape = dims;
  const uint8_t *p = static_cast<const uint8_t *>(aligned);
  t.bytes.assign(p, p + bytes);
  return t;
}

bool Buffer::copyFrom(const rt::Tensor &t, std::string *error) {
  if (t.dtype != type || t.bytes.size() != bytes) {
    *error = "cannot copy a " + std::string(rt::dtypeName(t.dtype)) + " " +
             rt::shapeToString(t.shape) + " tensor into a " +
             rt::dtypeName(type) + " " + rt::shapeToString(dims) + " buffer";
    return false;
  }
  if (bytes) // zero-size buffers may have no storage
    std::memcpy(aligned, t.bytes.data(), bytes);
  return true;
}

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
                                      bool *invalidPipeline) {
  if (invalidPipeline)
    *invalidPipeline = false;
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
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

struct Program::Entry {
  FunctionSignature sig;
  void (*fn)(void **) = nullptr;
  bool outParams = true;
  // Per-call scratch (a Program is not re-entrant).
  std::vector<void *> packed, descPtrs;
  std::vector<uint64_t> scalars;
  std::vector<int64_t> resultStruct;
};

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

  // Entries public with a C interface, everything else private.
  std::set<std::string> wanted(entryNames.begin(), entryNames.end());
  for (const std::string &name : entryNames) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    if (!f || f.isExternal())
      return fail("the module has no function @" + name);
  }
  for (auto f : module.getOps<func::FuncOp>()) {
    if (wanted.count(f.getName().str())) {
      f.setPublic();
      f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(ctx));
    } else if (!f.isExternal()) {
      f.setPrivate();
    }
  }

  // Lower the flops ops, then inline the forward into the steps so that
  // only the entries' static shapes remain at call boundaries (what
  // out-params needs). The noise stays one flops.counter_normal per element
  // for the CPU pipeline to expand after vectorization (the reference
  // pipeline's flops-to-linalg expands it).
  double tPrepare = processCpuSeconds();
  if (!runPipeline(module,
                   "flops-to-linalg{expand-noise=false},inline,symbol-dce,"
                   "canonicalize",
                   error))
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
    if (!runPipeline(*lowered, text, error))
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
      if (runPipeline(*lowered, text, error, &invalid)) {
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
    if (!runPipeline(*lowered, text, error))
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

/// Whether memory of `owner` can be passed to code compiled for `dev`
/// (host memory for the CPU; any buffer of a device of the same kind: all
/// CUDA devices here share the runtime's context).
static bool sameMemory(const std::shared_ptr<Device> &owner,
                       const std::shared_ptr<Device> &dev) {
  if (!owner || !dev)
    return !owner && !dev;
  return owner->kind() == dev->kind();
}

static bool sameShape(const Buffer &b, const TensorSpec &s) {
  return b.dtype() == s.dtype && b.shape() == s.shape;
}

/// Copies a (possibly strided) memref described by `desc` into `dst`.
static void copyStrided(const int64_t *desc, size_t rank, size_t elem,
                        uint8_t *dst) {
  const uint8_t *base = reinterpret_cast<const uint8_t *>(desc[1]) +
                        desc[2] * int64_t(elem);
  const int64_t *sizes = desc + 3, *strides = desc + 3 + rank;
  int64_t n = 1;
  for (size_t i = 0; i < rank; ++i)
    n *= sizes[i];
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t i = rank; i-- > 0;) {
    if (sizes[i] != 1 && strides[i] != expect)
      contiguous = false;
    expect *= sizes[i];
  }
  if (contiguous) {
    if (n)
      std::memcpy(dst, base, size_t(n) * elem);
    return;
  }
  std::vector<int64_t> idx(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = 0;
    for (size_t i = 0; i < rank; ++i)
      off += idx[i] * strides[i];
    std::memcpy(dst + size_t(k) * elem, base + off * int64_t(elem), elem);
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < sizes[i])
        break;
      idx[i] = 0;
    }
  }
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
  const FunctionSignature &sig = e->sig;
  if (args.size() != sig.args.size() || results.size() != sig.results.size()) {
    *error = "@" + sig.name + " takes " + std::to_string(sig.args.size()) +
             " arguments and " + std::to_string(sig.results.size()) +
             " results, got " + std::to_string(args.size()) + " and " +
             std::to_string(results.size());
    return false;
  }
  size_t nArgs = args.size(), nRes = results.size();
  e->packed.clear();
  e->packed.reserve(nArgs + nRes + 1);
  e->descPtrs.assign(nArgs + nRes + 1, nullptr);
  e->scalars.assign(nArgs, 0);
  size_t slot = 0;
  if (!e->outParams && nRes) {
    size_t words = 0;
    for (const TensorSpec &s : sig.results)
      words += 3 + 2 * s.shape.size();
    e->resultStruct.assign(words, 0);
    e->descPtrs[slot] = e->resultStruct.data();
    e->packed.push_back(&e->descPtrs[slot++]);
  }
  for (size_t i = 0; i < nArgs; ++i) {
    const TensorSpec &s = sig.args[i];
    if (s.scalar) {
      void *p = &e->scalars[i];
      switch (s.dtype) {
      case rt::DType::F32: {
        float v = float(args[i].f);
        std::memcpy(p, &v, sizeof v);
        break;
      }
      case rt::DType::F64:
        std::memcpy(p, &args[i].f, sizeof(double));
        break;
      case rt::DType::I32: {
        int32_t v = int32_t(args[i].i);
        std::memcpy(p, &v, sizeof v);
        break;
      }
      default:
        std::memcpy(p, &args[i].i, sizeof(int64_t));
        break;
      }
      e->packed.push_back(p);
      continue;
    }
    if (!args[i].buffer || !sameShape(*args[i].buffer, s)) {
      *error = "@" + sig.name + " argument " + std::to_string(i) + " (" +
               s.name + ") needs a " + s.str() + " buffer";
      return false;
    }
    if (!sameMemory(args[i].buffer->device(), dev)) {
      *error = "@" + sig.name + " argument " + std::to_string(i) + " (" +
               s.name + ") is not in the memory of the " +
               (dev ? "CUDA device" : "host");
      return false;
    }
    e->descPtrs[slot] = args[i].buffer->descriptor();
    e->packed.push_back(&e->descPtrs[slot++]);
  }
  for (size_t i = 0; i < nRes; ++i) {
    if (!results[i] || !sameShape(*results[i], sig.results[i])) {
      *error = "@" + sig.name + " result " + std::to_string(i) + " (" +
               sig.results[i].name + ") needs a " + sig.results[i].str() +
               " buffer";
      return false;
    }
    if (!sameMemory(results[i]->device(), dev)) {
      *error = "@" + sig.name + " result " + std::to_string(i) + " (" +
               sig.results[i].name + ") is not in the memory of the " +
               (dev ? "CUDA device" : "host");
      return false;
    }
    if (e->outParams) {
      e->descPtrs[slot] = results[i]->descriptor();
      e->packed.push_back(&e->descPtrs[slot++]);
    }
  }

  e->fn(e->packed.data());
  if (dev && !dev->checkCall(sig.name, error))
    return false;

  if (e->outParams || !nRes)
    return true;
  // Returned results: copy into the caller's buffers, free the function's
  // allocations (each once; never one of the caller's buffers).
  std::set<const void *> callerOwned, freed;
  for (const ArgValue &a : args)
    if (a.buffer)
      callerOwned.insert(a.buffer->data());
  for (Buffer *r : results)
    callerOwned.insert(r->data());
  const int64_t *d = e->resultStruct.data();
  bool ok = true;
  for (size_t i = 0; i < nRes; ++i) {
    const TensorSpec &s = sig.results[i];
    size_t rank = s.shape.size();
    for (size_t k = 0; k < rank; ++k)
      if (d[3 + k] != s.shape[k])
        ok = false;
    if (ok)
      copyStrided(d, rank, rt::dtypeSize(s.dtype),
                  static_cast<uint8_t *>(results[i]->data()));
    void *alloc = reinterpret_cast<void *>(d[0]);
    if (alloc && !callerOwned.count(reinterpret_cast<void *>(d[1])) &&
        freed.insert(alloc).second)
      std::free(alloc);
    d += 3 + 2 * rank;
  }
  if (!ok)
    *error = "@" + sig.name + " returned a result whose shape differs from "
                              "its signature";
  return ok;
}
